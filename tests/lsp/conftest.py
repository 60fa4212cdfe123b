"""Servers for the protocol tests, driven by pytest-lsp's client, which also records every
notification so that tests can wait for one without sleeping: most run the server in this
process, joined to the client in memory (create_server() builds a fresh one per test); the
`stdio_` fixtures run the real process, started as VS Code starts it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from cattrs import Converter
from lsprotocol import types as T
from pygls.protocol import JsonRPCProtocol, default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from sovereign.lsp.main import LOGGERS, create_server, log_to_client
from tests.llm.fake_ollama import FakeOllama

SERVER = [sys.executable, "-m", "sovereign", "lsp", "--stdio"]
"""Exactly what vscode-languageclient runs: the configured command, then `--stdio`."""
FAST = {"diagnostics": {"debounceMs": 20}}


def _converter() -> Converter:
    """lsprotocol's converter, reading a code action list as VS Code does: an item is a
    Command when its `command` is a string. (lsprotocol takes any item with a `command` for a
    Command, so a CodeAction that carries a command would reach the tests as a bare Command.)"""
    converter = default_converter()

    def command_or_action(item: Any, _: type) -> T.Command | T.CodeAction:
        kind = T.Command if isinstance(item.get("command"), str) else T.CodeAction
        return converter.structure(item, kind)  # type: ignore[no-any-return]

    converter.register_structure_hook(T.Command | T.CodeAction, command_or_action)
    return converter


class RecordingClient(LanguageClient):
    """Keeps every published diagnostics notification, in order."""

    def __init__(self) -> None:
        super().__init__(converter_factory=_converter)
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
"""The real server over stdio, started as the VS Code extension starts it."""

ROOT = Path(__file__).resolve().parents[2]
VSCODE = client_capabilities("visual-studio-code")
MINIMAL = T.ClientCapabilities(text_document=T.TextDocumentClientCapabilities(
    completion=T.CompletionClientCapabilities(
        completion_item=T.ClientCompletionItemOptions(snippet_support=False))))


def extension_client_commands() -> list[str]:
    """The commands the VS Code extension tells the server it runs itself, read from its
    source, so these tests cannot drift from what the extension sends."""
    source = (ROOT / "vscode-extension" / "src" / "config.ts").read_text(encoding="utf-8")
    found = re.search(r"CLIENT_COMMANDS = \[([^\]]*)\]", source)
    assert found is not None, "CLIENT_COMMANDS is not in vscode-extension/src/config.ts"
    return re.findall(r'"([^"]+)"', found.group(1))


def extension_initialization_options() -> dict[str, object]:
    """What the VS Code extension sends as `initializationOptions`, read from its source."""
    source = (ROOT / "vscode-extension" / "src" / "server.ts").read_text(encoding="utf-8")
    found = re.search(r"initializationOptions: \{ clientCommands: CLIENT_COMMANDS, "
                      r"showsStatus: (true|false) \}", source)
    assert found is not None, "the initializationOptions in server.ts changed: update this"
    return {"clientCommands": extension_client_commands(),
            "showsStatus": found.group(1) == "true"}


class _Pipe:
    """One direction of an in-memory connection: what one side writes, the other handles on
    the next turn of the event loop, as if it had come over a socket."""

    def __init__(self, reader: JsonRPCProtocol) -> None:
        self.reader = reader

    def write(self, data: bytes) -> None:
        message = json.loads(data, object_hook=self.reader.structure_message)
        asyncio.get_running_loop().call_soon(self.reader.handle_message, message)

    def close(self) -> None:
        pass


@contextlib.asynccontextmanager
async def in_process(settings: dict[str, object] | None, capabilities: T.ClientCapabilities,
                     options: dict[str, object] | None = None,
                     ) -> AsyncIterator[RecordingClient]:
    """A server built by create_server() in this process, and a recording client joined to
    it in memory: the protocol as over stdio, without a process start. At the end the test
    asserts that no feature failed on what it sent."""
    server = create_server()
    client = _recording_client()
    server.protocol.set_writer(_Pipe(client.protocol), include_headers=False)  # type: ignore[arg-type]
    client.protocol.set_writer(_Pipe(server.protocol), include_headers=False)  # type: ignore[arg-type]
    log = log_to_client(server)
    if settings is not None:
        client.set_configuration(settings, section="sovereign")
    try:
        result = await client.initialize_session(T.InitializeParams(
            capabilities=capabilities, initialization_options=options))
        client.server_capabilities = result.capabilities
        yield client
        await client.shutdown_async(None)
        assert not server.failures, f"features failed: {dict(server.failures)}"
    finally:
        for name, _ in LOGGERS:  # as they were: other tests read the log with caplog
            logger = logging.getLogger(name)
            logger.removeHandler(log)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
        for task in list(server.checks.values()):
            task.cancel()
        await server.generations.reset()
        server.close()


def _llm_settings(url: str, memory: Path) -> dict[str, object]:
    return {**FAST, "llm": {"host": url, "debounceMs": 0}, "evolve": {"memoryPath": str(memory)}}


@pytest.fixture
async def client() -> AsyncIterator[RecordingClient]:
    """A client with VS Code's capabilities and a short debounce."""
    async with in_process(FAST, VSCODE) as joined:
        yield joined


