"""The evolution engine: repairs that are offered only after the sandbox has run them.

For a problem (problem.py) it first tries the fixes the pattern memory says worked for the same
mistake before, judged on the current code like any other candidate (one that no longer passes
is recorded as failed, which lowers its confidence). Then, for an error, the search over small
edits (search.py), which needs no model; how it is combined with the models is the caller's
choice (`SearchUse`). Otherwise it asks the model manager's
chain for several candidates (different seeds and temperatures), each prompted with the whole
program and the block to repair marked, the error, the state at the failure, the rules of the
language and similar past fixes. An answer may be the block, the whole program or a diff
(candidates/shape.py). When every block-sized answer fails on a program small enough to show
whole, it asks once more for the whole program repaired, since the cause may lie outside the
block. Every candidate is judged (candidates/judge.py); those that pass are ranked (the
smallest change first, then agreement); every outcome is recorded in the memory and the model
manager.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..candidates.judge import Judge, Rules
from ..candidates.pipeline import Candidate, agreement, judged, ranked
from ..candidates.shape import Place
from ..lang.reference import compact_reference, syntax_rules
from ..llm import constrained
from ..llm.api import ChatRequest, Completion, Message, Options
from ..llm.constrained import Constraint
from ..llm.errors import LLMError
from ..llm.models import CODE, Model, ModelManager, none_for, warn_if_unfit
from ..llm.records import ANSWER
from ..llm.transport import LLMClient
from ..vm.config import VMConfig
from ..vm.errors import shown
from .memory import Fix, Normalised, PatternMemory, normalise
from .problem import FALLS_INTO_CALL, Problem
from .search import SOURCE, Budget, Searched, search

SearchUse = Literal["first", "fallback", "never", "only"]
"""When the search over small edits is tried: before the models (the editor's quick fix,
`sovereign evolve`), only when no model can be asked (the EVOLVE instruction), never
(`--no-search`), or alone (`--search-only`). It repairs errors only (a problem with a code),
never a change asked in words."""

TEMPERATURES = (0.2, 0.5, 0.8)
WHOLE_PROGRAM_LINES = 300
TOKENS_PER_LINE = 24
"""Enough for a line of code written as JSON (`{"op": "PUSH", "arg": 100},`), the widest form
an answer takes."""
TOKENS_FOR_PROSE = 160
"""What a model may say around the code before its answer is cut."""
ROOM_LINES = 10
"""Lines a repaired block may grow by (a guard takes four), beyond its own."""
"""A program up to this long is shown whole, and may be asked for whole when blocks fail."""
BLOCK_START = "; >>> the block to repair starts here"
BLOCK_END = "; <<< the block to repair ends here"


@dataclass(frozen=True)
class Repair:
    """A validated repair: `document` is the whole document repaired."""

    document: str
    model: str
    confidence: float
    pattern: int
    candidates: tuple[Candidate, ...]
    output: str = ""
    """What the repaired program printed in the sandbox."""
    what: str = ""
    """The search's edit, in words (for a repair the search found)."""
    origin: str = "model"
    """Where it came from: "model", "memory" (a fix that worked before) or "search"."""

    @property
    def by(self) -> str:
        """Who wrote it, for the user."""
        return f"the search, no model ({self.what})" if self.origin == SOURCE else self.model


@dataclass(frozen=True)
class NoRepair:
    """Why nothing is offered: what each candidate failed on."""

    reason: str
    candidates: tuple[Candidate, ...] = ()
    available: bool = True
    """False when no model could be asked at all (none configured, installed or reachable)."""

    @property
    def explanation(self) -> str:
        failed = "; ".join(c.why for c in self.candidates if not c.ok)
        return f"{self.reason}" + (f" ({failed})" if failed else "")


