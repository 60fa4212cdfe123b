"""LLMGEN in the editor, end to end: the real server over stdio asking the scripted Ollama."""

from __future__ import annotations

import asyncio
import json

import pytest
from lsprotocol import types as T
from pygls.exceptions import JsonRpcRequestCancelled

from tests.llm.fake_ollama import FakeOllama

from .conftest import RecordingClient
from .helpers import applied, document, open_document, position, settled

SOURCE = "PUSH #3\nSTORE n\n; gen: print n twice\nHALT\n"


def scripted(client: RecordingClient) -> FakeOllama:
    assert client.ollama is not None
    return client.ollama


def states(client: RecordingClient) -> list[str]:
    return [getattr(s, "state", None) or s["state"] for s in client.statuses]  # type: ignore[index]


INVOKED = T.CompletionContext(trigger_kind=T.CompletionTriggerKind.Invoked)
TYPED_BLANK = T.CompletionContext(trigger_kind=T.CompletionTriggerKind.TriggerCharacter,
                                  trigger_character=" ")


async def complete(client: RecordingClient, uri: str, line: int,
                   context: T.CompletionContext = INVOKED) -> T.CompletionList:
    found = await client.text_document_completion_async(T.CompletionParams(
        text_document=document(uri), position=position(line, 5), context=context))
    assert isinstance(found, T.CompletionList)
    return found


def generations(ollama: FakeOllama) -> list[object]:
    return [body for path, body in ollama.requests if path in ("/api/generate", "/api/chat")]


async def test_the_first_ctrl_space_brings_the_generated_item(
        stdio_llm_client: RecordingClient) -> None:
    ollama = scripted(stdio_llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["Here it is:\n```sovereign\nPUSH #3\nDUP\n",
                                             "PRINT\nPRINT\n```<|im_end|>"])
    uri = await open_document(stdio_llm_client, SOURCE)
    first = await complete(stdio_llm_client, uri, 2)
    assert not first.is_incomplete
    (item,) = [i for i in first.items if i.label.startswith("Generate:")]
    assert item.label == "Generate: print n twice"
    assert isinstance(item.text_edit, T.TextEdit)
    assert item.text_edit.new_text == "; gen: print n twice\nPUSH #3\nDUP\nPRINT\nPRINT"
    assert item.detail == "qwen2.5-coder:7b · ran in the sandbox: prints 3, 3"


async def test_a_typed_blank_on_a_request_line_asks_no_model(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #1\nPRINT"])
    uri = await open_document(llm_client, SOURCE)
    typed = await complete(llm_client, uri, 2, TYPED_BLANK)
    assert typed.items == ()
    assert generations(ollama) == []


async def test_ghost_text_waits_for_the_prompt_to_be_finished(
        llm_client: RecordingClient) -> None:
    """The editor asks for ghost text on every keystroke; only the finished line, idle for
    the debounce with the cursor at its end, reaches the model."""
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #1\nPRINT"])
    await settings_changed(llm_client, {"llm": {"debounceMs": 300}})
    uri = await open_document(llm_client, "; gen: \n")
    prompt = "print one"
    asked = []
    for typed in range(1, len(prompt) + 1):
        text = f"; gen: {prompt[:typed]}\n"
        llm_client.text_document_did_change(T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=typed + 1),
            content_changes=[T.TextDocumentContentChangeWholeDocument(text=text)]))
        asked.append(asyncio.ensure_future(llm_client.text_document_inline_completion_async(
            T.InlineCompletionParams(
                text_document=document(uri), position=position(0, len(text) - 1),
                context=T.InlineCompletionContext(
                    trigger_kind=T.InlineCompletionTriggerKind.Automatic)))))
        await asyncio.sleep(0.05)  # typing: faster than the debounce
    answers = await asyncio.gather(*asked)
    assert [len(a.items) if a else 0 for a in answers] == [0] * (len(prompt) - 1) + [1]
    (asked_model,) = generations(ollama)
    assert "print one" in json.dumps(asked_model)
    middle = await llm_client.text_document_inline_completion_async(T.InlineCompletionParams(
        text_document=document(uri), position=position(0, 9),
        context=T.InlineCompletionContext(trigger_kind=T.InlineCompletionTriggerKind.Automatic)))
    assert middle is None or middle.items  # mid-line: only what is ready, never a new call
    assert len(generations(ollama)) == 1


