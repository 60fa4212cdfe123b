"""EVOLVE in the editor, end to end: the real server over stdio asking the scripted Ollama."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types as T
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled

from sovereign.lsp.evolution import PREVIEW_REPAIR, SEARCH_TITLE, TITLE
from tests.llm.fake_ollama import FakeOllama

from .conftest import FAST, VSCODE, RecordingClient, in_process
from .helpers import applied, document, open_document, position, settled
from .test_generation import scripted, settings_changed

BUGGY = "    PUSH #10\n    STORE d\n    CALL ratio\n    PRINT\n    HALT\nratio:\n" \
        "    PUSH #100\n    PUSH #0\n    DIV\n    RET\n"
GOOD = "ratio:\n    PUSH #100\n    LOAD d\n    DIV\n    RET"


def chats(ollama: FakeOllama) -> int:
    return sum(1 for path, _ in ollama.requests if path == "/api/chat")


async def quick_fixes(client: RecordingClient, uri: str, line: int = 8,
                      title: str | None = TITLE) -> list[T.CodeAction]:
    """The quick fixes for the errors on `line`: those titled `title` (by default, the one
    that asks a model), or all."""
    diagnostics = [d for d in await settled(client, uri, 1) if d.range.start.line == line]
    actions = await client.text_document_code_action_async(T.CodeActionParams(
        text_document=document(uri), range=T.Range(start=position(line, 4),
                                                   end=position(line, 4)),
        context=T.CodeActionContext(diagnostics=diagnostics)))
    return [a for a in actions or [] if isinstance(a, T.CodeAction) and
            title in (None, a.title)]


async def resolved_edit(client: RecordingClient, action: T.CodeAction) -> T.TextDocumentEdit:
    """The one document edit that resolving `action` offers."""
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.edit.document_changes
    (change,) = resolved.edit.document_changes
    assert isinstance(change, T.TextDocumentEdit)
    return change


async def test_the_quick_fix_is_listed_without_asking_a_model(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    uri = await open_document(llm_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(llm_client, uri)
    assert (action.title, action.kind, action.edit) == (
        "Evolve this block", T.CodeActionKind.QuickFix, None)
    assert action.diagnostics and action.diagnostics[0].code == "R301"
    assert ollama.requests == []


async def test_resolve_returns_a_versioned_validated_edit_then_memory_serves_it(
        stdio_llm_client: RecordingClient) -> None:
    ollama = scripted(stdio_llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["Fixed:\n```sovereign\n", GOOD, "\n```"])
    uri = await open_document(stdio_llm_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(stdio_llm_client, uri)
    resolved = await stdio_llm_client.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.edit.document_changes
    (change,) = resolved.edit.document_changes
    assert isinstance(change, T.TextDocumentEdit)
    assert change.text_document.version == 1
    assert applied(BUGGY, change.edits) == BUGGY.replace("    PUSH #0\n    DIV",
                                                         "    LOAD d\n    DIV")
    (edit,) = change.edits  # only the line that changed
    assert isinstance(edit, T.AnnotatedTextEdit)
    annotation = (resolved.edit.change_annotations or {})[edit.annotation_id]
    assert annotation.needs_confirmation  # the editor shows it before applying it
    assert annotation.label.startswith("Evolve: repaired by qwen2.5-coder:7b, confidence")
    assert annotation.description is not None
    assert "before: R301 division by zero on line 9" in annotation.description
    assert "after: runs without error and prints 10" in annotation.description
    assert resolved.title.startswith("Evolve this block (qwen2.5-coder:7b, confidence")
    asked = chats(ollama)
    assert asked == 3  # three candidates, all validated
    other = await open_document(stdio_llm_client, BUGGY, uri=uri.replace(".sov", "-again.sov"),
                                runtime=False)
    (again,) = await quick_fixes(stdio_llm_client, other)
    second = await stdio_llm_client.code_action_resolve_async(again)
    assert second.edit is not None
    assert "(remembered)" in second.title
    assert chats(ollama) == asked  # no model was asked the second time


async def test_no_valid_candidate_means_no_edit_and_a_message(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["ratio:\n    HALT"])
    uri = await open_document(llm_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(llm_client, uri)
    resolved = await llm_client.code_action_resolve_async(action)
    assert resolved.edit is None
    message = llm_client.messages[-1].message
    assert "No repair passed validation" in message
    assert "stops the program with HALT" in message


async def test_a_document_edited_during_resolve_gets_no_edit(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=[GOOD], delay=0.5)
    uri = await open_document(llm_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(llm_client, uri)
    pending = asyncio.ensure_future(llm_client.code_action_resolve_async(action))
    assert await ollama.asked("/api/chat")  # the resolve is asking the model
    llm_client.text_document_did_change(T.DidChangeTextDocumentParams(
        text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[T.TextDocumentContentChangeWholeDocument(text=BUGGY + "; edited\n")]))
    with pytest.raises(JsonRpcException) as raised:
        await pending
    assert raised.value.code == -32801


async def test_cancelling_the_resolve_closes_the_upstream_request(
        stdio_llm_client: RecordingClient) -> None:
    ollama = scripted(stdio_llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["NOP\n"] * 300, delay=0.02)
    uri = await open_document(stdio_llm_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(stdio_llm_client, uri)
    future = asyncio.wrap_future(stdio_llm_client.protocol.send_request(
        T.CODE_ACTION_RESOLVE, action, msg_id="resolve-1"))
    assert await ollama.asked("/api/chat")  # the model is streaming its answer
    stdio_llm_client.cancel_request(T.CancelParams(id="resolve-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await future
    assert await ollama.disconnected()


async def test_evolve_selection_with_an_instruction(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #2\nPRINT"])
    uri = await open_document(llm_client, "PUSH #1\nPRINT\nHALT\n")
    answer = await llm_client.workspace_execute_command_async(T.ExecuteCommandParams(
        command="sovereign.server.evolveSelection",
        arguments=[uri, {"start": {"line": 0, "character": 0},
                         "end": {"line": 2, "character": 0}}, "print 2 instead"]))
    assert answer["ok"] is True
    (edit,) = llm_client.applied
    assert edit.document_changes
    change = edit.document_changes[0]
    assert isinstance(change, T.TextDocumentEdit)
    assert applied("PUSH #1\nPRINT\nHALT\n", change.edits) == "PUSH #2\nPRINT\nHALT\n"
    last = ollama.requests[-1][1]["messages"][-1]["content"]
    assert "The user asks: print 2 instead" in last


async def test_evolve_tells_the_status_which_model_repaired(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    uri = await open_document(llm_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(llm_client, uri)
    await llm_client.code_action_resolve_async(action)
    last = llm_client.statuses[-1]
    assert (last.state, last.model) == ("ready", "qwen2.5-coder:7b")  # type: ignore[attr-defined]


async def test_with_ollama_down_evolve_says_an_llm_is_needed(
        offline_client: RecordingClient) -> None:
    uri = await open_document(offline_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(offline_client, uri)
    resolved = await offline_client.code_action_resolve_async(action)
    assert resolved.edit is None and resolved.command is None
    message = offline_client.messages[-1].message
    assert message.startswith("Evolve needs an LLM, and none could be asked: ")
    assert "Ollama is not reachable at" in message
    assert "validation" not in message and "answer:" not in message and "repair:" not in message
    assert offline_client.statuses[-1].state == "unavailable"  # type: ignore[attr-defined]


async def test_evolve_asks_the_selected_model_first(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    ollama.script("qwen2.5-coder:1.5b", chunks=[f"```sovereign\n{GOOD}\n```"])
    await settings_changed(llm_client, {"llm": {"model": "qwen2.5-coder:1.5b"}})
    uri = await open_document(llm_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(llm_client, uri)
    resolved = await llm_client.code_action_resolve_async(action)
    assert "qwen2.5-coder:1.5b" in resolved.title
    asked = [body["model"] for path, body in ollama.requests if path == "/api/chat"]
    assert asked and set(asked) == {"qwen2.5-coder:1.5b"}


async def test_a_repair_keeps_the_comments_of_the_lines_it_changes(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    commented = BUGGY.replace("    PUSH #0\n", "    PUSH #0      ; the divisor\n")
    uri = await open_document(llm_client, commented, runtime=False)
    (action,) = await quick_fixes(llm_client, uri)
    change = await resolved_edit(llm_client, action)
    assert "    LOAD d  ; the divisor\n" in applied(commented, change.edits)


BANK = """\
    PUSH #100
    STORE balance
    PUSH #150
    CALL withdraw
    LOAD balance
    PRINT
    HALT
