"""Static analysis over the control-flow graph of an assembled program.

Stack depths are intervals, computed by abstract interpretation. The main program runs from the
first instruction with an empty stack; each subroutine (a CALL target) is analysed once, with
depths relative to its entry, and summarised by how many values it takes from its caller and
how it changes the depth when it returns. Summaries are iterated to a fixed point, so recursion
works. The top few stack values also carry their type when it is certain, which is enough to
catch `PUSH "a"` `PUSH #1` `SUB` before the program runs.

`transfer` is the whole meaning of an instruction to the analysis: a pure function from the
state before it to the states after it (one per successor) and the events it raises. A run
keeps, for each instruction, the events of its last transfer: at the fixed point that is the
transfer of its final state, so findings come out of the same pass that interprets, and a
state seen halfway (before another path joined it) never makes one.

The editor analyses the whole file on every keystroke, and a keystroke changes one subroutine
at most. So each run of the main program or of a subroutine is kept, in coordinates relative
to its entry, under a signature of everything the run reads (what `transfer` reads of the code
it can reach, and the summaries of what it calls): an unchanged subroutine, even one that
moved down the file, is not interpreted again, nor one alike but for the names it stores and
the numbers it pushes (a file repeats its idioms). Given the analysis of the version before,
even that is skipped: the runs whose code lies outside the window the edit changed are taken
over as they were, with the findings they made, and the findings about the program as a
whole are worked out from the runs' reached intervals and the kept counts of names, not by
walking every instruction.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from collections.abc import Sequence
from functools import cached_property
from typing import NamedTuple

from .assembler import Instruction, Program, targets_of
from .findings import Finding, Severity, Span, Tag, in_line_order
from .name_uses import NameUses
from .opcodes import BRANCHES, OPCODES, STRAIGHT, successors
from .versions import Window, changed_window

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


class Summary(NamedTuple):
    """What a CALL to a subroutine does to its caller's stack. `returns` is the interval of
    depth change at RET, or None if no RET is reachable."""

    need: int = 0
    returns: tuple[float, float] | None = None


_State = tuple[float, float, tuple[str, ...]]


class Event(NamedTuple):
    """A finding an instruction raises in some state: its code, severity and message."""

    code: str
    severity: Severity
    message: str


class Step(NamedTuple):
    """What one instruction does to a state: the state each successor receives (`after` is
    the state after it, None when nothing runs next), the events it raises, the values it
    needs from a subroutine's caller, and the depth change it returns with (RET)."""

    successors: tuple[tuple[int, _State], ...]
    after: _State | None
    events: tuple[Event, ...]
    need: int = 0
    returns: tuple[float, float] | None = None


def transfer(instruction: Instruction, index: int, target: int, state: _State, relative: bool,
             callee: Summary | None) -> Step:
    """The meaning of `instruction` at `index` to the analysis (`target`: the index its label
    operand marks; `callee`: the summary of the subroutine a CALL enters; `relative`: depths
    are relative to a subroutine's entry, whose caller provides what is missing)."""
    low, high, types = state
    op = instruction.op
    events: list[Event] = []
    if op == "CALL":
        summary = callee or Summary()
        need = _popped(op, instruction, relative, low, high, summary.need, events) \
            if summary.need else 0
        if not relative and summary.need:
            low, high = max(low, summary.need), max(high, summary.need)
        if summary.returns is None:
            return Step((), None, tuple(events), need)
        returned: _State = (low + summary.returns[0], high + summary.returns[1], ())
        return Step(((index + 1, returned),), returned, tuple(events), need)
    opcode = OPCODES[op]
    need = 0
    if low < opcode.pops:  # else there are enough, and nothing to say
        need = _popped(op, instruction, relative, low, high, opcode.pops, events)
        if not relative:
            low, high = max(low, opcode.pops), max(high, opcode.pops)
    literal = type(instruction.arg).__name__ if op == "PUSH" else ""
    after_types, top, wanted = _type_effect(op, literal, types)
    if wanted:
        got = " and ".join(_TYPE_NAMES[t] for t in top)
        events.append(Event("S207", Severity.ERROR, f"type mismatch: {op} needs {wanted}, but "
                                                    f"gets {got}"))
    change = opcode.pushes - opcode.pops
    after = (low + change, high + change, after_types)
    returns = None
    if op == "RET":
        if relative:
            returns = (low, high)
        else:
            events.append(Event("S209", Severity.WARNING, "RET can be reached without an active "
                                "CALL (is a HALT missing before this subroutine?)"))
    following = successors(op, index, target)
    return Step(tuple([(s, after) for s in following]), after if following else None,
                tuple(events), need, returns)


