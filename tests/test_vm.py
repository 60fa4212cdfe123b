"""The VM: every opcode, every runtime error, every limit. Each program runs by the reference
interpreter and by compiled blocks, and the two must agree (see vmrun.py)."""

from __future__ import annotations

import itertools
import re

import pytest

from sovereign.lang.assembler import INT_MAX, INT_MIN
from sovereign.vm.config import VMConfig
from sovereign.vm.executable import HOT, Executable
from sovereign.vm.machine import CLOCK_STRIDE, CLOCK_WORK, Failed, Halted, Machine, Suspended

from .conftest import program
from .vmrun import UNLIMITED_TIME, both_ways, error, output, run, stack


@pytest.mark.parametrize(("source", "expected"), [
    ("PUSH #1\nPUSH 'a'", [1, "a"]),
    ("PUSH #1\nPUSH #2\nPOP", [1]),
    ("PUSH #1\nDUP", [1, 1]),
    ("PUSH #1\nPUSH #2\nSWAP", [2, 1]),
    ("PUSH #1\nPUSH #2\nOVER", [1, 2, 1]),
    ("PUSH #1\nPUSH #2\nPUSH #3\nROT", [2, 3, 1]),
    ("PUSH #2\nPUSH #3\nADD", [5]),
    ("PUSH 'ab'\nPUSH 'cd'\nADD", ["abcd"]),
    ("PUSH #2\nPUSH #3\nSUB", [-1]),
    ("PUSH #-4\nPUSH #3\nMUL", [-12]),
    ("PUSH #7\nPUSH #2\nDIV", [3]),
    ("PUSH #-7\nPUSH #2\nDIV", [-3]),
    ("PUSH #7\nPUSH #-2\nDIV", [-3]),
    ("PUSH #-7\nPUSH #-2\nDIV", [3]),
    ("PUSH #7\nPUSH #2\nMOD", [1]),
    ("PUSH #-7\nPUSH #2\nMOD", [-1]),
    ("PUSH #7\nPUSH #-2\nMOD", [1]),
    ("PUSH #-7\nPUSH #-2\nMOD", [-1]),
    (f"PUSH #{INT_MIN}\nPUSH #-1\nMOD", [0]),
    ("PUSH #5\nNEG", [-5]),
    (f"PUSH #{INT_MAX}\nNEG", [-INT_MAX]),
    ("PUSH #1\nPUSH #1\nEQ", [1]),
    ("PUSH #1\nPUSH '1'\nEQ", [0]),
    ("PUSH #0\nPUSH ''\nEQ", [0]),
    ("PUSH 'a'\nPUSH 'a'\nEQ", [1]),
    ("PUSH #1\nPUSH '1'\nNE", [1]),
    ("PUSH #1\nPUSH #2\nLT", [1]),
    ("PUSH #2\nPUSH #2\nLE", [1]),
    ("PUSH #2\nPUSH #1\nGT", [1]),
    ("PUSH #1\nPUSH #2\nGE", [0]),
    ("PUSH 'B'\nPUSH 'a'\nLT", [1]),
    ("PUSH 'é'\nPUSH 'z'\nGT", [1]),
    ("PUSH 'ab'\nPUSH 'abc'\nLT", [1]),
    ("PUSH #1\nPUSH '0'\nAND", [1]),
    ("PUSH #1\nPUSH ''\nAND", [0]),
    ("PUSH #0\nPUSH ''\nOR", [0]),
    ("PUSH #0\nPUSH #-3\nOR", [1]),
    ("PUSH ''\nNOT", [1]),
    ("PUSH '0'\nNOT", [0]),
    ("PUSH #7\nSTORE x\nLOAD x\nLOAD 'x'", [7, 7]),
    ("PUSH 'v'\nSTORE 'my var'\nLOAD \"my var\"", ["v"]),
    ("PUSH #1\nSTORE x\nPUSH #2\nSTORE x\nLOAD x", [2]),
    ("JMP over\nPUSH #1\nover: PUSH #2", [2]),
    ("PUSH #0\nJZ yes\nPUSH #1\nyes: PUSH #2", [2]),
    ("PUSH ''\nJZ yes\nPUSH #1\nyes: PUSH #2", [2]),
    ("PUSH '0'\nJZ yes\nPUSH #1\nyes: PUSH #2", [1, 2]),
    ("PUSH #5\nJNZ yes\nPUSH #1\nyes: PUSH #2", [2]),
    ("PUSH #0\nJNZ yes\nPUSH #1\nyes: PUSH #2", [1, 2]),
    ("CALL f\nPUSH #2\nHALT\nf: PUSH #1\nRET", [1, 2]),
    ("PUSH #1\nASSERT\nNOP", []),
    ("PUSH #1\nHALT\nPUSH #2", [1]),
    ("CALL f\nPUSH #9\nf: PUSH #1\nHALT", [1]),
    ("CALL f\nPUSH #9\nf: PUSH #1", [1]),
    ("CALL end\nPUSH #9\nend:", []),
    ("JMP end\nPUSH #1\nend:", []),
])
def test_opcodes(source: str, expected: list[object]) -> None:
    assert stack(source) == expected


def test_print() -> None:
    assert output("PUSH #42\nPRINT\nPUSH 'é 😀'\nPRINT\nPUSH #-1\nPRINT\nPUSH ''\nPRINT") == [
        "42", "é 😀", "-1", ""]


def test_running_off_the_end_halts() -> None:
    _, outcome = run("PUSH #1")
    assert outcome == Halted()
    assert run("")[1] == Halted()


