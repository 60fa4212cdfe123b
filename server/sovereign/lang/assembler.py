"""Source text to a program of decoded instructions, plus every finding at once.

Broken code is not an exceptional condition here: `assemble` always returns an `Assembly` that
holds what could be read and a finding for each line that could not. Only an `Assembly` without
errors may be run.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import NamedTuple

from .findings import Finding, Related, Severity, Span, in_line_order
from .lexer import IDENTIFIER, SIMPLE_LINE, Kind, Line, Token, lex_line, split_lines, text_lines
from .opcodes import JUMPS, OPCODES, Opcode, Operand
from .versions import Edit, Window, changed_window

Value = int | str

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

_INT_DIGITS = (("0x", 16, "0123456789abcdefABCDEF"), ("0X", 16, "0123456789abcdefABCDEF"),
               ("0b", 2, "01"), ("0B", 2, "01"))
_MOST_DIGITS = {10: len(str(2 ** 63)), 16: 16, 2: 64}
"""Digits (leading zeros aside) a 64-bit integer can have in each base: a longer literal is
out of range without converting it (Python refuses to convert more than 4,300 digits)."""


class Instruction(NamedTuple):
    """One decoded instruction. `arg` is the operand's value: an int or str, a label name for
    jumps, a memory name for LOAD/STORE, None when there is none."""

    op: str
    arg: Value | None
    line: int
    col: int
    end: int
    arg_col: int = -1

    @property
    def span(self) -> Span:
        return Span(self.line, self.col, self.end)

    @property
    def arg_span(self) -> Span | None:
        return None if self.arg_col < 0 else Span(self.line, self.arg_col, self.end)


@dataclass(frozen=True)
class Program:
    """Instructions in source order. `labels` maps a label to the index of the instruction it
    marks; a label after the last instruction maps to len(code), where running ends."""

    code: tuple[Instruction, ...]
    labels: dict[str, int]
    label_spans: dict[str, Span]
    edit: Edit | None = field(default=None, compare=False, repr=False)
    """How `code` was made from the code of the program before (by `_reassemble`), so that
    the analysis need not look for what changed."""

    @cached_property
    def targets(self) -> tuple[int, ...]:
        """For each instruction, the index its label operand marks (-1 for other opcodes)."""
        return targets_of(self.code, self.labels)

    @cached_property
    def label_lines(self) -> tuple[int, ...]:
        """The lines labels stand on, in order: whether an edit touched one is a bisection."""
        return tuple(sorted(span.line for span in self.label_spans.values()))


def targets_of(code: Iterable[Instruction], labels: dict[str, int]) -> tuple[int, ...]:
    """The index each instruction's label operand marks (-1 for other opcodes)."""
    return tuple(labels.get(str(i.arg), -1) if i.op in JUMPS else -1 for i in code)


@dataclass(frozen=True)
class Assembly:
    """The result of assembling: the program, the source lines and every finding."""

    program: Program
    texts: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.findings)


def assemble(source: str | bytes, previous: Assembly | None = None) -> Assembly:
    """Assemble a whole file. Never raises on any input. `previous`, an assembly of an earlier
    version of the same file, lets an edit within lines reuse what the other lines gave.

    Most lines have a simple shape (`label: OPCODE operand ; comment` with a plain operand)
    that one regular expression reads; what such a line means depends on its text alone, so it
    is remembered, and the next version of the file (the editor assembles on every keystroke)
    costs a dictionary lookup per unchanged line. Only lines of other shapes take the lexer's
    careful path, which is also the one that explains errors.
    """
    builder = _Builder()
    text = _text_or_none(source)
    texts: list[str] = []
    if text is None:
        for number, line_text, bad_encoding in split_lines(source):
            texts.append(line_text)
            builder.careful_line(number, line_text, bad_encoding)
        return builder.finish(texts)
    return assemble_lines(text_lines(text), previous)


