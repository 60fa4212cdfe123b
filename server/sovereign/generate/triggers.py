"""Where the user asks for code: a comment such as `; gen: reverse the string in s`, or an
`LLMGEN "prompt"` line. The code goes on the lines after it."""

from __future__ import annotations

import re

from ..lang.lexer import Kind, lex_line

_COMMENT = re.compile(r"^\s*;\s*gen(?:erate)?\s*:\s*(\S.*?)\s*$", re.IGNORECASE)


def request_on(text: str) -> str | None:
    """What the line asks for, or None when it asks for nothing."""
    if (comment := _COMMENT.match(text)) is not None:
        return comment.group(1)
    line = lex_line(0, text)
    if len(line.tokens) == 2 and line.tokens[0].text.upper() == "LLMGEN" \
            and line.tokens[1].kind is Kind.STRING and not line.findings:
        return line.tokens[1].value.strip() or None
    return None
