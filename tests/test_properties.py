"""Property tests: no input makes the core raise, hang or break a limit, and the compiled path
always agrees with the reference interpreter."""

from __future__ import annotations

import time
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovereign.cli.programs import runtime_report
from sovereign.lang import analysis as analysis_module
from sovereign.lang.analysis import Analysis, analyse, forget_runs
from sovereign.lang.assembler import _Builder, assemble
from sovereign.lang.opcodes import OPCODES, Operand
from sovereign.lang.symbols import index_symbols
from sovereign.vm.checker import check
from sovereign.vm.config import VMConfig
from sovereign.vm.errors import RUNTIME_ERRORS
from sovereign.vm.machine import Failed, Halted, Machine, Suspended

from .vmrun import both_ways

_FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_WORDS = [*OPCODES, *(name.lower() for name in OPCODES), "loop", "x", "#1", "#-5", "#0x1F",
          "#0b1", '"s"', "'t'", '"\\n"', ";", "l:", "x:", ":", "#", '"', "\\", "\t", "é", "😀"]
_line = st.lists(st.sampled_from(_WORDS), max_size=5).map(" ".join)
_source = st.lists(_line, max_size=30).map("\n".join)


@_FAST
@given(st.text())
def test_any_text_assembles_without_raising(text: str) -> None:
    _check_spans(text, assemble(text))


@_FAST
@given(st.binary())
def test_any_bytes_assemble_without_raising(data: bytes) -> None:
    assemble(data)


@_FAST
@given(_source)
def test_token_soup_checks_without_raising(source: str) -> None:
    result = check(source)
    _check_spans(source, result.assembly)
    for finding in result.findings:
        assert finding.code[0] in "ESR"


@_FAST
@given(_source, st.data())
def test_reassembling_after_an_edit_equals_assembling_afresh(source: str,
                                                              data: st.DataObject) -> None:
    lines = source.split("\n")
    number = data.draw(st.integers(0, len(lines) - 1))
    how = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    if how == "replace":
        lines[number] = data.draw(_line)
    elif how == "insert":
        lines[number:number] = data.draw(st.lists(_line, min_size=1, max_size=3))
    else:
        del lines[number:number + data.draw(st.integers(1, 3))]
    edited = "\n".join(lines)
    assert assemble(edited, previous=assemble(source)) == assemble(edited)


_LITERAL = st.tuples(st.sampled_from(["", "-"]), st.sampled_from(["", "0x", "0b"]),
                     st.integers(0, 6000), st.integers(1, 30), st.sampled_from("0179fF"))


@_FAST
@given(_LITERAL)
def test_an_integer_literal_of_any_length_is_in_range_or_e106(literal: tuple[
        str, str, int, int, str]) -> None:
    """Python refuses to convert more than 4,300 digits: the assembler must decide the range
    first, on the simple path and the careful one (a label sends a line down the latter)."""
    sign, prefix, zeros, count, digit = literal
    base = {"": 10, "0x": 16, "0b": 2}[prefix]
    if digit not in "0123456789abcdefABCDEF"[:base + (6 if base == 16 else 0)]:
        digit = "1"
    text = f"#{sign}{prefix}{'0' * zeros}{digit * count}"
    value = int(digit * count, base) * (-1 if sign else 1)
    fits = -(2 ** 63) <= value < 2 ** 63
    for line in (f"PUSH {text}", f"start: PUSH {text} ; a comment"):
        assembly = assemble(line)
        assert [f.code for f in assembly.findings] == ([] if fits else ["E106"])
        if fits:
            assert assembly.program.code[0].arg == value


def _check_spans(text: str, assembly: object) -> None:
    lines = assembly.texts  # type: ignore[attr-defined]
    for finding in assembly.findings:  # type: ignore[attr-defined]
        span = finding.span
        assert 0 <= span.line < len(lines)
        assert 0 <= span.col <= span.end <= len(lines[span.line]) + 1


@_FAST
@given(_line)
def test_the_simple_scan_and_the_careful_lexer_agree(line: str) -> None:
    """The careful path is the definition; the simple scan a shortcut that must give the same
    instructions and findings on every line it takes."""
    builder = _Builder()
    builder.careful_line(0, line, None)
    simple, careful = assemble(line), builder.finish([line])
    assert simple.program.code == careful.program.code
    assert simple.program.labels == careful.program.labels
    assert [(f.code, f.span) for f in simple.findings] == [
        (f.code, f.span) for f in careful.findings]


