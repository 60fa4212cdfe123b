"""The LLM instructions of a running program (`sovereign run`), fulfilled: LLMGEN by the
generation pipeline, EVOLVE by the evolution engine. This is the one place that knows both."""

from __future__ import annotations

from collections.abc import Callable

from ..evolve.engine import Evolver
from ..evolve.runtime import evolve_request
from ..generate.pipeline import Generator
from ..generate.runtime import generate_request
from ..vm.machine import LLMRequest
from ..vm.sandbox import Answer, AsyncFulfil, Refusal


def fulfil_with(generator: Generator, evolver: Callable[[], Evolver]) -> AsyncFulfil:
    """Answers a running program's LLM instructions (`evolver` is made when EVOLVE first
    needs it)."""
    async def fulfil(request: LLMRequest) -> Answer | Refusal:
        if request.kind == "EVOLVE":
            return await evolve_request(evolver(), request)
        return await generate_request(generator, request)

    return fulfil
