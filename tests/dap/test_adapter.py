"""The debug adapter through its real entry point, `sovereign dap` over stdio."""

from __future__ import annotations

from pathlib import Path

from .client import DapClient


async def test_a_breakpoint_stops_on_its_line_with_the_stack_memory_and_output(
        dap: DapClient, counting: Path) -> None:
    stop = await dap.launch(counting, breakpoints=[15])
    assert stop["reason"] == "breakpoint"
    frames = (await dap.ok("stackTrace", threadId=1))["stackFrames"]
    assert [(f["name"], f["line"]) for f in frames] == [("show", 15), ("main", 8)]
    assert frames[0]["source"]["path"] == str(counting.resolve())
    assert await dap.variables("Stack") == {"0 (top)": "1", "1": "1"}
    assert await dap.variables("Memory") == {"i": "1"}
    assert await dap.variables("Output") == {}
    await dap.ok("continue", threadId=1)
    assert (await dap.stopped())["reason"] == "breakpoint"
    assert await dap.variables("Output") == {"1": "1"}
    assert dap.output() == "1\n"


async def test_a_breakpoint_on_a_line_without_an_instruction_moves_to_the_next(
        dap: DapClient, counting: Path) -> None:
    await dap.ok("initialize", linesStartAt1=True)
    await dap.ok("launch", program=str(counting))
    await dap.event("initialized")
    placed = await dap.set_breakpoints(counting, [13, 40, {"line": 4, "condition": "i =="}])
    assert placed[0]["verified"] and placed[0]["line"] == 14
    assert not placed[1]["verified"] and "no instruction" in placed[1]["message"]
    assert not placed[2]["verified"] and "condition" in placed[2]["message"]


async def test_step_in_over_and_out(dap: DapClient, counting: Path) -> None:
    await dap.launch(counting, breakpoints=[8])
    await dap.ok("stepIn", threadId=1)
    await dap.stopped()
    assert await dap.line() == 14
    await dap.ok("stepOut", threadId=1)
    await dap.stopped()
    assert await dap.line() == 9
    await dap.ok("continue", threadId=1)
    await dap.stopped()
    assert await dap.line() == 8
    await dap.ok("next", threadId=1)
    assert (await dap.stopped())["reason"] == "step"
    assert await dap.line() == 9
    assert dap.output() == "1\n2\n"


async def test_step_back_returns_exactly_the_earlier_state(dap: DapClient,
                                                          counting: Path) -> None:
    await dap.launch(counting, breakpoints=[9], snapshotInterval=3)
    await dap.ok("continue", threadId=1)
    await dap.stopped()
    before = (await dap.variables("Stack"), await dap.variables("Memory"),
              await dap.variables("Output"))
    await dap.ok("next", threadId=1)
    await dap.stopped()
    await dap.ok("next", threadId=1)
    await dap.stopped()
    for _ in range(2):
        await dap.ok("stepBack", threadId=1)
        assert (await dap.stopped())["reason"] == "step"
    assert await dap.line() == 9
    assert (await dap.variables("Stack"), await dap.variables("Memory"),
            await dap.variables("Output")) == before
    await dap.ok("reverseContinue", threadId=1)
    assert (await dap.stopped())["reason"] == "breakpoint"
    assert await dap.variables("Output") == {"1": "1"}


async def test_conditional_and_hit_count_breakpoints_and_logpoints(dap: DapClient,
                                                                   counting: Path) -> None:
    stop = await dap.launch(counting, breakpoints=[
        {"line": 9, "condition": "i == 2"},
        {"line": 15, "logMessage": "printing {top}, i is {i}"},
        {"line": 3, "hitCondition": "3"},
    ])
    assert stop["reason"] == "breakpoint" and await dap.line() == 9
    assert await dap.variables("Memory") == {"i": "2"}
    await dap.ok("continue", threadId=1)
    await dap.stopped()
    assert await dap.line() == 3 and await dap.variables("Memory") == {"i": "2"}
    assert dap.output("console") == "printing 1, i is 1\nprinting 2, i is 2\n"


