"""Taking the code out of a model's answer.

Models wrap code in prose and Markdown fences, split it over several fences, answer in another
language, leak their special tokens (`<|endoftext|>`, `<file_sep>`, ...) and echo the markers
of the prompt; held to the program schema, they answer JSON, which is turned back into source.
What is taken is the fenced block that reads most like Sovereign (or, without a fence, the
lines between the prose), normalised: no trailing blanks, no blank lines around it, the common
indentation removed. An answer with nothing to take says why.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from ..lang.lexer import Kind, lex_line
from ..lang.opcodes import OPCODES
from ..lang.program_schema import from_json

MAX_ANSWER = 64 * 1024
"""Characters of an answer that are read; a longer one is refused (no program is that long)."""

MARKERS = re.compile(r"^\s*;\s*(>>>|<<<).*$")
"""The prompt's markers around the place to fill or the block to change, which models echo."""

_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]+\|>|<(?:file_sep|fim_[a-z]+|/?s|pad|eos|bos)>")
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_OURS = frozenset({"", "sovereign", "sov", "asm", "assembly", "text", "plaintext", "diff",
                   "patch"})
"""Fence tags that may hold Sovereign code (or a diff of it)."""


@dataclass(frozen=True)
class Extracted:
    """The code of an answer, or (`code` empty) why there is none."""

    code: str
    problem: str = ""


def extract_code(answer: str) -> Extracted:
    if len(answer) > MAX_ANSWER:
        return Extracted("", f"the answer is too long ({len(answer):,} characters; a block "
                             f"or a program is never more than {MAX_ANSWER:,})")
    text = _SPECIAL.sub("", answer).replace("\r\n", "\n")
    if text.lstrip().startswith("{") and (source := from_json(text)) is not None:
        text = source  # an answer held to the program schema (structured output)
    fences = _FENCE.findall(text)
    if fences:
        ours = [body for tag, body in fences if tag.lower() in _OURS]
        if not ours:
            return Extracted("", f"the answer is {fences[0][0]} code, not Sovereign assembly")
        text = max(ours, key=_code_lines)
    else:
        text = _between_prose(text)
    lines = [line.rstrip() for line in text.split("\n") if not MARKERS.match(line)]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    code = textwrap.dedent("\n".join(lines))
    if not code or (_code_lines(code) == 0 and not _is_diff(code)):
        return Extracted("", "the answer holds no code" + (" (only prose)" if answer.strip()
                                                             else ""))
    return Extracted(code)


def _between_prose(text: str) -> str:
    """An unfenced answer without the prose lines before and after its code (or its diff)."""
    lines = text.split("\n")
    looks = _looks_like_diff if _is_diff(text) else _looks_like_code
    code = [n for n, line in enumerate(lines) if looks(line)]
    if not code:
        return ""
    return "\n".join(lines[code[0]:code[-1] + 1])


def _code_lines(text: str) -> int:
    return sum(_looks_like_code(line) and bool(line.strip()) for line in text.split("\n"))


def _looks_like_code(line: str) -> bool:
    """A line whose first word is an opcode (or an upper-case word like one, misspelt), or
    that holds a label or only a comment."""
    stripped = line.strip()
    if stripped.startswith(";"):
        return True
    lexed = lex_line(0, line)
    if lexed.label is not None and not lexed.tokens:
        return True
    head = lexed.tokens[0] if lexed.tokens else None
    if head is None or head.kind is not Kind.WORD:
        return False
    word = head.text
    return word.upper() in OPCODES or (word.isalpha() and word.isupper() and 3 <= len(word) <= 8)


def _looks_like_diff(line: str) -> bool:
    return line.startswith(("---", "+++", "@@", "+", "-", " ")) or not line


def _is_diff(text: str) -> bool:
    return any(line.startswith("@@") for line in text.split("\n"))