@dataclass
class Evolver:
    memory: PatternMemory
    manager: ModelManager | None = None
    rounds: int = 3
    config: VMConfig = field(default_factory=VMConfig)
    model: str | None = None
    """The model the user chose, asked first."""
    budget: Budget = field(default_factory=Budget)
    """What the search over small edits may spend."""
    constraint: Constraint | None = None
    """The shape answers are held to, where the server can (structured output)."""

    async def evolve(self, source: str, problem: Problem, instruction: str = "",
                     on_text: Callable[[str], None] | None = None, *,
                     search: SearchUse = "first") -> Repair | NoRepair:
        place = Place(source, problem.first, problem.last)
        judge = repair_judge(place, problem, self.config)
        block = "\n".join(place.lines[problem.first:problem.last + 1])
        pattern = normalise(block)
        pattern_id = self.memory.remember(pattern, problem.category)
        remembered = self._from_memory(place, judge, pattern, pattern_id)
        if remembered is not None:
            return remembered
        searchable = bool(problem.code) and search != "never"  # an error, not a request
        searched: Repair | NoRepair | None = None
        if searchable and search in ("first", "only"):
            searched = await self._search(place, problem, pattern, pattern_id)
            if isinstance(searched, Repair) or search == "only":
                return searched
        asked = await self._from_models(place, judge, problem, pattern, pattern_id,
                                        instruction, on_text)
        if isinstance(asked, NoRepair) and not asked.available and searchable:
            if searched is None and search == "fallback":
                searched = await self._search(place, problem, pattern, pattern_id)
            if isinstance(searched, Repair):
                return searched
            if searched is not None:
                return NoRepair(f"{asked.reason}; and {searched.reason}", searched.candidates,
                                available=False)
        return asked

    async def _search(self, place: Place, problem: Problem, pattern: Normalised,
                      pattern_id: int) -> Repair | NoRepair:
        """The search's repair, found off the event loop (it runs the sandbox many times).
        Each mistake it repairs is learnt once, so that the kinds of edit that worked for this
        kind of error come first next time."""
        learnt = self.memory.learnt(problem.category)
        found: Searched = await asyncio.to_thread(search, place.document, problem, self.config,
                                                  self.budget, learnt)
        best = found.best
        if best is None:
            return NoRepair(f"the search found no repair: {found.reason}",
                            found.refused + found.passing)
        replacement = _block_of(place, best.document)
        after = pattern.abstract(replacement) if replacement is not None else ""
        model = f"{SOURCE}:{'+'.join(found.kinds)}"
        if not any((f.model, f.after) == (model, after) for f in self.memory.fixes(pattern_id)):
            self.memory.record(pattern_id, pattern.key, after, model, True)  # once per mistake
        return Repair(best.document, SOURCE,
                      _confidence(1.0, self.memory.success_rate(pattern_id)), pattern_id,
                      (best, *found.refused), best.verdict.output, best.answer, SOURCE)

    async def _from_models(self, place: Place, judge: Judge, problem: Problem,
                           pattern: Normalised, pattern_id: int, instruction: str,
                           on_text: Callable[[str], None] | None) -> Repair | NoRepair:
        """The best repair the models write, judged, each candidate learnt."""
        if self.manager is None:
            return NoRepair("no LLM is configured and no remembered fix applies",
                            available=False)
        asked = await self._ask(place, judge, problem, pattern, instruction, on_text)
        if isinstance(asked, NoRepair):
            return asked
        for candidate in asked:
            self._record(pattern_id, pattern, place, candidate)
            self.manager.note(candidate.source, f"repair:{problem.category}", candidate.ok, 0.0)
        passing = [c for c in asked if c.ok]
        if not passing:
            return NoRepair("no candidate passed validation", tuple(asked))
        best = ranked(place, passing)[0]
        confidence = _confidence(agreement(best, asked), self.memory.success_rate(pattern_id))
        return Repair(best.document, best.source, confidence, pattern_id, tuple(asked),
                      best.verdict.output)

    def _from_memory(self, place: Place, judge: Judge, pattern: Normalised,
                     pattern_id: int) -> Repair | None:
        """A fix that worked for the same pattern before, if it still passes here; one that
        no longer does is recorded as failed. The search's own fixes are left to the search,
        which finds them again only where they are no guess."""
        for fix in self.memory.fixes(pattern_id):
            if fix.model.startswith(f"{SOURCE}:"):
                continue
            code = pattern.restore(fix.after)
            candidate = judged(f"```sovereign\n{code}\n```", "memory", place, judge)
            if not candidate.ok:
                self.memory.record(pattern_id, pattern.key, fix.after, fix.model, False,
                                   f"no longer passes: {candidate.verdict.reason}")
                continue
            return Repair(candidate.document, f"{fix.model} (remembered)",
                          _confidence(1.0, self.memory.success_rate(pattern_id)), pattern_id,
                          (candidate,), candidate.verdict.output, origin="memory")
        return None

    def _record(self, pattern_id: int, pattern: Normalised, place: Place,
                candidate: Candidate) -> None:
        """Remember a candidate as a fix of the block. A passing one that changes lines
        outside the block belongs to this program only, and is not kept as a pattern."""
        replacement = _block_of(place, candidate.document) if candidate.document else None
        if replacement is None and candidate.ok:
            return
        self.memory.record(pattern_id, pattern.key,
                           pattern.abstract(replacement if replacement is not None
                                            else candidate.code),
                           candidate.source, candidate.ok, candidate.verdict.reason)

    async def _ask(self, place: Place, judge: Judge, problem: Problem, pattern: Normalised,
                   instruction: str, on_text: Callable[[str], None] | None,
                   ) -> list[Candidate] | NoRepair:
        assert self.manager is not None
        if not self.manager.models:
            await self.manager.refresh()
        chain = self.manager.choose({CODE}, f"repair:{problem.category}", explicit=self.model)
        warn_if_unfit(chain, {CODE}, self.model)
        if not chain:
            return NoRepair(none_for({CODE}, self.manager.models, self.manager.problems),
                            available=False)
        small = len(place.lines) <= WHOLE_PROGRAM_LINES
        examples = self.memory.similar(pattern, problem.category)
        messages = repair_messages(place, problem, instruction, examples, pattern, small,
                                   False)
        candidates: list[Candidate] = []
        for round_ in range(self.rounds):
            answer = await self._answer(chain, problem, messages, round_, on_text,
                                        problem.last - problem.first + 1)
            if isinstance(answer, LLMError):
                if not candidates:
                    return NoRepair(str(answer), available=False)
                return candidates
            candidates.append(judged(answer[0], answer[1].name, place, judge))
        if small and not any(c.ok for c in candidates):  # the cause may lie outside the block
            whole = repair_messages(place, problem, instruction, examples, pattern, small, True)
            answer = await self._answer(chain, problem, whole, self.rounds, on_text,
                                        len(place.lines))
            if not isinstance(answer, LLMError):
                candidates.append(judged(answer[0], answer[1].name, place, judge))
        return candidates

    async def _answer(self, chain: list[Model], problem: Problem, messages: list[Message],
                      round_: int, on_text: Callable[[str], None] | None, lines: int,
                      ) -> tuple[str, Model] | LLMError:
        """One answer replacing `lines` lines of code."""
        assert self.manager is not None
        options = Options(num_predict=answer_budget(lines),
                          seed=round_ + 1, temperature=TEMPERATURES[round_ % len(TEMPERATURES)])
        on_chunk = (lambda chunk: on_text(chunk.text)) if on_text else None

        async def ask(client: LLMClient, model: Model) -> Completion:
            return await constrained.chat(
                client, ChatRequest(model.name, messages, options=options), self.constraint,
                on_chunk)

        try:  # the chain records answering; `evolve` records passing validation
            completion, model = await self.manager.first_that_works(
                chain, f"{ANSWER}{problem.category}", ask)
        except LLMError as error:
            return error
        return completion.text, model


