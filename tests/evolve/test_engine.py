"""The evolution engine against the scripted Ollama server: validation by execution, ranking,
the pattern memory and its offline reuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.candidates.judge import Judge, Rules
from sovereign.candidates.pipeline import judged
from sovereign.candidates.shape import Place
from sovereign.evolve.engine import Evolver, NoRepair, Repair
from sovereign.evolve.memory import PatternMemory, normalise
from sovereign.evolve.problem import Problem, diagnose
from sovereign.llm.models import ModelManager
from sovereign.llm.ollama import OllamaClient
from sovereign.llm.pool import Hosts
from sovereign.llm.transport import Retries
from sovereign.vm.config import VMConfig
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


def test_a_check_the_wall_clock_stopped_is_no_problem_to_repair() -> None:
    endless = "    PUSH #1\nloop:\n    DUP\n    POP\n    JMP loop\n"
    assert diagnose(endless, VMConfig(max_millis=0.001, max_steps=10**8)) is None
    assert diagnose(endless) is not None  # the step limit is: an infinite loop


@pytest.mark.parametrize(("code", "reason"), [
    (GOOD, ""),
    ("ratio:\n    PUSH #100\n    PUSH #0\n    PUSH #0\n    ADD\n    DIV\n    RET",
     "still fails when run"),
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
    verdict = judged(code, "m", place_of(problem), judge_of(problem)).verdict
    assert verdict.ok == (reason == "")
    assert reason in verdict.reason


def place_of(problem: Problem, source: str = BUGGY) -> Place:
    return Place(source, problem.first, problem.last)


def judge_of(problem: Problem, source: str = BUGGY) -> Judge:
    return Judge(place_of(problem, source), rules=Rules(repair=True, problem=problem.code))


def test_a_repair_must_still_reach_the_code_after_the_block() -> None:
    source = "PUSH #1\nPUSH #0\nDIV\nPRINT\nafter:\nPUSH 'after'\nPRINT\nover:\n"
    problem = diagnose(source)
    assert problem is not None and (problem.first, problem.last) == (0, 3)
    place, judge = place_of(problem, source), judge_of(problem, source)
    skipping = judged("PUSH #1\nPUSH #1\nDIV\nPRINT\nJMP over", "m", place, judge)
    assert skipping.verdict.reason == "no longer reaches the code after the block"
    assert judged("PUSH #1\nPUSH #1\nDIV\nPRINT", "m", place, judge).ok


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
    assert repair.document in (BUGGY.replace("PUSH #0", "LOAD d"),
                               BUGGY.replace("PUSH #0", "PUSH #1"))
    assert 0.5 <= repair.confidence <= 1.0
    assert "changes no instruction" in repair.candidates[0].verdict.reason


async def test_no_valid_candidate_says_why_each_failed(ollama: FakeOllama,
                                                       memory: PatternMemory) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["ratio:\n    HALT"])
    problem = diagnose(BUGGY)
    assert problem is not None
    outcome = await evolver(ollama.url, memory).evolve(BUGGY, problem)
    assert isinstance(outcome, NoRepair)
    assert "stops the program with HALT" in outcome.explanation


async def test_the_answer_budget_is_sized_to_the_code_asked_for(ollama: FakeOllama,
                                                                 memory: PatternMemory) -> None:
    """A small model that rambles on after the code is cut off, not waited for: the tokens
    asked for follow the lines of the block, and of the program when it is asked for whole."""
    ollama.script("qwen2.5-coder:7b", chunks=["ratio:\n    HALT"])
    budgets = []
    for program in (BUGGY, BUGGY.replace("    HALT\n", "    NOP\n" * 40 + "    HALT\n")):
        problem = diagnose(program)
        assert problem is not None
        asked = len(ollama.requests)
        await evolver(ollama.url, memory).evolve(program, problem, search="never")
        budgets.append([body["options"]["num_predict"] for path, body in ollama.requests[asked:]
                        if path == "/api/chat"])
    (block, *_, whole), (same_block, *_, longer_whole) = budgets
    assert block == same_block < whole < longer_whole
    assert longer_whole - whole >= 39 * 10  # room for each line of the longer program


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
    assert again.document == renamed.replace("PUSH #0", "LOAD d")
    assert len(ollama.requests) == asked
    history = memory.history()
    assert history[0][0].seen == 2 and history[0][1] >= 1
    elsewhere = renamed.replace(" d\n", " den\n")  # the remembered fix loads d: not here
    problem = diagnose(elsewhere)
    assert problem is not None
    assert isinstance(await Evolver(memory).evolve(elsewhere, problem), NoRepair)


WITHDRAW = """\
    PUSH #100
    STORE balance
    PUSH #150
    CALL withdraw
    HALT
withdraw:
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


async def test_a_remembered_fix_that_no_longer_passes_is_marked_failed(
        memory: PatternMemory) -> None:
    """A fix the memory holds from before (here, one that deletes the ASSERT) is judged like
    any candidate: refused, recorded as failed, so the pattern's success rate drops."""
    problem = diagnose(WITHDRAW)
    assert problem is not None
    block = "\n".join(WITHDRAW.split("\n")[problem.first:problem.last + 1])
    pattern = normalise(block)
    pattern_id = memory.remember(pattern, problem.category)
    deleting = "withdraw:\n    LOAD balance\n    SWAP\n    SUB\n    STORE balance\n    RET"
    memory.record(pattern_id, pattern.key, pattern.abstract(deleting), "old-model", True)
    assert memory.success_rate(pattern_id) == 1.0
    outcome = await Evolver(memory).evolve(WITHDRAW, problem, search="never")
    assert isinstance(outcome, NoRepair)
    assert memory.success_rate(pattern_id) == 0.5
    (failed,) = [f for f in memory.db.execute(
        "SELECT reason FROM fixes WHERE worked = 0").fetchall()]
    assert failed[0].startswith("no longer passes: removes or changes the ASSERT on line 14")


UNDEFINED = "    PUSH #3\n    STORE count\n    LOAD cuont\n    PRINT\n    HALT\n"


async def test_the_search_repairs_first_and_is_learnt_once(memory: PatternMemory) -> None:
    problem = diagnose(UNDEFINED)
    assert problem is not None
    for _ in range(2):
        outcome = await Evolver(memory).evolve(UNDEFINED, problem)
        assert isinstance(outcome, Repair)
        assert (outcome.origin, outcome.model, outcome.output) == ("search", "search", "3\n")
        assert outcome.by == "the search, no model (LOAD cuont → LOAD count on line 3)"
    assert memory.learnt("undefined name") == {"name": 1}
    assert memory.learnt("division by zero") == {}


async def test_no_search_and_no_model_is_no_repair(memory: PatternMemory) -> None:
    problem = diagnose(UNDEFINED)
    assert problem is not None
    outcome = await Evolver(memory).evolve(UNDEFINED, problem, search="never")
    assert isinstance(outcome, NoRepair) and not outcome.available


async def test_the_model_comes_first_when_search_is_a_fallback(ollama: FakeOllama,
                                                               memory: PatternMemory) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["```sovereign\n    PUSH #3\n    STORE count\n"
                                              "    LOAD count\n    PRINT\n```"])
    problem = diagnose(UNDEFINED)
    assert problem is not None
    outcome = await evolver(ollama.url, memory).evolve(UNDEFINED, problem, search="fallback")
    assert isinstance(outcome, Repair) and outcome.model == "qwen2.5-coder:7b"
