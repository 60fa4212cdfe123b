"""An answer becomes the whole document it produces, whatever its shape."""

from __future__ import annotations

from sovereign.candidates.shape import BLOCK, DIFF, PROGRAM, Place, shaped

DOCUMENT = """\
; totals, with a comment the model will drop
    PUSH #10
    STORE d
    CALL ratio
    PRINT
    HALT
ratio:
    PUSH #100
    PUSH #0
    DIV
    RET
done:"""
BLOCK_PLACE = Place(DOCUMENT, 6, 10)


def test_a_block_replaces_the_place() -> None:
    answer = "ratio:\n    PUSH #100\n    LOAD d\n    DIV\n    RET"
    result = shaped(BLOCK_PLACE, answer)
    assert result.shape == BLOCK
    assert result.document == DOCUMENT.replace("    PUSH #0\n", "    LOAD d\n")


def test_an_insertion_goes_after_the_line() -> None:
    result = shaped(Place("PUSH #1\n; gen: print it\nHALT", 2, 1), "PRINT")
    assert (result.shape, result.document) == (BLOCK, "PUSH #1\n; gen: print it\nPRINT\nHALT")


def test_a_whole_program_answer_is_the_program_with_the_users_comments_kept() -> None:
    rewritten = DOCUMENT.replace("    PUSH #0\n", "    LOAD d\n").split("\n", 1)[1]
    result = shaped(BLOCK_PLACE, rewritten)
    assert result.shape == PROGRAM
    assert result.document == DOCUMENT.replace("    PUSH #0\n", "    LOAD d\n")


def test_an_answer_that_repeats_the_code_around_is_a_whole_program() -> None:
    document = "    PUSH #3\n    CALL add_pair\n    PRINT\n    HALT\nadd_pair:\n    ADD\n    RET"
    answer = "PUSH #3\nPUSH #4\nCALL add_pair\nPRINT\nHALT\nadd_pair:\n    ADD\n    RET"
    result = shaped(Place(document, 4, 6), answer)
    assert (result.shape, result.document) == (PROGRAM, document.replace(
        "    PUSH #3\n", "    PUSH #3\nPUSH #4\n"))  # the user's lines as they were


def test_a_diff_is_applied_by_its_code() -> None:
    diff = ("--- prog.sov\n+++ prog.sov\n@@ -9,3 +9,3 @@\n     PUSH #100\n-    PUSH #0\n"
            "+    LOAD d\n     DIV")
    result = shaped(BLOCK_PLACE, diff)
    assert result.shape == DIFF
    assert result.document == DOCUMENT.replace("    PUSH #0\n", "    LOAD d\n")


def test_a_diff_that_does_not_apply_says_so() -> None:
    result = shaped(BLOCK_PLACE, "@@ -1,1 +1,1 @@\n-    PUSH #99\n+    PUSH #1")
    assert result.document == ""
    assert result.problem == "the diff does not apply: the lines of hunk 1 are not in the document"
