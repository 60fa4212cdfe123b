"""A new version of a file as the smallest set of line edits, keeping the user's comments.

A repair (or any rewrite) arrives as whole text. Applied as one big replacement it would move
the cursor, lose the comments the rewrite dropped, and show the user a diff of lines that did
not change. Here the two versions are compared line by line: unchanged lines are not touched,
and a changed line whose new text has no comment keeps the trailing comment it had.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from .lexer import lex_line


@dataclass(frozen=True)
class LineEdit:
    """Replace lines first..last (inclusive; last = first - 1 inserts before `first`) with
    `lines`."""

    first: int
    last: int
    lines: tuple[str, ...]


def line_edits(old: Sequence[str], new: Sequence[str]) -> list[LineEdit]:
    """The edits that turn `old` into `new`, in document order, with comments kept."""
    matcher = difflib.SequenceMatcher(None, [line_key(t) for t in old],
                                      [line_key(t) for t in new], autojunk=False)
    edits = []
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            edits += _comment_changes(old, new, old_start, old_end, new_start)
            continue
        replacement = list(new[new_start:new_end])
        if tag == "replace":
            replacement = keep_comments(old[old_start:old_end], replacement)
        edits.append(LineEdit(old_start, old_end - 1, tuple(replacement)))
    return _merged(edits)


def apply_edits(old: Sequence[str], edits: Sequence[LineEdit]) -> list[str]:
    """`old` with `edits` (as `line_edits` returns them) applied."""
    lines = list(old)
    for edit in sorted(edits, key=lambda e: e.first, reverse=True):
        lines[edit.first:edit.last + 1] = edit.lines
    return lines


def keep_comments(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """`new`, where a line without a comment takes the trailing comment of the old line it
    replaces (pairing lines in order)."""
    kept = []
    for number, text in enumerate(new):
        comment = _comment(old[number]) if number < len(old) else ""
        if comment and not _comment(text) and text.strip():
            text = f"{text.rstrip()}  {comment}"
        kept.append(text)
    return kept


def _comment_changes(old: Sequence[str], new: Sequence[str], old_start: int, old_end: int,
                     new_start: int) -> list[LineEdit]:
    """Lines with the same code whose comment the new text changes (a dropped comment is
    kept, so only a new or different comment counts)."""
    edits = []
    for offset in range(old_end - old_start):
        before, after = old[old_start + offset], new[new_start + offset]
        if before != after and _comment(after) and _comment(after) != _comment(before):
            edits.append(LineEdit(old_start + offset, old_start + offset, (after,)))
    return edits


def _merged(edits: list[LineEdit]) -> list[LineEdit]:
    """Edits that touch (an insertion right before a changed line) as one, so that no two
    edits start at the same place."""
    merged: list[LineEdit] = []
    for edit in edits:
        if merged and edit.first <= merged[-1].last + 1:
            last = merged.pop()
            edit = LineEdit(last.first, edit.last, last.lines + edit.lines)
        merged.append(edit)
    return merged


def code_of(text: str) -> str:
    """A line's code without its comment, blanks normalised ("" for a comment or blank
    line)."""
    line = lex_line(0, text)
    code = text[:line.comment_col] if line.comment_col >= 0 else text
    return " ".join(code.split())


def line_key(text: str) -> str:
    """What decides whether a line changed: its code, or, for a line without code, its whole
    text (a comment line is not the same as a blank one)."""
    return code_of(text) or text.strip()


def _comment(text: str) -> str:
    line = lex_line(0, text)
    return text[line.comment_col:].rstrip() if line.comment_col >= 0 else ""


def map_lines(old: Sequence[str], new: Sequence[str], lines: Sequence[int]) -> list[int]:
    """Where each line of `old` in `lines` stands in `new`: the same line where it is
    unchanged, else the start of what replaced it (for a line past the end, the end of
    `new`)."""
    matcher = difflib.SequenceMatcher(None, [line_key(t) for t in old],
                                      [line_key(t) for t in new], autojunk=False)
    opcodes = matcher.get_opcodes()

    def mapped(line: int) -> int:
        for tag, i1, i2, j1, _ in opcodes:
            if i1 <= line < i2:
                return j1 + (line - i1) if tag == "equal" else j1
        return len(new)

    return [mapped(line) for line in lines]
