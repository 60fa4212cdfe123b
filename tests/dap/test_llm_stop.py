"""At LLMGEN the debugger stops and shows the request; continuing asks a model through the
same pipeline as `sovereign run` (here the scripted Ollama server), and going back and forward
again uses the answer it was given."""

from __future__ import annotations

from pathlib import Path

from ..llm.fake_ollama import FakeOllama
from .client import DapClient


async def test_llmgen_stops_shows_the_request_and_continues_with_a_validated_answer(
        dap: DapClient, ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", by_prompt={"print 7": [
        "Sure! Here is the code:\nPRINT 7", "```sovereign\nPUSH #7\nPRINT\n```"]})
    program = tmp_path / "gen.sov"
    program.write_text('PUSH #1\nLLMGEN "print 7"\nSTORE code\nHALT\n')
    stop = await dap.launch(program, breakpoints=[2], host=ollama.url,
                            model="qwen2.5-coder:7b")
    assert stop["reason"] == "breakpoint"
    await dap.ok("next", threadId=1)
    stop = await dap.stopped()
    assert stop["reason"] == "llm" and stop["description"] == "LLMGEN asks: print 7"
    assert await dap.variables("LLM request") == {"kind": "'LLMGEN'", "prompt": "'print 7'"}
    assert not ollama.requests
    await dap.ok("next", threadId=1)
    assert (await dap.stopped())["reason"] == "step"
    assert await dap.line() == 3
    assert (await dap.variables("Stack"))["0 (top)"] == repr("PUSH #7\nPRINT")
    asked = len(ollama.requests)
    assert asked >= 2  # the prose answer was refused, the second one ran and was taken
    assert (await dap.variables("Memory"))["llmgen.model"] == "'qwen2.5-coder:7b'"
    await dap.ok("stepBack", threadId=1)
    assert (await dap.stopped())["reason"] == "step"
    await dap.ok("next", threadId=1)
    assert (await dap.stopped())["reason"] == "llm"
    await dap.ok("next", threadId=1)
    assert (await dap.stopped())["reason"] == "step"
    assert (await dap.variables("Stack"))["0 (top)"] == repr("PUSH #7\nPRINT")
    assert len(ollama.requests) == asked
    assert "asking a model for LLMGEN: print 7" in dap.output("console")


async def test_evolve_stops_with_the_code_to_repair_and_goes_on_with_the_repair(
        dap: DapClient, ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.script("qwen2.5-coder:7b", chunks=["PUSH #10\nPUSH #2\nDIV\nPRINT"])
    program = tmp_path / "evolve.sov"
    program.write_text('PUSH "PUSH #10\\nPUSH #0\\nDIV\\nPRINT"\nEVOLVE "Division by zero"\n'
                       "PRINT\n")
    stop = await dap.launch(program, host=ollama.url, model="qwen2.5-coder:7b")
    assert stop["reason"] == "llm" and stop["description"] == "EVOLVE asks: Division by zero"
    assert await dap.variables("LLM request") == {
        "kind": "'EVOLVE'", "prompt": "'Division by zero'",
        "code": repr("PUSH #10\nPUSH #0\nDIV\nPRINT")}
    await dap.ok("continue", threadId=1)
    assert (await dap.stopped())["event"] == "terminated"
    assert (await dap.event("exited"))["exitCode"] == 0
    assert "DIV" in dap.output() and "PUSH #0" not in dap.output()
