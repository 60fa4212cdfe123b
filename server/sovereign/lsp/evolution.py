"""EVOLVE in the editor: the "Evolve this block" quick fix and the Evolve Selection command.

Listing the quick fix costs nothing (no model is asked). The work happens in codeAction/resolve,
whose `data` carries everything needed to redo it (uri, version, line, code, selection); the
answer is a versioned edit, so it can never land on a document that changed meanwhile, and a
document that changed during the work is refused outright. Nothing is offered that the sandbox
has not run: when no candidate passes, the user is told what each one failed on.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lsprotocol import types as T
from pygls.exceptions import JsonRpcContentModified

from ..evolve.problem import CATEGORIES, Problem, diagnose
from .documents import Snapshot
from .llm_state import with_progress
from .server import SERVER, SovereignServer, answer_empty_on_failure

EVOLVE_SELECTION = "sovereign.evolveSelection"
TITLE = "Evolve this block"


@SERVER.feature(T.TEXT_DOCUMENT_CODE_ACTION, T.CodeActionOptions(
    code_action_kinds=[T.CodeActionKind.QuickFix], resolve_provider=True))
@answer_empty_on_failure([])
def code_actions(ls: SovereignServer, params: T.CodeActionParams) -> list[T.CodeAction]:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None or not ls.settings.llm.enabled:
        return []
    selection = params.range if params.range.start != params.range.end else None
    return [T.CodeAction(
        title=TITLE, kind=T.CodeActionKind.QuickFix, diagnostics=[diagnostic],
        data={"uri": snapshot.uri, "version": snapshot.version,
              "line": diagnostic.range.start.line, "code": diagnostic.code,
              "selection": [selection.start.line, selection.end.line] if selection else None})
        for diagnostic in params.context.diagnostics
        if diagnostic.source == "sovereign" and diagnostic.code in CATEGORIES]


@SERVER.feature(T.CODE_ACTION_RESOLVE)
async def resolve(ls: SovereignServer, action: T.CodeAction) -> T.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    snapshot = _current(ls, data.get("uri", ""), data.get("version"))
    problem = diagnose(snapshot.text, ls.settings.sandbox.config(), line=data.get("line"),
                       code=data.get("code"))
    if problem is None:
        ls.window_show_message(T.ShowMessageParams(
            type=T.MessageType.Info, message="That problem is gone: nothing to evolve."))
        return action
    if data.get("selection"):
        first, last = data["selection"]
        problem = replace(problem, first=first, last=last)
    edit, message = await _evolve(ls, snapshot, problem, "")
    if edit is None:
        ls.window_show_message(T.ShowMessageParams(type=T.MessageType.Warning, message=message))
        return action
    action.edit = edit
    action.title = f"{TITLE} ({message})"
    return action


@SERVER.command(EVOLVE_SELECTION)
async def evolve_selection(ls: SovereignServer, uri: str, selection: T.Range,
                           instruction: str) -> dict[str, Any]:
    """Change the selected lines as `instruction` says (or repair them), validated like a
    quick fix, and apply the edit. Answers what happened."""
    snapshot = ls.snapshot(uri)
    if snapshot is None:
        return {"ok": False, "reason": f"{uri} is not open"}
    first, last = selection.start.line, max(selection.start.line, selection.end.line - (
        1 if selection.end.character == 0 and selection.end.line > selection.start.line else 0))
    found = diagnose(snapshot.text, ls.settings.sandbox.config())
    if found is not None and first <= found.line <= last:
        problem = replace(found, first=first, last=last)
    else:
        problem = Problem("requested change", "", instruction or "improve this code",
                          first, first, last)
    edit, message = await _evolve(ls, snapshot, problem, instruction)
    if edit is None:
        return {"ok": False, "reason": message}
    applied = await ls.workspace_apply_edit_async(T.ApplyWorkspaceEditParams(
        edit=edit, label="Sovereign: evolve selection"))
    return {"ok": applied.applied, "summary": message}


async def _evolve(ls: SovereignServer, snapshot: Snapshot, problem: Problem,
                  instruction: str) -> tuple[T.WorkspaceEdit | None, str]:
    """The versioned edit of a validated repair and its summary, or None and why not."""
    from ..evolve.engine import Repair

    await ls.with_settings()
    evolver = ls.generations.evolver(ls)
    outcome = await with_progress(
        ls, "Sovereign: evolving", problem.category,
        lambda on_text: evolver.evolve(snapshot.text, problem, instruction, on_text))
    _current(ls, snapshot.uri, snapshot.version)  # no edit for a document that changed
    if not isinstance(outcome, Repair):
        return None, f"No repair passed validation: {outcome.explanation}"
    last_text = snapshot.assembly.texts[outcome.last]
    edit = T.TextDocumentEdit(
        text_document=T.OptionalVersionedTextDocumentIdentifier(uri=snapshot.uri,
                                                                version=snapshot.version),
        edits=[T.TextEdit(range=T.Range(
            start=snapshot.convert.lsp_position(outcome.first, 0),
            end=snapshot.convert.lsp_position(outcome.last, len(last_text))),
            new_text=outcome.code)])
    summary = f"{outcome.model}, confidence {outcome.confidence:.2f}"
    return T.WorkspaceEdit(document_changes=[edit]), summary


def _current(ls: SovereignServer, uri: str, version: object) -> Snapshot:
    """The document as the action saw it; a document that changed since is refused."""
    snapshot = ls.snapshot(uri)
    if snapshot is None or snapshot.version != version:
        raise JsonRpcContentModified(f"{uri} changed since the fix was listed")
    return snapshot
