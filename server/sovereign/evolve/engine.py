"""The evolution engine: repairs that are offered only after the sandbox has run them.

For a problem (problem.py) it first tries the fixes the pattern memory says worked for the same
mistake before, re-validated on the current code, with no model at all. Otherwise it asks the
model manager's chain for several candidates (different seeds and temperatures), each prompted
with the block, the error, the state at the failure, the language reference and similar past
fixes; validates every one (validate.py); ranks those that pass (the smallest change first,
then agreement between candidates); and records every outcome in the memory and the model
manager.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..generate.extract import extract_code
from ..lang.reference import compact_reference
from ..llm.api import ChatRequest, Completion, Message, Options
from ..llm.errors import LLMError
from ..llm.models import CODE, Model, ModelManager
from ..llm.transport import HttpClient
from ..vm.config import VMConfig
from .memory import Fix, Normalised, PatternMemory, normalise
from .problem import Problem
from .validate import check_repair, instructions, replace_block

TEMPERATURES = (0.2, 0.5, 0.8)


@dataclass(frozen=True)
class Candidate:
    code: str
    source: str
    """The model that wrote it, or "memory"."""
    ok: bool
    reason: str = ""
    output: str = ""
    """What the repaired program printed in the sandbox (for a candidate that passed)."""


@dataclass(frozen=True)
class Repair:
    """A validated repair: `code` replaces lines first..last of the document."""

    code: str
    first: int
    last: int
    document: str
    model: str
    confidence: float
    pattern: int
    candidates: tuple[Candidate, ...]
    output: str = ""
    """What the repaired program printed in the sandbox."""


@dataclass(frozen=True)
class NoRepair:
    """Why nothing is offered: what each candidate failed on."""

    reason: str
    candidates: tuple[Candidate, ...] = ()
    available: bool = True
    """False when no model could be asked at all (none configured, installed or reachable)."""

    @property
    def explanation(self) -> str:
        failed = "; ".join(f"{c.source}: {c.reason}" for c in self.candidates if not c.ok)
        return f"{self.reason}" + (f" ({failed})" if failed else "")


@dataclass
class Evolver:
    memory: PatternMemory
    manager: ModelManager | None = None
    rounds: int = 3
    config: VMConfig = field(default_factory=VMConfig)
    model: str | None = None
    """The model the user chose, asked first."""

    async def evolve(self, source: str, problem: Problem, instruction: str = "",
                     on_text: Callable[[str], None] | None = None) -> Repair | NoRepair:
        block = "\n".join(source.split("\n")[problem.first:problem.last + 1])
        pattern = normalise(block)
        pattern_id = self.memory.remember(pattern, problem.category)
        remembered = self._from_memory(source, problem, pattern, pattern_id)
        if remembered is not None:
            return remembered
        if self.manager is None:
            return NoRepair("no LLM is configured and no remembered fix applies",
                            available=False)
        candidates = await self._ask(source, problem, block, pattern, instruction, on_text)
        if isinstance(candidates, NoRepair):
            return candidates
        for candidate in candidates:
            self.memory.record(pattern_id, pattern.key, pattern.abstract(candidate.code),
                               candidate.source, candidate.ok, candidate.reason)
            self.manager.note(candidate.source, f"repair:{problem.category}", candidate.ok, 0.0)
        passing = [c for c in candidates if c.ok]
        if not passing:
            return NoRepair("no candidate passed validation", tuple(candidates))
        best = min(passing, key=lambda c: _change(block, c.code))
        agreement = Counter(tuple(instructions(c.code)) for c in passing)
        confidence = _confidence(agreement[tuple(instructions(best.code))] / len(candidates),
                                 self.memory.success_rate(pattern_id))
        return Repair(best.code, problem.first, problem.last,
                      replace_block(source, problem.first, problem.last, best.code),
                      best.source, confidence, pattern_id, tuple(candidates), best.output)

    def _from_memory(self, source: str, problem: Problem, pattern: Normalised,
                     pattern_id: int) -> Repair | None:
        """A fix that worked for the same pattern before, if it still passes here."""
        for fix in self.memory.fixes(pattern_id):
            code = pattern.restore(fix.after)
            check = check_repair(source, problem, code, self.config)
            if check.ok:
                candidate = Candidate(code, "memory", True, output=check.output)
                return Repair(code, problem.first, problem.last,
                              replace_block(source, problem.first, problem.last, code),
                              f"{fix.model} (remembered)",
                              _confidence(1.0, self.memory.success_rate(pattern_id)),
                              pattern_id, (candidate,), check.output)
        return None

    async def _ask(self, source: str, problem: Problem, block: str, pattern: Normalised,
                   instruction: str,
                   on_text: Callable[[str], None] | None) -> list[Candidate] | NoRepair:
        assert self.manager is not None
        if not self.manager.models:
            await self.manager.refresh()
        chain = self.manager.choose({CODE}, f"repair:{problem.category}", explicit=self.model)
        if not chain:
            reason = "; ".join(self.manager.problems) or (
                "no installed model writes code: run `ollama pull qwen2.5-coder:7b`")
            return NoRepair(reason, available=False)
        examples = self.memory.similar(pattern, problem.category)
        messages = _prompt(problem, block, instruction, examples, pattern)
        on_chunk = (lambda chunk: on_text(chunk.text)) if on_text else None
        candidates: list[Candidate] = []
        for round_ in range(self.rounds):
            options = Options(num_predict=600, seed=round_ + 1,
                              temperature=TEMPERATURES[round_ % len(TEMPERATURES)])

            async def ask(client: HttpClient, model: Model,
                          options: Options = options) -> Completion:
                return await client.chat(ChatRequest(model.name, messages, options=options),
                                         on_chunk)

            try:  # the chain records answering; `evolve` records passing validation
                answer, model, _ = await self.manager.first_that_works(
                    chain, f"answer:{problem.category}", ask)
            except LLMError as error:
                if not candidates:
                    return NoRepair(str(error), available=False)
                break
            code = extract_code(answer.text)
            check = check_repair(source, problem, code, self.config)
            candidates.append(Candidate(code, model.name, check.ok, check.reason, check.output))
        return candidates


def _prompt(problem: Problem, block: str, instruction: str, examples: list[Fix],
            pattern: Normalised) -> list[Message]:
    context = [f"The program fails with {problem.category}: {problem.message}",
               f"It fails on line {problem.line - problem.first + 1} of this block:",
               f"```sovereign\n{block}\n```"]
    if problem.stack:
        context.append(f"The stack at the failure (top last): {list(problem.stack)}")
    if problem.memory:
        context.append(f"Memory at the failure: {problem.memory}")
    if problem.calls:
        context.append(f"Called from lines {[line + 1 for line in problem.calls]}")
    if instruction:
        context.append(f"The user asks: {instruction}")
    context.append("Rewrite the whole block so that it no longer fails and still does its job: "
                   "keep its labels, keep what it prints, do not just delete code or HALT.")
    messages = [Message("system", "You repair Sovereign assembly, a small stack-machine "
                                  "language. Answer with the repaired block only, in one "
                                  "```sovereign block.\n\nOpcodes:\n" + compact_reference())]
    for fix in examples:
        messages += [Message("user", f"Repair this block:\n```sovereign\n"
                                     f"{pattern.restore(fix.before)}\n```"),
                     Message("assistant", f"```sovereign\n{pattern.restore(fix.after)}\n```")]
    messages.append(Message("user", "\n".join(context)))
    return messages


def _change(before: str, after: str) -> float:
    """How much a candidate changes the block, from 0 (nothing) to 1 (everything)."""
    return 1 - difflib.SequenceMatcher(None, before.split("\n"), after.split("\n")).ratio()


def _confidence(agreement: float, past_success: float) -> float:
    """Validated (0.5), plus how far the candidates agree (up to 0.3), plus how often fixes
    of this pattern worked before (up to 0.2)."""
    return round(0.5 + 0.3 * agreement + 0.2 * past_success, 2)
