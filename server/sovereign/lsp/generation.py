"""LLMGEN in the editor: validated code offered where the user asks for it.

On a `; gen: ...` comment or an `LLMGEN "..."` line, completion answers at once with what it
already has (the ordinary items, and a "Generate: ..." item once a generation is ready) and
marks the list incomplete while a generation runs in the background, so the next keystroke's
completion brings it. Clients with inline completion (LSP 3.18, VS Code) get the code as ghost
text. Either way a new request for the same document cancels the old one, which closes the
upstream HTTP request. A generation that takes more than a moment shows work-done progress,
which can cancel it. When no LLM is usable, the user is told once through a `sovereign/status`
notification and a log line, and ordinary completion goes on as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types as T

from ..generate.triggers import request_on
from .documents import Snapshot
from .server import SERVER, SovereignServer

GENERATE = "sovereign.generate"
MODELS = "sovereign.models"


def completion_items(ls: SovereignServer, snapshot: Snapshot, line: int,
                     snippets: bool) -> tuple[list[T.CompletionItem], bool]:
    """The "Generate: ..." item when its code is ready, and whether the list is incomplete
    (a generation is still running for this line)."""
    if not ls.settings.llm.enabled:
        return [], False
    text = snapshot.assembly.texts[line]
    if (request := request_on(text)) is None:
        return [], False
    generations = ls.generations
    ready = generations.ready(ls, snapshot, line)
    if ready is None and generations.refused(snapshot, line):
        return [], False
    if ready is None:
        generations.start(ls, snapshot, line, ls.settings.llm.debounce_ms / 1000)
        return [], True
    new_text = f"{text}\n{ready.code}"
    if snippets:  # as a snippet, \ $ and } would be syntax: escape them, in the line too
        new_text = new_text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")
    return [T.CompletionItem(
        label=f"Generate: {request[:50]}",
        kind=T.CompletionItemKind.Snippet,
        detail=f"{ready.model}, {ready.verdict.summary}",
        documentation=f"```sovereign\n{ready.code}\n```",
        filter_text=text,
        sort_text="000",
        insert_text_format=T.InsertTextFormat.Snippet if snippets
        else T.InsertTextFormat.PlainText,
        text_edit=T.TextEdit(range=snapshot.convert.line_range(line), new_text=new_text),
    )], False


@SERVER.feature(T.TEXT_DOCUMENT_INLINE_COMPLETION, T.InlineCompletionOptions())
async def inline_completion(ls: SovereignServer,
                            params: T.InlineCompletionParams) -> T.InlineCompletionList | None:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None or not ls.settings.llm.enabled:
        return None
    line, _ = snapshot.convert.position(params.position)
    if request_on(snapshot.assembly.texts[line]) is None:
        return None
    delay = 0 if params.context.trigger_kind == T.InlineCompletionTriggerKind.Invoked \
        else ls.settings.llm.debounce_ms / 1000
    task = ls.generations.start(ls, snapshot, line, delay)
    if task is None:
        return None
    try:
        outcome = await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()  # the client gave up (it cancelled, or the user typed on): stop upstream
        raise
    from ..generate.pipeline import Generation  # loaded by now: the generation used it

    if not isinstance(outcome, Generation):
        return None
    text = snapshot.assembly.texts[line]
    return T.InlineCompletionList(items=[T.InlineCompletionItem(
        insert_text=f"{text}\n{outcome.code}", range=snapshot.convert.line_range(line))])


@SERVER.command(MODELS)
async def list_models(ls: SovereignServer) -> dict[str, Any]:
    """The models the configured hosts offer, for the editor's model picker."""
    await ls.with_settings()
    manager = ls.generations.manager(ls)
    models = await manager.refresh()
    return {"models": [{"name": m.name, "host": m.host,
                        "capabilities": sorted(m.capabilities),
                        "contextLength": m.context_length} for m in models],
            "problems": manager.problems, "selected": ls.settings.llm.model}


@SERVER.command(GENERATE)
async def generate_here(ls: SovereignServer, uri: str, line: int) -> dict[str, Any]:
    """Generate code for the request on `line` and insert it below, for clients without
    completion triggers. Answers what happened."""
    snapshot = ls.snapshot(uri)
    if snapshot is None or not 0 <= line < len(snapshot.assembly.texts):
        return {"ok": False, "reason": f"{uri} is not open, or has no line {line + 1}"}
    task = ls.generations.start(ls, snapshot, line, 0)
    if task is None:
        return {"ok": False, "reason": "this line asks for nothing: write `; gen: what you "
                                       "want` or `LLMGEN \"what you want\"`"}
    from ..generate.pipeline import Generation

    outcome = await task
    if not isinstance(outcome, Generation):
        return {"ok": False, "reason": outcome.reason}
    text = snapshot.assembly.texts[line]
    edit = T.WorkspaceEdit(changes={uri: [T.TextEdit(range=snapshot.convert.line_range(line),
                                                      new_text=f"{text}\n{outcome.code}")]})
    applied = await ls.workspace_apply_edit_async(T.ApplyWorkspaceEditParams(
        edit=edit, label="Sovereign: generate code"))
    return {"ok": applied.applied, "code": outcome.code, "model": outcome.model,
            "validation": outcome.verdict.summary}

