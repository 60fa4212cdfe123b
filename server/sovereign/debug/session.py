"""A program under the debugger: run one instruction at a time by the reference interpreter,
stopped where the user asked (breakpoints, steps, an error, an LLM instruction, a pause), and
taken back as easily as forward (history.py).

Every command answers a `Stop`: why the program stopped and where. The session never waits:
at an LLM instruction it stops with the request, and its host gives the answer (`answer`)."""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

from ..lang.assembler import Program, Value
from ..vm.config import VMConfig
from ..vm.errors import VMError
from ..vm.executable import Executable
from ..vm.machine import Failed, Halted, LLMRequest, Machine, Suspended
from ..vm.sandbox import give
from .expressions import ExpressionError, Node, State, parse
from .history import MAX_VALUES, SNAPSHOT_EVERY, History, LLMAnswer


@dataclass(frozen=True)
class Stop:
    """Why a command ended. `reason` is one of "entry", "step", "breakpoint", "exception",
    "pause", "llm" (the program waits for an answer: `request`), and "ended" (it halted, or
    failed with `error` where the user did not ask to stop on it)."""

    reason: str
    description: str = ""
    error: VMError | None = None
    request: LLMRequest | None = None


@dataclass
class Breakpoint:
    """A breakpoint on an instruction (`Session.breakpoints` is keyed by its index). It
    stops when its condition holds and its hit condition allows the hit; a logpoint
    (`message`) writes the message instead."""

    condition: Node | None = None
    hit_condition: Callable[[int], bool] | None = None
    message: str | None = None
    hits: int = 0


@dataclass(frozen=True)
class Wanted:
    """A breakpoint as the user set it: a line, and optionally a condition, a hit condition,
    or a message that makes it a logpoint."""

    line: int
    condition: str | None = None
    hit: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Placement:
    """Where a breakpoint went: the line of the instruction it is on, or None and why not."""

    line: int | None
    message: str = ""


def hit_condition(text: str) -> Callable[[int], bool]:
    """A hit condition as editors write them: `5` or `== 5` (the fifth hit), `>= 5`, `> 5`,
    or `% 5` (every fifth)."""
    match = re.fullmatch(r"\s*(==|>=|>|%)?\s*([0-9]+)\s*", text)
    if match is None or (match[1] == "%" and int(match[2]) == 0):
        raise ExpressionError(f"{text!r} is not a hit count: write 5, >= 5, > 5 or % 5")
    operator, count = match[1] or "==", int(match[2])
    return {
        "==": lambda hits: hits == count, ">=": lambda hits: hits >= count,
        ">": lambda hits: hits > count, "%": lambda hits: hits % count == 0,
    }[operator]


@dataclass(frozen=True)
class Frame:
    """A call frame, innermost first: the subroutine's name and the instruction it is at."""

    name: str
    pc: int


@dataclass
class Options:
    """The run's limits and its history's interval and bound (history.py)."""

    config: VMConfig = field(default_factory=VMConfig.run_defaults)
    snapshot_every: int = SNAPSHOT_EVERY
    max_history: int = MAX_VALUES


