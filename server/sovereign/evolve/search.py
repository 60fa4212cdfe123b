"""Repairs without a model: a search over small edits, each judged like a model's answer.

Automated program repair (GenProg's mutations, Prophet's ranked templates, SapFix's guards)
has shown that most mistakes are one small edit away from right. The search proposes those
edits (mutations.py) near the failure, orders them by a cost model (the kinds that fit the
error first, nearer before farther, smaller before larger, and the kinds that worked before
for this kind of error raised by what the pattern memory learnt), and judges each candidate
document in the sandbox under the same rules as every other candidate (candidates/judge.py).
Single edits come first; pairs only when no single edit passes, each made of a cheap single
edit and an edit where that one moved the failure to (the first mistake repaired shows the
second).

A search cannot know what the program is meant to do beyond what the program says: its
ASSERTs, its `; expect:` lines, and the output written before the block. So it offers a repair
only when every passing candidate it found does the same thing (prints the same, and leaves
the same values in memory); when two differ, which one is meant is a guess, and it says so
instead. An edit that makes up a value (a guard's default, a pushed constant) is offered only
when every variant of it (the value 0, 1, the program's own constants) passes and does the
same: then the value made up does not matter. For the same reason an error that comes
from never stopping (an endless loop, a runaway recursion, output or values without bound) is
searched only where `; expect:` lines say what the program prints: how many times a loop should
go round is the program's intent, which nothing else states.

Deterministic: the same program, problem, limits and memory give the same answer; the
candidate budget bounds the work, and the time limit only stops a search gone pathological
(it then offers nothing, and says so).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ..candidates.judge import Judge, Rules, printed
from ..candidates.pipeline import Candidate
from ..candidates.shape import Place
from ..lang.assembler import assemble
from ..lang.expectations import expectations
from ..vm.config import VMConfig
from ..vm.sandbox import run_program
from .mutations import Edit, Site, edits, site
from .problem import FALLS_INTO_CALL, Problem, diagnose

SOURCE = "search"
"""How search repairs are known among candidates, in the memory and to the user."""
EDIT = "edit"
"""The shape of a search candidate (candidates/shape.py names the shapes of answers)."""
OPEN_ENDED = frozenset({"R303", "R306", "R307", "R309", "R310", "R311", "R312", "R315"})
"""Errors of a program that does not stop when it should: searched only with `; expect:`."""
KIND_COST = {"name": 1.0, "guard": 1.0, "stop": 1.0, "type": 1.0, "base case": 2.0,
             "swap": 2.0, "flip": 2.0, "target": 2.0, "insert": 2.0, "remove": 2.0,
             "constant": 3.0}
FITS = {"division by zero": {"guard"}, "undefined name": {"name"},
        "type mismatch": {"type", "swap"}, "stack underflow": {"insert"},
        "stack overflow": {"remove", "insert"}, FALLS_INTO_CALL: {"stop"},
        "runaway recursion": {"base case"}, "failed assertion": {"swap", "flip"},
        "infinite loop": {"flip", "target"}}
"""The kinds of edit that fit each kind of error, which cost one less."""
PAIRED = 12
"""Pairs start from the cheapest this many single edits."""
STEP_FACTOR = 10
"""A candidate may run this many times the original's steps (at least MIN_STEPS)."""
MIN_STEPS = 10_000
REFUSALS_KEPT = 5
MADE_UP = frozenset({"guard", "insert", "base case"})
"""Kinds of edit that bring a value the program never had: a default, a pushed constant, a
base case's result. (An inserted DUP or POP is of kind "insert" too: its variants are the
constants that could stand in its place.)"""


@dataclass(frozen=True)
class Budget:
    """How much the search may do: `candidates` judged at most; it stops once `enough`
    pass (after the variants of the last one that passed: the same edit with another
    constant, which show whether that constant is a guess); `millis` stops a search gone
    pathological."""

    candidates: int = 300
    enough: int = 4
    millis: float = 5_000.0


@dataclass(frozen=True)
class Searched:
    """What the search found: the repair (`best`, with its edits in words), or why none."""

    best: Candidate | None
    kinds: tuple[str, ...] = ()
    passing: tuple[Candidate, ...] = ()
    refused: tuple[Candidate, ...] = ()
    """The first refused candidates, for the proof."""
    tried: int = 0
    reason: str = ""


