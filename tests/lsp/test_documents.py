"""Snapshots: what a version of a document computes once, and keeps from the version before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as T
from pygls.workspace import TextDocument

from sovereign.lsp.documents import Documents
from sovereign.lsp.line_breaks import LspDocument

URI = "file:///tmp/kept.sov"


def test_a_comment_edit_is_not_analysed_again() -> None:
    documents = Documents()
    first = documents.snapshot(TextDocument(URI, "    PUSH #1\n    PRINT ; one\n", version=1),
                               "utf-16")
    analysis = first.analysis
    second = documents.snapshot(TextDocument(URI, "    PUSH #1\n    PRINT ; the one\n",
                                             version=2), "utf-16")
    assert second.analysis is analysis
    third = documents.snapshot(TextDocument(URI, "    PUSH #2\n    PRINT ; the one\n",
                                            version=3), "utf-16")
    assert third.analysis is not analysis and third.analysis is not None
    assert second.previous_analysis is None and third.previous_analysis is None  # no chain


def test_an_error_removed_without_changing_the_code_brings_the_analysis_back() -> None:
    """A line that did not assemble holds no instruction: once it is blank, the program is
    the one before, which was never analysed (found by the property below)."""
    documents = Documents()
    broken = documents.snapshot(TextDocument(URI, "    PRINT\nALT\n", version=1), "utf-16")
    assert [f.code for f in broken.static.findings] == ["E101"]
    fixed = documents.snapshot(TextDocument(URI, "    PRINT\n\n", version=2), "utf-16")
    assert [f.code for f in fixed.static.findings] == ["S204"]


def test_an_edit_within_lines_updates_the_symbol_index_of_the_version_before() -> None:
    documents = Documents()
    first = documents.snapshot(TextDocument(URI, "x: PUSH #1\n    STORE a\n    JMP x\n",
                                            version=1), "utf-16")
    kept = first.index.occurrences
    second = documents.snapshot(TextDocument(URI, "x: PUSH #1\n    STORE b\n    JMP x\n",
                                             version=2), "utf-16")
    occurrences = second.index.occurrences
    assert occurrences[0] is kept[0] and occurrences[2] is kept[2]  # lines 1 and 3 kept
    assert occurrences[1].name == "b" and second.previous_index is None


_PIECES = ["", "\n", "\r\n", "    PUSH #1", "    PUSH #2\n", "    ADD", "    PRINT\n", "l:",
           "f:\n", "    JMP l\n", "    CALL f\n", "    RET\n", "    HALT\n", " ; note", "x"]
_START = "".join(f"    PUSH #1\n    CALL f{k}\n    PRINT\n    HALT\nf{k}:\n    PUSH #2\n    ADD\n"
                 "    RET\n" for k in range(3))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 12), st.integers(0, 2),
                          st.integers(0, 12), st.lists(st.sampled_from(_PIECES), max_size=3)
                          .map("".join), st.booleans()), min_size=1, max_size=6))
def test_each_version_typed_is_checked_as_the_same_text_from_cold(
        edits: list[tuple[int, int, int, int, str, bool]]) -> None:
    """What a snapshot keeps from the one before (the lines the editor says it changed, the
    assembly and the analysis) never changes a finding: each version, whether the one before
    was checked or skipped (a burst of keystrokes), is checked as its text would be cold."""
    documents, document = Documents(), LspDocument(URI, _START, version=1)
    start = documents.snapshot(document, "utf-16")
    assert start.assembly.ok and start.analysis is not None  # the next versions start here
    for version, (line, column, span, end_column, text, checked) in enumerate(edits, 2):
        count = len(document.lines)
        first = min(line, count)
        last = min(first + span, count)
        document.apply_change(T.TextDocumentContentChangePartial(text=text, range=T.Range(
            start=T.Position(line=first, character=column),
            end=T.Position(line=last, character=end_column if last > first else
                           max(column, end_column)))))
        document.version = version
        if checked:
            warm = documents.snapshot(document, "utf-16")
            cold = Documents().snapshot(TextDocument(URI, document.source, version=1), "utf-16")
            assert warm.assembly == cold.assembly
            assert warm.static.findings == cold.static.findings
