"""The Sovereign virtual machine.

Two paths run the same program. The reference interpreter (`Machine._run_by_reference`) executes one
instruction at a time and is the definition of every opcode and every runtime error. Blocks that
run often are compiled to Python (compiler.py) and run much faster; whenever a compiled block
meets anything unusual (a limit close, a type it did not expect, an error, an LLM instruction) it
hands the instruction back to the reference interpreter with the exact state, so errors, spans
and step counts are always the reference's. Tests run both paths and compare.

The machine is deterministic and does no I/O. At LLMGEN and EVOLVE it suspends and returns an
`LLMRequest` to its host, which resumes it with the result or with an error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..lang.assembler import INT_MAX, INT_MIN, Program, Value
from .arithmetic import divide, remainder
from .config import VMConfig
from .errors import Fault, VMError
from .executable import Executable
from .live import LiveValues
from .units import CLOCK_WORK, LEFT_UNIT, TO_REFERENCE

CLOCK_STRIDE = 16_384
"""Steps between two looks at the wall clock."""

SUSPEND = -1
"""What an opcode's method answers when the machine suspends (at LLMGEN and EVOLVE)."""

Decoded = Any
"""An instruction's operand as its method takes it: the value, the name or the text, and for
a jump the index of its target."""


class LLMRequest(NamedTuple):
    """What a suspended machine asks its host for. `code` is the code to repair (EVOLVE only);
    `memory` and `stack` are copies of the machine's at the instruction, so that an answer can
    be tried on the state it will meet."""

    kind: str
    prompt: str
    code: str | None
    pc: int
    memory: dict[str, Value]
    stack: tuple[Value, ...]


@dataclass
class Visit:
    """When a watched instruction ran: before its first execution, the steps completed and
    the lines printed; and the steps completed before its last."""

    first_step: int
    first_output: int
    last_step: int


class Halted(NamedTuple):
    """The program stopped normally (HALT, or running off the end)."""


class Suspended(NamedTuple):
    request: LLMRequest


class Failed(NamedTuple):
    error: VMError


Outcome = Halted | Suspended | Failed


class MachineState(NamedTuple):
    """A machine's state between two instructions (`Machine.save`)."""

    pc: int
    steps: int
    stack: tuple[Value, ...]
    memory: dict[str, Value]
    calls: tuple[int, ...]
    output_lines: int
    output_bytes: int
    halted: bool
    work: int
    held: int
    since_clock: int

    @property
    def size(self) -> int:
        """How many values it holds: what keeping it costs."""
        return len(self.stack) + len(self.memory) + len(self.calls) + 1


