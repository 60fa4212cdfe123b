"""What the LLM client costs on top of raw aiohttp, against the scripted Ollama server of the
test suite in the same process, measured in one run.

Prints the client's overhead per request and per streamed chunk (the difference from a bare
aiohttp loop that reads and decodes the same lines), and the time from cancelling a generation
to the server seeing the connection closed. Goals: at most 1 ms per request, 50 ms to cancel.

    python benchmarks/llm_overhead.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.llm.fake_ollama import FakeOllama

from sovereign.llm.api import GenerateRequest, to_json
from sovereign.llm.ollama import OllamaClient

REQUESTS = 300
CHUNKS = 3000


async def raw(session: aiohttp.ClientSession, url: str, model: str) -> int:
    """The least any client must do: post, read the body, decode every line."""
    count = 0
    body = to_json(GenerateRequest(model, "x"))
    async with session.post(url + "/api/generate", json=body) as response:
        async for line in response.content:
            if line.strip():
                json.loads(line)
                count += 1
    return count


async def timed(action, times: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(times):
        await action()
    return time.perf_counter() - started


async def main() -> None:
    server = FakeOllama()
    url = await server.start()
    server.script("one", chunks=["NOP"])
    server.script("many", chunks=["x"] * CHUNKS)
    client = OllamaClient(url)
    async with aiohttp.ClientSession() as session:
        for _ in range(20):  # warm both connection pools
            await raw(session, url, "one")
            await client.generate(GenerateRequest("one", "x"))
        ours = await timed(lambda: client.generate(GenerateRequest("one", "x")), REQUESTS)
        bare = await timed(lambda: raw(session, url, "one"), REQUESTS)
        per_request = (ours - bare) / REQUESTS
        print(f"per request: client {ours / REQUESTS * 1000:.3f} ms, raw aiohttp "
              f"{bare / REQUESTS * 1000:.3f} ms, overhead {per_request * 1000:.3f} ms "
              f"(goal ≤ 1 ms)")
        ours = await timed(lambda: client.generate(GenerateRequest("many", "x")), 3)
        bare = await timed(lambda: raw(session, url, "many"), 3)
        per_chunk = (ours - bare) / (3 * CHUNKS)
        print(f"per streamed chunk: client {ours / 3 / CHUNKS * 1e6:.1f} µs, raw aiohttp "
              f"{bare / 3 / CHUNKS * 1e6:.1f} µs, overhead {per_chunk * 1e6:.1f} µs")
    await cancellation(client, server)
    await client.close()
    await server.stop()


async def cancellation(client: OllamaClient, server: FakeOllama) -> None:
    server.script("slow", chunks=["PUSH #1"] * 1000, delay=0.01)
    delays = []
    for _ in range(10):
        server.disconnected_at.clear()
        first = asyncio.Event()
        task = asyncio.create_task(client.generate(GenerateRequest("slow", "x"),
                                                   on_chunk=lambda _, seen=first: seen.set()))
        await first.wait()
        cancelled = time.monotonic()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        while not server.disconnected_at:
            await asyncio.sleep(0.001)
        delays.append(server.disconnected_at[0] - cancelled)
    print(f"cancel → server sees the disconnect: p50 {statistics.median(delays) * 1000:.1f} ms, "
          f"max {max(delays) * 1000:.1f} ms (goal ≤ 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())
