"""Judging a candidate by running the document it lands in.

The promise this module keeps: no code a model wrote is offered unless the sandbox has run the
program it produces and found it sound. A candidate document passes when all of these hold:

- it assembles, and adds no analysis error;
- every ASSERT of the original is still there, with the same message and the same expression
  (the instructions that compute its value), and every ASSERT the original ran still runs:
  an ASSERT is the user's specification, so removing, weakening or bypassing one is never a
  repair;
- run in the sandbox, it brings no runtime error the document did not have (a repair: no
  runtime error at all), no step or time limit;
- it still prints what the original printed before reaching the place the code goes;
- where the document states its output with `; expect:` lines, it prints exactly that;
- when the original went on past the place (or, for a repair, the block could fall through),
  control still reaches the code after it: falling into it, or jumping to a label at or after
  it;
- a repair does not only delete code, nor stop the program with a new HALT (unless stopping
  before a subroutine is the repair).

Each refusal is one line that says why.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from ..lang.analysis import analyse
from ..lang.assembler import Assembly, Instruction, Program, Value, assemble
from ..lang.edits import map_lines
from ..lang.expectations import expectations, first_mismatch
from ..lang.opcodes import BRANCHES, JUMPS, OPCODES, falls_through
from ..vm.config import VMConfig
from ..vm.executable import Executable
from ..vm.sandbox import RunResult, run_program
from .shape import Place

_EXPRESSION_LIMIT = 20
"""Instructions looked back through for what an ASSERT tests."""
_CONDITION = frozenset({"PUSH", "LOAD", "DUP", "EQ", "NE", "LT", "LE", "GT", "GE", "AND", "OR",
                        "NOT"})
"""Opcodes an ASSERT's condition is made of."""


@dataclass(frozen=True)
class Rules:
    """What kind of candidate is judged. `repair`: EVOLVE, whose program must then run
    without any runtime error (`problem` is the code of the error it repairs). Otherwise
    LLMGEN, which may leave an error the document already had elsewhere. `stops_early`: the
    block ran on into a subroutine, so stopping there (a HALT) is the repair and the code
    after it need not be reached."""

    repair: bool = False
    problem: str = ""
    stops_early: bool = False


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    """Why it was refused, in one line."""
    output: str = ""
    """What the document printed in the sandbox (for a candidate that passed)."""
    values: tuple[str, ...] = ()
    """The values it left in memory, sorted (their names aside): with the output, what a
    run did, so that two candidates can be told apart even when they print nothing."""

    @property
    def summary(self) -> str:
        return f"ran in the sandbox: {printed(self.output)}" if self.ok else self.reason


def printed(output: str, most: int = 5) -> str:
    """`prints 3, 6, 9` (the first lines, comma-separated) or `prints nothing`."""
    lines = output.rstrip("\n").split("\n") if output else []
    if not lines:
        return "prints nothing"
    shown = ", ".join(line if len(line) <= 30 else line[:27] + "..." for line in lines[:most])
    return f"prints {shown}" + (", ..." if len(lines) > most else "")


@dataclass(frozen=True)
class _Assert:
    """An ASSERT, known by its message and the instructions that compute its value."""

    index: int
    key: tuple[object, ...]


