"""LLMGEN in the editor: validated code offered where the user asks for it.

On a `; gen: ...` comment or an `LLMGEN "..."` line, an explicit completion (Ctrl+Space)
waits for the generation and offers a "Generate: ..." item; clients with inline completion
(LSP 3.18, VS Code) get the code as ghost text. A model is asked only when the user asks, or
when the line looks finished (the cursor at its end, and no edit for the debounce), never for
a prompt still being typed. A new request for the same document cancels the old one, which
closes the upstream HTTP request. A generation that takes more than a moment shows work-done
progress, which can cancel it. When no LLM is usable or no answer passes, the user is told
once through a `sovereign/status` notification and a warning in the log
(`window/logMessage`), and, when they asked explicitly (Ctrl+Space), a `window/showMessage`;
ordinary completion goes on as before.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lsprotocol import types as T

from ..generate.triggers import request_on
from ..lang.edits import LineEdit, line_edits
from .documents import Snapshot
from .server import SovereignServer

if TYPE_CHECKING:
    from ..generate.pipeline import Generation, Outcome

GENERATE = "sovereign.server.generate"
MODELS = "sovereign.server.models"


def register(server: SovereignServer) -> None:
    server.feature(T.TEXT_DOCUMENT_INLINE_COMPLETION, T.InlineCompletionOptions())(
        server.guarded(inline_completion, None))
    server.command(MODELS)(server.guarded(list_models, {"models": [], "problems": [FAILED],
                                                        "selected": None}))
    server.command(GENERATE)(server.guarded(generate_here, {"ok": False, "reason": FAILED}))


FAILED = "the request failed inside the server: see its log"


async def completion_items(ls: SovereignServer, snapshot: Snapshot, line: int,
                           snippets: bool, invoked: bool) -> list[T.CompletionItem]:
    """The "Generate: ..." item for a request on `line`. An explicit request (Ctrl+Space)
    waits for the generation, so the list the user asked for holds it; a completion the
    editor asks for by itself (a typed blank) only shows one that is ready, and starts no
    model call for a prompt still being typed."""
    if not ls.settings.llm.enabled or request_on(snapshot.assembly.texts[line]) is None:
        return []
    generations = ls.generations
    ready = generations.ready(ls, snapshot, line)
    if ready is None and invoked and not generations.refused(snapshot, line):
        outcome = await _wait_for(generations.start(ls, snapshot, line))
        from ..generate.pipeline import Generation  # loaded by now: the generation used it

        ready = outcome if isinstance(outcome, Generation) else None
        generations.explain(ls, outcome)
    return [] if ready is None else [_generated_item(snapshot, line, ready, snippets)]


def _generated_item(snapshot: Snapshot, line: int, ready: Generation,
                    snippets: bool) -> T.CompletionItem:
    """The item that puts a generation in place: the code after the request line, and, for an
    answer that also changed other lines, those lines as additional edits."""
    text = snapshot.assembly.texts[line]
    request = request_on(text) or ""
    inserted, others = _changes(snapshot, line, ready)
    new_text = "\n".join([text, *inserted])
    if snippets:  # as a snippet, \ $ and } would be syntax: escape them, in the line too
        new_text = new_text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")
    return T.CompletionItem(
        label=f"Generate: {request[:50]}",
        kind=T.CompletionItemKind.Snippet,
        detail=f"{ready.model} · {ready.verdict.summary}",
        documentation=f"```sovereign\n{ready.code}\n```",
        filter_text=text,
        sort_text="000",
        insert_text_format=T.InsertTextFormat.Snippet if snippets
        else T.InsertTextFormat.PlainText,
        text_edit=T.TextEdit(range=snapshot.convert.line_range(line), new_text=new_text),
        additional_text_edits=[snapshot.convert.text_edit(c) for c in others] or None,
    )


def _changes(snapshot: Snapshot, line: int,
             ready: Generation) -> tuple[tuple[str, ...], list[LineEdit]]:
    """The lines a generation inserts right after the request line, and its other changes."""
    changes = line_edits(snapshot.assembly.texts, ready.document.split("\n"))
    after = next((c for c in changes if c.first == line + 1 and c.last == line), None)
    return (after.lines if after else ()), [c for c in changes if c is not after]


async def _wait_for(task: asyncio.Task[Outcome] | None) -> Outcome | None:
    """The outcome of a generation, None when it was cancelled (by its progress's cancel
    button); a request that is cancelled (the client gave up, or the user typed on) cancels
    the generation, which closes the upstream request."""
    if task is None:
        return None
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        waiting = asyncio.current_task()
        if waiting is not None and waiting.cancelling():
            task.cancel()
            raise
        return None


async def inline_completion(ls: SovereignServer,
                            params: T.InlineCompletionParams) -> T.InlineCompletionList | None:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None or not ls.settings.llm.enabled:
        return None
    line, col = snapshot.convert.position(params.position)
    text = snapshot.assembly.texts[line]
    if request_on(text) is None:
        return None
    if params.context.trigger_kind != T.InlineCompletionTriggerKind.Invoked and \
            ls.generations.ready(ls, snapshot, line) is None and \
            not await _looks_finished(ls, snapshot, col, text):
        return None
    outcome = await _wait_for(ls.generations.start(ls, snapshot, line))
    from ..generate.pipeline import Generation  # loaded by now: the generation used it

    if params.context.trigger_kind == T.InlineCompletionTriggerKind.Invoked:
        ls.generations.explain(ls, outcome)
    if not isinstance(outcome, Generation):
        return None
    inserted, others = _changes(snapshot, line, outcome)
    if others:
        return None  # ghost text shows an insertion only; completion offers the rest
    return T.InlineCompletionList(items=[T.InlineCompletionItem(
        insert_text="\n".join([text, *inserted]), range=snapshot.convert.line_range(line))])


async def _looks_finished(ls: SovereignServer, snapshot: Snapshot, col: int, text: str) -> bool:
    """Whether a request the editor asks about by itself is finished: the cursor is at the end
    of the line, and the document stays unchanged for the debounce. A prompt still being typed
    never reaches a model."""
    if col < len(text.rstrip()):
        return False
    await asyncio.sleep(ls.settings.llm.debounce_ms / 1000)
    current = ls.snapshot(snapshot.uri)
    return current is not None and current.version == snapshot.version


async def list_models(ls: SovereignServer) -> dict[str, Any]:
    """The models the configured hosts offer, for the editor's model picker."""
    await ls.with_settings()
    manager = ls.generations.services(ls).manager
    models = await manager.refresh()
    return {"models": [{"name": m.name, "host": m.host,
                        "capabilities": sorted(m.capabilities),
                        "contextLength": m.context_length} for m in models],
            "problems": manager.problems, "selected": ls.settings.llm.model}