def assemble_lines(texts: Sequence[str], previous: Assembly | None = None,
                   edit: Edit | None = None) -> Assembly:
    """Assemble a file given as its lines (`text_lines`). An editor that keeps the lines an
    edit did not touch as the same objects lets the reassembly find the edit by identity;
    one that says which lines it changed since `previous.texts` (`edit`) spares the search."""
    if previous is not None and \
            (reassembled := _reassemble(previous, texts, edit)) is not None:
        return reassembled
    builder = _Builder()
    shapes, code = _shapes, builder.code
    for number, line_text in enumerate(texts):
        shape = shapes.get(line_text) or _remember_shape(line_text)
        if shape is _CAREFUL:
            builder.careful_line(number, line_text, None)
        elif shape.label:
            builder.simple_line(number, shape)
        elif shape.name:  # the common line, kept inline: this loop runs on every keystroke
            code.append(Instruction(shape.name, shape.value, number, shape.col, shape.end,
                                    shape.arg_col))
    return builder.finish(texts)


def _reassemble(previous: Assembly, texts: Sequence[str],
                edit: Edit | None) -> Assembly | None:
    """The assembly of `texts` from an earlier one, when the edit touched no label (the usual
    keystroke, a line typed or deleted included); else None, and the file is assembled afresh.

    Only the changed lines are assembled; the instructions and findings of the others are
    reused as they were (those below the edit moved down or up by the lines it added or
    removed), with the indices of labels below the edit shifted. When the changed lines hold
    the same instructions as before (a comment, spacing after the operand), the program is the
    earlier one itself, so whatever was computed from it still holds.
    """
    old, new = previous.texts, tuple(texts)
    if any(f.code == "E110" for f in previous.findings):
        return None
    window = changed_window(new, old, edit)
    if window is None:
        return previous
    first, last, old_last = window.low, window.new_high - 1, window.old_high - 1
    program = previous.program
    label_lines = program.label_lines
    at = bisect.bisect_left(label_lines, first)
    if at < len(label_lines) and label_lines[at] <= old_last:
        return None
    changed = _Builder()
    for number in range(first, last + 1):
        changed.line(number, texts[number])
    if changed.label_spans or any(f.code == "E110" for f in changed.findings):
        return None
    line_of = attrgetter("line")
    low = bisect.bisect_left(program.code, first, key=line_of)
    high = bisect.bisect_right(program.code, old_last, key=line_of)
    lines = window.shift
    kept = [_moved(f, lines) if f.span.line > old_last else f for f in previous.findings
            if not first <= f.span.line <= old_last]
    if not lines and tuple(changed.code) == program.code[low:high]:
        findings = kept + changed.findings + _undefined_labels(changed.code, program.labels)
        return Assembly(program, new, in_line_order(findings))
    shift = len(changed.code) - (high - low)
    below = program.code[high:]
    if lines:
        below = tuple([Instruction(op, arg, line + lines, col, end, arg_col)
                       for op, arg, line, col, end, arg_col in below])
    code = program.code[:low] + tuple(changed.code) + below
    labels = {name: index + shift if program.label_spans[name].line > old_last else index
              for name, index in program.labels.items()} if shift else program.labels
    label_spans = {name: span._replace(line=span.line + lines) if span.line > old_last else span
                   for name, span in program.label_spans.items()} if lines else program.label_spans
    findings = kept + changed.findings + _undefined_labels(changed.code, labels)
    made = Edit(program.code, Window(low, high, low + len(changed.code)))
    return Assembly(Program(code, labels, label_spans, made), new, in_line_order(findings))


def _moved(finding: Finding, lines: int) -> Finding:
    """`finding` on code that moved down by `lines` (up, when negative)."""
    if not lines:
        return finding
    return dataclasses.replace(
        finding, span=finding.span._replace(line=finding.span.line + lines),
        related=tuple(Related(r.span._replace(line=r.span.line + lines), r.message)
                      for r in finding.related),
        end_line=finding.end_line + lines if finding.end_line >= 0 else -1)