async def test_a_runtime_error_stops_at_its_instruction_with_its_kind_and_code(
        dap: DapClient, tmp_path: Path) -> None:
    program = tmp_path / "div.sov"
    program.write_text("PUSH #7\nSTORE n\nLOAD n\nPUSH #0\nDIV\nHALT\n")
    stop = await dap.launch(program)
    assert stop["reason"] == "exception" and "R301 DivisionByZero" in stop["description"]
    frames = (await dap.ok("stackTrace", threadId=1))["stackFrames"]
    assert (frames[0]["line"], frames[0]["column"], frames[0]["endColumn"]) == (5, 1, 4)
    info = await dap.ok("exceptionInfo", threadId=1)
    assert info["exceptionId"] == "DivisionByZero" and info["details"]["typeName"] == "R301"
    assert info["description"] == "7 / 0"
    await dap.ok("stepBack", threadId=1)
    await dap.stopped()
    assert await dap.variables("Stack") == {"0 (top)": "7"}
    await dap.ok("continue", threadId=1)
    assert (await dap.stopped())["reason"] == "exception"
    await dap.ok("continue", threadId=1)
    assert (await dap.stopped())["event"] == "terminated"
    assert "R301 DivisionByZero at line 5: 7 / 0" in dap.output("stderr")
    assert (await dap.event("exited"))["exitCode"] == 2


async def test_exception_filters_choose_the_kinds_that_stop(dap: DapClient,
                                                            tmp_path: Path) -> None:
    program = tmp_path / "div.sov"
    program.write_text("PUSH #1\nPUSH #0\nDIV\n")
    await dap.ok("initialize")
    await dap.ok("launch", program=str(program))
    await dap.event("initialized")
    refused = await dap.request("setExceptionBreakpoints", filters=[], filterOptions=[
        {"filterId": "errors", "condition": "NoSuchKind"}])
    assert not refused["success"] and "NoSuchKind" in refused["message"]
    await dap.ok("setExceptionBreakpoints", filters=[],
                 filterOptions=[{"filterId": "errors", "condition": "R313, TypeMismatch"}])
    await dap.ok("configurationDone")
    assert (await dap.stopped())["event"] == "terminated"
    assert (await dap.event("exited"))["exitCode"] == 2


async def test_set_variable_changes_the_run_and_evaluate_reads_memory(
        dap: DapClient, counting: Path) -> None:
    await dap.launch(counting, breakpoints=[9])
    scopes = (await dap.ok("scopes", frameId=0))["scopes"]
    memory = next(s["variablesReference"] for s in scopes if s["name"] == "Memory")
    set_to = await dap.ok("setVariable", variablesReference=memory, name="i", value="2")
    assert set_to["value"] == "2"
    assert (await dap.ok("evaluate", expression="i * 10", context="hover"))["result"] == "20"
    assert (await dap.ok("evaluate", expression="top", context="watch"))["result"] == "1"
    wrong = await dap.request("setVariable", variablesReference=memory, name="i", value="x y")
    assert not wrong["success"] and "is not a value" in wrong["message"]
    missing = await dap.request("evaluate", expression="nothing", context="hover")
    assert not missing["success"] and "nothing has been stored" in missing["message"]
    await dap.ok("setBreakpoints", source={"path": str(counting)}, breakpoints=[])
    await dap.ok("continue", threadId=1)
    assert (await dap.stopped())["event"] == "terminated"
    assert dap.output() == "1\n3\n"


async def test_pause_stops_an_endless_loop(dap: DapClient, tmp_path: Path) -> None:
    program = tmp_path / "forever.sov"
    program.write_text("again: PUSH #1\nPOP\nJMP again\n")
    await dap.ok("initialize")
    await dap.configure(program)
    busy = await dap.request("stackTrace", threadId=1)
    assert not busy["success"] and "running" in busy["message"]
    await dap.ok("pause", threadId=1)
    assert (await dap.stopped())["reason"] == "pause"
    assert 1 <= await dap.line() <= 3


