"""The shape of a file: label sections (for the outline) and foldable regions.

A label that some CALL targets is a subroutine; the other labels are places inside the
subroutine (or the main program) above them. A section runs from its label to the last
non-blank line before the next label of the same level or higher.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import Span
from .symbols import LABEL, Role, SymbolIndex


@dataclass
class Section:
    name: str
    subroutine: bool
    label: Span
    first_line: int
    last_line: int
    children: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Fold:
    first_line: int
    last_line: int
    comment: bool


def sections(index: SymbolIndex) -> list[Section]:
    """Subroutines and top-level labels, each subroutine holding the plain labels that only
    its own code jumps to."""
    called = {o.name for o in index.occurrences if o.kind == LABEL and o.role is Role.CALL}
    labels = [o for o in index.occurrences if o.kind == LABEL and o.role is Role.DEFINITION]
    subroutine_lines = [o.span.line for o in labels if o.name in called]
    top: list[Section] = []
    for label in labels:
        section = Section(label.name, label.name in called, label.span, label.span.line, 0)
        parent = top[-1] if top and top[-1].subroutine else None
        if not section.subroutine and parent is not None and _only_used_inside(
                index, label.name, parent.first_line, _next(subroutine_lines, parent.first_line)):
            parent.children.append(section)
        else:
            top.append(section)
    last = _last_code_line(index)
    _close(index, top, last)
    return top


def _only_used_inside(index: SymbolIndex, name: str, first: int, stop: int | None) -> bool:
    uses = [o.span.line for o in index.of(LABEL, name) if o.role is not Role.DEFINITION]
    return all(first <= line and (stop is None or line < stop) for line in uses)


def _next(lines: list[int], after: int) -> int | None:
    return next((line for line in lines if line > after), None)


def _close(index: SymbolIndex, siblings: list[Section], last: int) -> None:
    """Give each section its last line: the last non-blank line before its next sibling."""
    for number, section in enumerate(siblings):
        following = siblings[number + 1].first_line if number + 1 < len(siblings) else None
        section.last_line = _before(index, following, last)
        _close(index, section.children, section.last_line)


def folds(index: SymbolIndex) -> list[Fold]:
    """Label sections of more than one line, and runs of two or more comment lines."""
    found = [Fold(s.first_line, s.last_line, comment=False)
             for top in sections(index) for s in (top, *top.children)
             if s.last_line > s.first_line]
    start = None
    for line in [*index.lines, None]:
        is_comment = line is not None and line.comment_col >= 0 and not line.tokens \
            and line.label is None
        if is_comment and start is None:
            start = line.number  # type: ignore[union-attr]
        elif not is_comment and start is not None:
            end = (line.number if line is not None else len(index.lines)) - 1
            if end > start:
                found.append(Fold(start, end, comment=True))
            start = None
    return sorted(found, key=lambda f: (f.first_line, f.last_line))


def _last_code_line(index: SymbolIndex) -> int:
    return max((number for number, text in enumerate(index.texts) if text.strip()), default=0)


def _before(index: SymbolIndex, next_line: int | None, last: int) -> int:
    """The last non-blank line before `next_line` (or the file's last one)."""
    line = (next_line if next_line is not None else last + 1) - 1
    while line > 0 and not index.texts[line].strip():
        line -= 1
    return line
