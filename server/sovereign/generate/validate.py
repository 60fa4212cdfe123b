"""Checking a snippet before it is offered: it must assemble, must not add an analysis error to
the document it lands in, and, when it stands on its own, must run in the sandbox without a
runtime error."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..lang.analysis import analyse
from ..lang.assembler import Assembly, assemble
from ..lang.symbols import MEMORY, index_symbols
from ..vm.config import VMConfig
from ..vm.sandbox import run_program


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problems: tuple[str, ...] = ()
    ran: bool = False
    """Whether the snippet stood on its own and ran in the sandbox."""
    output: str = ""
    """What it printed when it ran."""

    @property
    def summary(self) -> str:
        if not self.ok:
            return "; ".join(self.problems)
        if not self.ran:
            return "assembles, adds no analysis error"
        return f"ran in the sandbox: {printed(self.output)}"


def printed(output: str, most: int = 5) -> str:
    """`prints 3, 6, 9` (the first lines, comma-separated) or `prints nothing`."""
    lines = output.rstrip("\n").split("\n") if output else []
    if not lines:
        return "prints nothing"
    shown = ", ".join(line if len(line) <= 30 else line[:27] + "..." for line in lines[:most])
    return f"prints {shown}" + (", ..." if len(lines) > most else "")


def insert(document: str, after_line: int, snippet: str) -> str:
    """The document with `snippet` on the lines after `after_line` (-1: at the top)."""
    lines = document.split("\n")
    return "\n".join(lines[:after_line + 1] + snippet.split("\n") + lines[after_line + 1:])


def validate(snippet: str, document: str = "", after_line: int = -1,
             config: VMConfig | None = None) -> Verdict:
    if not snippet.strip():
        return Verdict(False, ("the answer holds no code",))
    alone = assemble(snippet)
    problems = [f"line {f.span.line + 1}: {f.message}" for f in alone.findings if f.is_error]
    if problems and not _only_outside_labels(alone):
        return Verdict(False, tuple(problems))
    placed = assemble(insert(document, after_line, snippet))
    if not placed.ok:
        return Verdict(False, tuple(f"line {f.span.line + 1}: {f.message}"
                                    for f in placed.findings if f.is_error))
    added = analysis_errors(placed) - analysis_errors(assemble(document))
    if added:
        return Verdict(False, tuple(added.elements()))
    if not _self_contained(alone, document):
        return Verdict(True)
    result = run_program(alone.program, config or VMConfig())
    if (failed := result.failed) is not None:
        return Verdict(False, (f"when run: {failed.error.kind}: {failed.error.message}",))
    return Verdict(True, ran=True, output=result.output)


def _self_contained(snippet: Assembly, document: str) -> bool:
    """Whether the snippet needs nothing from around it: it assembles alone, takes no value
    from the stack it starts on, and loads no name that only the document stores."""
    if not snippet.ok:
        return False
    needs = {"S203", "S204", "S205"}
    if any(f.code in needs for f in analyse(snippet.program).findings):
        return False
    outside = set(index_symbols(document.split("\n")).names(MEMORY))
    return not any(i.op == "LOAD" and i.arg in outside for i in snippet.program.code)


def _only_outside_labels(assembly: Assembly) -> bool:
    """True when the snippet's only errors are jumps to labels it does not define (they may
    be the document's)."""
    return all(f.code == "E109" for f in assembly.findings if f.is_error)


def analysis_errors(assembly: Assembly) -> Counter[str]:
    """The analysis errors of a document that assembles, counted by code and message (which
    do not name lines, so an error that only moved counts as the same)."""
    if not assembly.ok:
        return Counter()
    return Counter(f"{f.code}: {f.message}" for f in analyse(assembly.program).findings
                   if f.is_error)
