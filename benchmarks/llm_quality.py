"""How often a real model's answers assemble and pass validation, with and without structured
output (answers held to the shape of a program), asking exactly as LLMGEN and EVOLVE ask.

Every LLMGEN request of `benchmarks/llmgen_cases/` and the first repairs of
`benchmarks/evolve_cases/` are asked once per seed, as text and held to the schema (or, on a
llama.cpp server, the grammar), with no retries and no search, so that each answer counts for
what it is. It prints, per form: answers, the share that assemble, the share that pass the
judge, the median time per answer, and whether the server refused the shape.

    python benchmarks/llm_quality.py --host http://127.0.0.1:11434 [--model NAME]
    python benchmarks/llm_quality.py --openai http://127.0.0.1:8080/v1 --seeds 3

It needs a model server, not a GPU: a small model on a CPU answers in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sovereign.candidates.judge import Judge
from sovereign.candidates.pipeline import Candidate, judged
from sovereign.candidates.shape import Place as Landing
from sovereign.evolve.engine import answer_budget, repair_judge, repair_messages
from sovereign.evolve.memory import normalise
from sovereign.evolve.problem import diagnose
from sovereign.generate.pipeline import ANSWER_TOKENS
from sovereign.generate.prompt import Place, chat_messages
from sovereign.generate.triggers import request_on
from sovereign.host.services import LLMConfig, answer_shape, host_settings
from sovereign.lang.assembler import assemble
from sovereign.llm import constrained
from sovereign.llm.api import ChatRequest, Message, Options
from sovereign.llm.constrained import Constraint
from sovereign.llm.errors import LLMError
from sovereign.llm.models import CODE, Model, ModelManager
from sovereign.llm.setup import make_hosts
from sovereign.llm.transport import LLMClient
from sovereign.vm.config import VMConfig

HERE = Path(__file__).resolve().parent
REPAIRS = 6
UNDEFINED_LABEL = "E109"
FORMS = ("text", "schema")


@dataclass(frozen=True)
class Question:
    """One thing to ask: the conversation and where its answer lands."""

    name: str
    messages: list[Message]
    landing: Landing
    judge: Judge
    tokens: int


@dataclass
class Tally:
    answers: int = 0
    assembled: int = 0
    validated: int = 0
    failed: int = 0
    seconds: list[float] = field(default_factory=list)
    refused_shape: bool = False

    def line(self, form: str) -> str:
        if not self.answers:
            return f"{form}: no answers ({self.failed} requests failed)"
        median = statistics.median(self.seconds) if self.seconds else 0.0
        shape = " (the server refused the shape: these are plain-text answers)" \
            if self.refused_shape else ""
        return (f"{form}: {self.answers} answers, {self.assembled / self.answers:.0%} assemble, "
                f"{self.validated / self.answers:.0%} pass validation, median "
                f"{median:.1f} s per answer{shape}")


def generation_questions() -> list[Question]:
    found = []
    for path in sorted((HERE / "llmgen_cases").glob("*.sov")):
        source = path.read_text()
        line = next(n for n, text in enumerate(source.split("\n")) if request_on(text))
        place = Place(source, line)
        messages = [Message(role, content) for role, content in
                    chat_messages(request_on(source.split("\n")[line]) or "", place)]
        found.append(Question(f"generate {path.stem}", messages, place.landing,
                              Judge(place.landing), ANSWER_TOKENS))
    return found


def repair_questions() -> list[Question]:
    found = []
    paths = [p for p in sorted((HERE / "evolve_cases").glob("*.sov")) if ".fixed" not in p.name]
    for path in paths[:REPAIRS]:
        source = path.read_text()
        problem = diagnose(source)
        if problem is None:
            continue
        landing = Landing(source, problem.first, problem.last)
        block = "\n".join(landing.lines[problem.first:problem.last + 1])
        messages = repair_messages(landing, problem, "", (), normalise(block), True, False)
        found.append(Question(f"repair {path.stem}", messages, landing,
                              repair_judge(landing, problem, VMConfig()),
                              answer_budget(problem.last - problem.first + 1)))
    return found


def assembles(code: str) -> bool:
    """Whether the code of an answer is well-formed Sovereign on its own: no error but a jump
    to a label of the program around it."""
    return all(not f.is_error or f.code == UNDEFINED_LABEL for f in assemble(code).findings)


async def ask(client: LLMClient, model: Model, question: Question, seed: int,
              shape: Constraint | None, tally: Tally) -> None:
    options = Options(num_predict=question.tokens, seed=seed,
                      temperature=model.family.temperature)
    started = time.perf_counter()
    try:
        completion = await constrained.chat(
            client, ChatRequest(model.name, question.messages, options=options), shape)
    except LLMError as error:
        tally.failed += 1
        print(f"  {question.name} seed {seed}: {error}")
        return
    tally.seconds.append(time.perf_counter() - started)
    tally.answers += 1
    candidate: Candidate = judged(completion.text, model.name, question.landing, question.judge)
    if candidate.code and assembles(candidate.code):
        tally.assembled += 1
    if candidate.ok:
        tally.validated += 1


async def measure(config: LLMConfig, seeds: int) -> dict[str, Tally]:
    hosts = make_hosts(host_settings(config))
    manager = ModelManager(hosts)
    try:
        await manager.refresh()
        chain = manager.choose({CODE}, "generate", explicit=config.model)
        if not chain:
            raise SystemExit(f"no model to ask: {'; '.join(manager.problems) or 'none installed'}")
        model = chain[0]
        client = next(c for c in hosts.clients if c.url == model.host)
        questions = generation_questions() + repair_questions()
        print(f"{model.name} at {model.host}: {len(questions)} questions x {seeds} seeds")
        tallies = {}
        for form in FORMS:
            tally = Tally()
            shape = answer_shape("auto" if form == "schema" else "text")
            for question in questions:
                for seed in range(1, seeds + 1):
                    await ask(client, model, question, seed, shape, tally)
            tally.refused_shape = form == "schema" and client.refuses_constraints
            tallies[form] = tally
            print(tally.line(form))
        return tallies
    finally:
        await hosts.close()


def main(argv: list[str] | None = None) -> dict[str, Tally]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", action="append", default=[], metavar="URL")
    parser.add_argument("--openai", action="append", default=[], metavar="URL")
    parser.add_argument("--model")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    config = LLMConfig(ollama=tuple(args.host), openai=tuple(args.openai), model=args.model)
    return asyncio.run(measure(config, args.seeds))


if __name__ == "__main__":
    main()
