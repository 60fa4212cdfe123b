"""A run's error as a finding: where the editor, `sovereign check` and `sovereign run` show it.

Kept apart from checker.py so that `sovereign run`, which reports runtime errors but runs no
analysis, does not load the analyser to start.
"""

from __future__ import annotations

from ..lang.assembler import Program
from ..lang.findings import Finding, Related, Severity, Span
from ..lang.opcodes import BRANCHES
from .errors import VMError

_WARNING_KINDS = frozenset({"StepLimitExceeded"})
"""Runtime errors that say a limit ran out rather than that the program is wrong."""

STOPPED_BY_CLOCK = "TimeLimitExceeded"
"""A check stopped by the wall clock: it says nothing about the program (the machine may be
busy), so it is information about the check, at the top of the file."""


def runtime_finding(error: VMError, program: Program) -> Finding:
    """A runtime error as a finding at the failing instruction, with each active CALL and, when
    the step limit ran out inside a loop, the jump that closes the loop."""
    if error.kind == STOPPED_BY_CLOCK:
        return Finding(error.code, Severity.INFO, f"the check was stopped: it {error.message}; "
                       "the machine may be busy, and the code the run did not reach was not "
                       "checked by running it", Span(0, 0, 0),
                       related=(Related(error.span, "the run was here when it stopped"),))
    related = [Related(span, "called from here" if times == 1 else
                       f"called from here, {times:,} times in a row")
               for span, times in error.calls()]
    severity = Severity.WARNING if error.kind in _WARNING_KINDS else Severity.ERROR
    if error.kind == "StepLimitExceeded" and (back := back_edge(program, error.pc)) is not None:
        related.append(Related(program.code[back].span, "the loop jumps back from here"))
    return Finding(error.code, severity, f"{error.kind}: {error.message}", error.span,
                   related=tuple(related))


def back_edge(program: Program, pc: int) -> int | None:
    """The backward jump of the innermost loop around instruction `pc`, if there is one."""
    loops = [(index - target, index) for index, target in enumerate(program.targets)
             if program.code[index].op in BRANCHES and 0 <= target <= pc <= index]
    return min(loops)[1] if loops else None
