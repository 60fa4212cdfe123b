"""The contract between the machine and its compiled code.

A unit is a compiled set of basic blocks (vm/compiler.py builds it, vm/executable.py keeps it).
It runs from `machine.pc` until it leaves the set or reaches an instruction only the reference
interpreter runs, and leaves the machine's state exactly as the reference would have it. Its
answer says which of the two happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .machine import Machine

Unit = Callable[["Machine"], int]
"""Runs compiled blocks on a machine; answers LEFT_UNIT or TO_REFERENCE."""

LEFT_UNIT = 0
"""The next instruction (machine.pc) starts a block outside the unit, or the program ended."""
TO_REFERENCE = 1
"""The instruction at machine.pc is the reference interpreter's to run: HALT or an LLM
instruction, or one whose check failed (a type, a zero divisor, an overflow, the step or
stack limit), so that the reference reports it exactly."""

CLOCK_WORK = 1 << 20
"""Characters copied (string ADDs and PRINTs) between two looks at the wall clock, counted in
the machine's `work`, which compiled code adds to: such steps cost time in proportion to
their size, so counting steps alone would let a run overshoot its time limit many times
over. Compiled code counts them in `work` and hands the instruction that would reach the
machine's `work_limit` (this, or less when the memory budget is near) to the reference
interpreter."""
