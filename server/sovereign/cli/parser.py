"""The command line: every command, its flags, and what they build (the VM's limits, the LLM
configuration)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import math
import os
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..lang.program_schema import STRUCTURED
from ..vm.config import VMConfig

if TYPE_CHECKING:
    from typing import TypeAlias

    from ..host.services import LLMConfig

    Commands: TypeAlias = argparse._SubParsersAction["_Parser"]

UNSUPPORTED_TRANSPORTS = ("--node-ipc", "--socket", "--pipe")
"""Transports LSP clients may ask for that this server does not speak: each is refused with
a message that says what to use instead, rather than argparse's bare "unrecognized"."""


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, told the terminal's width as `shutil.get_terminal_size`
    finds it: argparse makes a formatter for every `add_argument`, and the default one imports
    shutil (with bz2 and lzma), a twentieth of `sovereign run`'s start."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_columns() - 2)


def _columns() -> int:
    with contextlib.suppress(KeyError, ValueError):
        return int(os.environ["COLUMNS"])
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"formatter_class": _Formatter, **kwargs})


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="sovereign", description="The Sovereign assembly "
                                  "toolchain: check, run and repair programs; serve editors.")
    top.add_argument("--version", action="version", version=f"sovereign {__version__}")
    commands = top.add_subparsers(required=True, metavar="COMMAND", parser_class=_Parser)
    for add in (_check, _run, _evolve, _models, _lsp, _dap):
        add(commands)
    return top


