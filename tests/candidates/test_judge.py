"""Every candidate is judged by running the document it lands in: the cases that broke trust,
both ways (invalid code offered, right repairs refused)."""

from __future__ import annotations

import pytest

from sovereign.candidates.judge import Judge, Rules, judge_snippet
from sovereign.candidates.pipeline import judged
from sovereign.candidates.shape import PROGRAM, Place
from sovereign.evolve.problem import diagnose
from sovereign.vm.config import VMConfig

GREETING = """\
    PUSH "Ada"
    STORE name
; gen: print Hello, followed by the name in memory as name and an exclamation mark
    PUSH "bye"
    PRINT
"""


def generation(document: str, after: int, code: str) -> str:
    place = Place(document, after + 1, after)
    return judged(f"```sovereign\n{code}\n```", "m", place, Judge(place)).verdict.reason


@pytest.mark.parametrize(("code", "reason"), [
    ('PUSH "Hello, "\nLOAD name\nADD\nPUSH "!"\nADD\nPRINT', ""),
    ('PUSH "Hello, "\nLOAD name\nADD\nPUSH #33\nADD\nPRINT',
     "fails when run: TypeMismatch: ADD needs two integers or two strings, got string "
     "'Hello, Ada' and integer 33 (line 8)"),
    ('greet_again:\n    PUSH "Hello, "\n    LOAD name\n    ADD\n    PRINT\n    JMP greet_again',
     "fails when run: OutputLimitExceeded"),
    ("greet_again:\n    LOAD name\n    POP\n    JMP greet_again",
     "fails when run: StepLimitExceeded"),
    ('PUSH "Hello"\nPRINT\nHALT', "no longer reaches the code after the new code"),
    ("LOAD nmae\nPRINT", "fails when run: UndefinedName"),
])
def test_llmgen_code_that_reads_the_programs_memory_is_run_in_place(code: str,
                                                                    reason: str) -> None:
    assert generation(GREETING, 2, code).startswith(reason)
    assert bool(reason) != (generation(GREETING, 2, code) == "")


def test_llmgen_code_must_print_what_the_document_expects() -> None:
    document = "; expect: 6\n    PUSH #3\n    STORE n\n; gen: print n doubled\n"
    assert generation(document, 3, "LOAD n\nDUP\nADD\nPRINT") == ""
    assert generation(document, 3, "LOAD n\nDUP\nMUL\nPRINT") == (
        "does not print what the document expects: the program printed '9' where '6' was "
        "expected (the `; expect:` on line 1)")


def test_llmgen_may_leave_an_error_the_document_already_had() -> None:
    document = "; gen: print one\n    PUSH #1\n    PUSH #0\n    DIV\n"
    assert generation(document, 0, "PUSH #1\nPRINT") == ""
    assert generation(document, 0, "PUSH #2\nPUSH #0\nDIV").startswith(
        "fails when run: DivisionByZero: 2 / 0 (line 4)")
    assert generation(document, 0, "PUSH #1\nPUSH #0\nDIV") == "changes no instruction"


def test_at_run_time_a_snippet_runs_on_the_machines_state() -> None:
    config = VMConfig()
    reads_n = "LOAD n\nDUP\nMUL\nPRINT"
    assert judge_snippet(reads_n, config, {"n": 7}, ()).output == "49\n"
    assert "UndefinedName" in judge_snippet(reads_n, config, {}, ()).reason
    assert judge_snippet("MUL\nPRINT", config, {}, (6, 7)).output == "42\n"
    assert "StepLimitExceeded" in judge_snippet("l: JMP l", config, {}, ()).reason


BANK = """\
    PUSH #100
    STORE balance
    PUSH #150
    CALL withdraw
    PUSH "left"
    PRINT
    LOAD balance
    PRINT
    HALT
withdraw:               ; ( amount -- )
    LOAD balance
    SWAP
    SUB
    DUP
    STORE balance
    PUSH #0
    GE
    ASSERT "balance must not go negative"
    RET
"""
CAPPED = """\
withdraw:               ; ( amount -- ) at most the balance
    DUP
    LOAD balance
    GT
    JZ withdraw_ok
    POP
    LOAD balance
withdraw_ok:
    LOAD balance
    SWAP
    SUB
    DUP
    STORE balance
    PUSH #0
    GE
    ASSERT "balance must not go negative"
    RET"""


def repair(source: str, code: str) -> str:
    problem = diagnose(source)
    assert problem is not None
    place = Place(source, problem.first, problem.last)
    judge = Judge(place, rules=Rules(repair=True, problem=problem.code))
    return judged(f"```sovereign\n{code}\n```", "m", place, judge).verdict.reason


@pytest.mark.parametrize(("code", "reason"), [
    (CAPPED, ""),
    ("withdraw:\n    LOAD balance\n    SWAP\n    SUB\n    STORE balance\n    RET",
     "removes or changes the ASSERT on line 18"),
    (CAPPED.replace("    GE\n", "    POP\n    PUSH #1\n"), "removes or changes the ASSERT"),
    (CAPPED.replace("    GE\n", "    LT\n"), "removes or changes the ASSERT"),
    ("withdraw:\n    DUP\n    LOAD balance\n    GT\n    JNZ withdraw_end\n    LOAD balance\n"
     "    SWAP\n    SUB\n    DUP\n    STORE balance\n    PUSH #0\n    GE\n"
     "    ASSERT \"balance must not go negative\"\n    RET\nwithdraw_end:\n    POP\n    RET",
     "bypasses the ASSERT on line 18, which the program ran before"),
])
def test_an_assert_is_never_removed_weakened_or_bypassed(code: str, reason: str) -> None:
    assert repair(BANK, code).startswith(reason) and bool(reason) == bool(repair(BANK, code))


