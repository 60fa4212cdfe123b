"""A program prepared for running: jump targets resolved, basic blocks found, hot blocks compiled.

Preparing is linear and cheap (the editor does it on every keystroke); compiling to Python is
left until a block has run often enough to pay for it. Compiled units live here, not on a
machine, so every run of the same program (a re-check, an EVOLVE candidate) reuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..lang.assembler import Program
from ..lang.opcodes import ENDS_BLOCK

if TYPE_CHECKING:
    from .machine import Machine

Unit = Callable[["Machine"], int]
"""A compiled set of blocks: runs from machine.pc until it leaves the set (returns 0) or an
instruction needs the reference interpreter (returns 1)."""

HOT = 16
"""Entries into a block, run by the reference interpreter, after which it is compiled."""

MERGE_LIMIT = 4000
"""Hot blocks are recompiled into one unit until they hold this many instructions; past it,
newly hot blocks get units of their own, so compile time stays linear in the program."""


class Executable:
    """The prepared form of a `Program`; see the module docstring."""

    def __init__(self, program: Program, *, hot: int = HOT) -> None:
        self.program = program
        self.hot = hot
        code = program.code
        self.size = len(code)
        self.targets = program.targets
        self.is_leader = [False] * (self.size + 1)
        self.is_leader[0] = True
        for index, instruction in enumerate(code):
            if instruction.op in ENDS_BLOCK:
                self.is_leader[index + 1] = True
        for target in self.targets:
            if target >= 0:
                self.is_leader[target] = True
        self.heat = [0] * (self.size + 1)
        self.units: dict[int, Unit] = {}
        self._merged: set[int] = set()

    def block(self, leader: int) -> range:
        """The instruction indices of the block that starts at `leader`."""
        end = leader + 1
        while end < self.size and not self.is_leader[end]:
            end += 1
        return range(leader, min(end, self.size))

    def warm(self, leader: int) -> None:
        """Count an entry into a block by the reference interpreter; compile it once hot."""
        self.heat[leader] += 1
        if self.heat[leader] == self.hot and leader not in self.units and leader < self.size:
            self._compile_hot_blocks(leader)

    def _compile_hot_blocks(self, leader: int) -> None:
        """Compile `leader` with every other block that has run more than once: in a loop or a
        subroutine, those blocks are the ones that run together."""
        from .compiler import compile_unit

        fresh = {leader} | {
            b for b in range(self.size) if self.heat[b] >= 2 and b not in self.units}
        merged_size = sum(len(self.block(b)) for b in self._merged | fresh)
        leaders = self._merged | fresh if merged_size <= MERGE_LIMIT else fresh
        if leaders is not fresh:
            self._merged = leaders
        unit = compile_unit(self, sorted(leaders))
        for leader in leaders:
            self.units[leader] = unit

    def compiled_source(self) -> str:
        """The Python source of every unit compiled so far, for `--trace` and debugging."""
        seen: dict[int, str] = {}
        for unit in self.units.values():
            seen.setdefault(id(unit), getattr(unit, "source", ""))
        return "\n\n".join(seen.values())
