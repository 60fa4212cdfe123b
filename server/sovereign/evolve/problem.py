"""What is wrong and where: a runtime error from the sandbox or a certain analysis finding,
put in a category, with the block of code to repair and the state at the failure."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..lang.assembler import Assembly, Value
from ..lang.findings import Finding
from ..lang.opcodes import ENDS_BLOCK
from ..vm.checker import CheckResult, check
from ..vm.config import VMConfig

CATEGORIES = {
    "R301": "division by zero", "R302": "stack underflow", "R303": "stack overflow",
    "R304": "type mismatch", "R305": "undefined name", "R306": "integer overflow",
    "R307": "runaway recursion", "R308": "return outside a call", "R309": "infinite loop",
    "R310": "memory limit", "R311": "string too long", "R312": "output limit",
    "R313": "failed assertion", "R315": "memory budget",
    "S203": "undefined name", "S204": "stack underflow", "S207": "type mismatch",
    "S209": "return outside a call",
}
"""The findings the engine can address, by code."""

FALLS_INTO_CALL = "return outside a call"
"""The one category where the repair is to stop before the code after the block: the block
ran on into a subroutine's RET. There a HALT is the fix, and not reaching on is the point."""

MAX_SECTION = 40
"""A labelled section longer than this is too much to rewrite; its basic block is taken."""


@dataclass(frozen=True)
class Problem:
    category: str
    code: str
    message: str
    line: int
    first: int
    last: int
    """The block to repair: lines first..last, inclusive."""
    stack: tuple[Value, ...] = ()
    memory: dict[str, Value] = field(default_factory=dict)
    calls: tuple[int, ...] = ()
    output: str = ""
    """The program's output up to the failure, which a repair must keep."""


def diagnose(source: str, config: VMConfig | None = None, *, line: int | None = None,
             code: str | None = None) -> Problem | None:
    """The problem to repair: the one at `line` (with `code`) when given, else the first
    runtime error, else the first certain analysis finding the engine can address."""
    result = check(source, config or VMConfig())
    if not result.assembly.ok:
        return None
    findings = [f for f in result.findings if f.code in CATEGORIES]
    if line is not None:
        findings = [f for f in findings if f.span.line == line and code in (None, f.code)]
    if not findings:
        return None
    finding = min(findings, key=lambda f: (not f.code.startswith("R"), f.span.line))
    first, last = block_around(result.assembly, _repair_line(result.assembly, finding))
    problem = Problem(CATEGORIES[finding.code], finding.code, finding.message,
                      finding.span.line, first, last)
    return _with_state(problem, result, finding)


def _repair_line(assembly: Assembly, finding: Finding) -> int:
    """Where the repair goes: the failing line, except for a RET reached without a CALL, which
    is repaired where the code above runs on into the subroutine."""
    if finding.code not in ("R308", "S209"):
        return finding.span.line
    labels = [span.line for span in assembly.program.label_spans.values()
              if span.line <= finding.span.line]
    entry = max(labels, default=0)
    code_above = [i.line for i in assembly.program.code if i.line < entry]
    return code_above[-1] if code_above else finding.span.line


def block_around(assembly: Assembly, line: int) -> tuple[int, int]:
    """The labelled section holding `line` when it is short, else its basic block."""
    labels = sorted(span.line for span in assembly.program.label_spans.values())
    above = [n for n in labels if n <= line]
    below = [n for n in labels if n > line]
    first = above[-1] if above else _first_code_line(assembly)
    last = (below[0] - 1) if below else len(assembly.texts) - 1
    last = _trim(assembly, first, last)
    if last - first < MAX_SECTION:
        return first, last
    return _basic_block(assembly, line)


def _basic_block(assembly: Assembly, line: int) -> tuple[int, int]:
    code = assembly.program.code
    index = next(i for i, instruction in enumerate(code) if instruction.line == line)
    leaders = set(assembly.program.labels.values())
    start = index
    while start > 0 and start not in leaders and code[start - 1].op not in ENDS_BLOCK:
        start -= 1
    end = index
    while end + 1 < len(code) and end + 1 not in leaders and code[end].op not in ENDS_BLOCK:
        end += 1
    return code[start].line, code[end].line


def _first_code_line(assembly: Assembly) -> int:
    code = assembly.program.code
    return code[0].line if code else 0


def _trim(assembly: Assembly, first: int, last: int) -> int:
    while last > first and not assembly.texts[last].strip():
        last -= 1
    return last


def _with_state(problem: Problem, result: CheckResult, finding: Finding) -> Problem:
    """The problem with the state at the failure: the stack top, memory and calls when the
    sandbox failed there, and the output it had written."""
    run = result.run
    if run is None:
        return problem
    failed = run.failed
    if failed is None or failed.error.code != finding.code:
        return replace(problem, output=run.output)
    error = failed.error
    return replace(problem, stack=error.stack_top, memory=dict(list(run.memory.items())[:20]),
                   calls=tuple(span.line for span in error.call_stack), output=run.output)
