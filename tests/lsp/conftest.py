"""A real server over stdio, driven by pytest-lsp's client, which also records every
publishDiagnostics so that tests can wait for a given version without sleeping."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest_lsp
from lsprotocol import types as T
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.llm.fake_ollama import FakeOllama

SERVER = [sys.executable, "-m", "sovereign", "lsp", "--stdio"]
"""Exactly what vscode-languageclient runs: the configured command, then `--stdio`."""
FAST = {"diagnostics": {"debounceMs": 20}}


class RecordingClient(LanguageClient):
    """Keeps every published diagnostics notification, in order."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[T.PublishDiagnosticsParams] = []
        self.statuses: list[object] = []
        self.ollama: FakeOllama | None = None
        self.applied: list[T.WorkspaceEdit] = []
        self.server_capabilities = T.ServerCapabilities()
        self._arrived: asyncio.Event | None = None

    def record(self, params: T.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        self.diagnostics[params.uri] = params.diagnostics
        self._wake()

    def note_status(self, params: object) -> None:
        self.statuses.append(params)
        self._wake()

    def _wake(self) -> None:
        if self._arrived is not None:
            self._arrived.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 30) -> None:
        """Wait until `condition()` holds, re-testing it after each notification."""
        async def wait() -> None:
            while not condition():
                self._arrived = asyncio.Event()
                await self._arrived.wait()

        await asyncio.wait_for(wait(), timeout)


def _record(client: LanguageClient, params: T.PublishDiagnosticsParams) -> None:
    assert isinstance(client, RecordingClient)
    client.record(params)


def _status(client: LanguageClient, params: object) -> None:
    assert isinstance(client, RecordingClient)
    client.note_status(params)


def _apply(client: LanguageClient,
           params: T.ApplyWorkspaceEditParams) -> T.ApplyWorkspaceEditResult:
    assert isinstance(client, RecordingClient)
    client.applied.append(params.edit)
    return T.ApplyWorkspaceEditResult(applied=True)


def _progress(client: LanguageClient, params: T.ProgressParams) -> None:
    DEFAULT_CLIENT_FEATURES[T.PROGRESS](client, params)
    assert isinstance(client, RecordingClient)
    client._wake()


def _log(client: LanguageClient, params: T.LogMessageParams) -> None:
    DEFAULT_CLIENT_FEATURES[T.WINDOW_LOG_MESSAGE](client, params)
    assert isinstance(client, RecordingClient)
    client._wake()


def _recording_client() -> RecordingClient:
    client = RecordingClient()
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _record,
                                   T.PROGRESS: _progress,
                                   T.WINDOW_LOG_MESSAGE: _log,
                                   "sovereign/status": _status,
                                   T.WORKSPACE_APPLY_EDIT: _apply})
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=_recording_client)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: RecordingClient):  # type: ignore[no-untyped-def]
    """A client with VS Code's capabilities and a short debounce."""
    lsp_client.set_configuration(FAST, section="sovereign")
    result = await lsp_client.initialize_session(T.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    lsp_client.server_capabilities = result.capabilities
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def llm_client(lsp_client: RecordingClient):  # type: ignore[no-untyped-def]
    """A VS Code-like client whose server asks a scripted Ollama server (`.ollama`, started
    here: pytest-lsp fixtures cannot take async fixtures)."""
    lsp_client.ollama = FakeOllama()
    url = await lsp_client.ollama.start()
    memory = Path(tempfile.mkdtemp(prefix="sovereign-memory-")) / "evolve.sqlite3"
    lsp_client.set_configuration({**FAST, "llm": {"host": url, "debounceMs": 0},
                                  "evolve": {"memoryPath": str(memory)}}, section="sovereign")
    result = await lsp_client.initialize_session(T.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    lsp_client.server_capabilities = result.capabilities
    yield
    await lsp_client.shutdown_session()
    await lsp_client.ollama.stop()


@pytest_lsp.fixture(config=CONFIG)
async def offline_client(lsp_client: RecordingClient):  # type: ignore[no-untyped-def]
    """A client whose server's LLM host does not answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    lsp_client.set_configuration({**FAST, "llm": {"host": dead, "debounceMs": 0}},
                                 section="sovereign")
    await lsp_client.initialize_session(T.InitializeParams(
        capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


ROOT = Path(__file__).resolve().parents[2]


def extension_client_commands() -> list[str]:
    """The commands the VS Code extension tells the server it runs itself, read from its
    source, so these tests cannot drift from what the extension sends."""
    source = (ROOT / "vscode-extension" / "src" / "config.ts").read_text(encoding="utf-8")
    found = re.search(r"CLIENT_COMMANDS = \[([^\]]*)\]", source)
    assert found is not None, "CLIENT_COMMANDS is not in vscode-extension/src/config.ts"
    return re.findall(r'"([^"]+)"', found.group(1))


@pytest_lsp.fixture(config=CONFIG)
async def vscode_client(lsp_client: RecordingClient):  # type: ignore[no-untyped-def]
    """A client that starts the server as the VS Code extension does: VS Code's capabilities,
    the extension's initialization options, and a scripted Ollama server (`.ollama`)."""
    lsp_client.ollama = FakeOllama()
    url = await lsp_client.ollama.start()
    memory = Path(tempfile.mkdtemp(prefix="sovereign-memory-")) / "evolve.sqlite3"
    lsp_client.set_configuration({**FAST, "llm": {"host": url, "debounceMs": 0},
                                  "evolve": {"memoryPath": str(memory)}}, section="sovereign")
    result = await lsp_client.initialize_session(T.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"clientCommands": extension_client_commands()}))
    lsp_client.server_capabilities = result.capabilities
    yield
    await lsp_client.shutdown_session()
    await lsp_client.ollama.stop()


MINIMAL = T.ClientCapabilities(text_document=T.TextDocumentClientCapabilities(
    completion=T.CompletionClientCapabilities(
        completion_item=T.ClientCompletionItemOptions(snippet_support=False))))


@pytest_lsp.fixture(config=CONFIG)
async def minimal_client(lsp_client: RecordingClient):  # type: ignore[no-untyped-def]
    """A client that declares almost nothing: no snippets, no semantic tokens, no code lens,
    no workspace/configuration."""
    await lsp_client.initialize_session(T.InitializeParams(capabilities=MINIMAL))
    yield
    await lsp_client.shutdown_session()
