"""Static analysis over the control-flow graph of an assembled program.

Stack depths are intervals, computed by abstract interpretation. The main program runs from the
first instruction with an empty stack; each subroutine (a CALL target) is analysed once, with
depths relative to its entry, and summarised by how many values it takes from its caller and
how it changes the depth when it returns. Summaries are iterated to a fixed point, so recursion
works. The top few stack values also carry their type when it is certain, which is enough to
catch `PUSH "a"` `PUSH #1` `SUB` before the program runs.

The editor analyses the whole file on every keystroke, and a keystroke changes one subroutine
at most. So each run of the main program or of a subroutine is kept, in coordinates relative
to its entry, under a signature of everything the run reads (the code it can reach, and the
summaries of what it calls): an unchanged subroutine, even one that moved down the file,
is not interpreted again.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from .assembler import Program
from .findings import Finding, Severity, Span, Tag
from .opcodes import JUMPS, OPCODES

INFINITY = math.inf
_KNOWN_TYPES = 4
"""How many values from the top of the stack keep a known type."""
_WIDEN_AFTER = 3
"""Updates of one instruction's state before its interval is widened (so loops terminate)."""
_SUMMARY_ROUNDS = 8
_TYPE_NAMES = {"int": "an integer", "str": "a string", "?": "a value of unknown type"}


class StackInfo(NamedTuple):
    """The stack before an instruction: depth between low and high (high may be infinite),
    relative to the subroutine's entry when `relative`, and the known types of the top values
    ("int", "str" or "?", top last)."""

    low: float
    high: float
    relative: bool
    types: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """What a CALL to a subroutine does to its caller's stack. `returns` is the interval of
    depth change at RET, or None if no RET is reachable."""

    need: int = 0
    returns: tuple[float, float] | None = None


class Analysis:
    """Findings, and the stack before (`stack`) and after (`stack_after`) each reachable
    instruction; an instruction after which nothing runs (HALT, RET) has no `stack_after`.
    The two maps are built when first read: diagnostics need only the findings."""

    def __init__(self, findings: tuple[Finding, ...], runs: list[tuple[int, bool, _Run]],
                 summaries: dict[int, Summary]) -> None:
        self.findings = findings
        self.summaries = summaries
        self._runs = runs

    @cached_property
    def stack(self) -> dict[int, StackInfo]:
        return _placed([(entry, relative, run.states) for entry, relative, run in self._runs])

    @cached_property
    def stack_after(self) -> dict[int, StackInfo]:
        return _placed([(entry, relative, run.checked.after if run.checked else {})
                        for entry, relative, run in self._runs])


_State = tuple[float, float, tuple[str, ...]]


@dataclass
class _Run:
    """One abstract run of the main program or of a subroutine. Indices are relative to the
    entry, so the run is valid wherever the same code stands."""

    states: dict[int, _State] = field(default_factory=dict)
    need: int = 0
    returns: tuple[float, float] | None = None
    falls_off: bool = False
    checked: _Checked | None = None


@dataclass(frozen=True)
class _Checked:
    """What a run's final states show: the stack after each instruction and the findings, as
    (code, severity, message, relative index)."""

    after: dict[int, _State]
    findings: list[tuple[str, Severity, str, int]]


_runs: dict[tuple[object, ...], _Run] = {}
_RUNS_LIMIT = 20_000


def forget_runs() -> None:
    """Drop the kept runs, so that the next analysis starts cold."""
    _runs.clear()


def analyse(program: Program) -> Analysis:
    """Analyse a program that assembled without errors."""
    return _Analyser(program).run()