_OPERANDS = {
    Operand.NONE: st.just(""),
    Operand.VALUE: st.one_of(
        st.integers(-(2**63), 2**63 - 1).map(lambda n: f"#{n}"),
        st.sampled_from(["#0", "#1", "#-1", "#2", "#-2", "#9223372036854775807",
                         "#-9223372036854775808", "#4611686018427387904",
                         "#-4611686018427387905"]),
        st.sampled_from(['""', '"a"', '"0"', '"ab"', '"é"'])),
    Operand.LABEL: st.sampled_from(["L0", "L1", "L2", "L3"]),
    Operand.NAME: st.sampled_from(["x", "y", '"z z"']),
    Operand.TEXT: st.sampled_from(['"make code"', '"fix it"']),
    Operand.OPTIONAL_TEXT: st.sampled_from(["", '"must hold"']),
}


@st.composite
def _programs(draw: st.DrawFn) -> str:
    """Valid programs: a few values to start from, then random instructions and labels."""
    lines = ["PUSH #5", "STORE x", 'PUSH "s"', "STORE y"]
    for _ in range(draw(st.integers(0, 6))):
        lines.append("PUSH " + draw(_OPERANDS[Operand.VALUE]))
    body = []
    names = sorted(OPCODES)
    for _ in range(draw(st.integers(1, 25))):
        opcode = OPCODES[draw(st.sampled_from(names))]
        body.append(f"{opcode.name} {draw(_OPERANDS[opcode.operand])}".strip())
    for _ in range(draw(st.integers(0, 2))):  # the idiom that builds a string (x is an int)
        name, literal = draw(st.sampled_from(["x", "y"])), draw(st.sampled_from(['"ab"', '"é"']))
        body[draw(st.integers(0, len(body))):0] = [f"LOAD {name}", f"PUSH {literal}", "ADD",
                                                    f"STORE {name}"]
    for label in ("L0", "L1", "L2", "L3"):
        body.insert(draw(st.integers(0, len(body))), f"{label}:")
    return "\n".join(lines + body)


def _assert_same(warm: Analysis, cold: Analysis) -> None:
    """An analysis that reused earlier work says all that the one from cold says."""
    assert warm.findings == cold.findings
    assert warm.stack == cold.stack
    assert warm.stack_after == cold.stack_after
    assert warm.summaries == cold.summaries


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_programs(), _programs())
def test_kept_analysis_runs_never_change_a_result(first: str, second: str) -> None:
    """Analysing one program, then another that shares code with it, gives what analysing the
    second from cold gives."""
    joined = assemble(first + "\n" + second.replace("L", "M")).program
    later = assemble(second.replace("L", "M") + "\n" + first).program
    analyse(joined)
    warm = analyse(later)
    forget_runs()
    cold = analyse(later)
    _assert_same(warm, cold)


@_FAST
@given(_source, st.data())
def test_a_symbol_index_from_the_version_before_is_the_index_from_cold(
        source: str, data: st.DataObject) -> None:
    """Lines an edit left alone keep their occurrences; the edited ones are read again."""
    old = source.split("\n")
    new = list(old)
    for _ in range(data.draw(st.integers(0, 3))):
        new[data.draw(st.integers(0, len(new) - 1))] = data.draw(_line)
    if data.draw(st.booleans()):
        new.insert(data.draw(st.integers(0, len(new))), data.draw(_line))
    warm, cold = index_symbols(new, index_symbols(old)), index_symbols(new)
    assert warm.occurrences == cold.occurrences
    for line in range(len(new)):
        assert warm.occurrences_on(line) == [o for o in cold.occurrences if o.span.line == line]