def transfer_reads(code: Sequence[Instruction], first: int,
                   targets: Sequence[int]) -> list[tuple[str, object, int]]:
    """All `transfer` reads of each instruction of `code` (which starts at index `first`),
    its index and its target: the opcode, the type of a PUSH's literal or a CALL's label
    (named in messages), and where a jump goes from it. Two instructions alike in these, in
    the same state, have the same meaning, with successors as far from each: so the analysis
    works each meaning out once, and runs alike in them all are one run. (Of a whole region
    at once: the editor's cold analysis reads every instruction.)"""
    return [(op, i.arg if op == "CALL" else type(i.arg) if op == "PUSH" else None,
             target - index if op in BRANCHES else -1)
            for i, index, target in zip(code, range(first, first + len(code)), targets,
                                        strict=True)
            for op in (i.op,)]


def _popped(op: str, instruction: Instruction, relative: bool, low: float, high: float,
            count: int, events: list[Event]) -> int:
    """Check that `count` values are there to pop. In a subroutine, what is missing comes
    from the caller: the number needed is returned; in the main program it is an event."""
    if relative:
        return int(count - low) if low < count and low != -INFINITY else 0
    what = op if op != "CALL" else f"CALL {instruction.arg}"
    values = f"{count} value{'s' if count > 1 else ''}"
    if high < count:
        events.append(Event("S204", Severity.ERROR, f"stack underflow: {what} needs {values}, "
                                                    f"the stack has {_count(high)} here"))
    elif low < count:
        events.append(Event("S205", Severity.WARNING, f"possible stack underflow: {what} needs "
                            f"{values}, the stack may hold only {_count(low)} here"))
    return 0


class Analysis:
    """Findings, and the stack before (`stack`) and after (`stack_after`) each reachable
    instruction; an instruction after which nothing runs (HALT, RET) has no `stack_after`.
    The two maps are built when first read: diagnostics need only the findings."""

    def __init__(self, findings: tuple[Finding, ...], runs: list[tuple[tuple[int, bool], _Run]],
                 summaries: dict[int, Summary], basis: _Basis) -> None:
        self.findings = findings
        self.summaries = summaries
        self._runs = runs
        self._basis = basis

    @cached_property
    def stack(self) -> dict[int, StackInfo]:
        return _placed([(entry, relative, run.states) for (entry, relative), run in self._runs])

    @cached_property
    def stack_after(self) -> dict[int, StackInfo]:
        return _placed([(entry, relative, run.after) for (entry, relative), run in self._runs])


class _Run:
    """One abstract run of the main program or of a subroutine, at its fixed point. Indices
    are relative to the entry, so the run is valid wherever the same code stands."""

    def __init__(self) -> None:
        self.states: dict[int, _State] = {}
        self.after: dict[int, _State] = {}
        self.events: dict[int, tuple[Event, ...]] = {}
        self.need = 0
        self.returns: tuple[float, float] | None = None
        self.falls_off = False
        self.calls: set[int] = set()
        """The CALL instructions it reaches."""

    def record(self, offset: int, step: Step) -> None:
        """Keep what the latest transfer of the instruction at `offset` gave (`events` and
        `after` are kept by the caller, as every transfer gives them)."""
        if step.need > self.need:
            self.need = step.need
        if step.returns is not None:
            self.returns = _joined(self.returns, step.returns)

    @cached_property
    def reached(self) -> list[tuple[int, int]]:
        """The instructions it reaches, as sorted intervals (first, last) of offsets."""
        spans: list[tuple[int, int]] = []
        for offset in sorted(self.states):
            if spans and spans[-1][1] == offset - 1:
                spans[-1] = (spans[-1][0], offset)
            else:
                spans.append((offset, offset))
        return spans


class _Unit(NamedTuple):
    """A run as the analysis of the next version may take it over: the code it reads lies
    from `first` to `last`, its CALLs saw the summaries `called`, its events made `findings`."""

    first: int
    last: int
    called: tuple[Summary | None, ...]
    run: _Run
    findings: tuple[Finding, ...]


