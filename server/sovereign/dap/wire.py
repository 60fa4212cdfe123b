"""DAP's base protocol: each message is a `Content-Length` header, a blank line and a JSON
body, as in the LSP.

A body that is not a JSON object is the client's mistake about one message: it is answered
with an error and the adapter reads on. A broken header is different: the next message's
boundary is lost for good, so the adapter ends with a message on stderr and status 1 rather
than stay alive but deaf."""

from __future__ import annotations

import json
import re
import threading
from typing import Any, BinaryIO

_LENGTH = re.compile(rb"Content-Length: ?([0-9]{1,9})\r\n", re.IGNORECASE)
_OTHER_HEADER = re.compile(rb"[A-Za-z-]+: [^\r\n]*\r\n")

COMPACT = (",", ":")
"""JSON without the spaces: a large Variables answer is a tenth smaller."""

MAX_BODY = 64 * 1024 * 1024
"""The longest message body read (a request is a few hundred bytes)."""


class FramingError(Exception):
    """The input is no longer framed as DAP frames it."""


class NotJson(Exception):
    """One message whose body is not a JSON object."""


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None at the end of the input."""
    length = None
    while True:
        line = stream.readline(1024)
        if not line:
            if length is None:
                return None
            raise FramingError("the input ended inside a message's header")
        if line == b"\r\n":
            break
        if (match := _LENGTH.fullmatch(line)) is not None:
            length = int(match[1])
        elif not _OTHER_HEADER.fullmatch(line):
            raise FramingError(f"a header line {line[:80]!r} is not DAP's")
    if length is None:
        raise FramingError("a message has no Content-Length")
    if length > MAX_BODY:
        raise FramingError(f"a message of {length:,} bytes is longer than {MAX_BODY:,}")
    body = stream.read(length)
    if len(body) < length:
        raise FramingError("the input ended inside a message's body")
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotJson(f"the message is not JSON: {error}") from None
    if not isinstance(message, dict):
        raise NotJson("the message is not a JSON object")
    return message


class Writer:
    """Writes messages from any thread, each whole, numbered in the order written."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self._seq = 0

    def send(self, message: dict[str, Any], body: str | None = None) -> None:
        """Write `message`; `body`, if given, is its body already encoded as JSON (a large
        answer assembled from parts kept between requests)."""
        with self._lock:
            self._seq += 1
            text = json.dumps({"seq": self._seq, **message}, ensure_ascii=False,
                              separators=COMPACT)
            if body is not None:
                text = f'{text[:-1]},"body":{body}}}'
            data = text.encode()
            self.stream.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
            self.stream.flush()
