"""Compile hot basic blocks to one Python function (a "unit").

Inside a block the data stack lives in Python locals (a symbolic stack), memory names live in
locals, and comparisons feeding a branch become plain `if`s; the real stack and memory are
written back only where a block ends or leaves the unit. Each block first checks, once, that it
cannot run out of steps or stack space; everything data-dependent (a type, a zero divisor, an
overflow, a first STORE of a name) is checked where it happens. A block that jumps back to its
own start becomes a `while` loop, and what holds every time round (its locals have values, of
the types the loop leaves them with, within ±2**31 where they stay so; the stack is as deep)
is checked once, before it. Integers carry the interval they lie in, so an overflow check is
written only on the sides where a result can leave 64 bits. Any check that fails hands the
instruction back to the reference interpreter with the exact state it would have had
("deopt"), so every runtime error, span and step count comes from the reference, never from
this file.

A subroutine whose stack effect is fixed (frames.py) is written as a Python function nested in
the unit, and a CALL of it is a Python call: its frame's values are locals, what is known of
their types goes from block to block, and blocks are written inline where control goes to
them, so fib reads much as it would in Python, each check kept.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING

from ..lang.assembler import INT_MAX, INT_MIN, Value
from ..lang.opcodes import BRANCHES, ENDS_BLOCK, OPCODES, successors
from .arithmetic import divide, remainder
from .frames import Frame, frames
from .live import records
from .units import LEFT_UNIT, TO_REFERENCE, Unit

if TYPE_CHECKING:
    from .executable import Executable


class _Exit(Exception):
    """Raised by a unit's code to leave its dispatch loop with `flag` set to its answer
    (LEFT_UNIT or TO_REFERENCE, units.py); the unit writes its locals back before it
    returns the flag."""


class _Unset:
    """Marks a memory name that holds no value."""


UNSET = _Unset()

LONG_STRING = 65_536
"""A string ADD or PRINT longer than this is handed to the reference interpreter, which
charges its size to the time budget (machine.py, CLOCK_WORK): a step that copies megabytes
takes milliseconds, and the clock must be looked at by work done, not only by steps."""

_LONG_EXPRESSION = 80
"""A symbolic value whose expression grows past this many characters is kept in a temporary."""


@dataclass
class _Entry:
    """A symbolic stack slot: a Python expression and what is known of its type.

    `kind` is "int", "str", "any" (an int or a string) or "cond" (a Python bool expression that
    stands for the flag 1 or 0 and is only turned into an int if something needs the value)."""

    expr: str
    kind: str
    loaded: str | None = None
    """The memory local the value was loaded from, while that local still holds it."""
    low: int | None = None
    high: int | None = None
    """Bounds of an integer known on the path being written (see `_Block._branch`)."""
    test: tuple[_Entry, str, int] | None = None
    """For a comparison of a value with a constant: the value, the operator and the
    constant, which tell a branch on it what holds on each of its paths."""

    def value(self) -> str:
        return f"(1 if {self.expr} else 0)" if self.kind == "cond" else self.expr

    @property
    def type(self) -> str:
        """"int", "str" or "any": what the value is known to be at run time."""
        return "int" if self.kind == "cond" else self.kind

    def truth(self) -> str:
        return self.expr


def _gate(steps: int) -> str:
    """The test that `steps` more steps would pass the gate, after the machine has moved it
    on if only the clock was due (`Machine.moved_gate`)."""
    return f"steps + {steps} > gate and steps + {steps} > (gate := tick(steps))"


IN_RANGE = 1 << 31
"""How far from 0 a loop's integer locals may lie for their bounds to be assumed: the product
of two of them still fits in 64 bits."""


def _within(bounds: tuple[int, int], limit: int) -> bool:
    return -limit <= bounds[0] and bounds[1] <= limit


def _range(entry: _Entry) -> tuple[int, int]:
    """Where an integer entry lies: its bounds, where known, else int64's."""
    if entry.kind == "cond":
        return 0, 1
    return (INT_MIN if entry.low is None else entry.low,
            INT_MAX if entry.high is None else entry.high)


