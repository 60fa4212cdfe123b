"""The pattern memory: normalised signatures, two writers at once, a corrupt file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sovereign.evolve.memory import PatternMemory, normalise


def test_names_are_abstracted_and_restored() -> None:
    block = 'loop:\n    LOAD "my count"\n    PUSH #1\n    SUB\n    STORE "my count"\n    JNZ loop'
    pattern = normalise(block)
    assert pattern.key == "L1:\nLOAD N1\nPUSH #1\nSUB\nSTORE N1\nJNZ L1"
    assert pattern.shape == "L1:\nLOAD N1\nPUSH #\nSUB\nSTORE N1\nJNZ L1"
    fix = 'loop:\n    LOAD "my count"\n    JZ out\n    JMP loop\nout:'
    assert pattern.restore(pattern.abstract(fix)) == fix
    assert normalise(block.replace("loop", "again").replace("my count", "n")).key == pattern.key


def test_two_windows_write_the_same_memory(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    first, second = PatternMemory(path), PatternMemory(path)
    pattern = normalise("PUSH #1\nPUSH #0\nDIV")
    category = "division by zero"
    ids = {first.remember(pattern, category), second.remember(pattern, category)}
    assert len(ids) == 1
    (pattern_id,) = ids
    first.record(pattern_id, pattern.key, "PUSH #1", "a", True)
    second.record(pattern_id, pattern.key, "PUSH #2", "b", False)
    assert [f.model for f in second.fixes(pattern_id)] == ["a"]
    assert first.history()[0][0].seen == 2
    assert first.success_rate(pattern_id) == 0.5


def test_a_corrupt_memory_is_moved_aside_not_lost(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "memory.sqlite3"
    path.write_bytes(b"not a database " * 100)
    with caplog.at_level(logging.WARNING):
        memory = PatternMemory(path)
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"not a database")
    assert "moved it to" in caplog.text
    assert memory.history() == []


def test_similar_patterns_lend_their_fixes(tmp_path: Path) -> None:
    memory = PatternMemory(tmp_path / "memory.sqlite3")
    seen = normalise("    PUSH #100\n    LOAD count\n    DIV\n    PRINT")
    pattern_id = memory.remember(seen, "division by zero")
    memory.record(pattern_id, seen.key, "    LOAD N1\n    JZ skip", "m", True)
    other = normalise("    PUSH #7\n    LOAD total\n    DIV\n    PRINT\n    NOP")
    assert [f.after for f in memory.similar(other, "division by zero")] == [
        "    LOAD N1\n    JZ skip"]
    assert memory.similar(other, "type mismatch") == []
