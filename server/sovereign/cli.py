"""The `sovereign` command: a thin face over the language core and the VM.

Exit status: 0 when all is well, 1 when a file does not assemble or a check finds errors (or a
file cannot be read), 2 when a program fails at run time or the command line is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .checker import check, runtime_finding
from .lang.assembler import Assembly, assemble
from .lang.findings import Finding
from .vm.config import VMConfig
from .vm.disasm import disassemble, trace_line
from .vm.errors import VMError
from .vm.executable import Executable
from .vm.machine import LLMRequest, Machine
from .vm.sandbox import (
    Answer,
    Refusal,
    RunResult,
    Tracer,
    run_program,
    run_program_async,
)

if TYPE_CHECKING:
    from .llm.setup import LLMSettings



def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.command(args))
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sovereign", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"sovereign {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    check_cmd = commands.add_parser("check", help="report every error and finding in files")
    check_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check_cmd.add_argument("--format", choices=("text", "json"), default="text")
    _limit_flags(check_cmd, VMConfig())
    check_cmd.set_defaults(command=_check)

    run_cmd = commands.add_parser("run", help="run a program and print its output")
    run_cmd.add_argument("file", type=Path, metavar="FILE")
    run_cmd.add_argument("--show-compiled", action="store_true",
                         help="list the program, its blocks and the Python the VM compiled "
                              "hot ones to (on stderr)")
    run_cmd.add_argument("--trace", action="store_true",
                         help="print each executed instruction with its line and the stack "
                              "top after it (on stderr; runs by the reference interpreter)")
    run_cmd.add_argument("--model", help="the model LLMGEN asks first")
    _host_flags(run_cmd)
    _limit_flags(run_cmd, VMConfig.run_defaults())
    run_cmd.set_defaults(command=_run)

    evolve_cmd = commands.add_parser(
        "evolve", help="repair a file's first problem, validated in the sandbox")
    evolve_cmd.add_argument("file", type=Path, metavar="FILE", nargs="?")
    evolve_cmd.add_argument("--write", action="store_true", help="apply the repair to FILE")
    evolve_cmd.add_argument("--history", action="store_true",
                            help="show what the pattern memory has learned")
    evolve_cmd.add_argument("--instruction", default="", help="what to change, in words")
    _host_flags(evolve_cmd)
    evolve_cmd.set_defaults(command=_evolve)

    models_cmd = commands.add_parser("models", help="list the models on the LLM hosts")
    _host_flags(models_cmd)
    models_cmd.set_defaults(command=_models)

    doctor_cmd = commands.add_parser("doctor", help="check that an LLM is reachable and usable")
    _host_flags(doctor_cmd)
    doctor_cmd.set_defaults(command=_doctor)

    lsp_cmd = commands.add_parser("lsp", help="start the language server (stdio by default)")
    lsp_cmd.add_argument("--stdio", action="store_true",
                         help="speak LSP on stdin/stdout (the default; LSP clients pass it)")
    lsp_cmd.add_argument("--tcp", action="store_true", help="listen on 127.0.0.1 instead")
    lsp_cmd.add_argument("--port", type=_positive(int), default=2087,
                         help="the TCP port (default 2087)")
    lsp_cmd.add_argument("--clientProcessId", dest="client_process_id", type=int,
                         help=argparse.SUPPRESS)  # passed by vscode-languageclient; not needed
    for transport in UNSUPPORTED_TRANSPORTS:
        lsp_cmd.add_argument(transport, nargs="?", const="", dest=_dest(transport),
                             help=argparse.SUPPRESS)
    lsp_cmd.set_defaults(command=_lsp)
    return parser


def _host_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", action="append", default=[], metavar="URL",
                        help="an Ollama host (repeatable; default: OLLAMA_HOST, else "
                             "127.0.0.1:11434)")
    parser.add_argument("--openai", action="append", default=[], metavar="URL",
                        help="an OpenAI-compatible host, e.g. http://127.0.0.1:8000 (repeatable)")


def _llm_settings(args: argparse.Namespace) -> LLMSettings:
    from .llm.setup import HostSetting, LLMSettings  # the HTTP stack loads only when needed

    hosts = [HostSetting(url) for url in args.host]
    hosts += [HostSetting(url, "openai", os.environ.get("OPENAI_API_KEY", ""))
              for url in args.openai]
    return LLMSettings(tuple(hosts))


def _evolve(args: argparse.Namespace) -> int:
    from .evolve.cli import evolve_file, history

    if args.history:
        print(history())
        return 0
    if args.file is None:
        print("sovereign evolve: give a FILE (or --history)", file=sys.stderr)
        return 2
    source = _read(args.file)
    if source is None:
        return 1
    text, status = asyncio.run(evolve_file(args.file, source, _llm_settings(args),
                                           args.instruction, args.write))
    print(text)
    return status


def _models(args: argparse.Namespace) -> int:
    from .llm.report import list_models

    text, ok = asyncio.run(list_models(_llm_settings(args)))
    print(text)
    return 0 if ok else 1


def _doctor(args: argparse.Namespace) -> int:
    from .llm.report import diagnose

    text, ok = asyncio.run(diagnose(_llm_settings(args)))
    print(text)
    return 0 if ok else 1


def _limit_flags(parser: argparse.ArgumentParser, defaults: VMConfig) -> None:
    limits = parser.add_argument_group("limits")
    for flag, field, what in (
        ("--max-steps", "max_steps", "instructions executed"),
        ("--max-stack", "max_stack", "values on the stack"),
        ("--max-names", "max_names", "names in memory"),
        ("--max-call-depth", "max_call_depth", "active CALLs"),
        ("--max-string", "max_string", "characters in a string"),
        ("--max-output", "max_output", "bytes of output"),
    ):
        limits.add_argument(flag, dest=field, type=_positive(int), default=getattr(defaults, field),
                            metavar="N", help=f"most {what} (default {getattr(defaults, field)})")
    limits.add_argument("--max-time", dest="max_millis", type=_positive(float),
                        default=defaults.max_millis, metavar="MS",
                        help=f"wall-clock budget in milliseconds (default {defaults.max_millis:g})")


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type that accepts only positive numbers, with a clear message otherwise."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def _config(args: argparse.Namespace) -> VMConfig:
    """The limits the flags set: every VMConfig field has one (see `_limit_flags`)."""
    return VMConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(VMConfig)})


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"sovereign: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    config = _config(args)
    status = 0
    records = []
    for path in args.files:
        source = _read(path)
        if source is None:
            status = 1
            continue
        findings = check(source, config).findings
        if any(f.is_error for f in findings):
            status = 1
        if args.format == "json":
            records += [_json_finding(path, f) for f in findings]
        else:
            for finding in findings:
                print(_text_finding(path, finding))
    if args.format == "json":
        print(json.dumps(records, indent=2))
    return status


def _text_finding(path: Path, finding: Finding) -> str:
    span = finding.span
    return (f"{path}:{span.line + 1}:{span.col + 1}: {finding.severity.value}[{finding.code}]: "
            f"{finding.message}")


def _json_finding(path: Path, finding: Finding) -> dict[str, object]:
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


def _run(args: argparse.Namespace) -> int:
    source = _read(args.file)
    if source is None:
        return 1
    assembly = assemble(source)
    if not assembly.ok:
        for finding in check(source, run=False).findings:
            print(_text_finding(args.file, finding), file=sys.stderr)
        return 1
    executable = Executable(assembly.program)
    tracer = _trace if args.trace else None
    if any(i.op in ("LLMGEN", "EVOLVE") for i in assembly.program.code):
        result = asyncio.run(_run_with_llm(executable, args, tracer))
    else:
        result = run_program(executable, _config(args), tracer=tracer)
    sys.stdout.write(result.output)
    sys.stdout.flush()
    if args.show_compiled:
        print(disassemble(executable), file=sys.stderr)
        print(executable.compiled_source() or "(no block ran often enough to be compiled)",
              file=sys.stderr)
    if (failed := result.failed) is not None:
        print(_runtime_report(args.file, assembly, failed.error), file=sys.stderr)
        return 2
    return 0


UNSUPPORTED_TRANSPORTS = ("--node-ipc", "--socket", "--pipe")
"""Transports LSP clients may ask for that this server does not speak: each is refused with
a message that says what to use instead, rather than argparse's bare "unrecognized"."""


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _lsp(args: argparse.Namespace) -> int:
    asked = [flag for flag in UNSUPPORTED_TRANSPORTS if getattr(args, _dest(flag)) is not None]
    if asked or (args.stdio and args.tcp):
        what = asked[0] if asked else "--stdio together with --tcp"
        print(f"sovereign lsp: {what} is not supported: use stdio (the default, or --stdio) "
              "or --tcp [--port N]", file=sys.stderr)
        return 2
    from .lsp.main import serve  # the server's dependencies load only for this command

    serve(tcp=args.tcp, port=int(args.port))
    return 0