class Judge:
    """The original document, run once; then each candidate against it."""

    def __init__(self, place: Place, config: VMConfig | None = None,
                 rules: Rules = Rules()) -> None:
        self.place = place
        self.config = config or VMConfig()
        self.rules = rules
        self._texts = place.lines
        assembly = assemble(place.document)
        self._errors = _analysis_errors(assembly)
        self._expected = expectations(self._texts)
        program = assembly.program
        self._program = program
        self._instructions = _instructions(program)
        self._asserts = _asserts(program)
        stored = {i.arg for i in program.code if i.op == "STORE"}
        self._unstored = {i.arg for i in program.code if i.op == "LOAD"} - stored
        entry, after = _first_at(program, place.first), _first_at(program, place.last + 1)
        self._after_code = after < len(program.code)
        run = self._run(program, entry, after) if assembly.ok else None
        self._original = run
        failed = run.failed if run is not None else None
        self._essential = {n for n, i in enumerate(program.code)
                           if i.op in JUMPS or not falls_through(i.op)} | (
            {failed.error.pc} if failed is not None else set())
        """What a repair that only deletes may not delete: the failing instruction and the
        instructions that say where control goes."""
        self._prefix = _output_before(run, entry)
        self._ran_asserts = _ran(self._asserts, run)
        self._must_reach = self._after_code and not rules.stops_early and (
            _falls_through(program, place) if rules.repair else run is not None and
            _reached(run, program, entry, after))

    def judge(self, document: str, lines: tuple[int, int] | None = None) -> Verdict:
        """The verdict on `document`, whose new code stands at `lines` (first, one past the
        last) when that is known; else it is found by comparing with the original."""
        assembly = assemble(document)
        if not assembly.ok:
            first = next(f for f in assembly.findings if f.is_error)
            return Verdict(False, f"does not assemble: line {first.span.line + 1}: "
                                  f"{first.message}")
        added = _analysis_errors(assembly) - self._errors
        if added:
            return Verdict(False, f"adds an analysis error: {next(iter(added.elements()))}")
        program = assembly.program
        if _instructions(program) == self._instructions:
            return Verdict(False, "changes no instruction")
        refusal = self._static(program)
        if refusal:
            return Verdict(False, refusal)
        entry_line, after_line = lines or map_lines(self._texts, assembly.texts,
                                                    [self.place.first, self.place.last + 1])
        entry, after = _first_at(program, entry_line), _first_at(program, after_line)
        run = self._run(program, entry, after)
        refusal = (self._failure(run, program, entry_line, after_line)
                   or self._output(run) or self._reach(run, program, entry, after)
                   or self._kept_asserts(program, run))
        if refusal:
            return Verdict(False, refusal)
        return Verdict(True, output=run.output,
                       values=tuple(sorted(repr(v) for v in run.memory.values())))

    def _run(self, program: Program, entry: int, after: int) -> RunResult:
        watch = {entry, after, *_labels_from(program, after),
                 *(a.index for a in _asserts(program))}
        return run_program(Executable(program, watch=watch), self.config)

    def _static(self, program: Program) -> str:
        """Why the candidate is refused without running it, or ""."""
        ours = _asserts(program)
        for site in self._asserts:
            match = next((a for a in ours if self._same(site.key, a.key)), None)
            if match is None:
                return f"removes or changes the ASSERT on line {self._line(site.index)}"
            ours.remove(match)
        if not self.rules.repair:
            return ""
        instructions = _instructions(program)
        if [i for i in instructions if i[0] != "NOP"] == self._instructions:
            return "changes no instruction (it only adds NOPs)"
        deleted = _deleted(self._instructions, instructions)
        if deleted is not None and deleted & self._essential:
            return "only deletes code (the failing instruction, or a jump, among it)"
        halts = sum(op == "HALT" for op, _ in instructions)
        if halts > sum(op == "HALT" for op, _ in self._instructions) and not \
                self.rules.stops_early:
            return "stops the program with HALT"
        return ""

    def _failure(self, run: RunResult, program: Program, entry_line: int,
                 after_line: int) -> str:
        failed = run.failed
        if failed is None:
            return ""
        error = failed.error
        what = f"{error.kind}: {error.message} (line {error.span.line + 1})"
        if self.rules.repair:
            still = "still fails" if error.code == self.rules.problem else "fails"
            return f"{still} when run: {what}"
        before = self._original.failed if self._original is not None else None
        inside = entry_line <= error.span.line < after_line
        if before is not None and not inside and (before.error.kind, before.error.message) \
                == (error.kind, error.message):
            return ""  # the error the document already had
        return f"fails when run: {what}"

    def _output(self, run: RunResult) -> str:
        if not run.output.startswith(self._prefix):
            got = run.output[:len(self._prefix)]
            return (f"changes what the program printed before reaching the "
                    f"{'block' if self.rules.repair else 'new code'} ({_shown(self._prefix)} "
                    f"became {_shown(got)})")
        mismatch = first_mismatch(self._expected, run.output, run.halted)
        if mismatch is not None:
            return f"does not print what the document expects: {mismatch.message} (the " \
                   f"`; expect:` on line {mismatch.line + 1})"
        return ""

    def _reach(self, run: RunResult, program: Program, entry: int, after: int) -> str:
        if not self._must_reach or run.stopped_at is not None or _reached(run, program, entry,
                                                                           after):
            return ""
        return f"no longer reaches the code after the " \
               f"{'block' if self.rules.repair else 'new code'}"

    def _kept_asserts(self, program: Program, run: RunResult) -> str:
        if run.stopped_at is not None:
            return ""  # it stopped at an LLM instruction: what comes after is not known
        ours = [a for a in _asserts(program) if a.index in run.visits]
        for key, times in self._ran_asserts.items():
            if sum(self._same(key, a.key) for a in ours) < times:
                site = next(a for a in self._asserts if a.key == key)
                return f"bypasses the ASSERT on line {self._line(site.index)}, which the " \
                       "program ran before"
        return ""

    def _same(self, original: tuple[object, ...], candidate: tuple[object, ...]) -> bool:
        """Whether a candidate's ASSERT is the original one: the same message and condition,
        except that a name the original loads but never stores may be spelt right (such a
        condition could never be tested: the misspelling is the bug)."""
        message, condition = original
        other_message, other_condition = candidate
        assert isinstance(condition, tuple) and isinstance(other_condition, tuple)
        return message == other_message and len(condition) == len(other_condition) and all(
            mine == theirs or (mine[0] == theirs[0] == "LOAD" and mine[1] in self._unstored)
            for mine, theirs in zip(condition, other_condition, strict=True))

    def _line(self, index: int) -> int:
        return self._program.code[index].line + 1


