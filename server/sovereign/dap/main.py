"""`sovereign dap`: the adapter's loop over stdin and stdout.

A thread reads the framed messages (reads block) and hands them to the event loop, which
answers them in order; the program's own runs happen on a worker thread (adapter.py)."""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from typing import Any, BinaryIO

from .adapter import Adapter
from .wire import FramingError, NotJson, Writer, read_message

Received = tuple[str, Any]
"""("message", a message or None at the end of the input), ("bad", why), ("broken", why)."""


def serve(stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Speak DAP until the client disconnects or the input ends; the exit status."""
    return asyncio.run(_serve(stdin, stdout))


async def _serve(stdin: BinaryIO, stdout: BinaryIO) -> int:
    inbox: asyncio.Queue[Received] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    threading.Thread(target=_read, args=(stdin, loop, inbox), daemon=True).start()
    adapter = Adapter(Writer(stdout))
    try:
        while not adapter.done.is_set():
            kind, item = await inbox.get()
            if kind == "broken":
                print(f"sovereign dap: the client's message framing is broken ({item}): "
                      "stopping", file=sys.stderr)
                return 1
            if kind == "bad":
                adapter.refuse({}, item)
            elif item is None:
                return 0
            else:
                await _handle(adapter, item)
        return 0
    finally:
        await adapter.close()


async def _handle(adapter: Adapter, message: dict[str, Any]) -> None:
    """Answer one request; a failure inside the adapter is answered as an error, and the
    adapter goes on."""
    try:
        await adapter.handle(message)
    except Exception:
        traceback.print_exc(file=sys.stderr)
        adapter.refuse(message, "the debug adapter failed on this request: see its stderr")


def _read(stdin: BinaryIO, loop: asyncio.AbstractEventLoop,
          inbox: asyncio.Queue[Received]) -> None:
    def put(received: Received) -> None:
        loop.call_soon_threadsafe(inbox.put_nowait, received)

    while True:
        try:
            message = read_message(stdin)
        except NotJson as error:
            put(("bad", str(error)))
            continue
        except (FramingError, OSError) as error:
            put(("broken", str(error)))
            return
        put(("message", message))
        if message is None:
            return