@pytest.mark.parametrize(("source", "kind", "line"), [
    ("PUSH #1\nPUSH #0\nDIV", "DivisionByZero", 2),
    ("PUSH #1\nPUSH #0\nMOD", "DivisionByZero", 2),
    ("ADD", "StackUnderflow", 0),
    ("PUSH #1\nSUB", "StackUnderflow", 1),
    ("PUSH #1\nPUSH #1\nROT", "StackUnderflow", 2),
    ("POP", "StackUnderflow", 0),
    ("DUP", "StackUnderflow", 0),
    ("PRINT", "StackUnderflow", 0),
    ("STORE x", "StackUnderflow", 0),
    ("JZ l\nl:", "StackUnderflow", 0),
    ("ASSERT", "StackUnderflow", 0),
    ("EVOLVE 'x'", "StackUnderflow", 0),
    ("PUSH #1\nPUSH 'a'\nADD", "TypeMismatch", 2),
    ("PUSH 'a'\nPUSH #1\nSUB", "TypeMismatch", 2),
    ("PUSH 'a'\nPUSH 'b'\nMUL", "TypeMismatch", 2),
    ("PUSH 'a'\nNEG", "TypeMismatch", 1),
    ("PUSH #1\nPUSH 'a'\nLT", "TypeMismatch", 2),
    ("PUSH #1\nEVOLVE 'fix'", "TypeMismatch", 1),
    ("PUSH 'a'\nPUSH #0\nDIV", "TypeMismatch", 2),
    ("LOAD x", "UndefinedName", 0),
    (f"PUSH #{INT_MAX}\nPUSH #1\nADD", "IntegerOverflow", 2),
    (f"PUSH #{INT_MIN}\nPUSH #1\nSUB", "IntegerOverflow", 2),
    (f"PUSH #{INT_MAX}\nPUSH #2\nMUL", "IntegerOverflow", 2),
    (f"PUSH #{INT_MIN}\nNEG", "IntegerOverflow", 1),
    (f"PUSH #{INT_MIN}\nPUSH #-1\nDIV", "IntegerOverflow", 2),
    (f"PUSH #{INT_MAX}\nPUSH #-2\nMUL", "IntegerOverflow", 2),
    (f"PUSH #{INT_MIN}\nPUSH #-1\nADD", "IntegerOverflow", 2),
    (f"PUSH #{INT_MAX}\nPUSH #-1\nSUB", "IntegerOverflow", 2),
    (f"PUSH #-1\nSTORE k\nPUSH #{INT_MIN}\nLOAD k\nADD", "IntegerOverflow", 4),
    (f"PUSH #1\nSTORE k\nPUSH #{INT_MIN}\nLOAD k\nSUB", "IntegerOverflow", 4),
    (f"PUSH #-1\nSTORE k\nPUSH #{INT_MAX}\nLOAD k\nSUB", "IntegerOverflow", 4),
    (f"PUSH #2\nSTORE k\nPUSH #{INT_MIN}\nLOAD k\nMUL", "IntegerOverflow", 4),
    (f"PUSH #-1\nSTORE k\nPUSH #{INT_MIN}\nLOAD k\nDIV", "IntegerOverflow", 4),
    ("PUSH #0\nSTORE k\nPUSH #1\nLOAD k\nMOD", "DivisionByZero", 4),
    ("PUSH 'a'\nSTORE k\nPUSH #1\nLOAD k\nADD", "TypeMismatch", 4),
    ("PUSH 'a'\nSTORE k\nLOAD k\nPUSH #1\nADD", "TypeMismatch", 4),
    ("PUSH 'a'\nSTORE k\nLOAD k\nLOAD k\nMUL", "TypeMismatch", 4),
    ("PUSH 'a'\nSTORE k\nLOAD k\nPUSH #1\nLT", "TypeMismatch", 4),
    ("PUSH 'a'\nSTORE k\nLOAD k\nNEG", "TypeMismatch", 3),
    ("RET", "ReturnOutsideCall", 0),
    ("PUSH #0\nASSERT 'must hold'", "AssertionFailed", 1),
    ("PUSH ''\nASSERT", "AssertionFailed", 1),
    ("f: CALL f", "CallDepthExceeded", 0),
    ("l: JMP l", "StepLimitExceeded", 0),
])
def test_runtime_errors(source: str, kind: str, line: int) -> None:
    found = error(source)
    assert (found.kind, found.span.line) == (kind, line)


def test_the_first_applicable_check_wins() -> None:
    assert error("PUSH 'a'\nDIV").kind == "StackUnderflow"
    assert error("PUSH 'a'\nPUSH #0\nMOD").kind == "TypeMismatch"


def test_assertion_messages() -> None:
    assert error("PUSH #0\nASSERT 'n must be positive'").message == "n must be positive"
    assert "integer 0" in error("PUSH #0\nASSERT").message


def test_error_context() -> None:
    found = error("PUSH #5\nCALL a\nHALT\na: PUSH #7\nCALL b\nRET\nb: PUSH #0\nDIV\nRET")
    assert found.kind == "DivisionByZero"
    assert (found.span.line, found.span.col, found.span.end) == (7, 0, 3)
    assert [s.line for s in found.call_stack] == [1, 4]
    assert found.stack_top == (5, 7, 0)
    assert found.steps == 5
    assert found.code == "R301"


def test_stack_top_is_bounded() -> None:
    found = error("\n".join(f"PUSH #{n}" for n in range(20)) + "\nPUSH 'x'\nSUB")
    assert found.stack_top == (*range(13, 20), "x")


def test_step_limit_allows_exactly_n() -> None:
    four = "NOP\nNOP\nNOP\nHALT"
    assert run(four, max_steps=4)[1] == Halted()
    found = error(four, max_steps=3)
    assert (found.kind, found.span.line, found.steps) == ("StepLimitExceeded", 3, 3)


def test_jumps_count_as_steps() -> None:
    found = error("l: JMP l", max_steps=10)
    assert found.steps == 10


def test_stack_limit_allows_exactly_n() -> None:
    assert len(stack("PUSH #1\n" * 5, max_stack=5)) == 5
    found = error("PUSH #1\n" * 6, max_stack=5)
    assert (found.kind, found.span.line) == ("StackOverflow", 5)
    assert error("PUSH #1\nDUP\nDUP", max_stack=2).kind == "StackOverflow"
    assert error("PUSH #1\nPUSH #1\nOVER", max_stack=2).kind == "StackOverflow"
    assert error("PUSH #1\nSTORE x\nPUSH #1\nLOAD x", max_stack=1).kind == "StackOverflow"


