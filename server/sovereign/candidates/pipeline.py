"""The one candidate pipeline under LLMGEN and EVOLVE: an answer (from a model, the pattern
memory, or a search) becomes a `Candidate` by taking its code out, reading its shape into the
document it produces, and judging that document; a refused candidate becomes the feedback of
the next question; passing candidates are ranked.

The features above differ only in what they ask and in the rules they judge by.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..lang.assembler import assemble
from ..lang.edits import line_edits
from .extract import extract_code
from .judge import Judge, Verdict
from .shape import Place, shaped


@dataclass(frozen=True)
class Candidate:
    """One answer, judged. `document` is what it makes of the whole document ("" when it
    could not be placed)."""

    source: str
    """Who wrote it: a model's name, "memory" or "search"."""
    answer: str
    code: str
    shape: str
    document: str
    verdict: Verdict

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    @property
    def why(self) -> str:
        """One line: who wrote it and why it was refused."""
        return f"{self.source}: {self.verdict.reason}"


def judged(answer: str, source: str, place: Place, judge: Judge) -> Candidate:
    """An answer as a candidate for `place`."""
    extracted = extract_code(answer)
    if not extracted.code:
        return Candidate(source, answer, "", "", "", Verdict(False, extracted.problem))
    placed = shaped(place, extracted.code)
    if not placed.document:
        return Candidate(source, answer, extracted.code, placed.shape, "",
                         Verdict(False, placed.problem))
    return Candidate(source, answer, extracted.code, placed.shape, placed.document,
                     judge.judge(placed.document, placed.lines))


def feedback(rejected: Candidate) -> list[tuple[str, str]]:
    """The turns that show a model its own refused answer, then why it was refused."""
    return [("assistant", rejected.answer or "(no answer)"),
            ("user", f"That answer was refused: {rejected.verdict.reason}. Correct it; answer "
                     "with the code only, in one ```sovereign block.")]


def changed_lines(place: Place, candidate: Candidate) -> int:
    """How many lines of the document a candidate changes (inserted, removed or rewritten)."""
    return sum(max(len(e.lines), e.last - e.first + 1)
               for e in line_edits(place.lines, candidate.document.split("\n")))


def ranked(place: Place, passing: Sequence[Candidate]) -> list[Candidate]:
    """Passing candidates, the smallest change first, then the one most others agree with."""
    programs = Counter(_program(c) for c in passing)
    return sorted(passing, key=lambda c: (changed_lines(place, c), -programs[_program(c)]))


def agreement(candidate: Candidate, others: Sequence[Candidate]) -> float:
    """The share of `others` whose document makes the same program as `candidate`'s."""
    same = _program(candidate)
    return sum(_program(o) == same for o in others if o.document) / len(others) if others else 0.0


def _program(candidate: Candidate) -> tuple[tuple[str, object], ...]:
    """What a candidate's document does, without its layout, comments or label spelling."""
    program = assemble(candidate.document).program
    return tuple((i.op, t if t >= 0 else i.arg) for i, t in zip(program.code, program.targets,
                                                                strict=True))
