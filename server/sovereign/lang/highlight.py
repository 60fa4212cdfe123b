"""What each piece of a line is, for semantic highlighting.

Token kinds and modifiers use the names of the LSP standard legend where one fits, plus the
modifier `llm` on LLMGEN and EVOLVE so that themes can mark the instructions that call a model.
"""

from __future__ import annotations

from typing import NamedTuple

from .lexer import Kind
from .opcodes import OPCODES, Group
from .symbols import LABEL, Role, SymbolIndex

KINDS = ("keyword", "function", "label", "variable", "number", "string", "comment")
MODIFIERS = ("declaration", "modification", "llm")


class Highlight(NamedTuple):
    line: int
    col: int
    end: int
    kind: str
    modifiers: tuple[str, ...] = ()


def highlights(index: SymbolIndex) -> list[Highlight]:
    """Every highlighted piece of every line, in document order."""
    called = {o.name for o in index.occurrences if o.kind == LABEL and o.role is Role.CALL}
    symbols = {(o.span.line, o.span.col): o for o in index.occurrences}
    found: list[Highlight] = []
    for line in index.lines:
        pieces = ([line.label] if line.label is not None else []) + line.tokens
        for position, token in enumerate(pieces):
            occurrence = symbols.get((line.number, token.col))
            if occurrence is not None:
                found.append(_symbol(occurrence.kind, occurrence.name in called,
                                     occurrence.role, line.number, token.col, token.end))
            elif token.kind is Kind.STRING:
                found.append(Highlight(line.number, token.col, token.end, "string"))
            elif token.text.startswith("#"):
                found.append(Highlight(line.number, token.col, token.end, "number"))
            elif token.text.upper() in OPCODES and position == len(pieces) - len(line.tokens):
                llm = OPCODES[token.text.upper()].group is Group.LLM
                found.append(Highlight(line.number, token.col, token.end, "keyword",
                                       ("llm",) if llm else ()))
        if line.comment_col >= 0:
            found.append(Highlight(line.number, line.comment_col, len(line.text), "comment"))
    return found


def _symbol(kind: str, subroutine: bool, role: Role, line: int, col: int,
            end: int) -> Highlight:
    if kind == LABEL:
        modifiers = ("declaration",) if role is Role.DEFINITION else ()
        return Highlight(line, col, end, "function" if subroutine else "label", modifiers)
    modifiers = ("modification",) if role is Role.STORE else ()
    return Highlight(line, col, end, "variable", modifiers)