def search(source: str, problem: Problem, config: VMConfig, budget: Budget = Budget(),
           learnt: Mapping[str, int] | None = None) -> Searched:
    """Search for a repair of `problem` in `source`. `learnt` counts, per kind of edit, the
    search repairs of this kind of error that worked before."""
    assembly = assemble(source)
    if not assembly.ok or not problem.code:
        return Searched(None, reason="the search repairs errors only")
    stated = bool(expectations(assembly.texts))
    if problem.code in OPEN_ENDED and not stated:
        return Searched(None, reason=f"repairing {_a(problem.category)} means choosing how "
                        "often the code runs, which only the program's intent says: state its "
                        "output with `; expect:` lines, or ask a model")
    at = site(assembly.texts, assembly.program, problem)
    if at is None:
        return Searched(None, reason=f"no instruction on line {problem.line + 1}")
    place = Place(source, problem.first, problem.last)
    judge = Judge(place, _bounded(config, source), Rules(
        repair=True, problem=problem.code, stops_early=problem.category == FALLS_INTO_CALL))
    return _Search(at, place, judge, budget, learnt or {}, stated).run()


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _bounded(config: VMConfig, source: str) -> VMConfig:
    """The limits a candidate runs under: the sandbox's, with steps bounded by what the
    original took, so that a candidate looping forever costs little (and the same on any
    machine)."""
    steps = run_program(assemble(source).program, config).steps
    return replace(config, max_steps=min(config.max_steps, max(MIN_STEPS, STEP_FACTOR * steps)))


def _ordered(at: Site, learnt: Mapping[str, int]) -> list[tuple[float, Edit]]:
    """The single edits with their costs, the cheapest first (ties as they were proposed)."""
    category = at.problem.category

    def cost(edit: Edit) -> float:
        fits = edit.kind in FITS.get(category, set())
        learnt_bonus = min(1.0, 0.25 * learnt.get(edit.kind, 0))
        return (KIND_COST[edit.kind] - fits - learnt_bonus + edit.distance
                + 0.25 * max(0, len(edit.lines) - 1))

    return sorted(((cost(edit), edit) for edit in edits(at)), key=lambda pair: pair[0])


@dataclass(frozen=True)
class _Proposal:
    """A candidate document, made by one edit or by two (the second where the first moved
    the failure to). `lines`: where the block stands in it, when that is known."""

    cost: float
    document: str
    edits: tuple[Edit, ...]
    lines: tuple[int, int] | None = None

    @property
    def group(self) -> Group:
        return tuple(edit.group for edit in self.edits)


def _applied(texts: Sequence[str], edit: Edit) -> list[str]:
    return [*texts[:edit.first], *edit.lines, *texts[edit.last + 1:]]


def _single(at: Site, cost: float, edit: Edit) -> _Proposal:
    problem = at.problem
    entry = problem.first + (edit.delta if edit.last < problem.first else 0)
    after = problem.last + 1 + (edit.delta if edit.last <= problem.last else 0)
    return _Proposal(cost, "\n".join(_applied(at.texts, edit)), (edit,), (entry, after))


