"""LLMGEN's pipeline, shared by the editor and `sovereign run`: choose a model, ask it, take
the code out of its answer, validate it, and ask again with the problems when it is not valid.
Nothing is offered that has not passed validation. Answers are kept, so asking again is
instant, and they also answer the editor's sandbox at LLMGEN lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..llm.api import ChatRequest, Completion, GenerateRequest, Message, Options
from ..llm.errors import LLMError
from ..llm.models import CODE, FIM, Model, ModelManager
from ..llm.ollama import OllamaClient
from ..llm.transport import HttpClient
from ..vm.config import VMConfig
from .extract import extract_code
from .prompt import Place, chat_messages, fill_in_the_middle
from .validate import Verdict, validate

SUGGESTED_MODEL = "qwen2.5-coder:7b"


@dataclass(frozen=True)
class Generation:
    code: str
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


@dataclass
class Generator:
    manager: ModelManager
    attempts: int = 3
    model: str | None = None
    """An explicit model to use first."""
    config: VMConfig = field(default_factory=VMConfig)
    cache: dict[tuple[str, ...], Generation] = field(default_factory=dict)

    def cached(self, request: str, place: Place) -> Generation | None:
        """A generation already made for this request at this place, by any model."""
        return next((g for key, g in self.cache.items() if key[1:] == _place_key(request, place)),
                    None)

    async def generate(self, request: str, place: Place,
                       on_text: Callable[[str], None] | None = None) -> Outcome:
        """Valid code for `request` at `place`, or why there is none."""
        if not self.manager.models:
            await self.manager.refresh()
        chain = self.manager.choose({CODE}, "generate", explicit=self.model)
        if not chain and not self.manager.models and self.manager.problems:
            return Refused("; ".join(self.manager.problems), available=False)
        if not chain:
            return Refused("no installed model writes code: run `ollama pull "
                           f"{SUGGESTED_MODEL}` (or check `sovereign doctor`)", available=False)
        key = (chain[0].name, *_place_key(request, place))
        if key in self.cache:
            return self.cache[key]
        problems: list[str] = []
        for attempt in range(1, self.attempts + 1):
            feedback = problems[-1] if problems else ""
            try:
                ask = partial(self._ask, request=request, place=place, feedback=feedback,
                              attempt=attempt, on_text=on_text)
                answer, model, _ = await self.manager.first_that_works(chain, "generate", ask)
            except LLMError as error:
                return Refused(str(error), tuple(problems), available=False)
            code = extract_code(answer.text)
            verdict = validate(code, place.document, place.after_line, self.config)
            if verdict.ok:
                generation = Generation(code, model.name, attempt, verdict)
                self.cache[key] = generation
                return generation
            problems.append(verdict.summary)
        return Refused(f"no valid code after {self.attempts} attempts (last: {problems[-1]})",
                       tuple(problems))

    async def _ask(self, client: HttpClient, model: Model, *, request: str, place: Place,
                   feedback: str, attempt: int,
                   on_text: Callable[[str], None] | None) -> Completion:
        options = Options(num_predict=400, temperature=model.family.temperature, seed=attempt)
        on_chunk = (lambda chunk: on_text(chunk.text)) if on_text else None
        if FIM in model.capabilities and isinstance(client, OllamaClient) and not feedback:
            prompt, suffix = fill_in_the_middle(request, place)
            return await client.generate(
                GenerateRequest(model.name, prompt, suffix=suffix, options=options), on_chunk)
        messages = [Message(role, content)
                    for role, content in chat_messages(request, place, feedback)]
        return await client.chat(ChatRequest(model.name, messages, options=options), on_chunk)


def _place_key(request: str, place: Place) -> tuple[str, str, str]:
    return (request, place.before(), place.after())
