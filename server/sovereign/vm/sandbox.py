"""The one place that runs a program to completion for a host without an event loop.

Diagnostics, the CLI, and (later) LLM validation all run programs through `run_program`, so the
limits, the treatment of LLM instructions and the shape of the result are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from ..lang.assembler import Program, Value
from .config import VMConfig
from .executable import Executable
from .live import LiveValues
from .machine import Failed, Halted, LLMRequest, Machine, Outcome, Suspended, Visit


class Refusal(NamedTuple):
    """A host's answer that ends an LLM instruction with an error (LLMUnavailable, NoValidFix)."""

    kind: str
    message: str


class Answer(NamedTuple):
    """The code for an LLM request, and notes to store in memory before the run goes on (the
    generation's metadata under reserved names)."""

    code: str
    notes: dict[str, Value]


Fulfil = Callable[[LLMRequest], "str | Answer | Refusal | None"]
"""Answers an LLM request: the code, a refusal, or None to stop the run there (no answer)."""

AsyncFulfil = Callable[[LLMRequest], Awaitable["str | Answer | Refusal | None"]]

Tracer = Callable[[Machine, int], None]
"""Sees each instruction the reference interpreter ran: the machine, and the index."""


def no_llm(request: LLMRequest) -> None:
    """The host that has no LLM and no cache: every LLM instruction stops the run."""
    return None


@dataclass(frozen=True)
class RunResult:
    """How a run ended. `outcome` is `Suspended` when the host had no answer for a request."""

    outcome: Outcome
    output: str
    memory: dict[str, Value]
    stack: tuple[Value, ...]
    steps: int
    visits: dict[int, Visit] = field(default_factory=dict)
    """When each watched instruction ran (`Executable(..., watch=...)`)."""
    live: LiveValues | None = None
    """What each instruction left on top of the stack (`Executable(..., live=True)`)."""

    @property
    def halted(self) -> bool:
        return isinstance(self.outcome, Halted)

    @property
    def failed(self) -> Failed | None:
        return self.outcome if isinstance(self.outcome, Failed) else None

    @property
    def stopped_at(self) -> LLMRequest | None:
        """The LLM request the run stopped at, unanswered."""
        return self.outcome.request if isinstance(self.outcome, Suspended) else None


def run_program(
    program: Program | Executable,
    config: VMConfig | None = None,
    *,
    fulfil: Fulfil = no_llm,
    memory: dict[str, Value] | None = None,
    stack: tuple[Value, ...] = (),
    tracer: Tracer | None = None,
) -> RunResult:
    """Run `program` under `config` (the sandbox's limits by default), answering LLM requests
    with `fulfil`, from `memory` and `stack` (empty by default); `tracer` sees each step."""
    machine = Machine(program, config, memory=memory, stack=stack, tracer=tracer)
    outcome = machine.run()
    while isinstance(outcome, Suspended):
        answer = fulfil(outcome.request)
        if answer is None:
            break
        outcome = _answered(machine, answer)
    return _result(machine, outcome)


async def run_program_async(
    program: Program | Executable,
    config: VMConfig | None = None,
    *,
    fulfil: AsyncFulfil,
    memory: dict[str, Value] | None = None,
    tracer: Tracer | None = None,
) -> RunResult:
    """`run_program` for a host whose answers come from an event loop (an LLM client): the
    machine itself never waits; it suspends, and this loop awaits the answer."""
    machine = Machine(program, config, memory=memory, tracer=tracer)
    outcome = machine.run()
    while isinstance(outcome, Suspended):
        answer = await fulfil(outcome.request)
        if answer is None:
            break
        outcome = _answered(machine, answer)
    return _result(machine, outcome)


def _answered(machine: Machine, answer: str | Answer | Refusal) -> Outcome:
    failed = give(machine, answer)
    return machine.run() if failed is None else failed


def give(machine: Machine, answer: str | Answer | Refusal) -> Failed | None:
    """End a suspended machine's LLM instruction with a host's answer, without running on
    (a debugger steps from there): Failed for a refusal, or an answer that breaks a limit."""
    if isinstance(answer, Refusal):
        return machine.resume_error(answer.kind, answer.message)
    if isinstance(answer, Answer):
        machine.memory.update(answer.notes)
        return machine.answer(answer.code)
    return machine.answer(answer)


def _result(machine: Machine, outcome: Outcome) -> RunResult:
    return RunResult(outcome, machine.text_output, dict(machine.memory), tuple(machine.stack),
                     machine.steps, dict(machine.visits), machine.live)

