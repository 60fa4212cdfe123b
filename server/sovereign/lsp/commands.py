"""Running a file: the "▶ Run" code lens and the `sovereign.run` command behind it, which any
client can call through workspace/executeCommand."""

from __future__ import annotations

from typing import Any

from lsprotocol import types as T

from ..checker import runtime_finding
from .server import SERVER, SovereignServer, answer_empty_on_failure

RUN = "sovereign.run"


@SERVER.feature(T.TEXT_DOCUMENT_CODE_LENS)
@answer_empty_on_failure([])
def code_lens(ls: SovereignServer, params: T.CodeLensParams) -> list[T.CodeLens]:
    if ls.snapshot(params.text_document.uri) is None:
        return []
    return [T.CodeLens(range=T.Range(start=T.Position(line=0, character=0),
                                     end=T.Position(line=0, character=0)),
                       command=T.Command(title="▶ Run", command=RUN,
                                         arguments=[params.text_document.uri]))]


@SERVER.command(RUN)
async def run(ls: SovereignServer, uri: str) -> dict[str, Any]:
    """Run a document in the sandbox: its output, and its error or why it could not run."""
    snapshot = ls.snapshot(uri)
    if snapshot is None:
        return {"ok": False, "output": "", "error": f"{uri} is not open"}
    if not snapshot.assembly.ok:
        errors = [f for f in snapshot.assembly.findings if f.is_error]
        first = errors[0]
        return {"ok": False, "output": "",
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
    elif (request := result.stopped_at) is not None:
        answer["error"] = (f"stopped at {request.kind} on line "
                           f"{snapshot.assembly.program.code[request.pc].line + 1}: the sandbox "
                           "does not call the LLM")
    return answer
