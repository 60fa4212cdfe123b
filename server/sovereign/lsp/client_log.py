"""The server's log, sent where the client shows it.

An editor shows everything a server writes to stderr as errors (VS Code tags each line
`[error]`), so the server's log goes through the protocol instead: `window/logMessage` with
the record's own level, and DEBUG records as `$/logTrace` when the client has turned tracing
on. stderr is left for what the protocol cannot carry: a crash, or a broken connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer

_TYPES = (
    (logging.ERROR, T.MessageType.Error),
    (logging.WARNING, T.MessageType.Warning),
    (logging.INFO, T.MessageType.Info),
)


def message_type(level: int) -> T.MessageType:
    """The LSP message type of a logging level (below INFO: `Log`)."""
    return next((kind for floor, kind in _TYPES if level >= floor), T.MessageType.Log)


class ClientLog(logging.Handler):
    """Forwards log records to the client of `server`. Records from other threads (the
    sandbox's worker) are handed to the event loop, which owns the connection; a record from
    another thread before the loop has run is dropped, as nobody is connected yet."""

    def __init__(self, server: LanguageServer) -> None:
        super().__init__(logging.DEBUG)
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self._sending = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._sending, "active", False):
            return  # a record logged while sending one (pygls reporting a write error)
        try:
            text = self.format(record)
        except Exception:  # a bad format string must not take the log down with it
            text = str(record.msg)
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the loop's thread
            if self.loop is not None and not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self._send, record.levelno, text)
            return
        self._send(record.levelno, text)

    def _send(self, level: int, text: str) -> None:
        self._sending.active = True
        try:
            if level >= logging.INFO:
                self.server.window_log_message(T.LogMessageParams(type=message_type(level),
                                                                  message=text))
            elif self.server.protocol.trace not in (None, T.TraceValue.Off):
                self.server.log_trace(T.LogTraceParams(message=text))
        except Exception:  # the connection is gone: nothing left to tell
            pass
        finally:
            self._sending.active = False
