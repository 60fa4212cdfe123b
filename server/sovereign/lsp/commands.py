"""Running a file: the "▶ Run" code lens and the `sovereign.server.run` command behind it,
which any client can call through workspace/executeCommand.

A client that runs files itself (the VS Code extension lists `sovereign.runFile` in its
initialization options) gets that command in the lens and shows the output its own way; for
any other client the server command tells the result with window/showMessage, and the whole
output with window/logMessage, since its answer to executeCommand is shown nowhere.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types as T

from ..vm.run_findings import runtime_finding
from .server import SovereignServer

RUN = "sovereign.server.run"
RUN_FILE = "sovereign.runFile"
DEBUG_FILE = "sovereign.debugFile"
"""The client's own commands, when it has them."""


def register(server: SovereignServer) -> None:
    server.feature(T.TEXT_DOCUMENT_CODE_LENS)(server.guarded(code_lens, []))
    server.command(RUN)(server.guarded(run, {"ok": False, "output": "", "error": FAILED}))


FAILED = "the run failed inside the server: see its log"


def code_lens(ls: SovereignServer, params: T.CodeLensParams) -> list[T.CodeLens]:
    """▶ Run, and Debug for a client that debugs files itself (`sovereign dap`)."""
    if ls.snapshot(params.text_document.uri) is None:
        return []
    uri = params.text_document.uri
    lenses = [_lens("▶ Run", RUN_FILE if RUN_FILE in ls.client_commands else RUN, uri)]
    if DEBUG_FILE in ls.client_commands:
        lenses.append(_lens("Debug", DEBUG_FILE, uri))
    return lenses


def _lens(title: str, command: str, uri: str) -> T.CodeLens:
    start = T.Position(line=0, character=0)
    return T.CodeLens(range=T.Range(start=start, end=start),
                      command=T.Command(title=title, command=command, arguments=[uri]))


async def run(ls: SovereignServer, *args: Any) -> dict[str, Any]:
    """Run a document in the sandbox: its output, and its error or why it could not run.
    Arguments: the document's URI, then optionally `{"quiet": true}` for a client that shows
    the answer itself."""
    uri = args[0] if args and isinstance(args[0], str) else ""
    quiet = len(args) > 1 and isinstance(args[1], dict) and bool(args[1].get("quiet"))
    answer = await _run(ls, uri)
    if not quiet:
        _tell(ls, uri, answer)
    return answer


async def _run(ls: SovereignServer, uri: str) -> dict[str, Any]:
    snapshot = ls.snapshot(uri)
    if snapshot is None:
        return {"ok": False, "output": "", "error": f"{uri or 'the document'} is not open"}
    if not snapshot.assembly.ok:
        errors = [f for f in snapshot.assembly.findings if f.is_error]
        first = errors[0]
        return {"ok": False, "output": "", "line": first.span.line, "column": first.span.col,
                "code": first.code,
                "error": f"line {first.span.line + 1}: {first.message} "
                         f"({len(errors)} assembly error{'s' if len(errors) > 1 else ''})"}
    result = await ls.run_sandboxed(snapshot.assembly.program)
    answer: dict[str, Any] = {"ok": result.halted, "output": result.output, "error": None,
                              "steps": result.steps}
    if (failed := result.failed) is not None:
        finding = runtime_finding(failed.error, snapshot.assembly.program)
        answer["error"] = f"line {finding.span.line + 1}: {finding.message}"
        answer["code"] = finding.code
        answer["line"] = finding.span.line
        answer["column"] = finding.span.col
    elif (request := result.stopped_at) is not None:
        span = snapshot.assembly.program.code[request.pc].span
        answer["error"] = (f"stopped at {request.kind} on line {span.line + 1}: the sandbox "
                           "does not call the LLM")
        answer["line"], answer["column"] = span.line, span.col
    return answer


def _tell(ls: SovereignServer, uri: str, answer: dict[str, Any]) -> None:
    output = answer["output"]
    lines = output.rstrip("\n").split("\n") if output else []
    printed = f"printed {len(lines)} line{'s' if len(lines) != 1 else ''}" if lines else \
        "printed nothing"
    if answer["error"]:
        message, kind = f"Run: {printed}, then {answer['error']}", T.MessageType.Error
    else:
        message, kind = f"Run: {printed}, halted after {answer['steps']} steps", \
            T.MessageType.Info
    if lines:
        ls.window_log_message(T.LogMessageParams(type=T.MessageType.Info,
                                                 message=f"output of {uri}:\n{output}"))
    ls.window_show_message(T.ShowMessageParams(type=kind, message=message))
