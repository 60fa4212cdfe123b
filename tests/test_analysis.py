"""Static analysis: each finding, the stack depths behind inlay hints, subroutine summaries."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sovereign.lang.analysis import (
    Event,
    Step,
    Summary,
    analyse,
    forget_runs,
    transfer,
    transfer_reads,
)
from sovereign.lang.assembler import Instruction, assemble
from sovereign.lang.findings import Severity, Tag
from sovereign.lang.opcodes import OPCODES, STRAIGHT, successors

from .conftest import ROOT, program


def codes(source: str) -> list[str]:
    """Each finding as 'CODE line' (1-based)."""
    return [f"{f.code} {f.span.line + 1}" for f in analyse(program(source)).findings]


@pytest.mark.parametrize(("source", "expected"), [
    ("HALT\nPUSH #1\nPRINT", ["S201 2"]),
    ("PUSH #0\nJZ used\nused: NOP\nunused: HALT", ["S202 4"]),
    ("LOAD ghost\nPRINT", ["S203 1"]),
    ("PUSH #1\nADD", ["S204 2"]),
    ("POP", ["S204 1"]),
    ("PUSH #1\nJZ skip\nPUSH #2\nskip: PUSH #3\nADD\nPRINT", ["S205 5", "S206 4"]),
    ("PUSH 'a'\nPUSH #1\nSUB", ["S207 3"]),
    ("PUSH 'a'\nPUSH #1\nADD", ["S207 3"]),
    ("PUSH 'a'\nPUSH #1\nLT", ["S207 3"]),
    ("PUSH 'a'\nNEG", ["S207 2"]),
    ("PUSH 'a'\nSTORE s\nLOAD s\nPUSH 's'\nMOD", ["S207 5"]),
    ("PUSH #1\nEVOLVE 'fix'", ["S207 2"]),
    ("CALL f\nHALT\nf: PUSH #1", ["S201 2", "S208 3"]),
    ("PUSH #1\nf: PRINT\nRET\nCALL f", ["S201 4", "S209 3"]),
    ("PUSH #1\nCALL needs_two\nHALT\nneeds_two: ADD\nRET", ["S204 2"]),
])
def test_findings(source: str, expected: list[str]) -> None:
    assert sorted(codes(source)) == sorted(expected)


def test_severities_and_tags() -> None:
    found = {f.code: f for f in analyse(program(
        "HALT\nunused: PUSH #1\nPOP")).findings}
    assert found["S201"].severity is Severity.HINT
    assert Tag.UNNECESSARY in found["S201"].tags
    assert (found["S201"].span.line, found["S201"].last_line) == (1, 2)
    assert Tag.UNNECESSARY in found["S202"].tags


def test_types_flow_through_stack_shuffles() -> None:
    assert codes("PUSH #1\nPUSH 'a'\nSWAP\nSUB") == ["S207 4"]
    assert codes("PUSH 'a'\nPUSH #1\nOVER\nMUL") == ["S207 4"]
    assert codes("PUSH 'a'\nDUP\nADD\nPRINT") == []


def test_unknown_types_are_not_reported() -> None:
    assert codes("PUSH #1\nSTORE x\nLOAD x\nPUSH 'a'\nADD\nPRINT") == []


def test_paths_that_disagree_on_types_are_not_certain() -> None:
    assert codes("PUSH #0\nJZ s\nPUSH 'a'\nJMP j\ns: PUSH #1\nj: PUSH #2\nSUB\nPRINT") == []


def test_stack_depths() -> None:
    analysis = analyse(program("PUSH #1\nPUSH 'a'\nSWAP\nPOP\nPOP"))
    depths = [(s.low, s.high, s.types) for _, s in sorted(analysis.stack.items())]
    assert depths == [(0, 0, ()), (1, 1, ("int",)), (2, 2, ("int", "str")),
                      (2, 2, ("str", "int")), (1, 1, ("str",))]


def test_loops_that_grow_the_stack_widen_and_terminate() -> None:
    analysis = analyse(program("l: PUSH #1\nJMP l"))
    assert analysis.stack[0].high == math.inf
    assert analysis.stack[0].low == 0


def test_subroutine_summaries() -> None:
    analysis = analyse(program("PUSH #3\nCALL square\nPRINT\nHALT\n"
                               "square: DUP\nMUL\nRET"))
    assert analysis.summaries == {4: Summary(need=1, returns=(0, 0))}
    assert analysis.stack[2].low == analysis.stack[2].high == 1
    assert analysis.stack[5].relative


def test_recursion_reaches_a_fixed_point() -> None:
    source = (ROOT / "examples" / "factorial_recursive.sov").read_text()
    analysis = analyse(program(source))
    assert [f.code for f in analysis.findings] == []
    assert list(analysis.summaries.values()) == [Summary(need=1, returns=(0, 0))]


def test_a_subroutine_that_never_returns_makes_its_callers_rest_unreachable() -> None:
    assert codes("CALL f\nPRINT\nf: HALT") == ["S201 2"]


def test_clean_examples_have_no_findings() -> None:
    for path in (ROOT / "examples").glob("*.sov"):
        assert analyse(program(path.read_text())).findings == (), path


def test_transfer_is_the_meaning_of_one_instruction() -> None:
    """A pure function: the state after, per successor, and the events the state raises."""
    sub = Instruction("SUB", None, 4, 4, 7)
    step = transfer(sub, 9, -1, (2, 2, ("str", "int")), False, None)
    assert step.successors == ((10, (1, 1, ("int",))),)
    assert step.events == (Event("S207", Severity.ERROR, "type mismatch: SUB needs integers, "
                                 "but gets a string and an integer"),)
    assert transfer(sub, 9, -1, (2, 2, ("str", "int")), False, None) == step
    branch = transfer(Instruction("JZ", "done", 0, 0, 2), 3, 7, (1, 1, ("?",)), False, None)
    assert [s for s, _ in branch.successors] == [7, 4]
    inside = transfer(Instruction("ADD", None, 0, 0, 3), 0, -1, (0, 0, ()), True, None)
    assert (inside.need, inside.events) == (2, ())  # a subroutine's caller provides them


def test_a_straight_opcode_always_goes_on_to_the_next_instruction() -> None:
    """The analysis walks straight over these (STRAIGHT) to find a run's region fast."""
    for op in OPCODES:
        goes_on = all(successors(op, index, target) == (index + 1,)
                      for index, target in ((0, 5), (7, 2), (3, -1)))
        assert (op in STRAIGHT) == goes_on, op


