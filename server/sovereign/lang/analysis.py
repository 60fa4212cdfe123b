"""Static analysis over the control-flow graph of an assembled program.

Stack depths are intervals, computed by abstract interpretation. The main program runs from the
first instruction with an empty stack; each subroutine (a CALL target) is analysed once, with
depths relative to its entry, and summarised by how many values it takes from its caller and
how it changes the depth when it returns. Summaries are iterated to a fixed point, so recursion
works. The top few stack values also carry their type when it is certain, which is enough to
catch `PUSH "a"` `PUSH #1` `SUB` before the program runs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import NamedTuple

from .assembler import Instruction, Program
from .findings import Finding, Severity, Span, Tag
from .opcodes import JUMPS, OPCODES

INFINITY = math.inf
_KNOWN_TYPES = 4
"""How many values from the top of the stack keep a known type."""
_WIDEN_AFTER = 3
"""Updates of one instruction's state before its interval is widened (so loops terminate)."""
_SUMMARY_ROUNDS = 8


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


@dataclass(frozen=True)
class Analysis:
    """Findings, and the stack before (`stack`) and after (`stack_after`) each reachable
    instruction; an instruction after which nothing runs (HALT, RET) has no `stack_after`."""

    findings: tuple[Finding, ...]
    stack: dict[int, StackInfo]
    stack_after: dict[int, StackInfo]
    summaries: dict[int, Summary]

    @property
    def reachable(self) -> frozenset[int]:
        return frozenset(self.stack)


_State = tuple[float, float, tuple[str, ...]]


@dataclass
class _Context:
    """One abstract run: the main program (entry 0) or one subroutine."""

    entry: int
    relative: bool
    states: dict[int, _State] = field(default_factory=dict)
    updates: dict[int, int] = field(default_factory=dict)
    need: int = 0
    returns: tuple[float, float] | None = None
    falls_off: bool = False


def analyse(program: Program) -> Analysis:
    """Analyse a program that assembled without errors."""
    return _Analyser(program).run()


