"""Going back is exact: the debugger's history (snapshots every N steps, replay from the
nearest) lands on the very state a fresh run reaches, on random programs."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sovereign.debug.session import Options, Session
from sovereign.lang.assembler import assemble
from sovereign.vm.config import VMConfig
from sovereign.vm.machine import MachineState

from ..test_properties import _programs

_CONFIG = VMConfig(max_steps=300, max_stack=40, max_names=8, max_call_depth=6,
                   max_string=200, max_output=400, max_memory=2_000)


def _forward(session: Session, steps: int) -> None:
    """Step in `steps` times (or until the run ends), answering every LLM instruction."""
    for _ in range(steps):
        if session.machine.pending is not None:
            session.answer('PUSH "x"')
        stop = session.step_in()
        if stop.reason in ("ended", "exception"):
            return


def _state(session: Session) -> tuple[MachineState, tuple[str, ...]]:
    return session.machine.save(), tuple(session.machine.output)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_programs(), st.integers(0, 80), st.integers(0, 80), st.integers(1, 9))
@example('PUSH #5\nSTORE x\nPUSH "s"\nSTORE y\nL0:\nLLMGEN "make code"', 7, 0, 1)  # ends
# at its answer: halted then, as after any last instruction
def test_stepping_back_lands_on_the_state_a_fresh_run_reaches(
        source: str, forward: int, back: int, every: int) -> None:
    program = assemble(source).program
    session = Session(program, Options(_CONFIG, snapshot_every=every))
    _forward(session, forward)
    reached = session.machine.steps
    for _ in range(back):
        session.step_back()
    assert session.machine.steps == max(0, reached - back)
    assert session.error is None or back == 0
    fresh = Session(program, Options(_CONFIG))
    while fresh.machine.steps < session.machine.steps:
        _forward(fresh, 1)
    assert _state(session) == _state(fresh)


def test_history_past_its_bound_drops_the_oldest_states_and_says_so() -> None:
    program = assemble("again: PUSH #1\nPOP\nJMP again\n").program
    session = Session(program, Options(_CONFIG, snapshot_every=10, max_history=20))
    _forward(session, 250)
    assert session.history.held <= 20 and session.history.earliest > 0
    while session.machine.steps > session.history.earliest:
        session.step_back()
    stop = session.step_back()
    assert stop.reason == "entry" and "older states were dropped" in stop.description
    assert session.machine.steps == session.history.earliest
