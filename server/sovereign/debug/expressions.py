"""Expressions over a paused program's state: breakpoint conditions (`count == 0`), logpoint
interpolations, and what the editor asks when you hover a memory name.

An expression is made of integers (`5`, `#5`, `#0x1F`), strings (`"done"`), memory names, `top`
(the value on top of the stack), `depth` (how many values the stack holds), the operators
`+ - * / %`, the comparisons `== != < <= > >=`, and `and`, `or`, `not`, with parentheses. The
operators mean what the VM's opcodes mean (`/` and `%` as DIV and MOD, `==` false between an
integer and a string), so that a condition says what the program itself could compute.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..lang.assembler import INT_MAX, INT_MIN, Value, assemble
from ..vm.arithmetic import divide, remainder

_TOKEN = re.compile(r"""\s*(?:("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(#-?\w+|\w+)"""
                    r"""|(==|!=|<=|>=|[<>+\-*/%()]))""")
_COMPARISONS: dict[str, Callable[[Value, Value], bool]] = {
    "==": lambda a, b: type(a) is type(b) and a == b,
    "!=": lambda a, b: not (type(a) is type(b) and a == b),
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}


class ExpressionError(Exception):
    """An expression that cannot be read, or cannot be evaluated on this state."""


@dataclass(frozen=True)
class State:
    """What an expression can see."""

    memory: Mapping[str, Value]
    stack: Sequence[Value]


Node = Callable[[State], Value]
"""A parsed expression: evaluate it on a state."""


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Node:
    """Parse `text`, or raise ExpressionError saying where it goes wrong. Kept: a logpoint
    in a loop interpolates the same expressions at every hit."""
    tokens = _tokens(text)
    parser = _Parser(tokens)
    node = parser.disjunction()
    if parser.peek() is not None:
        raise ExpressionError(f"unexpected {parser.peek()!r} in {text!r}")
    return node


def evaluate(text: str, state: State) -> Value:
    return parse(text)(state)


def literal(text: str) -> Value:
    """A value as the user types it for a memory name: an integer (with or without `#`) or a
    string in quotes, read by the assembler's own rules."""
    text = text.strip()
    if re.fullmatch(r"-?[0-9]+", text):
        text = "#" + text
    assembly = assemble(f"PUSH {text}")
    if not assembly.ok or len(assembly.program.code) != 1:
        raise ExpressionError(f"{text!r} is not a value: write an integer (42) or a string "
                              '("text")')
    value = assembly.program.code[0].arg
    assert value is not None
    return value


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:].strip()[:20]!r} in {text!r}")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    if not tokens:
        raise ExpressionError("the expression is empty")
    return tokens


class _Parser:
    """Recursive descent, one method per precedence level, loosest first."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ExpressionError("the expression ends too soon")
        self.at += 1
        return token

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.peek() == "or":
            self.take()
            node = _or(node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.peek() == "and":
            self.take()
            node = _and(node, self.negation())
        return node

    def negation(self) -> Node:
        if self.peek() == "not":
            self.take()
            inner = self.negation()
            return lambda state: int(not inner(state))
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        if self.peek() in _COMPARISONS:
            operator = self.take()
            node = _compare(operator, node, self.sum())
        return node

    def sum(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            node = _arithmetic(self.take(), node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek() in ("*", "/", "%"):
            node = _arithmetic(self.take(), node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "-":
            self.take()
            return _arithmetic("-", _constant(0), self.unary())
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token == "(":
            node = self.disjunction()
            if self.take() != ")":
                raise ExpressionError("a '(' is not closed")
            return node
        if token[0] in "\"'#" or token[0].isdigit():
            return _constant(literal(token))
        if token == "top":
            return _top
        if token == "depth":
            return lambda state: len(state.stack)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token) and token not in ("and", "or"):
            return _name(token)
        raise ExpressionError(f"unexpected {token!r}")


def _constant(value: Value) -> Node:
    return lambda state: value


def _top(state: State) -> Value:
    if not state.stack:
        raise ExpressionError("the stack is empty: 'top' has no value")
    return state.stack[-1]


def _name(name: str) -> Node:
    def load(state: State) -> Value:
        value = state.memory.get(name)
        if value is None:
            raise ExpressionError(f"nothing has been stored under '{name}'")
        return value

    return load


def _or(left: Node, right: Node) -> Node:
    return lambda state: int(bool(left(state)) or bool(right(state)))


def _and(left: Node, right: Node) -> Node:
    return lambda state: int(bool(left(state)) and bool(right(state)))


def _compare(operator: str, left: Node, right: Node) -> Node:
    test = _COMPARISONS[operator]

    def compare(state: State) -> Value:
        a, b = left(state), right(state)
        if operator not in ("==", "!=") and type(a) is not type(b):
            raise ExpressionError(f"{operator} compares two integers or two strings")
        return int(test(a, b))

    return compare


def _arithmetic(operator: str, left: Node, right: Node) -> Node:
    def apply(state: State) -> Value:
        a, b = left(state), right(state)
        if operator == "+" and type(a) is str and type(b) is str:
            return a + b
        if type(a) is not int or type(b) is not int:
            raise ExpressionError(f"{operator} needs two integers")
        if operator in "/%" and b == 0:
            raise ExpressionError("division by zero")
        value = _INTEGER[operator](a, b)
        if not INT_MIN <= value <= INT_MAX:
            raise ExpressionError("the result does not fit in 64 bits")
        return value

    return apply


_INTEGER: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": divide, "%": remainder,
}
