"""The server's copy of a document, broken into lines where the LSP breaks them.

pygls breaks a document with `str.splitlines`, which also breaks at a form feed, U+2028 and
six more characters that the LSP (and so every client) counts as text. An incremental edit on a
line after one of them then lands on the wrong line, and the server's copy of the document is
no longer the client's: its diagnostics, hovers and edits are for text the user never wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from lsprotocol import types as T
from pygls.workspace import TextDocument, Workspace

from ..lang.lexer import text_lines
from ..lang.versions import Edit, Window, changed_window

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""A line with its ending: LF, CRLF or a lone CR, the LSP's three."""


class _Kept(NamedTuple):
    """The document's lines, kept from one edit to the next."""

    text: str | None
    """The text they were found in; None when edits made them since and the text they make
    has not been asked for (`source` joins them then)."""
    lines: list[str]
    """The LSP lines, each with its break, edited in place."""
    texts: tuple[str, ...]
    """The lines as the core reads them, a new tuple for each version."""


class LspDocument(TextDocument):
    """A document kept in LSP lines. pygls rebuilt the whole text line by line on every
    incremental edit, and the lines were found again in all of it: two passes over a
    10,000-line file on the event loop per keystroke. Here an edit splits again only the
    lines it touches, with one more on either side (a CR at the end of one line and an LF at
    the start of the next are one line break), replaces them in place, and joins the text
    only when something asks for it: the core reads `texts`."""

    _kept: _Kept | None = None
    _edit: tuple[tuple[str, ...], Edit] | None = None
    """The texts the last incremental change made, and how it made them."""

    @property
    def source(self) -> str:
        kept = self._kept
        if kept is not None and kept.text is None and self._source is None:
            self._source = "".join(kept.lines)
            self._kept = kept._replace(text=self._source)
        return super().source

    def _current(self) -> _Kept:
        """The kept lines, found again in the text when something other than an incremental
        change (pygls's full change) replaced it."""
        kept = self._kept
        if kept is None or kept.text is not self._source:
            source = self.source
            kept = self._kept = _Kept(source, _LINE.findall(source),
                                      tuple(text_lines(source.removeprefix("\ufeff"))))
        return kept

    @property
    def lines(self) -> Sequence[str]:
        return self._current().lines

    @property
    def texts(self) -> Sequence[str]:
        """The lines as the core reads them (`text_lines` of the text after a BOM): each
        line without its break, and an empty last line after a final break. An edit keeps
        the ones it did not touch as the same objects, so the assembler finds what changed
        by identity rather than by comparing every line."""
        return self._current().texts

    @property
    def edit(self) -> Edit | None:
        """How an incremental change made `texts` from the ones before, so that the assembler
        need not look for the lines it changed; None when they came otherwise."""
        if self._edit is None or self._edit[0] is not self.texts:
            return None
        return self._edit[1]

    def _apply_incremental_change(self, change: T.TextDocumentContentChangePartial) -> None:
        lines, texts = self._current().lines, self._current().texts
        edited = self.position_codec.range_from_client_units(lines, change.range)
        start, end = edited.start, edited.end
        first, last = max(start.line - 1, 0), min(end.line + 1, len(lines) - 1)
        head = "".join(lines[first:start.line]) + (
            lines[start.line][:start.character] if start.line < len(lines) else "")
        tail = (lines[end.line][end.character:] if end.line < len(lines) else "") + \
            "".join(lines[end.line + 1:last + 1])
        middle = _LINE.findall(head + change.text + tail)
        new_texts, edit = _edited_texts(texts, first, last, middle, len(lines))
        lines[first:last + 1] = middle
        self._source = None
        self._kept = _Kept(None, lines, new_texts)
        self._edit = None if edit is None else (new_texts, edit)


def _edited_texts(texts: Sequence[str], first: int, last: int, middle: list[str],
                  count: int) -> tuple[tuple[str, ...], Edit | None]:
    """`texts` after lines[first:last + 1] of `count` lines became the lines `middle`, and
    the edit that made them (None when no line changed)."""
    joined = "".join(middle)
    fresh = text_lines(joined.removeprefix("\ufeff") if first == 0 else joined)
    at_end = last + 1 >= count
    if not at_end:
        fresh.pop()  # what follows the last break here is the next line, not an empty one
    high = len(texts) if at_end else last + 1
    within = changed_window(tuple(fresh), tuple(texts[first:high]))  # beside it: equal lines
    edit = None if within is None else Edit(texts, Window(
        first + within.low, first + within.old_high, first + within.new_high))
    return (*texts[:first], *fresh, *texts[high:]), edit


def edit_of(document: TextDocument) -> Edit | None:
    """`LspDocument.edit`, where the document is ours."""
    return document.edit if isinstance(document, LspDocument) else None


def texts_of(document: TextDocument) -> Sequence[str]:
    """The document's lines as the core reads them, kept by edits where it is ours (one a
    client opened before `initialize`, which swaps in our workspace, is pygls's own)."""
    if isinstance(document, LspDocument):
        return document.texts
    return text_lines(document.source.removeprefix("\ufeff"))


class LspWorkspace(Workspace):
    def _create_text_document(self, doc_uri: str, source: str | None = None,
                              version: int | None = None,
                              language_id: str | None = None) -> TextDocument:
        return LspDocument(doc_uri, source=source, version=version, language_id=language_id,
                           sync_kind=self._sync_kind, position_codec=self._position_codec)


def with_lsp_line_breaks(workspace: Workspace) -> LspWorkspace:
    """`workspace` (as pygls builds it at `initialize`, before any document is open) made to
    keep its documents in LSP lines."""
    return LspWorkspace(workspace.root_uri, workspace._sync_kind,
                        list(workspace.folders.values()), workspace.position_encoding)