def test_call_depth_allows_exactly_n() -> None:
    nested = "CALL a\nHALT\na: CALL b\nRET\nb: CALL c\nRET\nc: RET"
    assert run(nested, max_call_depth=3)[1] == Halted()
    found = error(nested, max_call_depth=2)
    assert (found.kind, found.span.line) == ("CallDepthExceeded", 4)


def test_memory_limit_allows_exactly_n_and_overwrites() -> None:
    two = "PUSH #1\nSTORE a\nPUSH #2\nSTORE b\nPUSH #3\nSTORE a\nPUSH #4\nSTORE b"
    assert run(two, max_names=2)[1] == Halted()
    found = error(two + "\nPUSH #5\nSTORE c", max_names=2)
    assert (found.kind, found.span.line) == ("MemoryLimitExceeded", 9)


def test_string_limit_allows_exactly_n() -> None:
    assert stack("PUSH 'abc'\nPUSH 'de'\nADD", max_string=5) == ["abcde"]
    assert error("PUSH 'abc'\nPUSH 'def'\nADD", max_string=5).kind == "StringTooLong"
    assert error("PUSH 'abcdef'", max_string=5).kind == "StringTooLong"


def test_output_limit_counts_utf8_bytes_and_newlines() -> None:
    assert output("PUSH 'é'\nPRINT", max_output=3) == ["é"]
    machine, outcome = run("PUSH 'ab'\nPRINT\nPUSH 'é'\nPRINT", max_output=4)
    assert isinstance(outcome, Failed)
    assert outcome.error.kind == "OutputLimitExceeded"
    assert machine.output == ["ab"]
    assert machine.output_bytes == 3


def test_time_limit_uses_the_injected_clock() -> None:
    ticks = itertools.count()
    machine = Machine(program("l: JMP l"), VMConfig(max_steps=10**9, max_millis=5_000),
                      clock=lambda: float(next(ticks)))
    outcome = machine.run()
    assert isinstance(outcome, Failed)
    assert outcome.error.kind == "TimeLimitExceeded"
    assert outcome.error.steps <= 10 * CLOCK_STRIDE


@pytest.mark.parametrize("compiled", [False, True])
def test_the_clock_is_looked_at_by_the_work_done_not_only_by_steps(compiled: bool) -> None:
    """Each step of this loop copies two million characters: counted in steps alone, the
    clock would be read once in 16,384 steps, and a time limit overshot many times over."""
    doubling = "    DUP\n    ADD\n" * 20  # a string of 2**20 characters
    source = f'    PUSH "x"\n{doubling}    STORE s\ncopy:\n    LOAD s\n    DUP\n    ADD\n' \
             "    POP\n    JMP copy\n"
    reads = itertools.count()
    machine = Machine(program(source), VMConfig(max_steps=1_000, max_string=2 ** 22,
                                                max_millis=UNLIMITED_TIME),
                      compiled=compiled, clock=lambda: next(reads) * 0.0)
    outcome = machine.run()
    assert isinstance(outcome, Failed), outcome
    assert outcome.error.kind == "StepLimitExceeded"
    copies = (machine.steps - 42) // 5  # after the 42 steps that build the string
    assert CLOCK_WORK <= 2 ** 21 and next(reads) >= copies  # a look at least per copy


def test_llmgen_suspends_and_resumes() -> None:
    machine = Machine(program("LLMGEN 'write code'\nSTORE code\nLOAD code\nPRINT"))
    outcome = machine.run()
    assert isinstance(outcome, Suspended)
    assert (outcome.request.kind, outcome.request.prompt, outcome.request.code) == (
        "LLMGEN", "write code", None)
    assert machine.resume("PUSH #1") == Halted()
    assert machine.output == ["PUSH #1"]
    assert machine.steps == 4


def test_the_wait_for_an_llm_answer_is_not_the_programs_time() -> None:
    """A model may take a minute to load; the answer, however long, is then charged to the
    program's meters without looking at a clock that counted the wait."""
    now = [0.0]
    machine = Machine(program("LLMGEN 'write code'\nPOP\nHALT"),
                      VMConfig(max_millis=100, max_string=2 * CLOCK_WORK,
                               max_memory=4 * CLOCK_WORK), clock=lambda: now[0])
    assert isinstance(machine.run(), Suspended)
    now[0] = 60.0
    assert machine.resume("x" * CLOCK_WORK) == Halted()


def test_evolve_replaces_the_code() -> None:
    machine = Machine(program("PUSH 'PUSH #1\\nPUSH #0\\nDIV'\nEVOLVE 'division by zero'"))
    outcome = machine.run()
    assert isinstance(outcome, Suspended)
    assert outcome.request.code == "PUSH #1\nPUSH #0\nDIV"
    assert machine.resume("PUSH #1") == Halted()
    assert machine.stack == ["PUSH #1"]


@pytest.mark.parametrize(("source", "kind", "code"), [
    ("NOP\nLLMGEN 'x'", "LLMUnavailable", "R320"),
    ("NOP\nPUSH 'DIV'\nEVOLVE 'x'", "NoValidFix", "R321"),
])
def test_resuming_with_an_error(source: str, kind: str, code: str) -> None:
    machine = Machine(program(source))
    machine.run()
    failed = machine.resume_error(kind, "no luck")
    assert (failed.error.kind, failed.error.code, failed.error.message) == (kind, code, "no luck")
    assert failed.error.span.line == source.count("\n")


def test_resuming_with_too_long_a_string() -> None:
    machine = Machine(program("LLMGEN 'x'"), VMConfig(max_string=3))
    machine.run()
    outcome = machine.resume("four")
    assert isinstance(outcome, Failed)
    assert outcome.error.kind == "StringTooLong"


def test_suspension_is_enforced() -> None:
    machine = Machine(program("LLMGEN 'x'"))
    machine.run()
    with pytest.raises(RuntimeError):
        machine.run()
    machine.resume("")
    with pytest.raises(RuntimeError):
        machine.resume("")


