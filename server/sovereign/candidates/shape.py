"""What an answer means for the document it lands in.

Asked for the code of one place (the lines after a `; gen:` request, or a block to repair),
models answer in three shapes: that code, the whole program rewritten, or a unified diff.
Each is turned into the whole document it produces, which is what gets validated. A whole
program is recognised because it defines labels that the document defines outside the place,
or because it repeats most of the code around the place; its comment lines that the model
dropped are kept.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..lang.edits import code_of, keep_comments, line_key
from ..lang.lexer import lex_line

BLOCK = "block"
PROGRAM = "whole program"
DIFF = "diff"

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")
_SAME_CODE = 0.6
"""The share of the code around the place an answer must repeat to be a whole program."""


@dataclass(frozen=True)
class Place:
    """Where an answer goes: lines `first`..`last` of `document` (inclusive) are replaced;
    `last` is `first - 1` for code inserted before line `first`."""

    document: str
    first: int
    last: int

    @property
    def lines(self) -> list[str]:
        return self.document.split("\n")

    def replaced(self, code: str) -> str:
        """The document with `code` at the place, the user's comments there kept."""
        lines = self.lines
        inside = with_kept_comments(lines[self.first:self.last + 1], code.split("\n"))
        return "\n".join(lines[:self.first] + inside + lines[self.last + 1:])


@dataclass(frozen=True)
class Shaped:
    """The document an answer produces, and how the answer was read; or (`document` empty)
    why it could not be placed. `lines` is where the place's new code stands in the document
    (first, and one past the last), when the shape says so: a block's are known exactly."""

    shape: str
    document: str
    problem: str = ""
    lines: tuple[int, int] | None = None


def shaped(place: Place, code: str) -> Shaped:
    """The whole document `code` produces at `place`."""
    if any(_HUNK.match(line) for line in code.split("\n")):
        return _applied_diff(place, code)
    if _is_whole_program(place, code):
        return Shaped(PROGRAM, "\n".join(with_kept_comments(place.lines, code.split("\n"))))
    document = place.replaced(code)
    inserted = len(document.split("\n")) - (len(place.lines) - (place.last - place.first + 1))
    return Shaped(BLOCK, document, lines=(place.first, place.first + inserted))


def _is_whole_program(place: Place, code: str) -> bool:
    """Whether the answer repeats most of the code around the place (and, when that is a
    single line, also defines a label of the code around)."""
    lines = place.lines
    outside = lines[:place.first] + lines[place.last + 1:]
    answer = code.split("\n")
    around = [c for c in map(code_of, outside) if c]
    if not around:
        return False
    matcher = difflib.SequenceMatcher(None, around, [c for c in map(code_of, answer) if c],
                                      autojunk=False)
    repeated = sum(size for _, _, size in matcher.get_matching_blocks())
    return repeated >= _SAME_CODE * len(around) and (
        len(around) >= 2 or bool(_labels(answer) & _labels(outside)))


def _labels(lines: Sequence[str]) -> set[str]:
    return {label.text for line in lines if (label := lex_line(0, line).label) is not None}


def with_kept_comments(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """`new`, keeping the user's text of `old` where the code did not change, the comment
    and blank lines the rewrite dropped, and the trailing comments of the lines it rewrote:
    a model rewriting code is not asked to delete the user's notes."""
    matcher = difflib.SequenceMatcher(None, list(map(line_key, old)), list(map(line_key, new)),
                                      autojunk=False)
    kept: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            kept += old[i1:i2]
            continue
        kept += [line for line in old[i1:i2] if not code_of(line)]
        kept += keep_comments([line for line in old[i1:i2] if code_of(line)], new[j1:j2])
    return kept


def _applied_diff(place: Place, diff: str) -> Shaped:
    """The document with a unified diff applied, its hunks found by their code (a model's
    line numbers and blanks are not to be trusted)."""
    lines = place.lines
    for number, (start, old, new) in enumerate(_hunks(diff), 1):
        at = _find(lines, old, max(0, start - 1))
        if at is None:
            return Shaped(DIFF, "", f"the diff does not apply: the lines of hunk {number} are "
                                    "not in the document")
        lines[at:at + len(old)] = new
    return Shaped(DIFF, "\n".join(lines))


def _hunks(diff: str) -> list[tuple[int, list[str], list[str]]]:
    hunks: list[tuple[int, list[str], list[str]]] = []
    for line in diff.split("\n"):
        if (header := _HUNK.match(line)) is not None:
            hunks.append((int(header.group(1)), [], []))
        elif hunks and not line.startswith(("---", "+++", "\\")):
            _, old, new = hunks[-1]
            mark, text = (line[:1], line[1:]) if line[:1] in "+- " and line else (" ", line)
            if mark in "- ":
                old.append(text)
            if mark in "+ ":
                new.append(text)
    return hunks


def _find(lines: list[str], wanted: list[str], near: int) -> int | None:
    """Where the lines `wanted` stand in `lines` (compared by their code), nearest `near`."""
    if not wanted:
        return min(near, len(lines))
    keys, target = list(map(line_key, lines)), list(map(line_key, wanted))
    found = [at for at in range(len(lines) - len(wanted) + 1)
             if keys[at:at + len(wanted)] == target]
    return min(found, key=lambda at: abs(at - near)) if found else None
