"""Hover, definition, references, highlight, rename and symbols through the real server."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as T
from pygls.exceptions import JsonRpcException

from .conftest import RecordingClient
from .helpers import document, new_uri, open_document, position, publications, settled

PROGRAM = """\
    PUSH #0x2A
    STORE "total"
    CALL show
    JMP done
show:
    LOAD total
    PRINT
again:
    RET
done:
    HALT
"""


async def hover_text(client: RecordingClient, uri: str, line: int, col: int) -> str | None:
    found = await client.text_document_hover_async(T.HoverParams(
        text_document=document(uri), position=position(line, col)))
    if found is None:
        return None
    assert isinstance(found.contents, T.MarkupContent)
    return found.contents.value


async def test_hover(stdio_client: RecordingClient) -> None:
    uri = await open_document(stdio_client, PROGRAM)
    opcode = await hover_text(stdio_client, uri, 3, 5)
    assert opcode is not None and "#### JMP" in opcode and "( -- )" in opcode
    label = await hover_text(stdio_client, uri, 2, 10)
    assert label is not None and "**subroutine** `show`" in label and "1 call" in label
    memory = await hover_text(stdio_client, uri, 5, 9)
    assert memory is not None and "Stored on line 2." in memory and "Loaded on line 6." in memory
    number = await hover_text(stdio_client, uri, 0, 10)
    assert number == "**integer** `42` (`0x2A`)"
    assert await hover_text(stdio_client, uri, 9, 0) is not None
    assert await hover_text(stdio_client, uri, 6, 1) is None


async def test_hovering_an_expect_line_shows_what_the_sandbox_printed(
        client: RecordingClient) -> None:
    uri = await open_document(client, "; expect: 1\n; expect: 2\n    PUSH #1\n    PRINT\n"
                                      "    PUSH #3\n    PRINT\n")
    assert await hover_text(client, uri, 0, 3) == (
        "**expected output**, line 1 of what the program prints: `1`\n\n"
        "The sandbox run printed exactly this.")
    second = await hover_text(client, uri, 1, 3)
    assert second is not None and second.endswith("The sandbox run printed `3` instead.")


async def test_definition_of_labels_and_memory_names(client: RecordingClient) -> None:
    uri = await open_document(client, PROGRAM)
    label = await client.text_document_definition_async(T.DefinitionParams(
        text_document=document(uri), position=position(3, 9)))
    assert isinstance(label, T.Location)
    assert (label.range.start.line, label.range.start.character, label.range.end.character) == (
        9, 0, 4)
    memory = await client.text_document_definition_async(T.DefinitionParams(
        text_document=document(uri), position=position(5, 10)))
    assert isinstance(memory, T.Location)
    assert memory.range.start.line == 1
    nothing = await client.text_document_definition_async(T.DefinitionParams(
        text_document=document(uri), position=position(6, 5)))
    assert nothing is None


async def test_references_and_highlight(client: RecordingClient) -> None:
    uri = await open_document(client, PROGRAM)
    found = await client.text_document_references_async(T.ReferenceParams(
        text_document=document(uri), position=position(4, 1),
        context=T.ReferenceContext(include_declaration=True)))
    assert sorted(r.range.start.line for r in found or []) == [2, 4]
    found = await client.text_document_references_async(T.ReferenceParams(
        text_document=document(uri), position=position(4, 1),
        context=T.ReferenceContext(include_declaration=False)))
    assert [r.range.start.line for r in found or []] == [2]
    marks = await client.text_document_document_highlight_async(T.DocumentHighlightParams(
        text_document=document(uri), position=position(1, 10)))
    assert [(h.range.start.line, h.kind) for h in marks or []] == [
        (1, T.DocumentHighlightKind.Write), (5, T.DocumentHighlightKind.Read)]


async def test_rename_a_label(stdio_client: RecordingClient) -> None:
    uri = await open_document(stdio_client, PROGRAM)
    prepared = await stdio_client.text_document_prepare_rename_async(T.PrepareRenameParams(
        text_document=document(uri), position=position(2, 10)))
    assert isinstance(prepared, T.PrepareRenamePlaceholder)
    assert prepared.placeholder == "show"
    edit = await stdio_client.text_document_rename_async(T.RenameParams(
        text_document=document(uri), position=position(2, 10), new_name="display"))
    assert edit is not None and edit.changes is not None
    assert sorted((e.range.start.line, e.new_text) for e in edit.changes[uri]) == [
        (2, "display"), (4, "display")]


async def test_rename_a_memory_name_keeps_quotes_where_they_were(
        client: RecordingClient) -> None:
    uri = await open_document(client, PROGRAM)
    edit = await client.text_document_rename_async(T.RenameParams(
        text_document=document(uri), position=position(5, 10), new_name="sum"))
    assert edit is not None and edit.changes is not None
    assert sorted((e.range.start.line, e.new_text) for e in edit.changes[uri]) == [
        (1, '"sum"'), (5, "sum")]
    spaced = await client.text_document_rename_async(T.RenameParams(
        text_document=document(uri), position=position(5, 10), new_name="grand total"))
    assert spaced is not None and spaced.changes is not None
    assert {e.new_text for e in spaced.changes[uri]} == {'"grand total"'}


async def test_rename_refuses_an_invalid_label(client: RecordingClient) -> None:
    uri = await open_document(client, PROGRAM)
    with pytest.raises(JsonRpcException, match="not a valid label"):
        await client.text_document_rename_async(T.RenameParams(
            text_document=document(uri), position=position(2, 10), new_name="9 lives"))
    nothing = await client.text_document_prepare_rename_async(T.PrepareRenameParams(
        text_document=document(uri), position=position(6, 5)))
    assert nothing is None


async def test_document_symbols_nest_labels_under_subroutines(client: RecordingClient) -> None:
    uri = await open_document(client, PROGRAM)
    symbols = await client.text_document_document_symbol_async(T.DocumentSymbolParams(
        text_document=document(uri)))
    assert symbols is not None
    shape = [(s.name, s.kind, [c.name for c in s.children or []]) for s in symbols
             if isinstance(s, T.DocumentSymbol)]
    assert shape == [("show", T.SymbolKind.Function, ["again"]),
                     ("done", T.SymbolKind.Key, [])]


async def test_workspace_symbols_over_open_documents(client: RecordingClient) -> None:
    first = await open_document(client, PROGRAM)
    second = await open_document(client, "start:\n    JMP start\n")
    found = await client.workspace_symbol_async(T.WorkspaceSymbolParams(query="STA"))
    assert [(s.name, s.location.uri) for s in found or []
            if isinstance(s.location, T.Location)] == [("start", second)]
    everything = await client.workspace_symbol_async(T.WorkspaceSymbolParams(query=""))
    assert {s.name for s in everything or []} == {"show", "again", "done", "start"}
    assert first != second


async def test_navigation_works_on_code_that_does_not_assemble(client: RecordingClient) -> None:
    uri = await open_document(client, "loop:\n    PUSHH #1\n    JMP loop\n")
    found = await client.text_document_definition_async(T.DefinitionParams(
        text_document=document(uri), position=position(2, 9)))
    assert isinstance(found, T.Location) and found.range.start.line == 0


async def test_requests_for_unknown_documents_answer_empty(client: RecordingClient) -> None:
    ghost = document("file:///nowhere/ghost.sov")
    assert await client.text_document_hover_async(T.HoverParams(
        text_document=ghost, position=position(0, 0))) is None
    assert await client.text_document_document_symbol_async(T.DocumentSymbolParams(
        text_document=ghost)) == []


async def test_a_hover_does_not_wait_for_the_analysis_of_a_large_document(
        client: RecordingClient) -> None:
    """Analysing 30,000 chained subroutines takes about a second; the hover sent right
    after the document opens is answered before that document's diagnostics come."""
    lines = ["    CALL s0", "    HALT"]
    for k in range(29_999):
        lines += [f"s{k}:", f"    CALL s{k + 1}", "    RET"]
    uri = new_uri()
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=uri, language_id="sovereign", version=1,
        text="\n".join([*lines, "s29999:", "    RET"]))))
    await asyncio.sleep(0.05)  # the check is under way (on the loop, this would block)
    found = await client.text_document_hover_async(T.HoverParams(
        text_document=document(uri), position=position(0, 5)))
    assert found is not None and "CALL" in str(found.contents)
    assert not publications(client, uri, 1)
    assert await settled(client, uri, 1, runtime=False) == []  # and the analysis is right
