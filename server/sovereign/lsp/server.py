"""The language server object that every feature module registers its handlers on."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from lsprotocol import types as T
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..lang.assembler import Program
from ..vm.sandbox import RunResult, run_program
from .documents import Documents, Snapshot
from .llm_state import Generations
from .settings import Settings

LOG = logging.getLogger("sovereign.lsp")
SETTINGS_WAIT = 5.0

F = TypeVar("F", bound=Callable[..., Any])


class SovereignServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("sovereign", __version__,
                         text_document_sync_kind=T.TextDocumentSyncKind.Incremental)
        self.documents = Documents()
        self.settings = Settings()
        self.settings_logged: Settings | None = None
        """The settings as last written to the log, which says each change once."""
        self.open_uris: set[str] = set()
        """Documents the client has opened, spelled as the client spells their URIs."""
        self.generations = Generations()
        self.client_commands: frozenset[str] = frozenset()
        """Commands the client runs itself (from `initializationOptions.clientCommands`):
        a feature offers such a command instead of a server one where the client has it."""
        self.settings_ready = asyncio.Event()
        """Set once the client's settings have been read: checks and generations wait for
        it, so that nothing runs under the defaults just before the settings arrive."""
        self._sandbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox")

    async def with_settings(self) -> None:
        """Wait (briefly, for a client that never says `initialized`) for the settings."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settings_ready.wait(), SETTINGS_WAIT)

    async def run_sandboxed(self, program: Program) -> RunResult:
        """Run a program in the sandbox, under the current settings, on the worker thread: the
        server keeps answering meanwhile, and a cancelled request stops waiting for it. At an
        LLM instruction it uses an answer generated earlier, never a new one."""
        run = partial(run_program, program, self.settings.sandbox,
                      fulfil=self.generations.answer)
        return await asyncio.get_running_loop().run_in_executor(self._sandbox, run)

    def snapshot(self, uri: str) -> Snapshot | None:
        """The current snapshot of an open document, or None if the client has not opened it."""
        if uri not in self.open_uris:
            return None
        document = self.workspace.get_text_document(uri)
        encoding = str(self.workspace.position_encoding or T.PositionEncodingKind.Utf16)
        return self.documents.snapshot(document, encoding)


SERVER = SovereignServer()


def answer_empty_on_failure(empty: object) -> Callable[[F], F]:
    """One broken feature must not break a request or the server: log, answer `empty`.
    Works on sync and async handlers alike; a cancelled request stays cancelled."""

    def decorate(handler: F) -> F:
        if inspect.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def guarded_async(ls: SovereignServer, params: Any) -> Any:
                try:
                    return await handler(ls, params)
                except JsonRpcException:
                    raise  # an answer the protocol defines (content modified, invalid params)
                except Exception:
                    LOG.exception("%s failed", handler.__name__)
                    return empty

            return guarded_async  # type: ignore[return-value]

        @functools.wraps(handler)
        def guarded(ls: SovereignServer, params: Any) -> Any:
            try:
                return handler(ls, params)
            except JsonRpcException:
                raise
            except Exception:
                LOG.exception("%s failed", handler.__name__)
                return empty

        return guarded  # type: ignore[return-value]

    return decorate
