"""LLMGEN's pipeline against the scripted Ollama server: extraction, validation, retries with
feedback, refusal, the cache."""

from __future__ import annotations

import pytest

from sovereign.generate.extract import extract_code
from sovereign.generate.pipeline import Generation, Generator, Refused
from sovereign.generate.prompt import EXAMPLES, Place
from sovereign.generate.validate import validate
from sovereign.llm.models import ModelManager
from sovereign.llm.ollama import OllamaClient
from sovereign.llm.pool import Hosts
from sovereign.llm.transport import Retries
from tests.llm.fake_ollama import FakeOllama


@pytest.mark.parametrize(("answer", "code"), [
    ("PUSH #1\nPRINT", "PUSH #1\nPRINT"),
    ("Here you go:\n```sovereign\nPUSH #1\nPRINT\n```\nThis prints 1.", "PUSH #1\nPRINT"),
    ("```\n    PUSH #2\n    PRINT\n```", "PUSH #2\nPRINT"),
    ("PUSH #3<|endoftext|>", "PUSH #3"),
    ("<file_sep>PUSH #4\nPRINT<|im_end|>\n\n", "PUSH #4\nPRINT"),
    ("```asm\nNOP\n", "NOP"),
])
def test_code_is_taken_out_of_the_answer(answer: str, code: str) -> None:
    assert extract_code(answer) == code


@pytest.mark.parametrize(("snippet", "ok", "problem"), [
    ("PUSH #1\nPRINT", True, ""),
    ("PUSHH #1", False, "unknown opcode"),
    ("PUSH #1\nPUSH #0\nDIV", False, "when run: DivisionByZero"),
    ("ADD\nPRINT", True, ""),  # takes its values from the code around it
    ("", False, "no code"),
])
def test_validation(snippet: str, ok: bool, problem: str) -> None:
    verdict = validate(snippet, "PUSH #1\nPUSH #2\n; gen: add them\nHALT", after_line=2)
    assert verdict.ok == ok
    assert problem in verdict.summary


def test_a_snippet_that_breaks_the_document_is_refused() -> None:
    verdict = validate("POP\nPOP", "PUSH #1\n; gen: x\nPRINT", after_line=1)
    assert not verdict.ok and "S204" in verdict.summary


def test_the_worked_examples_are_valid_code() -> None:
    for _, code in EXAMPLES:
        assert validate(code, "PUSH #3\nSTORE n\n", after_line=1).ok, code


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
    assert "Your last answer was wrong: line 1: unknown opcode 'PUSHH'" in \
        chats[1]["messages"][-1]["content"]


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