_ARGS = (None, 0, 7, "x", "y", "loop", "done")
_TYPES = ("int", "str", "?")


def _shifted(step: Step, index: int) -> Step:
    return step._replace(successors=tuple((s - index, state) for s, state in step.successors))


@settings(max_examples=1000)
@given(op=st.sampled_from(sorted(OPCODES)), args=st.tuples(*[st.sampled_from(_ARGS)] * 2),
       indices=st.tuples(st.integers(0, 40), st.integers(0, 40)),
       jumps=st.tuples(st.integers(-9, 9), st.integers(-9, 9)),
       state=st.tuples(st.sampled_from([0, 1, 2, 5, math.inf]),
                       st.lists(st.sampled_from(_TYPES), max_size=4).map(tuple)),
       relative=st.booleans(),
       callee=st.sampled_from([None, Summary(), Summary(2, (-1, 1)), Summary(1, None)]))
def test_transfer_means_the_same_where_what_it_reads_is_alike(
        op: str, args: tuple[object, object], indices: tuple[int, int], jumps: tuple[int, int],
        state: tuple[float, tuple[str, ...]], relative: bool, callee: Summary | None) -> None:
    """The analysis works out each meaning once, for all instructions alike in
    `transfer_reads` (an operand it does not read may differ, and the index)."""
    (i, j), (first, second), (ja, jb) = indices, args, jumps
    a, b = Instruction(op, first, 1, 4, 9), Instruction(op, second, 6, 0, 3)  # type: ignore[arg-type]
    assume(transfer_reads([a], i, [i + ja]) == transfer_reads([b], j, [j + jb]))
    depth, types = state
    shown = (min(depth, 1), depth, types)
    assert _shifted(transfer(a, i, i + ja, shown, relative, callee), i) == \
        _shifted(transfer(b, j, j + jb, shown, relative, callee), j)


def _chain(depth: int) -> str:
    """A chain of subroutines, each calling the next: s0 calls s1 ... calls the last."""
    lines = ["    CALL s0", "    HALT"]
    for k in range(depth - 1):
        lines += [f"s{k}:", f"    CALL s{k + 1}", "    RET"]
    return "\n".join([*lines, f"s{depth - 1}:", "    RET"])


def _counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of the analysis's function `name` (in the one item of the list):
    `_merge` runs once per instruction visited and successor, `transfer` once per meaning
    worked out."""
    from sovereign.lang import analysis

    counted = [0]
    function = getattr(analysis, name)

    def counting(*args: object) -> object:
        counted[0] += 1
        return function(*args)

    monkeypatch.setattr(analysis, name, counting)
    return counted


def test_a_chain_of_calls_is_analysed_in_linear_work_and_every_return_is_seen(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Summaries are found callees first: a chain deeper than the rounds of the fixed point
    used to be cut off there (every line after a CALL 'unreachable'), at quadratic cost."""
    visits = _counted(monkeypatch, "_merge")
    work = []
    for depth in (100, 2000):
        forget_runs()
        visits[0] = 0
        found = analyse(program(_chain(depth)))
        assert not found.findings, found.findings[:3]
        work.append(visits[0])
    assert work[1] <= 25 * work[0]  # 20 times deeper: linear, with room to spare


