"""Newline-delimited JSON read from a byte stream, one object at a time.

aiohttp's own line reader refuses lines over its buffer limit, and Ollama's last line carries
the whole token context (megabytes for a long conversation), so lines are split here from the
raw chunks, with a much larger bound.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

MAX_LINE = 64 * 1024 * 1024


class LineTooLong(ValueError):
    pass


async def json_lines(read: Callable[[], Awaitable[bytes]]) -> AsyncIterator[Any]:
    """Decode each line of a stream; `read` returns the next chunk, or b"" at the end."""
    buffer = bytearray()
    while chunk := await read():
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start:end]).strip()
            start = end + 1
            if line:
                yield json.loads(line)
        del buffer[:start]
        if len(buffer) > MAX_LINE:
            raise LineTooLong(f"a line longer than {MAX_LINE} bytes")
    if line := bytes(buffer).strip():
        yield json.loads(line)
