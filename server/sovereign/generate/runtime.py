"""Fulfilling LLM instructions while a program runs (`sovereign run`).

LLMGEN goes through the same pipeline as the editor and pushes the validated code as a string;
the generation's metadata is stored under reserved memory names (docs/language.md). Every
answer is also kept for the editor's sandbox.
"""

from __future__ import annotations

from ..vm.machine import LLMRequest
from ..vm.sandbox import Answer, AsyncFulfil, Refusal
from .pipeline import Generation, Generator
from .prompt import Place

MODEL = "llmgen.model"
ATTEMPTS = "llmgen.attempts"
VALIDATION = "llmgen.validation"
RESERVED = (MODEL, ATTEMPTS, VALIDATION)


def fulfil_with(generator: Generator) -> AsyncFulfil:
    async def fulfil(request: LLMRequest) -> Answer | Refusal:
        if request.kind != "LLMGEN":
            return Refusal("LLMUnavailable", "EVOLVE is not available in this version yet")
        outcome = await generator.generate(request.prompt, Place("", -1))
        if not isinstance(outcome, Generation):
            kind = "NoValidCode" if outcome.available else "LLMUnavailable"
            return Refusal(kind, outcome.reason)
        generator.answers[(request.kind, request.prompt, request.code)] = outcome.code
        return Answer(outcome.code, {MODEL: outcome.model, ATTEMPTS: outcome.attempts,
                                     VALIDATION: outcome.verdict.summary})

    return fulfil