def test_llm_instruction_respects_the_stack_limit() -> None:
    assert error("PUSH #1\nLLMGEN 'x'", max_stack=1).kind == "StackOverflow"


def test_hot_loops_are_compiled_and_agree() -> None:
    machine, outcome = run("PUSH #0\nSTORE i\nl: LOAD i\nPUSH #1\nADD\nDUP\nSTORE i\n"
                           "PUSH #1000\nLT\nJNZ l\nLOAD i\nPRINT")
    assert outcome == Halted()
    assert machine.output == ["1000"]
    assert machine.exe.units


def test_short_loops_stay_interpreted_and_hot_blocks_compile_once() -> None:
    loop = "PUSH #{n}\nl: PUSH #1\nSUB\nDUP\nJNZ l"
    short = Executable(program(loop.format(n=HOT - 1)))
    assert Machine(short).run() == Halted()
    assert short.units == {}
    long = Executable(program(loop.format(n=10 * HOT)))
    assert Machine(long).run() == Halted()
    assert len(set(long.units.values())) == 1
    assert Machine(long).run() == Halted()
    assert len(set(long.units.values())) == 1


def test_a_long_run_compiles_by_itself() -> None:
    machine = Machine(program("PUSH #0\nl: PUSH #1\nADD\nDUP\nPUSH #10000\nLT\nJNZ l"),
                      VMConfig())
    assert machine.run() == Halted()
    assert machine.stack == [10000]
    assert "def unit(m):" in machine.exe.compiled_source()


def test_config_rejects_non_positive_limits() -> None:
    with pytest.raises(ValueError, match="max_steps"):
        VMConfig(max_steps=0)


WATCHED = """\
    PUSH #3
    STORE n
    PUSH "start"
    PRINT
loop:
    LOAD n
    PRINT
    LOAD n
    PUSH #1
    SUB
    DUP
    STORE n
    JNZ loop
after:
    PUSH "done"
    PRINT
"""


@pytest.mark.parametrize("hot", [1, 50])
def test_watched_instructions_record_their_visits_on_both_paths(hot: int) -> None:
    prog = program(WATCHED)
    loop_body = prog.labels["loop"] + 1  # not a leader until watched
    after = prog.labels["after"]
    watch = (loop_body, after)
    config = VMConfig(max_millis=UNLIMITED_TIME)
    reference = Machine(Executable(prog, watch=watch), config, compiled=False)
    reference.run()
    compiled = Machine(Executable(prog, hot=hot, watch=watch), config)
    compiled.run()
    whole = Executable(prog, watch=watch)
    whole.compile_all()
    fast = Machine(whole, config)
    fast.run()
    for machine in (compiled, fast):
        assert machine.visits == reference.visits
        assert machine.output == reference.output == ["start", "3", "2", "1", "done"]
    body, done = reference.visits[loop_body], reference.visits[after]
    assert (body.first_step, body.first_output) == (5, 1)  # once "start" was printed
    assert body.last_step == 5 + 2 * 8  # three times round a loop of eight
    assert (done.first_output, done.first_step, done.last_step) == (4, 28, 28)


def test_a_watched_loop_records_each_time_round_at_its_step() -> None:
    """A compiled loop counts its steps where a stretch ends, but a watched start of it is
    visited each time round with the steps taken before it."""
    prog = program(_COUNT.format(start="#0"))
    machine, _ = both_ways(prog, VMConfig(max_millis=UNLIMITED_TIME), (prog.labels["loop"],))
    (visit,) = machine.visits.values()
    assert (visit.first_step, visit.last_step) == (4, 4 + 59 * 12)