def judge_snippet(code: str, config: VMConfig, memory: dict[str, Value],
                  stack: tuple[Value, ...]) -> Verdict:
    """A snippet to be pushed while a program runs (LLMGEN in `sovereign run`), run on its
    own from a copy of the machine's memory, and of its stack when it takes values from it."""
    assembly = assemble(code)
    if not assembly.ok:
        first = next(f for f in assembly.findings if f.is_error)
        return Verdict(False, f"does not assemble: line {first.span.line + 1}: {first.message}")
    takes = any(f.code in ("S204", "S205") for f in analyse(assembly.program).findings)
    run = run_program(assembly.program, config, memory=dict(memory),
                      stack=stack if takes else ())
    if (failed := run.failed) is not None:
        error = failed.error
        return Verdict(False, f"fails when run: {error.kind}: {error.message} "
                              f"(line {error.span.line + 1})")
    return Verdict(True, output=run.output)


def specification(program: Program) -> frozenset[int]:
    """The instructions that state what the program must do: every ASSERT and the condition
    it tests. A repair may change the logic that computes the values they compare, never
    them, so an edit search does not even try."""
    found: set[int] = set()
    for site in _asserts(program):
        condition = site.key[1]
        assert isinstance(condition, tuple)
        found.update(range(site.index - len(condition), site.index + 1))
    return frozenset(found)


def _analysis_errors(assembly: Assembly) -> Counter[str]:
    """The analysis errors of a document that assembles, by code and message (which do not
    name lines, so an error that only moved counts as the same)."""
    if not assembly.ok:
        return Counter()
    return Counter(f"{f.code}: {f.message}" for f in analyse(assembly.program).findings
                   if f.is_error)


def _instructions(program: Program) -> list[tuple[str, Value | None]]:
    return [(i.op, i.arg) for i in program.code]


def _first_at(program: Program, line: int) -> int:
    """The index of the first instruction on or after `line` (len(code) when none is)."""
    return bisect.bisect_left(program.code, line, key=attrgetter("line"))


def _labels_from(program: Program, index: int) -> set[int]:
    """The instructions at or after `index` that a jump (not only a CALL) can land on."""
    jumped = {t for i, t in zip(program.code, program.targets, strict=True)
              if i.op in BRANCHES}
    return {t for t in jumped if t >= index}


def _reached(run: RunResult, program: Program, entry: int, after: int) -> bool:
    """Whether control came to the code after the place (falling in, or by a jump to a label
    at or after it) once it had come to the place."""
    started = run.visits.get(entry)
    since = started.first_step if started is not None else 0
    return any((seen := run.visits.get(index)) is not None and seen.last_step >= since
               for index in {after, *_labels_from(program, after)})


def _falls_through(program: Program, place: Place) -> bool:
    """Whether the block's last instruction can go on to the next line."""
    inside = [i for i in program.code if place.first <= i.line <= place.last]
    return bool(inside) and falls_through(inside[-1].op)


def _output_before(run: RunResult | None, entry: int) -> str:
    """What the original printed before it first came to the place: the whole output when it
    never came there."""
    if run is None:
        return ""
    lines = run.output.split("\n")[:-1] if run.output else []
    visit = run.visits.get(entry)
    kept = lines if visit is None else lines[:visit.first_output]
    return "".join(line + "\n" for line in kept)


def _asserts(program: Program) -> list[_Assert]:
    code = program.code
    leaders = set(program.targets) | set(program.labels.values())
    return [_Assert(index, (instruction.arg, _expression(code, leaders, index)))
            for index, instruction in enumerate(code) if instruction.op == "ASSERT"]


def _expression(code: Sequence[Instruction], leaders: set[int],
                index: int) -> tuple[tuple[str, Value | None], ...]:
    """The condition ASSERT `index` tests: the comparisons, constants and loads just before
    it that produce its value (`LOAD balance PUSH #0 GE`), found by walking back until they
    have produced it. What computed the values they compare is the program's logic, which a
    repair may change; the condition is the user's specification, which it may not."""
    need, start = 1, index
    while need > 0 and start > 0 and index - start < _EXPRESSION_LIMIT and start not in \
            leaders and code[start - 1].op in _CONDITION:
        start -= 1
        opcode = OPCODES[code[start].op]
        need += opcode.pops - opcode.pushes
    return tuple((i.op, i.arg) for i in code[start:index])


def _ran(asserts: list[_Assert], run: RunResult | None) -> Counter[tuple[object, ...]]:
    """How many of the ASSERTs of each kind the run came to."""
    if run is None:
        return Counter()
    return Counter(a.key for a in asserts if a.index in run.visits)


def _deleted(old: list[tuple[str, Value | None]],
             new: list[tuple[str, Value | None]]) -> set[int] | None:
    """The indices of `old` that `new` leaves out, when leaving out (and adding NOPs) is all
    it does; None when it changes or adds anything else."""
    kept = [i for i in new if i[0] != "NOP"]
    matcher = difflib.SequenceMatcher(None, old, kept, autojunk=False)
    deleted: set[int] = set()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "delete":
            deleted.update(range(i1, i2))
        elif tag != "equal":
            return None
    return deleted


def _shown(text: str) -> str:
    flat = text.replace("\n", " | ").rstrip(" |")
    return repr(flat if len(flat) <= 40 else flat[:37] + "...")
