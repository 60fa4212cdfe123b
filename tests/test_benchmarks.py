"""The benchmark scripts stay runnable and compute the right answers (their timings are only
printed, never asserted)."""

from __future__ import annotations

import pytest

from sovereign.host.services import LLMConfig
from sovereign.lang.analysis import analyse
from sovereign.lang.assembler import assemble

from .conftest import benchmark
from .llm.fake_ollama import FakeOllama


@pytest.mark.parametrize(("program", "python", "n"), [
    ("COUNTING_LOOP", "python_counting_loop", 1000),
    ("FIB", "python_fib", 12),
    ("NESTED", "python_nested", 20),
])
def test_vm_benchmark_programs_compute_what_python_computes(program: str, python: str,
                                                            n: int) -> None:
    bench = benchmark("vm_speed")
    source = getattr(bench, program).format(n=n)
    expected = getattr(bench, python)(n)
    for compiled in (False, True):
        assert bench.run_vm(assemble(source).program, compiled, expected) > 0


def test_generated_analysis_programs_are_clean() -> None:
    bench = benchmark("analysis_speed")
    for lines in (100, 1000):
        text = bench.generate(lines)
        assembly = assemble(text)
        assert assembly.ok
        assert len(assembly.texts) >= lines
        assert not [f for f in analyse(assembly.program).findings if f.is_error]


def test_the_search_benchmark_programs_make_the_errors_it_times() -> None:
    bench = benchmark("search_speed")
    assert not analyse(assemble(bench.generate(200)).program).findings
    repaired = {name for name in bench.MISTAKES
                if bench.quick_fix(bench.generate(200, name)).best is not None}
    assert repaired == {"misspelt name", "wrong way round"}


async def test_the_quality_benchmark_tells_held_answers_from_free_ones(ollama: FakeOllama) -> None:
    bench = benchmark("llm_quality")
    ollama.script("smollm2:135m", chunks=["Here you go:\n```sovereign\nPUSH 10\nPRINT x\n```"],
                  held=['{"program": [{"op": "PUSH", "arg": 10}, {"op": "PRINT"}]}'])
    tallies = await bench.measure(LLMConfig(ollama=(ollama.url,)), seeds=2)
    asked = 2 * (len(bench.generation_questions()) + len(bench.repair_questions()))
    assert len(bench.generation_questions()) >= 10 and len(bench.repair_questions()) >= 5
    text, schema = tallies["text"], tallies["schema"]
    assert text.answers == schema.answers == asked
    assert (text.assembled, schema.assembled) == (0, asked)
    assert not schema.refused_shape


async def test_the_quality_benchmark_says_when_the_server_refused_the_shape(
        ollama: FakeOllama) -> None:
    bench = benchmark("llm_quality")
    ollama.script("smollm2:135m", chunks=["PUSH #1"], refuses_shape=True)
    tallies = await bench.measure(LLMConfig(ollama=(ollama.url,)), seeds=1)
    assert tallies["schema"].refused_shape and "refused the shape" in tallies["schema"].line("x")


def test_the_start_benchmark_times_both_commands() -> None:
    assert set(benchmark("cli_start").main(repeats=1)) == {"run", "check"}


def test_the_debugger_benchmark_program_holds_its_names_and_loops_forever() -> None:
    from sovereign.debug.session import Session

    bench = benchmark("dap_speed")
    session = Session(assemble(bench.program()).program)
    for _ in range(20_000):
        assert session.step_in().reason == "step"
    assert len(session.machine.memory) == bench.NAMES  # the counter n and NAMES - 1 stores
    assert session.frames()[0].pc >= len(session.program.code) - 3
