"""A real server over stdio, driven by pytest-lsp's client, which also records every
publishDiagnostics so that tests can wait for a given version without sleeping."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import pytest_lsp
from lsprotocol import types as T
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "sovereign", "lsp"]
FAST = {"diagnostics": {"debounceMs": 20}}


class RecordingClient(LanguageClient):
    """Keeps every published diagnostics notification, in order."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[T.PublishDiagnosticsParams] = []
        self.server_capabilities = T.ServerCapabilities()
        self._arrived: asyncio.Event | None = None

    def record(self, params: T.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        self.diagnostics[params.uri] = params.diagnostics
        if self._arrived is not None:
            self._arrived.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 30) -> None:
        """Wait until `condition()` holds, re-testing it after each publication."""
        async def wait() -> None:
            while not condition():
                self._arrived = asyncio.Event()
                await self._arrived.wait()

        await asyncio.wait_for(wait(), timeout)


def _record(client: LanguageClient, params: T.PublishDiagnosticsParams) -> None:
    assert isinstance(client, RecordingClient)
    client.record(params)


def _recording_client() -> RecordingClient:
    client = RecordingClient()
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _record})
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