async def test_what_a_running_program_prints_arrives_while_it_runs(dap: DapClient,
                                                                   tmp_path: Path) -> None:
    program = tmp_path / "chatty.sov"
    program.write_text('again: PUSH "tick"\nPRINT\nJMP again\n')
    await dap.ok("initialize")
    await dap.configure(program)
    printed = await dap.event("output")
    assert printed["category"] == "stdout" and printed["output"].startswith("tick\n")
    await dap.ok("pause", threadId=1)
    assert (await dap.stopped())["reason"] == "pause"


async def test_the_client_is_told_when_history_reaches_its_bound(dap: DapClient,
                                                                 tmp_path: Path) -> None:
    program = tmp_path / "long.sov"
    program.write_text("PUSH #0\nSTORE i\nloop: LOAD i\nPUSH #1\nADD\nDUP\nSTORE i\n"
                       "PUSH #500\nLT\nJNZ loop\nHALT\n")
    stop = await dap.launch(program, breakpoints=[11], snapshotInterval=10, historyLimit=50)
    assert stop["reason"] == "breakpoint"
    told = dap.output("console")
    assert "step back now reaches step" in told and "historyLimit 50 values" in told
    await dap.ok("reverseContinue", threadId=1)  # no breakpoint before: as far as it goes
    stop = await dap.stopped()
    assert stop["reason"] == "entry" and "the history starts at step" in stop["description"]
    assert await dap.line() != 1


async def test_stop_on_entry_and_the_end_of_the_program(dap: DapClient,
                                                        counting: Path) -> None:
    stop = await dap.launch(counting, stopOnEntry=True)
    assert stop["reason"] == "entry" and await dap.line() == 1
    await dap.ok("continue", threadId=1)
    assert (await dap.stopped())["event"] == "terminated"
    assert (await dap.event("exited"))["exitCode"] == 0
    assert dap.output() == "1\n2\n3\n"


async def test_bad_requests_get_error_responses_and_the_adapter_lives_on(
        dap: DapClient, counting: Path, tmp_path: Path) -> None:
    await dap.ok("initialize")
    early = await dap.request("stackTrace", threadId=1)
    assert not early["success"] and "no program" in early["message"]
    missing = await dap.request("launch", program=str(tmp_path / "missing.sov"))
    assert not missing["success"] and "cannot read" in missing["message"]
    broken = tmp_path / "broken.sov"
    broken.write_text("PUSH\n")
    unassembled = await dap.request("launch", program=str(broken))
    assert not unassembled["success"] and "does not assemble: line 1" in unassembled["message"]
    dap.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    bad_json = await dap.wait(lambda m: m.get("type") == "response" and not m["success"]
                              and "not JSON" in m.get("message", ""))
    assert bad_json["request_seq"] == 0
    unknown = await dap.request("flyToTheMoon")
    assert not unknown["success"] and "not supported" in unknown["message"]
    await dap.configure(counting, breakpoints=[15])
    assert (await dap.stopped())["reason"] == "breakpoint"
    wrong_thread = await dap.request("continue", threadId=7)
    assert not wrong_thread["success"] and "no thread 7" in wrong_thread["message"]
    wrong_type = await dap.request("stackTrace", threadId="one")
    assert not wrong_type["success"] and "invalid arguments" in wrong_type["message"]
    no_frame = await dap.request("scopes", frameId=9)
    assert not no_frame["success"] and "no frame 9" in no_frame["message"]
    no_scope = await dap.request("variables", variablesReference=99)
    assert not no_scope["success"]
    assert await dap.line() == 15


async def test_a_broken_header_ends_the_adapter_with_a_message(dap: DapClient) -> None:
    await dap.ok("initialize")
    dap.send_raw(b"Content-Lenght: 12\r\n\r\n")
    assert await dap.process.wait() == 1
    assert dap.process.stderr is not None
    assert b"framing is broken" in await dap.process.stderr.read()
