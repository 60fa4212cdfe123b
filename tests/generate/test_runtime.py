"""`sovereign run` fulfils LLMGEN through the pipeline, against the scripted server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.llm.fake_ollama import FakeOllama

PROGRAM = """\
LLMGEN "print seven"
STORE code
LOAD "llmgen.model"
PRINT
LOAD "llmgen.attempts"
PRINT
LOAD code
PRINT
"""


async def run(path: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign", "run", str(path), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_llmgen_pushes_validated_code_and_notes_its_metadata(
        ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["```sovereign\nPUSH #7\nPRINT\n```"])
    path = tmp_path / "gen.sov"
    path.write_text(PROGRAM)
    status, out, err = await run(path, "--host", ollama.url)
    assert (status, err) == (0, "")
    assert out == "qwen2.5-coder:7b\n1\nPUSH #7\nPRINT\n"


async def test_llmgen_without_valid_code_fails_with_the_reason(
        ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #1\nPUSH #0\nDIV"])
    path = tmp_path / "gen.sov"
    path.write_text(PROGRAM)
    status, _, err = await run(path, "--host", ollama.url)
    assert status == 2
    assert "error[R322]: NoValidCode: no valid code after 3 attempts" in err
    assert "DivisionByZero" in err