def test_subroutines_alike_but_for_names_and_numbers_are_interpreted_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file repeats its idioms: a run depends only on what `transfer` reads, so fifty
    subroutines that differ in the names they store and the numbers they push are one run,
    each with findings where its own code stands."""
    subroutines = [f's{k}:\n    PUSH "a{k}"\n    PUSH #{k}\n    SUB\n    RET' for k in range(50)]
    calls = "\n".join(f"    CALL s{k}\n    POP" for k in range(50))
    visits = _counted(monkeypatch, "_merge")
    forget_runs()
    found = analyse(program("\n".join([calls, "    HALT", *subroutines])))
    # the main program's, one subroutine's, and the last one's: it ends the file, so a run
    # that did not return would fall off the end
    assert visits[0] == 2 * 50 + 3 + 3
    assert [f"{f.code} {f.span.line + 1}" for f in found.findings] == \
        [f"S207 {105 + 5 * k}" for k in range(50)]  # each SUB of a string, where it stands


def test_a_run_kept_for_one_call_names_its_own_label() -> None:
    """The label of a CALL is in its message, so it is part of what the run reads."""
    analyse(program("CALL f\nHALT\nf: ADD\nRET"))
    found = analyse(program("CALL g\nHALT\ng: ADD\nRET")).findings
    assert [f.message for f in found] == \
        ["stack underflow: CALL g needs 2 values, the stack has 0 here"]


@pytest.mark.parametrize(("before", "after", "expected"), [
    ("PUSH #1\nPRINT", "PUSH #1\nPRINT\nHALT", []),  # the end it fell off now has code
    ("PUSH #1\nSTORE x\nLOAD x\nPRINT", "PUSH #1\nPOP\nLOAD x\nPRINT", ["S203 3"]),
    ("PUSH #0\nJZ l\nl: HALT", "PUSH #0\nPOP\nl: HALT", ["S202 3"]),
    ("CALL f\nHALT\nf: PUSH #1\nRET", "CALL f\nHALT\nf: POP\nRET", ["S204 1"]),  # its need
])
def test_an_edit_is_analysed_from_the_version_before(before: str, after: str,
                                                       expected: list[str]) -> None:
    found = analyse(program(after), analyse(program(before))).findings
    assert [f"{f.code} {f.span.line + 1}" for f in found] == expected


def test_an_edit_interprets_only_the_subroutine_it_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    subroutines = [f"s{k}:\n    PUSH #{k}\n    STORE x{k}\n    RET" for k in range(50)]
    calls = "\n".join(f"    CALL s{k}" for k in range(50))
    source = "\n".join([calls, "    HALT", *subroutines])
    previous = analyse(program(source))
    transfers = _counted(monkeypatch, "transfer")
    forget_runs()
    edited = analyse(program(source.replace("PUSH #7\n", "PUSH #8\n")), previous)
    assert transfers[0] == 3  # s7's three instructions; the other 49 and main kept
    assert not edited.findings


_SUB_OF_A_STRING = '    CALL f\n{above}    HALT\nf:\n    PUSH "a"\n    PUSH #1\n    SUB\n    RET\n'


@pytest.mark.parametrize(("before", "after"), [("", "    NOP\n"), ("", "\n"), ("    NOP\n", "")])
def test_findings_of_code_a_reassembly_moved_move_with_it(before: str, after: str) -> None:
    """A line added or removed above a subroutine moves its code, and with it the findings
    its kept run made, though the reassembly says no instruction of it changed."""
    first = assemble(_SUB_OF_A_STRING.format(above=before))
    edited = assemble(_SUB_OF_A_STRING.format(above=after), previous=first)
    assert edited.program.edit is not None  # the reassembly says where the code changed
    found = analyse(edited.program, analyse(first.program)).findings
    assert [(f.code, f.span.line) for f in found] == [("S207", 5 + after.count("\n"))]


_RETURNS = "CALL f\nADD\nPRINT\nHALT\nf: CALL one\nJMP one\ntwo: PUSH #2\none: PUSH #1\nRET"
"""f returns two values, or one when its jump or its call goes to `two`."""


@pytest.mark.parametrize(("before", "after"), [
    (_RETURNS, _RETURNS.replace("JMP one", "JMP two")),
    (_RETURNS, _RETURNS.replace("CALL one", "CALL two")),
    (_RETURNS, _RETURNS.replace("two: PUSH #2\none: PUSH #1", "PUSH #3\ntwo:\none: PUSH #1")),
])
def test_an_edit_of_where_control_goes_is_not_taken_for_an_edit_of_operands(
        before: str, after: str) -> None:
    """After an edit of operands alone the analysis keeps the summaries of the version
    before; a jump, a call or a label sent elsewhere changes what f returns, and with it the
    finding on the ADD of its caller, which only a new fixed point sees."""
    warm = analyse(program(after), analyse(program(before)))
    cold = analyse(program(after))
    assert [(f.code, f.span) for f in warm.findings] == [(f.code, f.span) for f in cold.findings]
    assert warm.summaries == cold.summaries
