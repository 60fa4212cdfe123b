"""LLMGEN while a program runs (`sovereign run`): the same pipeline as the editor, its answer
judged on the machine's state at the instruction, pushed as a string; the generation's metadata
is stored under reserved memory names (docs/language.md)."""

from __future__ import annotations

from ..vm.machine import LLMRequest
from ..vm.sandbox import Answer, Refusal
from .pipeline import Generation, Generator, RunState
from .prompt import Place

MODEL = "llmgen.model"
ATTEMPTS = "llmgen.attempts"
VALIDATION = "llmgen.validation"
RESERVED = (MODEL, ATTEMPTS, VALIDATION)


async def generate_request(generator: Generator, request: LLMRequest) -> Answer | Refusal:
    outcome = await generator.generate(request.prompt, Place("", -1),
                                       state=RunState(request.memory, request.stack))
    if not isinstance(outcome, Generation):
        kind = "NoValidCode" if outcome.available else "LLMUnavailable"
        return Refusal(kind, "; ".join([outcome.reason, *outcome.problems]))
    return Answer(outcome.code, {MODEL: outcome.model, ATTEMPTS: outcome.attempts,
                                 VALIDATION: outcome.verdict.summary})
