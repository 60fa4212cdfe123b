"""Subroutines that compiled code runs as Python functions, and the shape of their frames.

A CALL through the machine's `calls` list and a dispatch on every return costs several times
what a Python call does, so recursive code was the slowest thing the VM ran. A subroutine
whose stack effect is fixed can instead be one Python function: its arguments are parameters,
the values it holds are locals, its results are what it returns (functions.py writes it).

That needs a subroutine that is closed and regular: every path from its entry ends in RET
(none falls off the end, none halts), every block is entered with the same number of values
on every path, every RET leaves the same number, it reads no deeper than its arguments, and it
calls only such subroutines (itself included). It may not touch memory or print: those live
in the unit's locals and lists, where a function would have to share them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..lang.opcodes import OPCODES, successors

if TYPE_CHECKING:
    from .executable import Executable

PURE = frozenset({
    "PUSH", "POP", "DUP", "SWAP", "OVER", "ROT", "ADD", "SUB", "MUL", "DIV", "MOD", "NEG",
    "EQ", "NE", "LT", "LE", "GT", "GE", "AND", "OR", "NOT", "JMP", "JZ", "JNZ", "CALL", "RET",
    "NOP",
})
"""The opcodes a function's code may hold: they change only the stack and control."""


@dataclass(frozen=True)
class Frame:
    """A subroutine that runs as a Python function: it takes `takes` values and returns
    `gives`; `depths` holds, for each of its blocks, how many values of the frame (its
    arguments included) are on the stack when the block starts."""

    entry: int
    takes: int
    gives: int
    depths: dict[int, int]
    params: tuple[str, ...] | None = None
    """What the function assumes its arguments are ("int" or "str" where its first block
    checks it, else "any"); None until worked out (`functions.assume_arguments`). A caller
    that cannot show them calls `c{entry}`, which checks them and else leaves at the entry,
    as the function would have left in its first block."""

    @property
    def assumed(self) -> tuple[str, ...]:
        """`params`, or "any" for each argument while they are not worked out."""
        return self.params or ("any",) * self.takes


def calls_from(exe: Executable, leaders: Iterable[int]) -> set[int]:
    """The subroutines the CALLs of the blocks at `leaders` enter."""
    code = exe.program.code
    return {exe.targets[index] for leader in leaders for index in exe.block(leader)
            if code[index].op == "CALL"}


def called_functions(exe: Executable, leaders: Iterable[int]) -> dict[int, Frame]:
    """The frames of the subroutines that the CALLs of the blocks at `leaders` run as
    functions, with those of every subroutine they call (none in a run that watches
    instructions or records live values). What is worked out is kept in `exe.frames`."""
    if exe.live or exe.watch:
        return {}
    reached: dict[int, Frame] = {}
    pending = sorted(calls_from(exe, leaders))
    while pending:
        entry = pending.pop()
        frame = _frame(exe, entry, exe.frames)
        if frame is not None and entry not in reached:
            reached[entry] = frame
            pending += calls_from(exe, frame.depths) - reached.keys()
    return dict(sorted(reached.items()))


def called_blocks(exe: Executable, leaders: Iterable[int]) -> set[int]:
    """The blocks of `called_functions`. Compiled into the same unit as the CALLs, they are
    ready when a frame a check put back on the machine's stack finishes in the unit's code
    rather than in its function."""
    return {leader for frame in called_functions(exe, leaders).values()
            for leader in frame.depths}


def _frame(exe: Executable, entry: int, found: dict[int, Frame | None]) -> Frame | None:
    """The frame of the subroutine at `entry`, or None. The effect of its calls to itself
    is found in two walks: the first follows only the paths that return without calling
    itself, which gives what it takes and gives; the second follows every path with that
    effect, and must agree."""
    if entry in found:
        return found[entry]
    if entry >= exe.size:  # a label after the last instruction: the call runs off the end
        return None
    found[entry] = None  # a call back into a subroutine being worked out (not to itself)
    first = _walk(exe, entry, None, found)
    if first is None:
        return None
    _, returned, lowest = first
    effect = (-lowest, returned - lowest)
    second = _walk(exe, entry, effect, found)
    if second is None or second[1] != returned or second[2] < lowest:
        return None
    frame = Frame(entry, effect[0], effect[1],
                  {leader: depth - lowest for leader, depth in second[0].items()})
    found[entry] = frame
    return frame


def _walk(exe: Executable, entry: int, itself: tuple[int, int] | None,
          found: dict[int, Frame | None]) -> tuple[dict[int, int], int, int] | None:
    """Each block's depth at its start, relative to the entry's; the depth at every RET (one
    depth for all); the lowest depth reached. None if the subroutine is not closed and
    regular. A call to itself is followed with the effect `itself` (not at all if None)."""
    code = exe.program.code
    depths, pending, lowest, returned = {entry: 0}, [entry], 0, None
    while pending:
        leader = pending.pop()
        depth = depths[leader]
        span = exe.block(leader)
        for index in span:
            instruction = code[index]
            if instruction.op not in PURE:
                return None
            if instruction.op == "CALL":
                target = exe.targets[index]
                callee = _frame(exe, target, found) if target != entry else None
                effect = itself if target == entry else \
                    None if callee is None else (callee.takes, callee.gives)
                if effect is None:
                    if target != entry:
                        return None
                    break  # the first walk does not follow a call to itself
                lowest = min(lowest, depth - effect[0])
                depth += effect[1] - effect[0]
            elif instruction.op == "RET":
                if returned not in (None, depth):
                    return None
                returned = depth
            else:
                opcode = OPCODES[instruction.op]
                lowest = min(lowest, depth - opcode.pops)
                depth += opcode.pushes - opcode.pops
        else:
            last = span[-1]
            for end in successors(code[last].op, last, exe.targets[last]):
                if end >= exe.size or depths.get(end, depth) != depth:
                    return None
                if end not in depths:
                    depths[end] = depth
                    pending.append(end)
    return None if returned is None else (depths, returned, lowest)