class _Analyser:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.code = program.code
        self.size = len(program.code)
        self.targets = program.targets
        self.subroutines = sorted({t for i, t in zip(self.code, self.targets, strict=True)
                                   if i.op == "CALL"})
        self.summaries = {s: Summary() for s in self.subroutines}
        self.calls = [n for n, i in enumerate(self.code) if i.op == "CALL"]
        self._regions: dict[int, tuple[int, int]] = {}
        self.findings: dict[tuple[str, int, int], Finding] = {}
        self._found: list[tuple[str, Severity, str, int]] | None = None
        """Where context findings go while a run's final states are checked; None otherwise."""

    def run(self) -> Analysis:
        entries = [(0, False)] + [(s, True) for s in self.subroutines]
        runs = [self._run(entry, relative) for entry, relative in entries]
        for _ in range(_SUMMARY_ROUNDS):
            changed = self._update_summaries(runs[1:])
            if not changed:
                break
            for position, (entry, relative) in enumerate(entries):
                if self._calls_any(entry, runs[position], changed):
                    runs[position] = self._run(entry, relative)
        else:
            self.summaries = {s: Summary(v.need, (-INFINITY, INFINITY) if v.returns else None)
                              for s, v in self.summaries.items()}
            runs = [self._run(entry, relative) for entry, relative in entries]
        for (entry, relative), run in zip(entries, runs, strict=True):
            for code, severity, message, offset in self._checked(entry, relative, run).findings:
                self._report(code, severity, message, self.code[entry + offset].span)
        self._whole_program_findings(entries, runs)
        findings = sorted(self.findings.values(), key=lambda f: (f.span.line, f.span.col))
        placed = [(entry, relative, run) for (entry, relative), run in zip(entries, runs,
                                                                            strict=True)]
        return Analysis(tuple(findings), placed, self.summaries)

    def _run(self, entry: int, relative: bool) -> _Run:
        """The run from `entry` under the current summaries, reused when one was kept."""
        key = self._signature(entry, relative)
        run = _runs.get(key)
        if run is None:
            run = self._interpret(entry, relative)
            if len(_runs) >= _RUNS_LIMIT:
                _runs.clear()
            _runs[key] = run
        return run

    def _signature(self, entry: int, relative: bool) -> tuple[object, ...]:
        """Everything a run from `entry` reads: the instructions from the first to the last it
        can reach (opcode, operand and jump target, relative to the first), where the entry is
        among them, whether the last ends the program, the summaries of the subroutines they
        call, and whether depths are relative."""
        if entry >= self.size:
            return (relative, None)
        first, last = self._reach(entry)
        code, targets = self.code, self.targets
        calls = self.calls[bisect.bisect_left(self.calls, first):
                           bisect.bisect_right(self.calls, last)]
        return (
            relative, entry - first, last == self.size - 1,
            tuple([(i.op, i.arg) for i in code[first:last + 1]]),
            tuple([t - first if t >= 0 else None for t in targets[first:last + 1]]),
            tuple([self.summaries.get(targets[c]) for c in calls]),
        )

    def _reach(self, entry: int) -> tuple[int, int]:
        """The first and last instruction a run from `entry` can reach (CALLs not entered)."""
        if entry in self._regions:
            return self._regions[entry]
        code, targets, size = self.code, self.targets, self.size
        seen = {entry}
        work = [entry]
        while work:
            index = work.pop()
            op = code[index].op
            if op == "RET" or op == "HALT":
                continue
            if op == "JMP" or op == "JZ" or op == "JNZ":
                target = targets[index]
                if target < size and target not in seen:
                    seen.add(target)
                    work.append(target)
                if op == "JMP":
                    continue
            if index + 1 < size and index + 1 not in seen:
                seen.add(index + 1)
                work.append(index + 1)
        self._regions[entry] = region = (min(seen), max(seen))
        return region

    def _update_summaries(self, runs: list[_Run]) -> set[int]:
        """Take the subroutines' new summaries; return the entries whose summary changed."""
        summaries = {entry: Summary(run.need, run.returns)
                     for entry, run in zip(self.subroutines, runs, strict=True)}
        changed = {s for s, summary in summaries.items() if self.summaries[s] != summary}
        self.summaries = summaries
        return changed

    def _calls_any(self, entry: int, run: _Run, callees: set[int]) -> bool:
        return any(self.code[entry + offset].op == "CALL" and
                   self.targets[entry + offset] in callees for offset in run.states)

    def _report(self, code: str, severity: Severity, message: str, span: Span,
                tags: tuple[Tag, ...] = (), end: Span | None = None) -> None:
        key = (code, span.line, span.col)
        if key not in self.findings:
            last = end or span
            self.findings[key] = Finding(code, severity, message, span, tags=tags,
                                         end_line=last.line, end_col=last.end)

    def _finding(self, code: str, severity: Severity, message: str, index: int) -> None:
        """A finding of the run being checked, at instruction `index`."""
        if self._found is not None:
            self._found.append((code, severity, message, index))

    # The abstract interpreter. It works in absolute indices; the run it returns is relative.

    def _interpret(self, entry: int, relative: bool) -> _Run:
        run = _Run()
        if entry >= self.size:
            run.falls_off = True
            return run
        states: dict[int, _State] = {entry: (0, 0, ())}
        updates: dict[int, int] = {}
        work = [entry]
        while work:
            index = work.pop()
            for successor, state in self._transfer(run, relative, index, states[index]):
                if successor >= self.size:
                    run.falls_off = True
                elif _merge(states, updates, relative, successor, state):
                    work.append(successor)
        run.states = {index - entry: state for index, state in states.items()}
        return run

    def _checked(self, entry: int, relative: bool, run: _Run) -> _Checked:
        """Check what a run's final states show, once per kept run. Findings wait for the fixed
        point, so that a state seen halfway (before another path joined it) never makes one."""
        if run.checked is not None:
            return run.checked
        found: list[tuple[str, Severity, str, int]] = []
        self._found = found
        after: dict[int, _State] = {}
        incoming: dict[int, set[float]] = {entry: {0}}
        scratch = _Run()
        for offset, state in run.states.items():
            index = entry + offset
            for successor, result in self._transfer(scratch, relative, index, state):
                after.setdefault(offset, result)
                if result[0] == result[1]:
                    incoming.setdefault(successor, set()).add(result[0])
        for index, depths in incoming.items():
            if len(depths) > 1 and index < self.size:
                shown = " and ".join(_count(d) for d in sorted(depths))
                self._finding("S206", Severity.WARNING, "paths with different stack depths "
                              f"meet here ({shown} values)", index)
        self._found = None
        run.checked = _Checked(after, [(c, s, m, i - entry) for c, s, m, i in found])
        return run.checked

    def _transfer(self, run: _Run, relative: bool, index: int,
                  state: _State) -> list[tuple[int, _State]]:
        """The successors of `index` and the state each receives."""
        instruction = self.code[index]
        op = instruction.op
        if op == "CALL":
            return self._call(run, relative, index, state)
        low, high, types = state
        opcode = OPCODES[op]
        low, high = self._pop(run, relative, index, low, high, opcode.pops)
        types = self._types(index, types)
        change = opcode.pushes - opcode.pops
        after = (low + change, high + change, types)
        if op == "RET":
            self._ret(run, relative, index, low, high)
        return [(successor, after) for successor in _successors(op, index, self.targets[index])]

    def _pop(self, run: _Run, relative: bool, index: int, low: float, high: float,
             count: int) -> tuple[float, float]:
        """Check that `count` values are there to pop; return the depth to continue from."""
        if relative:
            if low < count and low != -INFINITY:
                run.need = max(run.need, int(count - low))
            return low, high
        instruction = self.code[index]
        what = instruction.op if instruction.op != "CALL" else f"CALL {instruction.arg}"
        values = f"{count} value{'s' if count > 1 else ''}"
        if high < count:
            self._finding("S204", Severity.ERROR, f"stack underflow: {what} needs {values}, "
                          f"the stack has {_count(high)} here", index)
        elif low < count:
            self._finding("S205", Severity.WARNING, f"possible stack underflow: {what} needs "
                          f"{values}, the stack may hold only {_count(low)} here", index)
        return max(low, count), max(high, count)

    def _call(self, run: _Run, relative: bool, index: int,
              state: _State) -> list[tuple[int, _State]]:
        low, high, _ = state
        summary = self.summaries.get(self.targets[index], Summary())
        if summary.need:
            low, high = self._pop(run, relative, index, low, high, summary.need)
        if summary.returns is None:
            return []
        return [(index + 1, (low + summary.returns[0], high + summary.returns[1], ()))]

    def _ret(self, run: _Run, relative: bool, index: int, low: float, high: float) -> None:
        if not relative:
            self._finding("S209", Severity.WARNING, "RET can be reached without an active CALL "
                          "(is a HALT missing before this subroutine?)", index)
            return
        returns = run.returns
        run.returns = (low, high) if returns is None else (min(returns[0], low),
                                                           max(returns[1], high))

    def _types(self, index: int, types: tuple[str, ...]) -> tuple[str, ...]:
        """The known types after instruction `index`, reporting certain mismatches."""
        instruction = self.code[index]
        literal = "" if instruction.op != "PUSH" else type(instruction.arg).__name__
        after, top, wanted = _type_effect(instruction.op, literal, types)
        if wanted:
            got = " and ".join(_TYPE_NAMES[t] for t in top)
            self._finding("S207", Severity.ERROR, f"type mismatch: {instruction.op} needs "
                          f"{wanted}, but gets {got}", index)
        return after

    # Findings about the program as a whole.

    def _whole_program_findings(self, entries: list[tuple[int, bool]], runs: list[_Run]) -> None:
        reached = self._reached(entries, runs)
        self._unreachable(reached)
        self._unused_labels()
        self._never_stored()
        for (entry, _), run in zip(entries[1:], runs[1:], strict=True):
            if run.falls_off and entry in reached:
                self._falls_off(entry)

    def _reached(self, entries: list[tuple[int, bool]], runs: list[_Run]) -> set[int]:
        """Instructions of the main program and of the subroutines its reachable CALLs enter."""
        by_entry = {entry: run for (entry, _), run in zip(entries[1:], runs[1:], strict=True)}
        reached = set(runs[0].states)
        entered: set[int] = set()
        while True:
            calls = {self.targets[i] for i in reached if self.code[i].op == "CALL"} - entered
            if not calls:
                return reached
            entered |= calls
            for entry in calls:
                reached |= {entry + offset for offset in by_entry[entry].states}

    def _unreachable(self, reached: set[int]) -> None:
        start = None
        for index in range(len(self.code) + 1):
            if index < len(self.code) and index not in reached:
                start = index if start is None else start
            elif start is not None:
                first, last = self.code[start], self.code[index - 1]
                self._report("S201", Severity.HINT, "unreachable code", first.span,
                             tags=(Tag.UNNECESSARY,), end=last.span)
                start = None

    def _unused_labels(self) -> None:
        used = {str(i.arg) for i in self.code if i.op in JUMPS}
        for name, span in self.program.label_spans.items():
            if name not in used:
                self._report("S202", Severity.HINT, f"label '{name}' is never jumped to or "
                             "called", span, tags=(Tag.UNNECESSARY,))

    def _never_stored(self) -> None:
        stored = {str(i.arg) for i in self.code if i.op == "STORE"}
        for instruction in self.code:
            if instruction.op == "LOAD" and instruction.arg not in stored:
                span = instruction.arg_span or instruction.span
                self._report("S203", Severity.WARNING, f"'{instruction.arg}' is loaded but no "
                             "line stores it: this LOAD fails with UndefinedName", span)

    def _falls_off(self, entry: int) -> None:
        names = [n for n, i in self.program.labels.items() if i == entry]
        span = self.program.label_spans[names[0]] if names else self.code[entry].span
        self._report("S208", Severity.WARNING, f"subroutine '{names[0] if names else entry}' "
                     "can run off the end of the program without RET", span)


