"""The one opcode table.

Everything that knows about opcodes (the assembler, the analyser, the VM's compiler, hover,
completion, docs/language.md and the LLM prompt reference) reads this table, so a change here
reaches all of them and none can drift.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class Operand(Enum):
    """What may follow an opcode on its line."""

    NONE = "none"
    VALUE = "int or string"
    LABEL = "label"
    NAME = "memory name"
    TEXT = "string"
    OPTIONAL_TEXT = "optional string"


class Group(Enum):
    """Opcode families, used by the grammar, semantic tokens and the docs."""

    STACK = "stack"
    ARITHMETIC = "arithmetic"
    COMPARISON = "comparison and logic"
    MEMORY = "memory"
    CONTROL = "control flow"
    IO = "input and output"
    LLM = "LLM"


class Opcode(NamedTuple):
    """One row of the table: the facts every consumer needs about an opcode."""

    name: str
    operand: Operand
    pops: int
    pushes: int
    effect: str
    group: Group
    summary: str
    errors: tuple[str, ...]
    example: str

    @property
    def takes_operand(self) -> bool:
        return self.operand is not Operand.NONE


_UNDERFLOW = "StackUnderflow"
_OVERFLOW = "StackOverflow"


def _op(
    name: str,
    operand: Operand,
    effect: str,
    group: Group,
    summary: str,
    errors: tuple[str, ...],
    example: str,
) -> Opcode:
    """Build a row, deriving pops and pushes from the Forth-style effect so they cannot disagree."""
    before, after = effect.strip("() ").split("--")
    return Opcode(
        name, operand, len(before.split()), len(after.split()), effect, group, summary, errors,
        example,
    )


_TABLE = (
    _op("PUSH", Operand.VALUE, "( -- v )", Group.STACK,
        "Push an integer or a string.", (_OVERFLOW, "StringTooLong"), 'PUSH #42\nPUSH "hi"'),
    _op("POP", Operand.NONE, "( v -- )", Group.STACK,
        "Drop the top value.", (_UNDERFLOW,), "PUSH #1\nPOP"),
    _op("DUP", Operand.NONE, "( a -- a a )", Group.STACK,
        "Duplicate the top value.", (_UNDERFLOW, _OVERFLOW), "PUSH #3\nDUP\nMUL   ; 9"),
    _op("SWAP", Operand.NONE, "( a b -- b a )", Group.STACK,
        "Exchange the top two values.", (_UNDERFLOW,), "PUSH #1\nPUSH #2\nSWAP  ; 2 1"),
    _op("OVER", Operand.NONE, "( a b -- a b a )", Group.STACK,
        "Copy the second value to the top.", (_UNDERFLOW, _OVERFLOW),
        "PUSH #1\nPUSH #2\nOVER  ; 1 2 1"),
    _op("ROT", Operand.NONE, "( a b c -- b c a )", Group.STACK,
        "Rotate the third value to the top.", (_UNDERFLOW,),
        "PUSH #1\nPUSH #2\nPUSH #3\nROT   ; 2 3 1"),
    _op("ADD", Operand.NONE, "( a b -- r )", Group.ARITHMETIC,
        "Add two integers, or concatenate two strings.",
        (_UNDERFLOW, "TypeMismatch", "IntegerOverflow", "StringTooLong"),
        'PUSH "ab"\nPUSH "cd"\nADD   ; "abcd"'),
    _op("SUB", Operand.NONE, "( a b -- r )", Group.ARITHMETIC,
        "Subtract b from a.", (_UNDERFLOW, "TypeMismatch", "IntegerOverflow"),
        "PUSH #7\nPUSH #2\nSUB   ; 5"),
    _op("MUL", Operand.NONE, "( a b -- r )", Group.ARITHMETIC,
        "Multiply two integers.", (_UNDERFLOW, "TypeMismatch", "IntegerOverflow"),
        "PUSH #6\nPUSH #7\nMUL   ; 42"),
    _op("DIV", Operand.NONE, "( a b -- r )", Group.ARITHMETIC,
        "Divide a by b, truncating toward zero.",
        (_UNDERFLOW, "TypeMismatch", "DivisionByZero", "IntegerOverflow"),
        "PUSH #-7\nPUSH #2\nDIV   ; -3"),
    _op("MOD", Operand.NONE, "( a b -- r )", Group.ARITHMETIC,
        "Remainder of a / b, with the sign of a.",
        (_UNDERFLOW, "TypeMismatch", "DivisionByZero"), "PUSH #-7\nPUSH #2\nMOD   ; -1"),
    _op("NEG", Operand.NONE, "( a -- r )", Group.ARITHMETIC,
        "Negate an integer.", (_UNDERFLOW, "TypeMismatch", "IntegerOverflow"),
        "PUSH #5\nNEG   ; -5"),
    _op("EQ", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if a equals b (values of different types are unequal), else 0.", (_UNDERFLOW,),
        'PUSH #1\nPUSH "1"\nEQ    ; 0'),
    _op("NE", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if a differs from b, else 0.", (_UNDERFLOW,), "PUSH #1\nPUSH #2\nNE    ; 1"),
    _op("LT", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if a < b (two integers, or two strings by code point), else 0.",
        (_UNDERFLOW, "TypeMismatch"), "PUSH #1\nPUSH #2\nLT    ; 1"),
    _op("LE", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if a <= b, else 0.", (_UNDERFLOW, "TypeMismatch"), "PUSH #2\nPUSH #2\nLE    ; 1"),
    _op("GT", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if a > b, else 0.", (_UNDERFLOW, "TypeMismatch"), 'PUSH "b"\nPUSH "a"\nGT    ; 1'),
    _op("GE", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if a >= b, else 0.", (_UNDERFLOW, "TypeMismatch"), "PUSH #1\nPUSH #2\nGE    ; 0"),
    _op("AND", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if both values are true, else 0.", (_UNDERFLOW,), 'PUSH #1\nPUSH ""\nAND   ; 0'),
    _op("OR", Operand.NONE, "( a b -- flag )", Group.COMPARISON,
        "1 if either value is true, else 0.", (_UNDERFLOW,), 'PUSH #0\nPUSH "0"\nOR    ; 1'),
    _op("NOT", Operand.NONE, "( a -- flag )", Group.COMPARISON,
        "1 if the value is false (0 or \"\"), else 0.", (_UNDERFLOW,), "PUSH #0\nNOT   ; 1"),
    _op("STORE", Operand.NAME, "( v -- )", Group.MEMORY,
        "Store the top value in memory under a name.", (_UNDERFLOW, "MemoryLimitExceeded"),
        'PUSH #1\nSTORE counter\nPUSH "x"\nSTORE "my var"'),
    _op("LOAD", Operand.NAME, "( -- v )", Group.MEMORY,
        "Push the value stored under a name.", ("UndefinedName", _OVERFLOW),
        "LOAD counter"),
    _op("JMP", Operand.LABEL, "( -- )", Group.CONTROL,
        "Jump to a label.", (), "loop:\n    JMP loop"),
    _op("JZ", Operand.LABEL, "( v -- )", Group.CONTROL,
        "Jump to a label when the value is false (0 or \"\").", (_UNDERFLOW,),
        "LOAD n\nJZ done"),
    _op("JNZ", Operand.LABEL, "( v -- )", Group.CONTROL,
        "Jump to a label when the value is true.", (_UNDERFLOW,), "LOAD n\nJNZ loop"),
    _op("CALL", Operand.LABEL, "( -- )", Group.CONTROL,
        "Call a subroutine; RET comes back to the next line.", ("CallDepthExceeded",),
        "CALL square\nHALT\nsquare:\n    DUP\n    MUL\n    RET"),
    _op("RET", Operand.NONE, "( -- )", Group.CONTROL,
        "Return from the innermost CALL.", ("ReturnOutsideCall",), "RET"),
    _op("PRINT", Operand.NONE, "( v -- )", Group.IO,
        "Append the value and a newline to the program's output.",
        (_UNDERFLOW, "OutputLimitExceeded"), 'PUSH "hello"\nPRINT'),
    _op("ASSERT", Operand.OPTIONAL_TEXT, "( v -- )", Group.IO,
        "Fail with AssertionFailed (and the message) when the value is false.",
        (_UNDERFLOW, "AssertionFailed"), 'LOAD n\nASSERT "n must not be zero"'),
    _op("NOP", Operand.NONE, "( -- )", Group.CONTROL, "Do nothing.", (), "NOP"),
    _op("HALT", Operand.NONE, "( -- )", Group.CONTROL,
        "Stop the program; running off the last line also stops it.", (), "HALT"),
    _op("LLMGEN", Operand.TEXT, "( -- code )", Group.LLM,
        "Ask the LLM for Sovereign code that does what the prompt says; push it as a string.",
        (_OVERFLOW, "LLMUnavailable", "NoValidCode", "StringTooLong"),
        'LLMGEN "Create a bubble sort implementation"\nSTORE "bubble_sort_code"'),
    _op("EVOLVE", Operand.TEXT, "( code -- code' )", Group.LLM,
        "Ask the LLM to repair the code on the stack; push the repaired code.",
        (_UNDERFLOW, "TypeMismatch", "LLMUnavailable", "NoValidFix", "StringTooLong"),
        'PUSH "PUSH #10\\nPUSH #0\\nDIV"\nEVOLVE "Division by zero error"'),
)

OPCODES: dict[str, Opcode] = {op.name: op for op in _TABLE}

JUMPS = frozenset({"JMP", "JZ", "JNZ", "CALL"})
"""Opcodes whose operand is a label."""

BRANCHES = frozenset({"JMP", "JZ", "JNZ"})
"""Jumps that stay in the code they belong to (a CALL comes back)."""

ENDS_BLOCK = frozenset({"JMP", "JZ", "JNZ", "CALL", "RET", "HALT", "LLMGEN", "EVOLVE"})
"""Opcodes after which control may not simply fall to the next line."""


STRAIGHT = frozenset(OPCODES) - BRANCHES - {"RET", "HALT"}
"""Opcodes after which control always goes on to the next instruction (`successors`)."""


def successors(op: str, index: int, target: int) -> tuple[int, ...]:
    """Where control goes after instruction `index` (whose label operand marks `target`),
    within the code it belongs to: a CALL's callee is left out, as it comes back to the next
    instruction. The one definition of control flow, for the analysis, the VM's compiler and
    every check that follows jumps."""
    if op == "JMP":
        return (target,)
    if op == "JZ" or op == "JNZ":
        return (target, index + 1)
    if op == "RET" or op == "HALT":
        return ()
    return (index + 1,)


def falls_through(op: str) -> bool:
    """Whether control can go on to the next instruction after `op`."""
    return op != "JMP" and op != "RET" and op != "HALT"