@pytest.fixture
async def llm_client(ollama: FakeOllama, tmp_path: Path) -> AsyncIterator[RecordingClient]:
    """A VS Code-like client whose server asks the scripted Ollama server (`.ollama`)."""
    async with in_process(_llm_settings(ollama.url, tmp_path / "evolve.sqlite3"),
                          VSCODE) as joined:
        joined.ollama = ollama
        yield joined


@pytest.fixture
async def vscode_client(ollama: FakeOllama, tmp_path: Path) -> AsyncIterator[RecordingClient]:
    """A client that starts the server as the VS Code extension does: VS Code's capabilities,
    the extension's initialization options, and the scripted Ollama server (`.ollama`)."""
    async with in_process(_llm_settings(ollama.url, tmp_path / "evolve.sqlite3"), VSCODE,
                          extension_initialization_options()) as joined:
        joined.ollama = ollama
        yield joined


@pytest.fixture
async def offline_client() -> AsyncIterator[RecordingClient]:
    """A client whose server's LLM host does not answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    async with in_process({**FAST, "llm": {"host": dead, "debounceMs": 0}}, VSCODE) as joined:
        yield joined


@pytest.fixture
async def minimal_client() -> AsyncIterator[RecordingClient]:
    """A client that declares almost nothing: no snippets, no semantic tokens, no code lens,
    no workspace/configuration."""
    async with in_process(None, MINIMAL) as joined:
        yield joined


async def _shut_down_healthy(client: RecordingClient) -> None:
    """Ask the server whether any feature failed on what the test sent, then shut it down."""
    health = await client.protocol.send_request_async("sovereign/health", None)
    assert not health.failures, f"features failed: {health.failures}"
    await client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def stdio_client(lsp_client: RecordingClient):  # type: ignore[no-untyped-def]
    """The real server over stdio, with VS Code's capabilities and a short debounce."""
    lsp_client.set_configuration(FAST, section="sovereign")
    result = await lsp_client.initialize_session(T.InitializeParams(capabilities=VSCODE))
    lsp_client.server_capabilities = result.capabilities
    yield
    await _shut_down_healthy(lsp_client)


@pytest_lsp.fixture(config=CONFIG)
async def stdio_llm_client(lsp_client: RecordingClient):  # type: ignore[no-untyped-def]
    """The real server over stdio asking a scripted Ollama server (`.ollama`, started here:
    pytest-lsp fixtures cannot take async fixtures)."""
    lsp_client.ollama = FakeOllama()
    url = await lsp_client.ollama.start()
    memory = Path(tempfile.mkdtemp(prefix="sovereign-memory-")) / "evolve.sqlite3"
    lsp_client.set_configuration(_llm_settings(url, memory), section="sovereign")
    result = await lsp_client.initialize_session(T.InitializeParams(capabilities=VSCODE))
    lsp_client.server_capabilities = result.capabilities
    yield
    await _shut_down_healthy(lsp_client)
    await lsp_client.ollama.stop()
    shutil.rmtree(memory.parent, ignore_errors=True)