def _successors(op: str, index: int, target: int) -> tuple[int, ...]:
    """Where control goes after an instruction, within one run (a CALL's callee excluded)."""
    if op == "JMP":
        return (target,)
    if op in ("JZ", "JNZ"):
        return (target, index + 1)
    if op in ("RET", "HALT"):
        return ()
    return (index + 1,)


def _merge(states: dict[int, _State], updates: dict[int, int], relative: bool, index: int,
           state: _State) -> bool:
    """Join `state` into the state before `index`; True if it changed. An interval that keeps
    growing is widened, so that loops reach a fixed point."""
    old = states.get(index)
    if old is None:
        states[index] = state
        return True
    low, high = min(old[0], state[0]), max(old[1], state[1])
    types = _common_types(old[2], state[2])
    if (low, high, types) == old:
        return False
    updates[index] = updates.get(index, 0) + 1
    if updates[index] > _WIDEN_AFTER:
        if high > old[1]:
            high = INFINITY
        if low < old[0]:
            low = -INFINITY if relative else 0
    states[index] = (low, high, types)
    return True


def _placed(runs: list[tuple[int, bool, dict[int, _State]]]) -> dict[int, StackInfo]:
    """Runs' states at their absolute indices, the first run to reach an index winning."""
    into: dict[int, StackInfo] = {}
    for entry, relative, states in runs:
        for offset, (low, high, types) in states.items():
            if entry + offset not in into:
                into[entry + offset] = StackInfo(low, high, relative, types)
    return into


