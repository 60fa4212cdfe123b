"""The language server object: the state the features share (documents, settings, the sandbox
worker, the LLM state) and the guard every handler runs under. `main.create_server()` builds
one and has each feature module register its handlers on it; nothing registers by being
imported, so a test can build as many servers as it likes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types as T
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..lang.assembler import Program
from ..vm.executable import Executable
from ..vm.sandbox import RunResult, run_program
from .documents import Documents, Snapshot
from .llm_state import Generations
from .protocol import SovereignProtocol
from .settings import Settings

LOG = logging.getLogger("sovereign.lsp")
SETTINGS_WAIT = 5.0

Handler = Callable[..., Any]
UNCHANGED = object()
"""The guard's answer for a resolve request: the item it was sent, as it was (a resolve
request must answer an item; `null` breaks the client)."""


class SovereignServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("sovereign", __version__, protocol_cls=SovereignProtocol,
                         text_document_sync_kind=T.TextDocumentSyncKind.Incremental)
        self.documents = Documents()
        self.settings = Settings()
        self.settings_logged: Settings | None = None
        """The settings as last written to the log, which says each change once."""
        self.open_uris: set[str] = set()
        """Documents the client has opened, spelled as the client spells their URIs."""
        self.checks: dict[str, asyncio.Task[None]] = {}
        """The check in flight per document (diagnostics.py)."""
        self.searches: dict[tuple[str, int, int, str], asyncio.Future[Any]] = {}
        """The repair search per error of the current versions (evolution.py)."""
        self.generations = Generations()
        self.client_commands: frozenset[str] = frozenset()
        """Commands the client runs itself (from `initializationOptions.clientCommands`):
        a feature offers such a command instead of a server one where the client has it."""
        self.shows_status = False
        """Whether the client shows `sovereign/status` (`initializationOptions.showsStatus`,
        as the VS Code extension does in its status bar): then no message repeats it."""
        self.settings_ready = asyncio.Event()
        """Set once the client's settings have been read: checks and generations wait for
        it, so that nothing runs under the defaults just before the settings arrive."""
        self.failures: Counter[str] = Counter()
        """How often each handler failed (the guard answered for it): the tests' evidence
        that odd input broke nothing, read through `sovereign/health`."""
        self._sandbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox")

    def guarded(self, handler: Handler, empty: object) -> Handler:
        """`handler`, answering `empty` when it fails: one broken feature must not break a
        request or the server. The failure is logged and counted. A protocol error (content
        modified, invalid params) is an answer, and a cancelled request stays cancelled.
        With `empty` UNCHANGED the answer is the request's own params."""
        name = handler.__name__
        if inspect.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def guarded_async(*args: Any) -> Any:
                try:
                    return await handler(*args)
                except JsonRpcException:
                    raise
                except Exception:
                    return self._failed(name, empty, args)

            return guarded_async

        @functools.wraps(handler)
        def guarded(*args: Any) -> Any:
            try:
                return handler(*args)
            except JsonRpcException:
                raise
            except Exception:
                return self._failed(name, empty, args)

        return guarded

    def _failed(self, name: str, empty: object, args: tuple[Any, ...]) -> object:
        """Count and log the failure in progress; the answer that stands in for the handler's."""
        self.failures[name] += 1
        LOG.exception("%s failed", name)
        return args[-1] if empty is UNCHANGED and len(args) > 1 else empty

    async def with_settings(self) -> None:
        """Wait (briefly, for a client that never says `initialized`) for the settings."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settings_ready.wait(), SETTINGS_WAIT)

    async def run_sandboxed(self, program: Program) -> RunResult:
        """Run a program in the sandbox, under the current settings, on the worker thread: the
        server keeps answering meanwhile, and a cancelled request stops waiting for it. At an
        LLM instruction it uses an answer generated earlier, never a new one. Preparing the
        program (a few milliseconds on 10,000 lines) is done there too, off the event loop."""
        live, limits, fulfil = self.settings.live_values, self.settings.sandbox, \
            self.generations.answer

        def run() -> RunResult:
            return run_program(Executable(program, live=live), limits, fulfil=fulfil)

        return await asyncio.get_running_loop().run_in_executor(self._sandbox, run)

    def refresh_inlay_hints(self) -> None:
        """Ask the client to ask for inlay hints again, if it can."""
        workspace = self.client_capabilities.workspace
        if workspace and workspace.inlay_hint and workspace.inlay_hint.refresh_support:
            self.workspace_inlay_hint_refresh(None)

    def snapshot(self, uri: str) -> Snapshot | None:
        """The current snapshot of an open document, or None if the client has not opened it."""
        if uri not in self.open_uris:
            return None
        document = self.workspace.get_text_document(uri)
        encoding = str(self.workspace.position_encoding or T.PositionEncodingKind.Utf16)
        return self.documents.snapshot(document, encoding)

    def close(self) -> None:
        """Stop the sandbox's worker (a server that ends its process needs not)."""
        self._sandbox.shutdown(wait=False, cancel_futures=True)