class _Search:
    """One search: the candidates judged so far, within the budget."""

    def __init__(self, at: Site, place: Place, judge: Judge, budget: Budget,
                 learnt: Mapping[str, int], stated: bool) -> None:
        self.at, self.place, self.judge, self.budget = at, place, judge, budget
        self.learnt, self.stated = learnt, stated
        self.groups: dict[Group, list[Candidate]] = {}
        """Every candidate judged, by its edits' groups (variants of one another)."""
        self.sizes: Counter[Group] = Counter()
        self.passed: list[tuple[Candidate, tuple[str, ...]]] = []
        self.refused: list[Candidate] = []
        self.tried = 0
        self.seen: set[str] = {place.document}
        self.deadline = time.monotonic() + budget.millis / 1000

    def run(self) -> Searched:
        singles = [_single(self.at, cost, edit) for cost, edit in _ordered(self.at, self.learnt)]
        if not self._judge_all(singles):
            return self._stopped()
        if not self.passed and not self._judge_all(self._followed(singles[:PAIRED])):
            return self._stopped()
        return self._outcome()

    def _judge_all(self, proposals: Sequence[_Proposal]) -> bool:
        """Judge the proposals in order, within the budget; False if time ran out."""
        self.sizes.update(p.group for p in proposals)
        for proposal in proposals:
            if self.tried >= self.budget.candidates or self._enough(proposal):
                break
            if time.monotonic() > self.deadline:
                return False
            self._judge(proposal)
        return True

    def _followed(self, singles: Sequence[_Proposal]) -> list[_Proposal]:
        """Pairs: where one of the cheapest single edits moved the failure elsewhere, each
        edit made there too, the cheapest pairs first."""
        pairs: list[_Proposal] = []
        problem = self.at.problem
        for first in singles:
            moved = diagnose(first.document, self.judge.config)
            if moved is None or not moved.code or (moved.line, moved.code) == (problem.line,
                                                                              problem.code):
                continue
            assembly = assemble(first.document)
            there = site(assembly.texts, assembly.program, moved)
            if there is None:
                continue
            pairs += [_Proposal(first.cost + cost, "\n".join(_applied(there.texts, edit)),
                                (*first.edits, edit))
                      for cost, edit in _ordered(there, self.learnt)]
        return sorted(pairs, key=lambda p: p.cost)

    def _enough(self, proposal: _Proposal) -> bool:
        """Whether enough passed, and `proposal` is no variant of the last that did."""
        if len(self.passed) < self.budget.enough:
            return False
        last = self.passed[-1][0]
        return last not in self.groups.get(proposal.group, [])

    def _judge(self, proposal: _Proposal) -> None:
        if proposal.document in self.seen:
            self.sizes[proposal.group] -= 1  # the same candidate as another: judged there
            return
        self.seen.add(proposal.document)
        self.tried += 1
        verdict = self.judge.judge(proposal.document, proposal.lines)
        edits = proposal.edits
        what = "; then ".join(e.what for e in edits)
        candidate = Candidate(f"{SOURCE} ({what})", what,
                              "\n".join(line for e in edits for line in e.lines), EDIT,
                              proposal.document, verdict)
        self.groups.setdefault(proposal.group, []).append(candidate)
        if verdict.ok:
            self.passed.append((candidate, tuple(e.kind for e in edits)))
        elif len(self.refused) < REFUSALS_KEPT:
            self.refused.append(candidate)

    def _trusted(self) -> list[tuple[Candidate, tuple[str, ...]]]:
        """The passing candidates, less those whose edit makes up a value the program never
        had (a default, a pushed constant, a base case) unless every variant of it was tried,
        passed and did the same: then the value made up does not matter. Where `; expect:`
        lines state the output, the variants that print otherwise fail, and the value is the
        one the program's own statement of intent chose."""
        return [(candidate, kinds) for candidate, kinds in self.passed
                if not MADE_UP & set(kinds) or self._settled(candidate)]

    def _settled(self, candidate: Candidate) -> bool:
        group = next(g for g, members in self.groups.items() if candidate in members)
        members = self.groups[group]
        passed = [m for m in members if m.ok]
        every = self.stated or len(passed) == len(members)
        return len(members) == self.sizes[group] and every and len({_did(m) for m in passed}) == 1

    def _stopped(self) -> Searched:
        return Searched(None, refused=tuple(self.refused), tried=self.tried,
                        reason=f"the search stopped after {self.budget.millis:.0f} ms "
                               f"({self.tried} candidates judged): nothing offered")

    def _outcome(self) -> Searched:
        """The cheapest trusted candidate, when every candidate that passed (trusted or not)
        did what it does; otherwise why not."""
        passing = tuple(c for c, _ in self.passed)
        trusted = self._trusted()
        refused, tried = tuple(self.refused), self.tried
        if len({_did(c) for c in passing}) > 1:
            shown = "; ".join(f"{c.answer} ({printed(c.verdict.output)})" for c in passing)
            return Searched(None, passing=passing, refused=refused, tried=tried,
                            reason=f"{len(passing)} edits pass but the program then does "
                                   f"different things ({shown}): which is meant is a guess; "
                                   "say it with `; expect:` lines, or ask a model")
        if not trusted:
            reason = (f"{len(passing)} edits pass only with a value made up for them, which "
                      "other values would change: which is meant is a guess; say it with "
                      "`; expect:` lines, or ask a model" if passing else
                      f"none of the {tried} small edits tried passes" if tried else
                      "no small edit applies here")
            return Searched(None, passing=passing, refused=refused, tried=tried, reason=reason)
        best, kinds = trusted[0]
        return Searched(best, kinds, passing, refused, tried)


Group = tuple[tuple[str, int, int], ...]


def _did(candidate: Candidate) -> tuple[str, tuple[str, ...]]:
    """What a passing candidate's run did: its output and the values it left in memory."""
    return candidate.verdict.output, candidate.verdict.values
