"""Writing code: completion, formatting, folding, semantic tokens and inlay hints."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as T

from ..lang.analysis import StackInfo
from ..lang.completion import Candidate, complete
from ..lang.formatter import format_lines
from ..lang.highlight import KINDS, MODIFIERS, Highlight, highlights
from ..lang.outline import folds
from ..vm.live import LiveValues, live_label
from .convert import markup
from .documents import Snapshot
from .generation import completion_items
from .server import SovereignServer

LEGEND = T.SemanticTokensLegend(token_types=list(KINDS), token_modifiers=list(MODIFIERS))
NO_TOKENS = T.SemanticTokens(data=[])


def register(server: SovereignServer) -> None:
    server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(
        trigger_characters=[" "], resolve_provider=False))(server.guarded(completion, None))
    server.feature(T.TEXT_DOCUMENT_FORMATTING)(server.guarded(formatting, []))
    server.feature(T.TEXT_DOCUMENT_RANGE_FORMATTING)(server.guarded(range_formatting, []))
    server.feature(T.TEXT_DOCUMENT_FOLDING_RANGE)(server.guarded(folding, []))
    server.feature(T.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)(
        server.guarded(semantic_tokens, NO_TOKENS))
    server.feature(T.TEXT_DOCUMENT_SEMANTIC_TOKENS_RANGE, LEGEND)(
        server.guarded(semantic_tokens_range, NO_TOKENS))
    server.feature(T.TEXT_DOCUMENT_INLAY_HINT)(server.guarded(inlay_hints, []))


_KINDS = {"keyword": T.CompletionItemKind.Keyword, "label": T.CompletionItemKind.Reference,
          "variable": T.CompletionItemKind.Variable}


async def completion(ls: SovereignServer, params: T.CompletionParams) -> T.CompletionList | None:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return None
    line, col = snapshot.convert.position(params.position)
    item = _completion_item_capabilities(ls)
    snippets = bool(item and item.snippet_support)
    formats = item.documentation_format if item else []
    candidates = complete(snapshot.index, line, col)
    context = params.context
    invoked = context is None or context.trigger_kind == T.CompletionTriggerKind.Invoked
    generated = await completion_items(ls, snapshot, line, snippets, invoked)
    return T.CompletionList(is_incomplete=False,
                            items=generated + [_item(c, snippets, formats) for c in candidates])


def _item(candidate: Candidate, snippets: bool,
          formats: Sequence[T.MarkupKind] | None) -> T.CompletionItem:
    use_snippet = snippets and candidate.snippet != candidate.text
    return T.CompletionItem(
        label=candidate.label,
        kind=_KINDS.get(candidate.kind),
        detail=candidate.detail,
        documentation=markup(candidate.documentation, formats or [])
        if candidate.documentation else None,
        insert_text=candidate.snippet if use_snippet else candidate.text,
        insert_text_format=T.InsertTextFormat.Snippet if use_snippet
        else T.InsertTextFormat.PlainText,
        sort_text=candidate.sort,
        filter_text=candidate.label,
    )


def _completion_item_capabilities(ls: SovereignServer) -> T.ClientCompletionItemOptions | None:
    document = ls.client_capabilities.text_document
    completion = document.completion if document else None
    return completion.completion_item if completion else None


def formatting(ls: SovereignServer, params: T.DocumentFormattingParams) -> list[T.TextEdit]:
    snapshot = ls.snapshot(params.text_document.uri)
    return [] if snapshot is None else _format(snapshot, 0, len(snapshot.assembly.texts) - 1)


def range_formatting(ls: SovereignServer,
                     params: T.DocumentRangeFormattingParams) -> list[T.TextEdit]:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return []
    return _format(snapshot, *snapshot.convert.lines(params.range))


def _format(snapshot: Snapshot, first: int, last: int) -> list[T.TextEdit]:
    """One edit per line in [first, last] that the formatter changes."""
    formatted = format_lines(snapshot.assembly)
    texts = snapshot.assembly.texts
    return [T.TextEdit(range=snapshot.convert.line_range(number), new_text=formatted[number])
            for number in range(first, last + 1) if formatted[number] != texts[number]]


def folding(ls: SovereignServer, params: T.FoldingRangeParams) -> list[T.FoldingRange]:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return []
    return [T.FoldingRange(start_line=fold.first_line, end_line=fold.last_line,
                           kind=T.FoldingRangeKind.Comment if fold.comment
                           else T.FoldingRangeKind.Region)
            for fold in folds(snapshot.index)]


def semantic_tokens(ls: SovereignServer, params: T.SemanticTokensParams) -> T.SemanticTokens:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return T.SemanticTokens(data=[])
    return T.SemanticTokens(data=_encode(snapshot, highlights(snapshot.index)))


def semantic_tokens_range(ls: SovereignServer,
                          params: T.SemanticTokensRangeParams) -> T.SemanticTokens:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return T.SemanticTokens(data=[])
    first, last = snapshot.convert.lines(params.range)
    inside = [h for h in highlights(snapshot.index) if first <= h.line <= last]
    return T.SemanticTokens(data=_encode(snapshot, inside))


def _encode(snapshot: Snapshot, found: list[Highlight]) -> list[int]:
    """Five integers per token: line delta, start delta, length, kind, modifier bits."""
    data: list[int] = []
    previous_line = previous_start = 0
    for item in found:
        start = snapshot.convert.lsp_position(item.line, item.col).character
        end = snapshot.convert.lsp_position(item.line, item.end).character
        line_delta = item.line - previous_line
        data += [line_delta, start - previous_start if line_delta == 0 else start, end - start,
                 KINDS.index(item.kind),
                 sum(1 << MODIFIERS.index(m) for m in item.modifiers)]
        previous_line, previous_start = item.line, start
    return data


def inlay_hints(ls: SovereignServer, params: T.InlayHintParams) -> list[T.InlayHint]:
    """The analysis's stack after each instruction (`sovereign.inlayHints.enabled`), and the
    live values of the sandbox run (`sovereign.liveValues`), on the lines asked for."""
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return []
    lines = snapshot.convert.lines(params.range)
    hints = []
    if ls.settings.inlay_hints.enabled and snapshot.analysis is not None:
        hints += _stack_hints(snapshot, lines)
    if ls.settings.live_values and snapshot.run is not None and snapshot.run.live is not None:
        hints += _live_hints(snapshot, snapshot.run.live, lines)
    return hints


def _stack_hints(snapshot: Snapshot, lines: tuple[int, int]) -> list[T.InlayHint]:
    assert snapshot.analysis is not None
    first, last = lines
    hints = []
    for index, after in sorted(snapshot.analysis.stack_after.items()):
        instruction = snapshot.assembly.program.code[index]
        if first <= instruction.line <= last:
            hints.append(T.InlayHint(
                position=snapshot.convert.lsp_position(instruction.line, instruction.end),
                label=stack_label(after), padding_left=True,
                tooltip="the stack after this instruction (depth, and the known types on top)"))
    return hints


def _live_hints(snapshot: Snapshot, live: LiveValues,
                lines: tuple[int, int]) -> list[T.InlayHint]:
    first, last = lines
    code = snapshot.assembly.program.code
    hints = []
    for index, seen in live.seen().items():
        instruction = code[index]
        if first <= instruction.line <= last:
            hints.append(T.InlayHint(
                position=snapshot.convert.lsp_position(instruction.line,
                                                       len(snapshot.assembly.texts[
                                                           instruction.line])),
                label=live_label(seen), padding_left=True,
                tooltip="the top of the stack after this line, in the sandbox run"))
    return hints


def stack_label(after: StackInfo) -> str:
    """`→ 2 [int str]`: the depth (a range when paths differ, +n inside a subroutine, relative
    to its entry) and the types known on top, top last."""
    def number(value: float) -> str:
        if value in (float("inf"), float("-inf")):
            return "?"
        text = str(int(value))
        return f"+{text}" if after.relative and value >= 0 else text

    depth = number(after.low) if after.low == after.high else \
        f"{number(after.low)}..{number(after.high)}"
    known = after.types
    types = f" [{' '.join(known)}]" if any(t != "?" for t in known) else ""
    return f"→ {depth}{types}"
