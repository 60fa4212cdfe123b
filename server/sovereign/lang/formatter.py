"""The formatter: one layout for every file, that never changes what a program means.

- Opcodes are upper case; a label starts its line at column 0; instructions start at column 4
  (after the label when it shares the line and fits, else one blank after it).
- One blank between an opcode and its operand, which keeps its text exactly as written.
- Trailing comments in a run of non-blank lines line up one column past the longest code in
  the run (lines of over 40 characters of code do not push the column further).
- Comment-only lines keep their text, at column 0 or 4 as they were indented or not.
- Blank lines lose their blanks, lines lose trailing blanks.

A line the assembler reports an error on is left exactly as it is, so formatting never has to
guess what a broken line meant. Formatting is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .assembler import Assembly
from .lexer import Kind, Line, lex_line
from .opcodes import OPCODES

INDENT = 4
_LONG_CODE = 40
_MIN_COMMENT_COLUMN = 20


@dataclass(frozen=True)
class _Layout:
    """A line split into its code (already formatted) and its comment, or kept verbatim."""

    code: str
    comment: str = ""
    verbatim: bool = False


def format_lines(assembly: Assembly) -> list[str]:
    """The formatted text of every line of an assembled file."""
    broken = {f.span.line for f in assembly.findings if f.is_error}
    layouts = [
        _Layout(text, verbatim=True) if number in broken else _layout(lex_line(number, text))
        for number, text in enumerate(assembly.texts)
    ]
    return _with_comments(layouts)


def format_source(assembly: Assembly) -> str:
    return "\n".join(format_lines(assembly))


def _layout(line: Line) -> _Layout:
    comment = line.text[line.comment_col:].rstrip() if line.comment_col >= 0 else ""
    if line.label is None and not line.tokens:
        indented = comment and line.text[:1] in (" ", "\t")
        return _Layout(" " * INDENT if indented else "", comment)
    parts = []
    if line.tokens:
        head, *rest = line.tokens
        word = head.text.upper() if head.kind is Kind.WORD and head.text.upper() in OPCODES \
            else head.text
        parts = [word, *(line.text[t.col:t.end] for t in rest)]
    code = " ".join(parts)
    if line.label is None:
        return _Layout(" " * INDENT + code, comment)
    label = line.label.text + ":"
    if not code:
        return _Layout(label, comment)
    gap = " " * (INDENT - len(label)) if len(label) < INDENT else " "
    return _Layout(label + gap + code, comment)


def _with_comments(layouts: Sequence[_Layout]) -> list[str]:
    lines: list[str] = []
    for run in _runs(layouts):
        widths = [len(x.code) for x in run if not x.verbatim and x.comment and x.code.strip()
                  and len(x.code) <= _LONG_CODE]
        column = max([_MIN_COMMENT_COLUMN] + [w + 2 for w in widths])
        for layout in run:
            lines.append(_join(layout, column))
    return lines


def _runs(layouts: Sequence[_Layout]) -> list[list[_Layout]]:
    """Maximal runs of non-blank lines (a blank line is a run of its own)."""
    runs: list[list[_Layout]] = []
    for layout in layouts:
        blank = not layout.verbatim and not layout.code.strip() and not layout.comment
        if blank or not runs or _is_blank(runs[-1][-1]):
            runs.append([layout])
        else:
            runs[-1].append(layout)
    return runs


def _is_blank(layout: _Layout) -> bool:
    return not layout.verbatim and not layout.code.strip() and not layout.comment


def _join(layout: _Layout, column: int) -> str:
    if layout.verbatim:
        return layout.code
    if not layout.comment:
        return layout.code.rstrip()
    if not layout.code.strip():
        return layout.code + layout.comment
    padding = max(2, column - len(layout.code))
    return layout.code + " " * padding + layout.comment
