"""Where a debugged run has been, so that it can go back: the machine's state every N steps,
and the LLM answers it was given. Going back k steps restores the nearest state at or before
the target and replays forward from it, so it costs at most N steps however far back it goes.
The run is deterministic (no clock, no I/O; LLM answers are replayed), so the replay arrives
at exactly the state the run had.

The states are bounded by the values they hold: past the bound the oldest are dropped, and
the run can no longer go back before the oldest kept.
"""

from __future__ import annotations

from bisect import bisect_right

from ..vm.machine import Machine, MachineState
from ..vm.sandbox import Answer, Refusal

SNAPSHOT_EVERY = 1_000
"""Steps between two kept states: what a step back costs at most, in steps replayed."""

MAX_VALUES = 4_000_000
"""Values (stack entries, memory names, return addresses) all kept states may hold together;
about 100 MB at the most."""

LLMAnswer = str | Answer | Refusal


class History:
    def __init__(self, machine: Machine, every: int = SNAPSHOT_EVERY,
                 max_values: int = MAX_VALUES) -> None:
        self.every = every
        self.max_values = max_values
        self.states: list[MachineState] = [machine.save()]
        self.answers: dict[int, LLMAnswer] = {}
        """The answer given at each LLM instruction, by the steps completed before it."""
        self.held = self.states[0].size
        self.dropped = False
        """Whether old states were dropped to keep within `max_values`."""

    @property
    def earliest(self) -> int:
        """The first step the run can go back to."""
        return self.states[0].steps

    def record(self, machine: Machine) -> None:
        """Keep the machine's state if a kept state is due (after each step)."""
        if machine.steps % self.every == 0 and machine.steps > self.states[-1].steps:
            self._keep(machine.save())

    def keep_now(self, machine: Machine) -> None:
        """Keep the machine's state as the truth from here on (after the user changed it):
        everything recorded after it belongs to a future that will not happen."""
        self.forget_after(machine.steps)
        if self.states[-1].steps == machine.steps:
            self.held -= self.states.pop().size
        self._keep(machine.save())

    def forget_after(self, steps: int) -> None:
        while len(self.states) > 1 and self.states[-1].steps > steps:
            self.held -= self.states.pop().size
        self.answers = {at: answer for at, answer in self.answers.items() if at < steps}

    def nearest(self, steps: int) -> MachineState:
        """The latest kept state at or before `steps` (at or after `earliest`)."""
        return self.states[max(0, bisect_right(self.states, steps, key=_steps) - 1)]

    def _keep(self, state: MachineState) -> None:
        self.states.append(state)
        self.held += state.size
        while self.held > self.max_values and len(self.states) > 1:
            self.held -= self.states.pop(0).size
            self.dropped = True


def _steps(state: MachineState) -> int:
    return state.steps
