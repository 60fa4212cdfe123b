"""Exception breakpoints: which runtime errors stop the program. Two filters, each with an
optional condition that lists the kinds or codes it stops on (`DivisionByZero, R313`)."""

from __future__ import annotations

from collections.abc import Callable

from ..vm.errors import RUNTIME_ERRORS, VMError
from .errors import RequestError
from .messages import ExceptionBreakpointsFilter

LIMITS = frozenset({
    "StepLimitExceeded", "TimeLimitExceeded", "MemoryLimitExceeded", "StringTooLong",
    "OutputLimitExceeded", "MemoryBudgetExceeded", "StackOverflow", "CallDepthExceeded",
})
"""The runtime errors that say a limit was reached, rather than that the program is wrong."""

FILTERS = [
    ExceptionBreakpointsFilter(
        "errors", "Runtime errors", "Stop where the program fails (a division by zero, a "
        "failed ASSERT, a type mismatch...)",
        condition_description="only these kinds or codes, e.g. DivisionByZero, R313"),
    ExceptionBreakpointsFilter(
        "limits", "Limits reached", "Stop where the program reaches a limit (steps, stack, "
        "memory, output...)", condition_description="only these kinds or codes"),
]


def error_filter(chosen: dict[str, str | None]) -> Callable[[VMError], bool]:
    """Which runtime errors stop the program, from the exception filters the user ticked and
    their conditions (lists of kinds or codes)."""
    wanted: dict[str, frozenset[str] | None] = {}
    for filter_id, condition in chosen.items():
        if filter_id not in ("errors", "limits"):
            raise RequestError(f"there is no exception filter '{filter_id}'")
        wanted[filter_id] = None if not condition else _kinds(condition)

    def stops(error: VMError) -> bool:
        kinds = wanted.get("limits" if error.kind in LIMITS else "errors", frozenset())
        return kinds is None or error.kind in kinds

    return stops


def _kinds(condition: str) -> frozenset[str]:
    by_code = {code: kind for kind, code in RUNTIME_ERRORS.items()}
    kinds = set()
    for word in condition.replace(",", " ").split():
        kind = by_code.get(word.upper(), word)
        if kind not in RUNTIME_ERRORS:
            raise RequestError(f"'{word}' is not a runtime error kind or code (for example "
                               "DivisionByZero or R301)")
        kinds.add(kind)
    return frozenset(kinds)