class Machine:
    """One run of a program. Create it, call `run()`, and `resume()` after each suspension."""

    def __init__(
        self,
        program: Program | Executable,
        config: VMConfig | None = None,
        *,
        memory: dict[str, Value] | None = None,
        stack: tuple[Value, ...] = (),
        compiled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        tracer: Callable[[Machine, int], None] | None = None,
    ) -> None:
        self.exe = program if isinstance(program, Executable) else Executable(program)
        self.config = config or VMConfig()
        self.code = self.exe.program.code
        self._max_stack = self.config.max_stack
        self._operations = [_OPERATIONS[instruction.op] for instruction in self.code]
        self._args = _operands(self.exe)
        self.stack: list[Value] = list(stack)
        self.memory: dict[str, Value] = dict(memory or {})
        self.calls: list[int] = []
        self.output: list[str] = []
        self.output_bytes = 0
        self.pc = 0
        self.steps = 0
        self.halted = False
        self.pending: LLMRequest | None = None
        self.visits: dict[int, Visit] = {}
        """The watched instructions (`Executable.watch`) that ran, and when."""
        self.live = LiveValues(self.code) if self.exe.live else None
        self.compiled = compiled and tracer is None
        self.tracer = tracer
        """Called after each instruction the reference runs, with the machine and the
        instruction's index: a traced run is a run by reference only."""
        self._stops = self.exe.stops if self.compiled else self._reference_stops()
        self.gate = 0
        self._start_meters(clock)

    def _start_meters(self, clock: Callable[[], float]) -> None:
        """The meters of the time and memory limits."""
        self._next_clock = 0
        self.work = 0
        """Characters of new strings and of output since the meters were last settled
        (`_settle`). Compiled code adds its own, and hands the instruction that would reach
        `work_limit` to the reference interpreter, which settles."""
        self._held = self._count_held()
        """An upper bound on the characters the run holds: the last exact count plus all
        growth since."""
        self._since_clock = 0
        self.work_limit = 1
        self._set_work_limit()
        self._clock = clock
        self._millis_left = self.config.max_millis
        self._deadline = math.inf
        """Set by `run()`; `step()` and `answer()` leave the clock alone."""

    @property
    def text_output(self) -> str:
        return "".join(line + "\n" for line in self.output)

    def run(self) -> Outcome:
        """Run until the program halts, fails or suspends at an LLM instruction."""
        if self.pending is not None:
            raise RuntimeError("the machine is suspended: call resume() first")
        started = self._clock()
        self._deadline = started + self._millis_left / 1000
        self._next_clock = self.steps + CLOCK_STRIDE
        self._set_gate()
        try:
            return self._loop()
        except Fault as fault:
            return Failed(self._error(fault))
        finally:
            self._millis_left -= (self._clock() - started) * 1000

    def resume(self, result: str) -> Outcome:
        """Continue after a suspension, with the LLM's answer pushed on the stack."""
        failed = self.answer(result)
        return self.run() if failed is None else failed

    def answer(self, result: str) -> Failed | None:
        """End a suspension with the LLM's answer pushed on the stack, and stop after the LLM
        instruction (a debugger steps on from there); Failed if the answer breaks a limit."""
        request = self._take_pending()
        self._deadline = math.inf  # the wait for the answer is not the program's time
        try:
            self._check_string(len(result))
            self._charge(len(result))
        except Fault as fault:
            return Failed(self._error(fault))
        if request.kind == "EVOLVE":
            self.stack.pop()
        self.stack.append(result)
        self.steps += 1
        self.pc += 1
        self.halted = self.pc >= self.exe.size  # as `step` says it of any last instruction
        return None

    def resume_error(self, kind: str, message: str) -> Failed:
        """End a suspension with an error at the LLM instruction (LLMUnavailable, NoValidFix)."""
        self._take_pending()
        return Failed(self._error(Fault(kind, message)))

    def step(self) -> Outcome | None:
        """Run one instruction by reference, for a debugger; None while the program goes on.
        Every limit holds but the wall clock: a program paused at a breakpoint is not running,
        so its time is the debugger's to watch."""
        if self.pending is not None:
            raise RuntimeError("the machine is suspended: call resume() first")
        if self.halted or self.pc >= self.exe.size:
            self.halted = True
            return Halted()
        pc = self.pc
        try:
            if self.steps >= self.config.max_steps:
                self._at_gate()
            target = self._operations[pc](self, self._args[pc])
        except Fault as fault:
            return Failed(self._error(fault))
        if target == SUSPEND:
            assert self.pending is not None
            return Suspended(self.pending)
        self.steps += 1
        self.pc = pc + 1 if target is None else target
        if self.halted or self.pc >= self.exe.size:
            self.halted = True
            return Halted()
        return None

    def save(self) -> MachineState:
        """Everything a run can change, to come back to (a debugger's step back). Values are
        immutable, so the copies are shallow; the output is only ever appended to, so its
        length is enough."""
        return MachineState(self.pc, self.steps, tuple(self.stack), dict(self.memory),
                            tuple(self.calls), len(self.output), self.output_bytes,
                            self.halted, self.work, self._held, self._since_clock)

    def restore(self, state: MachineState) -> None:
        """Go back to a state this machine `save`d earlier in the same run."""
        self.pc, self.steps, self.halted = state.pc, state.steps, state.halted
        self.stack[:] = state.stack
        self.memory = dict(state.memory)
        self.calls[:] = state.calls
        del self.output[state.output_lines:]
        self.output_bytes = state.output_bytes
        self.work, self._held, self._since_clock = state.work, state.held, state.since_clock
        self._set_work_limit()
        self.pending = None

    def _take_pending(self) -> LLMRequest:
        request = self.pending
        if request is None:
            raise RuntimeError("the machine is not suspended")
        self.pending = None
        return request

    def visit(self, pc: int, steps: int) -> None:
        """Record that control reached watched instruction `pc` after `steps` steps (even if
        a limit then stops the run before it executes). Compiled units call this with their
        own count, which they have not written back yet."""
        seen = self.visits.get(pc)
        if seen is None:
            self.visits[pc] = Visit(steps, len(self.output), steps)
        else:
            seen.last_step = steps

    def _loop(self) -> Outcome:
        size = self.exe.size
        watch = self.exe.watch
        while True:
            if self.halted or self.pc >= size:
                self.halted = True
                return Halted()
            if self.pc in watch:
                self.visit(self.pc, self.steps)
            if self.compiled and self._run_compiled() == LEFT_UNIT:
                continue
            if self.pc in watch:  # a unit handed a watched instruction back (a visit twice at
                self.visit(self.pc, self.steps)  # the same step is the same visit)
            self._run_by_reference()
            if self.pending is not None:
                return Suspended(self.pending)

    def _run_compiled(self) -> int:
        """Run compiled code from pc if there is (or now is) a unit for it, and answer as a
        unit does: LEFT_UNIT, or TO_REFERENCE when the reference must take the next step."""
        exe = self.exe
        unit = exe.units.get(self.pc)
        if unit is None and exe.is_leader[self.pc]:
            exe.warm(self.pc)
            unit = exe.units.get(self.pc)
        return TO_REFERENCE if unit is None else unit(self)

    def _reference_stops(self) -> list[bool]:
        """Where a run by reference alone hands back to `_loop`: at a watched instruction,
        after a HALT and at the end. (A compiled run stops at every block, to look for
        compiled code there.)"""
        stops = [False] * self.exe.size + [True]
        for index in self.exe.watch:
            stops[index] = True
        for index, instruction in enumerate(self.code):
            if instruction.op == "HALT":
                stops[index + 1] = True
        return stops

    def _run_by_reference(self) -> None:
        """Run instructions by reference until the next stop (at least one): the next block
        in a compiled run, else the next watched instruction or the end (`_stops`). The
        step count is kept in a local and written back however the run ends (an error
        reports the steps before the failing instruction).

        Every instruction of a block but its last goes on to the next (jumps, CALL, RET,
        HALT and the LLM instructions end blocks), so, unless a run is observed, those
        before the last and before the gate run in a loop that asks nothing else; the
        last, and any at the gate, run in the loop that looks at everything."""
        operations, args, stops, last = self._operations, self._args, self._stops, self.exe.last
        observed = self.live is not None or self.tracer is not None
        steps, gate, pc = self.steps, self.gate, self.pc
        try:
            while True:
                if not observed:
                    first, stop = pc, last[pc]
                    if stop - pc > gate - steps:  # the gate comes first
                        stop = pc + gate - steps
                    try:
                        while pc < stop:
                            operations[pc](self, args[pc])
                            pc += 1
                    finally:
                        steps += pc - first
                if steps >= gate:
                    self.steps = steps
                    self._at_gate()
                    gate = self.gate
                target = operations[pc](self, args[pc])
                if target is None:
                    next_pc = pc + 1
                elif target == SUSPEND:
                    return
                else:
                    next_pc = target
                steps += 1
                if observed:
                    self.steps, self.pc = steps, next_pc
                    self._observe(pc)
                pc = next_pc
                if stops[pc]:
                    return
        finally:
            self.steps, self.pc = steps, pc

    def _observe(self, pc: int) -> None:
        """After instruction `pc`, for a run that records live values or is traced."""
        if self.live is not None and self.live.recorded[pc]:
            self.live.note(pc, self.stack[-1] if self.stack else None)
        if self.tracer is not None:
            self.tracer(self, pc)

    def moved_gate(self, steps: int) -> int:
        """For compiled code at the gate with `steps` done: when the gate is the clock's (the
        step limit lies beyond it) and the time is not up, look at the clock now, as the
        reference would at the gate, and move the gate on, so that compiled code need not
        hand over every CLOCK_STRIDE steps. Answers the gate; past it, the reference takes
        over (it stops at the step limit, or finds the time up at its own look)."""
        if self._next_clock < self.config.max_steps and self._clock() <= self._deadline:
            self._next_clock = steps + CLOCK_STRIDE
            self._set_gate()
        return self.gate

    def _set_gate(self) -> None:
        """Compiled blocks run while steps stay below the gate: the step limit or the next look
        at the clock, whichever comes first."""
        self.gate = min(self.config.max_steps, self._next_clock)

    def _error(self, fault: Fault) -> VMError:
        pc = min(self.pc, len(self.code) - 1)
        return VMError(
            kind=fault.kind,
            message=fault.message,
            pc=pc,
            span=self.code[pc].span,
            call_stack=tuple(self.code[site].span for site in self.calls),
            stack_top=tuple(self.stack[-8:]),
            steps=self.steps,
        )

    # The reference interpreter: one method per opcode, found through `_OPERATIONS` (a list
    # per program, built once per machine). Each checks before it changes anything, so a
    # failing instruction leaves the state as it found it, and answers where control goes:
    # None for the next instruction, an index for a jump, SUSPEND at an LLM instruction.

    def _at_gate(self) -> None:
        """Before an instruction, at the gate: look at the clock when it is time, and stop at
        the step limit."""
        if self.steps >= self._next_clock:
            self._look_at_clock()
        if self.steps >= self.config.max_steps:
            raise Fault("StepLimitExceeded", f"did not halt within {self.config.max_steps} "
                        "steps: possible infinite loop")

    def _push(self, arg: Decoded) -> int | None:
        if len(self.stack) >= self._max_stack:
            self._room(1)
        if type(arg) is str:
            self._check_string(len(arg))
            self._charge(len(arg))
        self.stack.append(arg)
        return None

    def _pop(self, arg: Decoded) -> int | None:
        self._need("POP", 1)
        self.stack.pop()
        return None

    def _dup(self, arg: Decoded) -> int | None:
        stack = self.stack
        if not stack:
            self._need("DUP", 1)
        if len(stack) >= self._max_stack:
            self._room(1)
        stack.append(stack[-1])
        return None

    def _swap(self, arg: Decoded) -> int | None:
        self._need("SWAP", 2)
        stack = self.stack
        stack[-1], stack[-2] = stack[-2], stack[-1]
        return None

    def _over(self, arg: Decoded) -> int | None:
        self._need("OVER", 2)
        self._room(1)
        self.stack.append(self.stack[-2])
        return None

    def _rot(self, arg: Decoded) -> int | None:
        self._need("ROT", 3)
        self.stack.append(self.stack.pop(-3))
        return None

    def _add(self, arg: Decoded) -> int | None:
        stack = self.stack
        if len(stack) >= 2:  # the common case first, checked without a call
            a, b = stack[-2], stack[-1]
            if type(a) is int and type(b) is int and INT_MIN <= a + b <= INT_MAX:
                stack.pop()
                stack[-1] = a + b
                return None
        a, b = self._operands("ADD")
        if type(a) is str and type(b) is str:
            self._check_string(len(a) + len(b))
            self._charge(len(a) + len(b))
            return self._result(a + b)
        x, y = self._integers("ADD", a, b)
        return self._result(self._fits(x + y, "+", x, y))

    def _sub(self, arg: Decoded) -> int | None:
        stack = self.stack
        if len(stack) >= 2:
            a, b = stack[-2], stack[-1]
            if type(a) is int and type(b) is int and INT_MIN <= a - b <= INT_MAX:
                stack.pop()
                stack[-1] = a - b
                return None
        x, y = self._integers("SUB", *self._operands("SUB"))
        return self._result(self._fits(x - y, "-", x, y))

    def _mul(self, arg: Decoded) -> int | None:
        x, y = self._integers("MUL", *self._operands("MUL"))
        return self._result(self._fits(x * y, "*", x, y))

    def _div(self, arg: Decoded) -> int | None:
        x, y = self._integers("DIV", *self._operands("DIV"))
        if y == 0:
            raise Fault("DivisionByZero", f"{x} / 0")
        return self._result(self._fits(divide(x, y), "/", x, y))

    def _mod(self, arg: Decoded) -> int | None:
        x, y = self._integers("MOD", *self._operands("MOD"))
        if y == 0:
            raise Fault("DivisionByZero", f"{x} % 0")
        return self._result(remainder(x, y))

    def _neg(self, arg: Decoded) -> int | None:
        self._need("NEG", 1)
        (value,) = self._integers("NEG", self.stack[-1])
        negated = -value
        if not INT_MIN <= negated <= INT_MAX:
            raise Fault("IntegerOverflow", f"-({value}) does not fit in 64 bits")
        self.stack[-1] = negated
        return None

    def _eq(self, arg: Decoded) -> int | None:
        a, b = self._operands("EQ")
        return self._result(int(type(a) is type(b) and a == b))

    def _ne(self, arg: Decoded) -> int | None:
        a, b = self._operands("NE")
        return self._result(int(not (type(a) is type(b) and a == b)))

    def _lt(self, arg: Decoded) -> int | None:
        a, b = self._comparable("LT")
        self.stack.pop()
        self.stack[-1] = int(a < b)  # type: ignore[operator]
        return None

    def _le(self, arg: Decoded) -> int | None:
        a, b = self._comparable("LE")
        self.stack.pop()
        self.stack[-1] = int(a <= b)  # type: ignore[operator]
        return None

    def _gt(self, arg: Decoded) -> int | None:
        a, b = self._comparable("GT")
        self.stack.pop()
        self.stack[-1] = int(a > b)  # type: ignore[operator]
        return None

    def _ge(self, arg: Decoded) -> int | None:
        a, b = self._comparable("GE")
        self.stack.pop()
        self.stack[-1] = int(a >= b)  # type: ignore[operator]
        return None

    def _and(self, arg: Decoded) -> int | None:
        a, b = self._operands("AND")
        return self._result(int(bool(a) and bool(b)))

    def _or(self, arg: Decoded) -> int | None:
        a, b = self._operands("OR")
        return self._result(int(bool(a) or bool(b)))

    def _not(self, arg: Decoded) -> int | None:
        self._need("NOT", 1)
        self.stack[-1] = int(not self.stack[-1])
        return None

    def _store(self, arg: Decoded) -> int | None:
        stack, memory = self.stack, self.memory
        if not stack:
            self._need("STORE", 1)
        if arg not in memory and len(memory) >= self.config.max_names:
            raise Fault("MemoryLimitExceeded", f"cannot store '{arg}': the memory "
                        f"already holds the limit of {self.config.max_names} names")
        memory[arg] = stack.pop()
        return None

    def _load(self, arg: Decoded) -> int | None:
        value = self.memory.get(arg)  # a stored value is never None
        if value is None:
            raise Fault("UndefinedName", f"nothing has been stored under '{arg}'")
        if len(self.stack) >= self._max_stack:
            self._room(1)
        self.stack.append(value)
        return None

    def _jmp(self, target: int) -> int | None:
        return target

    def _jz(self, target: int) -> int | None:
        if not self.stack:
            self._need("JZ", 1)
        return None if self.stack.pop() else target

    def _jnz(self, target: int) -> int | None:
        if not self.stack:
            self._need("JNZ", 1)
        return target if self.stack.pop() else None

    def _call(self, arg: tuple[int, int]) -> int | None:
        target, site = arg
        if len(self.calls) >= self.config.max_call_depth:
            raise Fault("CallDepthExceeded", "the call depth limit of "
                        f"{self.config.max_call_depth} exceeded: runaway recursion?")
        self.calls.append(site)
        return target

    def _ret(self, arg: Decoded) -> int | None:
        if not self.calls:
            raise Fault("ReturnOutsideCall", "RET without an active CALL (is a HALT "
                        "missing before this subroutine?)")
        return self.calls.pop() + 1

    def _print_top(self, arg: Decoded) -> int | None:
        self._need("PRINT", 1)
        self._print(self.stack[-1])
        self.stack.pop()
        return None

    def _assert(self, arg: Decoded) -> int | None:
        self._need("ASSERT", 1)
        if not self.stack[-1]:
            raise Fault("AssertionFailed", str(arg) if arg
                        else f"the value was {_show(self.stack[-1])}")
        self.stack.pop()
        return None

    def _nop(self, arg: Decoded) -> int | None:
        return None

    def _halt(self, arg: Decoded) -> int | None:
        self.halted = True
        return None

    def _llmgen(self, arg: tuple[str, int]) -> int | None:
        prompt, pc = arg
        self._room(1)
        self.pending = LLMRequest("LLMGEN", prompt, None, pc, dict(self.memory),
                                  tuple(self.stack))
        return SUSPEND

    def _evolve(self, arg: tuple[str, int]) -> int | None:
        prompt, pc = arg
        self._need("EVOLVE", 1)
        code = self.stack[-1]
        if not isinstance(code, str):
            raise Fault("TypeMismatch", "EVOLVE needs the code to repair as a string "
                        f"on the stack, not {_show(code)}")
        self.pending = LLMRequest("EVOLVE", prompt, code, pc, dict(self.memory),
                                  tuple(self.stack))
        return SUSPEND

    # What the opcodes share.

    def _operands(self, op: str) -> tuple[Value, Value]:
        """The two values a binary opcode takes (left on the stack until it succeeds)."""
        stack = self.stack
        if len(stack) < 2:
            self._need(op, 2)
        return stack[-2], stack[-1]

    def _result(self, value: Value) -> int | None:
        """Replace a binary opcode's two operands with its result; control goes on to the
        next instruction."""
        stack = self.stack
        stack.pop()
        stack[-1] = value
        return None

    def _comparable(self, op: str) -> tuple[Value, Value]:
        """The two values a comparison takes: of one type."""
        stack = self.stack
        if len(stack) < 2:
            self._need(op, 2)
        a, b = stack[-2], stack[-1]
        if type(a) is not type(b):
            raise Fault("TypeMismatch", f"{op} compares two integers or two "
                        f"strings, got {_show(a)} and {_show(b)}")
        return a, b

    def _charge(self, size: int) -> None:
        """Count `size` characters about to be held (a new string, or output), and settle
        the meters when the count reaches `work_limit`."""
        if self.work + size >= self.work_limit:
            self._settle(size)
        self.work += size

    def _settle(self, coming: int) -> None:
        """Bring the memory bound and the clock up to date before `coming` more characters
        are held. Only when the bound would pass the budget are the held strings counted
        again, so the budget holds exactly and the count is seldom; past CLOCK_WORK
        characters (copying costs time in proportion to size), look at the clock."""
        self._held += self.work
        self._since_clock += self.work
        self.work = 0
        budget = self.config.max_memory
        if self._held + coming > budget:
            self._held = self._count_held()
            if self._held + coming > budget:
                raise Fault("MemoryBudgetExceeded", f"the run would hold "
                            f"{self._held + coming:,} characters of strings and output, "
                            f"more than the limit of {budget:,}")
        if self._since_clock + coming >= CLOCK_WORK:
            self._since_clock = 0
            self._look_at_clock()
        self._set_work_limit()

    def _set_work_limit(self) -> None:
        room = self.config.max_memory - self._held
        self.work_limit = max(1, min(CLOCK_WORK - self._since_clock, room))

    def _count_held(self) -> int:
        """The characters the run holds: its output, and its strings, each counted once
        however many places hold it."""
        seen: set[int] = set()
        held = self.output_bytes
        for value in (*self.stack, *self.memory.values()):
            if type(value) is str and id(value) not in seen:
                seen.add(id(value))
                held += len(value)
        return held

    def _look_at_clock(self) -> None:
        if self._clock() > self._deadline:
            raise Fault("TimeLimitExceeded", "did not finish within the time limit of "
                        f"{self.config.max_millis:g} ms")
        self._next_clock = self.steps + CLOCK_STRIDE
        self._set_gate()

    def _need(self, op: str, count: int) -> None:
        if len(self.stack) < count:
            raise Fault("StackUnderflow", f"{op} needs {count} value"
                        f"{'s' if count > 1 else ''}, the stack has {len(self.stack)}")

    def _room(self, count: int) -> None:
        if len(self.stack) + count > self._max_stack:
            raise Fault("StackOverflow", "the stack already holds the limit of "
                        f"{self.config.max_stack} values")

    def _check_string(self, length: int) -> None:
        if length > self.config.max_string:
            raise Fault("StringTooLong", f"string of {length} characters is longer than the "
                        f"limit of {self.config.max_string}")

    def _print(self, value: Value) -> None:
        text = value if isinstance(value, str) else str(value)
        size = len(text.encode("utf-8", "surrogatepass")) + 1
        if self.output_bytes + size > self.config.max_output:
            raise Fault("OutputLimitExceeded", "output limit of "
                        f"{self.config.max_output} bytes reached")
        self._charge(size)
        self.output_bytes += size
        self.output.append(text)

    def _integers(self, op: str, *values: Value) -> tuple[int, ...]:
        if type(values[0]) is int and (len(values) == 1 or type(values[1]) is int):
            return values  # type: ignore[return-value]
        shown = " and ".join(_show(v) for v in values)
        wanted = "two integers" if len(values) == 2 else "an integer"
        if op == "ADD":
            wanted = "two integers or two strings"
        raise Fault("TypeMismatch", f"{op} needs {wanted}, got {shown}")

    @staticmethod
    def _fits(value: int, operator: str, x: int, y: int) -> int:
        if not INT_MIN <= value <= INT_MAX:
            raise Fault("IntegerOverflow", f"{x} {operator} {y} does not fit in 64 bits")
        return value


