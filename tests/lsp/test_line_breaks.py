"""Positions follow the LSP's line breaks (LF, CRLF and a lone CR) and nothing else: a form
feed or U+2028 inside a line is text, as every client counts it."""

from __future__ import annotations

from lsprotocol import types as T

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
