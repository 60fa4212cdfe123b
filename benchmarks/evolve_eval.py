"""Evaluates the evolution engine over buggy programs (`benchmarks/evolve_cases/`: NAME.sov,
the program; NAME.fixed.sov, the right program; NAME.out, what it is meant to print).

Without --host it runs against the scripted Ollama server of the test suite, once per answer
shape (the repaired block, the whole program, a unified diff). For each case the server first
answers with wrong candidates as models write them (the block still failing, the ASSERT
deleted, a line printed before the block, an infinite loop, a type error only a run shows, a
duplicate label), then the right one; where the cause lies outside the block there is no right
block, so the block pass gets none, and the right program only when the engine, every block
having failed, asks for the whole program. It prints per shape: the right repairs accepted, the
wrong repairs offered (an offered program that does not print what NAME.out says: must be 0), the
refusals, and the latency. With --host it asks a real Ollama, every installed code model in
turn, with no scripted answers. With --search-only it asks no model at all: the search over
small edits (sovereign/evolve/search.py) alone, reporting the repairs, the candidates it ran and
its time per case.

    python benchmarks/evolve_eval.py [--host URL | --search-only]
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.llm.fake_ollama import FakeOllama

from sovereign.evolve.engine import Repair
from sovereign.evolve.problem import Problem, diagnose
from sovereign.evolve.search import search
from sovereign.host.services import LLMConfig, build
from sovereign.lang.assembler import assemble
from sovereign.llm.models import CODE
from sovereign.vm.config import VMConfig
from sovereign.vm.sandbox import run_program

CASES = Path(__file__).resolve().parent / "evolve_cases"
SHAPES = ("block", "whole program", "diff")
MODEL = "qwen2.5-coder:7b"
WHOLE_PROGRAM_ASKED = "Answer with the whole program repaired"
"""How the engine asks for the whole program when every block-sized answer failed."""


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    fixed: str
    output: str


@dataclass
class Tally:
    cases: int = 0
    offered_right: int = 0
    right_accepted: int = 0
    wrong_offered: int = 0
    refused: int = 0
    seconds: list[float] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)
    wrong: list[str] = field(default_factory=list)
    tried: list[int] = field(default_factory=list)
    """Candidates run per case (the search only)."""


def cases() -> list[Case]:
    return [Case(path.name.removesuffix(".sov"), path.read_text(),
                 path.with_name(path.name.replace(".sov", ".fixed.sov")).read_text(),
                 path.with_name(path.name.replace(".sov", ".out")).read_text())
            for path in sorted(CASES.glob("*.sov")) if not path.name.endswith(".fixed.sov")]


def prints_as_meant(document: str, output: str) -> bool:
    """The evaluation's own check, stricter than the engine's: the program halts and prints
    what the case says it is meant to print (which the engine is never shown)."""
    assembly = assemble(document)
    if not assembly.ok:
        return False
    run = run_program(assembly.program)
    return run.halted and run.output == output


def right_block(case: Case, problem: Problem) -> str | None:
    """The lines of the right program that replace the block, when nothing else changes."""
    old, new = case.source.split("\n"), case.fixed.split("\n")
    after = len(old) - problem.last - 1
    if new[:problem.first] != old[:problem.first] or new[len(new) - after:] != old[-after:]:
        return None
    return "\n".join(new[problem.first:len(new) - after])


def diff(old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True), "a.sov", "b.sov"))


def answers(case: Case, problem: Problem, shape: str) -> list[str]:
    """What the scripted model answers for a case, the wrong candidates first."""
    lines = case.source.split("\n")
    block = lines[problem.first:problem.last + 1]
    label = next((line.split(":")[0].strip() for line in block if ":" in line.split(";")[0]),
                 "block")
    stored = next((line.split()[1] for line in lines if line.strip().startswith("STORE ")), "x")
    outside_label = next((line.split(":")[0] for n, line in enumerate(lines)
                          if ":" in line.split(";")[0] and not line.startswith(" ")
                          and not problem.first <= n <= problem.last), None)
    right = right_block(case, problem)
    fixed = case.fixed

    def whole_with(new_block: list[str]) -> str:
        return "\n".join(lines[:problem.first] + new_block + lines[problem.last + 1:])

    wrong_blocks = [
        [*block, "    NOP"],                                              # still failing
        [b for b in block if "ASSERT" not in b] if any("ASSERT" in b for b in block) else
        [*block[:1], "    POP", *block[1:]],                              # ASSERT deleted
        [*block[:1], f"{label}_spin:", f"    JMP {label}_spin", *block[1:]],  # infinite loop
        [*block[:1], f"    LOAD {stored}", '    PUSH "x"', "    ADD", "    POP", *block[1:]],
    ]
    earlier = fixed.replace("\n", '\n    PUSH "debug"\n    PRINT\n', 1)  # a line printed first
    duplicate = fixed + (f"\n{outside_label}:\n" if outside_label else f"\n{label}:\n")
    if shape == "block":
        wrong = ["Here is the fixed block:\n```sovereign\n" + "\n".join(b) + "\n```"
                 for b in wrong_blocks]
        wrong.append("```sovereign\n" + (right or "\n".join(block)) +
                     (f"\n{outside_label}:" if outside_label else "\nstart:\nstart:") + "\n```")
        return wrong + ([f"```sovereign\n{right}\n```<|im_end|>"] if right else [])
    documents = [whole_with(b) for b in wrong_blocks] + [earlier, duplicate, fixed]
    if shape == "whole program":
        return [f"I rewrote the whole program:\n```sovereign\n{d}\n```" for d in documents]
    return [f"```diff\n{diff(case.source, d)}```" for d in documents]


async def evaluate(url: str, model: str, scripted: FakeOllama | None, shape: str,
                   tally: Tally) -> None:
    for case in cases():
        problem = diagnose(case.source)
        assert problem is not None, case.name
        tally.cases += 1
        tally.categories.add(problem.category)
        rounds = 3
        if scripted is not None:
            scripted_answers = answers(case, problem, shape)
            block = "\n".join(case.source.split("\n")[problem.first:problem.last + 1])
            scripted.script(MODEL, by_prompt={  # known by its block, as the server is sent it
                WHOLE_PROGRAM_ASKED: [f"```sovereign\n{case.fixed}\n```"],
                json.dumps(block)[1:-1]: scripted_answers})
            rounds = len(scripted_answers)
            tally.offered_right += 1
        with tempfile.TemporaryDirectory() as folder:  # a fresh memory: no remembered fixes
            services = build(LLMConfig(ollama=(url,), model=model, rounds=rounds,
                                       memory_path=Path(folder) / "memory.sqlite3"))
            await services.manager.refresh()
            services.manager.models = [m for m in services.manager.models if m.name == model]
            started = time.perf_counter()
            outcome = await services.evolver.evolve(case.source, problem)
            tally.seconds.append(time.perf_counter() - started)
            await services.close()
        if not isinstance(outcome, Repair):
            tally.refused += 1
        elif prints_as_meant(outcome.document, case.output):
            tally.right_accepted += 1
        else:
            tally.wrong_offered += 1
            tally.wrong.append(case.name)


def searched(stated: bool) -> Tally:
    """The search alone over every case: no model, no memory. `stated`: with the intended
    output written into the program as `; expect:` lines, as a user states intent (then the
    engine is given what the evaluation checks, so this shows what stating it buys)."""
    tally = Tally()
    for case in cases():
        source = _stated(case) if stated else case.source
        problem = diagnose(source)
        assert problem is not None, case.name
        tally.cases += 1
        tally.categories.add(problem.category)
        started = time.perf_counter()
        found = search(source, problem, VMConfig())
        tally.seconds.append(time.perf_counter() - started)
        tally.tried.append(found.tried)
        if found.best is None:
            tally.refused += 1
        elif prints_as_meant(found.best.document, case.output):
            tally.right_accepted += 1
        else:
            tally.wrong_offered += 1
            tally.wrong.append(case.name)
    return tally


def _stated(case: Case) -> str:
    return "".join(f"; expect: {line}\n" for line in case.output.splitlines()) + case.source


def report(label: str, tally: Tally) -> str:
    ordered = sorted(tally.seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    wrong = f" ({', '.join(tally.wrong)})" if tally.wrong else ""
    offered = f" of {tally.offered_right}" if tally.offered_right else ""
    tried = (f"; {sum(tally.tried)} candidates run (at most {max(tally.tried)} for a case)"
             if tally.tried else "")
    return (f"{label}: {tally.cases} cases in {len(tally.categories)} categories: "
            f"{tally.right_accepted}{offered} right repairs accepted, "
            f"{tally.wrong_offered} wrong repairs offered{wrong}, {tally.refused} refused{tried}; "
            f"latency p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


async def scripted() -> list[tuple[str, Tally]]:
    server = FakeOllama()
    url = await server.start()
    server.script(MODEL)
    results = []
    for shape in SHAPES:
        tally = Tally()
        await evaluate(url, MODEL, server, shape, tally)
        results.append((f"{MODEL} (scripted, answers as a {shape})", tally))
    await server.stop()
    return results


async def real(host: str) -> list[tuple[str, Tally]]:
    services = build(LLMConfig(ollama=(host,)))
    installed = await services.manager.refresh()
    await services.close()
    results = []
    for model in [m.name for m in installed if CODE in m.capabilities]:
        tally = Tally()
        await evaluate(host, model, None, "", tally)
        results.append((model, tally))
    return results


async def main(host: str | None, search_only: bool = False) -> list[tuple[str, Tally]]:
    if search_only:
        results = [("the search, no model", searched(False)),
                   ("the search, no model, the output stated with `; expect:`",
                    searched(True))]
    else:
        results = await (real(host) if host else scripted())
    for label, tally in results:
        print(report(label, tally))
    if not results:
        print("no code model is installed on the host")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--host", help="a real Ollama, e.g. http://127.0.0.1:11434")
    chosen.add_argument("--search-only", action="store_true",
                        help="the search over small edits alone, no model")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.host, arguments.search_only))