@pytest.mark.parametrize("limit", range(1, 11))
def test_the_reference_stops_a_straight_run_at_the_step_limit(limit: int) -> None:
    """Straight code runs in one go up to the gate: not one instruction past the limit,
    wherever in the run it falls."""
    machine = Machine(program("PUSH #1\nPRINT\n" * 5 + "HALT"),
                      VMConfig(max_steps=limit, max_millis=UNLIMITED_TIME), compiled=False)
    outcome = machine.run()
    assert isinstance(outcome, Failed) and outcome.error.kind == "StepLimitExceeded"
    assert (outcome.error.steps, len(machine.output)) == (limit, limit // 2)


def test_every_opcode_has_an_emitter() -> None:
    from sovereign.lang.opcodes import OPCODES
    from sovereign.vm.blocks import EMITTERS

    assert set(EMITTERS) == set(OPCODES)


def test_a_trace_is_every_step_of_the_reference_run() -> None:
    from sovereign.vm.disasm import trace_line

    prog = program(WATCHED)
    traced: list[int] = []
    lines: list[str] = []

    def record(machine: Machine, pc: int) -> None:
        traced.append(pc)
        lines.append(trace_line(machine, pc))

    machine = Machine(prog, VMConfig(max_millis=UNLIMITED_TIME), tracer=record)
    machine.run()
    compiled = Machine(prog, VMConfig(max_millis=UNLIMITED_TIME))
    compiled.run()
    assert len(traced) == machine.steps == compiled.steps == 30
    assert machine.output == compiled.output
    assert lines[0].split() == ["1", "1:5", "PUSH", "#3", "[#3]"]
    assert lines[11].split() == ["12", "13:5", "JNZ", "loop", "(->", "4)", "[]"]
    assert traced[:5] == [0, 1, 2, 3, 4] and traced[11] == 11 and traced[12] == 4


def test_the_listing_marks_blocks_and_compiled_ones() -> None:
    from sovereign.vm.disasm import disassemble

    exe = Executable(program("PUSH #3\nl: PUSH #1\nSUB\nDUP\nJNZ l\nHALT"))
    exe.compile_all()
    assert disassemble(exe).split("\n") == [
        "     0 *     1  PUSH #3", "     1 *     2  PUSH #1", "     2       3  SUB",
        "     3       4  DUP", "     4       5  JNZ l (-> 1)", "     5 *     6  HALT"]


FIB = ("    PUSH #16\n    CALL fib\n    PRINT\n    HALT\nfib:\n    DUP\n    PUSH #2\n    LT\n"
       "    JNZ done\n    DUP\n    PUSH #1\n    SUB\n    CALL fib\n    SWAP\n    PUSH #2\n"
       "    SUB\n    CALL fib\n    ADD\ndone:\n    RET\n")


def _unit_entries(machine: Machine, printed: str = "987") -> int:
    """How often a run, which must halt having printed `printed`, entered compiled code."""
    entered = 0
    compiled = machine._run_compiled

    def counted() -> int:
        nonlocal entered
        entered += 1
        return compiled()

    machine._run_compiled = counted  # type: ignore[method-assign]
    assert machine.run() == Halted() and machine.output == [printed]
    return entered


COUNTING_FIB = FIB.replace("    PUSH #16\n", "    PUSH #0\n    STORE n\n    PUSH #16\n").replace(
    "fib:\n", "fib:\n    LOAD n\n    PUSH #1\n    ADD\n    STORE n\n")
"""fib, counting its calls in memory: a subroutine that touches memory does not run as a
Python function (frames.py), so its calls go through the machine's `calls` list."""


def test_a_recursive_subroutine_grows_into_one_unit_and_returns_inside_it() -> None:
    """The code after fib's second CALL first runs once the recursion has gone all the way
    down, so it is compiled later than the rest; it joins the unit next to it, and the
    returns then stay in compiled code instead of leaving a unit on every RET. (With blocks
    hot after 8 entries, fib(16) shows it as fib(25) does with the default.)"""
    apart = Machine(Executable(program(COUNTING_FIB), hot=8, grow=False),
                    VMConfig.run_defaults())
    grown = Machine(Executable(program(COUNTING_FIB), hot=8), VMConfig.run_defaults())
    assert _unit_entries(grown) * 50 < _unit_entries(apart)
    assert len({id(unit) for unit in grown.exe.units.values()}) == 1
    assert grown.memory["n"] == 3193  # every call counted: fib(16) makes 3,193


def test_a_subroutine_of_fixed_stack_effect_runs_as_a_python_function() -> None:
    """fib takes one value and gives one, and touches nothing but the stack: compiled, its
    CALLs are Python calls and its RETs Python returns, which leave the machine's `calls`
    list alone (of fib(16)'s 3,193 calls, those run before fib is hot, and those of frames
    put back on the list when the gate or the clock has compiled code leave, go through it)."""

    class Counted(list[int]):
        appended = 0

        def append(self, site: int) -> None:
            Counted.appended += 1
            super().append(site)

    machine = Machine(Executable(program(FIB), hot=8), VMConfig.run_defaults())
    machine.calls = Counted()
    assert machine.run() == Halted() and machine.output == ["987"]
    assert Counted.appended < 200
    source = machine.exe.compiled_source()
    function = source[source.index("def f4("):source.index("    try:\n        while True:")]
    # fib's first block compares its argument with 2, so it assumes an integer, and every
    # call shows one (n - 1, n - 2, or a checked value in the unit): no call checks its
    # type. What the calls return is known to be an integer (the function returns nothing
    # else), so their sum is added with no check of types either
    assert function.count("type(") == 0
    assert source.count("= f4(") == 4 and "= c4(" not in source  # in fib, and in the unit
    assert "at = " not in function  # every block is written where control goes to it


_HALF = "    CALL half\n    PRINT\n    HALT\nhalf:\n    DUP\n    PUSH #2\n    LT\n    JNZ small\n" \
        "    PUSH #2\n    DIV\nsmall:\n    RET\n"
"""half's first block compares its argument with 2: it assumes an integer."""


@pytest.mark.parametrize(("pushed", "through", "ending"), [
    ("PUSH #9", "f", "4"),  # a literal: the call shows an integer
    ("PUSH #9\n    STORE n\n    JMP later\nlater:\n    LOAD n", "c", "4"),  # not known here:
    ('PUSH "9"\n    STORE n\n    JMP later\nlater:\n    LOAD n', "c", "TypeMismatch"),  # checked
    ('PUSH "ab"\n    CALL twice\n    PRINT\n    HALT\ntwice:\n    DUP\n    ADD\n    RET\n'
     "    PUSH #1", "f", "abab"),  # twice assumes nothing: an int or a string will do
])
def test_a_call_goes_to_the_checking_entry_unless_it_shows_the_arguments_assumed(
        pushed: str, through: str, ending: str) -> None:
    machine, outcome = run(f"    {pushed}\n{_HALF}")
    assert (outcome.error.kind if isinstance(outcome, Failed) else machine.output[0]) == ending
    entered = set(re.findall(r"= ([fc])\d+\(", machine.exe.compiled_source()))
    assert entered == {through}  # what each call of a function enters


def _strings(keep: bool) -> str:
    """Double a string to 2**16 characters, then make new ones of twice that, 100 times,
    each kept on the stack or dropped at once."""
    doubling = "    DUP\n    ADD\n" * 16
    kept = "" if keep else "    POP\n"
    return (f'    PUSH "x"\n{doubling}    STORE s\n    PUSH #100\n    STORE n\nmake:\n'
            f"    LOAD s\n    LOAD s\n    ADD\n{kept}    LOAD n\n    PUSH #1\n    SUB\n    DUP\n"
            "    STORE n\n    JNZ make\n")


def test_a_run_that_holds_more_than_its_memory_budget_fails_at_the_string_it_makes() -> None:
    """Made only by concatenation, strings are what a run can grow without bound: 100 of
    128 Ki characters kept are 12.5 Mi, past a budget of 4 Mi (checked on both paths)."""
    found = error(_strings(keep=True), max_memory=4 * 1024 * 1024, max_string=2 ** 20,
                  max_stack=1_000)
    assert found.kind == "MemoryBudgetExceeded" and found.code == "R315"
    assert "more than the limit of 4,194,304" in found.message
    assert program(_strings(keep=True)).code[found.pc].op == "ADD"


def test_strings_made_and_dropped_do_not_count_against_the_budget() -> None:
    assert output(_strings(keep=False) + "    PUSH #1\n    PRINT\n",
                  max_memory=4 * 1024 * 1024, max_string=2 ** 20) == ["1"]


_BUILD_A_STRING = """
    PUSH {start}
    STORE text
    PUSH #0
    STORE i
loop:
    LOAD text
    PUSH "ab"
    ADD
    STORE text
    LOAD i
    PUSH #1
    ADD
    DUP
    STORE i
    PUSH #20
    LT
    JNZ loop
    LOAD text
    PRINT
"""


@pytest.mark.parametrize(("start", "limits", "ending"), [
    ('""', {}, "Halted"),
    ('""', {"max_string": 7}, "StringTooLong"),  # the ADD that makes 8 characters
    ('""', {"max_memory": 30}, "MemoryBudgetExceeded"),
    ('""', {"max_string": 1}, "StringTooLong"),  # the literal itself
    ("#5", {}, "TypeMismatch"),
])
def test_a_string_built_in_place_keeps_every_check_of_the_four_instructions(
        start: str, limits: dict[str, int], ending: str) -> None:
    """Compiled, `LOAD x PUSH "s" ADD STORE x` is one `x += "s"`: each way must end where
    the reference ends, with the same state."""

    config = VMConfig(max_millis=UNLIMITED_TIME, **limits)
    _, outcome = both_ways(program(_BUILD_A_STRING.format(start=start)), config)
    assert (outcome.error.kind if isinstance(outcome, Failed) else type(outcome).__name__) \
        == ending


_COUNT = """
    PUSH {start}
    STORE i
    PUSH #0
    STORE sum
loop:
    LOAD sum
    LOAD i
    ADD
    STORE sum
    LOAD i
    PUSH #1
    ADD
    DUP
    STORE i
    PUSH #60
    LT
    JNZ loop
    LOAD sum
    PRINT
"""


def _loop_of(source: str) -> tuple[str, list[str]]:
    """The check before a program's compiled loop, and the body it runs each time round."""
    exe = Executable(program(source))
    exe.compile_all()
    lines = exe.compiled_source().splitlines()
    start = max(n for n, line in enumerate(lines) if line.strip() == "while True:")
    body = next(n for n in range(start, len(lines)) if lines[n].strip().startswith("for k in"))
    indent = len(lines[body]) - len(lines[body].lstrip())
    return lines[start - 1], list(itertools.takewhile(
        lambda line: len(line) - len(line.lstrip()) > indent, lines[body + 1:]))


def test_a_loop_checks_before_it_what_holds_every_time_round() -> None:
    """Every time round the counting loop, its locals hold integers and the stack is as
    deep: the compiled loop checks that once, before it, and its body has no such check.
    Nor does it look at the gate: the loop runs as many times round as fit before it, and
    counts their steps where the stretch ends, not each time round."""
    before, body = _loop_of(_COUNT.format(start="#0"))
    assert not any(line.strip().startswith("steps +=") for line in body)
    assert any(line.strip() == "steps = steps + 12 * k + 12" for line in body)  # at the end
    assert not any("type(" in line or "UNSET" in line or "len(stack)" in line or "gate" in line
                   for line in body)
    assert "type(m0) is not int" in before and "type(m1) is not int" in before


def test_a_loop_checks_before_it_that_its_literals_fit_the_string_limit() -> None:
    before, body = _loop_of(_BUILD_A_STRING.format(start='""'))
    assert "maxlen < 2" in before and not any("maxlen" in line for line in body)


@pytest.mark.parametrize(("source", "printed"), [
    ("LOAD x\nPUSH #2\nSTORE x\nPRINT\nLOAD x\nPRINT", ["1", "2"]),
    ("LOAD x\nPUSH #5\nLT\nPUSH #9\nSTORE x\nPRINT\nLOAD x\nPRINT",
     ["1", "9"]),  # a comparison of the old value, not yet worked out
    ("LOAD x\nDUP\nPUSH #2\nADD\nSTORE x\nLOAD x\nADD\nPRINT", ["4"]),
    ("LOAD s\nLOAD s\nPUSH 'b'\nADD\nSTORE s\nPRINT\nLOAD s\nPRINT",
     ["a", "ab"]),  # the string idiom grows s in place
])
def test_a_value_loaded_before_its_name_is_stored_keeps_the_old_value(
        source: str, printed: list[str]) -> None:
    """Compiled code reads a loaded value from the local itself until the local is stored
    into; a value still on the stack then must keep what was loaded. (The names get their
    values in a block of their own: a first STORE is the reference's.)"""
    assert output("PUSH #1\nSTORE x\nPUSH 'a'\nSTORE s\nJMP go\ngo:\n" + source) == printed


@pytest.mark.parametrize(("source", "ending"), [
    (_COUNT.format(start="#0"), "1770"),
    (_COUNT.format(start='"a"'), "TypeMismatch"),  # the loop's types do not hold at its start
    ("PUSH 'text'\nSTORE x\nPUSH #30\nSTORE n\n"  # x is a string until the loop stores into it
     "loop: LOAD n\nSTORE x\nLOAD n\nPUSH #1\nSUB\nDUP\nSTORE n\nJNZ loop\nLOAD x\nPRINT", "1"),
    ("PUSH #30\nSTORE n\n"  # a name first given a value inside the loop
     "loop: LOAD n\nSTORE fresh\nLOAD n\nPUSH #1\nSUB\nDUP\nSTORE n\nJNZ loop\nLOAD fresh\n"
     "PRINT", "1"),
    ("PUSH #30\nloop: PUSH #1\nSUB\nDUP\nJNZ loop\nPRINT", "0"),  # the stack as deep each time
    ("PUSH #30\nloop: PUSH #1\nSUB\nDUP\nDUP\nJNZ loop\nPRINT", "StackOverflow"),  # it grows
])
def test_a_compiled_loop_ends_as_the_reference_does(source: str, ending: str) -> None:
    machine, outcome = run(source, max_stack=20)
    assert (outcome.error.kind if isinstance(outcome, Failed) else machine.output[-1]) == ending


_LOADED_ONLY = ("PUSH {first}\nSTORE i\nPUSH #0\nSTORE j\n"
                "inner: LOAD i\nLOAD j\nMUL\nPOP\nLOAD j\nPUSH #1\nADD\nDUP\nSTORE j\n"
                "PUSH #{end}\nLT\nJNZ inner")
"""A loop in which `i` is only loaded."""


def test_a_type_checked_once_in_a_loop_is_checked_before_it() -> None:
    """In the inner loop `i` is only loaded: once its MUL found it an integer, it is one
    every time round, so the check moves before the loop."""
    exe = Executable(program(_LOADED_ONLY.format(first="#3", end=9)))
    exe.compile_all()
    lines = exe.compiled_source().splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip() == "while True:" and n > 12)
    assert "type(m0) is not int" in lines[start - 1]  # i is m0
    assert not any("type(" in line for line in lines[start:])


