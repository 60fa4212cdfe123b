"""The `sovereign` command end to end, as a user runs it: a real process, its output and status."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def sovereign(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sovereign", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def write(tmp_path: Path, content: str | bytes, name: str = "prog.sov") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_run_prints_the_output() -> None:
    result = sovereign("run", "examples/hello.sov")
    assert (result.returncode, result.stdout, result.stderr) == (0, "Hello, Sovereign!\n", "")


def test_run_reports_a_runtime_error_with_caret_and_call_stack() -> None:
    result = sovereign("run", "examples/bugs/division_by_zero.sov")
    assert result.returncode == 2
    assert result.stdout == "5\n"
    assert result.stderr.splitlines() == [
        "examples/bugs/division_by_zero.sov:13:5: error[R301]: DivisionByZero: 50 / 0",
        " 13 |     DIV",
        "    |     ^^^",
        "  called from examples/bugs/division_by_zero.sov:8:5: CALL half_of",
        "  stack (top last): 50, 0",
        "  after 11 steps",
    ]


def test_run_refuses_a_file_that_does_not_assemble(tmp_path: Path) -> None:
    path = write(tmp_path, "PUSHH #1\nJMP nowhere\n")
    result = sovereign("run", path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:1:1: error[E101]: unknown opcode 'PUSHH' (did you mean PUSH?)",
        f"{path}:2:5: error[E109]: undefined label 'nowhere'",
    ]


def test_run_llm_instructions_say_how_to_start_ollama_when_it_is_not_there() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    result = sovereign("run", "examples/generate_sort.sov", "--host", dead)
    assert result.returncode == 2
    assert "error[R320]: LLMUnavailable: Ollama is not reachable at" in result.stderr
    assert "start it with `ollama serve`" in result.stderr


def test_run_limits_are_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "l: JMP l\n")
    result = sovereign("run", path, "--max-steps", "1000")
    assert result.returncode == 2
    assert "warning[R309]: StepLimitExceeded: did not halt within 1000 steps" in result.stderr
    assert "after 1000 steps" in result.stderr


def test_run_can_show_what_was_compiled(tmp_path: Path) -> None:
    path = write(tmp_path, "PUSH #0\nl: PUSH #1\nADD\nDUP\nPUSH #100\nLT\nJNZ l\n")
    result = sovereign("run", "--show-compiled", path)
    assert result.returncode == 0
    assert "def unit(m):" in result.stderr


def test_check_reports_every_finding_and_the_sandbox_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'PUSH "a"\nPUSH #1\nSUB\nHALT\nPUSH #2\n')
    result = sovereign("check", path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}:3:1: error[R304]: TypeMismatch: SUB needs two integers, got string 'a' and "
        "integer 1",
        f"{path}:5:1: hint[S201]: unreachable code",
    ]


def test_check_passes_clean_files_with_status_zero() -> None:
    result = sovereign("check", *sorted((ROOT / "examples").glob("*.sov")))
    assert result.returncode == 0, result.stdout
    assert "error" not in result.stdout


def test_check_json(tmp_path: Path) -> None:
    path = write(tmp_path, "PUSH #1\nADD\n")
    result = sovereign("check", "--format", "json", path)
    assert result.returncode == 1
    records = json.loads(result.stdout)
    assert [(r["code"], r["line"], r["column"], r["severity"]) for r in records] == [
        ("R302", 2, 1, "error")]
    assert records[0]["end_column"] == 4


def test_check_keeps_going_past_unreadable_files(tmp_path: Path) -> None:
    good = write(tmp_path, "PUSH #1\nPRINT\n")
    result = sovereign("check", tmp_path / "missing.sov", good)
    assert result.returncode == 1
    assert "cannot read" in result.stderr
    assert "No such file" in result.stderr


@pytest.mark.parametrize("content", [
    b"\x00\xff\xfe garbage \x80\n\x01\x02",
    b"",
    b"PUSH #1\r\nPRINT\r\n",
    "\tPUSH '日本 😀'\t; コメント\n\tPRINT".encode(),
    ("PUSH " + "#9" * 200_000).encode(),
    b'PUSH "' + b"x" * 1_000_000 + b'"\nPRINT\n',
])
def test_bad_input_never_gives_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, content)
    for command in ("check", "run"):
        result = sovereign(command, path)
        assert "Traceback" not in result.stderr
        assert result.returncode in (0, 1, 2)


def test_bad_flags_are_usage_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "HALT\n")
    result = sovereign("run", path, "--max-stack", "-3")
    assert result.returncode == 2
    assert "must be a finite positive number, not -3" in result.stderr
    for wrong in ("nan", "inf", "-inf", "1e999"):  # nan <= 0 is false: each must be refused
        result = sovereign("run", path, f"--max-time={wrong}")
        assert result.returncode == 2, wrong
        assert "--max-time: must be a finite positive number" in result.stderr
    assert sovereign("frobnicate").returncode == 2


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "sovereign"
    result = subprocess.run([str(script), "run", "examples/hello.sov"], capture_output=True,
                            text=True, cwd=ROOT, timeout=60)
    assert result.stdout == "Hello, Sovereign!\n"


@pytest.mark.parametrize("flags", [["--node-ipc"], ["--socket=5007"], ["--pipe=/tmp/lsp.sock"],
                                   ["--stdio", "--tcp"]])
def test_lsp_refuses_transports_it_does_not_speak_with_a_clear_message(flags: list[str]) -> None:
    result = sovereign("lsp", *flags)
    assert result.returncode == 2
    assert "is not supported: use stdio (the default, or --stdio) or --tcp" in result.stderr
    assert "Traceback" not in result.stderr and "unrecognized" not in result.stderr


def test_check_warns_where_the_output_departs_from_the_expect_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "; expect: 1\n; expect: 2\n    PUSH #1\n    PRINT\n    PUSH #3\n"
                           "    PRINT\n")
    result = sovereign("check", path)
    assert result.returncode == 0  # a warning
    assert result.stdout.splitlines() == [
        f"{path}:2:1: warning[R340]: UnexpectedOutput: the program printed '3' where '2' was "
        "expected"]
    short = write(tmp_path, "; expect: 1\n; expect: 2\n    PUSH #1\n    PRINT\n", "short.sov")
    assert "was expected to print '2' here, but printed nothing more" in sovereign(
        "check", short).stdout


def test_run_can_trace_every_step(tmp_path: Path) -> None:
    path = write(tmp_path, "PUSH #2\nPUSH #3\nMUL\nPRINT\n")
    result = sovereign("run", "--trace", path)
    assert (result.returncode, result.stdout) == (0, "6\n")
    assert [line.split() for line in result.stderr.splitlines()] == [
        ["1", "1:1", "PUSH", "#2", "[#2]"], ["2", "2:1", "PUSH", "#3", "[#2,", "#3]"],
        ["3", "3:1", "MUL", "[#6]"], ["4", "4:1", "PRINT", "[]"]]


def test_a_busy_machine_never_stops_a_check_of_a_sound_program(tmp_path: Path) -> None:
    """The 10,000-line document of the editor benchmark (53,585 steps, run mostly by the
    reference interpreter) is checked under the sandbox's defaults while two processes keep
    both cores busy: the wall clock must not be what ends the check."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from analysis_speed import generate

    document = write(tmp_path, generate(10_000) + "\n; 0\n", "big.sov")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        results = [sovereign("check", document) for _ in range(3)]
    finally:
        for process in busy:
            process.kill()
    for result in results:
        assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_a_check_the_wall_clock_stops_says_so_once_at_the_top(tmp_path: Path) -> None:
    program = write(tmp_path, "    PUSH #1\nloop:\n    DUP\n    POP\n    JMP loop\n")
    result = sovereign("check", program, "--max-time", "0.001", "--max-steps", "100000000")
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = result.stdout.splitlines()[:1]
    assert line.startswith(f"{program}:1:1: info[R314]: the check was stopped: it did not "
                           "finish within the time limit of 0.001 ms; the machine may be busy")


