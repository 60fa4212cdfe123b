"""EVOLVE in the editor: the quick fixes of an error and the Evolve Selection command.

For an error the quick fix list first runs the search over small edits (evolve/search.py: no
model, a fraction of a second, off the event loop, once per version of the document): a repair
it finds is offered at once, as "Evolve this block — no model needed"; when it finds none, the
action is listed disabled with the reason, for clients that show such actions. "Evolve this
block" asks the models, in codeAction/resolve, whose `data` carries everything needed to redo it
(uri, version, line, code, selection). Every answer is a versioned edit, so it can never land
on a document that changed meanwhile, and a document that changed during the work is refused
outright. Nothing is offered that the sandbox has not run: when no candidate passes, the user is
told what each one failed on.

The repair is shown before it is applied. A client that runs `sovereign.previewRepair` (the
VS Code extension says so in its initialization options) gets that command with the edit and
its proof; any other client gets the edit under a change annotation that needs confirmation,
which editors show as a preview.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types as T
from pygls.exceptions import JsonRpcContentModified

from ..candidates.judge import printed
from ..evolve.problem import CATEGORIES, Problem, diagnose
from ..lang.edits import line_edits
from .documents import Snapshot
from .llm_state import with_progress
from .server import LOG, UNCHANGED, SovereignServer

if TYPE_CHECKING:
    from ..evolve.engine import NoRepair, Repair, SearchUse

EVOLVE_SELECTION = "sovereign.server.evolveSelection"
SEARCH_TITLE = "Evolve this block — no model needed"
PREVIEW_REPAIR = "sovereign.previewRepair"
"""The client's command that shows a repair and its proof before applying it."""
TITLE = "Evolve this block"
ANNOTATION = "sovereign.evolve"


def register(server: SovereignServer) -> None:
    server.feature(T.TEXT_DOCUMENT_CODE_ACTION, T.CodeActionOptions(
        code_action_kinds=[T.CodeActionKind.QuickFix], resolve_provider=True))(
        server.guarded(code_actions, []))
    server.feature(T.CODE_ACTION_RESOLVE)(server.guarded(resolve, UNCHANGED))
    server.command(EVOLVE_SELECTION)(server.guarded(evolve_selection, {
        "ok": False, "reason": "the repair failed inside the server: see its log"}))


async def code_actions(ls: SovereignServer, params: T.CodeActionParams) -> list[T.CodeAction]:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return []
    selection = params.range if params.range.start != params.range.end else None
    by_line: dict[int, list[T.Diagnostic]] = {}
    for diagnostic in params.context.diagnostics:
        if diagnostic.source == "sovereign" and diagnostic.code in CATEGORIES:
            by_line.setdefault(diagnostic.range.start.line, []).append(diagnostic)
    actions: list[T.CodeAction] = []
    for diagnostics in by_line.values():
        actions += await _fixes(ls, snapshot, diagnostics, selection)
    return actions


async def _fixes(ls: SovereignServer, snapshot: Snapshot, diagnostics: list[T.Diagnostic],
                 selection: T.Range | None) -> list[T.CodeAction]:
    """The search's repair (or why there is none), then the action that asks a model: one
    set for the findings of one line (the run's error and the analysis's warning about the
    same mistake), the most severe repaired."""
    from ..evolve.engine import Repair

    diagnostic = min(diagnostics, key=lambda d: d.severity or T.DiagnosticSeverity.Error)
    actions = []
    found = await searched(ls, snapshot, diagnostic.range.start.line, str(diagnostic.code))
    if found is not None:
        problem, outcome = found
        if isinstance(outcome, Repair):
            action = T.CodeAction(title=SEARCH_TITLE, kind=T.CodeActionKind.QuickFix,
                                  diagnostics=diagnostics, is_preferred=True)
            actions.append(_offering(ls, action, snapshot, repair_proof(problem, outcome),
                                     outcome))
        elif _shows_disabled(ls):
            actions.append(T.CodeAction(title=SEARCH_TITLE, kind=T.CodeActionKind.QuickFix,
                                        diagnostics=diagnostics,
                                        disabled=T.CodeActionDisabled(outcome.reason)))
    if ls.settings.llm.enabled:
        actions.append(T.CodeAction(
            title=TITLE, kind=T.CodeActionKind.QuickFix, diagnostics=diagnostics,
            data={"uri": snapshot.uri, "version": snapshot.version,
                  "line": diagnostic.range.start.line, "code": diagnostic.code,
                  "selection": [selection.start.line, selection.end.line] if selection
                  else None}))
    return actions


