"""Where each label and memory name occurs: the index behind navigation, rename, highlight,
completion and hover.

It is built from the lexed lines, not from the assembled program, so it works on code that
does not assemble yet: a user mid-edit still gets go-to-definition and references.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import NamedTuple

from .findings import Span
from .lexer import IDENTIFIER, Kind, Line, Token, lex_line
from .opcodes import JUMPS
from .versions import changed_window


class Role(Enum):
    DEFINITION = "definition"
    JUMP = "jump"
    CALL = "call"
    STORE = "store"
    LOAD = "load"


LABEL = "label"
MEMORY = "memory"


class Occurrence(NamedTuple):
    """One place a symbol is written. `span` covers the token as written (with the quotes of a
    memory name written as a string)."""

    kind: str
    name: str
    span: Span
    role: Role
    quoted: bool = False


@dataclass
class SymbolIndex:
    texts: Sequence[str]
    occurrences: list[Occurrence] = field(default_factory=list)

    @cached_property
    def lines(self) -> list[Line]:
        """Every line lexed, for the features that look at all of them."""
        return [lex_line(number, text) for number, text in enumerate(self.texts)]

    def line(self, number: int) -> Line:
        return self.lines[number] if "lines" in self.__dict__ else lex_line(
            number, self.texts[number])

    def at(self, line: int, col: int) -> Occurrence | None:
        """The occurrence under a cursor (a cursor just after a name counts as on it)."""
        for occurrence in self.occurrences_on(line):
            if occurrence.span.col <= col <= occurrence.span.end:
                return occurrence
        return None

    def occurrences_on(self, line: int) -> list[Occurrence]:
        return self.occurrences[self._first_on(line):self._first_on(line + 1)]

    def _first_on(self, line: int) -> int:
        """Where the occurrences of `line` start (they are in the order of the text)."""
        return bisect.bisect_left(self.occurrences, line, key=_line_of)

    def of(self, kind: str, name: str) -> list[Occurrence]:
        return [o for o in self.occurrences if o.kind == kind and o.name == name]

    def names(self, kind: str) -> list[str]:
        """Every name of a kind, in order of first appearance."""
        return list(dict.fromkeys(o.name for o in self.occurrences if o.kind == kind))

    def definition(self, kind: str, name: str) -> Occurrence | None:
        """A label's definition, or the first STORE of a memory name."""
        wanted = Role.DEFINITION if kind == LABEL else Role.STORE
        return next((o for o in self.of(kind, name) if o.role is wanted), None)


_Template = tuple[tuple[str, str, int, int, Role, bool], ...]
_templates: dict[str, _Template] = {}
_TEMPLATES_LIMIT = 100_000


def index_symbols(texts: Sequence[str], previous: SymbolIndex | None = None) -> SymbolIndex:
    """Record each label and memory name every line defines or uses. What a line holds depends
    on its text alone, so it is remembered: the next version of a file, a keystroke away, is
    mostly lookups. `previous`, the index of the version before, gives the occurrences of the
    lines an edit within lines left as they were."""
    index = SymbolIndex(texts)
    if previous is None or len(texts) != len(previous.texts):
        index.occurrences = _occurrences(texts, 0, len(texts))
    elif (window := changed_window(texts, previous.texts)) is None:
        index.occurrences = previous.occurrences
    else:
        low, high = previous._first_on(window.low), previous._first_on(window.new_high)
        index.occurrences = previous.occurrences[:low] + _occurrences(
            texts, window.low, window.new_high) + previous.occurrences[high:]
    return index


def _occurrences(texts: Sequence[str], first: int, end: int) -> list[Occurrence]:
    """The occurrences on the lines from `first` up to `end`."""
    found: list[Occurrence] = []
    append = found.append
    for number in range(first, end):
        text = texts[number]
        template = _templates.get(text)
        if template is None:
            template = _line_template(text)
        for kind, name, col, end_col, role, quoted in template:
            append(Occurrence(kind, name, Span(number, col, end_col), role, quoted))
    return found


def _line_of(occurrence: Occurrence) -> int:
    return occurrence.span.line


def _line_template(text: str) -> _Template:
    if len(_templates) >= _TEMPLATES_LIMIT:
        _templates.clear()
    line = lex_line(0, text)
    found = []
    if line.label is not None:
        found.append((LABEL, line.label.text, line.label.col, line.label.end, Role.DEFINITION,
                      False))
    if (occurrence := _operand_occurrence(line)) is not None:
        found.append((occurrence.kind, occurrence.name, occurrence.span.col, occurrence.span.end,
                      occurrence.role, occurrence.quoted))
    template = tuple(found)
    if len(text) <= 200:
        _templates[text] = template
    return template


def _operand_occurrence(line: Line) -> Occurrence | None:
    if len(line.tokens) < 2 or line.tokens[0].kind is not Kind.WORD:
        return None
    opcode, operand = line.tokens[0].text.upper(), line.tokens[1]
    if opcode in JUMPS and _is_identifier(operand):
        role = Role.CALL if opcode == "CALL" else Role.JUMP
        return Occurrence(LABEL, operand.text, operand.span(line.number), role)
    if opcode in ("LOAD", "STORE") and (operand.kind is Kind.STRING or _is_identifier(operand)):
        role = Role.STORE if opcode == "STORE" else Role.LOAD
        return Occurrence(MEMORY, operand.value, operand.span(line.number), role,
                          quoted=operand.kind is Kind.STRING)
    return None


def _is_identifier(token: Token) -> bool:
    return token.kind is Kind.WORD and IDENTIFIER.fullmatch(token.text) is not None
