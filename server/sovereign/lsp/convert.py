"""The one place where core spans and findings become LSP types, and LSP positions become core
positions.

The core counts columns in code points; the client counts in the negotiated encoding (UTF-16
unless it offered another). ASCII lines, the usual case, need no arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as T

from ..lang.edits import LineEdit
from ..lang.findings import Finding, Severity, Span, Tag

SOURCE = "sovereign"

_SEVERITIES = {
    Severity.ERROR: T.DiagnosticSeverity.Error,
    Severity.WARNING: T.DiagnosticSeverity.Warning,
    Severity.INFO: T.DiagnosticSeverity.Information,
    Severity.HINT: T.DiagnosticSeverity.Hint,
}


def markup(text: str, formats: Sequence[T.MarkupKind]) -> T.MarkupContent | str:
    """`text` (Markdown) as Markdown if the client renders it, else as a plain string, which
    every client accepts."""
    if T.MarkupKind.Markdown in formats:
        return T.MarkupContent(kind=T.MarkupKind.Markdown, value=text)
    return text


class Converter:
    """Converts positions for one version of one document."""

    def __init__(self, uri: str, texts: Sequence[str], encoding: str) -> None:
        self.uri = uri
        self.texts = texts
        self.encoding = encoding

    def units(self, text: str) -> int:
        """The length of `text` in the client's units."""
        if text.isascii() or self.encoding == T.PositionEncodingKind.Utf32:
            return len(text)
        if self.encoding == T.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8", "surrogatepass"))
        return len(text.encode("utf-16-le", "surrogatepass")) // 2

    def lsp_position(self, line: int, col: int) -> T.Position:
        if line >= len(self.texts):
            return T.Position(line=len(self.texts), character=0)
        return T.Position(line=line, character=self.units(self.texts[line][:col]))

    def lsp_range(self, span: Span, end_line: int | None = None,
                  end_col: int | None = None) -> T.Range:
        last_line = span.line if end_line is None else end_line
        last_col = span.end if end_col is None else end_col
        return T.Range(start=self.lsp_position(span.line, span.col),
                       end=self.lsp_position(last_line, last_col))

    def line_range(self, line: int) -> T.Range:
        """The whole of a line, without its line break."""
        text = self.texts[line] if line < len(self.texts) else ""
        return self.lsp_range(Span(line, 0, len(text)))

    def text_edit(self, change: LineEdit) -> T.TextEdit:
        """A change of whole lines as an LSP edit: an insertion before line `first`, a
        deletion that takes the line breaks with it, or a replacement of the lines' text."""
        start = self.lsp_position(change.first, 0)
        if change.last < change.first:
            text, end = "".join(line + "\n" for line in change.lines), start
        elif not change.lines:
            text, end = "", self.lsp_position(change.last + 1, 0)
        else:
            text = "\n".join(change.lines)
            end = self.lsp_position(change.last, len(self.texts[change.last]))
        return T.TextEdit(range=T.Range(start=start, end=end), new_text=text)

    def annotated_edit(self, change: LineEdit, annotation: str) -> T.AnnotatedTextEdit:
        edit = self.text_edit(change)
        return T.AnnotatedTextEdit(range=edit.range, new_text=edit.new_text,
                                   annotation_id=annotation)

    def location(self, span: Span) -> T.Location:
        return T.Location(uri=self.uri, range=self.lsp_range(span))

    def position(self, position: T.Position) -> tuple[int, int]:
        """A client position as (line, code point column), clamped to the document."""
        if position.line >= len(self.texts):
            line = max(0, len(self.texts) - 1)
            return line, len(self.texts[line]) if self.texts else 0
        text = self.texts[position.line]
        if text.isascii() or self.encoding == T.PositionEncodingKind.Utf32:
            return position.line, min(position.character, len(text))
        units = 0
        for col, char in enumerate(text):
            if units >= position.character:
                return position.line, col
            units += self.units(char)
        return position.line, len(text)

    def lines(self, range_: T.Range) -> tuple[int, int]:
        """The first and last line a client range covers; a range that ends at the very start
        of a line does not cover that line."""
        first, _ = self.position(range_.start)
        last, _ = self.position(range_.end)
        if last > first and range_.end.character == 0:
            last -= 1
        return first, last

    def diagnostic(self, finding: Finding) -> T.Diagnostic:
        return T.Diagnostic(
            range=self.lsp_range(finding.span, finding.last_line, finding.last_col),
            message=finding.message,
            severity=_SEVERITIES[finding.severity],
            code=finding.code,
            source=SOURCE,
            tags=[T.DiagnosticTag.Unnecessary] if Tag.UNNECESSARY in finding.tags else None,
            related_information=[
                T.DiagnosticRelatedInformation(location=self.location(r.span), message=r.message)
                for r in finding.related] or None,
        )
