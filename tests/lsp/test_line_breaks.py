"""Positions follow the LSP's line breaks (LF, CRLF and a lone CR) and nothing else: a form
feed or U+2028 inside a line is text, as every client counts it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as T
from pygls.workspace import TextDocument

from sovereign.lang.lexer import text_lines
from sovereign.lsp.line_breaks import _LINE, LspDocument

from .conftest import RecordingClient
from .helpers import change, document, open_document, position, settled
from .test_evolution import BUGGY, GOOD, quick_fixes, resolved_edit
from .test_generation import scripted


async def test_a_diagnostic_after_lone_carriage_returns_lands_on_its_line(
        client: RecordingClient) -> None:
    uri = await open_document(client, "    PUSH #1\r    PRINT\r    PUSH #0\r    POP\r"
                                      "    DIV\r    HALT\r")
    diagnostics = await settled(client, uri, 1)
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("R302", 4)]


async def test_an_edit_after_a_form_feed_or_line_separator_lands_where_the_client_put_it(
        client: RecordingClient) -> None:
    text = "; page\x0cone\u2028two\n    PUSH #1\n    PRNT\n    HALT\n"
    uri = await open_document(client, text)
    change(client, uri, 2, 2, 4, 8, "PRINT")
    assert await settled(client, uri, 2) == []
    hover = await client.text_document_hover_async(T.HoverParams(
        text_document=document(uri), position=position(2, 5)))
    assert hover is not None and "PRINT" in str(hover.contents)


async def test_a_repair_of_a_document_with_crlf_and_lone_cr_endings_edits_one_line(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    lines = BUGGY.split("\n")
    text = "\r\n".join(lines[:4]) + "\r" + "\r".join(lines[4:])
    uri = await open_document(llm_client, text, runtime=False)
    (action,) = await quick_fixes(llm_client, uri)
    (edit,) = (await resolved_edit(llm_client, action)).edits
    assert (edit.range.start.line, edit.range.end.line, edit.new_text.strip()) == (
        7, 7, "LOAD d")


class _WholeText(TextDocument):
    """pygls's own incremental edit (the whole text rebuilt), over the same LSP lines: what
    an edit of `LspDocument`, which splits again only the lines it touches, must equal."""

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(_LINE.findall(self.source))


_URI = "file:///tmp/sovereign-lines/edit.sov"
_PIECES = ["", "a", "é", "😀", "\r", "\n", "\r\n", "\n\r", "\f", "\u2028", "x\ry", "PUSH #1\n",
           "\ufeff"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join),
       st.lists(st.tuples(st.integers(0, 12), st.integers(0, 4), st.integers(0, 2),
                          st.integers(0, 4), st.lists(st.sampled_from(_PIECES), max_size=4)
                          .map("".join), st.sampled_from(["read", "unread", "whole"])),
                min_size=1, max_size=8))
def test_an_edit_splits_again_only_its_lines_and_gives_the_whole_texts_lines(
        start: str, edits: list[tuple[int, int, int, int, str, str]]) -> None:
    """Each edit as pygls's whole-text edit gives it, whether the text was asked for after
    the edit before ("read"), left to be joined later ("unread"), or replaced by the client
    sending all of it ("whole")."""
    ours, whole = LspDocument(_URI, start), _WholeText(_URI, start)
    for line, column, span, end_column, text, then in edits:
        count = len(whole.lines)
        first = min(line, count)
        last = min(first + span, count)
        change = T.TextDocumentContentChangePartial(text=text, range=T.Range(
            start=T.Position(line=first, character=column),
            end=T.Position(line=last, character=end_column if last > first else
                           max(column, end_column))))
        if then == "whole":
            ours.apply_change(T.TextDocumentContentChangeWholeDocument(text=text))
            whole.apply_change(T.TextDocumentContentChangeWholeDocument(text=text))
            continue
        ours.apply_change(change)
        whole.apply_change(change)
        assert tuple(ours.lines) == whole.lines
        if then == "read":
            texts = ours.texts
            assert ours.source == whole.source
            assert ours.texts is texts  # the text, joined when asked for, keeps its lines
    assert ours.source == whole.source
    assert tuple(ours.lines) == whole.lines == tuple(_LINE.findall(ours.source))
    assert ours.texts == tuple(text_lines(ours.source.removeprefix("\ufeff")))