def _text_or_none(source: str | bytes) -> str | None:
    """The text without its BOM, or None when bytes are not valid UTF-8 (then each line is
    decoded on its own so the error lands on its line)."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return source.removeprefix("\ufeff")


class _Builder:
    """Collects instructions, labels and findings line by line."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.code: list[Instruction] = []
        self.labels: dict[str, int] = {}
        self.label_spans: dict[str, Span] = {}

    def line(self, number: int, text: str) -> None:
        """Take one line: by its remembered shape when it is simple, else the careful way."""
        shape = _shapes.get(text) or _remember_shape(text)
        if shape is _CAREFUL:
            self.careful_line(number, text, None)
        else:
            self.simple_line(number, shape)

    def simple_line(self, number: int, shape: _Shape) -> None:
        label, label_col, name, value, col, end, arg_col = shape
        if label:
            self.define_label(label, Span(number, label_col, label_col + len(label)),
                              len(self.code))
        if name:
            self.code.append(Instruction(name, value, number, col, end, arg_col))

    def careful_line(self, number: int, text: str, bad_encoding: Finding | None) -> None:
        line = lex_line(number, text)
        if bad_encoding is not None:
            line.findings.append(bad_encoding)
        if line.label is not None:
            self.define_label(line.label.text, line.label.span(number), len(self.code))
        instruction = _instruction(line)
        if instruction is not None and not line.findings:
            self.code.append(instruction)
        self.findings.extend(line.findings)

    def define_label(self, name: str, span: Span, index: int) -> None:
        first = self.label_spans.get(name)
        if first is not None:
            self.findings.append(Finding(
                "E110", Severity.ERROR,
                f"duplicate label '{name}' (first defined on line {first.line + 1})", span,
                related=(Related(first, f"'{name}' is first defined here"),)))
            return
        self.labels[name] = index
        self.label_spans[name] = span

    def finish(self, texts: Sequence[str]) -> Assembly:
        self.findings.extend(_undefined_labels(self.code, self.labels))
        program = Program(tuple(self.code), self.labels, self.label_spans)
        return Assembly(program, tuple(texts), in_line_order(self.findings))


class _Accepts(NamedTuple):
    """Which operand shapes an opcode takes, precomputed so the simple path stays cheap."""

    name: str
    nothing: bool
    integer: bool
    string: bool
    identifier: bool


_SIMPLE_ACCEPTS = {
    name: _Accepts(
        name,
        op.operand in (Operand.NONE, Operand.OPTIONAL_TEXT),
        op.operand is Operand.VALUE,
        op.operand in (Operand.VALUE, Operand.NAME, Operand.TEXT, Operand.OPTIONAL_TEXT),
        op.operand in (Operand.LABEL, Operand.NAME),
    )
    for name, op in OPCODES.items()
}


class _Shape(NamedTuple):
    """What a simple line means, apart from its line number: its label (or ""), the opcode
    (or "" when there is none), the operand's value and the columns."""

    label: str
    label_col: int
    name: str
    value: Value | None
    col: int
    end: int
    arg_col: int


_CAREFUL = _Shape("", 0, "", None, 0, 0, 0)
"""The shape of a line that must take the careful path."""

_shapes: dict[str, _Shape] = {}
_SHAPES_LIMIT = 100_000


def forget_line_shapes() -> None:
    """Drop the remembered line shapes, so that the next assembly is a cold start."""
    _shapes.clear()


def _remember_shape(text: str) -> _Shape:
    """Read a line's shape and remember it (the memory is bounded by dropping it when full)."""
    if len(_shapes) >= _SHAPES_LIMIT:
        _shapes.clear()
    shape = _simple_shape(text)
    if len(text) <= 200:
        _shapes[text] = shape
    return shape


