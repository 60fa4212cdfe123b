"""Writing a subroutine that runs as a Python function (frames.py says which), nested in the
unit that calls it.

A CALL of it is a Python call: the frame's values are locals, what is known of their types goes
from block to block, and blocks are written inline where control goes to them, so fib reads
much as it would in Python, each check kept. If a check fails inside, the frame puts its values
on the machine's stack, and each caller, as the exception passes, puts its own below them and
its CALL on `calls`, so the reference interpreter gets the exact state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..lang.assembler import Value
from ..lang.opcodes import ENDS_BLOCK, successors
from .blocks import Block, called, gate_test, stack_bounds
from .frames import Frame, calls_from
from .symbolic import Entry, meet, narrow
from .units import TO_REFERENCE

if TYPE_CHECKING:
    from .executable import Executable


FUNCTION_DEPTH = 200
"""The call depth up to which calls of a subroutine that runs as a function are Python calls:
past it they go through the machine's `calls` list, as any other, so a deep recursion never
meets Python's own recursion limit."""


@dataclass
class FunctionBlock(Block):
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
    start: list[Entry] | None = field(kw_only=True, default=None)
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
            Entry(f"s{n}", kind) for n, kind in enumerate(self.kinds)]

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
        guard = [] if self.checked else [gate_test(self.owed + self.reach)]
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

    def _take(self, count: int) -> list[Entry]:
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
        self.exits[target] = meet(self.exits.get(target, kinds), kinds)
        moved = [(f"s{n}", entry.value()) for n, entry in enumerate(self.sym)
                 if entry.value() != f"s{n}"]
        moves = [f"{', '.join(s for s, _ in moved)} = {', '.join(v for _, v in moved)}"]
        return [*self._count(), *(moves if moved else []), f"at = {target}",
                *(["continue"] if target <= self.leader else [])]

    def _call(self, index: int, op: str, arg: Value | None, target: int) -> None:
        callee = self.functions[target]
        args = self._take(callee.takes) if callee.takes else []
        pending = self.sym[:len(self.sym) - callee.takes]
        below = ", ".join(entry.value() for entry in pending)
        results = [self._temp() for _ in range(callee.gives)]
        self.lines += self._count()
        self.lines += called(callee, "depth + 1", args, results,
                              *([f"stack[base:base] = ({below},)"] if pending else []),
                              f"calls.insert(cbase, {index})")
        self.sym = [*pending, *map(Entry, results, self.returns[target])]
        self.lines.extend(self._goto(index + 1, checked=False))

    def _inline(self, target: int, checked: bool) -> list[str]:
        """The block at `target`, written where control goes to it: the values go on as
        they are, with all that is known of them, and no dispatch on `at` is needed. (Jumps
        forward only, so inlining ends; copies of the values, so what a check finds on one
        path is not taken for known on another.)"""
        copies: dict[int, Entry] = {}
        start = [copies.setdefault(id(entry), entry.copy()) for entry in self.sym]
        if self.fact is not None and id(self.fact[0]) in copies:
            narrow(copies[id(self.fact[0])], *self.fact[1:])
        block = FunctionBlock(
            self.exe, target, self.members, self.names, self.temps, functions=self.functions,
            frame=self.frame, returns=self.returns, entries=self.entries,
            start=start, inlined=self.inlined + 1, checked=checked,
            owed=self.owed + len(self.span) if checked else 0)
        lines = block.write()
        if checked:
            self.reach = max(self.reach, len(self.span) + block.reach)
        for exit_target, kinds in block.exits.items():
            self.exits[exit_target] = meet(self.exits.get(exit_target, kinds), kinds)
        self._returns(block.returned)
        return lines

    def _returns(self, kinds: tuple[str, ...] | None) -> None:
        if kinds is not None:
            self.returned = kinds if self.returned is None else meet(self.returned, kinds)

    def _ret(self, index: int, op: str, arg: Value | None, target: int) -> None:
        self._returns(tuple(entry.type for entry in self.sym))
        values = [entry.value() for entry in self.sym]
        self.lines += self._count()
        self.lines.append(f"return ({', '.join(values)},)" if len(values) > 1 else
                          f"return {values[0] if values else 'None'}")


def largest(exe: Executable, functions: dict[int, Frame]) -> int:
    """The most values a frame of any of `functions` ever holds (at least 1)."""
    return max(1, *(depth + stack_bounds(exe, exe.block(leader))[1]
                    for frame in functions.values() for leader, depth in frame.depths.items()))


_INLINED = 12
"""How deep blocks are written inside one another in a function, at the most."""

_SMALL = 4
"""A block of at most this many instructions is written inline wherever control goes to it
(a RET, say); a longer one only where it is entered from just one place."""

_KINDS_ROUNDS = 8
"""How often a function's kinds are worked out again before it is written knowing none."""