async def generate_here(ls: SovereignServer, uri: str, line: int) -> dict[str, Any]:
    """Generate code for the request on `line` and insert it below, for clients without
    completion triggers. Answers what happened."""
    snapshot = ls.snapshot(uri)
    if snapshot is None or not 0 <= line < len(snapshot.assembly.texts):
        return {"ok": False, "reason": f"{uri} is not open, or has no line {line + 1}"}
    task = ls.generations.start(ls, snapshot, line)
    if task is None:
        return {"ok": False, "reason": "this line asks for nothing: write `; gen: what you "
                                       "want` or `LLMGEN \"what you want\"`"}
    from ..generate.pipeline import Generation

    outcome = await task
    if not isinstance(outcome, Generation):
        return {"ok": False, "reason": outcome.reason}
    changes = line_edits(snapshot.assembly.texts, outcome.document.split("\n"))
    edit = T.WorkspaceEdit(document_changes=[T.TextDocumentEdit(
        text_document=T.OptionalVersionedTextDocumentIdentifier(uri=uri,
                                                                version=snapshot.version),
        edits=[snapshot.convert.text_edit(c) for c in changes])])
    applied = await ls.workspace_apply_edit_async(T.ApplyWorkspaceEditParams(
        edit=edit, label="Sovereign: generate code"))
    return {"ok": applied.applied, "code": outcome.code, "model": outcome.model,
            "validation": outcome.verdict.summary}