async def searched(ls: SovereignServer, snapshot: Snapshot, line: int,
                   code: str) -> tuple[Problem, Repair | NoRepair] | None:
    """The search's answer for the error at `line`, computed once per version: the client
    asks for the quick fixes again whenever the cursor moves. A request cancelled meanwhile
    leaves the search running for the next one."""
    key = (snapshot.uri, snapshot.version, line, code)
    task = ls.searches.get(key)
    if task is None:
        for old in [k for k in ls.searches if (current := ls.snapshot(k[0])) is None or
                    current.version != k[1]]:
            del ls.searches[old]
        task = ls.searches[key] = asyncio.ensure_future(_search(ls, snapshot, line, code))
    return await asyncio.shield(task)


async def _search(ls: SovereignServer, snapshot: Snapshot, line: int,
                  code: str) -> tuple[Problem, Repair | NoRepair] | None:
    await ls.with_settings()
    problem = await asyncio.to_thread(diagnose, snapshot.lf_text, ls.settings.sandbox, line=line,
                                      code=code)
    if problem is None:
        return None
    evolver = ls.generations.services(ls).evolver
    return problem, await evolver.evolve(snapshot.lf_text, problem, search="only")


def _shows_disabled(ls: SovereignServer) -> bool:
    document = ls.client_capabilities.text_document
    action = document.code_action if document else None
    return bool(action and action.disabled_support)


async def resolve(ls: SovereignServer, action: T.CodeAction) -> T.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    snapshot = _current(ls, data.get("uri", ""), data.get("version"))
    problem = diagnose(snapshot.lf_text, ls.settings.sandbox, line=data.get("line"),
                       code=data.get("code"))
    if problem is None:
        ls.window_show_message(T.ShowMessageParams(
            type=T.MessageType.Info, message="That problem is gone: nothing to evolve."))
        return action
    if data.get("selection"):
        first, last = data["selection"]
        problem = replace(problem, first=first, last=last)
    outcome = await _evolve(ls, snapshot, problem, "", search="never")
    if isinstance(outcome, str):
        ls.window_show_message(T.ShowMessageParams(type=T.MessageType.Warning, message=outcome))
        return action
    action.title = f"{TITLE} ({outcome.by}, confidence {outcome.confidence:.2f})"
    return _offering(ls, action, snapshot, repair_proof(problem, outcome), outcome)


def _offering(ls: SovereignServer, action: T.CodeAction, snapshot: Snapshot,
              proof: dict[str, Any], repair: Repair) -> T.CodeAction:
    """`action` carrying the repair: the client's preview command with the edit and its
    proof, or the edit itself, under an annotation that needs confirmation where the client
    supports one."""
    if PREVIEW_REPAIR in ls.client_commands:
        action.command = T.Command(title="Preview the repair", command=PREVIEW_REPAIR,
                                   arguments=[_edit(snapshot, repair, None), proof])
    else:
        action.edit = _edit(snapshot, repair, proof if _annotations(ls) else None)
    return action


async def evolve_selection(ls: SovereignServer, uri: str, selection: T.Range,
                           instruction: str) -> dict[str, Any]:
    """Change the selected lines as `instruction` says (or repair them), validated like a
    quick fix. A client that previews repairs gets the edit and its proof to show and apply;
    any other gets the edit through workspace/applyEdit, under an annotation that needs
    confirmation."""
    snapshot = ls.snapshot(uri)
    if snapshot is None:
        return {"ok": False, "reason": f"{uri} is not open"}
    first, last = selection.start.line, max(selection.start.line, selection.end.line - (
        1 if selection.end.character == 0 and selection.end.line > selection.start.line else 0))
    found = diagnose(snapshot.lf_text, ls.settings.sandbox)
    if found is not None and first <= found.line <= last:
        problem = replace(found, first=first, last=last)
    else:
        problem = Problem("requested change", "", instruction or "improve this code",
                          first, first, last)
    outcome = await _evolve(ls, snapshot, problem, instruction)
    if isinstance(outcome, str):
        return {"ok": False, "reason": outcome}
    proof = repair_proof(problem, outcome)
    if PREVIEW_REPAIR in ls.client_commands:
        return {"ok": True, "edit": _edit(snapshot, outcome, None), "proof": proof}
    edit = _edit(snapshot, outcome, proof if _annotations(ls) else None)
    applied = await ls.workspace_apply_edit_async(T.ApplyWorkspaceEditParams(
        edit=edit, label="Sovereign: evolve selection"))
    return {"ok": applied.applied, "proof": proof}


