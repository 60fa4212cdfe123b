"""What the model is told: a compact reference of Sovereign assembly (from the opcode table),
worked examples, the code around the place the answer goes, and the request.

A model that fills in the middle gets the code before and after the cursor as prompt and
suffix; any other is asked in a chat. A retry adds what was wrong with the last answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..lang.reference import compact_reference
from ..lang.symbols import LABEL, MEMORY, index_symbols

CONTEXT_LINES = 30

SYSTEM = f"""You write Sovereign assembly, a small stack-machine language.
One statement per line: [label:] [OPCODE [operand]] [; comment].
Integers are written #42, #-7, #0x2A; strings "text"; labels are identifiers.
Values are 64-bit integers and strings. Answer with code only, in one ```sovereign block.

Opcodes (stack effects as ( before -- after ), top of stack last):
{compact_reference()}"""

EXAMPLES = [
    ("add 2 and 3 and print the result", "PUSH #2\nPUSH #3\nADD\nPRINT"),
    ("count n down to zero, printing each value",
     "count_down:\n    LOAD n\n    DUP\n    PRINT\n    PUSH #1\n    SUB\n    DUP\n"
     "    STORE n\n    JNZ count_down"),
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


def chat_messages(request: str, place: Place, feedback: str = "") -> list[tuple[str, str]]:
    """(role, content) pairs for a chat model."""
    labels, names = place.names()
    messages = [("system", SYSTEM)]
    for asked, answer in EXAMPLES:
        messages += [("user", asked), ("assistant", f"```sovereign\n{answer}\n```")]
    context = [
        f"Labels already used: {', '.join(labels) or 'none'}.",
        f"Memory names already used: {', '.join(names) or 'none'}.",
        "Your code goes between these lines:",
        f"```sovereign\n{place.before()}\n<YOUR CODE>\n{place.after()}\n```",
        f"Write code that will {request}.",
    ]
    if feedback:
        context.append(f"Your last answer was wrong: {feedback}. Correct it.")
    messages.append(("user", "\n".join(context)))
    return messages


def fill_in_the_middle(request: str, place: Place, feedback: str = "") -> tuple[str, str]:
    """(prompt, suffix) for a model that completes between them."""
    note = f"; {request}" + (f" (not like before: {feedback})" if feedback else "")
    return f"{place.before()}\n{note}\n", f"\n{place.after()}"