AVERAGE = """\
    PUSH #0
    STORE count
    PUSH #100
    STORE total
average:
    LOAD total
    LOAD count
    DIV
    PRINT
summary:
    PUSH "done"
    PRINT
"""


def test_a_guard_that_jumps_to_the_label_after_the_block_reaches_it() -> None:
    guarded = ("average:\n    LOAD count\n    JZ summary\n    LOAD total\n    LOAD count\n"
               "    DIV\n    PRINT\n    JMP summary")
    assert repair(AVERAGE, guarded) == ""
    assert repair(AVERAGE, guarded.replace("JZ summary", "JZ nowhere") + "\nnowhere:\n"
                  "    HALT") == "stops the program with HALT"


COUNTDOWN = """\
    PUSH "counting"
    PRINT
    PUSH #5
    CALL countdown
    HALT
countdown:              ; ( n -- ) prints n down to 1
    DUP
    PRINT
    PUSH #1
    SUB
    CALL countdown
    RET
"""


def test_runaway_recursion_keeps_only_the_output_before_the_block() -> None:
    based = ("countdown:\n    DUP\n    JZ countdown_done\n    DUP\n    PRINT\n    PUSH #1\n"
             "    SUB\n    CALL countdown\n    RET\ncountdown_done:\n    POP\n    RET")
    assert repair(COUNTDOWN, based) == ""
    loud = based.replace("countdown:\n", 'countdown:\n    PUSH "x"\n    PRINT\n', 1)
    assert repair(COUNTDOWN, loud) == ""  # it may print other things inside the block
    document = COUNTDOWN.replace('    PUSH "counting"\n', '    PUSH "count"\n')
    whole = document.replace('    PUSH "count"\n', '    PUSH "counting"\n').replace(
        "countdown:              ; ( n -- ) prints n down to 1\n    DUP\n    PRINT\n",
        "countdown:\n    DUP\n    JZ countdown_done\n    DUP\n    PRINT\n").replace(
        "    RET\n", "    RET\ncountdown_done:\n    POP\n    RET\n")
    assert repair(document, whole).startswith("changes what the program printed before "
                                              "reaching the block ('count' became 'counti")


def test_a_whole_program_answer_is_judged_as_the_program() -> None:
    source = "    PUSH #3\n    CALL add_pair\n    PRINT\n    HALT\nadd_pair:  ; ( a b -- a+b )\n" \
             "    ADD\n    RET\n"
    problem = diagnose(source)
    assert problem is not None and (problem.first, problem.last) == (4, 6)
    fixed = "    PUSH #3\n    PUSH #4\n    CALL add_pair\n    PRINT\n    HALT\nadd_pair:\n" \
            "    ADD\n    RET"
    place = Place(source, problem.first, problem.last)
    candidate = judged(fixed, "m", place, Judge(place, rules=Rules(True, problem.code)))
    assert (candidate.shape, candidate.ok, candidate.verdict.output) == (PROGRAM, True, "7\n")
    assert "add_pair:  ; ( a b -- a+b )" in candidate.document  # the user's comment kept
    block_only = judged("add_pair:\n    PUSH #0\n    ADD\n    RET", "m", place,
                        Judge(place, rules=Rules(True, problem.code)))
    assert block_only.ok  # adding 0 is valid, if not what was meant: the ranking decides


@pytest.mark.parametrize(("code", "reason"), [
    ("average:\n    LOAD total\n    LOAD count\n    PUSH #0\n    ADD\n    DIV\n    PRINT",
     "still fails when run: DivisionByZero"),
    ("average:\n    LOAD total\n    LOAD count\n    DIV\n    PRINT", "changes no instruction"),
    ("average:\n    LOAD total\n    PRINT", "only deletes code"),
    ("average:\n    PUSHH #1", "does not assemble: line 6: unknown opcode 'PUSHH'"),
    ("summary:\n    PUSH #1\n    PRINT", "does not assemble: line 8: duplicate label 'summary'"),
    ("average:\n    LOAD total\n    PUSH \"n\"\n    ADD\n    PRINT",
     "fails when run: TypeMismatch"),
])
def test_wrong_repairs_say_why_in_one_line(code: str, reason: str) -> None:
    said = repair(AVERAGE, code)
    assert said.startswith(reason) and "\n" not in said


MISSPELT_CHECK = """\
    PUSH #5
    STORE count
    LOAD cuont
    PUSH #0
    GT
    ASSERT "count is positive"
    HALT
"""


@pytest.mark.parametrize(("replacement", "reason"), [
    ("LOAD count", ""),  # the misspelling was the bug: spelling it right keeps the ASSERT
    ("PUSH #1", "removes or changes the ASSERT on line 6"),
])
def test_an_asserts_misspelt_name_may_be_spelt_right_and_nothing_else(
        replacement: str, reason: str) -> None:
    problem = diagnose(MISSPELT_CHECK)
    assert problem is not None and problem.code == "R305"
    place = Place(MISSPELT_CHECK, problem.first, problem.last)
    judge = Judge(place, VMConfig(), Rules(repair=True, problem=problem.code))
    document = MISSPELT_CHECK.replace("LOAD cuont", replacement)
    assert judge.judge(document).reason == reason