@st.composite
def _edited(draw: st.DrawFn, source: str) -> str:
    """`source` with a few lines replaced, inserted or deleted, a label moved, or an
    instruction given another operand, as typing does."""
    lines = source.split("\n")
    names = sorted(OPCODES)
    for _ in range(draw(st.integers(1, 3))):
        opcode = OPCODES[draw(st.sampled_from(names))]
        line = draw(st.one_of(st.just(f"{opcode.name} {draw(_OPERANDS[opcode.operand])}"),
                              st.sampled_from(["L0:", "L4:", "", "; a note", "HALT", "RET"])))
        at = draw(st.one_of(st.integers(0, len(lines)), st.just(len(lines))))  # the end too
        how = draw(st.sampled_from(["replace", "insert", "delete", "move", "operand"]))
        coded = [n for n, text in enumerate(lines) if text.split(" ")[0] in OPCODES
                 and OPCODES[text.split(" ")[0]].operand is not Operand.NONE]
        if how == "operand" and coded:  # another operand, as typing a number or a name does
            at = draw(st.sampled_from(coded))
            opcode = OPCODES[lines[at].split(" ")[0]]
            lines[at] = f"{opcode.name} {draw(_OPERANDS[opcode.operand])}"
        elif how == "move":
            labels = [n for n, text in enumerate(lines) if text.endswith(":")]
            if labels:
                lines.insert(at, lines.pop(draw(st.sampled_from(labels))))
        elif how == "insert" or at == len(lines):
            lines.insert(at, line)
        elif how == "replace":
            lines[at] = line
        else:
            del lines[at]
    return "\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([analysis_module._LONG_WINDOW, 0]))
def test_an_analysis_from_the_version_before_is_the_analysis_from_cold(
        data: st.DataObject, long_window: int) -> None:
    """What the analysis of a version takes over from the version before (units outside the
    edit's window, targets, CALLs, counts of names) never changes a result: two edits in a
    row, each reassembled from the one before as the editor does, and also afresh. (With no
    window counted long, every edit takes the way of a line added above much code: the
    window found again in what the analysis reads, the units below placed again. And from
    two versions before: the reassembly's window is then not the edit's.)"""
    versions = [assemble(data.draw(_programs()))]
    for _ in range(2):
        text = data.draw(_edited("\n".join(versions[-1].texts)))
        versions.append(assemble(text, previous=versions[-1]))
        assert versions[-1] == assemble(text)
    if not all(version.ok for version in versions):
        return
    first = analysis = analyse(versions[0].program)
    for version in versions[1:]:
        for program in (version.program, assemble("\n".join(version.texts)).program):
            with mock.patch.object(analysis_module, "_LONG_WINDOW", long_window):
                warm = analyse(program, analysis)
            forget_runs()
            cold = analyse(program)
            _assert_same(warm, cold)
        analysis = warm
    _assert_same(analyse(versions[-1].program, first), cold)  # a version skipped


_limits = st.builds(
    VMConfig,
    max_stack=st.integers(1, 20), max_names=st.integers(1, 4), max_steps=st.integers(1, 3000),
    max_call_depth=st.integers(1, 8), max_string=st.integers(1, 30),
    max_output=st.integers(1, 60), max_memory=st.integers(1, 200), max_millis=st.just(1e9),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_programs(), _limits, st.lists(st.integers(0, 40), max_size=4), st.booleans())
def test_random_programs_stay_within_limits_and_both_paths_agree(
        source: str, config: VMConfig, watch: list[int], live: bool) -> None:
    assembly = assemble(source)
    assert assembly.ok, assembly.findings
    machine, outcome = both_ways(assembly.program, config, tuple(watch), live)
    assert isinstance(outcome, Halted | Failed | Suspended)
    if isinstance(outcome, Failed):
        assert outcome.error.kind in RUNTIME_ERRORS
    assert machine.steps <= config.max_steps
    assert len(machine.stack) <= config.max_stack
    assert len(machine.memory) <= config.max_names
    assert len(machine.calls) <= config.max_call_depth
    assert machine.output_bytes <= config.max_output
    assert all(len(v) <= config.max_string for v in machine.stack if isinstance(v, str))


_GROWTH = ["LOAD y", "LOAD y", "ADD", "STORE y", "LOAD y", "PRINT", "LOAD y", "DUP", "ADD",
           "PUSH #1", "ADD"]
"""Instructions that make strings grow fast (doubling `y`, printing it), to meet the time
and memory limits rather than only the step limit."""


