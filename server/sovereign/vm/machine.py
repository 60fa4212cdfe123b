"""The Sovereign virtual machine.

Two paths run the same program. The reference interpreter (`Machine._step`) executes one
instruction at a time and is the definition of every opcode and every runtime error. Blocks that
run often are compiled to Python (compiler.py) and run much faster; whenever a compiled block
meets anything unusual (a limit close, a type it did not expect, an error, an LLM instruction) it
hands the instruction back to the reference interpreter with the exact state, so errors, spans
and step counts are always the reference's. Tests run both paths and compare.

The machine is deterministic and does no I/O. At LLMGEN and EVOLVE it suspends and returns an
`LLMRequest` to its host, which resumes it with the result or with an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..lang.assembler import INT_MAX, INT_MIN, Program, Value
from .arithmetic import divide, remainder
from .config import VMConfig
from .errors import Fault, VMError
from .executable import Executable
from .units import LEFT_UNIT, TO_REFERENCE

CLOCK_STRIDE = 16_384
"""Steps between two looks at the wall clock."""


@dataclass(frozen=True)
class LLMRequest:
    """What a suspended machine asks its host for. `code` is the code to repair (EVOLVE only);
    `memory` and `stack` are copies of the machine's at the instruction, so that an answer can
    be tried on the state it will meet."""

    kind: str
    prompt: str
    code: str | None
    pc: int
    memory: dict[str, Value] = field(default_factory=dict)
    stack: tuple[Value, ...] = ()


@dataclass
class Visit:
    """When a watched instruction ran: before its first execution, the steps completed and
    the lines printed; and the steps completed before its last."""

    first_step: int
    first_output: int
    last_step: int


@dataclass(frozen=True)
class Halted:
    """The program stopped normally (HALT, or running off the end)."""


@dataclass(frozen=True)
class Suspended:
    request: LLMRequest


@dataclass(frozen=True)
class Failed:
    error: VMError


Outcome = Halted | Suspended | Failed


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
        self.compiled = compiled and tracer is None
        self.tracer = tracer
        """Called after each instruction the reference runs, with the machine and the
        instruction's index: a traced run is a run by reference only."""
        self.gate = 0
        self._next_clock = 0
        self._clock = clock
        self._millis_left = self.config.max_millis
        self._deadline = 0.0

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
        request = self._take_pending()
        try:
            self._check_string(len(result))
        except Fault as fault:
            return Failed(self._error(fault))
        if request.kind == "EVOLVE":
            self.stack.pop()
        self.stack.append(result)
        self.steps += 1
        self.pc += 1
        return self.run()

    def resume_error(self, kind: str, message: str) -> Failed:
        """End a suspension with an error at the LLM instruction (LLMUnavailable, NoValidFix)."""
        self._take_pending()
        return Failed(self._error(Fault(kind, message)))

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
            self._run_block()
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

    def _run_block(self) -> None:
        """Run instructions by reference until the next block starts (at least one)."""
        is_leader, size, tracer = self.exe.is_leader, self.exe.size, self.tracer
        while True:
            pc = self.pc
            self._step()
            if tracer is not None and self.pending is None:
                tracer(self, pc)
            if self.halted or self.pending or self.pc >= size or is_leader[self.pc]:
                return

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

    # The reference interpreter. Each opcode checks before it changes anything, so a failing
    # instruction leaves the state as it found it.

    def _step(self) -> None:
        if self.steps >= self._next_clock:
            self._look_at_clock()
        if self.steps >= self.config.max_steps:
            raise Fault("StepLimitExceeded", f"did not halt within {self.config.max_steps} "
                        "steps: possible infinite loop")
        instruction = self.code[self.pc]
        op, arg = instruction.op, instruction.arg
        stack = self.stack
        next_pc = self.pc + 1
        match op:
            case "PUSH":
                assert arg is not None
                self._room(1)
                if isinstance(arg, str):
                    self._check_string(len(arg))
                stack.append(arg)
            case "POP":
                self._need(op, 1)
                stack.pop()
            case "DUP":
                self._need(op, 1)
                self._room(1)
                stack.append(stack[-1])
            case "SWAP":
                self._need(op, 2)
                stack[-1], stack[-2] = stack[-2], stack[-1]
            case "OVER":
                self._need(op, 2)
                self._room(1)
                stack.append(stack[-2])
            case "ROT":
                self._need(op, 3)
                stack.append(stack.pop(-3))
            case "ADD" | "SUB" | "MUL" | "DIV" | "MOD":
                self._need(op, 2)
                stack[-2:] = [self._arithmetic(op, stack[-2], stack[-1])]
            case "NEG":
                self._need(op, 1)
                value = self._integers(op, stack[-1])[0]
                stack[-1] = self._fits(-value, f"-({value})")
            case "EQ" | "NE":
                self._need(op, 2)
                a, b = stack[-2], stack[-1]
                equal = type(a) is type(b) and a == b
                stack[-2:] = [int(equal == (op == "EQ"))]
            case "LT" | "LE" | "GT" | "GE":
                self._need(op, 2)
                stack[-2:] = [self._compare(op, stack[-2], stack[-1])]
            case "AND":
                self._need(op, 2)
                stack[-2:] = [int(bool(stack[-2]) and bool(stack[-1]))]
            case "OR":
                self._need(op, 2)
                stack[-2:] = [int(bool(stack[-2]) or bool(stack[-1]))]
            case "NOT":
                self._need(op, 1)
                stack[-1] = int(not stack[-1])
            case "STORE":
                self._need(op, 1)
                name = str(arg)
                if name not in self.memory and len(self.memory) >= self.config.max_names:
                    raise Fault("MemoryLimitExceeded", f"cannot store '{name}': the memory "
                                f"already holds the limit of {self.config.max_names} names")
                self.memory[name] = stack.pop()
            case "LOAD":
                name = str(arg)
                if name not in self.memory:
                    raise Fault("UndefinedName", f"nothing has been stored under '{name}'")
                self._room(1)
                stack.append(self.memory[name])
            case "JMP":
                next_pc = self.exe.targets[self.pc]
            case "JZ" | "JNZ":
                self._need(op, 1)
                if bool(stack.pop()) == (op == "JNZ"):
                    next_pc = self.exe.targets[self.pc]
            case "CALL":
                if len(self.calls) >= self.config.max_call_depth:
                    raise Fault("CallDepthExceeded", "the call depth limit of "
                                f"{self.config.max_call_depth} exceeded: runaway recursion?")
                self.calls.append(self.pc)
                next_pc = self.exe.targets[self.pc]
            case "RET":
                if not self.calls:
                    raise Fault("ReturnOutsideCall", "RET without an active CALL (is a HALT "
                                "missing before this subroutine?)")
                next_pc = self.calls.pop() + 1
            case "PRINT":
                self._need(op, 1)
                self._print(stack[-1])
                stack.pop()
            case "ASSERT":
                self._need(op, 1)
                if not stack[-1]:
                    raise Fault("AssertionFailed", str(arg) if arg
                                else f"the value was {_show(stack[-1])}")
                stack.pop()
            case "NOP":
                pass
            case "HALT":
                self.halted = True
            case "LLMGEN":
                self._room(1)
                self.pending = LLMRequest(op, str(arg), None, self.pc, dict(self.memory),
                                          tuple(stack))
                return
            case "EVOLVE":
                self._need(op, 1)
                code = stack[-1]
                if not isinstance(code, str):
                    raise Fault("TypeMismatch", "EVOLVE needs the code to repair as a string "
                                f"on the stack, not {_show(code)}")
                self.pending = LLMRequest(op, str(arg), code, self.pc, dict(self.memory),
                                          tuple(stack))
                return
        self.steps += 1
        self.pc = next_pc

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
        if len(self.stack) + count > self.config.max_stack:
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
        self.output_bytes += size
        self.output.append(text)

    def _arithmetic(self, op: str, a: Value, b: Value) -> Value:
        if op == "ADD" and isinstance(a, str) and isinstance(b, str):
            self._check_string(len(a) + len(b))
            return a + b
        x, y = self._integers(op, a, b)
        if op == "ADD":
            return self._fits(x + y, f"{x} + {y}")
        if op == "SUB":
            return self._fits(x - y, f"{x} - {y}")
        if op == "MUL":
            return self._fits(x * y, f"{x} * {y}")
        if y == 0:
            raise Fault("DivisionByZero", f"{x} {'/' if op == 'DIV' else '%'} 0")
        if op == "DIV":
            return self._fits(divide(x, y), f"{x} / {y}")
        return remainder(x, y)

    def _integers(self, op: str, *values: Value) -> tuple[int, ...]:
        if all(type(v) is int for v in values):
            return values  # type: ignore[return-value]
        shown = " and ".join(_show(v) for v in values)
        wanted = "two integers" if len(values) == 2 else "an integer"
        if op == "ADD":
            wanted = "two integers or two strings"
        raise Fault("TypeMismatch", f"{op} needs {wanted}, got {shown}")

    def _compare(self, op: str, a: Value, b: Value) -> int:
        if type(a) is not type(b):
            raise Fault("TypeMismatch", f"{op} compares two integers or two "
                        f"strings, got {_show(a)} and {_show(b)}")
        match op:
            case "LT":
                return int(a < b)  # type: ignore[operator]
            case "LE":
                return int(a <= b)  # type: ignore[operator]
            case "GT":
                return int(a > b)  # type: ignore[operator]
            case _:
                return int(a >= b)  # type: ignore[operator]

    @staticmethod
    def _fits(value: int, expression: str) -> int:
        if not INT_MIN <= value <= INT_MAX:
            raise Fault("IntegerOverflow", f"{expression} does not fit in "
                        "64 bits")
        return value


def _show(value: Value) -> str:
    if isinstance(value, int):
        return f"integer {value}"
    shown = value if len(value) <= 40 else value[:37] + "..."
    return f"string {shown!r}"