async def settings_changed(client: RecordingClient, changes: dict[str, object]) -> None:
    """Merge `changes` into the client's sovereign settings and wait for the server to read
    them (it logs the settings it uses)."""
    current = dict(client.get_configuration(section="sovereign") or {})
    for key, value in changes.items():
        current[key] = {**current.get(key, {}), **value} if isinstance(value, dict) else value
    client.set_configuration(current, section="sovereign")
    logged = len(client.log_messages)
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(settings=None))
    await client.until(lambda: any("settings:" in m.message
                                   for m in client.log_messages[logged:]))


async def test_inline_completion_brings_the_code(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["LOAD n\nPRINT"])
    uri = await open_document(llm_client, SOURCE)
    found = await llm_client.text_document_inline_completion_async(T.InlineCompletionParams(
        text_document=document(uri), position=position(2, 20),
        context=T.InlineCompletionContext(trigger_kind=T.InlineCompletionTriggerKind.Invoked)))
    assert isinstance(found, T.InlineCompletionList)
    assert found.items[0].insert_text == "; gen: print n twice\nLOAD n\nPRINT"


async def test_an_invalid_answer_is_refused_once_and_not_offered(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["PUSHH n"])
    uri = await open_document(llm_client, SOURCE)
    first = await complete(llm_client, uri, 2)
    assert first.items == ()
    assert "refused" in states(llm_client)
    again = await complete(llm_client, uri, 2)
    assert (again.is_incomplete, again.items) == (False, ())
    generations = [p for p, _ in ollama.requests if p == "/api/generate" or p == "/api/chat"]
    assert len(generations) == 3  # three attempts with feedback, then no more asking
    status = llm_client.statuses[-1]
    message = getattr(status, "message", "")
    assert "no valid code after 3 attempts" in message and "unknown opcode" in message
    # what any client shows: the reason once as a message (the user asked), and in the log
    shown = [m for m in llm_client.messages if "no valid code after 3 attempts" in m.message]
    assert [m.type for m in shown] == [T.MessageType.Warning]
    assert any(m.type == T.MessageType.Warning and "no valid code" in m.message
               for m in llm_client.log_messages)