def _interval(op: str, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Where the result of ADD, SUB or MUL of values in `a` and `b` lies."""
    if op == "ADD":
        return a[0] + b[0], a[1] + b[1]
    if op == "SUB":
        return a[0] - b[1], a[1] - b[0]
    products = [x * y for x in a for y in b]
    return min(products), max(products)


def _stack_bounds(exe: Executable, span: range) -> tuple[int, int, int]:
    """How many values the block `span` takes from below its entry depth, how far above it
    the stack may grow, and how deep it is at the end."""
    depth = need = peak = 0
    for index in span:
        opcode = OPCODES[exe.program.code[index].op]
        need = max(need, opcode.pops - depth)
        depth += opcode.pushes - opcode.pops
        peak = max(peak, depth)
    return need, peak, depth


@dataclass
class _Block:
    """Writes the Python for one basic block."""

    exe: Executable
    leader: int
    members: frozenset[int]
    names: dict[str, str]
    temps: list[int]
    lines: list[str] = field(default_factory=list)
    sym: list[_Entry] = field(default_factory=list)
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
    holds: dict[str, _Entry] = field(default_factory=dict)
    """What each memory local the block stored into holds at this point of the block."""
    stay_in_range: set[str] = field(init=False, default_factory=set)
    """Those of `in_range` that still lie within ±IN_RANGE where the loop starts over."""
    known: dict[str, str] = field(init=False)
    """Memory locals whose type is known at this point of the block."""
    at_back_edge: dict[str, str] = field(init=False, default_factory=dict)
    """`known` where a looping block jumps back to its start."""
    fact: tuple[_Entry, str, int] | None = field(init=False, default=None)
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
        need, peak, net = _stack_bounds(self.exe, self.span)
        room = []
        if need:
            room.append(f"len(stack) < {need}")
        if peak:
            room.append(f"len(stack) > maxs - {peak}")
        invariant = self.looping and net == 0  # as deep each time round: one check holds
        guard = " or ".join([_gate(len(self.span)), *([] if invariant else room)])
        self.lines.append(f"if {guard}: flag = {TO_REFERENCE}; raise _Exit")
        if self.leader in self.exe.watch:
            self.lines.append(f"visit({self.leader}, steps)")
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
        """The block as a `while` loop, after one check of what holds every time round:
        every local it uses has a value (no local ever loses its value), the `assumed` types
        (the block leaves them so when it starts over), the stack's `room` and the limits
        its literals must fit (`before`). If the check fails, the reference interpreter runs
        the block from its start, which is always right; by the time the loop comes round
        again, the locals hold what the block stores."""
        conditions = [f"type({local}) is not {kind}" for local, kind in self.assumed.items()]
        conditions += [f"{local} is UNSET" for name, local in self.names.items()
                       if local not in self.assumed and self._uses(name)]
        conditions += [f"not -{IN_RANGE} <= {local} <= {IN_RANGE}" for local in
                       sorted(self.in_range)]
        conditions += room + self.before
        check = [f"if {' or '.join(conditions)}: flag = {TO_REFERENCE}; raise _Exit"]
        return [*(check if conditions else []), "while True:",
                *("    " + line for line in self.lines)]

    def _back(self, local: str) -> tuple[int, int]:
        """Where `local` lies when the loop starts over: as it was if the block did not
        store into it, else where what it stored lies on the way back (`fact`)."""
        held = self.holds.get(local)
        if held is None:
            return -IN_RANGE, IN_RANGE
        if held.type != "int":
            return INT_MIN, INT_MAX + 1
        bounded = _Entry(held.expr, held.kind, low=held.low, high=held.high)
        if self.fact is not None and self.fact[0] is held:
            _bound(bounded, *self.fact[1:])
        return _range(bounded)

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
        self.sym.append(_Entry(expr, kind))

    def _take(self, count: int) -> list[_Entry]:
        """The top `count` symbolic values, popping from the real stack what is not symbolic."""
        while len(self.sym) < count:
            temp = self._temp()
            self.lines.append(f"{temp} = pop()")
            self.sym.insert(0, _Entry(temp, "any"))
        return self.sym[-count:]

    def _deopt(self, index: int) -> str:
        """Statements that hand instruction `index` to the reference interpreter."""
        parts = [self._push_all()] if self.sym else []
        undone = self.span.stop - index
        if undone:
            parts.append(f"steps -= {undone}")
        parts += [f"pc = {index}", f"flag = {TO_REFERENCE}", "raise _Exit"]
        return "; ".join(parts)

    def _check(self, condition: str, index: int) -> None:
        self.lines.append(f"if {condition}: {self._deopt(index)}")

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
                                  if _within(self._back(local), IN_RANGE)}
            return ["continue"]
        leave = ["break"] if self.looping else []
        if target in self.members:
            return [f"pc = {target}", *leave]
        return [f"pc = {target}", f"flag = {LEFT_UNIT}", "raise _Exit"]

    def _bound(self, name: str, index: int) -> str:
        """The local of a memory name, deopting if it has no value yet: a LOAD then fails in
        the reference, and a first STORE is where the reference counts names."""
        local = self.names[name]
        if local not in self.bound:
            self._check(f"{local} is UNSET", index)
            self.bound.add(local)
        return local

    def _require(self, entries: list[_Entry], kind: str, index: int) -> None:
        """Deopt unless every entry is of `kind`, testing only what is not known already."""
        unknown = [e.value() for e in entries if e.type != kind]
        if any(e.type not in (kind, "any") for e in entries):
            self.lines.append(self._deopt(index))
        elif unknown:
            self._check(" or ".join(f"type({u}) is not {kind}" for u in unknown), index)
            for entry in entries:
                self._found(entry, kind)

    def _found(self, entry: _Entry, kind: str) -> None:
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
        self.sym.append(_Entry(temp, "int", low=max(low, INT_MIN), high=min(high, INT_MAX)))

    def _instruction(self, index: int) -> int:
        """Write instruction `index`; answers how many instructions were written (one)."""
        instruction = self.exe.program.code[index]
        emit = getattr(self, _EMITTERS[instruction.op])
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
        self.sym.append(_Entry(local, self.known.get(local, "any")))
        self._push(index + 1, "PUSH", literal, -1)
        self._require([self.sym[-2]], "str", index + 2)
        grown = f"len({local}) + {len(literal)}"
        self._check(f"{grown} > longest or work + {grown} >= wlim", index + 2)
        del self.sym[-2:]
        self.lines += [f"{local} += {literal!r}", f"work += len({local})"]
        self.known[local] = "str"
        self.holds[local] = _Entry(local, "str")
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

    # One emitter per opcode (see _EMITTERS): each writes the Python for one instruction,
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
            self.sym.append(_Entry(repr(arg), "int", low=arg, high=arg))
        else:
            self.sym.append(_Entry(repr(arg), "str"))

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
        if a.type == "int" and b.expr.lstrip("-").isdigit():
            self.sym[-1].test = (a, symbol, int(b.expr))

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
        local = self._bound(str(arg), index)
        temp = self._temp()
        self.lines.append(f"{temp} = {local}")
        held = self.holds.get(local)
        low, high = (held.low, held.high) if held is not None else \
            (-IN_RANGE, IN_RANGE) if local in self.in_range else (None, None)
        self.sym.append(_Entry(temp, self.known.get(local, "any"), loaded=local, low=low,
                               high=high))

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
        taken = a.test if op == "JNZ" else _negated(a.test)
        self.fact = taken
        jump = self._goto(target)
        self.fact = _negated(taken)
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
        args = [entry.value() for entry in self._take(callee.takes)] if callee.takes else []
        del self.sym[len(self.sym) - callee.takes:]
        self._flush()
        results = [self._temp() for _ in range(callee.gives)]
        self.lines += [
            "if len(calls) < fmax:",  # deeper, the calls go through `calls` as any other
            "    base = len(stack); cbase = len(calls)",
            "    flim = min(fmax, cbase + 1 + (maxs - base) // fsize)",
            *("    " + line for line in _called(callee, "cbase + 1", args, results,
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
            low, high = _range(a)
            self._int_result(f"-{a.value()}", 1, index, -high, -low)
            return
        a, b = self._take(2)
        x, y = a.value(), b.value()
        if op == "ADD" and ("str" in (a.type, b.type) or a.type == b.type == "any"):
            self._add_any(a, b, index)
            return
        self._require([a, b], "int", index)
        constant = int(y) if y.lstrip("-").isdigit() else None
        if op in ("ADD", "SUB", "MUL"):
            symbol = {"ADD": "+", "SUB": "-", "MUL": "*"}[op]
            self._int_result(f"{x} {symbol} {y}", 2, index, *_interval(op, _range(a), _range(b)))
        elif constant:
            self._by_constant(op, x, constant, index, _range(a))
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

    def _add_any(self, a: _Entry, b: _Entry, index: int) -> None:
        """ADD when either side may be a string: integers add, strings concatenate."""
        x, y = a.value(), b.value()
        temp = self._temp()
        if "int" not in (a.type, b.type) and "str" in (a.type, b.type):
            self._require([a, b], "str", index)
            self.lines.append(f"{temp} = {x} + {y}")
            self._check(f"len({temp}) > longest or work + len({temp}) >= wlim", index)
            self.lines.append(f"work += len({temp})")
            self.sym[-2:] = [_Entry(temp, "str")]
            return
        if "str" in (a.type, b.type):
            self.lines.append(self._deopt(index))
            self.sym[-2:] = [_Entry("None", "any")]  # never reached; keeps the stack's shape
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
        self.sym[-2:] = [_Entry(temp, "any")]

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


def compile_unit(exe: Executable, leaders: list[int]) -> Unit:
    """Compile the blocks that start at `leaders` into one function of the machine."""
    source = unit_source(exe, leaders)
    namespace = {"_Exit": _Exit, "UNSET": UNSET, "divide": divide, "remainder": remainder,
                 "LEADERS": frozenset(leaders)}
    exec(_bytecode(source, leaders[0]), namespace)
    unit: Unit = namespace["unit"]  # type: ignore[assignment]
    unit.source = source  # type: ignore[attr-defined]
    return unit


@functools.lru_cache(maxsize=512)
def _bytecode(source: str, leader: int) -> CodeType:
    """Python's compile of a unit's source, kept: it costs more than writing the source
    (0.5 ms for a loop of a dozen instructions), and the editor's sandbox runs each version
    of a document afresh, so a hot loop an edit left alone is the same source again."""
    return compile(source, f"<sovereign unit at {leader}>", "exec")


def unit_source(exe: Executable, leaders: list[int]) -> str:
    """The Python source of a unit (see the module docstring for its shape)."""
    members = frozenset(leaders)
    code = exe.program.code
    used = sorted({str(code[i].arg) for b in leaders for i in exe.block(b)
                   if code[i].op in ("LOAD", "STORE")})
    names = {name: f"m{n}" for n, name in enumerate(used)}
    temps = [0]
    functions = {} if exe.live or exe.watch else frames(exe, sorted({
        exe.targets[i] for b in leaders for i in exe.block(b) if code[i].op == "CALL"}))
    blocks = {b: _write_block(exe, b, members, names, temps, functions) for b in leaders}
    head = [
        "def unit(m):",
        "    stack = m.stack; pop = stack.pop; calls = m.calls; mem = m.memory; out = m.output",
        "    visit = m.visit",
        *(["    counts = m.live.counts; firsts = m.live.firsts; lasts = m.live.lasts"]
          if exe.live else []),
        "    config = m.config; maxs = config.max_stack; maxc = config.max_call_depth",
        "    maxlen = config.max_string; maxo = config.max_output",
        f"    longest = min(maxlen, {LONG_STRING})",
        "    tick = m.moved_gate",
        "    steps = m.steps; gate = m.gate; outb = m.output_bytes; pc = m.pc; work = m.work; "
        "wlim = m.work_limit; "
        f"flag = {LEFT_UNIT}",
        *(f"    {local} = mem.get({name!r}, UNSET)" for name, local in names.items()),
        *([f"    base = cbase = flim = 0; fmax = min(maxc, {FUNCTION_DEPTH}); "
           f"fsize = {_largest(exe, functions)}"] if functions else []),
        *("    " + line for line in _Functions(exe, functions, temps).source()),
        "    try:",
        "        while True:",
    ]
    body = ["            " + line for line in _dispatch(leaders, blocks)]
    tail = [
        "    except _Exit:",
        "        pass",
        *(f"    if {local} is not UNSET: mem[{name!r}] = {local}"
          for name, local in names.items()),
        "    m.steps = steps; m.output_bytes = outb; m.pc = pc; m.work = work",
        "    return flag",
    ]
    return "\n".join(head + body + tail) + "\n"


FUNCTION_DEPTH = 200
"""The call depth up to which calls of a subroutine that runs as a function are Python calls:
past it they go through the machine's `calls` list, as any other, so a deep recursion never
meets Python's own recursion limit."""


@dataclass
class _FunctionBlock(_Block):
    """Writes one block of a subroutine that runs as a Python function (frames.py). The
    frame's values are the locals s0, s1, ... when the block starts, and go to the next block
    in them rather than through the real stack; a RET returns the results. `depth` is the
    call depth: a function runs only below `flim`, which the outermost call sets so low
    that no frames below it can fill the stack (each holds at most `fsize` values), so no
    push inside needs a check. A check that fails puts the frame's values on the real stack;
    each caller, as the exception passes, puts its own below them and its CALL on `calls`."""

    frame: Frame = field(kw_only=True)
    kinds: tuple[str, ...] = field(kw_only=True, default=())
    """What each of the frame's values is known to be when the block starts (unless it
    starts from `start`)."""
    returns: dict[int, tuple[str, ...]] = field(kw_only=True)
    """What each function's results are known to be, by its entry."""
    entries: dict[int, int] = field(kw_only=True)
    """How many places each block of the function is entered from."""
    start: list[_Entry] | None = field(kw_only=True, default=None)
    """The values the block starts with when it is written inline, where control goes to it."""
    inlined: int = field(kw_only=True, default=0)
    """How many blocks this one is written inside."""
    checked: bool = field(kw_only=True, default=False)
    """The block it is written inside checked the step gate for it too."""
    owed: int = field(kw_only=True, default=0)
    """Steps of the blocks it is written inside that `steps` does not count yet: steps are
    added where the count must be exact (a CALL, a RET, leaving through `at`, a check that
    fails), not at every block."""
    reach: int = field(init=False, default=0)
    """The most steps from the block's start to where the next check of the gate is due
    (the steps checked for at its start)."""
    exits: dict[int, tuple[str, ...]] = field(init=False, default_factory=dict)
    """What the frame's values are known to be where the block goes on to each next block."""
    returned: tuple[str, ...] | None = field(init=False, default=None)
    """What the results are known to be, if the block returns."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.looping = False  # a jump back to the start is a `continue` like any other
        self.sym = self.start if self.start is not None else [
            _Entry(f"s{n}", kind) for n, kind in enumerate(self.kinds)]

    def write(self) -> list[str]:
        """The block's Python. The gate is checked once for the block and every block
        written inline after it up to the next CALL (the longest way through them): if that
        fails, the reference interpreter starts at this block, sooner than it must, which is
        always right."""
        back = self._deopt(self.leader)
        self.reach = len(self.span)
        for index in self.span:
            self._instruction(index)
        if self.exe.program.code[self.span[-1]].op not in ENDS_BLOCK:
            self.lines.extend(self._goto(self.span[-1] + 1))
        guard = [] if self.checked else [_gate(self.owed + self.reach)]
        if self.leader == self.frame.entry:  # what holds for the whole frame
            guard.append("depth >= flim")
        if guard:
            self.lines.insert(0, f"if {' or '.join(guard)}: {back}")
        return self.lines

    def _deopt(self, index: int) -> str:
        parts = [self._push_all()] if self.sym else []
        done = self.owed + index - self.span.start
        if done:
            parts.append(f"steps += {done}")
        parts += [f"pc = {index}", f"flag = {TO_REFERENCE}", "raise _Exit"]
        return "; ".join(parts)

    def _count(self) -> list[str]:
        """Add the steps owed, to the end of this block."""
        return [f"steps += {self.owed + len(self.span)}"]

    def _take(self, count: int) -> list[_Entry]:
        assert len(self.sym) >= count, "frames.py lets no function read below its frame"
        return self.sym[-count:]

    def _flush(self) -> None:
        """The values stay in the frame: `_goto` hands them to the next block."""

    def _goto(self, target: int, checked: bool = True) -> list[str]:
        """Go on to the block at `target`, written inline when it comes later and is short
        or entered from here alone; `checked` when no CALL comes between."""
        if target > self.leader and self.inlined < _INLINED and (
                self.entries[target] == 1 or len(self.exe.block(target)) <= _SMALL):
            return self._inline(target, checked)
        kinds = tuple(entry.type for entry in self.sym)
        self.exits[target] = _meet(self.exits.get(target, kinds), kinds)
        moved = [(f"s{n}", entry.value()) for n, entry in enumerate(self.sym)
                 if entry.value() != f"s{n}"]
        moves = [f"{', '.join(s for s, _ in moved)} = {', '.join(v for _, v in moved)}"]
        return [*self._count(), *(moves if moved else []), f"at = {target}",
                *(["continue"] if target <= self.leader else [])]

    def _call(self, index: int, op: str, arg: Value | None, target: int) -> None:
        callee = self.functions[target]
        args = [entry.value() for entry in self._take(callee.takes)] if callee.takes else []
        pending = self.sym[:len(self.sym) - callee.takes]
        below = ", ".join(entry.value() for entry in pending)
        results = [self._temp() for _ in range(callee.gives)]
        self.lines += self._count()
        self.lines += _called(callee, "depth + 1", args, results,
                              *([f"stack[base:base] = ({below},)"] if pending else []),
                              f"calls.insert(cbase, {index})")
        self.sym = [*pending, *map(_Entry, results, self.returns[target])]
        self.lines.extend(self._goto(index + 1, checked=False))

    def _inline(self, target: int, checked: bool) -> list[str]:
        """The block at `target`, written where control goes to it: the values go on as
        they are, with all that is known of them, and no dispatch on `at` is needed. (Jumps
        forward only, so inlining ends; copies of the values, so what a check finds on one
        path is not taken for known on another.)"""
        copies: dict[int, _Entry] = {}
        start = [copies.setdefault(id(entry), _Entry(entry.expr, entry.kind, entry.loaded,
                                                     entry.low, entry.high))
                 for entry in self.sym]
        if self.fact is not None and id(self.fact[0]) in copies:
            _bound(copies[id(self.fact[0])], *self.fact[1:])
        block = _FunctionBlock(
            self.exe, target, self.members, self.names, self.temps, functions=self.functions,
            frame=self.frame, returns=self.returns, entries=self.entries,
            start=start, inlined=self.inlined + 1, checked=checked,
            owed=self.owed + len(self.span) if checked else 0)
        lines = block.write()
        if checked:
            self.reach = max(self.reach, len(self.span) + block.reach)
        for exit_target, kinds in block.exits.items():
            self.exits[exit_target] = _meet(self.exits.get(exit_target, kinds), kinds)
        self._returns(block.returned)
        return lines

    def _returns(self, kinds: tuple[str, ...] | None) -> None:
        if kinds is not None:
            self.returned = kinds if self.returned is None else _meet(self.returned, kinds)

    def _ret(self, index: int, op: str, arg: Value | None, target: int) -> None:
        self._returns(tuple(entry.type for entry in self.sym))
        values = [entry.value() for entry in self.sym]
        self.lines += self._count()
        self.lines.append(f"return ({', '.join(values)},)" if len(values) > 1 else
                          f"return {values[0] if values else 'None'}")


def _negated(test: tuple[_Entry, str, int] | None) -> tuple[_Entry, str, int] | None:
    """What holds where a comparison is false."""
    if test is None:
        return None
    entry, symbol, constant = test
    return entry, {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}[symbol], constant


def _bound(entry: _Entry, symbol: str, constant: int) -> None:
    """Narrow the bounds of `entry`, known to stand in relation `symbol` to `constant`."""
    if symbol in ("<", "<="):
        high = constant - 1 if symbol == "<" else constant
        entry.high = high if entry.high is None else min(entry.high, high)
    else:
        low = constant + 1 if symbol == ">" else constant
        entry.low = low if entry.low is None else max(entry.low, low)


def _largest(exe: Executable, functions: dict[int, Frame]) -> int:
    """The most values a frame of any of `functions` ever holds (at least 1)."""
    return max(1, *(depth + _stack_bounds(exe, exe.block(leader))[1]
                    for frame in functions.values() for leader, depth in frame.depths.items()))


def _meet(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """What is known of values known to be `a` on one path and `b` on another."""
    return tuple(x if x == y else "any" for x, y in zip(a, b, strict=True))


def _called(callee: Frame, where: str, args: list[str], results: list[str],
            *undo: str) -> list[str]:
    """A call of the function of `callee`, its results put in `results`; if a check in it
    fails, the statements `undo` give the machine this caller's part of the state."""
    assign = f"{', '.join(results)} = " if results else ""
    return ["try:", f"    {assign}f{callee.entry}({', '.join([where, *args])})",
            "except _Exit:", *(f"    {line}" for line in undo), "    raise"]


_INLINED = 12
"""How deep blocks are written inside one another in a function, at the most."""

_SMALL = 4
"""A block of at most this many instructions is written inline wherever control goes to it
(a RET, say); a longer one only where it is entered from just one place."""

_KINDS_ROUNDS = 8
"""How often a function's kinds are worked out again before it is written knowing none."""


@dataclass
class _Functions:
    """Writes the subroutines that run as Python functions (see `_FunctionBlock`)."""

    exe: Executable
    frames: dict[int, Frame]
    temps: list[int]
    returns: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """What each function is known to return, once settled."""

    def source(self) -> list[str]:
        for entry in self.frames:
            self._settle(entry)
        return [line for entry in self.frames for line in self._write(entry, self.returns)[0]]

    def _settle(self, entry: int) -> None:
        """Work out what the function at `entry` returns, its callees' first. The guess is
        integers; it stands if the function, assuming its own calls return them, returns
        nothing else (then, by induction on the depth of calls, every return is of them);
        else it widens to what it returns, until it stands."""
        if entry in self.returns:
            return
        code = self.exe.program.code
        for leader in self.frames[entry].depths:
            for index in self.exe.block(leader):
                if code[index].op == "CALL" and self.exe.targets[index] != entry:
                    self._settle(self.exe.targets[index])
        guess = ("int",) * self.frames[entry].gives
        while (found := _meet(guess, self._write(entry, {**self.returns, entry: guess})[1])) \
                != guess:
            guess = found
        self.returns[entry] = guess

    def _write(self, entry: int, returns: dict[int, tuple[str, ...]]) -> tuple[
            list[str], tuple[str, ...]]:
        """The function's source and what it returns, written knowing what each block's
        values are when it starts: from knowing nothing, each round takes what the round
        before found where blocks go on to it, until that is what it took (then it holds on
        every path; if no round settles, nothing is known)."""
        frame = self.frames[entry]
        unknown = {leader: ("any",) * depth for leader, depth in frame.depths.items()}
        kinds = unknown
        for _ in range(_KINDS_ROUNDS):
            blocks = self._blocks(frame, kinds, returns)
            found = _entry_kinds(frame, blocks, unknown)
            if found == kinds:
                break
            kinds = found
        else:
            blocks = self._blocks(frame, unknown, returns)
        params = ", ".join(["depth", *(f"s{n}" for n in range(frame.takes))])
        lines = [f"def f{entry}({params}):", "    nonlocal steps, gate, pc, flag, work"]
        if len(blocks) == 1 and not blocks[0].exits:  # all inline: no dispatch on `at`
            lines += ("    " + line for line in blocks[0].lines)
        else:
            lines += [f"    at = {entry}", "    while True:"]
            for block in blocks:
                lines += [f"        if at == {block.leader}:",
                          *("            " + line for line in block.lines)]
        results = [block.returned for block in blocks if block.returned is not None]
        returned = results[0]
        for result in results[1:]:
            returned = _meet(returned, result)
        return lines, returned

    def _blocks(self, frame: Frame, kinds: dict[int, tuple[str, ...]],
                returns: dict[int, tuple[str, ...]]) -> list[_FunctionBlock]:
        """The blocks that control reaches through `at` (the entry's, and those not written
        inline everywhere control goes to them), in the order of the code."""
        entries = _entries(self.exe, frame)
        blocks: dict[int, _FunctionBlock] = {}
        pending = [frame.entry]
        while pending:
            leader = pending.pop()
            block = blocks[leader] = _FunctionBlock(
                self.exe, leader, frozenset(), {}, self.temps, functions=self.frames,
                frame=frame, kinds=kinds[leader], returns=returns, entries=entries)
            block.write()
            pending += [target for target in block.exits if target not in blocks]
        return [blocks[leader] for leader in sorted(blocks)]


def _entries(exe: Executable, frame: Frame) -> dict[int, int]:
    """How many places each block of `frame` is entered from (its entry: one more, the
    callers)."""
    code = exe.program.code
    entries = dict.fromkeys(frame.depths, 0)
    entries[frame.entry] = 1
    for leader in frame.depths:
        last = exe.block(leader)[-1]
        for target in successors(code[last].op, last, exe.targets[last]):
            entries[target] += 1
    return entries


def _entry_kinds(frame: Frame, blocks: list[_FunctionBlock],
                 unknown: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
    """What is known of each block's values when it starts, from where the `blocks` go on
    to it (the callers say nothing of the arguments)."""
    found: dict[int, tuple[str, ...]] = {}
    for block in blocks:
        for target, exits in block.exits.items():
            found[target] = _meet(found[target], exits) if target in found else exits
    found[frame.entry] = unknown[frame.entry]
    return {leader: found.get(leader, kinds) for leader, kinds in unknown.items()}


_ROUNDS = 4
"""How often a loop's types are worked out again before it is compiled without any."""


def _write_block(exe: Executable, leader: int, members: frozenset[int], names: dict[str, str],
                 temps: list[int], functions: dict[int, Frame]) -> list[str]:
    """The Python of one block. A loop is written assuming what holds when it starts over,
    worked out from what holds at its end: first the types of its locals (each round assumes
    what the round before found there, until the types it assumes are the types it finds),
    then which of its integer locals stay within ±IN_RANGE (from all of them, each round
    drops those that do not, until none is dropped)."""
    first_temp = temps[0]

    def write(assumed: dict[str, str], in_range: frozenset[str] = frozenset()) -> _Block:
        temps[0] = first_temp  # a round's temporaries replace the round before's
        block = _Block(exe, leader, members, names, temps, functions=functions,
                       assumed=assumed, in_range=in_range)
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
    in_range = frozenset(local for local, kind in block.assumed.items() if kind == "int")
    while in_range:
        ranged = write(block.assumed, in_range)
        if ranged.stay_in_range >= in_range and \
                ranged.assumed.items() <= ranged.at_back_edge.items():
            return ranged.lines
        in_range = frozenset(ranged.stay_in_range)
    return block.lines


def _dispatch(leaders: list[int], blocks: dict[int, list[str]]) -> list[str]:
    """A binary tree of `if pc < n` tests that selects the block starting at pc."""
    if len(leaders) == 1:
        return blocks[leaders[0]]
    middle = len(leaders) // 2
    return [
        f"if pc < {leaders[middle]}:",
        *("    " + line for line in _dispatch(leaders[:middle], blocks)),
        "else:",
        *("    " + line for line in _dispatch(leaders[middle:], blocks)),
    ]


_EMITTERS = {
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
