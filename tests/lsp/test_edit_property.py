"""Property: random edit sequences (insertions, deletions, garbage, huge lines) never make a
feature fail, and every request after them still gets an answer."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as T
from pygls.workspace import TextDocument

from .conftest import RecordingClient, in_process

URI = "file:///tmp/sovereign-property/edit.sov"
PIECES = ["", "\n", "PUSH #1\n", "#", "9" * 40, '"', "'", "\\", "JMP x", "x:", "CALL x",
          "RET", ";", "\x00", "\udcff", "😀", "é", "\t", "\r\n", "LLMGEN 'p'", "ROT ADD",
          "A" * 20_000, "\n" * 50]

_edit = st.tuples(st.integers(0, 60), st.integers(0, 30), st.integers(0, 3),
                  st.integers(0, 30), st.sampled_from(PIECES))


async def exercise(edits: list[tuple[int, int, int, int, str]]) -> None:
    async with in_process(None, T.ClientCapabilities()) as client:
        await edit_and_ask(client, edits)


async def edit_and_ask(client: RecordingClient,
                       edits: list[tuple[int, int, int, int, str]]) -> None:
    local = TextDocument(URI, "PUSH #1\nPRINT\n", version=1)
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=URI, language_id="sovereign", version=1, text=local.source)))
    for version, (line, col, span, end_col, text) in enumerate(edits, start=2):
        lines = max(1, len(local.lines))
        start = T.Position(line=line % lines, character=col)
        end = T.Position(line=min(lines - 1, line % lines + span), character=end_col)
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        change = T.TextDocumentContentChangePartial(range=T.Range(start=start, end=end),
                                                    text=text)
        local.apply_change(change)
        client.text_document_did_change(T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=[change]))
    document = T.TextDocumentIdentifier(uri=URI)
    here = T.Position(line=0, character=1)
    answers = await asyncio.gather(
        client.text_document_hover_async(T.HoverParams(text_document=document, position=here)),
        client.text_document_completion_async(T.CompletionParams(text_document=document,
                                                                 position=here)),
        client.text_document_semantic_tokens_full_async(T.SemanticTokensParams(
            text_document=document)),
        client.text_document_document_symbol_async(T.DocumentSymbolParams(
            text_document=document)),
        client.text_document_formatting_async(T.DocumentFormattingParams(
            text_document=document, options=T.FormattingOptions(tab_size=4,
                                                                insert_spaces=True))),
        client.text_document_folding_range_async(T.FoldingRangeParams(text_document=document)),
    )
    assert answers[2] is not None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_edit, min_size=1, max_size=40))
def test_random_edits_never_crash_the_server(edits: list[tuple[int, int, int, int, str]]) -> None:
    """In process, so that the harness can assert that no feature failed on the way."""
    asyncio.run(exercise(edits))
