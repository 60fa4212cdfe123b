"""Hover text: what the thing under the cursor is, in Markdown.

Opcodes show their reference entry (the same text docs/language.md holds), labels where they
are defined and how many places jump to or call them, memory names where they are stored and
loaded, integers their decimal and hexadecimal values.
"""

from __future__ import annotations

from .assembler import integer_value
from .findings import Span
from .lexer import Kind
from .opcodes import OPCODES
from .reference import opcode_entry
from .symbols import LABEL, Occurrence, Role, SymbolIndex


def hover(index: SymbolIndex, line: int, col: int) -> tuple[Span, str] | None:
    """The span hovered and its Markdown, or None when there is nothing to say."""
    occurrence = index.at(line, col)
    if occurrence is not None:
        text = _label(index, occurrence) if occurrence.kind == LABEL else _memory(index,
                                                                                 occurrence)
        return occurrence.span, text
    if not 0 <= line < len(index.texts):
        return None
    lexed = index.line(line)
    for position, token in enumerate(lexed.tokens):
        if not token.col <= col <= token.end or token.kind is not Kind.WORD:
            continue
        if position == 0 and token.text.upper() in OPCODES:
            return token.span(line), opcode_entry(OPCODES[token.text.upper()])
        if token.text.startswith("#"):
            value = _integer(token.text)
            return (token.span(line), value) if value else None
    return None


def _label(index: SymbolIndex, occurrence: Occurrence) -> str:
    uses = [o for o in index.of(LABEL, occurrence.name) if o.role is not Role.DEFINITION]
    calls = sum(o.role is Role.CALL for o in uses)
    definition = index.definition(LABEL, occurrence.name)
    kind = "subroutine" if calls else "label"
    lines = [f"**{kind}** `{occurrence.name}`", ""]
    if definition is None:
        lines.append("Not defined anywhere in this file.")
    else:
        text = index.texts[definition.span.line].strip()
        lines += [f"Defined on line {definition.span.line + 1}:", "", "```sovereign", text,
                  "```"]
    lines += ["", f"{_count(len(uses) - calls, 'jump')} to it, {_count(calls, 'call')}."]
    return "\n".join(lines)


def _memory(index: SymbolIndex, occurrence: Occurrence) -> str:
    occurrences = index.of(occurrence.kind, occurrence.name)
    stores = [o.span.line + 1 for o in occurrences if o.role is Role.STORE]
    loads = [o.span.line + 1 for o in occurrences if o.role is Role.LOAD]
    return "\n".join([
        f"**memory** `{occurrence.name}`",
        "",
        f"Stored on {_lines(stores)}.",
        f"Loaded on {_lines(loads)}.",
    ])


def _integer(text: str) -> str | None:
    value = integer_value(text)
    if value is None:
        return None
    shown = f"-0x{-value:X}" if value < 0 else f"0x{value:X}"
    return f"**integer** `{value}` (`{shown}`)"


def _lines(numbers: list[int]) -> str:
    if not numbers:
        return "no line"
    shown = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
    return f"line{'s' if len(numbers) > 1 else ''} {shown}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
