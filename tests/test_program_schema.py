"""The program's shape for structured output: the JSON schema and the GBNF grammar accept every
program the project ships, and a JSON answer reads back as the same program."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sovereign.lang.assembler import Assembly, assemble
from sovereign.lang.opcodes import OPCODES, Operand
from sovereign.lang.program_schema import from_json, gbnf, gbnf_rules, json_schema

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "examples").rglob("*.sov"))
SNIPPETS = [op.example for op in OPCODES.values()]


def statements(assembly: Assembly) -> list[dict[str, Any]]:
    """A program as a model held to the schema would write it."""
    labels = {index: name for name, index in assembly.program.labels.items()}
    found = []
    for index, instruction in enumerate(assembly.program.code):
        statement: dict[str, Any] = {"op": instruction.op}
        if index in labels:
            statement["label"] = labels[index]
        if instruction.arg is not None:
            statement["arg"] = instruction.arg
        found.append(statement)
    return found


def matches(schema: dict[str, Any], value: object) -> bool:
    """The part of JSON Schema that `json_schema()` uses."""
    if "anyOf" in schema:
        return any(matches(option, value) for option in schema["anyOf"])
    kind = schema.get("type")
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return False
    if kind == "string" and not isinstance(value, str):
        return False
    if kind == "array":
        return isinstance(value, list) and all(matches(schema["items"], v) for v in value)
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "pattern" in schema and not re.search(schema["pattern"], str(value)):
        return False
    if kind == "object":
        if not isinstance(value, dict) or not set(schema["required"]) <= set(value):
            return False
        if schema.get("additionalProperties") is False and \
                not set(value) <= set(schema["properties"]):
            return False
        return all(matches(schema["properties"][key], v) for key, v in value.items())
    return True


@pytest.mark.parametrize("source", [p.read_text() for p in PROGRAMS] + SNIPPETS)
def test_every_program_fits_the_schema_and_reads_back_the_same(source: str) -> None:
    assembly = assemble(source)  # snippets may jump to labels they leave out
    assert assembly.program.code
    answer = {"program": statements(assembly)}
    assert matches(json_schema(), answer)
    again = assemble(from_json(json.dumps(answer)) or "")
    assert again.findings == assembly.findings or not assembly.ok
    assert [(i.op, i.arg) for i in again.program.code] == \
        [(i.op, i.arg) for i in assembly.program.code]
    assert again.program.labels == assembly.program.labels


def test_the_schema_names_every_opcode_once_with_its_operand() -> None:
    variants = json_schema()["properties"]["program"]["items"]["anyOf"]
    named = [op for variant in variants for op in variant["properties"]["op"]["enum"]]
    assert sorted(named) == sorted(OPCODES)
    for variant in variants:
        takes = {OPCODES[op].operand for op in variant["properties"]["op"]["enum"]}
        assert len(takes) == 1
        assert ("arg" in variant["properties"]) == (takes != {Operand.NONE})


@pytest.mark.parametrize("wrong", [
    {"op": "PSH", "arg": 1}, {"op": "PUSH"}, {"op": "ADD", "arg": 1},
    {"op": "JMP", "arg": "not a label"}, {"op": "PUSH", "arg": 1.5},
    {"op": "PUSH", "arg": 1, "comment": "x"}])
def test_the_schema_refuses_what_does_not_assemble(wrong: dict[str, Any]) -> None:
    assert not matches(json_schema(), {"program": [wrong]})


def test_answers_that_are_not_programs_are_read_as_text() -> None:
    for text in ("{", "[]", '{"program": 3}', '{"program": [1]}', '{"code": "PUSH #1"}'):
        assert from_json(text) is None


def test_the_grammar_is_what_is_sent() -> None:
    assert gbnf() == "".join(f"{name} ::= {body}\n" for name, body in gbnf_rules().items())


def regex(rules: dict[str, str], name: str = "root") -> str:
    """The grammar as a Python regular expression: it has no recursion, so one exists. Written
    from GBNF's notation (literals, [classes], (groups), |, ?, *, +, rule names), so a rule the
    grammar gets wrong fails here as it would in llama.cpp."""
    token = re.compile(r'"((?:[^"\\]|\\.)*)"|(\[(?:[^\]\\]|\\.)*\])|([()|?*+])|([a-z-]+)|\s+')
    out = []
    for literal, klass, operator, rule in (m.groups() for m in token.finditer(rules[name])):
        if literal is not None:
            out.append(re.escape(json.loads(f'"{literal}"')))
        elif klass is not None:
            out.append(klass.replace('"', '\\"'))
        elif operator is not None:
            out.append("(?:" if operator == "(" else operator)
        elif rule is not None:
            out.append(f"(?:{regex(rules, rule)})")
    return "".join(out)


@pytest.mark.parametrize("source", [p.read_text() for p in PROGRAMS] + SNIPPETS)
def test_the_grammar_accepts_every_program_as_the_schema_writes_it(source: str) -> None:
    text = from_json(json.dumps({"program": statements(assemble(source))}))
    assert text is not None
    assert re.fullmatch(regex(gbnf_rules()), text + "\n"), text


@pytest.mark.parametrize("line", ["    PSH #1", "    PUSH 1", "    PRINT x", "    ADD #1",
                                  "loop:    JMP", '    JMP "x"'])
def test_the_grammar_refuses_lines_small_models_write(line: str) -> None:
    assert not re.fullmatch(regex(gbnf_rules()), line + "\n")
