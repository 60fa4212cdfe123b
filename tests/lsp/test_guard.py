"""The guard cannot hide a broken feature: every handler runs under it, and a handler that
raises is counted, so the harness (which asserts that nothing was counted) fails the test.

For each registered handler in turn, the handler is replaced by one that raises at its top,
and a tour that calls every feature once must end in the harness's failure, naming it.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as T
from pygls.exceptions import JsonRpcException

from sovereign.lsp import server as server_module
from sovereign.lsp.lifecycle import HEALTH
from sovereign.lsp.main import create_server
from tests.llm.fake_ollama import FakeOllama

from .conftest import VSCODE, RecordingClient, _llm_settings, in_process
from .helpers import change, document, position

PROGRAM = """\
start:
    PUSH #1
    STORE count
    ; gen: print the count
    CALL work
    HALT
work:
    LOAD count
    PUSH #0
    DIV
    RET
"""
UNGUARDED = {HEALTH}
"""Answers the guard's count itself."""


def handlers() -> dict[str, Callable[..., Any]]:
    """Every request, notification and command the server registers, as the feature module
    wrote it (under the guard)."""
    server = create_server()
    try:
        registered = {**server.protocol.fm.features, **server.protocol.fm.commands}
        return {name: wrapped.func for name, wrapped in registered.items()}
    finally:
        server.close()


def test_every_handler_runs_under_the_guard() -> None:
    unguarded = [name for name, handler in handlers().items()
                 if not hasattr(handler, "__wrapped__") and name not in UNGUARDED]
    assert not unguarded


GUARDED = sorted(name for name, handler in handlers().items() if name not in UNGUARDED)


def raising(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A handler of the same kind (sync or async) that fails at once."""
    if inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def fail_async(*args: Any) -> Any:
            raise RuntimeError("injected")

        return fail_async

    @functools.wraps(handler)
    def fail(*args: Any) -> Any:
        raise RuntimeError("injected")

    return fail


async def tour(client: RecordingClient) -> None:
    """Every feature once, on a document with a runtime error and a generation request."""
    uri = "file:///tmp/sovereign-tests/guard.sov"
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=uri, language_id="sovereign", version=1, text=PROGRAM)))
    change(client, uri, 2, 1, 10, 10, " ")
    doc, here, label = document(uri), position(1, 5), position(4, 10)
    everywhere = T.Range(start=position(0, 0), end=position(11, 0))
    await client.text_document_hover_async(T.HoverParams(text_document=doc, position=here))
    await client.text_document_definition_async(T.DefinitionParams(text_document=doc,
                                                                   position=label))
    await client.text_document_references_async(T.ReferenceParams(
        text_document=doc, position=label, context=T.ReferenceContext(include_declaration=True)))
    await client.text_document_document_highlight_async(T.DocumentHighlightParams(
        text_document=doc, position=label))
    await client.text_document_prepare_rename_async(T.PrepareRenameParams(text_document=doc,
                                                                           position=label))
    await client.text_document_rename_async(T.RenameParams(text_document=doc, position=label,
                                                           new_name="job"))
    await client.text_document_document_symbol_async(T.DocumentSymbolParams(text_document=doc))
    await client.workspace_symbol_async(T.WorkspaceSymbolParams(query="w"))
    await client.text_document_completion_async(T.CompletionParams(text_document=doc,
                                                                   position=here))
    options = T.FormattingOptions(tab_size=4, insert_spaces=True)
    await client.text_document_formatting_async(T.DocumentFormattingParams(
        text_document=doc, options=options))
    await client.text_document_range_formatting_async(T.DocumentRangeFormattingParams(
        text_document=doc, range=everywhere, options=options))
    await client.text_document_folding_range_async(T.FoldingRangeParams(text_document=doc))
    await client.text_document_semantic_tokens_full_async(T.SemanticTokensParams(
        text_document=doc))
    await client.text_document_semantic_tokens_range_async(T.SemanticTokensRangeParams(
        text_document=doc, range=everywhere))
    await client.text_document_inlay_hint_async(T.InlayHintParams(text_document=doc,
                                                                  range=everywhere))
    await client.text_document_code_lens_async(T.CodeLensParams(text_document=doc))
    await client.text_document_inline_completion_async(T.InlineCompletionParams(
        text_document=doc, position=position(3, 26), context=T.InlineCompletionContext(
            trigger_kind=T.InlineCompletionTriggerKind.Invoked)))
    division = T.Diagnostic(range=T.Range(start=position(9, 4), end=position(9, 7)),
                            message="division by zero", code="R201", source="sovereign")
    actions = await client.text_document_code_action_async(T.CodeActionParams(
        text_document=doc, range=division.range,
        context=T.CodeActionContext(diagnostics=[division])))
    with contextlib.suppress(JsonRpcException):  # refused as modified if never opened
        await client.code_action_resolve_async(
            next((a for a in actions or [] if isinstance(a, T.CodeAction)),
                 T.CodeAction(title="Evolve this block", data={"uri": uri, "version": 2})))
    for command, arguments in (("sovereign.server.run", [uri, {"quiet": True}]),
                               ("sovereign.server.models", []),
                               ("sovereign.server.generate", [uri, 3]),
                               ("sovereign.server.evolveSelection", [uri, everywhere, ""])):
        await client.workspace_execute_command_async(T.ExecuteCommandParams(
            command=command, arguments=arguments))
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(settings=None))
    client.text_document_did_close(T.DidCloseTextDocumentParams(text_document=doc))
    await client.protocol.send_request_async(HEALTH, None)  # after everything sent before it


async def test_the_tour_calls_every_handler_without_a_failure(ollama: FakeOllama,
                                                              tmp_path: Path) -> None:
    called: set[str] = set()
    async with in_process(_llm_settings(ollama.url, tmp_path / "m.sqlite3"), VSCODE) as client:
        original = client.protocol.send_request_async

        async def noting(method: str, params: Any = None, msg_id: Any = None) -> Any:
            called.add(params.command if method == T.WORKSPACE_EXECUTE_COMMAND else method)
            return await original(method, params, msg_id)

        client.protocol.send_request_async = noting  # type: ignore[method-assign]
        await tour(client)
    notifications = {T.INITIALIZE, T.INITIALIZED, T.TEXT_DOCUMENT_DID_OPEN,
                     T.TEXT_DOCUMENT_DID_CHANGE, T.TEXT_DOCUMENT_DID_CLOSE,
                     T.WORKSPACE_DID_CHANGE_CONFIGURATION}
    assert set(GUARDED) - notifications <= called


@pytest.mark.parametrize("name", GUARDED)
async def test_a_raise_in_any_handler_fails_the_test(name: str, ollama: FakeOllama,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    handler = handlers()[name].__wrapped__  # type: ignore[attr-defined]
    monkeypatch.setattr(sys.modules[handler.__module__], handler.__name__, raising(handler))
    monkeypatch.setattr(server_module, "SETTINGS_WAIT", 0.2)  # `initialized` never ends
    with pytest.raises(AssertionError, match=f"'{handler.__name__}': [1-9]"):
        async with in_process(_llm_settings(ollama.url, tmp_path / "m.sqlite3"),
                              VSCODE) as client:
            await tour(client)