@pytest.mark.parametrize(("first", "ending"), [("#3", "Halted"), ('"s"', "TypeMismatch")])
def test_a_loaded_only_local_of_another_type_fails_where_the_reference_does(
        first: str, ending: str) -> None:
    _, outcome = run(_LOADED_ONLY.format(first=first, end=90) + "\nHALT")
    assert (outcome.error.kind if isinstance(outcome, Failed) else "Halted") == ending


_DEEP = ("PUSH #{n}\nCALL sum\nPRINT\nHALT\n"
         "sum: DUP\nJZ zero\nDUP\nPUSH #1\nSUB\nCALL sum\nADD\nRET\nzero: RET")


@pytest.mark.parametrize(("n", "depth", "ending"), [
    (1_500, 2_000, "1125750"),  # past FUNCTION_DEPTH, calls go through `calls` again
    (1_500, 1_000, "CallDepthExceeded"),
])
def test_a_recursion_deeper_than_python_calls_go_ends_as_the_reference_does(
        n: int, depth: int, ending: str) -> None:
    machine, outcome = run(_DEEP.format(n=n), max_call_depth=depth, max_stack=5_000)
    assert (outcome.error.kind if isinstance(outcome, Failed) else machine.output[-1]) == ending


def test_a_bound_a_branch_gives_never_hides_an_overflow() -> None:
    """In a function, a comparison with a constant bounds the value on each path of the
    branch on it, and an ADD or SUB of a constant the bound keeps in range goes unchecked:
    at the limits of the integers, on either path, each way must end as the reference does."""
    for op, jump, start, constant, change in itertools.product(
            ["LT", "LE", "GT", "GE"], ["JZ", "JNZ"],
            [INT_MIN, INT_MIN + 1, INT_MIN + 2, 0, INT_MAX - 2, INT_MAX - 1, INT_MAX],
            [INT_MIN, INT_MIN + 1, 0, INT_MAX - 1, INT_MAX], ["#1", "#2", "#-1", "#-2"]):
        for arithmetic in ("ADD", "SUB"):
            run(f"PUSH #{start}\nCALL f\nHALT\nf: DUP\nPUSH #{constant}\n{op}\n{jump} other\n"
                f"PUSH {change}\n{arithmetic}\nRET\nother: PUSH {change}\n{arithmetic}\nRET")


