"""LLMGEN's pipeline, shared by the editor and `sovereign run`: choose a model, ask it, judge
its answer through the candidate pipeline, and ask again, with the refused answer and why,
when it fails. Nothing is offered that has not passed. Answers are kept, so asking again is
instant.

In the editor an answer is judged in the document it lands in (candidates/judge.py); while a
program runs, on the machine's state at the LLMGEN instruction (`RunState`), so that code that
reads `n` is run with the real `n`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..candidates.extract import extract_code
from ..candidates.judge import Judge, Verdict, judge_snippet
from ..candidates.pipeline import Candidate, judged
from ..candidates.shape import BLOCK
from ..lang.assembler import Value
from ..llm import constrained
from ..llm.api import ChatRequest, Completion, GenerateRequest, Message, Options
from ..llm.constrained import Constraint
from ..llm.errors import LLMError
from ..llm.models import CODE, FIM, Model, ModelManager, none_for, warn_if_unfit
from ..llm.records import ANSWER
from ..llm.transport import LLMClient
from ..vm.config import VMConfig
from .prompt import Place, chat_messages, fill_in_the_middle


@dataclass(frozen=True)
class RunState:
    """The machine's memory and stack at an LLMGEN instruction of a running program."""

    memory: dict[str, Value]
    stack: tuple[Value, ...]


@dataclass(frozen=True)
class Generation:
    """Code that passed. `document` is the whole document it makes (empty for a running
    program); `code` is the code the answer held: the lines inserted after the request when
    `shape` is a block, else a whole program or a diff, whose change is `document`."""

    code: str
    document: str
    shape: str
    model: str
    attempts: int
    verdict: Verdict


@dataclass(frozen=True)
class Refused:
    """Why nothing is offered, and what was wrong with each answer. `available` is False when
    no model could be asked at all (none installed, server unreachable)."""

    reason: str
    problems: tuple[str, ...] = ()
    available: bool = True


Outcome = Generation | Refused

ANSWER_TOKENS = 400
"""What a generated answer may take: a few lines of code and the prose models put around it."""


@dataclass
class Generator:
    manager: ModelManager
    attempts: int = 3
    model: str | None = None
    """An explicit model to use first."""
    config: VMConfig = field(default_factory=VMConfig)
    constraint: Constraint | None = None
    """The shape answers are held to, where the server can (structured output)."""
    cache: dict[tuple[str, ...], Generation] = field(default_factory=dict)

    def cached(self, request: str, place: Place) -> Generation | None:
        """A generation already made for this request at this place, by any model."""
        return next((g for key, g in self.cache.items() if key[1:] == _place_key(request, place)),
                    None)

    async def generate(self, request: str, place: Place,
                       on_text: Callable[[str], None] | None = None,
                       state: RunState | None = None) -> Outcome:
        """Valid code for `request` at `place` (or, with `state`, for a running program), or
        why there is none."""
        if not self.manager.models:
            await self.manager.refresh()
        chain = self.manager.choose({CODE}, "generate", explicit=self.model)
        warn_if_unfit(chain, {CODE}, self.model)
        if not chain:
            return Refused(none_for({CODE}, self.manager.models, self.manager.problems),
                           available=False)
        key = (chain[0].name, *_place_key(request, place))
        if state is None and key in self.cache:
            return self.cache[key]
        judge = Judge(place.landing, self.config) if state is None else None
        refused: list[Candidate] = []
        for attempt in range(1, self.attempts + 1):
            ask = partial(self._ask, request=request, place=place, refused=refused,
                          attempt=attempt, on_text=on_text)
            try:
                answer, model = await self.manager.first_that_works(
                    chain, f"{ANSWER}generate", ask)
            except LLMError as error:
                return Refused(str(error), tuple(c.why for c in refused), available=False)
            candidate = self._judged(answer.text, model.name, place, judge, state)
            self.manager.note(model.name, "generate", candidate.ok, 0.0)
            if candidate.ok:
                generation = Generation(candidate.code, candidate.document,
                                        candidate.shape, model.name, attempt, candidate.verdict)
                if state is None:
                    self.cache[key] = generation
                return generation
            refused.append(candidate)
        return Refused(f"no valid code after {self.attempts} attempts (last: "
                       f"{refused[-1].verdict.reason})", tuple(c.why for c in refused))

    def _judged(self, answer: str, model: str, place: Place, judge: Judge | None,
                state: RunState | None) -> Candidate:
        if judge is not None:
            return judged(answer, model, place.landing, judge)
        assert state is not None
        extracted = extract_code(answer)
        verdict = judge_snippet(extracted.code, self.config, state.memory, state.stack) \
            if extracted.code else Verdict(False, extracted.problem)
        return Candidate(model, answer, extracted.code, BLOCK, "", verdict)

    async def _ask(self, client: LLMClient, model: Model, *, request: str, place: Place,
                   refused: list[Candidate], attempt: int,
                   on_text: Callable[[str], None] | None) -> Completion:
        options = Options(num_predict=ANSWER_TOKENS, temperature=model.family.temperature,
                          seed=attempt)
        on_chunk = (lambda chunk: on_text(chunk.text)) if on_text else None
        if FIM in model.capabilities and client.supports_suffix and not refused:
            prompt, suffix = fill_in_the_middle(request, place)
            return await client.generate(
                GenerateRequest(model.name, prompt, suffix=suffix, options=options), on_chunk)
        messages = [Message(role, content)
                    for role, content in chat_messages(request, place, refused)]
        return await constrained.chat(client, ChatRequest(model.name, messages, options=options),
                                      self.constraint, on_chunk)


def _place_key(request: str, place: Place) -> tuple[str, str, str]:
    return (request, place.before(), place.after())