def _simple_shape(text: str) -> _Shape:
    """The shape of a simple line when it is certainly valid, else _CAREFUL."""
    match = SIMPLE_LINE.fullmatch(text)
    if match is None:
        return _CAREFUL
    _, label, _, word, _, operand, _ = match.groups()
    label_col = match.start(2)
    if word is None:
        return _Shape(label or "", label_col, "", None, 0, 0, -1)
    accepts = _SIMPLE_ACCEPTS.get(word.upper())
    if accepts is None:
        return _CAREFUL
    valid = accepts.nothing
    value: Value | None = None
    if operand is None:
        pass
    elif operand.startswith("#"):  # `#-?[0-9]+`: digits there are
        digits = operand.lstrip("#-").lstrip("0") or "0"
        if len(digits) > _MOST_DIGITS[10]:
            return _CAREFUL  # out of range, which the careful path says without converting
        value = -int(digits) if operand[1] == "-" else int(digits)
        valid = accepts.integer and INT_MIN <= value <= INT_MAX
    elif operand[0] in "\"'":
        value, valid = operand[1:-1], accepts.string
    else:
        value, valid = operand, accepts.identifier
    if not valid:
        return _CAREFUL
    col = match.start(4)
    if operand is None:
        return _Shape(label or "", label_col, accepts.name, None, col, match.end(4), -1)
    return _Shape(label or "", label_col, accepts.name, value, col, match.end(6), match.start(6))


def _instruction(line: Line) -> Instruction | None:
    """Decode the opcode and operand of a lexed line; record any problem on the line."""
    if not line.tokens:
        return None
    head, *operands = line.tokens
    opcode = _opcode(line, head)
    if opcode is None:
        return None
    if len(operands) > 1:
        extra = operands[1]
        line.findings.append(Finding(
            "E103", Severity.ERROR, f"unexpected '{extra.text}': {opcode.name} takes "
            f"{'one operand' if opcode.takes_operand else 'no operand'}",
            Span(line.number, extra.col, operands[-1].end)))
        return None
    operand = operands[0] if operands else None
    if operand is None:
        return _without_operand(line, head, opcode)
    arg = _operand_value(line, opcode, operand)
    if arg is None:
        return None
    return Instruction(opcode.name, arg, line.number, head.col, operand.end, operand.col)


def _opcode(line: Line, head: Token) -> Opcode | None:
    if head.kind is Kind.WORD and head.text.isascii():
        opcode = OPCODES.get(head.text.upper())
        if opcode is not None:
            return opcode
    span = head.span(line.number)
    if head.kind is Kind.WORD and head.text.endswith(":") and line.label is not None:
        message = "only one label per line: move this one to a line of its own"
        line.findings.append(Finding("E111", Severity.ERROR, message, span))
        return None
    message = f"unknown opcode '{head.text}'"
    if head.kind is Kind.STRING:
        message = f"expected an opcode before the string {head.text}"
    elif suggestion := _closest_opcode(head.text.upper()):
        message += f" (did you mean {suggestion}?)"
    line.findings.append(Finding("E101", Severity.ERROR, message, span))
    return None


def _without_operand(line: Line, head: Token, opcode: Opcode) -> Instruction | None:
    if opcode.operand in (Operand.NONE, Operand.OPTIONAL_TEXT):
        return Instruction(opcode.name, None, line.number, head.col, head.end)
    line.findings.append(Finding(
        "E102", Severity.ERROR, f"{opcode.name} needs an operand: {_wanted(opcode.operand)}",
        head.span(line.number)))
    return None


_ACCEPTED = {
    Operand.NONE: (),
    Operand.VALUE: ("integer", "string"),
    Operand.LABEL: ("identifier",),
    Operand.NAME: ("identifier", "string"),
    Operand.TEXT: ("string",),
    Operand.OPTIONAL_TEXT: ("string",),
}


