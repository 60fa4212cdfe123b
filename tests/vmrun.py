"""Run a program by the reference interpreter and by compiled blocks, and insist they agree."""

from __future__ import annotations

from dataclasses import dataclass

from sovereign.lang.assembler import Program, Value
from sovereign.vm.config import VMConfig
from sovereign.vm.errors import VMError
from sovereign.vm.executable import Executable
from sovereign.vm.machine import Failed, Machine, Outcome

from .conftest import program

UNLIMITED_TIME = 1e9


@dataclass(frozen=True)
class Observed:
    """Everything a run leaves behind that both paths must agree on."""

    outcome: str
    error: tuple[object, ...] | None
    output: tuple[str, ...]
    stack: tuple[Value, ...]
    memory: tuple[tuple[str, Value], ...]
    steps: int
    calls: tuple[int, ...]
    pc: int
    visits: tuple[tuple[int, int, int, int], ...]
    live: tuple[tuple[int, int, Value | None, Value | None], ...] | None


def observe(machine: Machine, outcome: Outcome) -> Observed:
    error = outcome.error if isinstance(outcome, Failed) else None
    return Observed(
        type(outcome).__name__,
        None if error is None else (error.kind, error.message, error.pc, error.span,
                                    error.call_stack, error.stack_top, error.steps),
        tuple(machine.output), tuple(machine.stack), tuple(sorted(machine.memory.items())),
        machine.steps, tuple(machine.calls), machine.pc,
        tuple(sorted((pc, v.first_step, v.first_output, v.last_step)
                     for pc, v in machine.visits.items())),
        None if machine.live is None else tuple(sorted(
            (pc, s.count, s.first, s.last) for pc, s in machine.live.seen().items())),
    )


def both_ways(prog: Program, config: VMConfig, watch: tuple[int, ...] = (),
              live: bool = False) -> tuple[Machine, Outcome]:
    """Run `prog` by reference, then compiled three ways: each block in a unit of its own from
    its first entry (so control crosses units), units that grow as each block is entered (so
    running units are replaced by larger ones), and all blocks in one unit from the start (so
    control stays inside one). Assert that all end in the same state, the visits to the
    `watch`ed instructions and the live values (if `live`) included; return the last run."""
    reference = Machine(Executable(prog, watch=watch, live=live), config, compiled=False)
    expected = observe(reference, reference.run())
    per_block = Machine(Executable(prog, hot=1, grow=False, watch=watch, live=live), config)
    assert observe(per_block, per_block.run()) == expected
    growing = Machine(Executable(prog, hot=1, watch=watch, live=live), config)
    assert observe(growing, growing.run()) == expected
    whole = Executable(prog, watch=watch, live=live)
    whole.compile_all()
    fast = Machine(whole, config)
    outcome = fast.run()
    assert observe(fast, outcome) == expected
    return fast, outcome


def run(source: str, **limits: int) -> tuple[Machine, Outcome]:
    config = VMConfig(**{"max_millis": UNLIMITED_TIME, **limits})
    return both_ways(program(source), config)


def output(source: str, **limits: int) -> list[str]:
    machine, outcome = run(source, **limits)
    assert not isinstance(outcome, Failed), outcome.error
    return machine.output


def stack(source: str, **limits: int) -> list[Value]:
    machine, outcome = run(source, **limits)
    assert not isinstance(outcome, Failed), outcome.error
    return machine.stack


def error(source: str, **limits: int) -> VMError:
    _, outcome = run(source, **limits)
    assert isinstance(outcome, Failed), f"expected a runtime error, got {outcome}"
    return outcome.error
