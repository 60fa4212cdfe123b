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
the compiled code. A subroutine of fixed stack effect is written as a Python function nested
in the unit.

This module puts a unit together: blocks.py writes each block, functions.py each function,
symbolic.py holds what is known of the values they compute.
"""

from __future__ import annotations

import functools
from types import CodeType
from typing import TYPE_CHECKING

from .arithmetic import divide, remainder
from .blocks import LONG_STRING, write_block
from .frames import called_functions
from .functions import FUNCTION_DEPTH, Functions, assume_arguments, largest
from .units import LEFT_UNIT, Unit

if TYPE_CHECKING:
    from .executable import Executable


class _Exit(Exception):
    """Raised by a unit's code to leave its dispatch loop with `flag` set to its answer
    (LEFT_UNIT or TO_REFERENCE, units.py); the unit writes its locals back before it
    returns the flag."""


class _Unset:
    """Marks a memory name that holds no value."""


UNSET = _Unset()


def compile_unit(exe: Executable, leaders: list[int]) -> Unit:
    """Compile the blocks that start at `leaders` into one function of the machine."""
    source = unit_source(exe, leaders)
    namespace = {"_Exit": _Exit, "UNSET": UNSET, "divide": divide, "remainder": remainder,
                 "LEADERS": frozenset(leaders)}
    exec(_bytecode(source, leaders[0]), namespace)
    unit: Unit = namespace["unit"]  # type: ignore[assignment]
    unit.source = source  # type: ignore[attr-defined]
    return unit


@functools.lru_cache(maxsize=128)
def _bytecode(source: str, leader: int) -> CodeType:
    """Python's compile of a unit's source, kept: it costs more than writing the source
    (0.5 ms for a loop of a dozen instructions), and the editor's sandbox runs each version
    of a document afresh, so a hot loop an edit left alone is the same source again. (128
    units of at most MOST_BLOCKS blocks: some 20 MB at the very worst, in a server that
    runs for days.)"""
    return compile(source, f"<sovereign unit at {leader}>", "exec")


def unit_source(exe: Executable, leaders: list[int]) -> str:
    """The Python source of a unit (see the module docstring for its shape)."""
    members = frozenset(leaders)
    code = exe.program.code
    used = sorted({str(code[i].arg) for b in leaders for i in exe.block(b)
                   if code[i].op in ("LOAD", "STORE")})
    names = {name: f"m{n}" for n, name in enumerate(used)}
    temps = [0]
    functions = assume_arguments(exe, called_functions(exe, leaders))
    blocks = {b: write_block(exe, b, members, names, temps, functions) for b in leaders}
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
           f"fsize = {largest(exe, functions)}"] if functions else []),
        *("    " + line for line in Functions(exe, functions, temps).source()),
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
