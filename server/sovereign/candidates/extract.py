"""Taking the code out of a model's answer.

Models wrap code in prose and Markdown fences, and some leak their special tokens
(`<|endoftext|>`, `<file_sep>`, ...). What is left is normalised: no trailing blanks, no blank
lines around it, the common indentation removed.
"""

from __future__ import annotations

import re
import textwrap

_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]+\|>|<(?:file_sep|fim_[a-z]+|/?s|pad|eos|bos)>")
_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)


def extract_code(answer: str) -> str:
    """The code in `answer`: the first fenced block if there is one, else the whole answer."""
    text = _SPECIAL.sub("", answer)
    fenced = _FENCE.search(text)
    if fenced is not None:
        text = fenced.group(1)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return textwrap.dedent("\n".join(lines))
