"""One version of one open document, and what the core says about it, each computed once.

Every feature asks for a `Snapshot`; the first to need the assembly, the analysis or the
symbol index computes it, and the rest of that version's requests reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from pygls.workspace import TextDocument

from ..lang.analysis import Analysis, analyse
from ..lang.assembler import Assembly, Program, assemble_lines
from ..lang.symbols import SymbolIndex, index_symbols
from ..lang.versions import Edit
from ..vm.checker import CheckResult
from ..vm.sandbox import RunResult
from .convert import Converter
from .line_breaks import edit_of, texts_of


@dataclass
class Snapshot:
    uri: str
    version: int
    texts: Sequence[str]
    """The document's lines as the core reads them (`LspDocument.texts`)."""
    encoding: str
    previous: Assembly | None = None
    """The assembly of the version before, which an edit within lines reassembles from."""
    edit: Edit | None = None
    """How the editor made `texts` from the lines before (`LspDocument.edit`)."""
    previous_analysis: tuple[Program, Analysis | None] | None = None
    """The analysis of the version before, with its program: kept when an edit leaves the
    program itself (a comment, a blank after an operand), else the analysis starts from it."""
    previous_index: SymbolIndex | None = None
    """The symbol index of the version before, which an edit within lines updates."""
    run: RunResult | None = None
    """The sandbox's run of this version, once the diagnostics have made it."""

    @cached_property
    def assembly(self) -> Assembly:
        assembly = assemble_lines(self.texts, self.previous, self.edit)
        self.previous = None
        return assembly

    @cached_property
    def analysis(self) -> Analysis | None:
        """None when the document does not assemble (the analysis needs a whole program)."""
        before, self.previous_analysis = self.previous_analysis, None
        if not self.assembly.ok:
            return None
        if before is not None and before[0] is self.assembly.program and before[1] is not None:
            return before[1]  # the same program: the comment or blank an edit touched
        return analyse(self.assembly.program, before[1] if before is not None else None)

    @cached_property
    def lf_text(self) -> str:
        """The document as the core's engines read it: its lines, broken as the LSP breaks
        them, joined by LF. An engine splits its text at LF and the edits made of its answer
        are line edits of `assembly.texts`; with CRLF or lone CR endings in `text` the two
        would disagree on where lines are."""
        return "\n".join(self.assembly.texts)

    @cached_property
    def index(self) -> SymbolIndex:
        before, self.previous_index = self.previous_index, None
        return index_symbols(self.assembly.texts, before)

    @cached_property
    def convert(self) -> Converter:
        return Converter(self.uri, self.assembly.texts, self.encoding)

    @cached_property
    def static(self) -> CheckResult:
        """Assembly errors and analysis findings, without running anything."""
        return CheckResult(self.assembly, self.analysis, None)


@dataclass
class Documents:
    """The latest snapshot of each open document."""

    snapshots: dict[str, Snapshot] = field(default_factory=dict)

    def snapshot(self, document: TextDocument, encoding: str) -> Snapshot:
        version = document.version if document.version is not None else -1
        current = self.snapshots.get(document.uri)
        if current is None or current.version != version or current.encoding != encoding:
            computed = current.__dict__ if current is not None else {}
            previous = computed.get("assembly")
            analysed = (previous.program, computed["analysis"]) \
                if previous is not None and "analysis" in computed else None
            current = Snapshot(document.uri, version, texts_of(document), encoding, previous,
                               edit_of(document), analysed, computed.get("index"))
            self.snapshots[document.uri] = current
        return current

    def forget(self, uri: str) -> None:
        self.snapshots.pop(uri, None)
