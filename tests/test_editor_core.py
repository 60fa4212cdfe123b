"""The pure functions under the editor features, with a cursor marker `<|>` in the source."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from sovereign.lang.assembler import assemble
from sovereign.lang.completion import complete
from sovereign.lang.formatter import format_source
from sovereign.lang.hover import hover
from sovereign.lang.outline import folds, sections
from sovereign.lang.symbols import LABEL, MEMORY, Role, index_symbols

from .conftest import ROOT
from .test_properties import _source


def cursor(source: str) -> tuple[list[str], int, int]:
    """The lines of `source` without the marker, and the marker's line and column."""
    before, after = source.split("<|>")
    line = before.count("\n")
    col = len(before) - (before.rfind("\n") + 1)
    return (before + after).split("\n"), line, col


@pytest.mark.parametrize(("source", "kind", "name", "role"), [
    ("loop:\n    JMP lo<|>op", LABEL, "loop", Role.JUMP),
    ("lo<|>op:\n    JMP loop", LABEL, "loop", Role.DEFINITION),
    ("CALL f<|>\nf: RET", LABEL, "f", Role.CALL),
    ('STORE "my <|>var"', MEMORY, "my var", Role.STORE),
    ("LOAD <|>x", MEMORY, "x", Role.LOAD),
    ("pushh #1\nJMP <|>nowhere", LABEL, "nowhere", Role.JUMP),
])
def test_symbol_under_the_cursor(source: str, kind: str, name: str, role: Role) -> None:
    lines, line, col = cursor(source)
    found = index_symbols(lines).at(line, col)
    assert found is not None
    assert (found.kind, found.name, found.role) == (kind, name, role)


@pytest.mark.parametrize(("source", "expected"), [
    ("P<|>USH #1", "#### PUSH"),
    ("PUSH #0x1<|>0", "**integer** `16` (`0x10`)"),
    ("PUSH #-<|>5", "**integer** `-5` (`-0x5`)"),
    ("x: NOP\nJMP <|>x\nCALL x", "1 jump to it, 1 call."),
    ("PUSH #1\nSTORE <|>n\nLOAD n\nLOAD n", "Loaded on lines 3, 4."),
])
def test_hover_text(source: str, expected: str) -> None:
    lines, line, col = cursor(source)
    found = hover(index_symbols(lines), line, col)
    assert found is not None
    assert expected in found[1]


@pytest.mark.parametrize(("source", "expected"), [
    ("<|>", ["PUSH", "POP"]),
    ("  pu<|>", ["PUSH", "POP"]),
    ("a:\nb:\nJMP <|>", ["b", "a"]),
    ("PUSH #1\nSTORE x\nSTORE 'y z'\nLOAD y\nLOAD y\nLOAD <|>", ["y", "x", "y z"]),
    ("PUSH <|>", []),
    ("; JMP <|>", []),
])
def test_completion_candidates(source: str, expected: list[str]) -> None:
    lines, line, col = cursor(source)
    labels = [c.label for c in complete(index_symbols(lines), line, col)]
    assert labels[:len(expected)] == expected
    if not expected:
        assert labels == []


def test_outline_and_folds_of_an_example() -> None:
    text = (ROOT / "examples" / "factorial_recursive.sov").read_text()
    index = index_symbols(text.split("\n"))
    (fact,) = sections(index)
    assert (fact.name, fact.subroutine, [c.name for c in fact.children]) == (
        "fact", True, ["base"])
    assert [(f.first_line, f.last_line, f.comment) for f in folds(index)] == [
        (0, 1, True), (7, 21, False), (18, 21, False)]


def test_formatting_the_examples_keeps_their_meaning() -> None:
    for path in sorted((ROOT / "examples").rglob("*.sov")):
        original = assemble(path.read_text())
        formatted = format_source(original)
        again = assemble(formatted)
        assert [(i.op, i.arg) for i in again.program.code] == [
            (i.op, i.arg) for i in original.program.code], path
        assert format_source(again) == formatted, path


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_source)
def test_formatting_is_idempotent_and_never_changes_meaning(source: str) -> None:
    before = assemble(source)
    formatted = format_source(before)
    after = assemble(formatted)
    assert [(i.op, i.arg) for i in after.program.code] == [
        (i.op, i.arg) for i in before.program.code]
    assert after.program.labels == before.program.labels
    assert [f.code for f in after.findings] == [f.code for f in before.findings]
    assert format_source(after) == formatted
