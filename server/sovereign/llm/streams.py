"""Streamed answers split into their items: Ollama's newline-delimited JSON, and the
server-sent events of OpenAI-compatible servers.

aiohttp's own line reader refuses lines over its buffer limit, and Ollama's last line carries
the whole token context (megabytes for a long conversation), so lines are split here from the
raw chunks, with a much larger bound that holds for both formats: a server that never ends a
line cannot make the client hold more than that.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

MAX_LINE = 64 * 1024 * 1024

Read = Callable[[], Awaitable[bytes]]
"""Returns the next chunk of the body, or b"" at its end."""


class LineTooLong(ValueError):
    pass


async def lines(read: Read) -> AsyncIterator[bytes]:
    """Each line of a body (without its line break), bounded by MAX_LINE."""
    buffer = bytearray()
    while chunk := await read():
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            yield bytes(buffer[start:end])
            start = end + 1
        del buffer[:start]
        if len(buffer) > MAX_LINE:
            raise LineTooLong(f"a line longer than {MAX_LINE} bytes")
    if buffer:
        yield bytes(buffer)


async def json_lines(read: Read) -> AsyncIterator[Any]:
    """Each non-blank line of newline-delimited JSON, decoded."""
    async for line in lines(read):
        if line := line.strip():
            yield json.loads(line)


async def sse_events(read: Read) -> AsyncIterator[Any]:
    """The `data:` payloads of a server-sent event stream, decoded ("[DONE]" as is)."""
    async for line in lines(read):
        line = line.strip()
        if line.startswith(b"data:"):
            payload = line[5:].strip()
            yield "[DONE]" if payload == b"[DONE]" else json.loads(payload)
