"""The model manager: which installed model to ask, and what to do when it fails.

A registry of well-known model families says what each is good at and how to prompt it; what
the servers report live (installed models, Ollama's capabilities and context length) is merged
in. Selection picks, among the models actually installed, those with the required
capabilities, ordered by the explicit setting, the recorded success on this kind of task, and
the preference (fast or best). `first_that_works` walks that chain.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import LLMError
from .pool import Hosts
from .records import Outcomes, Record
from .transport import LLMClient

T = TypeVar("T")
LOG = logging.getLogger("sovereign.llm")

CODE = "code"
FIM = "fill-in-the-middle"
INSTRUCT = "instruction following"
REASONING = "reasoning"
LONG_CONTEXT = "long context"
FAST = "fast inference"


@dataclass(frozen=True)
class Family:
    """What a model family is known for, and the prompt settings that suit it."""

    prefix: str
    capabilities: frozenset[str]
    temperature: float = 0.2


FAMILIES = (
    Family("qwen2.5-coder", frozenset({CODE, FIM, INSTRUCT, LONG_CONTEXT}), 0.2),
    Family("qwen3-coder", frozenset({CODE, FIM, INSTRUCT, LONG_CONTEXT}), 0.2),
    Family("deepseek-coder-v2", frozenset({CODE, FIM, INSTRUCT, LONG_CONTEXT}), 0.2),
    Family("deepseek-coder", frozenset({CODE, FIM, INSTRUCT}), 0.2),
    Family("codellama", frozenset({CODE, FIM, INSTRUCT}), 0.2),
    Family("starcoder2", frozenset({CODE, FIM}), 0.2),
    Family("codegemma", frozenset({CODE, FIM, INSTRUCT}), 0.2),
    Family("granite-code", frozenset({CODE, FIM, INSTRUCT}), 0.2),
    Family("codestral", frozenset({CODE, FIM, INSTRUCT, LONG_CONTEXT}), 0.2),
    Family("deepseek-r1", frozenset({CODE, INSTRUCT, REASONING, LONG_CONTEXT}), 0.6),
    Family("qwq", frozenset({CODE, INSTRUCT, REASONING, LONG_CONTEXT}), 0.6),
    Family("qwen3", frozenset({CODE, INSTRUCT, REASONING, LONG_CONTEXT}), 0.6),
    Family("qwen2.5", frozenset({CODE, INSTRUCT, LONG_CONTEXT}), 0.3),
    Family("llama3", frozenset({CODE, INSTRUCT, LONG_CONTEXT}), 0.3),
    Family("mistral", frozenset({INSTRUCT, FAST}), 0.3),
    Family("phi", frozenset({CODE, INSTRUCT, FAST}), 0.3),
    Family("gemma", frozenset({INSTRUCT}), 0.3),
)
"""Longer prefixes first, so that `qwen2.5-coder` is not taken for `qwen2.5`."""

UNKNOWN = Family("", frozenset({INSTRUCT}), 0.3)


def family_of(name: str) -> Family:
    base = name.split("/")[-1].split(":")[0].lower()
    return next((f for f in FAMILIES if base.startswith(f.prefix)), UNKNOWN)


@dataclass(frozen=True)
class Model:
    name: str
    host: str
    family: Family
    capabilities: frozenset[str]
    context_length: int | None = None
    parameters: float | None = None
    """Billions of parameters, from the server's `parameter_size` or the name (`7b`)."""


