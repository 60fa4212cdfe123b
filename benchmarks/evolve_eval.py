"""Evaluates the evolution engine over buggy programs, one per category of problem
(`benchmarks/evolve_cases/`), and reports per model: fixes found, fixes validated, wrong fixes
offered (an offered repair whose program, run again on its own, still fails: must be 0), and
the latency.

Without --host it runs against the scripted Ollama server of the test suite, which answers
each case with a wrong candidate, the right repair and a pure deletion (so validation must pick
the right one); with --host it asks a real Ollama, every installed code model in turn.

    python benchmarks/evolve_eval.py [--host URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.llm.fake_ollama import FakeOllama

from sovereign.evolve.engine import Evolver, Repair
from sovereign.evolve.memory import PatternMemory
from sovereign.evolve.problem import diagnose
from sovereign.lang.assembler import assemble
from sovereign.llm.models import CODE, ModelManager
from sovereign.llm.ollama import OllamaClient
from sovereign.llm.pool import Hosts
from sovereign.vm.sandbox import run_program

CASES = Path(__file__).resolve().parent / "evolve_cases"
MARKERS = {
    "div_zero": "average", "underflow": "double", "overflow": "hoard", "type_mismatch": "#42",
    "undefined_name": "cuont", "infinite_loop": "spin", "recursion": "count_down",
    "int_overflow": "grow", "assertion": "balance", "return_outside": "hello",
    "output_limit": "spam", "string_too_long": "twice",
}
"""A word of each case's failing block, by which the scripted server knows the case."""


@dataclass
class Tally:
    found: int = 0
    wrong: int = 0
    cases: int = 0
    seconds: list[float] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)


def cases() -> list[tuple[str, str, str]]:
    return [(path.stem, path.read_text(), path.with_suffix(".fix").read_text())
            for path in sorted(CASES.glob("*.sov"))]


def still_fails(document: str) -> bool:
    """An independent check of an offered repair: does the program, run alone, fail?"""
    assembly = assemble(document)
    return not assembly.ok or run_program(assembly.program).failed is not None


async def evaluate(manager: ModelManager, model: str, tally: Tally) -> None:
    manager.models = [m for m in manager.models if m.name == model]
    for name, source, _ in cases():
        problem = diagnose(source)
        assert problem is not None, name
        tally.cases += 1
        tally.categories.add(problem.category)
        with tempfile.TemporaryDirectory() as folder:  # a fresh memory: no remembered fixes
            memory = PatternMemory(Path(folder) / "memory.sqlite3")
            started = time.perf_counter()
            outcome = await Evolver(memory, manager).evolve(source, problem)
            tally.seconds.append(time.perf_counter() - started)
            memory.close()
        if isinstance(outcome, Repair):
            tally.found += 1
            tally.wrong += still_fails(outcome.document)


def report(model: str, tally: Tally) -> str:
    ordered = sorted(tally.seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"{model}: {tally.cases} cases in {len(tally.categories)} categories: "
            f"{tally.found} fixes found and validated, {tally.wrong} wrong fixes offered; "
            f"latency p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


async def scripted() -> list[tuple[str, Tally]]:
    server = FakeOllama()
    url = await server.start()
    answers = {}
    for name, source, fix in cases():
        problem = diagnose(source)
        assert problem is not None
        block = "\n".join(source.split("\n")[problem.first:problem.last + 1])
        deletion = "\n".join(block.split("\n")[:-1]) or "NOP"
        answers[MARKERS[name]] = [f"Here is a fix:\n```sovereign\n{block}\n```",
                                  f"```sovereign\n{fix}\n```", deletion]
    server.script("qwen2.5-coder:7b", by_prompt=answers)
    manager = ModelManager(Hosts([OllamaClient(url)]))
    await manager.refresh()
    tally = Tally()
    await evaluate(manager, "qwen2.5-coder:7b", tally)
    await manager.hosts.close()
    await server.stop()
    return [("qwen2.5-coder:7b (scripted)", tally)]


async def real(host: str) -> list[tuple[str, Tally]]:
    results = []
    manager = ModelManager(Hosts([OllamaClient(host)]))
    installed = await manager.refresh()
    for model in [m.name for m in installed if CODE in m.capabilities]:
        manager.models = installed
        tally = Tally()
        await evaluate(manager, model, tally)
        results.append((model, tally))
    await manager.hosts.close()
    return results


async def main(host: str | None) -> list[tuple[str, Tally]]:
    results = await (real(host) if host else scripted())
    for model, tally in results:
        print(report(model, tally))
    if not results:
        print("no code model is installed on the host")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="a real Ollama, e.g. http://127.0.0.1:11434")
    asyncio.run(main(parser.parse_args().host))