@st.composite
def _costly_programs(draw: st.DrawFn) -> str:
    """Valid programs that loop back to their start with string growth scattered in."""
    lines = draw(_programs()).splitlines()
    for _ in range(draw(st.integers(0, 8))):
        lines.insert(draw(st.integers(4, len(lines))), draw(st.sampled_from(_GROWTH)))
    return "\n".join([*lines, "JMP L0"])


_any_limits = st.builds(
    VMConfig,
    max_stack=st.integers(1, 10_000), max_names=st.integers(1, 100),
    max_steps=st.integers(1, 2_000_000), max_call_depth=st.integers(1, 100),
    max_string=st.integers(1, 1 << 24), max_output=st.integers(1, 1 << 24),
    max_memory=st.integers(1, 1 << 25), max_millis=st.floats(1, 300),
)


def _held(machine: Machine) -> int:
    """What the memory budget counts: each string once, and the output."""
    strings = {id(v): len(v) for v in (*machine.stack, *machine.memory.values())
               if isinstance(v, str)}
    return sum(strings.values()) + machine.output_bytes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_costly_programs(), _any_limits)
def test_every_run_ends_by_its_limits_with_a_documented_error_and_a_short_report(
        source: str, config: VMConfig) -> None:
    """Time is this thread's CPU time, for the machine's clock and for the measure alike,
    so the verdict does not depend on what else the machine is doing."""
    assembly = assemble(source)
    assert assembly.ok, assembly.findings
    machine = Machine(assembly.program, config, clock=time.thread_time)
    started = time.thread_time()
    outcome = machine.run()
    elapsed_ms = (time.thread_time() - started) * 1000
    assert elapsed_ms <= max(config.max_millis * 1.1, config.max_millis + 50)
    assert machine.steps <= config.max_steps
    assert _held(machine) <= config.max_memory
    if isinstance(outcome, Failed):
        assert outcome.error.kind in RUNTIME_ERRORS
        report = runtime_report("p.sov", assembly, outcome.error)
        assert len(report) <= 2_000, report[:2_000]


_RECURSIVE = [
    # fib: one value in, one out, two calls to itself
    "PUSH #{n}\nCALL fib\nPRINT\nHALT\n"
    "fib: DUP\nPUSH #2\nLT\nJNZ done\nDUP\nPUSH #1\nSUB\nCALL fib\nSWAP\nPUSH #2\nSUB\n"
    "CALL fib\nADD\ndone: RET",
    # values held below a call, two functions, two results, a loop inside a function
    "PUSH #7\nPUSH #{n}\nCALL walk\nADD\nADD\nPRINT\nHALT\n"
    "walk: DUP\nJZ bottom\nPUSH #1\nSUB\nCALL walk\nCALL pair\nROT\nADD\nADD\nRET\n"
    "bottom: POP\nPUSH #0\nPUSH #0\nRET\n"
    "pair: PUSH #3\nPUSH #4\nspin: PUSH #1\nSUB\nDUP\nJNZ spin\nRET",
    # a sum that may overflow deep in the recursion
    "PUSH #{n}\nCALL sum\nPRINT\nHALT\n"
    "sum: DUP\nJZ zero\nDUP\nPUSH #1\nSUB\nCALL sum\nADD\nPUSH #4611686018427387904\nADD\n"
    "RET\nzero: RET",
    # a string where an integer is wanted, met at the bottom of the recursion
    "PUSH 'x'\nPUSH #{n}\nCALL down\nHALT\n"
    "down: DUP\nJZ use\nPUSH #1\nSUB\nCALL down\nRET\nuse: POP\nDUP\nPUSH #1\nADD\nRET",
]
"""Subroutines that run as Python functions (vm/frames.py), to stop at any point inside
nested frames."""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_RECURSIVE), st.integers(0, 12), st.builds(
    VMConfig, max_steps=st.integers(1, 3000), max_stack=st.integers(1, 40),
    max_call_depth=st.integers(1, 30), max_millis=st.just(1e9)))
def test_a_run_stopped_inside_functions_ends_in_the_reference_state(
        source: str, n: int, config: VMConfig) -> None:
    """Wherever a limit or an error stops a run inside the functions' frames, the values and
    calls the frames held are put back as the reference interpreter has them."""
    assembly = assemble(source.format(n=n))
    assert assembly.ok, assembly.findings
    both_ways(assembly.program, config)