def repair_judge(place: Place, problem: Problem, config: VMConfig) -> Judge:
    """What every candidate repair of `problem` must pass."""
    return Judge(place, config, Rules(repair=bool(problem.code), problem=problem.code,
                                      stops_early=problem.category == FALLS_INTO_CALL))


def answer_budget(lines: int) -> int:
    """The tokens an answer replacing `lines` lines of code may take: sized to it, so that a
    model that rambles on after its code is cut off instead of running for minutes."""
    return TOKENS_FOR_PROSE + TOKENS_PER_LINE * (lines + ROOM_LINES)


def repair_messages(place: Place, problem: Problem, instruction: str, examples: Sequence[Fix],
                    pattern: Normalised, whole: bool, rewrite_all: bool) -> list[Message]:
    """The conversation for one candidate: the rules, past fixes of similar blocks, then the
    program with the block marked (or the block alone, for a long program)."""
    lines = place.lines
    block = lines[problem.first:problem.last + 1]
    listing = "\n".join([*lines[:problem.first], BLOCK_START, *block, BLOCK_END,
                         *lines[problem.last + 1:]] if whole else block)
    where = "the marked block of this program" if whole else "this block"
    context = [f"The program fails with {problem.category}: {problem.message}",
               f"It fails on line {problem.line + 1}, in {where}:",
               f"```sovereign\n{listing}\n```"]
    if problem.stack:  # values shortened: a run may hold strings of megabytes
        context.append("The stack at the failure (top last): "
                       f"[{', '.join(shown(v) for v in problem.stack)}]")
    if problem.memory:
        context.append("Memory at the failure: {" + ", ".join(
            f"{name!r}: {shown(value)}" for name, value in problem.memory.items()) + "}")
    if problem.calls:
        context.append(f"Called from lines {[line + 1 for line in problem.calls]}")
    if instruction:
        context.append(f"The user asks: {instruction}")
    keep = ("keep its labels and its ASSERTs, keep what it prints, do not just delete code "
            "or add a HALT")
    if rewrite_all:
        context.append("Repairing the block alone did not work: the cause may be elsewhere. "
                       f"Answer with the whole program repaired ({keep}).")
    else:
        context.append(f"Answer with the repaired block only, from its first line to its last "
                       f"({keep}).")
    messages = [Message("system", "You repair Sovereign assembly.\n" + syntax_rules() +
                        "\nAnswer with code only, in one ```sovereign block.\n\nOpcodes:\n" +
                        compact_reference())]
    for fix in examples:
        messages += [Message("user", f"Repair this block:\n```sovereign\n"
                                     f"{pattern.restore(fix.before)}\n```"),
                     Message("assistant", f"```sovereign\n{pattern.restore(fix.after)}\n```")]
    messages.append(Message("user", "\n".join(context)))
    return messages


def _block_of(place: Place, document: str) -> str | None:
    """What replaced the block in `document`, when nothing outside the block changed."""
    old, new = place.lines, document.split("\n")
    after = len(old) - place.last - 1
    if new[:place.first] != old[:place.first] or (after and new[-after:] != old[-after:]) or \
            len(new) < place.first + after:
        return None
    return "\n".join(new[place.first:len(new) - after])


def _confidence(agreement: float, past_success: float) -> float:
    """Validated (0.5), plus how far the candidates agree (up to 0.3), plus how often fixes
    of this pattern worked before (up to 0.2)."""
    return round(0.5 + 0.3 * agreement + 0.2 * past_success, 2)
