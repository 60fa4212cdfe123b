"""`sovereign check` and `sovereign run`: the check pipeline's findings as text or JSON, and a
run's output, with the runtime error shown at its source line.

Only a program with LLM instructions loads the event loop and the LLM stack, and only
`check` loads the analyser: checking and running plain programs stays quick to start.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ..lang.assembler import Assembly, assemble
from ..lang.findings import Finding, in_line_order, reported
from ..vm.disasm import disassemble, trace_line
from ..vm.errors import VMError, shown
from ..vm.executable import Executable
from ..vm.machine import Machine
from ..vm.run_findings import runtime_finding
from ..vm.sandbox import RunResult, Tracer, run_program
from .parser import limits, llm_config, read

if TYPE_CHECKING:
    from ..vm.sandbox import AsyncFulfil


def check(args: argparse.Namespace) -> int:
    from ..vm.checker import check as check_source

    config = limits(args)
    status = 0
    records = []
    for path in args.files:
        source = read(path)
        if source is None:
            status = 1
            continue
        findings = reported(check_source(source, config).findings)
        if any(f.is_error for f in findings):
            status = 1
        if args.format == "json":
            records += [_json_finding(path, f) for f in findings]
        else:
            for finding in findings:
                print(text_finding(path, finding))
    if args.format == "json":
        print(json.dumps(records, indent=2))
    return status


def text_finding(path: str, finding: Finding) -> str:
    span = finding.span
    return (f"{path}:{span.line + 1}:{span.col + 1}: {finding.severity.value}[{finding.code}]: "
            f"{finding.message}")


def _json_finding(path: str, finding: Finding) -> dict[str, object]:
    return {
        "file": str(path),
        "line": finding.span.line + 1,
        "column": finding.span.col + 1,
        "end_line": finding.last_line + 1,
        "end_column": finding.last_col + 1,
        "severity": finding.severity.value,
        "code": finding.code,
        "message": finding.message,
        "related": [{"line": r.span.line + 1, "column": r.span.col + 1, "message": r.message}
                    for r in finding.related],
    }


def run(args: argparse.Namespace) -> int:
    source = read(args.file)
    if source is None:
        return 1
    assembly = assemble(source)
    if not assembly.ok:
        for finding in reported(in_line_order(assembly.findings)):
            print(text_finding(args.file, finding), file=sys.stderr)
        return 1
    executable = Executable(assembly.program)
    tracer = _trace if args.trace else None
    if any(i.op in ("LLMGEN", "EVOLVE") for i in assembly.program.code):
        result = _run_with_llm(executable, args, tracer)
    else:
        result = run_program(executable, limits(args), tracer=tracer)
    sys.stdout.write(result.output)
    sys.stdout.flush()
    if args.show_compiled:
        print(disassemble(executable), file=sys.stderr)
        print(executable.compiled_source() or "(no block ran often enough to be compiled)",
              file=sys.stderr)
    if (failed := result.failed) is not None:
        print(runtime_report(args.file, assembly, failed.error), file=sys.stderr)
        return 2
    return 0


def _trace(machine: Machine, pc: int) -> None:
    print(trace_line(machine, pc), file=sys.stderr)


def _run_with_llm(executable: Executable, args: argparse.Namespace,
                  tracer: Tracer | None) -> RunResult:
    """Run a program whose LLM instructions are fulfilled by the services of the composition
    root, with a spinner on a terminal while the LLM works."""
    import asyncio

    from ..host.services import build
    from ..vm.sandbox import run_program_async
    from .notes import notes_to_stderr
    from .spinner import spinning

    notes_to_stderr()

    async def main() -> RunResult:
        services = build(llm_config(args))
        fulfil: AsyncFulfil = spinning(services.fulfil())
        try:
            return await run_program_async(executable, limits(args), fulfil=fulfil,
                                           tracer=tracer)
        finally:
            await services.close()

    return asyncio.run(main())


def runtime_report(path: str, assembly: Assembly, error: VMError) -> str:
    """The error, its source line with a caret under the instruction, the calls and the stack."""
    finding = runtime_finding(error, assembly.program)
    texts = assembly.texts
    span = error.span
    text = texts[span.line].expandtabs(1)
    number = str(span.line + 1)
    lines = [
        text_finding(path, finding),
        f" {number} | {text}",
        f" {' ' * len(number)} | {' ' * span.col}{'^' * max(1, span.end - span.col)}",
    ]
    for call, times in error.calls():
        lines.append(f"  called from {path}:{call.line + 1}:{call.col + 1}: "
                     f"{texts[call.line].strip()}")
        if times > 1:
            lines.append(f"  [previous line repeated {times - 1:,} more times]")
    if error.stack_top:
        lines.append(f"  stack (top last): {', '.join(shown(v) for v in error.stack_top)}")
    lines.append(f"  after {error.steps} steps")
    return "\n".join(lines)
