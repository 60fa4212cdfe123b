"""Spans and findings: the plain data every layer above the core converts from.

Lines and columns are 0-based and count Unicode code points (Python string indices); the edges
convert them (the CLI prints 1-based, the LSP layer converts to the client's UTF-16 units).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class Span(NamedTuple):
    """A range on one line: [col, end) of line `line`."""

    line: int
    col: int
    end: int


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


class Tag(Enum):
    UNNECESSARY = "unnecessary"


class Related(NamedTuple):
    """Another place that explains a finding (a first definition, an active CALL)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One assembly error or analysis finding, with a stable code documented in docs/language.md.

    `end_line` lets a finding cover several lines (a run of unreachable code); it equals
    `span.line` for the usual one-line finding.
    """

    code: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Related, ...] = ()
    tags: tuple[Tag, ...] = ()
    end_line: int = field(default=-1)
    end_col: int = field(default=-1)

    @property
    def last_line(self) -> int:
        return self.span.line if self.end_line < 0 else self.end_line

    @property
    def last_col(self) -> int:
        return self.span.end if self.end_col < 0 else self.end_col

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


MOST_FINDINGS = 1_000
"""Findings reported per file. A generated or pasted file can hold one on each of 100,000
lines: nobody reads them, and they slow an editor to a halt."""

NOT_SHOWN = "S200"
"""The code of the notice that says how many findings past MOST_FINDINGS are not shown."""


def in_line_order(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """`findings` as a reader meets them, top to bottom (a stable sort: findings at one
    place keep the order they were found in)."""
    return tuple(sorted(findings, key=lambda f: (f.span.line, f.span.col)))


def reported(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The findings to report: the first MOST_FINDINGS, then, if there are more, a notice
    where the first one left out is."""
    if len(findings) <= MOST_FINDINGS:
        return tuple(findings)
    left_out = findings[MOST_FINDINGS]
    notice = Finding(NOT_SHOWN, Severity.INFO, f"{len(findings) - MOST_FINDINGS:,} more "
                     f"findings from here on are not shown (the first {MOST_FINDINGS:,} are)",
                     left_out.span)
    return (*findings[:MOST_FINDINGS], notice)
