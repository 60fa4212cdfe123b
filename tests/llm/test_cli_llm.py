"""`sovereign models` and `sovereign doctor` as a user runs them, against the scripted server."""

from __future__ import annotations

import asyncio
import sys

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


async def test_doctor_when_all_is_well(ollama: FakeOllama) -> None:
    ollama.script("qwen2.5-coder:7b")
    status, output = await sovereign("doctor", "--host", ollama.url)
    assert status == 0
    assert "ok: code models: qwen2.5-coder:7b" in output


async def test_doctor_says_what_to_do(ollama: FakeOllama) -> None:
    status, output = await sovereign("doctor", "--host", ollama.url)
    assert status == 1
    assert "run `ollama pull qwen2.5-coder:7b`" in output
    status, output = await sovereign("doctor", env={"OLLAMA_HOST": dead_url(), "PATH": ""})
    assert status == 1
    assert "start it with `ollama serve`" in output and "Traceback" not in output


async def test_openai_compatible_hosts_are_listed(ollama: FakeOllama) -> None:
    ollama.script("served-model")
    status, output = await sovereign("models", "--openai", ollama.url)
    assert status == 0
    assert "served-model" in output
