"""The one composition root: the command line, the language server and the benchmarks build
their LLM services here, from one typed configuration, so that a setting cannot reach one face
and miss another (the OpenAI-compatible host's API key, the model the user chose).

Building imports the HTTP stack and the pipelines, so the faces call it only when they first
need a model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..evolve.engine import Evolver
from ..evolve.memory import PatternMemory, default_path
from ..evolve.search import Budget
from ..generate.pipeline import Generator
from ..lang.program_schema import JSON_NOTE, gbnf, json_schema
from ..llm.constrained import Constraint
from ..llm.models import ModelManager
from ..llm.pool import Hosts
from ..llm.records import Outcomes
from ..llm.setup import HostSetting, LLMSettings, make_hosts
from ..vm.config import VMConfig
from ..vm.sandbox import AsyncFulfil
from .runtime import fulfil_with

API_KEY = "OPENAI_API_KEY"
"""Where the OpenAI-compatible hosts' key comes from when the configuration gives none."""


@dataclass(frozen=True)
class LLMConfig:
    """Everything the LLM side is built from. No Ollama host means OLLAMA_HOST, else the
    local default; `api_key` None means the OPENAI_API_KEY of the environment."""

    ollama: tuple[str, ...] = ()
    openai: tuple[str, ...] = ()
    api_key: str | None = None
    model: str | None = None
    """The model asked first, for generation and repair alike."""
    attempts: int = 3
    rounds: int = 3
    memory_path: Path | None = None
    sandbox: VMConfig = field(default_factory=VMConfig)
    """The limits every candidate is judged under."""
    search: Budget = field(default_factory=Budget)
    """What the search over small edits may spend."""
    structured: str = "auto"
    """One of STRUCTURED: whether answers are held to the program's shape (`answer_shape`)."""


def answer_shape(mode: str) -> Constraint | None:
    """The shape of a program (from the opcode table) that answers are held to, per `mode`."""
    if mode == "text":
        return None
    return Constraint(json_schema(), gbnf(), JSON_NOTE, required=mode == "schema")


@dataclass
class Services:
    """What the faces use. The evolver opens the pattern memory (a file in the user's data
    directory), so it is made when first asked for."""

    config: LLMConfig
    hosts: Hosts
    manager: ModelManager
    generator: Generator
    _evolver: Evolver | None = field(default=None, init=False, repr=False)

    @property
    def evolver(self) -> Evolver:
        if self._evolver is None:
            config = self.config
            self._evolver = Evolver(PatternMemory(config.memory_path), self.manager,
                                    config.rounds, config.sandbox, model=config.model,
                                    budget=config.search,
                                    constraint=answer_shape(config.structured))
        return self._evolver

    def fulfil(self) -> AsyncFulfil:
        """Answers the LLM instructions of a running program."""
        return fulfil_with(self.generator, lambda: self.evolver)

    async def close(self) -> None:
        await self.hosts.close()
        if self.manager.store is not None:
            self.manager.store.close()
        if self._evolver is not None:
            self._evolver.memory.close()


def host_settings(config: LLMConfig, environ: Mapping[str, str] | None = None) -> LLMSettings:
    """The hosts to ask, first preferred: the Ollama hosts, then the OpenAI-compatible ones
    with their key."""
    environ = os.environ if environ is None else environ
    key = config.api_key if config.api_key is not None else environ.get(API_KEY, "")
    hosts = [HostSetting(url) for url in config.ollama]
    hosts += [HostSetting(url, "openai", key) for url in config.openai]
    return LLMSettings(tuple(hosts))


def records_path(config: LLMConfig) -> Path:
    """The models' measured record, kept beside the pattern memory."""
    return (config.memory_path or default_path()).with_name("models.sqlite3")


def build(config: LLMConfig, environ: Mapping[str, str] | None = None) -> Services:
    hosts = make_hosts(host_settings(config, environ))
    manager = ModelManager(hosts, store=Outcomes(records_path(config)))
    return Services(config, hosts, manager, Generator(
        manager, attempts=config.attempts, model=config.model, config=config.sandbox,
        constraint=answer_shape(config.structured)))
