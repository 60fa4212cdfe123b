"""Open and edit documents, and wait for the server's diagnostics of a version."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from lsprotocol import types as T

from .conftest import RecordingClient

_NUMBERS = itertools.count()


def new_uri(name: str = "prog") -> str:
    return f"file:///tmp/sovereign-tests/{name}{next(_NUMBERS)}.sov"


def publications(client: RecordingClient, uri: str,
                 version: int | None = None) -> list[T.PublishDiagnosticsParams]:
    return [p for p in client.published
            if p.uri == uri and (version is None or p.version == version)]


async def settled(client: RecordingClient, uri: str, version: int,
                  runtime: bool = True) -> list[T.Diagnostic]:
    """The diagnostics of `version`: the static ones, or with `runtime` the second publication
    (which holds the sandbox's result). A document that does not assemble gets only one."""
    def ready() -> bool:
        found = publications(client, uri, version)
        if not found:
            return False
        broken = any(str(d.code).startswith("E") for d in found[0].diagnostics)
        return not runtime or broken or len(found) >= 2

    await client.until(ready)
    return list(publications(client, uri, version)[-1 if runtime else 0].diagnostics)


async def open_document(client: RecordingClient, text: str, uri: str | None = None,
                        runtime: bool = True) -> str:
    """Open a document and wait for its diagnostics."""
    uri = uri or new_uri()
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=uri, language_id="sovereign", version=1, text=text)))
    await settled(client, uri, 1, runtime)
    return uri


def change(client: RecordingClient, uri: str, version: int, line: int, start: int, end: int,
           text: str) -> None:
    """Replace [start, end) of one line with `text` (an incremental change)."""
    client.text_document_did_change(T.DidChangeTextDocumentParams(
        text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[T.TextDocumentContentChangePartial(
            range=T.Range(start=position(line, start), end=position(line, end)), text=text)]))


def position(line: int, character: int) -> T.Position:
    return T.Position(line=line, character=character)


def document(uri: str) -> T.TextDocumentIdentifier:
    return T.TextDocumentIdentifier(uri=uri)


def applied(text: str, edits: Sequence[T.TextEdit | T.AnnotatedTextEdit]) -> str:
    """`text` with LSP edits applied (ASCII text: columns are code points)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(position: T.Position) -> int:
        return min(offsets[min(position.line, len(lines))] + position.character, len(text))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                       reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text
