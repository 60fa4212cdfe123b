"""Finding your way: hover, definition, references, highlight, rename, symbols."""

from __future__ import annotations

from lsprotocol import types as T
from pygls.exceptions import JsonRpcInvalidParams

from ..lang.expectations import expectation_hover
from ..lang.findings import Span
from ..lang.hover import hover
from ..lang.lexer import IDENTIFIER, string_literal
from ..lang.outline import Section, sections
from ..lang.symbols import LABEL, Occurrence, Role
from .convert import markup
from .documents import Snapshot
from .server import SovereignServer


def register(server: SovereignServer) -> None:
    server.feature(T.TEXT_DOCUMENT_HOVER)(server.guarded(on_hover, None))
    server.feature(T.TEXT_DOCUMENT_DEFINITION)(server.guarded(definition, None))
    server.feature(T.TEXT_DOCUMENT_REFERENCES)(server.guarded(references, []))
    server.feature(T.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)(server.guarded(highlight, []))
    server.feature(T.TEXT_DOCUMENT_PREPARE_RENAME)(server.guarded(prepare_rename, None))
    server.feature(T.TEXT_DOCUMENT_RENAME)(server.guarded(rename, None))
    server.feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(server.guarded(document_symbols, []))
    server.feature(T.WORKSPACE_SYMBOL)(server.guarded(workspace_symbols, []))


def _at(ls: SovereignServer, uri: str,
        position: T.Position) -> tuple[Snapshot, Occurrence] | tuple[None, None]:
    snapshot = ls.snapshot(uri)
    if snapshot is None:
        return None, None
    line, col = snapshot.convert.position(position)
    occurrence = snapshot.index.at(line, col)
    return (snapshot, occurrence) if occurrence is not None else (None, None)


def on_hover(ls: SovereignServer, params: T.HoverParams) -> T.Hover | None:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return None
    line, col = snapshot.convert.position(params.position)
    found = hover(snapshot.index, line, col)
    if found is None and (expected := expectation_hover(
            snapshot.assembly.texts, line, snapshot.run.output if snapshot.run else None)):
        found = Span(line, 0, len(snapshot.assembly.texts[line])), expected
    if found is None:
        return None
    span, markdown = found
    document = ls.client_capabilities.text_document
    formats = document.hover.content_format if document and document.hover else []
    return T.Hover(contents=markup(markdown, formats or []),
                   range=snapshot.convert.lsp_range(span))


def definition(ls: SovereignServer, params: T.DefinitionParams) -> T.Location | None:
    snapshot, occurrence = _at(ls, params.text_document.uri, params.position)
    if snapshot is None or occurrence is None:
        return None
    target = snapshot.index.definition(occurrence.kind, occurrence.name)
    return snapshot.convert.location(target.span) if target is not None else None


def references(ls: SovereignServer, params: T.ReferenceParams) -> list[T.Location]:
    snapshot, occurrence = _at(ls, params.text_document.uri, params.position)
    if snapshot is None or occurrence is None:
        return []
    include = params.context.include_declaration
    return [snapshot.convert.location(o.span)
            for o in snapshot.index.of(occurrence.kind, occurrence.name)
            if include or o.role is not Role.DEFINITION]


def highlight(ls: SovereignServer,
              params: T.DocumentHighlightParams) -> list[T.DocumentHighlight]:
    snapshot, occurrence = _at(ls, params.text_document.uri, params.position)
    if snapshot is None or occurrence is None:
        return []
    writes = (Role.DEFINITION, Role.STORE)
    return [T.DocumentHighlight(
        range=snapshot.convert.lsp_range(o.span),
        kind=T.DocumentHighlightKind.Write if o.role in writes else T.DocumentHighlightKind.Read)
        for o in snapshot.index.of(occurrence.kind, occurrence.name)]


def prepare_rename(ls: SovereignServer,
                   params: T.PrepareRenameParams) -> T.PrepareRenamePlaceholder | None:
    snapshot, occurrence = _at(ls, params.text_document.uri, params.position)
    if snapshot is None or occurrence is None:
        return None
    return T.PrepareRenamePlaceholder(range=snapshot.convert.lsp_range(occurrence.span),
                                      placeholder=occurrence.name)


def rename(ls: SovereignServer, params: T.RenameParams) -> T.WorkspaceEdit | None:
    snapshot, occurrence = _at(ls, params.text_document.uri, params.position)
    if snapshot is None or occurrence is None:
        return None
    new = params.new_name
    if occurrence.kind == LABEL and not IDENTIFIER.fullmatch(new):
        raise JsonRpcInvalidParams(f"'{new}' is not a valid label: a label is a letter or _ "
                                   "followed by letters, digits or _")
    if not new or "\n" in new:
        raise JsonRpcInvalidParams("a memory name must be a non-empty name on one line")
    edits = [T.TextEdit(range=snapshot.convert.lsp_range(o.span), new_text=_written(o, new))
             for o in snapshot.index.of(occurrence.kind, occurrence.name)]
    return T.WorkspaceEdit(changes={snapshot.uri: edits})


def _written(occurrence: Occurrence, name: str) -> str:
    """How `name` is written where `occurrence` was: quoted stays quoted, and a memory name
    that is not an identifier gets quotes."""
    if occurrence.quoted or not IDENTIFIER.fullmatch(name):
        return string_literal(name)
    return name


def document_symbols(ls: SovereignServer,
                     params: T.DocumentSymbolParams) -> list[T.DocumentSymbol]:
    snapshot = ls.snapshot(params.text_document.uri)
    if snapshot is None:
        return []
    return [_symbol(snapshot, section) for section in sections(snapshot.index)]


def _symbol(snapshot: Snapshot, section: Section) -> T.DocumentSymbol:
    convert = snapshot.convert
    last_text = snapshot.assembly.texts[section.last_line]
    return T.DocumentSymbol(
        name=section.name,
        kind=T.SymbolKind.Function if section.subroutine else T.SymbolKind.Key,
        detail="subroutine" if section.subroutine else "label",
        range=T.Range(start=convert.lsp_position(section.first_line, 0),
                      end=convert.lsp_position(section.last_line, len(last_text))),
        selection_range=convert.lsp_range(section.label),
        children=[_symbol(snapshot, child) for child in section.children],
    )


def workspace_symbols(ls: SovereignServer,
                      params: T.WorkspaceSymbolParams) -> list[T.WorkspaceSymbol]:
    query = params.query.lower()
    found = []
    for uri in sorted(ls.open_uris):
        snapshot = ls.snapshot(uri)
        if snapshot is None:
            continue
        for top in sections(snapshot.index):
            for section in (top, *top.children):
                if query in section.name.lower():
                    found.append(T.WorkspaceSymbol(
                        name=section.name,
                        kind=T.SymbolKind.Function if section.subroutine else T.SymbolKind.Key,
                        location=snapshot.convert.location(section.label),
                        container_name=top.name if section is not top else None))
    return found
