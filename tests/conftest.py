"""Shared helpers for the core tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovereign.lang.assembler import Program, assemble

ROOT = Path(__file__).resolve().parent.parent


def program(source: str) -> Program:
    """Assemble source that must be free of errors."""
    assembly = assemble(source)
    assert assembly.ok, assembly.findings
    return assembly.program


@pytest.fixture
def root() -> Path:
    return ROOT
