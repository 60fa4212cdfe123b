"""Shared helpers for the core tests."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest

from sovereign.lang.assembler import Program, assemble

from .llm.fake_ollama import FakeOllama

ROOT = Path(__file__).resolve().parent.parent


def benchmark(name: str) -> ModuleType:
    """A script of benchmarks/ as a module, for the tests that run its harness in CI."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


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
