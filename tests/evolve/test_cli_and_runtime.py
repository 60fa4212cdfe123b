"""`sovereign evolve` and the EVOLVE opcode in `sovereign run`, against the scripted server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.llm.fake_ollama import FakeOllama

BUGGY = "    PUSH #10\n    STORE d\n    CALL ratio\n    PRINT\n    HALT\nratio:\n" \
        "    PUSH #100\n    PUSH #0\n    DIV\n    RET\n"
GOOD = "ratio:\n    PUSH #100\n    LOAD d\n    DIV\n    RET"


async def sovereign(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_evolve_shows_a_diff_writes_it_and_remembers(ollama: FakeOllama,
                                                           tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    path = tmp_path / "buggy.sov"
    path.write_text(BUGGY)
    status, out, _ = await sovereign(tmp_path, "evolve", str(path), "--host", ollama.url)
    assert status == 0
    assert "-    PUSH #0\n+    LOAD d" in out
    assert "division by zero on line 9: repaired by qwen2.5-coder:7b, confidence" in out
    assert path.read_text() == BUGGY
    status, out, _ = await sovereign(tmp_path, "evolve", str(path), "--write", "--host",
                                     ollama.url)
    assert status == 0 and "(remembered)" in out and "written to" in out
    assert "LOAD d" in path.read_text()
    status, out, _ = await sovereign(tmp_path, "evolve", "--history")
    assert "division by zero: seen 2x" in out


async def test_evolve_without_a_valid_repair_says_why(ollama: FakeOllama,
                                                      tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["ratio:\n    RET"])
    path = tmp_path / "buggy.sov"
    path.write_text(BUGGY)
    status, out, _ = await sovereign(tmp_path, "evolve", str(path), "--host", ollama.url)
    assert status == 1
    assert "no repair for division by zero" in out and "adds an analysis error" in out


async def test_the_evolve_opcode_repairs_code_at_run_time(ollama: FakeOllama,
                                                          tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #10\nPUSH #2\nDIV\nPRINT"])
    program = tmp_path / "evolve.sov"
    program.write_text('PUSH "PUSH #10\\nPUSH #0\\nDIV\\nPRINT"\nEVOLVE "Division by zero"\n'
                       'PRINT\nLOAD "evolve.model"\nPRINT\n')
    status, out, err = await sovereign(tmp_path, "run", str(program), "--host", ollama.url)
    assert (status, err) == (0, "")
    assert out == "PUSH #10\nPUSH #2\nDIV\nPRINT\nqwen2.5-coder:7b\n"


CLOSED = "http://127.0.0.1:9"
"""A host where nothing listens: no model can be asked."""
BUGS = Path(__file__).resolve().parents[2] / "examples" / "bugs"


async def test_evolve_repairs_without_any_model_by_searching_small_edits(
        tmp_path: Path) -> None:
    path = BUGS / "division_by_zero.sov"
    status, out, _ = await sovereign(tmp_path, "evolve", str(path), "--host", CLOSED)
    assert status == 0, out
    assert "+    JNZ divisor_ok" in out
    assert "repaired by the search, no model (guard the DIV on line 13" in out
    assert "the sandbox ran it: prints 5" in out
    status, out, _ = await sovereign(tmp_path, "evolve", str(path), "--host", CLOSED,
                                     "--no-search")
    assert status == 1 and "search" not in out, out


async def test_search_only_asks_no_model(ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"])
    path = tmp_path / "buggy.sov"
    path.write_text(BUGGY)
    status, out, _ = await sovereign(tmp_path, "evolve", str(path), "--host", ollama.url,
                                     "--search-only")
    assert status == 1 and "the search found no repair" in out, out
    assert not ollama.requests


async def test_the_evolve_opcode_searches_when_no_model_can_be_asked(tmp_path: Path) -> None:
    program = tmp_path / "evolve.sov"
    program.write_text('PUSH "PUSH #3\\nSTORE count\\nLOAD cuont\\nPRINT"\n'
                       'EVOLVE "undefined name"\nPRINT\nLOAD "evolve.model"\nPRINT\n')
    status, out, err = await sovereign(tmp_path, "run", str(program), "--host", CLOSED)
    assert (status, err) == (0, "")
    assert out == "PUSH #3\nSTORE count\nLOAD count\nPRINT\nsearch\n"


async def test_the_only_model_installed_repairs_with_a_note(ollama: FakeOllama,
                                                           tmp_path: Path) -> None:
    ollama.script("smollm2:135m", capabilities=["completion"],
                  chunks=[f"```sovereign\n{GOOD}\n```"])
    path = tmp_path / "buggy.sov"
    path.write_text(BUGGY)
    status, out, err = await sovereign(tmp_path, "evolve", str(path), "--host", ollama.url,
                                       "--no-search")
    assert status == 0, out + err
    assert "repaired by smollm2:135m" in out
    assert "note: smollm2:135m is not known for code; asking it because it is the only " \
           "model installed" in err


async def test_the_chosen_model_reaches_llmgen_and_evolve_in_run(ollama: FakeOllama,
                                                                  tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["```sovereign\nPUSH #1\nPRINT\n```"])
    ollama.script("mine:1b", capabilities=["completion"],
                  chunks=["```sovereign\nPUSH #10\nPUSH #2\nDIV\nPRINT\n```"])
    program = tmp_path / "evolve.sov"
    program.write_text('PUSH "PUSH #10\\nPUSH #0\\nDIV\\nPRINT"\nEVOLVE "Division by zero"\n'
                       'LOAD "evolve.model"\nPRINT\n')
    status, out, err = await sovereign(tmp_path, "run", str(program), "--host", ollama.url,
                                       "--model", "mine:1b")
    assert (status, out) == (0, "mine:1b\n"), err
    assert "asking it because you chose it" in err
