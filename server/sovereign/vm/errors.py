"""Runtime errors as plain data: what failed, where, and the state around it."""

from __future__ import annotations

from dataclasses import dataclass

from ..lang.assembler import Value
from ..lang.findings import Span

SHOWN_CHARACTERS = 60
"""How much of a string a report shows: a run may hold strings of megabytes."""

RUNTIME_ERRORS: dict[str, str] = {
    "DivisionByZero": "R301",
    "StackUnderflow": "R302",
    "StackOverflow": "R303",
    "TypeMismatch": "R304",
    "UndefinedName": "R305",
    "IntegerOverflow": "R306",
    "CallDepthExceeded": "R307",
    "ReturnOutsideCall": "R308",
    "StepLimitExceeded": "R309",
    "MemoryLimitExceeded": "R310",
    "StringTooLong": "R311",
    "OutputLimitExceeded": "R312",
    "AssertionFailed": "R313",
    "TimeLimitExceeded": "R314",
    "MemoryBudgetExceeded": "R315",
    "LLMUnavailable": "R320",
    "NoValidFix": "R321",
    "NoValidCode": "R322",
}
"""Every runtime error kind and its stable code (documented in docs/language.md)."""


@dataclass(frozen=True)
class VMError:
    """A runtime error at one instruction.

    `call_stack` holds the span of every active CALL, outermost first; `stack_top` the top of
    the data stack (top last, at most eight values) as it was before the failing instruction;
    `steps` the instructions completed before it.
    """

    kind: str
    message: str
    pc: int
    span: Span
    call_stack: tuple[Span, ...]
    stack_top: tuple[Value, ...]
    steps: int

    @property
    def code(self) -> str:
        return RUNTIME_ERRORS[self.kind]

    def calls(self) -> list[tuple[Span, int]]:
        """The active CALLs, innermost first, each with how many times in a row it called
        (a runaway recursion is one line, as Python's tracebacks say "[previous line
        repeated N more times]")."""
        runs: list[tuple[Span, int]] = []
        for span in reversed(self.call_stack):
            if runs and runs[-1][0] == span:
                runs[-1] = (span, runs[-1][1] + 1)
            else:
                runs.append((span, 1))
        return runs


def shown(value: Value) -> str:
    """A value as a report writes it: an integer, or a string quoted and, past
    SHOWN_CHARACTERS, cut with its length said."""
    if not isinstance(value, str):
        return str(value)
    if len(value) <= SHOWN_CHARACTERS:
        return repr(value)
    return f"{value[:SHOWN_CHARACTERS]!r}... ({len(value):,} characters)"


class Fault(Exception):
    """Raised inside the VM at a failing instruction; the machine turns it into a `VMError`."""

    def __init__(self, kind: str, message: str) -> None:
        assert kind in RUNTIME_ERRORS, kind
        super().__init__(message)
        self.kind = kind
        self.message = message
