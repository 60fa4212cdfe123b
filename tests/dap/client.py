"""A small Debug Adapter Protocol client for the tests: it starts `sovereign dap` as a real
process and speaks to it over its stdin and stdout, as an editor does. Its reader is its own
(not the adapter's), so a framing mistake in the adapter cannot hide behind a shared one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0

Message = dict[str, Any]


class DapClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.received: list[Message] = []
        self._taken: set[int] = set()
        self._oldest = 0
        """No message before this one is still to be looked at."""
        self._arrived = asyncio.Condition()
        self._seq = 0
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str] | None = None) -> DapClient:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sovereign", "dap", cwd=ROOT, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        return cls(process)

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            header = await stdout.readuntil(b"\r\n\r\n") if not stdout.at_eof() else b""
            if not header:
                return
            length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            message = json.loads(await stdout.readexactly(length))
            async with self._arrived:
                self.received.append(message)
                self._arrived.notify_all()

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)

    def send(self, message: Message) -> int:
        self._seq += 1
        body = json.dumps({"seq": self._seq, **message}).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self._seq

    async def request(self, command: str, **arguments: Any) -> Message:
        """Send a request and wait for its response (successful or not)."""
        seq = self.send({"type": "request", "command": command, "arguments": arguments})
        return await self.wait(lambda m: m.get("type") == "response"
                               and m.get("request_seq") == seq)

    async def ok(self, command: str, **arguments: Any) -> Any:
        """The body of a request that must succeed."""
        response = await self.request(command, **arguments)
        assert response["success"], response
        return response.get("body")

    async def event(self, name: str) -> Any:
        """The body of the next `name` event not yet looked at."""
        event = await self.wait(lambda m: m.get("type") == "event" and m["event"] == name)
        return event.get("body", {})

    async def stopped(self) -> Any:
        """The next `stopped` or `terminated` event: where the program went."""
        event = await self.wait(lambda m: m.get("type") == "event"
                                and m["event"] in ("stopped", "terminated"))
        return {"event": event["event"], **event.get("body", {})}

    async def wait(self, wanted: Callable[[Message], bool]) -> Message:
        async def found() -> Message:
            async with self._arrived:
                while True:
                    for index in range(self._oldest, len(self.received)):
                        if index not in self._taken and wanted(self.received[index]):
                            self._taken.add(index)
                            while self._oldest in self._taken:
                                self._oldest += 1
                            return self.received[index]
                    await self._arrived.wait()

        return await asyncio.wait_for(found(), TIMEOUT)

    def output(self, category: str = "stdout") -> str:
        return "".join(m["body"]["output"] for m in self.received if m.get("event") == "output"
                       and m["body"]["category"] == category)

    async def launch(self, program: Path, breakpoints: Sequence[int | Message] = (),
                     filters: Sequence[str] = ("errors", "limits"), **launch: Any) -> Any:
        """Start debugging `program` as VS Code does, with breakpoints on these lines (a line
        number, or a SourceBreakpoint), and answer where it first stops."""
        await self.ok("initialize", adapterID="sovereign", linesStartAt1=True,
                      columnsStartAt1=True)
        await self.configure(program, breakpoints, filters, **launch)
        return await self.stopped()

    async def configure(self, program: Path, breakpoints: Sequence[int | Message] = (),
                        filters: Sequence[str] = ("errors", "limits"), **launch: Any) -> None:
        """After `initialize`: launch `program` and configure it, after which it runs."""
        await self.ok("launch", program=str(program), **launch)
        await self.event("initialized")
        await self.set_breakpoints(program, breakpoints)
        await self.ok("setExceptionBreakpoints", filters=list(filters))
        await self.ok("configurationDone")

    async def set_breakpoints(self, program: Path,
                              lines: Sequence[int | Message]) -> list[Message]:
        wanted = [{"line": b} if isinstance(b, int) else b for b in lines]
        body = await self.ok("setBreakpoints", source={"path": str(program)},
                             breakpoints=wanted)
        return list(body["breakpoints"])

    async def variables(self, scope: str) -> dict[str, str]:
        """The variables of a scope ("Stack", "Memory", "Output") of the top frame."""
        frames = (await self.ok("stackTrace", threadId=1))["stackFrames"]
        scopes = (await self.ok("scopes", frameId=frames[0]["id"]))["scopes"]
        reference = next(s["variablesReference"] for s in scopes if s["name"] == scope)
        found = (await self.ok("variables", variablesReference=reference))["variables"]
        return {v["name"]: v["value"] for v in found}

    async def line(self) -> int:
        return int((await self.ok("stackTrace", threadId=1))["stackFrames"][0]["line"])

    async def close(self) -> int:
        if self.process.returncode is None:
            with contextlib.suppress(TimeoutError, ConnectionError):
                await asyncio.wait_for(self.request("disconnect"), 5)
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            status = await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            status = await self.process.wait()
        self._reader.cancel()
        return status
