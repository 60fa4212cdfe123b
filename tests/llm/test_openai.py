"""The OpenAI-compatible backend against the scripted server's /v1 endpoints."""

from __future__ import annotations

import pytest

from sovereign.llm.api import ChatRequest, GenerateRequest, Message, Options
from sovereign.llm.errors import BadResponse, ModelNotFound
from sovereign.llm.openai import OpenAIClient
from sovereign.llm.transport import Retries

from .fake_ollama import FakeOllama


def client(url: str) -> OpenAIClient:
    return OpenAIClient(url, retries=Retries(attempts=2, base_delay=0.01), api_key="sk-test")


async def test_streamed_chat_completion(ollama: FakeOllama) -> None:
    ollama.script("coder", chunks=["PUSH #2", "\nPRINT"])
    llm = client(ollama.url)
    answer = await llm.chat(ChatRequest("coder", [Message("user", "print 2")],
                                        options=Options(num_predict=64, temperature=0.1)))
    assert (answer.text, answer.done_reason) == ("PUSH #2\nPRINT", "stop")
    path, body = ollama.requests[-1]
    assert path == "/v1/chat/completions"
    assert body["max_tokens"] == 64 and body["temperature"] == 0.1 and body["stream"] is True
    await llm.close()


async def test_generate_is_a_chat_with_the_system_prompt(ollama: FakeOllama) -> None:
    ollama.script("coder", chunks=["NOP"])
    llm = client(ollama.url)
    answer = await llm.generate(GenerateRequest("coder", "a nop", system="be brief",
                                                format={"type": "string"}))
    assert answer.text == "NOP"
    body = ollama.requests[-1][1]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["response_format"]["type"] == "json_schema"
    await llm.close()


async def test_models_and_health_and_the_api_key(ollama: FakeOllama) -> None:
    ollama.script("a")
    ollama.script("b")
    llm = client(ollama.url)
    assert [m.name for m in (await llm.tags()).models] == ["a", "b"]
    health = await llm.health()
    assert health.reachable and health.models == ("a", "b")
    headers = ollama.requests[-1][1]
    assert headers["Authorization"] == "Bearer sk-test"
    await llm.close()


async def test_missing_model_and_cut_stream(ollama: FakeOllama) -> None:
    ollama.script("flaky", fault="cut", after=1, chunks=["PUSH #1", "PRINT"])
    llm = client(ollama.url)
    with pytest.raises(ModelNotFound):
        await llm.chat(ChatRequest("nope", [Message("user", "x")]))
    with pytest.raises(BadResponse, match="before \\[DONE\\]"):
        await llm.chat(ChatRequest("flaky", [Message("user", "x")]))
    await llm.close()