def _operand_value(line: Line, opcode: Opcode, token: Token) -> Value | None:
    """The operand's value if its kind suits the opcode, else None with a finding."""
    kind = _operand_kind(token)
    span = token.span(line.number)
    if kind not in _ACCEPTED[opcode.operand]:
        if opcode.operand is Operand.NONE:
            message = f"{opcode.name} takes no operand"
            line.findings.append(Finding("E103", Severity.ERROR, message, span))
        else:
            message = f"{opcode.name} needs {_wanted(opcode.operand)}, not {_describe(kind)}"
            line.findings.append(Finding("E104", Severity.ERROR, message, span))
        return None
    if kind == "integer":
        return _integer(line, token)
    return token.value


def _operand_kind(token: Token) -> str:
    if token.kind is Kind.STRING:
        return "string"
    if token.text.startswith("#"):
        return "integer"
    if IDENTIFIER.fullmatch(token.text):
        return "identifier"
    return "other"


def _describe(kind: str) -> str:
    return {"integer": "an integer", "string": "a string", "identifier": "a name"}.get(
        kind, "this text")


def _wanted(operand: Operand) -> str:
    return {
        Operand.VALUE: "an integer (#42) or a string (\"text\")",
        Operand.LABEL: "a label",
        Operand.NAME: "a memory name (counter or \"counter\")",
        Operand.TEXT: "a string (\"text\")",
        Operand.OPTIONAL_TEXT: "a string (\"text\")",
        Operand.NONE: "no operand",
    }[operand]


def integer_value(literal: str) -> int | None:
    """The value of an integer literal such as `#0x2A`, or None if it is not a valid one."""
    return _integer(Line(0, literal), Token(Kind.WORD, literal, 0, len(literal), literal))


def _integer(line: Line, token: Token) -> int | None:
    """Parse `#`, an optional `-`, then decimal, 0x hex or 0b binary ASCII digits."""
    body = token.text[1:]
    negative = body.startswith("-")
    digits = body[1:] if negative else body
    base, allowed = 10, "0123456789"
    for prefix, prefix_base, prefix_digits in _INT_DIGITS:
        if digits.startswith(prefix):
            base, allowed, digits = prefix_base, prefix_digits, digits[2:]
            break
    span = token.span(line.number)
    shown = f"'{token.text}'" if len(token.text) <= 30 else \
        f"'{token.text[:24]}...' ({len(token.text):,} characters)"
    if not digits or any(c not in allowed for c in digits):
        line.findings.append(Finding(
            "E105", Severity.ERROR,
            f"invalid integer {shown}: write #42, #-7, #0x2A or #0b101", span))
        return None
    significant = digits.lstrip("0") or "0"
    value = int(significant, base) if len(significant) <= _MOST_DIGITS[base] else INT_MAX + 2
    value = -value if negative else value
    if not INT_MIN <= value <= INT_MAX:
        line.findings.append(Finding(
            "E106", Severity.ERROR,
            f"integer {shown} is outside the signed 64-bit range", span))
        return None
    return value


def _undefined_labels(code: list[Instruction], labels: dict[str, int]) -> list[Finding]:
    findings = []
    for instruction in code:
        if instruction.op in JUMPS and instruction.arg not in labels:
            message = f"undefined label '{instruction.arg}'"
            if suggestion := _closest(str(instruction.arg), labels):
                message += f" (did you mean {suggestion}?)"
            span = instruction.arg_span
            assert span is not None
            findings.append(Finding("E109", Severity.ERROR, message, span))
    return findings


@functools.lru_cache(maxsize=1024)
def _closest_opcode(word: str) -> str | None:
    """The opcode a misspelt word most likely meant (kept: a file may misspell the same
    word on every line, and the comparison is costly)."""
    return _closest(word, OPCODES)


def _closest(word: str, choices: Iterable[str]) -> str | None:
    import difflib  # here, not at the top: only a misspelling needs it, and it slows start-up

    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None