class Session:
    """One debugged run of a program. Commands run on whichever thread calls them (the
    adapter's worker); `pause` may be called from another."""

    def __init__(self, program: Program, options: Options | None = None,
                 log: Callable[[str], None] = lambda text: None) -> None:
        options = options or Options()
        self.program = program
        self.machine = Machine(Executable(program), options.config, compiled=False)
        self.history = History(self.machine, options.snapshot_every, options.max_history)
        self.breakpoints: dict[int, Breakpoint] = {}
        self.stop_on_error: Callable[[VMError], bool] = lambda error: True
        self.log = log
        """Where logpoints write."""
        self.error: VMError | None = None
        """The error the program stopped at, until it is taken back before it."""
        self._pause = threading.Event()
        self._labels = {index: name for name, index in program.labels.items()}
        self._lines = [instruction.line for instruction in program.code]

    @property
    def pending(self) -> LLMRequest | None:
        return self.machine.pending

    @property
    def state(self) -> State:
        return State(self.machine.memory, self.machine.stack)

    def start(self, stop_on_entry: bool) -> Stop:
        """Where the program goes first: stopped before its first instruction, or running."""
        if stop_on_entry:
            return Stop("entry")
        at_start = self._breakpoint()
        return at_start if at_start is not None else self.resume()

    def set_breakpoints(self, wanted: list[Wanted]) -> list[Placement]:
        """Replace every breakpoint (at once: a running program sees the old set or the new),
        each on the first instruction at or after its line."""
        points: dict[int, Breakpoint] = {}
        placements = [self._place(want, points) for want in wanted]
        self.breakpoints = points
        return placements

    def _place(self, want: Wanted, points: dict[int, Breakpoint]) -> Placement:
        pc = bisect_left(self._lines, want.line)
        if pc == len(self._lines):
            return Placement(None, "no instruction at or after this line")
        try:
            points[pc] = Breakpoint(parse(want.condition) if want.condition else None,
                                    hit_condition(want.hit) if want.hit else None,
                                    want.message or None)
        except ExpressionError as error:
            return Placement(None, f"this breakpoint's condition is wrong: {error}")
        return Placement(self._lines[pc])

    # Forward.

    def resume(self) -> Stop:
        """Continue to the next breakpoint, error, LLM instruction or pause, or the end."""
        return self._forward(lambda: False)

    def step_in(self) -> Stop:
        return self._forward(lambda: True)

    def next(self) -> Stop:
        """One instruction, a CALL with everything it calls."""
        depth = len(self.machine.calls)
        return self._forward(lambda: len(self.machine.calls) <= depth)

    def step_out(self) -> Stop:
        """To the instruction after the CALL of the current subroutine."""
        depth = len(self.machine.calls)
        return self._forward(lambda: len(self.machine.calls) < depth)

    def pause(self) -> None:
        """Ask a running command to stop (from another thread)."""
        self._pause.set()

    @property
    def remembered(self) -> LLMAnswer | None:
        """The answer the pending LLM instruction was given before, if the run came back."""
        return self.history.answers.get(self.machine.steps)

    def answer(self, answer: LLMAnswer) -> None:
        """The answer for the pending LLM instruction: the next step takes it (and it is
        remembered for going back and forward again)."""
        self.history.answers[self.machine.steps] = answer

    def _forward(self, done: Callable[[], bool]) -> Stop:
        """Step until `done()` holds after a step, or something stops the run first."""
        if self.error is not None:
            return Stop("ended", error=self.error)
        try:
            while True:
                stopped = self._step()
                if stopped is not None:
                    return stopped
                if done():
                    return Stop("step")
                if self._pause.is_set():
                    return Stop("pause")
        finally:
            self._pause.clear()

    def _step(self) -> Stop | None:
        """One instruction, then the breakpoint where it lands, if it stops there."""
        machine = self.machine
        if machine.pending is not None:
            return self._take_answer()
        outcome = machine.step()
        self.history.record(machine)
        if isinstance(outcome, Halted):
            return Stop("ended")
        if isinstance(outcome, Failed):
            return self._failed(outcome.error)
        if isinstance(outcome, Suspended):
            return _asks(outcome.request)
        return self._breakpoint()

    def _take_answer(self) -> Stop | None:
        """The step an LLM instruction takes: its answer pushed, or a stop until it has one."""
        answer = self.remembered
        if answer is None:
            assert self.machine.pending is not None
            return _asks(self.machine.pending)
        failed = give(self.machine, answer)
        self.history.record(self.machine)
        return self._breakpoint() if failed is None else self._failed(failed.error)

    def _failed(self, error: VMError) -> Stop:
        self.error = error
        if self.stop_on_error(error):
            return Stop("exception", f"{error.code} {error.kind}: {error.message}", error)
        return Stop("ended", error=error)

    def _breakpoint(self) -> Stop | None:
        point = self.breakpoints.get(self.machine.pc)
        if point is None or not self._holds(point):
            return None
        point.hits += 1
        if point.hit_condition is not None and not point.hit_condition(point.hits):
            return None
        if point.message is not None:
            self.log(self.interpolate(point.message))
            return None
        return Stop("breakpoint")

    def _holds(self, point: Breakpoint) -> bool:
        """A condition that cannot be evaluated here (a name not stored yet) does not hold."""
        if point.condition is None:
            return True
        try:
            return bool(point.condition(self.state))
        except ExpressionError:
            return False

    def interpolate(self, message: str) -> str:
        """A logpoint's message with each `{expression}` replaced by its value."""
        parts = message.split("{")
        out = [parts[0]]
        for part in parts[1:]:
            expression, brace, rest = part.partition("}")
            if not brace:
                out.append("{" + part)
                continue
            try:
                out.append(_shown(parse(expression)(self.state)))
            except ExpressionError as error:
                out.append(f"<{error}>")
            out.append(rest)
        return "".join(out)

    # Back.

    def step_back(self) -> Stop:
        if self.machine.steps <= self.history.earliest:
            return Stop("entry", self._history_note())
        self.back_to(self.machine.steps - 1)
        return Stop("step")

    def reverse_continue(self) -> Stop:
        """Back to the latest earlier moment a breakpoint stops at, or as far as history goes."""
        target = self._last_breakpoint_before(self.machine.steps)
        if target is None:
            self.back_to(self.history.earliest)
            return Stop("entry", self._history_note())
        self.back_to(target)
        return Stop("breakpoint")

    def _history_note(self) -> str:
        if self.history.dropped:
            return (f"the history starts at step {self.history.earliest:,}: older states "
                    "were dropped to keep the debugger within its memory bound")
        return "the start of the program"

    def back_to(self, steps: int) -> None:
        """Go back to exactly `steps` completed steps (not before `history.earliest`): restore
        the nearest kept state and replay from it, so however far back, it costs at most the
        snapshot interval in steps."""
        machine = self.machine
        machine.restore(self.history.nearest(steps))
        self.error = None
        while machine.steps < steps:
            self._replay_step()

    def _replay_step(self) -> None:
        outcome = self.machine.step()
        if isinstance(outcome, Suspended):
            give(self.machine, self.history.answers[self.machine.steps])

    def _last_breakpoint_before(self, steps: int) -> int | None:
        """The latest step before `steps` at which a breakpoint's condition holds, searched
        segment by segment backwards from the kept states (hit counts are not re-counted)."""
        machine = self.machine
        end = steps
        while end > self.history.earliest:
            start = self.history.nearest(end - 1)
            machine.restore(start)
            found = None
            while machine.steps < end:
                point = self.breakpoints.get(machine.pc)
                if point is not None and point.message is None and self._holds(point):
                    found = machine.steps
                self._replay_step()
            if found is not None:
                return found
            end = start.steps
        return None

    # What a paused program shows.

    def frames(self) -> list[Frame]:
        """The current instruction, then each active CALL, innermost first."""
        machine = self.machine
        pcs = [min(machine.pc, len(self.program.code) - 1), *reversed(machine.calls)]
        names = [self._subroutine(site) for site in reversed(machine.calls)] + ["main"]
        return [Frame(name, pc) for name, pc in zip(names, pcs, strict=True)]

    def _subroutine(self, call_site: int) -> str:
        target = self.machine.exe.targets[call_site]
        return self._labels.get(target, f"subroutine at {target}")

    def set_memory(self, name: str, value: Value) -> None:
        """Store `value` under `name` now: the run goes on from the changed state, and the
        history after this moment is forgotten."""
        self.machine.memory[name] = value
        self.history.keep_now(self.machine)


def _asks(request: LLMRequest) -> Stop:
    return Stop("llm", f"{request.kind} asks: {request.prompt}", request=request)


def _shown(value: Value) -> str:
    return value if isinstance(value, str) else str(value)
