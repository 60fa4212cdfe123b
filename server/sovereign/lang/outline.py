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
    """Subroutines and top-level labels, each holding the plain labels inside it."""
    called = {o.name for o in index.occurrences if o.kind == LABEL and o.role is Role.CALL}
    labels = [o for o in index.occurrences if o.kind == LABEL and o.role is Role.DEFINITION]
    last = _last_code_line(index)
    top: list[Section] = []
    for number, label in enumerate(labels):
        following = labels[number + 1:]
        is_subroutine = label.name in called
        end_of = next((o.span.line for o in following if not is_subroutine or o.name in called),
                      None)
        section = Section(label.name, is_subroutine, label.span, label.span.line,
                          _before(index, end_of, last))
        if not is_subroutine and top and top[-1].subroutine and \
                section.first_line <= top[-1].last_line:
            top[-1].children.append(section)
        else:
            top.append(section)
    return top


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
    return max((line.number for line in index.lines if line.text.strip()), default=0)


def _before(index: SymbolIndex, next_line: int | None, last: int) -> int:
    """The last non-blank line before `next_line` (or the file's last one)."""
    line = (next_line if next_line is not None else last + 1) - 1
    while line > 0 and not index.lines[line].text.strip():
        line -= 1
    return line