def test_compiled_code_looks_at_the_clock_itself_and_goes_on() -> None:
    """A loop of 2.4 million steps passes the clock's gate about 150 times: each time only
    the clock is due, so the machine looks at it for the compiled code, which goes on
    rather than handing the next step to the reference and entering again."""
    machine = Machine(program(_COUNT.format(start="#0").replace("#60", "#200000")),
                      VMConfig.run_defaults())
    entered = _unit_entries(machine, str(sum(range(200_000))))
    assert machine.steps > 100 * CLOCK_STRIDE
    assert entered < 60  # the blocks' warming up, not the clock


def test_a_program_run_again_reuses_the_python_compile_of_its_hot_code() -> None:
    """The editor's sandbox makes a new Executable for every version of a document; a hot
    loop an edit left alone is the same Python source, compiled once."""
    first, second = (Executable(program(_COUNT.format(start="#0"))) for _ in range(2))
    first.compile_all()
    second.compile_all()
    assert first.units[0].__code__ is second.units[0].__code__


@pytest.mark.parametrize("source", [
    "PUSH #5\nCALL f\nPRINT\nHALT\nf: PUSH #1\nSUB\nDUP\nJNZ f\nRET",  # its entry is a loop
    "PUSH #5\nCALL f\nPRINT\nHALT\nf: DUP\nJZ out\nPUSH #1\nSUB\nJMP f\nout: RET",
])
def test_a_function_whose_entry_is_a_loop_runs_as_the_reference_does(source: str) -> None:
    assert output(source) == ["0"]


@pytest.mark.parametrize("source", [
    "PUSH #1\nCALL f\nHALT\nf: ADD\nRET",
    "PUSH #1\nPUSH #2\nCALL f\nCALL f\nHALT\nf: ADD\nRET",  # enough the first time only
])
def test_a_call_of_a_function_with_too_few_values_for_it_ends_as_the_reference_does(
        source: str) -> None:
    """The values a function takes come off the stack in the block that calls it, so the
    block's check of the stack at its entry counts them (found by hypothesis)."""
    _, outcome = run(source)
    assert isinstance(outcome, Failed) and outcome.error.kind == "StackUnderflow"


def test_a_jump_back_to_a_functions_entry_is_not_taken_for_its_callers() -> None:
    """What a function assumes of its arguments holds where it is called; a jump back to its
    entry from inside brings whatever it brings (here a string to compare with 2)."""
    _, outcome = run("PUSH #5\nCALL f\nPRINT\nHALT\nf: DUP\nPUSH #2\nLT\nJNZ out\nPOP\n"
                     "PUSH 's'\nJMP f\nout: RET")
    assert isinstance(outcome, Failed) and outcome.error.kind == "TypeMismatch"


