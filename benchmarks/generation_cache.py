"""How fast a kept generation comes back: asking for the same code again must feel instant.

Against the scripted Ollama server of the test suite, in one run: the pipeline's first
generation (a model round trip), then the same request again from the cache, in-process and
through the real language server (inline completion) with a hover on the same document as the
protocol's baseline. Goal: a cached generation back in under 5 ms.

    python benchmarks/generation_cache.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as T
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.llm.fake_ollama import FakeOllama

from sovereign.generate.prompt import Place
from sovereign.host.services import LLMConfig, build

SOURCE = "PUSH #3\nSTORE n\n; gen: print n twice\nHALT\n"
TIMES = 50


async def in_process(url: str) -> None:
    services = build(LLMConfig(ollama=(url,)))
    generator = services.generator
    place = Place(SOURCE, 2)
    started = time.perf_counter()
    await generator.generate("print n twice", place)
    first = time.perf_counter() - started
    timings = []
    for _ in range(TIMES):
        started = time.perf_counter()
        await generator.generate("print n twice", place)
        timings.append(time.perf_counter() - started)
    print(f"pipeline: first generation {first * 1000:.1f} ms, cached p50 "
          f"{statistics.median(timings) * 1000:.3f} ms, max {max(timings) * 1000:.3f} ms")
    await services.close()


async def through_the_server(url: str) -> None:
    client = LanguageClient("generation-cache", "1")

    settings_read = asyncio.Event()

    @client.feature(T.WORKSPACE_CONFIGURATION)
    def configuration(ls: LanguageClient, params: T.ConfigurationParams) -> list[object]:
        return [{"llm": {"host": url, "debounceMs": 0}}]

    @client.feature(T.WINDOW_LOG_MESSAGE)
    def logged(ls: LanguageClient, params: T.LogMessageParams) -> None:
        if params.message.startswith("settings:"):
            settings_read.set()

    await client.start_io(sys.executable, "-m", "sovereign", "lsp")
    await client.initialize_async(T.InitializeParams(capabilities=T.ClientCapabilities(
        workspace=T.WorkspaceClientCapabilities(configuration=True))))
    client.initialized(T.InitializedParams())
    await asyncio.wait_for(settings_read.wait(), 30)
    uri = "file:///benchmark/gen.sov"
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=uri, language_id="sovereign", version=1, text=SOURCE)))
    ask = T.InlineCompletionParams(
        text_document=T.TextDocumentIdentifier(uri=uri), position=T.Position(line=2, character=5),
        context=T.InlineCompletionContext(trigger_kind=T.InlineCompletionTriggerKind.Invoked))
    hover = T.HoverParams(text_document=T.TextDocumentIdentifier(uri=uri),
                          position=T.Position(line=0, character=1))
    started = time.perf_counter()
    first = await client.text_document_inline_completion_async(ask)
    assert first is not None, "the first generation failed"
    print(f"server: first generation {(time.perf_counter() - started) * 1000:.1f} ms")
    cached, baseline = [], []
    for _ in range(TIMES):
        started = time.perf_counter()
        await client.text_document_inline_completion_async(ask)
        cached.append(time.perf_counter() - started)
        started = time.perf_counter()
        await client.text_document_hover_async(hover)
        baseline.append(time.perf_counter() - started)
    print(f"server: cached generation p50 {statistics.median(cached) * 1000:.2f} ms, p95 "
          f"{sorted(cached)[int(0.95 * TIMES)] * 1000:.2f} ms; hover baseline p50 "
          f"{statistics.median(baseline) * 1000:.2f} ms (goal < 5 ms)")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def main() -> None:
    ollama = FakeOllama()
    url = await ollama.start()
    ollama.script("qwen2.5-coder:7b", chunks=["LOAD n\n", "DUP\nPRINT\nPRINT"], delay=0.01)
    await in_process(url)
    await through_the_server(url)
    await ollama.stop()


if __name__ == "__main__":
    asyncio.run(main())