class _Basis(NamedTuple):
    """What an analysis leaves for the analysis of the next version of the same program."""

    code: tuple[Instruction, ...]
    labels: dict[str, int]
    targets: tuple[int, ...]
    calls: list[int]
    units: dict[tuple[int, bool], _Unit]
    names: NameUses
    summaries: dict[int, Summary]
    reached: list[tuple[int, int]]
    subroutines: list[int]
    joins: frozenset[int]


_runs: dict[tuple[object, ...], _Run] = {}
_RUNS_LIMIT = 20_000


def forget_runs() -> None:
    """Drop the kept runs, so that the next analysis starts cold."""
    _runs.clear()


def analyse(program: Program, previous: Analysis | None = None) -> Analysis:
    """Analyse a program that assembled without errors. `previous`, the analysis of an
    earlier version of the same file, lets the code an edit left alone keep its results."""
    return _Analyser(program, previous._basis if previous is not None else None).run()


class _Analyser:
    def __init__(self, program: Program, basis: _Basis | None) -> None:
        self.program = program
        self.code = program.code
        self.size = len(program.code)
        self.kept: dict[tuple[int, bool], _Unit] = {}
        self._regions: dict[int, tuple[int, int]] = {}
        self._shape_before: _Basis | None = None
        """The version before, when the edit changed operands alone (`_same_shape`): then
        its subroutines, where paths meet, the summaries and the reached instructions are
        as they were."""
        reusable = _reusable_window(program, basis)
        if basis is None or reusable is None:
            self.targets = program.targets
            self.calls = [n for n, i in enumerate(self.code) if i.op == "CALL"]
            self.names = NameUses.of(self.code)
        else:
            self._take_over(basis, *reusable)
        shape = self._shape_before
        self.subroutines = shape.subroutines if shape else \
            sorted({self.targets[c] for c in self.calls})
        self.summaries = shape.summaries if shape else \
            dict.fromkeys(self.subroutines, Summary())  # frozen: one will do
        self._region_calls: dict[int, list[int]] = {}
        self._called: dict[tuple[int, bool], tuple[Summary | None, ...]] = {}
        self.findings: dict[tuple[str, int, int], Finding] = {}
        self.joins = shape.joins if shape else frozenset(program.labels.values())
        """Where paths may meet: every jump lands on a label."""
        self._reads: dict[int, tuple[tuple[str, object, int], ...]] = {}
        """`transfer_reads` of the code a run can reach, by its entry (`_reads_from`)."""
        self._steps: dict[tuple[object, ...], Step] = {}
        """Transfers worked out, by all they read of the instruction (not its index: their
        successors are offsets from it) and the state: a file repeats the same few."""

    def _take_over(self, basis: _Basis, window: Window, replaced: bool) -> None:
        """Start from the version before: its targets, CALLs and counts of names with the
        window's instructions counted again, and its units outside the window (with their
        findings placed again when code outside the window may stand elsewhere: `replaced`)."""
        low, old_high, new_high = window
        added, shift = self.code[low:new_high], window.shift
        marked = shift == 0 and basis.labels == self.program.labels  # as they marked before
        same_shape = marked and _same_shape(basis.code[low:old_high], added)
        if same_shape:  # the same jumps and CALLs, to the same places
            self.targets, self.calls = basis.targets, basis.calls
            self._shape_before = basis
        else:
            self.targets = basis.targets[:low] + targets_of(added, self.program.labels) + \
                basis.targets[old_high:] if marked else self.program.targets
            calls = basis.calls
            after = calls[bisect.bisect_left(calls, old_high):]
            self.calls = calls[:bisect.bisect_left(calls, low)] + \
                [low + n for n, i in enumerate(added) if i.op == "CALL"] + \
                ([c + shift for c in after] if shift else after)
        self.names = basis.names.updated(basis.code[low:old_high], added)
        size = len(basis.code)
        if shift == 0:  # the usual keystroke: a unit is kept where it stood, or not at all
            self.kept = dict(basis.units)
            for key, unit in basis.units.items():  # as `_moved_unit` has it, with no shift
                if unit.first < old_high and unit.last >= low:
                    del self.kept[key]
        else:
            for (entry, relative), unit in basis.units.items():
                moved = _moved_unit(unit, window, size)
                if moved is not None:
                    self.kept[(entry + moved.first - unit.first, relative)] = moved
        if replaced:
            self.kept = {key: unit._replace(findings=self._findings(key[0], unit.run))
                         if unit.findings else unit for key, unit in self.kept.items()}

    def run(self) -> Analysis:
        entries = [(0, False)] + [(s, True) for s in self.subroutines]
        found = self._summarised_as_before() or self._summarised(self._callees_first())
        runs = [self._run(0, False)] + [found[s] for s in self.subroutines]
        kept = self.kept
        units = {key: unit if (unit := kept.get(key)) is not None and unit.run is run
                 else self._unit(key, run) for key, run in zip(entries, runs, strict=True)
                 if key[0] < self.size}  # not a label after the last instruction
        for unit in units.values():
            for finding in unit.findings:
                self.findings.setdefault((finding.code, finding.span.line, finding.span.col),
                                         finding)
        reached = self._whole_program_findings(entries, runs)
        placed = list(zip(entries, runs, strict=True))
        basis = _Basis(self.code, self.program.labels, self.targets, self.calls, units,
                       self.names, self.summaries, reached, self.subroutines, self.joins)
        return Analysis(in_line_order(self.findings.values()), placed, self.summaries, basis)

    def _unit(self, key: tuple[int, bool], run: _Run) -> _Unit:
        """The unit of a final run not kept from the version before, with the findings its
        events make."""
        entry = key[0]
        first, last = self._reach(entry) if entry < self.size else (entry, entry)
        return _Unit(first, last, self._called[key], run, self._findings(entry, run))

    def _findings(self, entry: int, run: _Run) -> tuple[Finding, ...]:
        """The findings the events of a run from `entry` make, where its code stands."""
        return tuple(
            Finding(code, severity, message, span, end_line=span.line, end_col=span.end)
            for offset, events in run.events.items() if events
            for span in (self.code[entry + offset].span,)
            for code, severity, message in events)

    def _run(self, entry: int, relative: bool) -> _Run:
        """The run from `entry` under the current summaries: the kept unit's when its
        callees' summaries are as they were, else one kept under its signature."""
        called = self._called[(entry, relative)] = self._callee_summaries(entry)
        unit = self.kept.get((entry, relative))
        if unit is not None and unit.called == called:
            return unit.run
        key = self._signature(entry, relative, called)
        run = _runs.get(key)
        if run is None:
            run = self._interpret(entry, relative)
            if len(_runs) >= _RUNS_LIMIT:
                _runs.clear()
            _runs[key] = run
        return run

    def _summarised(self, order: list[int]) -> dict[int, _Run]:
        """The subroutines' runs at the fixed point of their summaries. Taken callees first,
        each summary is known before its callers run, and a caller runs again only when a
        callee's summary changed after it ran: a chain of any depth settles in one round,
        and only recursion takes more. One that has not settled within _SUMMARY_ROUNDS is
        widened (it may return anything)."""
        callers: dict[int, list[int]] = {entry: [] for entry in order}
        for entry in order:
            for callee in self._callees(entry):
                callers[callee].append(entry)
        runs: dict[int, _Run] = {}
        dirty = set(order)
        for _ in range(_SUMMARY_ROUNDS):
            for entry in order:
                if entry not in dirty:
                    continue
                dirty.discard(entry)
                runs[entry] = run = self._run(entry, True)
                summary = Summary(run.need, run.returns)
                if summary != self.summaries[entry]:
                    self.summaries[entry] = summary
                    dirty.update(callers[entry])
            if not dirty:
                return runs
        self.summaries = {s: Summary(v.need, (-INFINITY, INFINITY) if v.returns else None)
                          for s, v in self.summaries.items()}
        return {entry: self._run(entry, True) for entry in order}

    def _summarised_as_before(self) -> dict[int, _Run] | None:
        """The subroutines' runs after an edit of operands alone (`_same_shape`): every state
        is as it was, so the summaries of the version before (the analyser starts from
        them) are the fixed point again, and only the subroutines the edit touched run
        again. None after any other edit."""
        if self._shape_before is None:
            return None
        kept = self.kept
        return {entry: unit.run if (unit := kept.get((entry, True))) is not None
                else self._run(entry, True) for entry in self.subroutines}

    def _callees_first(self) -> list[int]:
        """The subroutines in post-order of the call graph (a subroutine after every one it
        calls, but for recursion), so that a chain of CALLs of any length is summarised in
        one pass; iterative, as chains can be tens of thousands deep."""
        order: list[int] = []
        done: set[int] = set()
        for root in self.subroutines:
            if root in done:
                continue
            done.add(root)
            stack = [(root, iter(self._callees(root)))]
            while stack:
                entry, pending = stack[-1]
                callee = next((c for c in pending if c not in done), None)
                if callee is None:
                    stack.pop()
                    order.append(entry)
                else:
                    done.add(callee)
                    stack.append((callee, iter(self._callees(callee))))
        return order

    def _calls_in(self, entry: int) -> list[int]:
        """The CALL instructions between the first and the last a run from `entry` reaches."""
        calls = self._region_calls.get(entry)
        if calls is None:
            first, last = self._reach(entry) if entry < self.size else (entry, -1)
            calls = self.calls[bisect.bisect_left(self.calls, first):
                               bisect.bisect_right(self.calls, last)]
            self._region_calls[entry] = calls
        return calls

    def _callees(self, entry: int) -> list[int]:
        """The subroutines a run from `entry` may call."""
        return [self.targets[c] for c in self._calls_in(entry) if self.targets[c] in
                self.summaries]

    def _callee_summaries(self, entry: int) -> tuple[Summary | None, ...]:
        return tuple([self.summaries.get(self.targets[c]) for c in self._calls_in(entry)])

    def _signature(self, entry: int, relative: bool,
                   called: tuple[Summary | None, ...]) -> tuple[object, ...]:
        """Everything a run from `entry` reads: what `transfer` reads of each instruction from
        the first to the last it can reach, where the entry is among them, whether the last
        ends the program, whether depths are relative, and `called`, the summaries of the
        subroutines they call. Subroutines alike but for names and numbers share one run."""
        if entry >= self.size:
            return (relative, None)
        first, last = self._reach(entry)
        return relative, entry - first, last == self.size - 1, self._reads_from(entry), called

    def _reads_from(self, entry: int) -> tuple[tuple[str, object, int], ...]:
        """`transfer_reads` of the instructions from the first to the last a run from `entry`
        can reach: worked out only for the runs a keystroke changed."""
        reads = self._reads.get(entry)
        if reads is None:
            first, last = self._reach(entry)
            reads = self._reads[entry] = tuple(transfer_reads(
                self.code[first:last + 1], first, self.targets[first:last + 1]))
        return reads

    def _reach(self, entry: int) -> tuple[int, int]:
        """The first and last instruction a run from `entry` can reach (CALLs not entered)."""
        if entry in self._regions:
            return self._regions[entry]
        for key in ((entry, True), (entry, False)):  # where a kept run from it reached
            if (unit := self.kept.get(key)) is not None:
                return unit.first, unit.last
        code, targets, size, joins = self.code, self.targets, self.size, self.joins
        seen = {entry}
        work = [entry]
        last = entry
        while work:
            index = work.pop()
            while code[index].op in STRAIGHT and index + 1 < size and \
                    index + 1 not in joins:  # straight on: only a label is reached twice
                index += 1
            last = max(last, index)
            for successor in successors(code[index].op, index, targets[index]):
                if successor < size and successor not in seen:
                    seen.add(successor)
                    work.append(successor)
        self._regions[entry] = region = (min(seen), last)
        return region

    def _report(self, code: str, severity: Severity, message: str, span: Span,
                tags: tuple[Tag, ...] = (), end: Span | None = None) -> None:
        key = (code, span.line, span.col)
        if key not in self.findings:
            last = end or span
            self.findings[key] = Finding(code, severity, message, span, tags=tags,
                                         end_line=last.line, end_col=last.end)

    def _interpret(self, entry: int, relative: bool) -> _Run:
        """The run from `entry`, to its fixed point. Each instruction keeps the result of its
        last transfer, which at the fixed point is the transfer of its final state."""
        run = _Run()
        if entry >= self.size:
            run.falls_off = True
            return run
        code, targets, summaries, size = self.code, self.targets, self.summaries, self.size
        first, reads = self._reach(entry)[0], self._reads_from(entry)
        events, after = run.events, run.after
        joins = self.joins
        states: dict[int, _State] = {entry: (0, 0, ())}
        updates: dict[int, int] = {}
        incoming: dict[int, dict[int, float]] = {entry: {-1: 0}}
        """The exact depth each predecessor's final transfer hands an instruction, kept
        where paths may meet (at labels): elsewhere only the one before leads there."""
        steps = self._steps
        work = [entry]
        while work:
            index = work.pop()
            read, state = reads[index - first], states[index]
            calls = read[0] == "CALL"
            callee = summaries.get(targets[index]) if calls else None
            key = (read, state, relative, callee)
            step = steps.get(key)
            if step is None:  # at 0: the successors are offsets, as `read` has the target's
                step = steps[key] = transfer(code[index], 0, read[2], state, relative, callee)
            offset = index - entry
            events[offset] = step.events
            if step.after is not None:
                after[offset] = step.after
            if calls:
                run.calls.add(offset)
            if step.need or step.returns is not None:
                run.record(offset, step)
            for successor, state in step.successors:
                successor += index
                if successor >= size:
                    run.falls_off = True
                    continue
                if successor in joins:
                    arriving = incoming.setdefault(successor, {})
                    if state[0] == state[1]:
                        arriving[index] = state[0]
                    else:
                        arriving.pop(index, None)
                if _merge(states, updates, relative, successor, state):
                    work.append(successor)
        self._mixed_depths(run, entry, incoming)
        run.states = {index - entry: state for index, state in states.items()}
        return run

    def _mixed_depths(self, run: _Run, entry: int,
                      incoming: dict[int, dict[int, float]]) -> None:
        """Warn where predecessors hand an instruction different exact depths."""
        for index, depths in incoming.items():
            if index < self.size and len(set(depths.values())) > 1:
                shown = " and ".join(_count(d) for d in sorted(set(depths.values())))
                run.events[index - entry] += (Event(
                    "S206", Severity.WARNING,
                    f"paths with different stack depths meet here ({shown} values)"),)

    # Findings about the program as a whole.

    def _whole_program_findings(self, entries: list[tuple[int, bool]],
                                runs: list[_Run]) -> list[tuple[int, int]]:
        """Report what is found of the program as a whole; answers the instructions reached."""
        reached = self._shape_before.reached if self._shape_before else \
            self._reached(entries, runs)
        self._unreachable(reached)
        self._unused_labels()
        self._never_stored()
        for (entry, _), run in zip(entries[1:], runs[1:], strict=True):
            if run.falls_off and _covers(reached, entry):
                self._falls_off(entry)
        return reached

    def _reached(self, entries: list[tuple[int, bool]],
                 runs: list[_Run]) -> list[tuple[int, int]]:
        """Instructions of the main program and of the subroutines its reachable CALLs enter,
        as sorted disjoint intervals; each run visited once (a worklist over the call graph),
        by its intervals and its CALLs rather than instruction by instruction."""
        by_entry = {entry: run for (entry, _), run in zip(entries[1:], runs[1:], strict=True)}
        spans: list[tuple[int, int]] = []
        entered: set[int] = set()
        work = [(0, runs[0])]
        while work:
            entry, run = work.pop()
            spans += [(entry + first, entry + last) for first, last in run.reached]
            for offset in run.calls:
                callee = self.targets[entry + offset]
                if callee in by_entry and callee not in entered:
                    entered.add(callee)
                    work.append((callee, by_entry[callee]))
        return _merged(spans)

    def _unreachable(self, reached: list[tuple[int, int]]) -> None:
        start = 0
        for first, last in [*reached, (self.size, self.size)]:
            if first > start:
                self._report("S201", Severity.HINT, "unreachable code", self.code[start].span,
                             tags=(Tag.UNNECESSARY,), end=self.code[first - 1].span)
            start = max(start, last + 1)

    def _unused_labels(self) -> None:
        jumps = self.names.jumps
        for name, span in self.program.label_spans.items():
            if not jumps[name]:
                self._report("S202", Severity.HINT, f"label '{name}' is never jumped to or "
                             "called", span, tags=(Tag.UNNECESSARY,))

    def _never_stored(self) -> None:
        """Every LOAD of a name no line stores: looked for only when there is one."""
        names = self.names.never_stored()
        for instruction in self.code if names else ():
            if instruction.op == "LOAD" and str(instruction.arg) in names:
                span = instruction.arg_span or instruction.span
                self._report("S203", Severity.WARNING, f"'{instruction.arg}' is loaded but no "
                             "line stores it: this LOAD fails with UndefinedName", span)

    def _falls_off(self, entry: int) -> None:
        names = [n for n, i in self.program.labels.items() if i == entry]
        span = self.program.label_spans[names[0]] if names else self.code[entry].span
        self._report("S208", Severity.WARNING, f"subroutine '{names[0] if names else entry}' "
                     "can run off the end of the program without RET", span)