async def _evolve(ls: SovereignServer, snapshot: Snapshot, problem: Problem,
                  instruction: str, search: SearchUse = "first") -> Repair | str:
    """A validated repair, or what to tell the user instead."""
    from ..evolve.engine import Repair

    await ls.with_settings()
    evolver = ls.generations.services(ls).evolver
    ls.generations.tell(ls, "working", f"evolving: {problem.category}")
    outcome = await with_progress(
        ls, "Sovereign: evolving", problem.category,
        lambda on_text: evolver.evolve(snapshot.lf_text, problem, instruction, on_text,
                                       search=search))
    _current(ls, snapshot.uri, snapshot.version)  # no edit for a document that changed
    if isinstance(outcome, Repair):
        ls.generations.tell(ls, "ready", f"repaired by {outcome.by}", outcome.model)
        return outcome
    message = refusal_message(outcome)
    ls.generations.tell(ls, "refused" if outcome.available else "unavailable", message)
    LOG.info("%s", message)
    return message


def refusal_message(outcome: NoRepair) -> str:
    """What the user reads when no repair is offered: why, and each candidate's failure."""
    if not outcome.available:
        return f"Evolve needs an LLM, and none could be asked: {outcome.reason}"
    rejected = [c.why for c in outcome.candidates if not c.ok]
    return "No repair passed validation" + (": " + "; ".join(rejected) if rejected else
                                            f": {outcome.reason}")


def repair_proof(problem: Problem, repair: Repair) -> dict[str, Any]:
    """What the sandbox saw, for the preview: the problem before, the run after, and each
    rejected candidate with why."""
    before = f"{problem.code} {problem.category} on line {problem.line + 1}: {problem.message}" \
        if problem.code else f"requested change: {problem.message}"
    return {
        "model": repair.by,
        "source": repair.origin,
        "confidence": repair.confidence,
        "before": before,
        "after": f"runs without error and {printed(repair.output)}",
        "rejected": [c.why for c in repair.candidates if not c.ok],
    }


def _edit(snapshot: Snapshot, repair: Repair, proof: dict[str, Any] | None) -> T.WorkspaceEdit:
    """The repair as a versioned edit of only the lines it changes, comments kept; under a
    change annotation that needs confirmation when `proof` is given."""
    changes = line_edits(snapshot.assembly.texts, repair.document.split("\n"))
    convert = snapshot.convert
    edits: list[T.TextEdit | T.AnnotatedTextEdit] = [
        convert.annotated_edit(change, ANNOTATION) if proof else convert.text_edit(change)
        for change in changes]
    document = T.OptionalVersionedTextDocumentIdentifier(uri=snapshot.uri,
                                                         version=snapshot.version)
    annotations = None if proof is None else {ANNOTATION: T.ChangeAnnotation(
        label=f"Evolve: repaired by {proof['model']}, confidence {proof['confidence']:.2f}",
        needs_confirmation=True,
        description=f"before: {proof['before']}; after: {proof['after']}; "
                    f"{len(proof['rejected'])} candidate(s) rejected")}
    return T.WorkspaceEdit(document_changes=[T.TextDocumentEdit(text_document=document,
                                                                edits=edits)],
                           change_annotations=annotations)


def _annotations(ls: SovereignServer) -> bool:
    workspace = ls.client_capabilities.workspace
    edit = workspace.workspace_edit if workspace else None
    return bool(edit and edit.change_annotation_support)


def _current(ls: SovereignServer, uri: str, version: object) -> Snapshot:
    """The document as the action saw it; a document that changed since is refused."""
    snapshot = ls.snapshot(uri)
    if snapshot is None or snapshot.version != version:
        raise JsonRpcContentModified(f"{uri} changed since the fix was listed")
    return snapshot