_LLM_STACK = ("asyncio", "aiohttp", "logging", "sovereign.llm", "sovereign.host")
_COMPILER = ("sovereign.vm.compiler", "sovereign.vm.blocks", "sovereign.vm.functions")


@pytest.mark.parametrize(("command", "unneeded"), [
    ("run", (*_LLM_STACK, *_COMPILER, "sovereign.lang.analysis", "difflib")),
    ("check", (*_LLM_STACK, *_COMPILER, "difflib")),
])
def test_a_short_plain_program_loads_only_what_it_needs(command: str,
                                                         unneeded: tuple[str, ...]) -> None:
    """Start-up time: no LLM stack without LLM instructions, no compiler for code that never
    gets hot, no analyser for `run`, no difflib without a misspelling."""
    probe = ("import sys, contextlib, io\n"
             "from sovereign.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    main([{command!r}, 'examples/hello.sov'])\n"
             f"print(sorted(m for m in sys.modules if m.startswith({unneeded!r})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_a_huge_integer_literal_is_an_error_at_its_line(tmp_path: Path) -> None:
    program = write(tmp_path, "    PUSH #1\n    PUSH #" + "9" * 5000 + "\n    ADD\n")
    result = sovereign("check", program)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{program}:2:10: error[E106]: integer '#99999" in result.stdout
    assert "(5,001 characters) is outside the signed 64-bit range" in result.stdout
    assert len(result.stdout) < 1000


def test_a_fifo_with_no_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.sov"
    os.mkfifo(fifo)
    for command in ("check", "run", "evolve"):
        result = sovereign(command, fifo)  # within the timeout: it used to wait forever
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert f"cannot read {fifo}: not a regular file" in result.stderr


def test_lsp_refuses_a_port_out_of_range_and_one_in_use() -> None:
    result = sovereign("lsp", "--tcp", "--port", "99999")
    assert result.returncode == 2 and "must be a port number from 1 to 65535" in result.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = sovereign("lsp", "--tcp", "--port", str(port))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_reports_are_bounded_however_large_the_values_or_deep_the_calls(tmp_path: Path) -> None:
    strings = write(tmp_path, 'PUSH "' + "x" * 60_000 + '"\n' + "DUP\nADD\n" * 4 +
                    "DUP\n" * 6 + "PUSH #1\nADD\n", "strings.sov")
    result = sovereign("run", strings)
    assert result.returncode == 2 and len(result.stderr) < 3_000
    assert "... (960,000 characters)" in result.stderr
    recursion = write(tmp_path, "CALL f\nHALT\nf:\n    CALL f\n    RET\n", "recursion.sov")
    result = sovereign("run", recursion)
    assert result.returncode == 2 and len(result.stderr) < 1_000
    assert "  [previous line repeated 9,998 more times]\n" in result.stderr


def test_a_file_with_a_finding_on_every_line_reports_the_first_thousand(tmp_path: Path) -> None:
    program = write(tmp_path, "FROB\n" * 100_000)
    for command, stream in (("check", "stdout"), ("run", "stderr")):
        result = sovereign(command, program)
        lines = getattr(result, stream).splitlines()
        assert result.returncode == 1 and len(lines) == 1_001, command
        assert lines[-1] == (f"{program}:1001:1: info[S200]: 99,000 more findings from here "
                             "on are not shown (the first 1,000 are)")