Operation = Callable[[Machine, Decoded], int | None]


def _operands(exe: Executable) -> list[Decoded]:
    """Each instruction's operand, as its method takes it: a jump's target; a CALL's target
    and its own index (the return address it pushes); an LLM instruction's text and its own
    index (for its request); any other's value or name. So no method needs the machine's pc,
    which the reference loop keeps in a local."""
    code = exe.program.code
    operands: list[Decoded] = [target if target >= 0 else instruction.arg
                               for instruction, target in zip(code, exe.targets, strict=True)]
    for index, instruction in enumerate(code):
        if instruction.op == "CALL":
            operands[index] = exe.targets[index], index
        elif instruction.op in ("LLMGEN", "EVOLVE"):
            operands[index] = str(instruction.arg), index
    return operands


def _show(value: Value) -> str:
    if isinstance(value, int):
        return f"integer {value}"
    shown = value if len(value) <= 40 else value[:37] + "..."
    return f"string {shown!r}"


_OPERATIONS: dict[str, Operation] = {
    "PUSH": Machine._push, "POP": Machine._pop, "DUP": Machine._dup, "SWAP": Machine._swap,
    "OVER": Machine._over, "ROT": Machine._rot, "ADD": Machine._add, "SUB": Machine._sub,
    "MUL": Machine._mul, "DIV": Machine._div, "MOD": Machine._mod, "NEG": Machine._neg,
    "EQ": Machine._eq, "NE": Machine._ne, "LT": Machine._lt, "LE": Machine._le,
    "GT": Machine._gt, "GE": Machine._ge, "AND": Machine._and, "OR": Machine._or,
    "NOT": Machine._not, "STORE": Machine._store, "LOAD": Machine._load, "JMP": Machine._jmp,
    "JZ": Machine._jz, "JNZ": Machine._jnz, "CALL": Machine._call, "RET": Machine._ret,
    "PRINT": Machine._print_top, "ASSERT": Machine._assert, "NOP": Machine._nop,
    "HALT": Machine._halt, "LLMGEN": Machine._llmgen, "EVOLVE": Machine._evolve,
}
"""The reference interpreter's method for each opcode."""