withdraw:               ; ( amount -- )
    LOAD balance
    SWAP
    SUB
    DUP
    STORE balance
    PUSH #0
    GE
    ASSERT "balance must not go negative"
    RET
"""
WITHOUT_ASSERT = "withdraw:\n    LOAD balance\n    SWAP\n    SUB\n    STORE balance\n    RET"
CAPPED = ("withdraw:\n    DUP\n    LOAD balance\n    GT\n    JZ withdraw_ok\n    POP\n"
          "    LOAD balance\nwithdraw_ok:\n    LOAD balance\n    SWAP\n    SUB\n    DUP\n"
          "    STORE balance\n    PUSH #0\n    GE\n    ASSERT \"balance must not go negative\"\n"
          "    RET")


async def test_the_quick_fix_never_offers_an_edit_that_removes_an_assert(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", by_prompt={"withdraw": [
        f"```sovereign\n{WITHOUT_ASSERT}\n```", f"```sovereign\n{WITHOUT_ASSERT}\n```",
        f"```sovereign\n{CAPPED}\n```"]})
    uri = await open_document(llm_client, BANK, runtime=False)
    (action,) = await quick_fixes(llm_client, uri, line=15)
    resolved = await llm_client.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.edit.document_changes
    (change,) = resolved.edit.document_changes
    assert isinstance(change, T.TextDocumentEdit)
    repaired = applied(BANK, change.edits)
    assert 'ASSERT "balance must not go negative"' in repaired
    assert "    JZ withdraw_ok" in repaired
    assert resolved.title.startswith("Evolve this block (qwen2.5-coder:7b, confidence 0.6")


MISSPELT = "    PUSH #3\n    STORE count\n    LOAD cuont\n    PRINT\n    HALT\n"
UNDERFLOW = "    PUSH #1\n    ADD\n    PRINT\n    HALT\n"


@pytest.fixture
async def no_llm_client(tmp_path: Path) -> AsyncIterator[RecordingClient]:
    """VS Code's capabilities, with the LLM switched off in the settings."""
    settings = {**FAST, "llm": {"enabled": False},
                "evolve": {"memoryPath": str(tmp_path / "evolve.sqlite3")}}
    async with in_process(settings, VSCODE) as joined:
        yield joined


