"""docs/language.md cannot drift from the code: the opcode section is generated from the opcode
table, and every finding and error code the code can produce is documented."""

from __future__ import annotations

import re

from sovereign.lang.opcodes import OPCODES
from sovereign.lang.reference import opcode_reference
from sovereign.vm.checker import STOPPED_AT_LLM
from sovereign.vm.errors import RUNTIME_ERRORS

from .conftest import ROOT

DOC = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")


def test_the_opcode_reference_is_up_to_date() -> None:
    assert opcode_reference() in DOC, (
        "regenerate the opcode section of docs/language.md with "
        "`python -m sovereign.lang.reference`")


def test_every_opcode_is_documented_with_an_example() -> None:
    for name, opcode in OPCODES.items():
        assert f"#### {name}" in DOC
        assert opcode.example


def test_every_code_is_documented() -> None:
    sources = "".join(p.read_text() for p in (ROOT / "server" / "sovereign").rglob("*.py"))
    used = set(re.findall(r'"([ES][1-2]\d\d)"', sources))
    assert used, "the pattern no longer finds the codes"
    documented = set(re.findall(r"^\| ([ESR]\d{3}) \|", DOC, re.MULTILINE))
    assert used <= documented
    assert set(RUNTIME_ERRORS.values()) | {STOPPED_AT_LLM} <= documented
    for kind, code in RUNTIME_ERRORS.items():
        assert f"| {code} | {kind} |" in DOC