@dataclass
class ModelManager:
    hosts: Hosts
    models: list[Model] = field(default_factory=list)
    store: Outcomes | None = None
    """Where outcomes are kept across runs; None: in memory only."""
    records: dict[tuple[str, str], Record] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Why hosts could not be listed at the last refresh (unreachable, ...)."""

    def __post_init__(self) -> None:
        if self.store is not None:
            self.records.update(self.store.totals())

    async def refresh(self) -> list[Model]:
        """What every reachable host has installed, with what it says each model can do."""
        found: list[Model] = []
        self.problems = []
        for client in self.hosts.available():
            try:
                listed = await client.tags()
            except LLMError as error:
                self.problems.append(str(error))
                continue
            for entry in listed.models:
                found.append(await self._describe(client, entry.name,
                                                  entry.details.parameter_size))
        self.models = found
        return found

    async def _describe(self, client: LLMClient, name: str, parameter_size: str) -> Model:
        family = family_of(name)
        capabilities = set(family.capabilities)
        context = None
        info = await client.model_info(name)
        if info is not None:
            context = info.context_length
            if info.capabilities:  # what the server says beats what the family suggests
                capabilities.discard(FIM)
                if "insert" in info.capabilities:
                    capabilities.add(FIM)
            if context and context >= 32_768:
                capabilities.add(LONG_CONTEXT)
        size = _billions(parameter_size) or _billions(name)
        if size is not None and size <= 4:
            capabilities.add(FAST)
        return Model(name, client.url, family, frozenset(capabilities), context, size)

    def choose(self, needs: set[str], task: str, prefer: str = "best",
               explicit: str | None = None) -> list[Model]:
        """The fallback chain for a task: the user's model first (if installed), or else the
        only model installed, whatever it is known for (the user has no other); then the
        models with every needed capability, the most successful at this task first, then by
        preference (the smaller for "fast", the larger for "best")."""
        able = [m for m in self.models if needs <= m.capabilities]

        def rank(model: Model) -> tuple[float, float]:
            size = model.parameters or 0.0
            return (-self.record(model.name, task).success_rate,
                    size if prefer == "fast" else -size)

        firsts = [m for m in self.models if m.name == explicit] or (
            self.models if len(self.models) == 1 else [])
        return firsts + [m for m in sorted(able, key=rank) if m not in firsts]

    def record(self, model: str, task: str) -> Record:
        return self.records.setdefault((model, task), Record())

    def note(self, model: str, task: str, ok: bool, seconds: float) -> None:
        """Record one outcome; later choices for the task use it, in this run and after."""
        if self.store is not None:
            self.store.add(model, task, ok, seconds)
        entry = self.record(model, task)
        if ok:
            entry.successes += 1
            entry.seconds += seconds
        else:
            entry.failures += 1

    async def first_that_works(self, chain: list[Model], task: str,
                               action: Callable[[LLMClient, Model], Awaitable[T]],
                               ) -> tuple[T, Model]:
        """Try the chain in order until one model answers; when none does, the error says
        what each one failed with."""
        failures: list[str] = []
        clients = {c.url: c for c in self.hosts.clients}
        for model in chain:
            started = time.monotonic()
            try:
                result = await action(clients[model.host], model)
            except LLMError as error:
                self.note(model.name, task, False, time.monotonic() - started)
                failures.append(f"{model.name}: {error}")
                continue
            self.note(model.name, task, True, time.monotonic() - started)
            return result, model
        raise LLMError("; ".join(failures) or "no suitable model")


SUGGESTED = "qwen2.5-coder:7b"
"""The model to install when none suits a task."""


def none_for(needs: set[str], models: list[Model], problems: list[str]) -> str:
    """Why a task has no model, and what to do."""
    if not models:
        return "; ".join(problems) or f"no model is installed: run `ollama pull {SUGGESTED}`"
    return (f"none of the installed models ({', '.join(m.name for m in models)}) is known for "
            f"{', '.join(sorted(needs))}: choose one (`--model`, or the setting "
            f"sovereign.llm.model), or run `ollama pull {SUGGESTED}`")


def unfit(model: Model, needs: set[str], explicit: str | None) -> str | None:
    """The one-line note for a model asked although it is not known to do the task, or
    None when it is."""
    if needs <= model.capabilities:
        return None
    why = "you chose it" if model.name == explicit else "it is the only model installed"
    missing = ", ".join(sorted(needs - model.capabilities))
    return f"{model.name} is not known for {missing}; asking it because {why}"


def warn_if_unfit(chain: list[Model], needs: set[str], explicit: str | None) -> None:
    """Say, once per request, that the first model is asked although not known to do it."""
    if chain and (note := unfit(chain[0], needs, explicit)):
        LOG.warning("%s", note)


def _billions(text: str) -> float | None:
    """A parameter count in billions from `7b`, `7.6B`, `135M` or Ollama's `134.52M`."""
    match = re.search(r"(\d+(?:\.\d+)?)\s*([bBmM])(?![a-zA-Z])", text)
    if not match:
        return None
    value = float(match.group(1))
    return value if match.group(2) in "bB" else value / 1000
