"""A rewrite as the fewest line edits, with the user's comments kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sovereign.lang.edits import LineEdit, apply_edits, keep_comments, line_edits


def test_only_changed_lines_are_edited_and_their_comments_kept() -> None:
    old = ["start:      ; entry", "    PUSH #0   ; the divisor", "    DIV", "    HALT"]
    new = ["start:", "    PUSH #2", "    DIV", "    HALT"]
    assert line_edits(old, new) == [LineEdit(1, 1, ("    PUSH #2  ; the divisor",))]


def test_inserted_lines_are_an_insertion() -> None:
    old = ["f:", "    DIV", "    RET"]
    new = ["f:", "    DUP", "    JZ z", "    DIV", "    RET", "z:", "    RET"]
    edits = line_edits(old, new)
    assert edits == [LineEdit(1, 0, ("    DUP", "    JZ z")), LineEdit(3, 2, ("z:", "    RET"))]
    assert apply_edits(old, edits) == new


def test_a_new_comment_is_taken() -> None:
    assert line_edits(["    DIV ; old"], ["    DIV ; new"]) == [LineEdit(0, 0, ("    DIV ; new",))]


def test_keep_comments_pairs_lines_in_order() -> None:
    assert keep_comments(["a ; one", "b ; two"], ["x", "y ; mine", "z"]) == [
        "x  ; one", "y ; mine", "z"]


LINES = st.lists(st.sampled_from(["    PUSH #1", "    ADD", "    DIV ; d", "l:", "", "; note",
                                  "    PRINT"]), max_size=12)


@given(LINES, LINES)
def test_applying_the_edits_gives_the_new_code(old: list[str], new: list[str]) -> None:
    result = apply_edits(old, line_edits(old, new))
    assert [line.split(";")[0].strip() for line in result] == [
        line.split(";")[0].strip() for line in new]
