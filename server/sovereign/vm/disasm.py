"""Programs as the VM sees them: a listing of the prepared program, and a trace of a run, one
executed instruction per line, for when a result (or a benchmark) surprises you.

The listing shows each instruction with its index, its source line, the jump target it
resolves to, which instructions start a basic block and which blocks were compiled. The trace
comes from the reference interpreter, the definition of every opcode, so it shows exactly
what the program did, step by step.
"""

from __future__ import annotations

from ..lang.assembler import Instruction, Value
from ..lang.lexer import string_literal
from ..lang.opcodes import JUMPS
from .executable import Executable
from .machine import Machine

_SHOWN_STACK = 4
"""Values of the stack a trace line shows, from the top."""


def value_text(value: Value) -> str:
    """A value as the source would write it."""
    return string_literal(value) if isinstance(value, str) else f"#{value}"


def instruction_text(instruction: Instruction, target: int = -1) -> str:
    """An instruction as it reads, with the index its label operand resolves to."""
    if instruction.arg is None:
        return instruction.op
    if instruction.op in JUMPS:
        return f"{instruction.op} {instruction.arg} (-> {target})"
    if instruction.op in ("PUSH", "LLMGEN", "EVOLVE", "ASSERT"):
        return f"{instruction.op} {value_text(instruction.arg)}"
    return f"{instruction.op} {instruction.arg}"


def disassemble(exe: Executable) -> str:
    """The listing of a prepared program: `>` starts a basic block, `*` a compiled one."""
    rows = []
    for index, instruction in enumerate(exe.program.code):
        mark = "*" if index in exe.units else ">" if exe.is_leader[index] else " "
        rows.append(f"{index:>6} {mark} {instruction.line + 1:>5}  "
                    f"{instruction_text(instruction, exe.targets[index])}")
    return "\n".join(rows)


def trace_line(machine: Machine, pc: int) -> str:
    """One executed instruction: the step, its line and column, the instruction, and the top
    of the stack after it (top last)."""
    instruction = machine.code[pc]
    top = machine.stack[-_SHOWN_STACK:]
    shown = ", ".join(value_text(v) if len(str(v)) <= 20 else value_text(v)[:18] + "..."
                      for v in top)
    more = "..., " if len(machine.stack) > _SHOWN_STACK else ""
    where = f"{instruction.line + 1}:{instruction.col + 1}"
    text = instruction_text(instruction, machine.exe.targets[pc])
    return f"{machine.steps:>8}  {where:>8}  {text:<32} [{more}{shown}]"
