"""Fulfilling LLM instructions while a program runs (`sovereign run`).

LLMGEN goes through the same pipeline as the editor and pushes the validated code as a string;
EVOLVE goes through the evolution engine. Their metadata is stored under reserved memory names
(docs/language.md).
"""

from __future__ import annotations

from ..evolve.engine import Evolver
from ..evolve.runtime import evolve_request
from ..vm.machine import LLMRequest
from ..vm.sandbox import Answer, AsyncFulfil, Refusal
from .pipeline import Generation, Generator
from .prompt import Place

MODEL = "llmgen.model"
ATTEMPTS = "llmgen.attempts"
VALIDATION = "llmgen.validation"
RESERVED = (MODEL, ATTEMPTS, VALIDATION)


def fulfil_with(generator: Generator, evolver: Evolver) -> AsyncFulfil:
    async def fulfil(request: LLMRequest) -> Answer | Refusal:
        if request.kind == "EVOLVE":
            return await evolve_request(evolver, request)
        outcome = await generator.generate(request.prompt, Place("", -1))
        if not isinstance(outcome, Generation):
            kind = "NoValidCode" if outcome.available else "LLMUnavailable"
            return Refusal(kind, outcome.reason)
        return Answer(outcome.code, {MODEL: outcome.model, ATTEMPTS: outcome.attempts,
                                     VALIDATION: outcome.verdict.summary})

    return fulfil
