"""What the model is told: the rules of the language and a compact reference (from the opcode
table), worked examples, the whole program with the place the code goes marked, and the
request; after a refused answer, that answer as the model's own turn and why it was refused.

A model that fills in the middle gets the code before and after the place as prompt and
suffix; any other is asked in a chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..candidates.pipeline import Candidate, feedback
from ..candidates.shape import Place as Landing
from ..lang.reference import compact_reference, syntax_rules
from ..lang.symbols import LABEL, MEMORY, index_symbols

CONTEXT_LINES = 150
"""Lines of the program shown on each side of the place (all of a program this size)."""
MARKER = "; >>> your code goes here"

SYSTEM = f"""You write Sovereign assembly.
{syntax_rules()}
Answer with code only, in one ```sovereign block.

Opcodes (stack effects as ( before -- after ), top of stack last):
{compact_reference()}"""

EXAMPLES = [
    ("add 2 and 3 and print the result", "PUSH #2\nPUSH #3\nADD\nPRINT"),
    ("count n down to zero, printing each value (n is in memory)",
     "count_down:\n    LOAD n\n    PRINT\n    LOAD n\n    PUSH #0\n    GT\n"
     "    JZ count_done\n    LOAD n\n    PUSH #1\n    SUB\n    STORE n\n"
     "    JMP count_down\ncount_done:"),
    ("add 1..n into total (n is in memory)",
     "PUSH #0\nSTORE total\nsum_loop:\n    LOAD n\n    JZ sum_done\n    LOAD total\n"
     "    LOAD n\n    ADD\n    STORE total\n    LOAD n\n    PUSH #1\n    SUB\n    STORE n\n"
     "    JMP sum_loop\nsum_done:"),
]


@dataclass(frozen=True)
class Place:
    """Where the answer goes: the document and the line it goes after."""

    document: str
    after_line: int

    @property
    def landing(self) -> Landing:
        """The place as the candidate pipeline sees it: an insertion after `after_line`."""
        return Landing(self.document, self.after_line + 1, self.after_line)

    def before(self) -> str:
        lines = self.document.split("\n")[:self.after_line + 1]
        return "\n".join(lines[-CONTEXT_LINES:])

    def after(self) -> str:
        lines = self.document.split("\n")[self.after_line + 1:]
        return "\n".join(lines[:CONTEXT_LINES])

    def names(self) -> tuple[list[str], list[str]]:
        """The labels and memory names the document already uses."""
        index = index_symbols(self.document.split("\n"))
        return index.names(LABEL), index.names(MEMORY)


def chat_messages(request: str, place: Place,
                  refused: Sequence[Candidate] = ()) -> list[tuple[str, str]]:
    """(role, content) pairs for a chat model."""
    labels, names = place.names()
    messages = [("system", SYSTEM)]
    for asked, answer in EXAMPLES:
        messages += [("user", asked), ("assistant", f"```sovereign\n{answer}\n```")]
    context = [f"Labels already used: {', '.join(labels) or 'none'}.",
               f"Memory names already used: {', '.join(names) or 'none'}."]
    if place.document.strip():
        context += [f"The program, with the line `{MARKER}` where your code goes:",
                    f"```sovereign\n{place.before()}\n{MARKER}\n{place.after()}\n```",
                    "Answer with the new code only (not the whole program)."]
    else:
        context.append("The program is empty: your code is the whole program.")
    context.append(f"Write code that will {request}.")
    messages.append(("user", "\n".join(context)))
    for candidate in refused:
        messages += feedback(candidate)
    return messages


def fill_in_the_middle(request: str, place: Place) -> tuple[str, str]:
    """(prompt, suffix) for a model that completes between them."""
    return f"{place.before()}\n; {request}\n", f"\n{place.after()}"
