"""What each instruction left on top of the stack as a run went: the editor's live values.

A run records them when its `Executable` is made with `live=True`, by reference and in
compiled code alike (the property tests hold the two to the same record). Only instructions
that do not end a block are recorded: after a jump or a CALL, "the value on top" says nothing
about the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..lang.assembler import Instruction, Value
from ..lang.opcodes import ENDS_BLOCK


@dataclass
class Seen:
    """An instruction's executions: how many, and the stack top after the first and the last
    (None when the stack was empty)."""

    count: int
    first: Value | None
    last: Value | None


def records(op: str) -> bool:
    """Whether the stack top after an instruction of `op` says something about its line."""
    return op not in ENDS_BLOCK


class LiveValues:
    """The record, kept in flat lists indexed by instruction: `note` runs after every step of
    a recorded run, so it must cost next to nothing."""

    def __init__(self, code: Sequence[Instruction]) -> None:
        self.recorded = [records(instruction.op) for instruction in code]
        """Whether each instruction is one whose stack top is recorded (`records`)."""
        size = len(code)
        self.counts = [0] * size
        self.firsts: list[Value | None] = [None] * size
        self.lasts: list[Value | None] = [None] * size

    def note(self, pc: int, top: Value | None) -> None:
        if not self.counts[pc]:
            self.firsts[pc] = top
        self.counts[pc] += 1
        self.lasts[pc] = top

    def seen(self) -> dict[int, Seen]:
        """Each instruction that ran, by index."""
        return {pc: Seen(count, self.firsts[pc], self.lasts[pc])
                for pc, count in enumerate(self.counts) if count}


LIVE_CHARACTERS = 24
"""How much of a string value a live value shows."""


def live_label(seen: Seen) -> str:
    """`⟶ 5`, or for a line run more than once `⟶ 1 … 10 (×10)`: the first and last values
    (one, if they are the same: `⟶ 1 (×10)`)."""  # noqa: RUF002
    def value(top: Value | None) -> str:
        if top is None:
            return "(empty)"
        if isinstance(top, int):
            return str(top)
        return repr(top) if len(top) <= LIVE_CHARACTERS else repr(top[:LIVE_CHARACTERS]) + "…"

    if seen.count == 1:
        return f"⟶ {value(seen.first)}"
    if type(seen.first) is type(seen.last) and seen.first == seen.last:
        return f"⟶ {value(seen.first)} (×{seen.count:,})"
    return f"⟶ {value(seen.first)} … {value(seen.last)} (×{seen.count:,})"