@dataclass
class Functions:
    """Writes the subroutines that run as Python functions (see `FunctionBlock`)."""

    exe: Executable
    frames: dict[int, Frame]
    temps: list[int]
    returns: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """What each function is known to return, once settled."""
    written: dict[int, list[str]] = field(default_factory=dict)
    """Each settled function's source."""

    def source(self) -> list[str]:
        for entry in self.frames:
            self._settle(entry)
        return [line for entry, frame in self.frames.items()
                for line in [*_checking_entry(frame), *self.written[entry]]]

    def _settle(self, entry: int) -> None:
        """Work out what the function at `entry` returns, its callees' first. The guess is
        integers; it stands if the function, assuming its own calls return them, returns
        nothing else (then, by induction on the depth of calls, every return is of them);
        else it widens to what it returns, until it stands."""
        if entry in self.returns:
            return
        for callee in calls_from(self.exe, self.frames[entry].depths) - {entry}:
            self._settle(callee)
        guess = ("int",) * self.frames[entry].gives
        while True:
            lines, returned = self._write(entry, {**self.returns, entry: guess})
            if meet(guess, returned) == guess:
                break
            guess = meet(guess, returned)
        self.returns[entry] = guess
        self.written[entry] = lines  # written knowing what every function it calls returns

    def _write(self, entry: int, returns: dict[int, tuple[str, ...]]) -> tuple[
            list[str], tuple[str, ...]]:
        """The function's source and what it returns, written knowing what each block's
        values are when it starts: from knowing nothing, each round takes what the round
        before found where blocks go on to it, until that is what it took (then it holds on
        every path; if no round settles, nothing is known)."""
        frame = self.frames[entry]
        entries = _entries(self.exe, frame)
        unknown = {leader: ("any",) * depth for leader, depth in frame.depths.items()}
        kinds = {**unknown, entry: frame.assumed}
        for _ in range(_KINDS_ROUNDS):
            blocks = self._blocks(frame, kinds, returns, entries)
            found = _entry_kinds(frame, blocks, kinds)
            if found == kinds:
                break
            kinds = found
        else:
            blocks = self._blocks(frame, unknown, returns, entries)
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
            returned = meet(returned, result)
        return lines, returned

    def _blocks(self, frame: Frame, kinds: dict[int, tuple[str, ...]],
                returns: dict[int, tuple[str, ...]],
                entries: dict[int, int]) -> list[FunctionBlock]:
        """The blocks that control reaches through `at` (the entry's, and those not written
        inline everywhere control goes to them), in the order of the code."""
        blocks: dict[int, FunctionBlock] = {}
        pending = [frame.entry]
        while pending:
            leader = pending.pop()
            block = blocks[leader] = FunctionBlock(
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


def _entry_kinds(frame: Frame, blocks: list[FunctionBlock],
                 assumed: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
    """What is known of each block's values when it starts, from where the `blocks` go on
    to it, and at the entry also what the callers give (the arguments it assumes)."""
    found: dict[int, tuple[str, ...]] = {}
    for block in blocks:
        for target, exits in block.exits.items():
            found[target] = meet(found[target], exits) if target in found else exits
    arguments = frame.assumed
    found[frame.entry] = meet(found[frame.entry], arguments) if frame.entry in found \
        else arguments
    return {leader: found.get(leader, kinds) for leader, kinds in assumed.items()}


def assume_arguments(exe: Executable, frames: dict[int, Frame]) -> dict[int, Frame]:
    """`frames`, each with the arguments its function assumes (`Frame.params`): the types
    its first block checks them for. That block runs straight through and touches nothing
    but the stack, so a value of another type leaves the function there anyway: a call that
    cannot show the types loses nothing by being checked at the entry (and handed to the
    reference from there), and a call that can (most, as in a recursion on a number) is not
    checked at all."""
    pessimistic = {entry: ("any",) * frame.gives for entry, frame in frames.items()}
    assumed = {}
    for entry, frame in frames.items():
        arguments = [Entry(f"s{n}", "any") for n in range(frame.takes)]
        FunctionBlock(exe, entry, frozenset(), {}, [0], functions=frames, frame=frame,
                      returns=pessimistic, entries=_entries(exe, frame),
                      start=list(arguments)).write()  # its checks find what they are
        assumed[entry] = dataclasses.replace(
            frame, params=tuple(argument.type for argument in arguments))
    return assumed


def _checking_entry(frame: Frame) -> list[str]:
    """The entry `c{entry}` of a function that assumes some of its arguments' types: it
    checks them, and else leaves at the function's entry with no step taken."""
    checks = [f"type(s{n}) is not {kind}" for n, kind in enumerate(frame.assumed)
              if kind != "any"]
    if not checks:
        return []
    values = [f"s{n}" for n in range(frame.takes)]
    signature = ", ".join(["depth", *values])
    return [f"def c{frame.entry}({signature}):",
            "    nonlocal pc, flag",
            f"    if {' or '.join(checks)}: stack.extend(({', '.join(values)},)); "
            f"pc = {frame.entry}; flag = {TO_REFERENCE}; raise _Exit",
            f"    return f{frame.entry}({signature})"]
