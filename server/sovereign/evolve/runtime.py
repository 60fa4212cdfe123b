"""The EVOLVE instruction at run time (`sovereign run`): the code string on the stack is
repaired by the engine and the whole repaired code is pushed back; the evolution's metadata is
stored under reserved memory names (docs/language.md). The program asked for a model, so the
search over small edits stands in only when no model can be asked."""

from __future__ import annotations

from ..vm.machine import LLMRequest
from ..vm.sandbox import Answer, Refusal
from .engine import Evolver, Repair
from .problem import Problem, diagnose

MODEL = "evolve.model"
CONFIDENCE = "evolve.confidence"
ATTEMPTS = "evolve.attempts"
PATTERN = "evolve.pattern"


async def evolve_request(evolver: Evolver, request: LLMRequest) -> Answer | Refusal:
    code = request.code or ""
    problem = diagnose(code, evolver.config)
    if problem is None:
        last = max(0, len(code.split("\n")) - 1)
        problem = Problem("requested change", "", request.prompt, 0, 0, last)
    outcome = await evolver.evolve(code, problem, request.prompt, search="fallback")
    if not isinstance(outcome, Repair):
        kind = "NoValidFix" if outcome.available else "LLMUnavailable"
        return Refusal(kind, outcome.explanation)
    return Answer(outcome.document, {
        MODEL: outcome.model,
        CONFIDENCE: round(outcome.confidence * 100),
        ATTEMPTS: len(outcome.candidates),
        PATTERN: outcome.pattern,
    })
