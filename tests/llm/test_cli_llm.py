"""`sovereign models` and `sovereign doctor` as a user runs them, against the scripted server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from .fake_ollama import FakeOllama
from .test_models import dead_url


async def sovereign(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovereign", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_models_lists_what_the_hosts_have(ollama: FakeOllama) -> None:
    ollama.script("qwen2.5-coder:7b", context_length=32768)
    ollama.script("llama3.2:3b", capabilities=["completion", "tools"], context_length=131072)
    status, output = await sovereign("models", "--host", ollama.url)
    assert status == 0
    assert f"{ollama.url}: version 0.9.0" in output
    line = next(x for x in output.splitlines() if "qwen2.5-coder:7b" in x)
    assert "7B" in line and "32,768 tokens" in line and "fill-in-the-middle" in line
    assert "131,072 tokens" in output


async def test_sizes_in_millions_are_shown(ollama: FakeOllama) -> None:
    ollama.script("smollm2:135m", parameter_size="134.52M")
    status, output = await sovereign("models", "--host", ollama.url)
    assert status == 0
    assert " 135M " in next(x for x in output.splitlines() if "smollm2:135m" in x)


async def test_doctor_when_all_is_well(ollama: FakeOllama) -> None:
    ollama.script("qwen2.5-coder:7b")
    ollama.script("qwen2.5-coder:1.5b")
    status, output = await sovereign("doctor", "--host", ollama.url)
    assert status == 0, output
    for task in ("LLMGEN", "EVOLVE", "fill-in-the-middle"):
        assert f"ok: {task}: qwen2.5-coder:7b (known for" in output


async def test_doctor_says_per_task_which_model_and_why(ollama: FakeOllama) -> None:
    """The only model installed is used for every task, with a note that it is not known
    to write code; what it cannot do at all (fill in the middle) is a note, not a failure."""
    ollama.script("smollm2:135m", capabilities=["completion"], parameter_size="134.52M")
    status, output = await sovereign("doctor", "--host", ollama.url)
    assert status == 0, output
    assert "ok: EVOLVE: smollm2:135m (smollm2:135m is not known for code; asking it because " \
           "it is the only model installed)" in output
    assert "note: fill-in-the-middle: " in output
    status, output = await sovereign("doctor", "--host", ollama.url, "--model", "absent:1b")
    assert status == 1 and "the chosen model absent:1b is not installed" in output


async def test_doctor_fails_when_no_model_would_be_asked(ollama: FakeOllama) -> None:
    ollama.script("gemma:2b", capabilities=["completion"])
    ollama.script("mistral:7b", capabilities=["completion"])
    status, output = await sovereign("doctor", "--host", ollama.url)
    assert status == 1
    assert "problem: EVOLVE: none of the installed models (gemma:2b, mistral:7b) is known for " \
           "code: choose one (`--model`" in output
    status, output = await sovereign("doctor", "--host", ollama.url, "--model", "gemma:2b")
    assert status == 0 and "ok: LLMGEN: gemma:2b (gemma:2b is not known for code; asking it " \
                           "because you chose it)" in output


async def test_doctor_says_what_to_do(ollama: FakeOllama) -> None:
    status, output = await sovereign("doctor", "--host", ollama.url)
    assert status == 1
    assert "run `ollama pull qwen2.5-coder:7b`" in output
    status, output = await sovereign("doctor", env={"OLLAMA_HOST": dead_url(), "PATH": ""})
    assert status == 1
    assert "start it with `ollama serve`" in output and "Traceback" not in output


async def test_openai_compatible_hosts_are_listed(ollama: FakeOllama) -> None:
    ollama.script("served-model")
    for base in (ollama.url, f"{ollama.url}/v1", f"{ollama.url}/v1/"):
        status, output = await sovereign("models", "--openai", base)
        assert status == 0 and "served-model" in output, output
    assert all(path == "/v1/models" for path, _ in ollama.requests if "models" in path)


async def test_a_wrong_base_url_says_which_url_was_asked(ollama: FakeOllama) -> None:
    status, output = await sovereign("models", "--openai", f"{ollama.url}/api")
    assert status == 1
    assert "answered 404: " in output and f"(asked GET {ollama.url}/api/v1/models)" in output


async def test_models_shows_what_each_model_was_measured_to_do(ollama: FakeOllama,
                                                               tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    ollama.script("qwen2.5-coder:7b", capabilities=["completion"],
                  by_prompt={"print 7": ["PRINT 7", "```sovereign\nPUSH #7\nPRINT\n```"]})
    ollama.script("llama3.2:3b")
    program = tmp_path / "gen.sov"
    program.write_text('LLMGEN "print 7"\nPOP\n')
    for _ in range(2):  # each run: one answer refused, then one valid
        status, output = await sovereign("run", str(program), "--host", ollama.url,
                                         "--structured", "text", env=env)
        assert status == 0, output
    status, output = await sovereign("models", "--host", ollama.url, env=env)
    assert status == 0
    lines = output.splitlines()
    measured = lines[next(i for i, x in enumerate(lines) if "qwen2.5-coder:7b" in x) + 1]
    assert "generate 2 of 4 valid" in measured and "s (median)" in measured
    assert lines[next(i for i, x in enumerate(lines) if "llama3.2:3b" in x) + 1] == \
        "    not measured yet"
