"""Structured output through the command line, against the scripted server: answers held to
the program's shape where the server can, plain text once where it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sovereign.lang.program_schema import JSON_NOTE, gbnf, json_schema
from tests.evolve.test_cli_and_runtime import BUGGY, GOOD, sovereign

from .fake_ollama import FakeOllama

GOOD_AS_JSON = json.dumps({"program": [
    {"label": "ratio", "op": "PUSH", "arg": 100}, {"op": "LOAD", "arg": "d"}, {"op": "DIV"},
    {"op": "RET"}]})
SMALL_MODEL_TEXT = "ratio:\n    PUSH 100\n    LOAD d\n    DIV\n    RET"
"""What a small model writes unconstrained: `PUSH 100` does not assemble."""


def chats(ollama: FakeOllama) -> list[dict[str, Any]]:
    return [body for path, body in ollama.requests
            if path in ("/api/chat", "/v1/chat/completions")]


async def evolve(ollama: FakeOllama, tmp_path: Path, *flags: str) -> tuple[int, str, str]:
    path = tmp_path / "buggy.sov"
    path.write_text(BUGGY)
    return await sovereign(tmp_path, "evolve", str(path), "--no-search", *flags)


async def test_a_json_answer_held_to_the_schema_is_the_repair(ollama: FakeOllama,
                                                              tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[SMALL_MODEL_TEXT], held=[GOOD_AS_JSON])
    status, out, err = await evolve(ollama, tmp_path, "--host", ollama.url)
    assert status == 0, out + err
    assert "-    PUSH #0\n+    LOAD d" in out
    first = chats(ollama)[0]
    assert first["format"] == json_schema()
    assert first["messages"][0]["role"] == "system"
    assert first["messages"][0]["content"].endswith(JSON_NOTE)


async def test_a_server_that_refuses_the_schema_is_asked_in_text_once(
        ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"], refuses_shape=True)
    status, out, err = await evolve(ollama, tmp_path, "--host", ollama.url)
    assert status == 0, out + err
    asked = chats(ollama)
    assert len(asked) == 4  # one refused, then three rounds in plain text
    assert "format" in asked[0] and not any("format" in body for body in asked[1:])
    assert JSON_NOTE not in json.dumps(asked[1:])
    assert "does not take structured output" in err and "asking in plain text" in err


async def test_schema_required_and_refused_is_an_error_that_says_what_to_do(
        ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"], refuses_shape=True)
    status, out, err = await evolve(ollama, tmp_path, "--host", ollama.url,
                                    "--structured", "schema")
    assert status != 0
    assert "does not take structured output" in out + err and "--structured auto" in out + err
    assert len(chats(ollama)) == 1


async def test_text_asks_for_no_shape(ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[f"```sovereign\n{GOOD}\n```"], held=["{"])
    status, out, err = await evolve(ollama, tmp_path, "--host", ollama.url,
                                    "--structured", "text")
    assert status == 0, out + err
    assert not any("format" in body for body in chats(ollama))


async def test_openai_compatible_servers_get_the_schema_as_response_format(
        ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=[SMALL_MODEL_TEXT], held=[GOOD_AS_JSON])
    status, out, err = await evolve(ollama, tmp_path, "--openai", f"{ollama.url}/v1")
    assert status == 0, out + err
    assert chats(ollama)[0]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "answer", "schema": json_schema()}}


async def test_llama_cpp_servers_get_the_grammar(ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.owned_by = "llamacpp"
    ollama.script("smollm2-135m", chunks=[SMALL_MODEL_TEXT], held=[GOOD + "\n"])
    status, out, err = await evolve(ollama, tmp_path, "--openai", ollama.url)
    assert status == 0, out + err
    first = chats(ollama)[0]
    assert first["grammar"] == gbnf() and "response_format" not in first
    assert JSON_NOTE not in json.dumps(first["messages"])


async def test_llmgen_in_run_is_held_to_the_schema(ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", capabilities=["completion"], chunks=["PRINT 7"],
                  held=[json.dumps({"program": [{"op": "PUSH", "arg": 7}, {"op": "PRINT"}]})])
    program = tmp_path / "gen.sov"
    program.write_text('LLMGEN "print 7"\nPRINT\n')
    status, out, err = await sovereign(tmp_path, "run", str(program), "--host", ollama.url)
    assert (status, out) == (0, "PUSH #7\nPRINT\n"), out + err
    assert chats(ollama)[0]["format"] == json_schema()