@functools.lru_cache(maxsize=4096)
def _type_effect(op: str, literal: str, types: tuple[str, ...]) -> tuple[
        tuple[str, ...], tuple[str, ...], str]:
    """What `op` does to the known types on top of the stack: the types after it, the types it
    took, and what it wanted instead when they certainly do not fit ("" when they may).
    `literal` is the type name of a PUSH operand. Pure, so remembered."""
    opcode = OPCODES[op]
    padded = ("?",) * max(0, opcode.pops - len(types)) + types
    split = len(padded) - opcode.pops
    rest, top = padded[:split], padded[split:]
    wanted = ""
    pushed: tuple[str, ...]
    if op == "PUSH":
        pushed = (literal,)
    elif op in ("DUP", "SWAP", "OVER", "ROT"):
        pushed = {"DUP": top + top, "SWAP": top[::-1], "OVER": top + top[:1],
                  "ROT": top[1:] + top[:1]}[op]
    elif op == "ADD":
        certain = "?" not in top
        pushed = (top[0] if certain and top[0] == top[1] else "?",)
        wanted = "two integers or two strings" if certain and top[0] != top[1] else ""
    elif op in ("SUB", "MUL", "DIV", "MOD", "NEG"):
        wanted = "integers" if "str" in top else ""
        pushed = ("int",)
    elif op in ("LT", "LE", "GT", "GE"):
        certain = "?" not in top and top[0] != top[1]
        wanted = "two integers or two strings" if certain else ""
        pushed = ("int",)
    elif op == "EVOLVE":
        wanted = "the code to repair as a string" if top == ("int",) else ""
        pushed = ("str",)
    elif op == "LLMGEN":
        pushed = ("str",)
    else:
        pushed = ("?",) * opcode.pushes if op == "LOAD" else ("int",) * opcode.pushes
    return (rest + pushed)[-_KNOWN_TYPES:], top, wanted


def _common_types(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """The top types two paths agree on."""
    common: list[str] = []
    for x, y in zip(reversed(a), reversed(b), strict=False):
        common.append(x if x == y else "?")
    return tuple(reversed(common))


def _count(depth: float) -> str:
    return "an unknown number of" if depth in (INFINITY, -INFINITY) else str(int(depth))

