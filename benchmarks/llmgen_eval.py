"""Evaluates LLMGEN over requests whose code must read the program's memory
(`benchmarks/llmgen_cases/`: NAME.sov, a program with a `; gen:` request; NAME.right, the
code that does what it asks; NAME.out, what the program is then meant to print).

Against the scripted Ollama server, each request is answered first with code as models get it
wrong (a loop that never ends, a type error only a run shows, and, where the program states
its output with `; expect:` lines, code that prints something else), then with the right code
wrapped in prose and a leaked special token. Two passes: in the editor (the code judged in the
document) and in `sovereign run` (the code judged on the machine's memory at the request). It
prints per pass: right code accepted, wrong code offered (code whose program does not print
what NAME.out says: must be 0), refusals, and the latency.

    python benchmarks/llmgen_eval.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.llm.fake_ollama import FakeOllama

from sovereign.generate.pipeline import Generation, RunState
from sovereign.generate.prompt import Place
from sovereign.generate.triggers import request_on
from sovereign.host.services import LLMConfig, build
from sovereign.lang.assembler import assemble
from sovereign.lang.expectations import expectations
from sovereign.vm.sandbox import run_program

CASES = Path(__file__).resolve().parent / "llmgen_cases"
MODEL = "qwen2.5-coder:7b"


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    right: str
    output: str

    @property
    def line(self) -> int:
        return next(n for n, text in enumerate(self.source.split("\n")) if request_on(text))

    def with_code(self, code: str) -> str:
        lines = self.source.split("\n")
        return "\n".join(lines[:self.line + 1] + code.split("\n") + lines[self.line + 1:])

    def memory(self) -> dict[str, object]:
        """The memory when the program comes to the request (run up to its line)."""
        before = "\n".join(self.source.split("\n")[:self.line])
        return dict(run_program(assemble(before).program).memory)


@dataclass
class Tally:
    cases: int = 0
    right_accepted: int = 0
    wrong_offered: int = 0
    refused: int = 0
    seconds: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def cases() -> list[Case]:
    return [Case(path.stem, path.read_text(), path.with_suffix(".right").read_text(),
                 path.with_suffix(".out").read_text()) for path in sorted(CASES.glob("*.sov"))]


def answers(case: Case, in_document: bool) -> list[str]:
    """The scripted answers for a case, wrong ones first. Code that prints the wrong thing
    is wrong only against the document's `; expect:` lines, which a running program's
    request does not carry."""
    name = next(line.split()[1] for line in case.source.split("\n")
                if line.strip().startswith("STORE "))
    wrong = [f"```sovereign\n{case.name}_again:\n    LOAD {name}\n    POP\n"
             f"    JMP {case.name}_again\n```",
             f"```sovereign\nLOAD {name}\nPUSH #33\nADD\nPUSH \"!\"\nADD\nPRINT\n```"]
    if in_document and expectations(case.source.split("\n")):
        wrong.append(f"```sovereign\nPUSH \"result:\"\nPRINT\n{case.right}\n```")
    right = (f"Sure! This reads {name} from memory:\n```sovereign\n{case.right}\n```\n"
             "It does what you asked.<|im_end|>")
    return [*wrong, right]


def prints_as_meant(case: Case, generation: Generation, at_run_time: bool) -> bool:
    """The evaluation's own check: the program with the code in place prints what the case
    says it is meant to (at run time: the code, run on the memory at the request, prints
    what the program is meant to print)."""
    document = case.with_code(generation.code)
    assembly = assemble(document if not at_run_time else generation.code)
    if not assembly.ok:
        return False
    memory = case.memory() if at_run_time else None
    run = run_program(assembly.program, memory=memory)  # type: ignore[arg-type]
    return run.halted and run.output == case.output


async def evaluate(server: FakeOllama, at_run_time: bool) -> Tally:
    tally = Tally()
    for case in cases():
        after = case.source.split("\n")[case.line + 1:]
        if at_run_time and any(line.strip() for line in after):
            continue  # at run time only the request's own code runs: nothing may follow it
        tally.cases += 1
        scripted = answers(case, not at_run_time)
        request = request_on(case.source.split("\n")[case.line]) or ""
        # the scripted server finds the request in the JSON it is sent
        server.script(MODEL, capabilities=["completion"],
                      by_prompt={json.dumps(request)[1:-1]: scripted})
        services = build(LLMConfig(ollama=(server.url,), attempts=len(scripted)))
        generator = services.generator
        started = time.perf_counter()
        if at_run_time:
            outcome = await generator.generate(request, Place("", -1),
                                               state=RunState(case.memory(), ()))  # type: ignore[arg-type]
        else:
            outcome = await generator.generate(request, Place(case.source, case.line))
        tally.seconds.append(time.perf_counter() - started)
        await services.close()
        if not isinstance(outcome, Generation):
            tally.refused += 1
        elif prints_as_meant(case, outcome, at_run_time):
            tally.right_accepted += 1
        else:
            tally.wrong_offered += 1
            tally.wrong.append(case.name)
    return tally


def report(label: str, tally: Tally) -> str:
    ordered = sorted(tally.seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    wrong = f" ({', '.join(tally.wrong)})" if tally.wrong else ""
    return (f"{label}: {tally.cases} requests: {tally.right_accepted} right code accepted, "
            f"{tally.wrong_offered} wrong code offered{wrong}, {tally.refused} refused; "
            f"latency p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


async def main() -> list[tuple[str, Tally]]:
    server = FakeOllama()
    await server.start()
    server.script(MODEL, capabilities=["completion"])  # a chat model: the feedback is seen
    results = [(f"{MODEL} (scripted) in the editor", await evaluate(server, False)),
               (f"{MODEL} (scripted) in sovereign run", await evaluate(server, True))]
    await server.stop()
    for label, tally in results:
        print(report(label, tally))
    return results


if __name__ == "__main__":
    asyncio.run(main())
