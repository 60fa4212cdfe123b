"""What may be typed at a cursor: opcodes where an opcode goes, labels after a jump or CALL,
memory names after LOAD or STORE. Never waits on anything: it reads the symbol index only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .lexer import IDENTIFIER, Kind, string_literal
from .opcodes import JUMPS, OPCODES, Operand
from .reference import opcode_entry
from .symbols import LABEL, MEMORY, Role, SymbolIndex

_PLACEHOLDER = {
    Operand.VALUE: "#${1:0}",
    Operand.LABEL: "${1:label}",
    Operand.NAME: "${1:name}",
    Operand.TEXT: '"${1:text}"',
    Operand.OPTIONAL_TEXT: '"${1:message}"',
}


@dataclass(frozen=True)
class Candidate:
    """A completion. `snippet` uses LSP snippet syntax; `text` is the plain alternative."""

    label: str
    kind: str
    detail: str
    documentation: str
    text: str
    snippet: str
    sort: str


def complete(index: SymbolIndex, line: int, col: int) -> list[Candidate]:
    """The candidates for the cursor at (line, col), in the order to show them."""
    if not 0 <= line < len(index.texts):
        return []
    lexed = index.line(line)
    before = [t for t in lexed.tokens if t.col < col]
    if 0 <= lexed.comment_col < col:
        return []
    if not before or (len(before) == 1 and before[0].end >= col):
        return _opcodes()
    head = before[0]
    typing_operand = len(before) == 1 or (len(before) == 2 and before[1].end >= col)
    if head.kind is not Kind.WORD or not typing_operand:
        return []
    opcode = head.text.upper()
    if opcode in JUMPS:
        return _labels(index, line)
    if opcode in ("LOAD", "STORE"):
        return _memory_names(index)
    return []


def _opcodes() -> list[Candidate]:
    candidates = []
    for number, opcode in enumerate(OPCODES.values()):
        placeholder = _PLACEHOLDER.get(opcode.operand)
        snippet = f"{opcode.name} {placeholder}" if placeholder else opcode.name
        text = f"{opcode.name} " if opcode.takes_operand else opcode.name
        candidates.append(Candidate(opcode.name, "keyword", opcode.effect,
                                    opcode_entry(opcode), text, snippet, f"0{number:02d}"))
    return candidates


def _labels(index: SymbolIndex, line: int) -> list[Candidate]:
    """Labels nearest to the cursor first."""
    definitions = [o for o in index.occurrences if o.kind == LABEL and o.role is
                   Role.DEFINITION]
    ranked = sorted(definitions, key=lambda o: abs(o.span.line - line))
    return [Candidate(o.name, "label", f"line {o.span.line + 1}",
                      f"`{index.texts[o.span.line].strip()}`", o.name, o.name,
                      f"1{rank:05d}") for rank, o in enumerate(ranked)]


def _memory_names(index: SymbolIndex) -> list[Candidate]:
    """Memory names used most often first."""
    uses: dict[str, int] = {}
    for occurrence in index.occurrences:
        if occurrence.kind == MEMORY:
            uses[occurrence.name] = uses.get(occurrence.name, 0) + 1
    ranked = sorted(uses, key=lambda name: -uses[name])
    candidates = []
    for rank, name in enumerate(ranked):
        written = name if IDENTIFIER.fullmatch(name) else string_literal(name)
        candidates.append(Candidate(name, "variable", f"used {uses[name]} times", "",
                                    written, written, f"2{rank:05d}"))
    return candidates

