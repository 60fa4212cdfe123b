"""How quickly the real language server answers, driven over stdio by pygls's client.

Prints: server start to `initialize` answered; for 1,000- and 10,000-line documents, the time
from a one-character edit to the first diagnostics of that version (assembly and analysis) and
to the diagnostics with the sandbox's result (p50 and p95); the baseline, measured in the same
run, is the round trip of a hover on a blank line of the same document; what live values
(sovereign.liveValues) add to the sandbox run; and the server's resident memory with 50
documents open.

    python benchmarks/lsp_latency.py [--edits N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as T
from pygls.lsp.client import LanguageClient

from analysis_speed import generate
from sovereign.lang.assembler import Program, assemble
from sovereign.vm.executable import Executable
from sovereign.vm.sandbox import run_program

SERVER = [sys.executable, "-m", "sovereign", "lsp"]


class Client(LanguageClient):
    """Notes when each version's diagnostics arrive."""

    def __init__(self) -> None:
        super().__init__("lsp-latency", "1")
        self.arrivals: dict[tuple[str, int], list[float]] = {}
        self.arrived = asyncio.Event()


def make_client() -> Client:
    client = Client()

    @client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(ls: Client, params: T.PublishDiagnosticsParams) -> None:
        ls.arrivals.setdefault((params.uri, params.version or 0), []).append(
            time.perf_counter())
        ls.arrived.set()

    return client


async def until(client: Client, uri: str, version: int, count: int) -> list[float]:
    while len(client.arrivals.get((uri, version), [])) < count:
        client.arrived.clear()
        await asyncio.wait_for(client.arrived.wait(), 60)
    return client.arrivals[(uri, version)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def document_latency(client: Client, lines: int, edits: int, in_code: bool,
                           label: str = "") -> list[float]:
    """Edits of one character: in a comment (the program stays the same), or in the code (a
    pushed constant in the middle of the file changes, as when one types a number). Answers
    the times from edit to the sandbox's diagnostics."""
    text = generate(lines) + "\n; 0\n"
    uri = f"file:///benchmark/doc{lines}-{in_code}{label.replace(' ', '-')}.sov"
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=uri, language_id="sovereign", version=1, text=text)))
    await until(client, uri, 1, 2)
    texts = text.split("\n")
    count = len(texts)
    comment = count - 2
    line = next(n for n in range(count // 2, count) if texts[n].startswith("    PUSH #")) \
        if in_code else comment
    column = len("    PUSH #") if in_code else 2
    static, runtime, baseline = [], [], []
    for version in range(2, edits + 2):
        started = time.perf_counter()
        client.text_document_did_change(T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[T.TextDocumentContentChangePartial(
                range=T.Range(start=T.Position(line=line, character=column),
                              end=T.Position(line=line, character=column + 1)),
                text=str(version % 9 + 1))]))
        first, second = await until(client, uri, version, 2)
        static.append(first - started)
        runtime.append(second - started)
        started = time.perf_counter()
        await client.text_document_hover_async(T.HoverParams(
            text_document=T.TextDocumentIdentifier(uri=uri),
            position=T.Position(line=comment + 1, character=0)))
        baseline.append(time.perf_counter() - started)

    def show(name: str, values: list[float]) -> str:
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        ratio = p50 / statistics.median(baseline)
        return f"{name} p50 {p50 * 1000:6.1f} ms p95 {p95 * 1000:6.1f} ms ({ratio:5.1f}x)"

    where = "code" if in_code else "comment"
    print(f"{count:>6} lines, {edits} {where} edits{label}: {show('edit→static', static)} | "
          f"{show('edit→sandbox', runtime)} | baseline hover p50 "
          f"{statistics.median(baseline) * 1000:5.1f} ms")
    client.text_document_did_close(T.DidCloseTextDocumentParams(
        text_document=T.TextDocumentIdentifier(uri=uri)))
    return runtime


async def live_values_cost(client: Client, edits: int) -> None:
    """What recording live values (sovereign.liveValues) adds to the sandbox run, on 10,000
    lines: the same code edits with the setting off, then on."""
    off = await document_latency(client, 10_000, edits, True, " (live values off)")
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(
        settings={"sovereign": {"liveValues": True}}))
    on = await document_latency(client, 10_000, edits, True, " (live values on)")
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(
        settings={"sovereign": {"liveValues": False}}))
    added = statistics.median(on) - statistics.median(off)
    print(f"live values add {added * 1000:+.1f} ms to edit→sandbox p50 on 10,000 lines")
    program = assemble(generate(10_000)).program
    off_run, on_run = (statistics.median(run_time(program, live) for _ in range(9))
                       for live in (False, True))
    print(f"the sandbox run of 10,000 lines alone, in process: {off_run * 1000:.1f} ms, with "
          f"live values {on_run * 1000:.1f} ms ({(on_run - off_run) * 1000:+.1f} ms)")


def run_time(program: Program, live: bool) -> float:
    started = time.perf_counter()
    run_program(Executable(program, live=live))
    return time.perf_counter() - started


async def memory_with_documents(client: Client, count: int, pid: int) -> None:
    text = generate(1000)
    for number in range(count):
        uri = f"file:///benchmark/many{number}.sov"
        client.text_document_did_open(T.DidOpenTextDocumentParams(
            text_document=T.TextDocumentItem(uri=uri, language_id="sovereign", version=1,
                                             text=text)))
        await until(client, uri, 1, 2)
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
    print(f"server memory with {count} documents of 1,000 lines open: {int(rss) / 1024:.0f} MiB")


async def main(edits: int, server: list[str]) -> None:
    client = make_client()
    started = time.perf_counter()
    await client.start_io(*server)
    await client.initialize_async(T.InitializeParams(capabilities=T.ClientCapabilities()))
    print(f"server start → initialize answered: {(time.perf_counter() - started) * 1000:.0f} ms")
    client.initialized(T.InitializedParams())
    for lines in (1_000, 10_000):
        for in_code in (False, True):
            await document_latency(client, lines, edits, in_code)
    await live_values_cost(client, edits)
    assert client._server is not None
    await memory_with_documents(client, 50, client._server.pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--server", nargs=argparse.REMAINDER,
                        help="run python with these arguments instead of -m sovereign lsp")
    args = parser.parse_args()
    asyncio.run(main(args.edits, [sys.executable, *args.server] if args.server else SERVER))
