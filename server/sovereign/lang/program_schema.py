"""The shape of a Sovereign program for servers that can hold a model to one: a JSON schema
(Ollama's `format`, OpenAI's `response_format`) and a GBNF grammar (llama.cpp's `grammar`).

Both come from the opcode table, so an opcode added there is allowed here, and a model held to
either cannot write an opcode that does not exist or an operand of the wrong kind. A JSON
answer is turned back into source text (`from_json`) before it is judged like any other.
"""

from __future__ import annotations

import json
from typing import Any

from .lexer import IDENTIFIER, string_literal
from .opcodes import OPCODES, Operand

_IDENTIFIER = {"type": "string", "pattern": f"^{IDENTIFIER.pattern}$"}
_STRING = {"type": "string"}
_ARGUMENT: dict[Operand, dict[str, Any] | None] = {
    Operand.NONE: None,
    Operand.VALUE: {"anyOf": [{"type": "integer"}, _STRING]},
    Operand.LABEL: _IDENTIFIER,
    Operand.NAME: _STRING,
    Operand.TEXT: _STRING,
    Operand.OPTIONAL_TEXT: _STRING,
}

STRUCTURED = ("auto", "schema", "text")
"""How answers are held to this shape (the `structured` setting): auto, where the server
supports it, else plain text; schema, always, and a server that refuses is an error; text,
never."""

JSON_NOTE = ('Answer with JSON: {"program": [statement, ...]}, one statement per line of '
             'code, each {"label": name (only on a line that has one), "op": an opcode, '
             '"arg": its operand (an integer or a string; left out when it takes none)}. '
             'For example {"program": [{"label": "loop", "op": "LOAD", "arg": "n"}, '
             '{"op": "PUSH", "arg": 1}, {"op": "SUB"}]}.')
"""What a model is told when its answer is held to `json_schema()`."""


def _opcodes(operand: Operand) -> list[str]:
    return [name for name, op in OPCODES.items() if op.operand is operand]


def json_schema() -> dict[str, Any]:
    """A program as `{"program": [statement, ...]}`: one statement shape per operand kind,
    each naming the opcodes that take that kind."""
    statements = []
    for operand, argument in _ARGUMENT.items():
        properties: dict[str, Any] = {"label": _IDENTIFIER,
                                      "op": {"type": "string", "enum": _opcodes(operand)}}
        required = ["op"]
        if argument is not None:
            properties["arg"] = argument
            if operand is not Operand.OPTIONAL_TEXT:
                required.append("arg")
        statements.append({"type": "object", "properties": properties, "required": required,
                           "additionalProperties": False})
    return {"type": "object", "required": ["program"], "additionalProperties": False,
            "properties": {"program": {"type": "array", "items": {"anyOf": statements}}}}


def gbnf_rules() -> dict[str, str]:
    """The grammar as rule name -> GBNF expression: one instruction per line, a label on the
    line before it, operands typed per opcode."""
    def choice(operand: Operand) -> str:
        return " | ".join(f'"{name}"' for name in _opcodes(operand))

    return {
        "root": "line+",
        "line": '(ident ":" "\\n")? "    " instruction "\\n"',
        "instruction": ('(' + choice(Operand.NONE) + ')'
                        ' | (' + choice(Operand.VALUE) + ') " " value'
                        ' | (' + choice(Operand.LABEL) + ') " " ident'
                        ' | (' + choice(Operand.NAME) + ') " " (ident | string)'
                        ' | (' + choice(Operand.TEXT) + ') " " string'
                        ' | (' + choice(Operand.OPTIONAL_TEXT) + ') (" " string)?'),
        "value": '"#" "-"? [0-9]+ | string',
        "string": '"\\"" ([^"\\\\\\n] | "\\\\" ["\\\\nt])* "\\""',
        "ident": "[A-Za-z_] [A-Za-z0-9_]*",
    }


def gbnf() -> str:
    """The grammar in llama.cpp's GBNF notation."""
    return "\n".join(f"{name} ::= {body}" for name, body in gbnf_rules().items()) + "\n"


def from_json(text: str) -> str | None:
    """The source text of a JSON answer shaped by `json_schema()`, or None when `text` is not
    such an answer (then it is read as ordinary text). Operands are written as the assembler
    reads them; whether the program is right is the judge's to say."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    statements = data.get("program") if isinstance(data, dict) else None
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return None
    lines: list[str] = []
    for statement in statements:
        label, op = statement.get("label"), statement.get("op")
        if isinstance(label, str) and label:
            lines.append(f"{label}:")
        if isinstance(op, str):
            lines.append(f"    {op}{_operand(op, statement.get('arg'))}".rstrip())
    return "\n".join(lines)


def _operand(op: str, argument: object) -> str:
    """` operand` as source text: integers as `#n`, names bare when they can be, strings
    quoted."""
    if argument is None:
        return ""
    if isinstance(argument, bool) or not isinstance(argument, int | str):
        return f" {json.dumps(argument)}"
    if isinstance(argument, int):
        return f" #{argument}"
    row = OPCODES.get(op.upper())
    bare = row is not None and row.operand in (Operand.LABEL, Operand.NAME) and \
        IDENTIFIER.fullmatch(argument)
    return f" {argument}" if bare else f" {string_literal(argument)}"
