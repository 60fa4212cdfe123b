"""Writing one basic block of a unit as Python (compiler.py puts the blocks together).

The block's values live in a symbolic stack of Python expressions (symbolic.py) and reach the
machine's stack only where the block ends or hands over; each instruction has an emitter
(`EMITTERS`), which writes its Python with the checks the reference interpreter would make, and
each failed check hands the instruction to the reference ("deopt") with the exact state. A
block that jumps back to its own start is written as a `while` loop, after one check of what
holds every time round.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..lang.assembler import INT_MAX, INT_MIN, Value
from ..lang.opcodes import BRANCHES, ENDS_BLOCK, OPCODES
from .frames import Frame
from .live import records
from .symbolic import (
    IN_RANGE,
    SUM_RANGE,
    Entry,
    drifted,
    exactly,
    interval,
    narrow,
    negated,
    value_range,
    within,
)
from .units import LEFT_UNIT, TO_REFERENCE

if TYPE_CHECKING:
    from .executable import Executable


LONG_STRING = 65_536
"""A string ADD or PRINT longer than this is handed to the reference interpreter, which
charges its size to the time budget (machine.py, CLOCK_WORK): a step that copies megabytes
takes milliseconds, and the clock must be looked at by work done, not only by steps."""

_LONG_EXPRESSION = 80
"""A symbolic value whose expression grows past this many characters is kept in a temporary."""

LONGEST_STRETCH = 1 << 14
"""The most times round a compiled loop runs between two looks at the gate: few enough that
its sums cannot move far (symbolic.py, SUM_RANGE)."""


def gate_test(steps: int) -> str:
    """The test that `steps` more steps would pass the gate, after the machine has moved it
    on if only the clock was due (`Machine.moved_gate`)."""
    return f"steps + {steps} > gate and steps + {steps} > (gate := tick(steps))"


def stack_bounds(exe: Executable, span: range,
                 functions: Mapping[int, Frame] | None = None) -> tuple[int, int, int]:
    """How many values the block `span` takes from below its entry depth, how far above it
    the stack may grow, and how deep it is at the end. A CALL of one of `functions` takes
    its arguments from the stack and puts back its results, as an instruction would."""
    depth = need = peak = 0
    code = exe.program.code
    for index in span:
        callee = functions.get(exe.targets[index]) \
            if functions and code[index].op == "CALL" else None
        pops, pushes = (callee.takes, callee.gives) if callee is not None else \
            (OPCODES[code[index].op].pops, OPCODES[code[index].op].pushes)
        need = max(need, pops - depth)
        depth += pushes - pops
        peak = max(peak, depth)
    return need, peak, depth


@dataclass
class Block:
    """Writes the Python for one basic block."""

    exe: Executable
    leader: int
    members: frozenset[int]
    names: dict[str, str]
    temps: list[int]
    lines: list[str] = field(default_factory=list)
    sym: list[Entry] = field(default_factory=list)
    functions: dict[int, Frame] = field(default_factory=dict)
    """The subroutines that run as Python functions (frames.py), by their entry."""
    assumed: dict[str, str] = field(default_factory=dict)
    """A looping block's memory locals and the type ("int" or "str") each holds whenever the
    loop starts over, checked once before the loop (see `_loop`)."""
    bound: set[str] = field(default_factory=set)
    """Memory locals already known to hold a value at this point of the block."""
    before: list[str] = field(default_factory=list)
    """Checks of the limits alone, which a looping block makes once, before the loop."""
    in_range: frozenset[str] = frozenset()
    """A looping block's integer locals that lie within ±IN_RANGE whenever the loop starts
    over (checked once before it): their sums and products need fewer overflow checks."""
    holds: dict[str, Entry] = field(default_factory=dict)
    """What each memory local the block stored into holds at this point of the block."""
    sums: dict[str, tuple[int, int]] = field(default_factory=dict)
    """A looping block's integer locals that move by an amount between two bounds each time
    round (a running total): they lie within ±SUM_RANGE where a time round begins (checked
    before each stretch of times round, which can move them only so far), so adding to them
    needs no overflow check."""
    stay_in_range: set[str] = field(init=False, default_factory=set)
    """Those of `in_range` that still lie within ±IN_RANGE where the loop starts over."""
    drifts: dict[str, tuple[int, int]] = field(init=False, default_factory=dict)
    """How far each local the loop stores into moves each time round, where that is bounded:
    the `sums` it may assume."""
    known: dict[str, str] = field(init=False)
    """Memory locals whose type is known at this point of the block."""
    at_back_edge: dict[str, str] = field(init=False, default_factory=dict)
    """`known` where a looping block jumps back to its start."""
    fact: tuple[Entry, str, int] | None = field(init=False, default=None)
    """What holds on the path of the jump being written: a value, an operator, a constant
    (a block written inline there knows the value's bounds)."""
    span: range = field(init=False)
    looping: bool = field(init=False)
    """The block ends by jumping back to its own start: it becomes a `while` loop, and what
    cannot change from one time round to the next is checked once, before it."""

    def __post_init__(self) -> None:
        self.span = self.exe.block(self.leader)
        last = self.span[-1]
        self.looping = self.exe.targets[last] == self.leader and self.exe.program.code[
            last].op in BRANCHES
        self.known = dict(self.assumed)
        if self.looping:  # every local is checked for a value before the loop
            self.bound = set(self.names.values())

    def write(self) -> list[str]:
        need, peak, net = stack_bounds(self.exe, self.span, self.functions)
        room = []
        if need:
            room.append(f"len(stack) < {need}")
        if peak:
            room.append(f"len(stack) > maxs - {peak}")
        invariant = self.looping and net == 0  # as deep each time round: one check holds
        guard = ([] if self.looping else [gate_test(len(self.span))]) + \
            ([] if invariant else room)  # a loop looks at the gate once a stretch (`_loop`)
        if guard:  # before the block counts its steps, or in a loop after the rounds done
            leave = self._deopt(self.leader) if self.looping else \
                f"flag = {TO_REFERENCE}; raise _Exit"
            self.lines.append(f"if {' or '.join(guard)}: {leave}")
        if self.leader in self.exe.watch:
            done = self._steps_before(self.leader) if self.looping else "steps"
            self.lines.append(f"visit({self.leader}, {done})")
        if not self.looping:  # a loop counts its times round by the stretch's index (`_loop`)
            self.lines.append(f"steps += {len(self.span)}")
        index = self.span.start
        while index < self.span.stop:
            index += self._append(index) or self._instruction(index)
        if self.exe.program.code[self.span[-1]].op not in ENDS_BLOCK:
            self._flush()
            self.lines.extend(self._goto(self.span[-1] + 1))
        if self.looping:
            return self._loop(room if invariant else [])
        return self.lines

    def _loop(self, room: list[str]) -> list[str]:
        """The block as a loop, after one check of what holds every time round: every local
        it uses has a value (no local ever loses its value), the `assumed` types (the block
        leaves them so when it starts over), the integers `in_range`, the stack's `room` and
        the limits its literals must fit (`before`). If the check fails, the reference
        interpreter runs the block from its start, which is always right; by the time the
        loop comes round again, the locals hold what the block stores.

        The loop runs in stretches: as many times round as the steps left before the gate
        allow (at most LONGEST_STRETCH), then it looks at the gate again, so that no time
        round asks; before each stretch, the `sums` are checked to lie so far inside
        ±SUM_RANGE that the stretch cannot take them out. The steps of a stretch are counted
        where it ends, from its index `k`: no time round counts its own."""
        conditions = [f"type({local}) is not {kind}" for local, kind in self.assumed.items()]
        conditions += [f"{local} is UNSET" for name, local in self.names.items()
                       if local not in self.assumed and self._uses(name)]
        conditions += [f"not -{IN_RANGE} <= {local} <= {IN_RANGE}" for local in
                       sorted(self.in_range)]
        conditions += room + self.before
        check = [f"if {' or '.join(conditions)}: flag = {TO_REFERENCE}; raise _Exit"]
        size = len(self.span)
        sums = [f"not {-SUM_RANGE} + room * {-min(low, 0)} <= {local} <= "
                f"{SUM_RANGE} - room * {max(high, 0)}"
                for local, (low, high) in sorted(self.sums.items())]
        stretch = [
            f"if {gate_test(size)}: flag = {TO_REFERENCE}; raise _Exit",
            f"room = min((gate - steps) // {size}, {LONGEST_STRETCH})",
            *([f"if {' or '.join(sums)}: flag = {TO_REFERENCE}; raise _Exit"] if sums else []),
            "for k in range(room):",
            *("    " + line for line in self.lines),
            "else:",  # the stretch ran out: look at the gate again
            f"    steps += {size} * room",
            "    continue",
            "break",  # the loop ended
        ]
        return [*(check if conditions else []), "while True:",
                *("    " + line for line in stretch)]

    def _back(self, local: str) -> tuple[int, int]:
        """Where `local` lies when the loop starts over: as it was if the block did not
        store into it, else where what it stored lies on the way back (`fact`)."""
        held = self.holds.get(local)
        if held is None:
            return -IN_RANGE, IN_RANGE
        if held.type != "int":
            return INT_MIN, INT_MAX + 1
        bounded = held.copy()
        if self.fact is not None and self.fact[0] is held:
            narrow(bounded, *self.fact[1:])
        return value_range(bounded)

    def _uses(self, name: str) -> bool:
        code = self.exe.program.code
        return any(code[i].op in ("LOAD", "STORE") and str(code[i].arg) == name
                   for i in self.span)

    def _temp(self) -> str:
        self.temps[0] += 1
        return f"t{self.temps[0]}"

    def _emit(self, kind: str, expr: str) -> None:
        """Push a new symbolic value, keeping long expressions in a temporary."""
        if len(expr) > _LONG_EXPRESSION or (kind != "cond" and not expr.isidentifier()):
            temp = self._temp()
            self.lines.append(f"{temp} = {expr}")
            expr = temp
        self.sym.append(Entry(expr, kind))

    def _take(self, count: int) -> list[Entry]:
        """The top `count` symbolic values, popping from the real stack what is not symbolic."""
        while len(self.sym) < count:
            temp = self._temp()
            self.lines.append(f"{temp} = pop()")
            self.sym.insert(0, Entry(temp, "any"))
        return self.sym[-count:]

    def _deopt(self, index: int) -> str:
        """Statements that hand instruction `index` to the reference interpreter."""
        parts = [self._push_all()] if self.sym else []
        if self.looping:
            parts.append(f"steps = {self._steps_before(index)}")
        elif undone := self.span.stop - index:
            parts.append(f"steps -= {undone}")
        parts += [f"pc = {index}", f"flag = {TO_REFERENCE}", "raise _Exit"]
        return "; ".join(parts)

    def _steps_before(self, index: int) -> str:
        """In a loop, the steps taken before instruction `index` runs: `steps` counts none
        of the times round done in this stretch (`k` of them) nor of this one."""
        return f"steps + {len(self.span)} * k + {index - self.span.start}"

    def _check(self, condition: str, index: int) -> None:
        self.lines.append(f"if {condition}: {self._deopt(index)}")

    def _before_assigning(self, local: str) -> None:
        """Keep in temporaries the values on the symbolic stack that read `local`, as it is
        about to change: a LOAD's value is the local itself until then (`_load`)."""
        reads = re.compile(rf"\b{local}\b")
        kept: dict[str, str] = {}
        for entry in self.sym:
            if reads.search(entry.expr):
                if entry.expr not in kept:
                    kept[entry.expr] = self._temp()
                    self.lines.append(f"{kept[entry.expr]} = {entry.expr}")
                entry.expr = kept[entry.expr]

    def _flush(self) -> None:
        if self.sym:
            self.lines.append(self._push_all())
            self.sym.clear()

    def _push_all(self) -> str:
        """A statement that pushes the symbolic stack onto the real one."""
        values = [entry.value() for entry in self.sym]
        if len(values) == 1:
            return f"stack.append({values[0]})"
        return f"stack.extend(({', '.join(values)}))"

    def _goto(self, target: int) -> list[str]:
        if target == self.leader and self.looping:
            self.at_back_edge = dict(self.known)
            self.stay_in_range = {local for local in self.in_range
                                  if within(self._back(local), IN_RANGE)}
            self.drifts = {local: (held.drift[1], held.drift[2])
                           for local, held in self.holds.items()
                           if held.drift is not None and held.drift[0] == local}
            return ["continue"]
        count = [f"steps = {self._steps_before(self.span.stop)}"] if self.looping else []
        leave = ["break"] if self.looping else []
        if target in self.members:
            return [*count, f"pc = {target}", *leave]
        return [*count, f"pc = {target}", f"flag = {LEFT_UNIT}", "raise _Exit"]

    def _bound(self, name: str, index: int) -> str:
        """The local of a memory name, deopting if it has no value yet: a LOAD then fails in
        the reference, and a first STORE is where the reference counts names."""
        local = self.names[name]
        if local not in self.bound:
            self._check(f"{local} is UNSET", index)
            self.bound.add(local)
        return local

    def _require(self, entries: list[Entry], kind: str, index: int) -> None:
        """Deopt unless every entry is of `kind`, testing only what is not known already."""
        unknown = [e.value() for e in entries if e.type != kind]
        if any(e.type not in (kind, "any") for e in entries):
            self.lines.append(self._deopt(index))
        elif unknown:
            self._check(" or ".join(f"type({u}) is not {kind}" for u in unknown), index)
            for entry in entries:
                self._found(entry, kind)

    def _found(self, entry: Entry, kind: str) -> None:
        """A check found `entry` of `kind`: so it is wherever it stands (a DUP's copy is the
        same entry), and so is the local it was loaded from."""
        if entry.kind == "any":
            entry.kind = kind
        if entry.loaded is not None:
            self.known[entry.loaded] = kind

    def _int_result(self, expr: str, operands: int, index: int, low: int, high: int) -> None:
        """Replace the top `operands` values by an integer result that lies between `low`
        and `high`, checked against int64 on the sides where that range passes it, while
        the operands are still on the stack."""
        temp = self._temp()
        self.lines.append(f"{temp} = {expr}")
        checks = ([f"{temp} > {INT_MAX}"] if high > INT_MAX else []) + \
            ([f"{temp} < {INT_MIN}"] if low < INT_MIN else [])
        if checks:
            self._check(" or ".join(checks), index)
        del self.sym[-operands:]
        self.sym.append(Entry(temp, "int", low=max(low, INT_MIN), high=min(high, INT_MAX)))

    def _instruction(self, index: int) -> int:
        """Write instruction `index`; answers how many instructions were written (one)."""
        instruction = self.exe.program.code[index]
        emit = getattr(self, EMITTERS[instruction.op])
        emit(index, instruction.op, instruction.arg, self.exe.targets[index])
        if self.exe.live and records(instruction.op):
            self._note(index)
        return 1

    def _append(self, index: int) -> int:
        """`LOAD x` `PUSH "s"` `ADD` `STORE x`, the idiom that builds a string, written as
        `x += "s"` with each instruction's checks: CPython grows a string in place when
        nothing else holds it, where `t = x + "s"` copies it at every turn (quadratic in its
        length). Answers 4, or 0 when the four are not there (or live values watch them)."""
        code = self.exe.program.code
        if self.exe.live or index + 3 >= self.span.stop or \
                [i.op for i in code[index:index + 4]] != ["LOAD", "PUSH", "ADD", "STORE"]:
            return 0
        name, literal = code[index].arg, code[index + 1].arg
        if code[index + 3].arg != name or not isinstance(literal, str) or not literal:
            return 0
        local = self._bound(str(name), index)
        # the loaded value: the local is not yet changed
        self.sym.append(Entry(local, self.known.get(local, "any")))
        self._push(index + 1, "PUSH", literal, -1)
        self._require([self.sym[-2]], "str", index + 2)
        grown = f"len({local}) + {len(literal)}"
        self._check(f"{grown} > longest or work + {grown} >= wlim", index + 2)
        del self.sym[-2:]
        self._before_assigning(local)
        self.lines += [f"{local} += {literal!r}", f"work += len({local})"]
        self.known[local] = "str"
        self.holds[local] = Entry(local, "str")
        return 4

    def _note(self, index: int) -> None:
        """Record the stack top after instruction `index` (live.py's `note`, inlined: it runs
        after every instruction)."""
        top = self.sym[-1].value() if self.sym else "(stack[-1] if stack else None)"
        if not top.isidentifier():
            temp = self._temp()
            self.lines.append(f"{temp} = {top}")
            top = temp
        self.lines += [f"if not counts[{index}]: firsts[{index}] = {top}",
                       f"counts[{index}] += 1", f"lasts[{index}] = {top}"]

    # One emitter per opcode (see EMITTERS): each writes the Python for one instruction,
    # given its index, opcode, operand and jump target.

    def _push(self, index: int, op: str, arg: Value | None, target: int) -> None:
        if isinstance(arg, str) and len(arg) > 1:
            if self.looping:  # the same every time round
                self.before.append(f"maxlen < {len(arg)}")
            else:
                self._check(f"maxlen < {len(arg)}", index)
        if isinstance(arg, str) and arg:
            self._check(f"work + {len(arg)} >= wlim", index)
            self.lines.append(f"work += {len(arg)}")
        if isinstance(arg, int):
            self.sym.append(Entry(repr(arg), "int", low=arg, high=arg))
        else:
            self.sym.append(Entry(repr(arg), "str"))

    def _pop(self, index: int, op: str, arg: Value | None, target: int) -> None:
        self._take(1)
        self.sym.pop()

    def _shuffle(self, index: int, op: str, arg: Value | None, target: int) -> None:
        """DUP, SWAP, OVER, ROT: only the symbolic stack changes."""
        if op == "DUP":
            self.sym.append(self._take(1)[0])
        elif op == "SWAP":
            a, b = self._take(2)
            self.sym[-2:] = [b, a]
        elif op == "OVER":
            a, _ = self._take(2)
            self.sym.append(a)
        else:
            a, b, c = self._take(3)
            self.sym[-3:] = [b, c, a]

    def _compare(self, index: int, op: str, arg: Value | None, target: int) -> None:
        a, b = self._take(2)
        if a.type == "any" and b.type != "any":
            self._check(f"type({a.value()}) is not {b.type}", index)
            self._found(a, b.type)
        elif b.type == "any" and a.type != "any":
            self._check(f"type({b.value()}) is not {a.type}", index)
            self._found(b, a.type)
        elif not a.type == b.type != "any":
            self._check(f"type({a.value()}) is not type({b.value()})", index)
        symbol = {"LT": "<", "LE": "<=", "GT": ">", "GE": ">="}[op]
        del self.sym[-2:]
        self._emit("cond", f"({a.value()} {symbol} {b.value()})")
        if a.type == "int" and (constant := exactly(b)) is not None:
            self.sym[-1].test = (a, symbol, constant)

    def _logic(self, index: int, op: str, arg: Value | None, target: int) -> None:
        if op == "NOT":
            (a,) = self._take(1)
            self.sym.pop()
            self._emit("cond", f"(not {a.truth()})")
            return
        a, b = self._take(2)
        del self.sym[-2:]
        self._emit("cond", f"({a.truth()} {op.lower()} {b.truth()})")

    def _store(self, index: int, op: str, arg: Value | None, target: int) -> None:
        (a,) = self._take(1)
        local = self._bound(str(arg), index)
        self.sym.pop()
        self._before_assigning(local)
        self.lines.append(f"{local} = {a.value()}")
        for entry in self.sym:
            if entry.loaded == local:
                entry.loaded = None
        self.holds[local] = a
        if a.type == "any":
            self.known.pop(local, None)
        else:
            self.known[local] = a.type

    def _load(self, index: int, op: str, arg: Value | None, target: int) -> None:
        """The local itself stands for the loaded value until it is assigned
        (`_before_assigning`): no copy is made."""
        local = self._bound(str(arg), index)
        held = self.holds.get(local)
        if held is not None:  # stored this time round: that value, and how it drifted
            low, high, drift = held.low, held.high, held.drift
        else:
            low, high = (-IN_RANGE, IN_RANGE) if local in self.in_range else \
                (-SUM_RANGE, SUM_RANGE) if local in self.sums else (None, None)
            drift = (local, 0, 0)
        self.sym.append(Entry(local, self.known.get(local, "any"), loaded=local, low=low,
                              high=high, drift=drift))

    def _assert(self, index: int, op: str, arg: Value | None, target: int) -> None:
        (a,) = self._take(1)
        self._check(f"not {a.truth()}", index)
        self.sym.pop()

    def _nop(self, index: int, op: str, arg: Value | None, target: int) -> None:
        pass

    def _jump(self, index: int, op: str, arg: Value | None, target: int) -> None:
        self._flush()
        self.lines.extend(self._goto(target))

    def _branch(self, index: int, op: str, arg: Value | None, target: int) -> None:
        (a,) = self._take(1)
        self.sym.pop()
        self._flush()
        taken = a.test if op == "JNZ" else negated(a.test)
        self.fact = taken
        jump = self._goto(target)
        self.fact = negated(taken)
        fall = self._goto(index + 1)
        self.fact = None
        test = a.truth() if op == "JNZ" else f"not {a.truth()}"
        self.lines.append(f"if {test}:")
        self.lines.extend("    " + line for line in jump)
        self.lines.append("else:")
        self.lines.extend("    " + line for line in fall)

    def _call(self, index: int, op: str, arg: Value | None, target: int) -> None:
        self._check("len(calls) >= maxc", index)
        callee = self.functions.get(target)
        if callee is None:
            self._flush()
            self.lines.append(f"calls.append({index})")
            self.lines.extend(self._goto(target))
            return
        entries = self._take(callee.takes) if callee.takes else []
        args = [entry.value() for entry in entries]
        del self.sym[len(self.sym) - callee.takes:]
        self._flush()
        results = [self._temp() for _ in range(callee.gives)]
        self.lines += [
            "if len(calls) < fmax:",  # deeper, the calls go through `calls` as any other
            "    base = len(stack); cbase = len(calls)",
            "    flim = min(fmax, cbase + 1 + (maxs - base) // fsize)",
            *("    " + line for line in called(callee, "cbase + 1", entries, results,
                                                 f"calls.insert(cbase, {index})")),
            *([f"    stack.extend(({', '.join(results)},))"] if results else []),
            *("    " + line for line in self._goto(index + 1)),
            "else:",
            *([f"    stack.extend(({', '.join(args)},))"] if args else []),
            f"    calls.append({index})",
            *("    " + line for line in self._goto(target)),
        ]

    def _ret(self, index: int, op: str, arg: Value | None, target: int) -> None:
        self._check("not calls", index)
        self._flush()
        self.lines.append("pc = calls.pop() + 1")
        self.lines.append(f"if pc not in LEADERS: flag = {LEFT_UNIT}; raise _Exit")

    def _reference(self, index: int, op: str, arg: Value | None, target: int) -> None:
        """HALT, LLMGEN, EVOLVE: always the reference interpreter's business."""
        self.lines.append(self._deopt(index))

    def _arithmetic(self, index: int, op: str, arg: Value | None, target: int) -> None:
        if op == "NEG":
            (a,) = self._take(1)
            self._require([a], "int", index)
            low, high = value_range(a)
            self._int_result(f"-{a.value()}", 1, index, -high, -low)
            return
        a, b = self._take(2)
        x, y = a.value(), b.value()
        if op == "ADD" and ("str" in (a.type, b.type) or a.type == b.type == "any"):
            self._add_any(a, b, index)
            return
        self._require([a, b], "int", index)
        constant = exactly(b)
        if op in ("ADD", "SUB", "MUL"):
            symbol = {"ADD": "+", "SUB": "-", "MUL": "*"}[op]
            self._int_result(f"{x} {symbol} {y}", 2, index,
                             *interval(op, value_range(a), value_range(b)))
            if op != "MUL":
                self.sym[-1].drift = drifted(op, a, b)
        elif constant:
            self._by_constant(op, x, constant, index, value_range(a))
        else:
            self._check(f"{y} == 0", index)
            if op == "DIV":  # only INT_MIN / -1 overflows
                self._int_result(f"divide({x}, {y})", 2, index, INT_MIN, INT_MAX + 1)
            else:
                self._int_result(f"remainder({x}, {y})", 2, index, INT_MIN, INT_MAX)

    def _by_constant(self, op: str, x: str, divisor: int, index: int,
                     dividend: tuple[int, int]) -> None:
        """DIV or MOD by a constant other than 0, inline: Python's // and % on the magnitude,
        with the sign Sovereign gives (arithmetic.py), and no call. The result is no larger
        than the dividend over the divisor, and a remainder is smaller than the divisor, of
        the dividend's sign."""
        if not x.isidentifier():
            temp = self._temp()
            self.lines.append(f"{temp} = {x}")
            x = temp
        size = abs(divisor)
        low, high = dividend
        if op == "MOD":
            self._int_result(f"({x} % {size} if {x} >= 0 else -(-{x} % {size}))", 2, index,
                             max(low, 1 - size) if low < 0 else 0,
                             min(high, size - 1) if high > 0 else 0)
        elif divisor > 0:
            self._int_result(f"({x} // {size} if {x} >= 0 else -(-{x} // {size}))", 2, index,
                             -(max(-low, 0) // size), max(high, 0) // size)
        else:  # only INT_MIN / -1 overflows
            self._int_result(f"(-({x} // {size}) if {x} >= 0 else -{x} // {size})", 2, index,
                             -(max(high, 0) // size), max(-low, 0) // size)

    def _add_any(self, a: Entry, b: Entry, index: int) -> None:
        """ADD when either side may be a string: integers add, strings concatenate."""
        x, y = a.value(), b.value()
        temp = self._temp()
        if "int" not in (a.type, b.type) and "str" in (a.type, b.type):
            self._require([a, b], "str", index)
            self.lines.append(f"{temp} = {x} + {y}")
            self._check(f"len({temp}) > longest or work + len({temp}) >= wlim", index)
            self.lines.append(f"work += len({temp})")
            self.sym[-2:] = [Entry(temp, "str")]
            return
        if "str" in (a.type, b.type):
            self.lines.append(self._deopt(index))
            self.sym[-2:] = [Entry("None", "any")]  # never reached; keeps the stack's shape
            return
        self.lines += [
            f"if type({x}) is int and type({y}) is int:",
            f"    {temp} = {x} + {y}",
            f"    if {temp} > {INT_MAX} or {temp} < {INT_MIN}: {self._deopt(index)}",
            f"elif type({x}) is str and type({y}) is str:",
            f"    {temp} = {x} + {y}",
            f"    if len({temp}) > longest or work + len({temp}) >= wlim: "
            f"{self._deopt(index)}",
            f"    work += len({temp})",
            f"else: {self._deopt(index)}",
        ]
        self.sym[-2:] = [Entry(temp, "any")]

    def _equality(self, index: int, op: str, arg: Value | None, target: int) -> None:
        a, b = self._take(2)
        del self.sym[-2:]
        x, y = a.value(), b.value()
        if "any" not in (a.type, b.type):
            same = a.type == b.type
            expr = f"({x} == {y})" if same else "False"
        else:
            expr = f"(type({x}) is type({y}) and {x} == {y})"
        self._emit("cond", expr if op == "EQ" else f"(not {expr})")

    def _print(self, index: int, op: str, arg: Value | None, target: int) -> None:
        (a,) = self._take(1)
        x, text, size = a.value(), self._temp(), self._temp()
        if a.type == "str":
            self.lines.append(f"{text} = {x}")
        else:
            self.lines.append(f"{text} = {x} if type({x}) is str else str({x})")
        self.lines.append(f"{size} = len({text}.encode('utf-8', 'surrogatepass')) + 1")
        self._check(f"outb + {size} > maxo or {size} > longest or work + {size} >= wlim",
                    index)
        self.sym.pop()
        self.lines += [f"outb += {size}", f"work += {size}", f"out.append({text})"]


def called(callee: Frame, where: str, args: list[Entry], results: list[str],
            *undo: str) -> list[str]:
    """A call of the function of `callee` with `args`, its results put in `results`; if a
    check in it fails, the statements `undo` give the machine this caller's part of the
    state. Arguments known to be what the function assumes go to it straight; others go
    through its checking entry."""
    assign = f"{', '.join(results)} = " if results else ""
    known = all(param == "any" or entry.type == param
                for entry, param in zip(args, callee.assumed, strict=True))
    name = f"{'f' if known else 'c'}{callee.entry}"
    values = ", ".join([where, *(entry.value() for entry in args)])
    return ["try:", f"    {assign}{name}({values})",
            "except _Exit:", *(f"    {line}" for line in undo), "    raise"]


_ROUNDS = 4
"""How often a loop's types are worked out again before it is compiled without any."""


def write_block(exe: Executable, leader: int, members: frozenset[int], names: dict[str, str],
                temps: list[int], functions: dict[int, Frame]) -> list[str]:
    """The Python of one block. A loop is written assuming what holds when it starts over,
    worked out from what holds at its end: first the types of its locals (each round assumes
    what the round before found there, until the types it assumes are the types it finds),
    then which of its integer locals stay within ±IN_RANGE (`_ranged`), then which are sums
    (`_summing`)."""
    first_temp = temps[0]

    def write(assumed: dict[str, str], in_range: frozenset[str] = frozenset(),
              sums: dict[str, tuple[int, int]] | None = None) -> Block:
        temps[0] = first_temp  # a round's temporaries replace the round before's
        block = Block(exe, leader, members, names, temps, functions=functions,
                      assumed=assumed, in_range=in_range, sums=sums or {})
        block.lines = block.write()
        return block

    block = write({})
    if not block.looping:
        return block.lines
    for _ in range(_ROUNDS):
        if block.at_back_edge == block.assumed:
            break
        block = write(block.at_back_edge)
    if not block.assumed.items() <= block.at_back_edge.items():
        return write({}).lines
    return _summing(write, _ranged(write, block)).lines


_Write = Callable[..., Block]


def _holds(block: Block, in_range: frozenset[str]) -> bool:
    """Whether what `block` was written assuming holds where it starts over: its types and
    the locals `in_range`."""
    return block.stay_in_range >= in_range and \
        block.assumed.items() <= block.at_back_edge.items()


def _ranged(write: _Write, block: Block) -> Block:
    """The loop written knowing which integer locals stay within ±IN_RANGE: assumed of all
    of them, then each round drops those that do not, until none is dropped."""
    in_range = frozenset(local for local, kind in block.assumed.items() if kind == "int")
    while in_range:
        ranged = write(block.assumed, in_range)
        if _holds(ranged, in_range):
            return ranged
        in_range = frozenset(ranged.stay_in_range)
    return block


def _summing(write: _Write, block: Block) -> Block:
    """The loop written knowing which of its other integer locals are sums (each time round
    moves them by a bounded amount), if assuming so does not change how far they move."""
    sums = {local: drift for local, drift in block.drifts.items()
            if block.assumed.get(local) == "int" and local not in block.in_range}
    if not sums:
        return block
    summing = write(block.assumed, block.in_range, sums)
    moved = summing.drifts
    if _holds(summing, block.in_range) and all(
            local in moved and low <= moved[local][0] and moved[local][1] <= high
            for local, (low, high) in sums.items()):
        return summing
    return block


EMITTERS = {
    "PUSH": "_push", "POP": "_pop",
    "DUP": "_shuffle", "SWAP": "_shuffle", "OVER": "_shuffle",
    "ROT": "_shuffle",
    "ADD": "_arithmetic", "SUB": "_arithmetic", "MUL": "_arithmetic",
    "DIV": "_arithmetic", "MOD": "_arithmetic", "NEG": "_arithmetic",
    "EQ": "_equality", "NE": "_equality",
    "LT": "_compare", "LE": "_compare", "GT": "_compare", "GE": "_compare",
    "AND": "_logic", "OR": "_logic", "NOT": "_logic",
    "STORE": "_store", "LOAD": "_load",
    "PRINT": "_print", "ASSERT": "_assert", "NOP": "_nop",
    "JMP": "_jump", "JZ": "_branch", "JNZ": "_branch",
    "CALL": "_call", "RET": "_ret",
    "HALT": "_reference", "LLMGEN": "_reference", "EVOLVE": "_reference",
}
"""The emitter of each opcode; a test checks that every opcode of the table has one."""
