"""Snapshots: what a version of a document computes once, and keeps from the version before."""

from __future__ import annotations

from pygls.workspace import TextDocument

from sovereign.lsp.documents import Documents

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
