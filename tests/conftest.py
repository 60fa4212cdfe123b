"""Shared helpers for the core tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sovereign.lang.assembler import Program, assemble

from .llm.fake_ollama import FakeOllama

ROOT = Path(__file__).resolve().parent.parent


def program(source: str) -> Program:
    """Assemble source that must be free of errors."""
    assembly = assemble(source)
    assert assembly.ok, assembly.findings
    return assembly.program


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    """The scripted Ollama-compatible server, on 127.0.0.1 at a random port."""
    server = FakeOllama()
    await server.start()
    yield server
    await server.stop()
