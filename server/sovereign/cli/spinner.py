"""A spinner on a terminal while a running program waits for the LLM."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import time
from collections.abc import AsyncIterator

from ..vm.machine import LLMRequest
from ..vm.sandbox import Answer, AsyncFulfil, Refusal


def spinning(fulfil: AsyncFulfil) -> AsyncFulfil:
    """`fulfil`, showing what it is waiting for while it works."""
    async def with_spinner(request: LLMRequest) -> str | Answer | Refusal | None:
        async with _spinner(f"{request.kind} {request.prompt[:50]!r}"):
            return await fulfil(request)

    return with_spinner


@contextlib.asynccontextmanager
async def _spinner(what: str) -> AsyncIterator[None]:
    """Frames on stderr while the body runs; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield
        return

    async def spin() -> None:
        started = time.monotonic()
        for frame in itertools.cycle("|/-\\"):
            waited = time.monotonic() - started
            said = f"{what}: waiting for the LLM, {waited:.0f} s" + (
                " (a model not loaded yet takes up to a minute)" if waited > 3 else "")
            sys.stderr.write(f"\r{frame} {said}\x1b[K")
            sys.stderr.flush()
            await asyncio.sleep(0.1)

    task = asyncio.create_task(spin())
    try:
        yield
    finally:
        task.cancel()
        sys.stderr.write("\r\x1b[K")  # the line cleared