_LABELLED = frozenset({"JMP", "JZ", "JNZ", "CALL"})
_READS = operator.itemgetter(0, 1)
"""What the analysis reads of an instruction, but for where it stands: opcode and operand."""
_LONG_WINDOW = 32
"""Instructions changed, as objects, past which an edit may have moved code to other lines."""


def _same_shape(old: Sequence[Instruction], new: Sequence[Instruction]) -> bool:
    """Whether `new` differs from `old` in operands alone, not in where any goes nor in the
    type of any pushed literal. `transfer` reads no more of an instruction than that (but
    for the text of its messages), so every state the analysis works out is as it was."""
    return len(old) == len(new) and all(
        a.op == b.op and (a.op not in _LABELLED or a.arg == b.arg)
        and (a.op != "PUSH" or type(a.arg) is type(b.arg))
        for a, b in zip(old, new, strict=True))


def _reusable_window(program: Program, basis: _Basis | None) -> tuple[Window, bool] | None:
    """The window in which the program differs from the one `basis` comes from, when every
    label outside it marks the instruction it marked (moved by the window's shift), so that
    the code outside reads what it read; else None (then everything is worked out anew).

    The reassembly that made the program says where it changed (`Program.edit`), and with
    it comes True when the code after the window was made anew: it moved to other lines.
    Else instructions are compared as the same objects: those an edit within lines left
    alone are. A line added or removed moves every instruction below it to another line,
    so a long window is looked for again in what the analysis reads of them (opcode and
    operand); with it comes True: the code outside may stand elsewhere."""
    if basis is None:
        return None
    size = len(program.code)
    edit = program.edit
    if edit is not None and edit.before is basis.code:
        window = edit.window
        replaced = window.new_high < size and \
            program.code[window.new_high] is not basis.code[window.old_high]
        return _labels_hold(program, basis, window, replaced)
    window = changed_window(program.code, basis.code) or Window(size, size, size)
    low, old_high, new_high = window
    replaced = old_high - low > _LONG_WINDOW
    if replaced:  # the same objects outside the window: look within it
        within = changed_window(list(map(_READS, program.code[low:new_high])),
                                list(map(_READS, basis.code[low:old_high])))
        window = Window(low + within.low, low + within.old_high, low + within.new_high) \
            if within is not None else Window(size, size, size)
    return _labels_hold(program, basis, window, replaced)


