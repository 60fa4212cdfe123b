"""The evolution engine against the scripted Ollama server: validation by execution, ranking,
the pattern memory and its offline reuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.evolve.engine import Evolver, NoRepair, Repair
from sovereign.evolve.memory import PatternMemory
from sovereign.evolve.problem import diagnose
from sovereign.evolve.validate import check_repair
from sovereign.llm.models import ModelManager
from sovereign.llm.ollama import OllamaClient
from sovereign.llm.pool import Hosts
from sovereign.llm.transport import Retries
from tests.llm.fake_ollama import FakeOllama

BUGGY = """\
    PUSH #10
    STORE d
    PUSH "start"
    PRINT
    CALL ratio
    PRINT
    HALT
ratio:
    PUSH #100
    PUSH #0
    DIV
    RET
"""

GOOD = "ratio:\n    PUSH #100\n    LOAD d\n    DIV\n    RET"


def evolver(url: str, memory: PatternMemory) -> Evolver:
    client = OllamaClient(url, retries=Retries(attempts=1))
    return Evolver(memory, ModelManager(Hosts([client])))


@pytest.fixture
def memory(tmp_path: Path) -> PatternMemory:
    return PatternMemory(tmp_path / "memory.sqlite3")


def test_the_problem_and_its_block() -> None:
    problem = diagnose(BUGGY)
    assert problem is not None
    assert (problem.category, problem.code, problem.line) == ("division by zero", "R301", 10)
    assert (problem.first, problem.last, problem.output, problem.stack) == (
        7, 11, "start\n", (100, 0))


@pytest.mark.parametrize(("code", "reason"), [
    (GOOD, ""),
    ("ratio:\n    PUSH #100\n    PUSH #0\n    DIV\n    RET", "still fails when run"),
    ("ratio:\n    PUSH #100\n    RET", "only deletes code"),
    ("ratio:\n    HALT", "stops the program with HALT"),
    ("ratio:\n    PUSH #0\n    ASSERT \"d\"\n    PUSH #1\n    RET",
     "fails when run: AssertionFailed"),
    ("ratio:\n    PUSHH #1\n    RET", "does not assemble"),
    ("ratio:\n    LOAD nothing\n    RET", "fails when run: UndefinedName"),
])
def test_candidates_are_validated_by_running_them(code: str, reason: str) -> None:
    problem = diagnose(BUGGY)
    assert problem is not None
    check = check_repair(BUGGY, problem, code)
    assert check.ok == (reason == "")
    assert reason in check.reason


def test_a_repair_must_still_reach_the_code_after_the_block() -> None:
    source = "PUSH #1\nPUSH #0\nDIV\nPRINT\nafter:\nPUSH 'after'\nPRINT\nover:\n"
    problem = diagnose(source)
    assert problem is not None and (problem.first, problem.last) == (0, 3)
    skipping = check_repair(source, problem, "PUSH #1\nPUSH #1\nDIV\nPRINT\nJMP over")
    assert skipping.reason == "no longer reaches the code after the block"
    assert check_repair(source, problem, "PUSH #1\nPUSH #1\nDIV\nPRINT").ok


async def test_the_best_valid_candidate_is_chosen(ollama: FakeOllama,
                                                  memory: PatternMemory) -> None:
    answers = iter([
        "Try this:\n```sovereign\nratio:\n    PUSH #100\n    PUSH #0\n    DIV\n    RET\n```",
        f"```sovereign\n{GOOD}\n```",
        "```\nratio:\n    PUSH #100\n    PUSH #1\n    DIV\n    RET\n```",
    ])
    script = ollama.script("qwen2.5-coder:7b", chunks=[""])
    original = ollama._stream

    async def varying(request, body, _script):  # type: ignore[no-untyped-def]
        script.chunks = [next(answers)]
        return await original(request, body, script)

    ollama._stream = varying  # type: ignore[method-assign]
    problem = diagnose(BUGGY)
    assert problem is not None
    repair = await evolver(ollama.url, memory).evolve(BUGGY, problem)
    assert isinstance(repair, Repair)
    assert [c.ok for c in repair.candidates] == [False, True, True]
    assert repair.code in (GOOD, "ratio:\n    PUSH #100\n    PUSH #1\n    DIV\n    RET")
    assert 0.5 <= repair.confidence <= 1.0
    assert "still fails" in repair.candidates[0].reason


async def test_no_valid_candidate_says_why_each_failed(ollama: FakeOllama,
                                                       memory: PatternMemory) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["ratio:\n    HALT"])
    problem = diagnose(BUGGY)
    assert problem is not None
    outcome = await evolver(ollama.url, memory).evolve(BUGGY, problem)
    assert isinstance(outcome, NoRepair)
    assert "stops the program with HALT" in outcome.explanation


async def test_a_remembered_fix_is_reused_without_any_model(ollama: FakeOllama,
                                                            memory: PatternMemory) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    problem = diagnose(BUGGY)
    assert problem is not None
    first = await evolver(ollama.url, memory).evolve(BUGGY, problem)
    assert isinstance(first, Repair)
    asked = len(ollama.requests)
    renamed = BUGGY.replace("ratio", "share")
    problem = diagnose(renamed)
    assert problem is not None
    again = await Evolver(memory).evolve(renamed, problem)  # no model at all
    assert isinstance(again, Repair)
    assert again.model.endswith("(remembered)")
    assert again.code == GOOD.replace("ratio", "share")
    assert len(ollama.requests) == asked
    history = memory.history()
    assert history[0][0].seen == 2 and history[0][1] >= 1
    elsewhere = renamed.replace(" d\n", " den\n")  # the remembered fix loads d: not here
    problem = diagnose(elsewhere)
    assert problem is not None
    assert isinstance(await Evolver(memory).evolve(elsewhere, problem), NoRepair)
