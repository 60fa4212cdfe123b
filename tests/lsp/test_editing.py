"""Completion, formatting, folding, semantic tokens, inlay hints, the Run lens and command."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as T
from pygls.exceptions import JsonRpcRequestCancelled

from sovereign.lang.assembler import assemble
from sovereign.lang.opcodes import OPCODES

from .conftest import RecordingClient
from .helpers import change, document, open_document, position, settled

PROGRAM = """\
; totals
start:
    PUSH #1
    STORE count
    llmgen "write code"
    CALL work
    HALT
work:
    LOAD count
    JMP start
"""


async def complete(client: RecordingClient, uri: str, line: int,
                   col: int) -> list[T.CompletionItem]:
    found = await client.text_document_completion_async(T.CompletionParams(
        text_document=document(uri), position=position(line, col)))
    assert isinstance(found, T.CompletionList)
    return list(found.items)


async def test_completion_of_opcodes_with_snippets(stdio_client: RecordingClient) -> None:
    uri = await open_document(stdio_client, "    \n")
    items = await complete(stdio_client, uri, 0, 4)
    labels = [i.label for i in items]
    assert labels[:3] == ["PUSH", "POP", "DUP"]
    assert len(labels) == len(OPCODES)
    push = items[0]
    assert push.insert_text == "PUSH #${1:0}"
    assert push.insert_text_format == T.InsertTextFormat.Snippet
    assert isinstance(push.documentation, T.MarkupContent)
    assert "( -- v )" in push.documentation.value
    assert [i.sort_text for i in items] == sorted(i.sort_text or "" for i in items)


async def test_completion_of_labels_and_memory_names(client: RecordingClient) -> None:
    uri = await open_document(client, PROGRAM + "    JMP \n    LOAD \n")
    labels = [i.label for i in await complete(client, uri, 10, 8)]
    assert labels == ["work", "start"]
    names = [i.label for i in await complete(client, uri, 11, 9)]
    assert names == ["count"]
    assert await complete(client, uri, 0, 5) == []


async def test_minimal_client_gets_plain_text_and_no_snippets(
        minimal_client: RecordingClient) -> None:
    uri = await open_document(minimal_client, "\n")
    items = await complete(minimal_client, uri, 0, 0)
    push = next(i for i in items if i.label == "PUSH")
    assert push.insert_text == "PUSH "
    assert push.insert_text_format == T.InsertTextFormat.PlainText
    await settled(minimal_client, uri, 1)
    lenses = await minimal_client.text_document_code_lens_async(T.CodeLensParams(
        text_document=document(uri)))
    assert lenses is not None


async def test_formatting_is_idempotent_and_keeps_meaning(client: RecordingClient) -> None:
    source = "start: push #1 ; one\n\tdup;two\n  ; note\nloop:\n  jnz   loop\n\n"
    uri = await open_document(client, source)
    edits = await client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=document(uri), options=T.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert edits
    lines = source.split("\n")
    for edit in edits:
        assert edit.range.start.line == edit.range.end.line
        lines[edit.range.start.line] = edit.new_text
    formatted = "\n".join(lines)
    assert formatted == ("start: PUSH #1      ; one\n    DUP             ;two\n    ; note\n"
                         "loop:\n    JNZ loop\n\n")
    before, after = assemble(source), assemble(formatted)
    assert [(i.op, i.arg) for i in before.program.code] == [
        (i.op, i.arg) for i in after.program.code]
    assert before.program.labels == after.program.labels
    change(client, uri, 2, 0, 0, 10**6, formatted.split("\n")[0])
    for number, text in enumerate(formatted.split("\n")[1:], start=1):
        change(client, uri, 2 + number, number, 0, 10**6, text)
    await settled(client, uri, 2 + len(lines) - 1, runtime=False)
    again = await client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=document(uri), options=T.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert not again


async def test_range_formatting_touches_only_the_range(client: RecordingClient) -> None:
    uri = await open_document(client, "push #1\npush #2\npush #3\n")
    edits = await client.text_document_range_formatting_async(T.DocumentRangeFormattingParams(
        text_document=document(uri), range=T.Range(start=position(1, 0), end=position(2, 0)),
        options=T.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert [(e.range.start.line, e.new_text) for e in edits or []] == [(1, "    PUSH #2")]


async def test_folding_ranges(client: RecordingClient) -> None:
    uri = await open_document(client, "; a\n; b\n" + PROGRAM)
    folds = await client.text_document_folding_range_async(T.FoldingRangeParams(
        text_document=document(uri)))
    assert [(f.start_line, f.end_line, f.kind) for f in folds or []] == [
        (0, 2, T.FoldingRangeKind.Comment), (3, 8, T.FoldingRangeKind.Region),
        (9, 11, T.FoldingRangeKind.Region)]


def decode(data: list[int], legend: T.SemanticTokensLegend) -> list[tuple[int, int, int, str,
                                                                          list[str]]]:
    tokens, line, start = [], 0, 0
    for index in range(0, len(data), 5):
        delta_line, delta_start, length, kind, bits = data[index:index + 5]
        line += delta_line
        start = start + delta_start if delta_line == 0 else delta_start
        modifiers = [m for n, m in enumerate(legend.token_modifiers) if bits & (1 << n)]
        tokens.append((line, start, length, legend.token_types[kind], modifiers))
    return tokens


async def test_semantic_tokens_full_and_range(stdio_client: RecordingClient) -> None:
    uri = await open_document(stdio_client, PROGRAM)
    provider = stdio_client.server_capabilities.semantic_tokens_provider
    assert isinstance(provider, T.SemanticTokensRegistrationOptions | T.SemanticTokensOptions)
    legend = provider.legend
    full = await stdio_client.text_document_semantic_tokens_full_async(T.SemanticTokensParams(
        text_document=document(uri)))
    assert full is not None
    tokens = decode(list(full.data), legend)
    assert tokens[:4] == [(0, 0, 8, "comment", []), (1, 0, 5, "label", ["declaration"]),
                          (2, 4, 4, "keyword", []), (2, 9, 2, "number", [])]
    assert (4, 4, 6, "keyword", ["llm"]) in tokens
    assert (3, 10, 5, "variable", ["modification"]) in tokens
    assert (7, 0, 4, "function", ["declaration"]) in tokens
    part = await stdio_client.text_document_semantic_tokens_range_async(T.SemanticTokensRangeParams(
        text_document=document(uri), range=T.Range(start=position(8, 0), end=position(9, 7))))
    assert part is not None
    assert decode(list(part.data), legend) == [
        (8, 4, 4, "keyword", []), (8, 9, 5, "variable", []), (9, 4, 3, "keyword", []),
        (9, 8, 5, "label", [])]


async def test_inlay_hints_follow_the_setting(client: RecordingClient) -> None:
    uri = await open_document(client, 'PUSH #1\nPUSH "a"\nSWAP\nPOP\nPOP\n')
    params = T.InlayHintParams(text_document=document(uri),
                               range=T.Range(start=position(0, 0), end=position(5, 0)))
    assert not await client.text_document_inlay_hint_async(params)
    client.set_configuration({"inlayHints": {"enabled": True}}, section="sovereign")
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(settings=None))
    await client.until(lambda: len([p for p in client.published if p.uri == uri]) >= 3)
    hints = await client.text_document_inlay_hint_async(params)
    assert [(h.position.line, h.label) for h in hints or []] == [
        (0, "→ 1 [int]"), (1, "→ 2 [int str]"), (2, "→ 2 [str int]"), (3, "→ 1 [str]"),
        (4, "→ 0")]


async def test_live_values_show_what_each_line_left_on_the_stack_in_the_sandbox_run(
        client: RecordingClient) -> None:
    client.set_configuration({"liveValues": True}, section="sovereign")
    uri = await open_document(client, "PUSH #0\nSTORE i\nloop: LOAD i\nPUSH #1\nADD\nDUP\n"
                                      "STORE i ; count\nPUSH #10\nLT\nJNZ loop\nLOAD i\nHALT\n")
    await client.until(lambda: len([p for p in client.published if p.uri == uri]) >= 2)
    hints = await client.text_document_inlay_hint_async(T.InlayHintParams(
        text_document=document(uri), range=T.Range(start=position(0, 0), end=position(12, 0))))
    shown = {h.position.line: (h.position.character, h.label) for h in hints or []}
    assert shown[0] == (7, "⟶ 0")
    assert shown[2] == (12, "⟶ 0 … 9 (×10)")
    assert shown[3] == (7, "⟶ 1 (×10)")  # the same value every time
    assert shown[4] == (3, "⟶ 1 … 10 (×10)")
    assert shown[1] == (7, "⟶ (empty)")
    assert shown[6] == (15, "⟶ 1 … 10 (×10)")  # at the end of the line, after its comment
    assert shown[8] == (2, "⟶ 1 … 0 (×10)")
    assert shown[10] == (6, "⟶ 10")
    assert 9 not in shown and 11 not in shown  # JNZ and HALT end blocks: nothing to say


async def test_run_lens_and_command(client: RecordingClient) -> None:
    uri = await open_document(client, "PUSH 'hi'\nPRINT\nPUSH #1\nPUSH #0\nDIV\n")
    lenses = await client.text_document_code_lens_async(T.CodeLensParams(
        text_document=document(uri)))
    assert lenses is not None
    (lens,) = lenses
    assert lens.command is not None and lens.command.title == "▶ Run"
    result = await client.workspace_execute_command_async(T.ExecuteCommandParams(
        command=lens.command.command, arguments=lens.command.arguments))
    assert result["output"] == "hi\n"
    assert result["ok"] is False
    assert result["code"] == "R301" and "line 5" in result["error"]
    broken = await open_document(client, "PUSHH\n")
    answer = await client.workspace_execute_command_async(T.ExecuteCommandParams(
        command="sovereign.server.run", arguments=[broken]))
    assert answer["ok"] is False and "assembly error" in answer["error"]


async def test_a_cancelled_request_is_answered_as_cancelled(stdio_client: RecordingClient) -> None:
    stdio_client.set_configuration({"sandbox": {"maxSteps": 10**9, "maxMillis": 2000}},
                             section="sovereign")
    stdio_client.workspace_did_change_configuration(T.DidChangeConfigurationParams(settings=None))
    await stdio_client.wait_for_notification(T.WINDOW_LOG_MESSAGE)
    uri = await open_document(stdio_client, "l: JMP l\n")
    future = asyncio.wrap_future(stdio_client.protocol.send_request(
        T.WORKSPACE_EXECUTE_COMMAND,
        T.ExecuteCommandParams(command="sovereign.server.run", arguments=[uri]), msg_id="run-1"))
    stdio_client.cancel_request(T.CancelParams(id="run-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await future
    hover = await stdio_client.text_document_hover_async(T.HoverParams(
        text_document=document(uri), position=position(0, 4)))
    assert hover is not None


@pytest.mark.parametrize("text", ["", "\n" * 3, "x" * 100_000, '"' * 1000 + "\n;😀"])
async def test_every_feature_answers_on_odd_documents(client: RecordingClient, text: str) -> None:
    uri = await open_document(client, text, runtime=False)
    doc = document(uri)
    here = position(0, 0)
    await client.text_document_hover_async(T.HoverParams(text_document=doc, position=here))
    await client.text_document_completion_async(T.CompletionParams(text_document=doc,
                                                                   position=here))
    await client.text_document_semantic_tokens_full_async(T.SemanticTokensParams(
        text_document=doc))
    await client.text_document_folding_range_async(T.FoldingRangeParams(text_document=doc))
    await client.text_document_document_symbol_async(T.DocumentSymbolParams(text_document=doc))
    await client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=doc, options=T.FormattingOptions(tab_size=4, insert_spaces=True)))
    await client.text_document_inlay_hint_async(T.InlayHintParams(
        text_document=doc, range=T.Range(start=here, end=position(5, 0))))
