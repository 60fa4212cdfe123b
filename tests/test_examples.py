"""Every example carries its expectations in comments, as Crafting Interpreters' tests do:

    ; expect: TEXT       the next line of output
    ; error: CODE L:C    the run ends with this runtime error at line L, column C
    ; finding: CODE L:C  the static checks (assembler, analyser) report this finding
                         before anything runs

Adding a case is adding a file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sovereign.lang.assembler import assemble
from sovereign.vm.checker import check
from sovereign.vm.config import VMConfig
from sovereign.vm.sandbox import Refusal, run_program

from .conftest import ROOT

NO_LLM = Refusal("LLMUnavailable", "no LLM in this test")
EXAMPLES = sorted((ROOT / "examples").rglob("*.sov"))
_DIRECTIVE = re.compile(r"^; (expect|error|finding): (.*)$", re.MULTILINE)


def _expectations(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"expect": [], "error": [], "finding": []}
    for kind, value in _DIRECTIVE.findall(path.read_text(encoding="utf-8")):
        found[kind].append(value)
    return found


def test_there_are_enough_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT / "examples")))
def test_example(path: Path) -> None:
    expected = _expectations(path)
    assembly = assemble(path.read_bytes())
    assert assembly.ok, assembly.findings

    result = run_program(assembly.program, VMConfig(), fulfil=lambda request: NO_LLM)
    assert result.output.splitlines() == expected["expect"]
    failed = result.failed
    if expected["error"]:
        assert failed is not None, "the run was expected to fail"
        span = failed.error.span
        assert [f"{failed.error.code} {span.line + 1}:{span.col + 1}"] == expected["error"]
    else:
        assert failed is None, failed
        assert result.halted

    static = check(path.read_bytes(), run=False).findings
    reported = {f"{f.code} {f.span.line + 1}:{f.span.col + 1}" for f in static}
    assert set(expected["finding"]) <= reported
    if not expected["error"]:
        assert not [f for f in check(path.read_bytes()).findings if f.is_error]