async def test_cancelling_closes_the_upstream_request(stdio_llm_client: RecordingClient) -> None:
    ollama = scripted(stdio_llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["NOP\n"] * 200, delay=0.05)
    uri = await open_document(stdio_llm_client, SOURCE)
    future = asyncio.wrap_future(stdio_llm_client.protocol.send_request(
        T.TEXT_DOCUMENT_INLINE_COMPLETION,
        T.InlineCompletionParams(
            text_document=document(uri), position=position(2, 20),
            context=T.InlineCompletionContext(
                trigger_kind=T.InlineCompletionTriggerKind.Invoked)),
        msg_id="inline-1"))
    assert await ollama.asked("/api/generate")  # the request reaches the scripted server
    stdio_llm_client.cancel_request(T.CancelParams(id="inline-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await future
    assert await ollama.disconnected(), "the upstream request was not closed"


async def test_the_command_inserts_the_code(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["LOAD n\nPRINT"])
    uri = await open_document(llm_client, SOURCE)
    answer = await llm_client.workspace_execute_command_async(T.ExecuteCommandParams(
        command="sovereign.server.generate", arguments=[uri, 2]))
    assert answer["ok"] is True and answer["code"] == "LOAD n\nPRINT"
    (edit,) = llm_client.applied
    assert edit.document_changes is not None
    (change,) = edit.document_changes
    assert isinstance(change, T.TextDocumentEdit) and change.text_document.version == 1
    assert applied(SOURCE, change.edits) == SOURCE.replace("twice\n", "twice\nLOAD n\nPRINT\n")
    nothing = await llm_client.workspace_execute_command_async(T.ExecuteCommandParams(
        command="sovereign.server.generate", arguments=[uri, 0]))
    assert nothing["ok"] is False and "asks for nothing" in nothing["reason"]


async def test_the_sandbox_runs_past_an_llmgen_line_once_it_has_an_answer(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #7\nPRINT"])
    text = 'LLMGEN "print seven"\nSTORE code\nPUSH #1\nPUSH #0\nDIV\n'
    uri = await open_document(llm_client, text)
    assert [d.code for d in await settled(llm_client, uri, 1)] == ["R330"]
    await llm_client.workspace_execute_command_async(T.ExecuteCommandParams(
        command="sovereign.server.generate", arguments=[uri, 0]))
    llm_client.text_document_did_change(T.DidChangeTextDocumentParams(
        text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[T.TextDocumentContentChangeWholeDocument(text=text)]))
    assert [d.code for d in await settled(llm_client, uri, 2)] == ["R301"]


async def test_vs_code_tells_a_refusal_in_its_status_bar_not_in_a_message(
        vscode_client: RecordingClient) -> None:
    ollama = scripted(vscode_client)
    ollama.script("qwen2.5-coder:7b", chunks=["PUSHH n"])
    uri = await open_document(vscode_client, SOURCE)
    assert (await complete(vscode_client, uri, 2)).items == ()
    assert "refused" in states(vscode_client)
    assert not [m for m in vscode_client.messages if "no valid code" in m.message]


async def test_with_ollama_down_completion_still_works_and_the_user_is_told_once(
        offline_client: RecordingClient) -> None:
    uri = await open_document(offline_client, SOURCE + "    \n")
    await complete(offline_client, uri, 2)
    assert "unavailable" in states(offline_client)
    for _ in range(3):
        await complete(offline_client, uri, 2)
    ordinary = await complete(offline_client, uri, 4)
    assert "PUSH" in [i.label for i in ordinary.items]
    assert states(offline_client) == ["unavailable"]
    shown = [m for m in offline_client.messages if "not reachable" in m.message]
    assert len(shown) == 1 and shown[0].type == T.MessageType.Warning


async def test_a_slow_generation_reports_progress_that_can_cancel_it(
        stdio_llm_client: RecordingClient) -> None:
    ollama = scripted(stdio_llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["NOP\n"] * 400, delay=0.02)
    uri = await open_document(stdio_llm_client, SOURCE)
    waiting = asyncio.ensure_future(complete(stdio_llm_client, uri, 2))
    await stdio_llm_client.until(lambda: any(len(r) >= 2 for r in
                                       stdio_llm_client.progress_reports.values()), timeout=30)
    token, reports = next(iter(stdio_llm_client.progress_reports.items()))
    begin, *rest = reports
    assert isinstance(begin, T.WorkDoneProgressBegin) and begin.cancellable
    assert any(isinstance(r, T.WorkDoneProgressReport) and "tokens received" in (r.message or "")
               for r in rest)
    stdio_llm_client.window_work_done_progress_cancel(T.WorkDoneProgressCancelParams(token=token))
    assert await ollama.disconnected(), "cancelling the progress did not stop the generation"
    assert (await waiting).items == ()  # the request is answered, with nothing generated


async def test_the_model_picker_lists_the_hosts_models(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b")
    ollama.script("llama3.2:3b", capabilities=["completion"])
    answer = await llm_client.workspace_execute_command_async(T.ExecuteCommandParams(
        command="sovereign.server.models"))
    assert [m["name"] for m in answer["models"]] == ["qwen2.5-coder:7b", "llama3.2:3b"]
    assert "fill-in-the-middle" in answer["models"][0]["capabilities"]
    assert answer["problems"] == [] and answer["selected"] is None


async def test_snippet_syntax_in_the_code_is_escaped(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=['PUSH "cost: $5 {net}"\nPRINT'])
    uri = await open_document(llm_client, "; gen: print the cost in $\n")
    (item,) = [i for i in (await complete(llm_client, uri, 0)).items
               if i.label.startswith("Generate:")]
    assert isinstance(item.text_edit, T.TextEdit)
    assert item.text_edit.new_text == \
        '; gen: print the cost in \\$\nPUSH "cost: \\$5 {net\\}"\nPRINT'


GREETING = ('    PUSH "Ada"\n    STORE name\n; gen: greet name\n    PUSH "bye"\n    PRINT\n')


async def test_completion_never_offers_code_that_fails_where_it_goes(
        llm_client: RecordingClient) -> None:
    """The code reads a name the document stores, so only running it in place can tell: a
    string plus an integer fails, a loop never ends; the next answer is right."""
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", capabilities=["completion"], by_prompt={"greet name": [
        '```sovereign\nPUSH "Hello, "\nLOAD name\nADD\nPUSH #33\nADD\nPRINT\n```',
        "```sovereign\ngreet_again:\n    LOAD name\n    POP\n    JMP greet_again\n```",
        '```sovereign\nPUSH "Hello, "\nLOAD name\nADD\nPRINT\n```']})
    uri = await open_document(llm_client, GREETING)
    (item,) = [i for i in (await complete(llm_client, uri, 2)).items
               if i.label.startswith("Generate:")]
    assert isinstance(item.text_edit, T.TextEdit)
    assert item.text_edit.new_text.endswith('PUSH "Hello, "\nLOAD name\nADD\nPRINT')
    assert item.detail == "qwen2.5-coder:7b · ran in the sandbox: prints Hello, Ada, bye"
    asked = [body for path, body in ollama.requests if path == "/api/chat"]
    assert len(asked) == 3
    assert "fails when run: TypeMismatch" in asked[1]["messages"][-1]["content"]


async def test_a_whole_program_answer_is_a_minimal_edit(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    rewritten = GREETING.replace("; gen: greet name\n", 'PUSH "Hi"\nPRINT\n')
    ollama.script("qwen2.5-coder:7b", capabilities=["completion"],
                  chunks=[f"I rewrote the program:\n```sovereign\n{rewritten}```"])
    uri = await open_document(llm_client, GREETING)
    (item,) = [i for i in (await complete(llm_client, uri, 2)).items
               if i.label.startswith("Generate:")]
    assert isinstance(item.text_edit, T.TextEdit)
    assert item.text_edit.new_text == '; gen: greet name\nPUSH "Hi"\nPRINT'
    assert item.additional_text_edits is None  # nothing else changed, so nothing else is edited


async def test_the_editor_reaches_an_openai_server_that_needs_its_key(
        llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.api_key = "sk-local"
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #2\nPRINT"])
    await settings_changed(llm_client, {"llm": {"host": None, "openai": [ollama.url],
                                                "apiKey": "sk-local"}})
    uri = await open_document(llm_client, SOURCE)
    (item,) = [i for i in (await complete(llm_client, uri, 2)).items
               if i.label.startswith("Generate:")]
    assert item.detail is not None and item.detail.startswith("qwen2.5-coder:7b ·")
    assert any(path == "/v1/chat/completions" for path, _ in ollama.requests)
    await settings_changed(llm_client, {"llm": {"apiKey": "wrong"}})
    other = await open_document(llm_client, SOURCE.replace("twice", "three times"))
    assert not [i for i in (await complete(llm_client, other, 2)).items
                if i.label.startswith("Generate:")]
    assert "Incorrect API key provided" in llm_client.statuses[-1].message  # type: ignore[attr-defined]


async def test_generation_asks_the_selected_model_first(llm_client: RecordingClient) -> None:
    ollama = scripted(llm_client)
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #1\nPRINT"])
    ollama.script("qwen2.5-coder:1.5b", chunks=["PUSH #1\nPRINT"])
    await settings_changed(llm_client, {"llm": {"model": "qwen2.5-coder:1.5b"}})
    uri = await open_document(llm_client, SOURCE)
    await complete(llm_client, uri, 2)
    asked = {body["model"] for _, body in ollama.requests
             if isinstance(body, dict) and ("prompt" in body or "messages" in body)}
    assert asked == {"qwen2.5-coder:1.5b"}
