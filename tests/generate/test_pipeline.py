"""LLMGEN's pipeline against the scripted Ollama server: extraction, validation, retries with
feedback, refusal, the cache."""

from __future__ import annotations

import pytest

from sovereign.candidates.judge import Judge
from sovereign.candidates.pipeline import judged
from sovereign.generate.pipeline import Generation, Generator, Refused
from sovereign.generate.prompt import EXAMPLES, Place
from sovereign.llm.models import ModelManager
from sovereign.llm.ollama import OllamaClient
from sovereign.llm.pool import Hosts
from sovereign.llm.transport import Retries
from tests.llm.fake_ollama import FakeOllama


def test_the_worked_examples_are_valid_code() -> None:
    for _, code in EXAMPLES:
        place = Place("PUSH #3\nSTORE n\n", after_line=1).landing
        assert judged(code, "example", place, Judge(place)).ok, code


def generator(url: str) -> Generator:
    client = OllamaClient(url, retries=Retries(attempts=1))
    return Generator(ModelManager(Hosts([client])))


PLACE = Place("PUSH #2\nSTORE n\n; gen: print n twice\nHALT", after_line=2)


async def test_a_valid_answer_is_offered_and_kept(ollama: FakeOllama) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["Sure!\n```sovereign\n", "LOAD n\nDUP\nPRINT\n",
                                             "PRINT\n```"])
    pipeline = generator(ollama.url)
    outcome = await pipeline.generate("print n twice", PLACE)
    assert isinstance(outcome, Generation)
    assert (outcome.code, outcome.model, outcome.attempts) == (
        "LOAD n\nDUP\nPRINT\nPRINT", "qwen2.5-coder:7b", 1)
    asked = len(ollama.requests)
    assert await pipeline.generate("print n twice", PLACE) is outcome
    assert len(ollama.requests) == asked
    assert pipeline.cached("print n twice", PLACE) is outcome


async def test_fill_in_the_middle_models_get_prefix_and_suffix(ollama: FakeOllama) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["LOAD n\nPRINT"])
    await generator(ollama.url).generate("print n", PLACE)
    path, body = ollama.requests[-1]
    assert path == "/api/generate"
    assert body["prompt"].endswith("; print n\n") and body["suffix"] == "\nHALT"


async def test_chat_models_get_the_reference_and_the_context(ollama: FakeOllama) -> None:
    ollama.script("llama3.2:3b", capabilities=["completion"], chunks=["LOAD n\nPRINT"])
    await generator(ollama.url).generate("print n", PLACE)
    path, body = ollama.requests[-1]
    assert path == "/api/chat"
    system, *_, last = body["messages"]
    assert "PUSH <int or string>  ( -- v )" in system["content"]
    assert "Memory names already used: n." in last["content"]


async def test_an_invalid_answer_is_retried_with_feedback(ollama: FakeOllama) -> None:
    ollama.script("llama3.2:3b", capabilities=["completion"], chunks=["PUSHH n"])
    pipeline = generator(ollama.url)
    outcome = await pipeline.generate("print n", PLACE)
    assert isinstance(outcome, Refused)
    assert "no valid code after 3 attempts" in outcome.reason
    assert len(outcome.problems) == 3
    chats = [body for path, body in ollama.requests if path == "/api/chat"]
    assert len(chats) == 3
    *_, refused, why = chats[1]["messages"]  # the model sees its own answer, then why
    assert (refused["role"], refused["content"]) == ("assistant", "PUSHH n")
    assert why["role"] == "user"
    assert "That answer was refused: does not assemble: line 4: unknown opcode 'PUSHH'" in \
        why["content"]


async def test_a_second_attempt_can_succeed(ollama: FakeOllama) -> None:
    script = ollama.script("llama3.2:3b", capabilities=["completion"], chunks=["PUSHH"])
    pipeline = generator(ollama.url)
    answers = iter([["PUSHH n"], ["LOAD n", "\nPRINT"]])
    original = ollama._stream

    async def varying(request, body, _script):  # type: ignore[no-untyped-def]
        script.chunks = next(answers)
        return await original(request, body, script)

    ollama._stream = varying  # type: ignore[method-assign]
    outcome = await pipeline.generate("print n", PLACE)
    assert isinstance(outcome, Generation) and outcome.attempts == 2


async def test_no_model_or_no_server_is_a_clear_refusal(ollama: FakeOllama) -> None:
    outcome = await generator(ollama.url).generate("print n", PLACE)
    assert isinstance(outcome, Refused) and "ollama pull qwen2.5-coder:7b" in outcome.reason
    from tests.llm.test_models import dead_url

    outcome = await generator(dead_url()).generate("print n", PLACE)
    assert isinstance(outcome, Refused) and "start it with `ollama serve`" in outcome.reason
    assert not outcome.available


@pytest.mark.parametrize(("answer", "reason"), [
    ("", "the answer holds no code"),
    ("I am sorry, I can only help with Python.", "holds no code (only prose)"),
    ("```python\nprint(n * 2)\n```", "the answer is python code, not Sovereign assembly"),
    ("PUSH #1\n" * 20_000, "the answer is too long"),
    ("<|im_start|>assistant<|im_end|>", "holds no code"),
])
async def test_an_unusable_answer_is_refused_with_its_reason(ollama: FakeOllama, answer: str,
                                                              reason: str) -> None:
    ollama.script("llama3.2:3b", capabilities=["completion"], chunks=[answer])
    outcome = await generator(ollama.url).generate("print n", PLACE)
    assert isinstance(outcome, Refused)
    assert all(reason in problem for problem in outcome.problems)