def _check(commands: Commands) -> None:
    check = commands.add_parser("check", help="report every error and finding in files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    _limit_flags(check, VMConfig())
    check.set_defaults(command=_command("programs", "check"))


def _run(commands: Commands) -> None:
    run = commands.add_parser("run", help="run a program and print its output")
    run.add_argument("file", metavar="FILE")
    run.add_argument("--show-compiled", action="store_true",
                     help="list the program, its blocks and the Python the VM compiled hot "
                          "ones to (on stderr)")
    run.add_argument("--trace", action="store_true",
                     help="print each executed instruction with its line and the stack top "
                          "after it (on stderr; runs by the reference interpreter)")
    run.add_argument("--model", help="the model LLMGEN and EVOLVE ask first")
    _host_flags(run)
    _structured_flag(run)
    _limit_flags(run, VMConfig.run_defaults())
    run.set_defaults(command=_command("programs", "run"))


def _evolve(commands: Commands) -> None:
    evolve = commands.add_parser(
        "evolve", help="repair a file's first problem, validated in the sandbox")
    evolve.add_argument("file", metavar="FILE", nargs="?")
    evolve.add_argument("--write", action="store_true", help="apply the repair to FILE")
    evolve.add_argument("--history", action="store_true",
                        help="show what the pattern memory has learned")
    evolve.add_argument("--instruction", default="", help="what to change, in words")
    evolve.add_argument("--model", help="the model asked first")
    searching = evolve.add_mutually_exclusive_group()
    searching.add_argument("--no-search", dest="search", action="store_const", const="never",
                           default="first", help="ask a model only, without first searching "
                                                 "small edits")
    searching.add_argument("--search-only", dest="search", action="store_const", const="only",
                           help="search small edits only, asking no model")
    _host_flags(evolve)
    _structured_flag(evolve)
    evolve.set_defaults(command=_command("evolve", "evolve"))


def _models(commands: Commands) -> None:
    models = commands.add_parser("models", help="list the models on the LLM hosts")
    _host_flags(models)
    models.set_defaults(command=_command("models", "list_models"))
    doctor = commands.add_parser("doctor", help="check that an LLM is reachable and usable")
    doctor.add_argument("--model", help="the model you would choose (as sovereign.llm.model)")
    _host_flags(doctor)
    doctor.set_defaults(command=_command("models", "doctor"))


def _lsp(commands: Commands) -> None:
    lsp = commands.add_parser("lsp", help="start the language server (stdio by default)")
    lsp.add_argument("--stdio", action="store_true",
                     help="speak LSP on stdin/stdout (the default; LSP clients pass it)")
    lsp.add_argument("--tcp", action="store_true", help="listen on 127.0.0.1 instead")
    lsp.add_argument("--port", type=_port, default=2087,
                     help="the TCP port, 1 to 65535 (default 2087)")
    lsp.add_argument("--clientProcessId", dest="client_process_id", type=int,
                     help=argparse.SUPPRESS)  # passed by vscode-languageclient; not needed
    for transport in UNSUPPORTED_TRANSPORTS:
        lsp.add_argument(transport, nargs="?", const="", dest=dest(transport),
                         help=argparse.SUPPRESS)
    lsp.set_defaults(command=_command("server", "lsp"))


def _dap(commands: Commands) -> None:
    dap = commands.add_parser("dap", help="start the debug adapter (the Debug Adapter "
                                          "Protocol on stdio)")
    dap.set_defaults(command=_command("server", "dap"))


def _command(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The command `name` of `module`, imported when it runs: `sovereign run` loads nothing
    of the LLM stack or the server."""
    def command(args: argparse.Namespace) -> int:
        found: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f"{__package__}.{module}"), name)
        return found(args)

    return command


def dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _host_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument("--host", action="append", default=[], metavar="URL",
                         help="an Ollama host (repeatable; default: OLLAMA_HOST, else "
                              "127.0.0.1:11434)")
    command.add_argument("--openai", action="append", default=[], metavar="URL",
                         help="an OpenAI-compatible host, e.g. http://127.0.0.1:8000 "
                              "(repeatable; the key from OPENAI_API_KEY)")


def _structured_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument("--structured", choices=STRUCTURED, default="auto",
                         help="hold answers to the program's shape (JSON schema or grammar): "
                              "auto where the server supports it (default), schema always, "
                              "text never")


def llm_config(args: argparse.Namespace, sandbox: VMConfig | None = None) -> LLMConfig:
    """The LLM configuration the flags give (the composition root reads the rest)."""
    from ..host.services import LLMConfig

    return LLMConfig(ollama=tuple(args.host), openai=tuple(args.openai),
                     model=getattr(args, "model", None), sandbox=sandbox or VMConfig(),
                     structured=getattr(args, "structured", "auto"))


def _limit_flags(command: argparse.ArgumentParser, defaults: VMConfig) -> None:
    limits = command.add_argument_group("limits")
    for flag, name, what in (
        ("--max-steps", "max_steps", "instructions executed"),
        ("--max-stack", "max_stack", "values on the stack"),
        ("--max-names", "max_names", "names in memory"),
        ("--max-call-depth", "max_call_depth", "active CALLs"),
        ("--max-string", "max_string", "characters in a string"),
        ("--max-output", "max_output", "bytes of output"),
        ("--max-memory", "max_memory", "characters of strings held (stack, memory, output)"),
    ):
        limits.add_argument(flag, dest=name, type=_positive(int), default=getattr(defaults, name),
                            metavar="N", help=f"most {what} (default {getattr(defaults, name)})")
    limits.add_argument("--max-time", dest="max_millis", type=_positive(float),
                        default=defaults.max_millis, metavar="MS",
                        help=f"wall-clock budget in milliseconds (default {defaults.max_millis:g})")


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type that accepts only finite positive numbers, with a clear message
    otherwise (`nan <= 0` is false: nan and inf must be refused by name)."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a finite positive number, not {text}")
        return value

    return parse


def _port(text: str) -> int:
    """A TCP port number, with a clear message otherwise."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {text}")
    return int(text)


def limits(args: argparse.Namespace) -> VMConfig:
    """The limits the flags set: every VMConfig field has one (see `_limit_flags`)."""
    return VMConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(VMConfig)})


def read(path: str) -> bytes | None:
    """A file's bytes, or None after saying why it cannot be read. Only a regular file is
    read: opening a FIFO with no writer would wait forever. (Paths stay strings here:
    pathlib costs `sovereign run` a tenth of its start.)"""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
            print(f"sovereign: cannot read {path}: not a regular file (a FIFO, a socket or "
                  "a device)", file=sys.stderr)
            return None
        with open(path, "rb") as file:
            return file.read()
    except OSError as exc:
        print(f"sovereign: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
