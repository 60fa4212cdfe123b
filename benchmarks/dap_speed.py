"""How quickly the debug adapter answers a stop, driven over stdio as an editor drives it.

Prints, for a 1,000-line program with 1,000 memory names: a step (`next` until its `stopped`
event) together with the requests a client sends at every stop (stackTrace, scopes, and the
variables of the Stack and Memory scopes), p50 and p95; the baseline, measured in the same run,
is the round trip of a language-server hover on the same program. Then, in process, going back
10,000 steps against replaying one snapshot interval forward.

    python benchmarks/dap_speed.py [--steps N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as T

from lsp_latency import SERVER, make_client, percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dap.client import DapClient  # noqa: E402

from sovereign.debug.history import SNAPSHOT_EVERY  # noqa: E402
from sovereign.debug.session import Session  # noqa: E402
from sovereign.lang.assembler import assemble  # noqa: E402

NAMES = 1_000


def program() -> str:
    """A loop that pushes NAMES values, a STORE line for each into its own name, then a loop
    to step in forever."""
    fill = ["PUSH #0", "STORE n", "fill: LOAD n", "DUP", "PUSH #1", "ADD", "DUP", "STORE n",
            f"PUSH #{NAMES - 1}", "LT", "JNZ fill"]
    stores = [f"STORE v{i}" for i in range(NAMES - 1)]
    tail = ["again: LOAD v1", "POP", "JMP again"]
    return "\n".join(fill + stores + tail) + "\n"


async def step_latency(path: Path, steps: int) -> list[float]:
    dap = await DapClient.start()
    try:
        await dap.launch(path, breakpoints=[len(program().splitlines()) - 2])
        timings = []
        for _ in range(steps):
            started = time.perf_counter()
            await dap.ok("next", threadId=1)
            await dap.stopped()
            frames = (await dap.ok("stackTrace", threadId=1))["stackFrames"]
            scopes = (await dap.ok("scopes", frameId=frames[0]["id"]))["scopes"]
            for scope in scopes[:2]:
                await dap.ok("variables", variablesReference=scope["variablesReference"])
            timings.append(time.perf_counter() - started)
        return timings
    finally:
        await dap.close()


async def hover_latency(text: str, hovers: int) -> list[float]:
    client = make_client()
    await client.start_io(*SERVER)
    await client.initialize_async(T.InitializeParams(capabilities=T.ClientCapabilities()))
    client.initialized(T.InitializedParams())
    uri = "file:///benchmark/dap.sov"
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=uri, language_id="sovereign", version=1, text=text)))
    timings = []
    for number in range(hovers):
        started = time.perf_counter()
        await client.text_document_hover_async(T.HoverParams(
            text_document=T.TextDocumentIdentifier(uri=uri),
            position=T.Position(line=20 + number % 900, character=2)))
        timings.append(time.perf_counter() - started)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return timings


def going_back(text: str) -> tuple[float, float]:
    """Seconds to go back 10,000 steps to the step before a kept state (the most replaying a
    step back can need), and to step one snapshot interval forward."""
    session = Session(assemble(text).program)
    while session.machine.steps < 20_000 + SNAPSHOT_EVERY - 1:
        session.step_in()
    started = time.perf_counter()
    session.back_to(session.machine.steps - 10_000)
    back = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(SNAPSHOT_EVERY):
        session.step_in()
    return back, time.perf_counter() - started


async def main(steps: int) -> None:
    text = program()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dap.sov"
        path.write_text(text)
        stepping = await step_latency(path, steps)
    hovers = await hover_latency(text, steps)
    hover_p50, hover_p95 = percentile(hovers, 0.5), percentile(hovers, 0.95)
    p50, p95 = percentile(stepping, 0.5), percentile(stepping, 0.95)
    print(f"{len(text.splitlines()):,} lines, {NAMES:,} names, {steps} steps: step + stackTrace "
          f"+ scopes + variables p50 {p50 * 1000:5.1f} ms p95 {p95 * 1000:5.1f} ms | hover "
          f"p50 {hover_p50 * 1000:5.1f} ms p95 {hover_p95 * 1000:5.1f} ms | p95 ratio "
          f"{p95 / hover_p95:4.1f} hovers")
    back, interval = going_back(text)
    print(f"back 10,000 steps: {back * 1000:5.2f} ms | {SNAPSHOT_EVERY:,} steps forward: "
          f"{interval * 1000:5.2f} ms | ratio {back / interval:4.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.steps))