async def test_without_a_model_the_search_repair_is_offered_as_an_edit_to_confirm(
        no_llm_client: RecordingClient) -> None:
    uri = await open_document(no_llm_client, MISSPELT, runtime=False)
    (action,) = await quick_fixes(no_llm_client, uri, line=2, title=None)
    assert (action.title, action.is_preferred) == (SEARCH_TITLE, True)
    assert action.edit is not None and action.edit.document_changes
    (change,) = action.edit.document_changes
    assert isinstance(change, T.TextDocumentEdit) and change.text_document.version == 1
    assert applied(MISSPELT, change.edits) == MISSPELT.replace("cuont", "count")
    annotations = action.edit.change_annotations or {}
    (annotation,) = annotations.values()
    assert annotation.needs_confirmation
    assert annotation.label.startswith("Evolve: repaired by the search, no model (LOAD cuont")


async def test_a_search_that_can_only_guess_lists_the_fix_disabled_with_why(
        no_llm_client: RecordingClient) -> None:
    uri = await open_document(no_llm_client, UNDERFLOW, runtime=False)
    (action,) = await quick_fixes(no_llm_client, uri, line=1, title=None)
    assert action.title == SEARCH_TITLE and action.disabled is not None
    assert "guess" in action.disabled.reason and action.edit is None


async def test_the_extension_previews_a_search_repair_with_its_source(
        vscode_client: RecordingClient) -> None:
    ollama = scripted(vscode_client)
    uri = await open_document(vscode_client, MISSPELT, runtime=False)
    found = await quick_fixes(vscode_client, uri, line=2, title=None)
    assert [a.title for a in found] == [SEARCH_TITLE, TITLE]  # the model only when chosen
    command = found[0].command
    assert command is not None and command.command == PREVIEW_REPAIR
    assert command.arguments is not None
    edit, proof = command.arguments
    (change,) = edit["documentChanges"]
    assert change["textDocument"]["version"] == 1
    assert [e["newText"] for e in change["edits"]] == ["    LOAD count"]
    assert (proof["source"], proof["after"]) == ("search", "runs without error and prints 3")
    assert ollama.requests == []