class _Analyser:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.code = program.code
        self.targets = program.targets
        self.subroutines = sorted({t for i, t in zip(self.code, self.targets, strict=True)
                                   if i.op == "CALL"})
        self.summaries = {s: Summary() for s in self.subroutines}
        self.findings: dict[tuple[str, int, int], Finding] = {}
        self.after: dict[int, StackInfo] = {}
        self.reporting = False

    def run(self) -> Analysis:
        contexts = [_Context(0, relative=False)] + [_Context(s, relative=True)
                                                     for s in self.subroutines]
        stale = list(range(len(contexts)))
        for _ in range(_SUMMARY_ROUNDS):
            for position in stale:
                contexts[position] = self._interpreted(contexts[position])
            changed = self._update_summaries(contexts[1:])
            if not changed:
                break
            stale = [p for p, c in enumerate(contexts) if self._calls_any(c, changed)]
        else:
            self.summaries = {s: Summary(v.need, (-INFINITY, INFINITY) if v.returns else None)
                              for s, v in self.summaries.items()}
            contexts = [self._interpreted(c) for c in contexts]
        self.reporting = True
        for context in contexts:
            self._check(context)
        self._whole_program_findings(contexts)
        stack: dict[int, StackInfo] = {}
        for context in contexts:
            for index, (low, high, types) in context.states.items():
                if index not in stack:
                    stack[index] = StackInfo(low, high, context.relative, types)
        findings = sorted(self.findings.values(), key=lambda f: (f.span.line, f.span.col))
        return Analysis(tuple(findings), stack, self.after, self.summaries)

    def _interpreted(self, context: _Context) -> _Context:
        """A fresh abstract run of the context under the current summaries."""
        fresh = _Context(context.entry, context.relative)
        self._interpret(fresh)
        return fresh

    def _update_summaries(self, subroutines: list[_Context]) -> set[int]:
        """Take the subroutines' new summaries; return the entries whose summary changed."""
        summaries = {c.entry: Summary(c.need, c.returns) for c in subroutines}
        changed = {s for s, summary in summaries.items() if self.summaries[s] != summary}
        self.summaries = summaries
        return changed

    def _calls_any(self, context: _Context, entries: set[int]) -> bool:
        return any(self.code[i].op == "CALL" and self.targets[i] in entries
                   for i in context.states)

    def _report(self, code: str, severity: Severity, message: str, span: Span,
                tags: tuple[Tag, ...] = (), end: Span | None = None) -> None:
        if not self.reporting:
            return
        key = (code, span.line, span.col)
        if key not in self.findings:
            last = end or span
            self.findings[key] = Finding(code, severity, message, span, tags=tags,
                                         end_line=last.line, end_col=last.end)

    # The abstract interpreter.

    def _interpret(self, context: _Context) -> None:
        if context.entry >= len(self.code):
            context.falls_off = True
            return
        work = [context.entry]
        context.states[context.entry] = (0, 0, ())
        while work:
            index = work.pop()
            for successor, state in self._transfer(context, index, context.states[index]):
                if successor >= len(self.code):
                    context.falls_off = True
                elif self._merge(context, successor, state):
                    work.append(successor)

    def _merge(self, context: _Context, index: int, state: _State) -> bool:
        """Join `state` into the state before `index`; True if it changed."""
        old = context.states.get(index)
        if old is None:
            context.states[index] = state
            return True
        low, high = min(old[0], state[0]), max(old[1], state[1])
        types = _common_types(old[2], state[2])
        if (low, high, types) == old:
            return False
        updates = context.updates.get(index, 0) + 1
        context.updates[index] = updates
        if updates > _WIDEN_AFTER:
            if high > old[1]:
                high = INFINITY
            if low < old[0]:
                low = -INFINITY if context.relative else 0
        context.states[index] = (low, high, types)
        return True

    def _check(self, context: _Context) -> None:
        """Report what the final states show. Findings wait for the fixed point, so that a
        state seen halfway (before another path joined it) never produces a finding."""
        incoming: dict[int, set[float]] = {context.entry: {0}}
        after = self.after
        for index, state in list(context.states.items()):
            for successor, (low, high, types) in self._transfer(context, index, state):
                if index not in after:
                    after[index] = StackInfo(low, high, context.relative, types)
                if low == high:
                    incoming.setdefault(successor, set()).add(low)
        for index, depths in incoming.items():
            if len(depths) > 1 and index < len(self.code):
                shown = " and ".join(_count(d) for d in sorted(depths))
                self._report("S206", Severity.WARNING, "paths with different stack depths "
                             f"meet here ({shown} values)", self.code[index].span)

    def _transfer(self, context: _Context, index: int,
                  state: _State) -> list[tuple[int, _State]]:
        """The successors of `index` and the state each receives."""
        instruction = self.code[index]
        op = instruction.op
        if op == "CALL":
            return self._call(context, index, state)
        low, high, types = state
        opcode = OPCODES[op]
        low, high = self._pop(context, instruction, low, high, opcode.pops)
        types = self._types(instruction, types)
        change = opcode.pushes - opcode.pops
        after = (low + change, high + change, types)
        if op == "JMP":
            return [(self.targets[index], after)]
        if op in ("JZ", "JNZ"):
            return [(self.targets[index], after), (index + 1, after)]
        if op == "RET":
            self._ret(context, instruction, low, high)
            return []
        return [] if op == "HALT" else [(index + 1, after)]

    def _pop(self, context: _Context, instruction: Instruction, low: float, high: float,
             count: int) -> tuple[float, float]:
        """Check that `count` values are there to pop; return the depth to continue from."""
        if context.relative:
            if low < count and low != -INFINITY:
                context.need = max(context.need, int(count - low))
            return low, high
        what = instruction.op if instruction.op != "CALL" else f"CALL {instruction.arg}"
        if high < count:
            self._report("S204", Severity.ERROR, f"stack underflow: {what} needs "
                         f"{count} value{'s' if count > 1 else ''}, the stack has "
                         f"{_count(high)} here", instruction.span)
        elif low < count:
            self._report("S205", Severity.WARNING, f"possible stack underflow: {what} "
                         f"needs {count} value{'s' if count > 1 else ''}, the stack may hold "
                         f"only {_count(low)} here", instruction.span)
        return max(low, count), max(high, count)

    def _call(self, context: _Context, index: int, state: _State) -> list[tuple[int, _State]]:
        low, high, _ = state
        instruction = self.code[index]
        summary = self.summaries.get(self.targets[index], Summary())
        if summary.need:
            low, high = self._pop(context, instruction, low, high, summary.need)
        if summary.returns is None:
            return []
        return [(index + 1, (low + summary.returns[0], high + summary.returns[1], ()))]

    def _ret(self, context: _Context, instruction: Instruction, low: float, high: float) -> None:
        if not context.relative:
            self._report("S209", Severity.WARNING, "RET can be reached without an active CALL "
                         "(is a HALT missing before this subroutine?)", instruction.span)
            return
        returns = context.returns
        context.returns = (low, high) if returns is None else (min(returns[0], low),
                                                               max(returns[1], high))

    def _types(self, instruction: Instruction, types: tuple[str, ...]) -> tuple[str, ...]:
        """The known types after `instruction`, reporting certain mismatches."""
        literal = "" if instruction.op != "PUSH" else type(instruction.arg).__name__
        after, top, wanted = _type_effect(instruction.op, literal, types)
        if wanted:
            self._mismatch(instruction, top, wanted)
        return after

    def _mismatch(self, instruction: Instruction, types: tuple[str, ...], wanted: str) -> None:
        got = " and ".join({"int": "an integer", "str": "a string"}[t] for t in types)
        self._report("S207", Severity.ERROR, f"type mismatch: {instruction.op} needs {wanted}, "
                     f"but gets {got}", instruction.span)

    # Findings about the program as a whole.

    def _whole_program_findings(self, contexts: list[_Context]) -> None:
        reached = self._reached(contexts)
        self._unreachable(reached)
        self._unused_labels()
        self._never_stored()
        for context in contexts[1:]:
            if context.falls_off and context.entry in reached:
                self._falls_off(context.entry)

    def _reached(self, contexts: list[_Context]) -> set[int]:
        """Instructions of the main program and of the subroutines its reachable CALLs enter."""
        by_entry = {c.entry: c for c in contexts[1:]}
        reached = set(contexts[0].states)
        entered: set[int] = set()
        while True:
            calls = {self.targets[i] for i in reached if self.code[i].op == "CALL"} - entered
            if not calls:
                return reached
            entered |= calls
            for entry in calls:
                reached |= set(by_entry[entry].states)

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