def _trace(machine: Machine, pc: int) -> None:
    print(trace_line(machine, pc), file=sys.stderr)


async def _run_with_llm(executable: Executable, args: argparse.Namespace,
                        tracer: Tracer | None) -> RunResult:
    """Run a program whose LLM instructions are fulfilled by the generation pipeline."""
    from .evolve.engine import Evolver
    from .evolve.memory import PatternMemory
    from .generate.pipeline import Generator
    from .host.runtime import fulfil_with
    from .llm.models import ModelManager
    from .llm.setup import make_hosts

    hosts = make_hosts(_llm_settings(args))
    manager = ModelManager(hosts)
    fulfil = fulfil_with(Generator(manager, model=args.model),
                         Evolver(PatternMemory(), manager))

    async def with_spinner(request: LLMRequest) -> str | Answer | Refusal | None:
        async with _spinner(f"{request.kind} {request.prompt[:50]!r}"):
            return await fulfil(request)

    try:
        return await run_program_async(executable, _config(args), fulfil=with_spinner,
                                       tracer=tracer)
    finally:
        await hosts.close()


@contextlib.asynccontextmanager
async def _spinner(what: str) -> AsyncIterator[None]:
    """A spinner on a terminal while the LLM works; nothing when stderr is not one."""
    if not sys.stderr.isatty():
        yield
        return

    async def spin() -> None:
        for frame in itertools.cycle("|/-\\"):
            sys.stderr.write(f"\r{frame} {what}")
            sys.stderr.flush()
            await asyncio.sleep(0.1)

    task = asyncio.create_task(spin())
    try:
        yield
    finally:
        task.cancel()
        sys.stderr.write("\r" + " " * (len(what) + 2) + "\r")


def _runtime_report(path: Path, assembly: Assembly, error: VMError) -> str:
    """The error, its source line with a caret under the instruction, the calls and the stack."""
    finding = runtime_finding(error, assembly.program)
    texts = assembly.texts
    span = error.span
    text = texts[span.line].expandtabs(1)
    number = str(span.line + 1)
    lines = [
        _text_finding(path, finding),
        f" {number} | {text}",
        f" {' ' * len(number)} | {' ' * span.col}{'^' * max(1, span.end - span.col)}",
    ]
    for call in reversed(error.call_stack):
        lines.append(f"  called from {path}:{call.line + 1}:{call.col + 1}: "
                     f"{texts[call.line].strip()}")
    if error.stack_top:
        shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in error.stack_top)
        lines.append(f"  stack (top last): {shown}")
    lines.append(f"  after {error.steps} steps")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
