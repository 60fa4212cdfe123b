"""The Ollama client against the scripted server: streaming, errors, retries, cancellation."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from sovereign.llm.api import ChatRequest, GenerateRequest, Message, Options
from sovereign.llm.errors import (
    BadResponse,
    LLMTimeout,
    ModelNotFound,
    ServerError,
    StreamFailed,
    Unreachable,
)
from sovereign.llm.hosts import ollama_url, parse_host
from sovereign.llm.ollama import OllamaClient
from sovereign.llm.transport import Retries, Timeouts

from .fake_ollama import FakeOllama

FAST = Retries(attempts=3, base_delay=0.01, max_delay=0.02)


def generations(ollama: FakeOllama) -> list[tuple[str, object]]:
    return [r for r in ollama.requests if r[0] in ("/api/generate", "/api/chat")]


def client(url: str, **timeouts: float) -> OllamaClient:
    return OllamaClient(url, Timeouts(**timeouts), FAST)


@pytest.mark.parametrize(("value", "url"), [
    (None, "http://127.0.0.1:11434"), ("", "http://127.0.0.1:11434"),
    ("1.2.3.4", "http://1.2.3.4:11434"), (":56789", "http://127.0.0.1:56789"),
    ("1.2.3.4:56789", "http://1.2.3.4:56789"), ("http://1.2.3.4", "http://1.2.3.4:80"),
    ("https://1.2.3.4", "https://1.2.3.4:443"), ("https://1.2.3.4:56789", "https://1.2.3.4:56789"),
    ("example.com", "http://example.com:11434"), ("example.com:56789/", "http://example.com:56789"),
    ("https://example.com", "https://example.com:443"),
    ("example.com/path", "http://example.com:11434/path"),
    ("example.com:56789/path/", "http://example.com:56789/path"),
    ("[0001:002:003:0004::1]", "http://[0001:002:003:0004::1]:11434"),
    ("https://[0001:002:003:0004::1]:56789/path", "https://[0001:002:003:0004::1]:56789/path"),
    ("0.0.0.0", "http://127.0.0.1:11434"), ("0.0.0.0:9999", "http://127.0.0.1:9999"),
    ("[::]:8080", "http://[::1]:8080"),
])
def test_ollama_host_is_read_like_ollamas_own_client(value: str | None, url: str) -> None:
    assert parse_host(value) == url


def test_the_setting_wins_over_the_environment() -> None:
    assert ollama_url(None, {"OLLAMA_HOST": "box:1234"}) == "http://box:1234"
    assert ollama_url("other", {"OLLAMA_HOST": "box:1234"}) == "http://other:11434"
    assert ollama_url(None, {}) == "http://127.0.0.1:11434"


async def test_generate_streams_chunks_and_collects_them(ollama: FakeOllama) -> None:
    ollama.script("coder", chunks=["PUSH #1", "\n", "PRINT"])
    llm = client(ollama.url)
    texts = [c.text async for c in llm.generate_stream(GenerateRequest("coder", "say 1"))]
    assert texts == ["PUSH #1", "\n", "PRINT", ""]
    completion = await llm.generate(GenerateRequest("coder", "say 1", suffix="HALT",
                                                    options=Options(num_ctx=4096, seed=7)))
    assert (completion.text, completion.done_reason, completion.chunks) == (
        "PUSH #1\nPRINT", "stop", 4)
    path, body = ollama.requests[-1]
    assert path == "/api/generate"
    assert body["options"] == {"num_predict": 512, "num_ctx": 4096, "seed": 7}
    assert [p for p, _ in ollama.requests].count("/api/show") == 1
    assert body["suffix"] == "HALT" and body["stream"] is True
    await llm.close()


@pytest.mark.parametrize(("prompt", "context_length", "num_ctx"), [
    ("x", 8192, 2048),
    ("x" * 30_000, 32768, 16384),
    ("x" * 30_000, 8192, 8192),
])
async def test_the_context_window_is_sized_from_the_prompt_and_the_model(
        ollama: FakeOllama, prompt: str, context_length: int, num_ctx: int) -> None:
    ollama.script("coder", chunks=["NOP"], context_length=context_length)
    llm = client(ollama.url)
    await llm.generate(GenerateRequest("coder", prompt))
    assert generations(ollama)[-1][1]["options"]["num_ctx"] == num_ctx  # type: ignore[index]
    await llm.close()


async def test_chat(ollama: FakeOllama) -> None:
    ollama.script("coder", chunks=["NOP"])
    llm = client(ollama.url)
    answer = await llm.chat(ChatRequest("coder", [Message("user", "hi")],
                                        format={"type": "object"}))
    assert answer.text == "NOP"
    assert ollama.requests[-1][1]["format"] == {"type": "object"}
    await llm.close()


async def test_models_details_and_version(ollama: FakeOllama) -> None:
    ollama.script("coder", capabilities=["completion", "insert", "tools"], context_length=32768)
    llm = client(ollama.url)
    assert [m.name for m in (await llm.tags()).models] == ["coder"]
    assert (await llm.ps()).models[0].details.parameter_size == "7B"
    info = await llm.show("coder")
    assert (info.context_length, info.capabilities) == (32768, ["completion", "insert", "tools"])
    assert (await llm.version()).version == "0.9.0"
    with pytest.raises(ModelNotFound, match="ollama pull ghost"):
        await llm.show("ghost")
    await llm.close()


async def test_model_not_found_says_how_to_get_it(ollama: FakeOllama) -> None:
    llm = client(ollama.url)
    with pytest.raises(ModelNotFound, match="run `ollama pull missing:7b`"):
        await llm.generate(GenerateRequest("missing:7b", "x"))
    assert [path for path, _ in ollama.requests] == ["/api/show"]
    with pytest.raises(ModelNotFound, match="run `ollama pull missing:7b`"):
        await llm.generate(GenerateRequest("missing:7b", "x", options=Options(num_ctx=2048)))
    assert len(generations(ollama)) == 1
    await llm.close()


async def test_server_errors_are_typed_and_4xx_5xx_not_retried(ollama: FakeOllama) -> None:
    ollama.script("broken", fault="500")
    ollama.script("forbidden", fault="empty-403")
    llm = client(ollama.url)
    with pytest.raises(ServerError, match="answered 500: llama runner process has terminated"):
        await llm.generate(GenerateRequest("broken", "x"))
    with pytest.raises(ServerError, match="answered 403: no details given"):
        await llm.generate(GenerateRequest("forbidden", "x"))
    assert len(generations(ollama)) == 2
    await llm.close()


async def test_a_busy_server_is_retried(ollama: FakeOllama) -> None:
    ollama.script("busy", fault="503-then-ok", failures=2, chunks=["NOP"])
    llm = client(ollama.url)
    assert (await llm.generate(GenerateRequest("busy", "x"))).text == "NOP"
    assert len(generations(ollama)) == 3
    await llm.close()


async def test_an_unreachable_server_says_how_to_start_it() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    llm = client(f"http://127.0.0.1:{port}")
    with pytest.raises(Unreachable, match="start it with `ollama serve`"):
        await llm.generate(GenerateRequest("any", "x"))
    health = await llm.health()
    assert not health.reachable and "ollama serve" in health.error
    await llm.close()


async def test_a_slow_first_byte_times_out_once_and_is_not_asked_again(
        ollama: FakeOllama) -> None:
    """Waiting as long again would only triple the wait (it was 15 minutes by default)."""
    ollama.script("cold", first_byte=5, chunks=["NOP"])
    llm = client(ollama.url, first_byte=0.2)
    with pytest.raises(LLMTimeout, match="first byte"):
        await llm.generate(GenerateRequest("cold", "x"))
    assert len(generations(ollama)) == 1
    await llm.close()


async def test_a_stalled_stream_times_out_and_is_not_retried(ollama: FakeOllama) -> None:
    ollama.script("stuck", fault="stall", after=1, chunks=["PUSH #1", "PRINT"])
    llm = client(ollama.url, idle=0.3)
    seen: list[str] = []
    with pytest.raises(LLMTimeout, match="idle"):
        await llm.generate(GenerateRequest("stuck", "x"), on_chunk=lambda c: seen.append(c.text))
    assert seen == ["PUSH #1"]
    assert len(generations(ollama)) == 1
    await llm.close()


@pytest.mark.parametrize(("fault", "error", "message"), [
    ("cut", BadResponse, "ended before its final"),
    ("malformed", BadResponse, "not JSON"),
    ("error-line", StreamFailed, "an error was encountered while running the model"),
])
async def test_broken_streams_are_errors_not_silent_success(
        ollama: FakeOllama, fault: str, error: type[Exception], message: str) -> None:
    ollama.script("flaky", fault=fault, after=1, chunks=["PUSH #1", "PRINT"])
    llm = client(ollama.url)
    with pytest.raises(error, match=message):
        await llm.generate(GenerateRequest("flaky", "x"))
    assert len(generations(ollama)) == 1
    await llm.close()


async def test_megabyte_lines_are_read(ollama: FakeOllama) -> None:
    huge = "x" * 3_000_000
    ollama.script("verbose", chunks=[huge, "!"])
    llm = client(ollama.url)
    assert (await llm.generate(GenerateRequest("verbose", "x"))).text == huge + "!"
    await llm.close()


async def test_cancelling_closes_the_connection_at_once(ollama: FakeOllama) -> None:
    ollama.script("slow", chunks=["PUSH #1"] * 100, delay=0.05)
    llm = client(ollama.url)
    first = asyncio.Event()
    task = asyncio.create_task(llm.generate(GenerateRequest("slow", "x"),
                                            on_chunk=lambda c: first.set()))
    await first.wait()
    cancelled = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await ollama.disconnected(), "the server never saw the client go"
    assert ollama.disconnected_at[0] - cancelled < 0.05
    await llm.close()


async def test_health_is_probed_and_kept_for_a_while(ollama: FakeOllama) -> None:
    ollama.script("coder")
    llm = client(ollama.url)
    health = await llm.health()
    assert (health.reachable, health.version, health.models) == (True, "0.9.0", ("coder",))
    requests = len(generations(ollama))
    assert await llm.health() is health
    assert len(generations(ollama)) == requests
    await llm.close()
