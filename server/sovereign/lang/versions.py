"""Where one version of a sequence (a file's lines, a program's instructions) differs from the
version before: the editor sends a new version on every keystroke, and what is computed from
the old one holds for all that lies outside the window that changed."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, count
from operator import ne
from typing import NamedTuple


def first_difference(new: Sequence[object], old: Sequence[object]) -> int | None:
    """The first index at which the two differ (where the shorter ends, when one is a prefix of
    the other), or None when they are equal: compared in slices that double in length, at C
    speed, since unchanged elements are the same objects and compare by identity."""
    start, size, shortest = 0, 64, min(len(new), len(old))
    while start < shortest:
        end = min(start + size, shortest)
        if new[start:end] != old[start:end]:
            return start + next(compress(count(), map(ne, new[start:end], old[start:end])))
        start, size = end, size * 2
    return None if len(new) == len(old) else shortest


class Window(NamedTuple):
    """The elements `old[low:old_high]` became `new[low:new_high]`; the rest is as it was,
    shifted by `shift` after the window."""

    low: int
    old_high: int
    new_high: int

    @property
    def shift(self) -> int:
        return self.new_high - self.old_high

    def moved(self, index: int) -> int | None:
        """Where the element at `index` of the old version stands in the new one; None if it
        was in the window."""
        if index < self.low:
            return index
        return index + self.shift if index >= self.old_high else None


class Edit(NamedTuple):
    """How a version was made from the one before, told by what made it: `before`, and the
    window in which the two differ. Looking for the window (`changed_window`) touches every
    element up to the edit and after it; on a keystroke in a long file that is most of the
    work left, and whoever made the edit knows the answer."""

    before: Sequence[object]
    window: Window


def changed_window(new: Sequence[object], old: Sequence[object],
                   edit: Edit | None = None) -> Window | None:
    """The window in which `new` differs from `old`, or None when they are equal. `edit`,
    when it says how `new` was made from `old` itself, is taken at its word."""
    if edit is not None and edit.before is old:
        return edit.window
    low = first_difference(new, old)
    if low is None:
        return None
    kept = first_difference(new[low:][::-1], old[low:][::-1]) or 0
    return Window(low, len(old) - kept, len(new) - kept)
