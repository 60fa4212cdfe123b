"""The server's copy of a document, broken into lines where the LSP breaks them.

pygls breaks a document with `str.splitlines`, which also breaks at a form feed, U+2028 and
six more characters that the LSP (and so every client) counts as text. An incremental edit on a
line after one of them then lands on the wrong line, and the server's copy of the document is
no longer the client's: its diagnostics, hovers and edits are for text the user never wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pygls.workspace import TextDocument, Workspace

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""A line with its ending: LF, CRLF or a lone CR, the LSP's three."""


class LspDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return tuple(_LINE.findall(self.source))


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
