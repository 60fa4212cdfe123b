"""Split source text into lines and each line into a label, tokens and a comment.

The lexer never fails: whatever it cannot read becomes a finding on its line, and the rest of
the file is still lexed, so the assembler can report every error at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from .findings import Finding, Severity, Span


class Kind(Enum):
    WORD = "word"
    STRING = "string"


class Token(NamedTuple):
    """A run of source text. For a string, `value` is the decoded text; for a word, the text."""

    kind: Kind
    text: str
    col: int
    end: int
    value: str

    def span(self, line: int) -> Span:
        return Span(line, self.col, self.end)


@dataclass(slots=True)
class Line:
    """One lexed source line. `label` spans the name without its colon."""

    number: int
    text: str
    label: Token | None = None
    tokens: list[Token] = field(default_factory=list)
    comment_col: int = -1
    findings: list[Finding] = field(default_factory=list)


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# The common line shape, `label: OPCODE operand ; comment` with plain operands. Groups: 1 indent,
# 2 label, 3 blank, 4 opcode, 5 blank, 6 operand, 7 comment. Possessive quantifiers keep the
# match linear; lines of any other shape take the careful path below.
_SIMPLE = (
    r"([ \t]*+)(?:([A-Za-z_][A-Za-z0-9_]*+):(?=[ \t;\r]|$))?([ \t]*+)"
    r"(?:([A-Za-z]++)(?:([ \t]++)"
    r"(#-?[0-9]++|[A-Za-z_][A-Za-z0-9_]*+|\"[^\"\\\r\n]*+\"|'[^'\\\r\n]*+'))?)?"
    r"[ \t]*+(;[^\r\n]*+)?"
)
SIMPLE_LINE = re.compile(_SIMPLE)
_TOKEN = re.compile(
    r"""[ \t]+|(;.*)|("(?:[^"\\]|\\.?)*"?|'(?:[^'\\]|\\.?)*'?)|([^ \t;]+)""", re.DOTALL
)
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|.?)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def string_literal(text: str) -> str:
    """`text` written as a double-quoted Sovereign string that reads back as `text`."""
    reverse = {value: f"\\{key}" for key, value in _ESCAPES.items() if key != "'"}
    body = "".join(reverse.get(c) or (f"\\x{ord(c):02X}" if ord(c) < 0x20 else c) for c in text)
    return f'"{body}"'


_LINE_BREAK = re.compile(r"\r\n?|\n")
_BYTE_LINE_BREAK = re.compile(rb"\r\n?|\n")


def text_lines(text: str) -> list[str]:
    """The lines of `text`, broken where the LSP and every editor break them: at LF, CRLF and a
    lone CR (never at a form feed or U+2028, which Python's `splitlines` also breaks at), so
    that a line number means the same here as in the user's editor."""
    return text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)


def split_lines(source: str | bytes) -> Iterator[tuple[int, str, Finding | None]]:
    """Yield (number, text, finding) per line, broken as `text_lines` breaks them: a leading
    BOM is ignored, and a line that is not valid UTF-8 yields a finding and empty text."""
    if isinstance(source, bytes):
        raw_lines = _BYTE_LINE_BREAK.split(source.removeprefix(b"\xef\xbb\xbf"))
        for number, raw in enumerate(raw_lines):
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                col = len(raw[: exc.start].decode("utf-8", "replace"))
                finding = Finding("E100", Severity.ERROR, "this line is not valid UTF-8",
                                  Span(number, col, col + 1))
                yield number, "", finding
        return
    for number, text in enumerate(text_lines(source.removeprefix("\ufeff"))):
        yield number, text, None


def lex_line(number: int, text: str) -> Line:
    """Lex one line (already without its line ending)."""
    simple = SIMPLE_LINE.fullmatch(text)
    if simple is not None:
        return _simple_line(number, text, simple)
    line = Line(number, text)
    for match in _TOKEN.finditer(text):
        comment, string, word = match.groups()
        if comment is not None:
            line.comment_col = match.start()
        elif string is not None:
            line.tokens.append(_string_token(line, match))
        elif word is not None:
            line.tokens.append(Token(Kind.WORD, word, match.start(), match.end(), word))
    _take_label(line)
    return line


def _simple_line(number: int, text: str, match: re.Match[str]) -> Line:
    line = Line(number, text)
    _, label, _, opcode, _, operand, comment = match.groups()
    if label is not None:
        line.label = Token(Kind.WORD, label, match.start(2), match.end(2), label)
    if opcode is not None:
        line.tokens.append(Token(Kind.WORD, opcode, match.start(4), match.end(4), opcode))
    if operand is not None:
        start, end = match.start(6), match.end(6)
        if operand[0] in "\"'":
            line.tokens.append(Token(Kind.STRING, operand, start, end, operand[1:-1]))
        else:
            line.tokens.append(Token(Kind.WORD, operand, start, end, operand))
    if comment is not None:
        line.comment_col = match.start(7)
    return line


def _take_label(line: Line) -> None:
    """Turn a leading `name:` word into the line's label; a bad name is an error."""
    if not line.tokens:
        return
    first = line.tokens[0]
    if first.kind is not Kind.WORD or not first.text.endswith(":"):
        return
    del line.tokens[0]
    name = first.text[:-1]
    if IDENTIFIER.fullmatch(name):
        line.label = Token(Kind.WORD, name, first.col, first.end - 1, name)
        return
    line.findings.append(Finding(
        "E111", Severity.ERROR,
        f"invalid label '{name}': a label is a letter or _ followed by letters, digits or _",
        first.span(line.number)))


def _string_token(line: Line, match: re.Match[str]) -> Token:
    raw, start, end = match.group(2), match.start(), match.end()
    quote = raw[0]
    closed = len(raw) >= 2 and raw.endswith(quote) and not _ends_in_escape(raw[1:-1])
    if not closed:
        line.findings.append(Finding("E107", Severity.ERROR, "unterminated string: add the closing "
                                     f"{quote}", Span(line.number, start, end)))
        return Token(Kind.STRING, raw, start, end, "")
    after = end < len(line.text) and line.text[end] not in " \t;"
    if after:
        line.findings.append(Finding("E112", Severity.ERROR,
                                     "a string must be followed by a blank, a comment or the end "
                                     "of the line", Span(line.number, end, end + 1)))
    return Token(Kind.STRING, raw, start, end, _decode(line, raw[1:-1], start + 1))


def _ends_in_escape(body: str) -> bool:
    """True when the body's last character is escaped, so the quote after it is not a closer."""
    backslashes = len(body) - len(body.rstrip("\\"))
    return backslashes % 2 == 1


def _decode(line: Line, body: str, col: int) -> str:
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape in _ESCAPES:
            return _ESCAPES[escape]
        if len(escape) == 3:
            return chr(int(escape[1:], 16))
        where = Span(line.number, col + match.start(), col + match.end())
        shown = "\\" + escape if escape else "\\"
        line.findings.append(Finding(
            "E108", Severity.ERROR,
            f"unknown escape '{shown}' in string (use \\n \\t \\r \\0 \\\\ \\\" \\' or \\xHH)",
            where))
        return ""

    return _ESCAPE.sub(replace, body)