_PRODUCTS = """
    PUSH #{i}
    STORE i
    PUSH #{j}
    STORE j
    PUSH #3
    STORE k
loop:
    LOAD i
    LOAD j
    MUL
    LOAD k
    LOAD k
    MUL
    STORE k
    POP
    LOAD j
    PUSH #1
    ADD
    DUP
    STORE j
    PUSH #{end}
    LT
    JNZ loop
    LOAD k
    PRINT
"""
"""A loop multiplying a local it only loads (i) by its counter (j), and squaring k."""


_SUMMING = ("PUSH {acc}\nSTORE acc\nPUSH #{i}\nSTORE i\nPUSH #0\nSTORE j\n"
            "inner: LOAD acc\nLOAD i\nLOAD j\nMUL\nPUSH #7\nMOD\n{op}\nSTORE acc\n"
            "LOAD j\nPUSH #1\nADD\nDUP\nSTORE j\nPUSH #{end}\nLT\nJNZ inner\nLOAD acc\nPRINT")
"""The nested loop's inner loop: `acc` is a sum, moved by at most 6 each time round."""


def test_a_loop_leaves_out_the_overflow_checks_its_ranges_rule_out() -> None:
    """In the nested loop's inner loop, i is only loaded and j goes on only while below the
    bound: both stay within ±2**31 (checked before the loop), so `i * j` and `j + 1` cannot
    overflow; `acc`, a sum, is checked to lie well inside 64 bits before each stretch of
    times round instead of at each ADD."""
    source = _SUMMING.format(acc="#0", i=0, op="ADD", end=300)
    before, body = _loop_of(source)
    assert f"<= {2**31}" in before
    assert not any("9223372036854775807" in line for line in body)
    exe = Executable(program(source))
    exe.compile_all()
    assert f"room * 6 <= m0 <= {2**62} - room * 6" in exe.compiled_source()


def test_a_total_of_unbounded_amounts_is_not_a_sum() -> None:
    """`acc` grows by `j * j`, which may lie anywhere up to 2**62: no stretch could keep
    it in range, so it keeps its overflow check each time round and has none before each
    stretch."""
    source = _SUMMING.replace("LOAD i\nLOAD j\nMUL\nPUSH #7\nMOD", "LOAD j\nDUP\nMUL")\
        .format(acc="#0", i=0, op="ADD", end=300)
    _, body = _loop_of(source)
    assert sum("9223372036854775807" in line for line in body) == 1
    exe = Executable(program(source))
    exe.compile_all()
    assert "room *" not in exe.compiled_source()


@pytest.mark.parametrize(("op", "sign"), [("ADD", 1), ("SUB", -1)])
def test_a_sum_stays_where_the_loop_assumes_it_each_time_round(op: str, sign: int) -> None:
    """`acc + (2**62 - 1)` is written without a check, as acc lies within ±2**62 where each
    time round begins; the stretch must end before acc leaves that range, or the ADD would
    overflow unseen (and so for a sum that goes down)."""
    source = (f"PUSH #{sign * (2**62 - 5)}\nSTORE acc\nPUSH #0\nSTORE j\n"
              f"loop: LOAD acc\nPUSH #1\n{op}\nSTORE acc\n"
              f"LOAD acc\nPUSH #{sign * (2**62 - 1)}\nADD\n"
              "POP\nLOAD j\nPUSH #1\nADD\nDUP\nSTORE j\nPUSH #100\nLT\nJNZ loop")
    _, outcome = run(source)
    assert isinstance(outcome, Failed) and outcome.error.kind == "IntegerOverflow"


@pytest.mark.parametrize(("acc", "op", "end"), [
    (2**62 - 3_000, "ADD", 3_000),  # the sum crosses the range it is kept in: by reference
    (2**62 - 3_000, "SUB", 3_000),
    (-2**62 + 3_000, "SUB", 3_000),
    (INT_MAX - 3_000, "ADD", 3_000),  # it overflows, at the same step as by reference
    (INT_MIN + 3_000, "SUB", 3_000),
    (2**62 - 200_000, "ADD", 40_000),  # it leaves the range after a few stretches
    (0, "SUB", 40_000),
])
def test_a_sum_near_the_edge_of_its_range_ends_as_the_reference_does(acc: int, op: str,
                                                                      end: int) -> None:
    source = _SUMMING.format(acc=f"#{acc}", i=1, op=op, end=end)
    exe = Executable(program(source))
    exe.compile_all()
    assert "room * 6 <= m0" in exe.compiled_source()
    run(source)


@pytest.mark.parametrize(("i", "j", "end"), [
    (2**31, 2**31 - 3, 2**31),  # at the edge of the range: no check needed
    (2**31 + 1, 2**31 - 3, 2**31),  # i just outside: the reference runs the loop
    (-2**31, 2**31 - 3, 2**31),
    (2**32 + 7, 2**32, 2**32 + 3),  # outside, and i * j overflows
    (INT_MAX, 1, 5),
    (3, 2**31 - 3, 2**31 + 3),  # j goes past the range
])
def test_a_loop_with_ranges_ends_as_the_reference_does(i: int, j: int, end: int) -> None:
    """k is squared every time round (3, 9, 81, ..., until it overflows): it never counts
    as in range; i and j do or do not, by where they start and end."""
    run(_PRODUCTS.format(i=i, j=j, end=end))


def test_what_a_loop_s_condition_bounds_is_the_value_it_compares_alone() -> None:
    """The loop goes on while n < 20; j, which it also stores, grows by a billion each time
    round and is squared: the bound on n says nothing of j, whose square overflows."""
    error(
        "PUSH #0\nSTORE j\nPUSH #0\nSTORE n\n"
        "loop: LOAD j\nLOAD j\nMUL\nPOP\nLOAD j\nPUSH #1000000000\nADD\nSTORE j\n"
        "LOAD n\nPUSH #1\nADD\nDUP\nSTORE n\nPUSH #20\nLT\nJNZ loop")
