"""`; expect:` lines: what a document says it prints.

A comment line `; expect: TEXT` states the next line of output (docs/language.md,
"Expectations"). The examples carry their expected output this way; the checks warn when a
run prints something else, and an LLM's code or repair must make the document print exactly
this. What a run printed is compared line by line; a run that stopped early (an error, an LLM
instruction) is only held to what it printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

_EXPECT = re.compile(r"^[ \t]*;[ \t]*expect:[ ]?(.*?)\r?$")


class Expectation(NamedTuple):
    line: int
    text: str


class Mismatch(NamedTuple):
    """The first place a run's output departs from the expectations: at the `; expect:`
    line `line`, `expected` was to be printed (None: nothing more) and `printed` was (None:
    nothing more)."""

    line: int
    expected: str | None
    printed: str | None

    @property
    def message(self) -> str:
        if self.expected is None:
            return f"the program printed {_shown(self.printed or '')} after the last " \
                   "`; expect:` line"
        if self.printed is None:
            return f"the program was expected to print {_shown(self.expected)} here, but " \
                   "printed nothing more"
        return f"the program printed {_shown(self.printed)} where {_shown(self.expected)} " \
               "was expected"


def expectations(texts: Sequence[str]) -> tuple[Expectation, ...]:
    """Every `; expect:` line of a document, in order."""
    found = []
    for number, text in enumerate(texts):
        if ";" in text and (match := _EXPECT.match(text)) is not None:
            found.append(Expectation(number, match.group(1)))
    return tuple(found)


def printed_lines(output: str) -> list[str]:
    """The lines a run printed (each PRINT ends one)."""
    return output.split("\n")[:-1] if output else []


def first_mismatch(expected: Sequence[Expectation], output: str,
                   finished: bool) -> Mismatch | None:
    """Where `output` departs from `expected`, or None when it agrees. A run that did not
    finish (`finished` False) may have printed less."""
    if not expected:
        return None
    lines = printed_lines(output)
    for position, expectation in enumerate(expected):
        if position >= len(lines):
            return Mismatch(expectation.line, expectation.text, None) if finished else None
        if lines[position] != expectation.text:
            return Mismatch(expectation.line, expectation.text, lines[position])
    if len(lines) > len(expected):
        return Mismatch(expected[-1].line, None, lines[len(expected)])
    return None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def expectation_hover(texts: Sequence[str], line: int, output: str | None) -> str | None:
    """Markdown for an `; expect:` line: what it expects, and what the last sandbox run
    printed there (`output`; None when the version has not run yet). Any other line is
    answered without reading the rest of the document."""
    if not 0 <= line < len(texts) or _EXPECT.match(texts[line]) is None:
        return None
    found = expectations(texts)
    position = next((n for n, e in enumerate(found) if e.line == line), None)
    if position is None:
        return None
    expected = found[position].text
    lines = [f"**expected output**, line {position + 1} of what the program prints: "
             f"`{expected}`", ""]
    if output is None:
        lines.append("The sandbox has not run this version yet.")
        return "\n".join(lines)
    printed = printed_lines(output)
    if position >= len(printed):
        lines.append("The sandbox run printed nothing here.")
    elif printed[position] == expected:
        lines.append("The sandbox run printed exactly this.")
    else:
        lines.append(f"The sandbox run printed `{printed[position]}` instead.")
    return "\n".join(lines)
