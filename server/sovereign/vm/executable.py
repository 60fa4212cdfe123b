"""A program prepared for running: jump targets resolved, basic blocks found, hot blocks compiled.

Preparing is linear and cheap (the editor does it on every keystroke). Compiling a block to
Python costs about forty times what running it once by reference does, so a block is compiled
only once it has been entered `HOT` times: the compile then costs no more than the time already
spent interpreting it, and short loops are never compiled at all. Blocks that are warm by then
(entered a quarter as often) join the same unit, so a loop's blocks jump to each other without
leaving compiled code.

Units grow: a block that gets hot next to a compiled unit (control passes between them: a
jump, falling through, a CALL and the return to the instruction after it) is compiled together
with that unit, into one unit that replaces it. A recursive subroutine, whose code after its
second CALL runs only once the recursion has gone all the way down, so ends up as one unit,
and its returns stay in compiled code. A unit stops growing at MOST_BLOCKS blocks. (A
subroutine of fixed stack effect runs as a Python function instead, frames.py; its blocks are
compiled with the first unit that calls it.)

Compiled units live here, not on a machine, so every run of the same Executable reuses them;
a new Executable of the same code reuses the Python compile of their source (compiler.py).
The compiler is imported only when a first block gets hot: most programs run on the command
line never get hot, and importing it is a third of `sovereign run`'s start.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, pairwise
from typing import TYPE_CHECKING

from ..lang.assembler import Program
from ..lang.opcodes import ENDS_BLOCK, successors
from .units import Unit

if TYPE_CHECKING:
    from .frames import Frame

HOT = 50
"""Entries into a block, run by the reference interpreter, after which it is compiled."""

MOST_BLOCKS = 64
"""The most blocks a unit grows to: recompiling a unit costs what compiling its blocks does."""


class Executable:
    """The prepared form of a `Program`; see the module docstring."""

    def __init__(self, program: Program, *, hot: int = HOT, grow: bool = True,
                 watch: Iterable[int] = (), live: bool = False) -> None:
        self.program = program
        self.live = live
        """Whether runs record live values (live.py); compiled code records them too."""
        self.hot = hot
        self.grow = grow
        """Whether units grow (see the module docstring); tests turn it off to make control
        cross units."""
        code = program.code
        self.size = len(code)
        self.targets = program.targets
        self.watch = frozenset(index for index in watch if 0 <= index < self.size)
        """Instructions whose visits a run records (see `Machine.visits`): each starts a
        block, so both paths see it at a block's start."""
        self.is_leader = [False] * (self.size + 1)
        self.is_leader[0] = True
        for index, instruction in enumerate(code):
            if instruction.op in ENDS_BLOCK:
                self.is_leader[index + 1] = True
        for target in self.targets:
            if target >= 0:
                self.is_leader[target] = True
        for index in self.watch:
            self.is_leader[index] = True
        self.stops = [*self.is_leader[:self.size], True]
        """Where the reference interpreter stops running a block: before an instruction
        that starts another, or at the end of the program."""
        self.last: list[int] = []
        """For each instruction, the last of its block."""
        starts = list(compress(range(self.size), self.is_leader))
        for start, end in pairwise([*starts, self.size]):
            self.last += [end - 1] * (end - start)
        self.heat = [0] * (self.size + 1)
        self.units: dict[int, Unit] = {}
        self.members: dict[int, frozenset[int]] = {}
        """The leaders of the unit each compiled leader belongs to."""
        self._warm: set[int] = set()
        self._neighbours: dict[int, set[int]] | None = None
        self.frames: dict[int, Frame | None] = {}
        """The subroutines worked out so far (frames.py): a frame, or None for one that
        does not run as a function."""

    def block(self, leader: int) -> range:
        """The instruction indices of the block that starts at `leader`."""
        end = leader + 1
        while end < self.size and not self.is_leader[end]:
            end += 1
        return range(leader, min(end, self.size))

    def warm(self, leader: int) -> None:
        """Count an entry into a block by the reference interpreter; compile it once hot."""
        heat = self.heat[leader] = self.heat[leader] + 1
        if heat * 4 >= self.hot:
            self._warm.add(leader)
        if heat >= self.hot and leader not in self.units and leader < self.size:
            self._compile(self._warm | {leader})

    def compile_all(self) -> None:
        """Compile every block not compiled yet into one unit, now (tests use it to run whole
        programs compiled)."""
        leaders = [b for b in range(self.size) if self.is_leader[b] and b not in self.units]
        if leaders:
            self._compile(leaders)

    def _compile(self, leaders: Iterable[int]) -> None:
        """Compile `leaders` into one unit, with the units next to them when it stays small."""
        from .compiler import compile_unit
        from .frames import called_blocks

        new = set(leaders) - self.units.keys()
        new |= called_blocks(self, new) - self.units.keys()
        joined = set(new)
        for leader in new if self.grow else ():
            for neighbour in self.neighbours().get(leader, ()):
                joined |= self.members.get(neighbour, frozenset())
        members = sorted(joined if len(joined) <= MOST_BLOCKS else new)
        unit = compile_unit(self, members)
        frozen = frozenset(members)
        for leader in members:
            self.units[leader] = unit
            self.members[leader] = frozen
        self._warm.difference_update(members)

    def neighbours(self) -> dict[int, set[int]]:
        """For each block, the blocks control passes to or comes from (a CALL's callee and
        the instruction after the CALL included), found once."""
        if self._neighbours is None:
            found: dict[int, set[int]] = {}
            leaders = [b for b in range(self.size) if self.is_leader[b]]
            for leader in leaders:
                last = self.block(leader)[-1]
                op, target = self.program.code[last].op, self.targets[last]
                ends = set(successors(op, last, target))
                if op == "CALL":
                    ends.add(target)
                for end in ends:
                    if 0 <= end < self.size:
                        found.setdefault(leader, set()).add(end)
                        found.setdefault(end, set()).add(leader)
            self._neighbours = found
        return self._neighbours

    def compiled_source(self) -> str:
        """The Python source of every unit compiled so far, for `--show-compiled`."""
        seen: dict[int, str] = {}
        for unit in self.units.values():
            seen.setdefault(id(unit), getattr(unit, "source", ""))
        return "\n\n".join(seen.values())