def _labels_hold(program: Program, basis: _Basis, window: Window,
                 replaced: bool) -> tuple[Window, bool] | None:
    """`window` and `replaced`, when every label outside the window marks the instruction it
    marked (moved by the window's shift); else None."""
    if window.shift == 0 and program.labels == basis.labels:
        return window, replaced
    for name, index in basis.labels.items():
        moved = window.moved(index)
        if moved is not None and program.labels.get(name, moved) != moved:
            return None
    return window, replaced


def _moved_unit(unit: _Unit, window: Window, old_size: int) -> _Unit | None:
    """The unit where it stands in the new version, or None when the edit touched its code.
    One that ends the old program may run off its end, so code added after it is its
    business too."""
    if unit.first >= window.old_high:
        shift = window.shift
        return unit._replace(first=unit.first + shift, last=unit.last + shift) \
            if shift else unit
    if unit.last < window.low and not (unit.last == old_size - 1 and
                                       window.new_high > window.low):
        return unit
    return None


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Intervals joined where they overlap or touch, in order."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _covers(spans: list[tuple[int, int]], index: int) -> bool:
    at = bisect.bisect_right(spans, (index, math.inf)) - 1
    return at >= 0 and spans[at][1] >= index


def _joined(a: tuple[float, float] | None, b: tuple[float, float]) -> tuple[float, float]:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]))


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
