"""Snapshots: what a version of a document computes once, and keeps from the version before."""

from __future__ import annotations

from pygls.workspace import TextDocument

from sovereign.lsp.documents import Documents

URI = "file:///tmp/kept.sov"


def test_a_comment_edit_is_not_analysed_again() -> None:
    documents = Documents()
    first = documents.snapshot(TextDocument(URI, "    PUSH #1\n    PRINT ; one\n", version=1),
                               "utf-16")
    analysis = first.analysis
    second = documents.snapshot(TextDocument(URI, "    PUSH #1\n    PRINT ; the one\n",
                                             version=2), "utf-16")
    assert second.analysis is analysis
    third = documents.snapshot(TextDocument(URI, "    PUSH #2\n    PRINT ; the one\n",
                                            version=3), "utf-16")
    assert third.analysis is not analysis and third.analysis is not None
    assert second.previous_analysis is None and third.previous_analysis is None  # no chain
