"""The Debug Adapter Protocol's requests, each answered from a debug session (`debug/`).

The order of a session: `initialize`, then `launch` (the program is read and assembled, and
the `initialized` event invites the configuration), then `setBreakpoints`,
`setExceptionBreakpoints` and `configurationDone`, after which the program starts. Commands
that run the program (`continue`, the steps) are answered at once and run on a worker thread,
so that `pause` can reach them; a `stopped` event says where they ended. Inspection requests
are answered only while the program is stopped.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import cattrs
from cattrs import transform_error

from ..debug.expressions import ExpressionError, evaluate, literal
from ..debug.session import Options, Session, Stop, Wanted
from ..vm.errors import VMError
from ..vm.machine import LLMRequest
from .errors import RequestError
from .exceptions import FILTERS, error_filter
from .launching import assembled, limits
from .llm import Asker
from .messages import (
    CONVERTER,
    Breakpoint,
    Capabilities,
    EvaluateArguments,
    ExceptionDetails,
    ExceptionInfo,
    InitializeArguments,
    LaunchArguments,
    Scope,
    ScopesArguments,
    SetBreakpointsArguments,
    SetExceptionBreakpointsArguments,
    SetVariableArguments,
    Source,
    StackFrame,
    StackTraceArguments,
    Thread,
    ThreadArguments,
    Variable,
    VariablesArguments,
)
from .variables import Encoded, MemoryView, cut, encoded, variable
from .wire import Writer

THREAD = 1
"""A Sovereign program has one thread."""

STACK, MEMORY, OUTPUT, REQUEST = 1, 2, 3, 4
"""The variables references of the scopes."""

OUTPUT_EVERY = 0.1
"""Seconds between two looks at what a running program printed."""

T = TypeVar("T")


class Adapter:
    def __init__(self, writer: Writer, asker: Asker | None = None) -> None:
        self.writer = writer
        self.asker = asker or Asker()
        self.client = InitializeArguments()
        self.session: Session | None = None
        self.launch_args = LaunchArguments()
        self.path = Path()
        self.running: asyncio.Task[None] | None = None
        self.ended = False
        self.sent_lines = 0
        self.told_history = False
        self.memory_view = MemoryView()
        self.done = asyncio.Event()
        """Set when the client disconnected: the adapter's loop ends."""

    # The message loop's entry.

    async def handle(self, message: dict[str, Any]) -> None:
        if message.get("type") != "request" or not isinstance(message.get("command"), str):
            self._respond(message, error="only requests are understood here")
            return
        handler = _HANDLERS.get(message["command"])
        if handler is None:
            self._respond(message, error=f"'{message['command']}' is not supported")
            return
        arguments = message.get("arguments", {})
        try:
            if not isinstance(arguments, dict):
                raise RequestError("the arguments must be an object")
            body = await handler(self, arguments)
        except RequestError as error:
            self._respond(message, error=str(error))
            return
        self._respond(message, body=body)
        after = _AFTER.get(message["command"])
        if after is not None:
            after(self)

    def refuse(self, message: dict[str, Any], reason: str) -> None:
        """Answer a message the loop could not even read as a request."""
        self._respond(message, error=reason)

    def _respond(self, message: dict[str, Any], body: Any = None, error: str | None = None
                 ) -> None:
        request_seq = message.get("seq")
        response: dict[str, Any] = {
            "type": "response", "request_seq": request_seq if isinstance(request_seq, int)
            else 0, "command": str(message.get("command", "")), "success": error is None,
        }
        if error is not None:  # no body.error: its `format` would read braces as variables
            response["message"] = error
        elif isinstance(body, Encoded):
            self.writer.send(response, body.json)
            return
        elif isinstance(body, dict):  # already as the wire has it
            response["body"] = body
        elif body is not None:
            response["body"] = CONVERTER.unstructure(body)
        self.writer.send(response)

    def event(self, name: str, body: dict[str, Any] | None = None) -> None:
        self.writer.send({"type": "event", "event": name, **({"body": body} if body else {})})

    def _arguments(self, raw: dict[str, Any], kind: type[T]) -> T:
        try:
            return CONVERTER.structure(raw, kind)
        except (cattrs.BaseValidationError, ValueError, TypeError) as error:
            raise RequestError("invalid arguments: " + "; ".join(
                transform_error(error) if isinstance(error, cattrs.BaseValidationError)
                else [str(error)])) from None

    def _launched(self) -> Session:
        if self.session is None or self.ended:
            raise RequestError("no program is being debugged")
        return self.session

    def _stopped(self) -> Session:
        """The session, if the program is stopped and can be looked at."""
        session = self._launched()
        if self.running is not None:
            raise RequestError("the program is running: pause it first")
        return session

    # Starting.

    async def initialize(self, raw: dict[str, Any]) -> Capabilities:
        self.client = self._arguments(raw, InitializeArguments)
        return Capabilities(exception_breakpoint_filters=FILTERS)

    async def launch(self, raw: dict[str, Any]) -> None:
        if self.session is not None:
            raise RequestError("a program is already being debugged")
        self.launch_args = self._arguments(raw, LaunchArguments)
        self.path = Path(self.launch_args.program).expanduser().resolve()
        program = assembled(self.path)
        options = Options(limits(self.launch_args), self.launch_args.snapshot_interval,
                          self.launch_args.history_limit)
        self.session = Session(program, options, log=self._console)
        self.asker.configure(self.launch_args.host, self.launch_args.model)

    def _initialized(self) -> None:
        self.event("initialized")

    async def set_breakpoints(self, raw: dict[str, Any]) -> dict[str, Any]:
        arguments = self._arguments(raw, SetBreakpointsArguments)
        session = self._launched()
        if not self._is_program(arguments.source):
            return {"breakpoints": [CONVERTER.unstructure(Breakpoint(
                False, b.line, "not the program being debugged")) for b in
                arguments.breakpoints]}
        placements = session.set_breakpoints([
            Wanted(self._line_in(b.line), b.condition, b.hit_condition, b.log_message)
            for b in arguments.breakpoints])
        placed = [Breakpoint(p.line is not None,
                             b.line if p.line is None else self._line_out(p.line),
                             p.message or None, self._source())
                  for b, p in zip(arguments.breakpoints, placements, strict=True)]
        return {"breakpoints": [CONVERTER.unstructure(b) for b in placed]}

    async def set_exception_breakpoints(self, raw: dict[str, Any]) -> None:
        arguments = self._arguments(raw, SetExceptionBreakpointsArguments)
        session = self._launched()
        chosen: dict[str, str | None] = {name: None for name in arguments.filters}
        chosen.update({o.filter_id: o.condition for o in arguments.filter_options})
        session.stop_on_error = error_filter(chosen)

    async def configuration_done(self, raw: dict[str, Any]) -> None:
        self._stopped()

    def _start(self) -> None:
        session = self.session
        assert session is not None
        launch = self.launch_args
        if launch.no_debug:
            session.breakpoints.clear()
            session.stop_on_error = lambda error: False
        self._run(lambda: session.start(launch.stop_on_entry and not launch.no_debug))

    # Running.

    async def resume(self, raw: dict[str, Any]) -> dict[str, Any]:
        self._command(raw, lambda session: session.resume)
        return {"allThreadsContinued": True}

    async def next(self, raw: dict[str, Any]) -> None:
        self._command(raw, lambda session: session.next)

    async def step_in(self, raw: dict[str, Any]) -> None:
        self._command(raw, lambda session: session.step_in)

    async def step_out(self, raw: dict[str, Any]) -> None:
        self._command(raw, lambda session: session.step_out)

    async def step_back(self, raw: dict[str, Any]) -> None:
        self._command(raw, lambda session: session.step_back, backwards=True)

    async def reverse_continue(self, raw: dict[str, Any]) -> None:
        self._command(raw, lambda session: session.reverse_continue, backwards=True)

    async def pause(self, raw: dict[str, Any]) -> None:
        self._thread(raw)
        if self.session is not None:
            self.session.pause()

    def _command(self, raw: dict[str, Any], which: Callable[[Session], Callable[[], Stop]],
                 backwards: bool = False) -> None:
        self._thread(raw)
        session = self._stopped()
        command = which(session)
        if session.pending is not None and session.remembered is None and not backwards:
            self._run(command, ask=session.pending)
        else:
            self._run(command)

    def _run(self, command: Callable[[], Stop], ask: LLMRequest | None = None) -> None:
        """Run `command` on a worker thread (after asking the LLM, if `ask`), then tell the
        client where it stopped. Meanwhile what the program prints is sent as it comes."""
        async def run() -> None:
            session = self.session
            assert session is not None
            try:
                if ask is not None:
                    self._console(f"asking a model for {ask.kind}: {ask.prompt}")
                    session.answer(await self.asker.ask(ask))
                worker = asyncio.create_task(asyncio.to_thread(command))
                while not worker.done():
                    await asyncio.wait([worker], timeout=OUTPUT_EVERY)
                    self._flush_output()
                stop = worker.result()
            except Exception:  # a bug here must end the session visibly, not hang it
                self.running = None
                self.event("output", {"category": "stderr", "output": "the debugger failed:\n"
                                      + traceback.format_exc()})
                self.ended = True
                self.event("terminated")
                return
            self.running = None
            self._tell(stop)

        self.running = asyncio.create_task(run())

    def _tell(self, stop: Stop) -> None:
        self._flush_output()
        self._tell_history()
        if stop.reason == "ended":
            self._end(stop.error)
            return
        body: dict[str, Any] = {"reason": stop.reason, "threadId": THREAD,
                                "allThreadsStopped": True}
        if stop.description:
            body["description"] = stop.description
        if stop.error is not None:
            body["text"] = stop.error.message
        self.event("stopped", body)

    def _tell_history(self) -> None:
        """Say once that the history reached its bound, and so how far back one can go."""
        assert self.session is not None
        history = self.session.history
        if history.dropped and not self.told_history:
            self.told_history = True
            self._console(f"step back now reaches step {history.earliest:,} at the earliest: "
                          "older states were dropped to keep the history within its bound "
                          f"(historyLimit {history.max_values:,} values)")

    def _end(self, error: VMError | None) -> None:
        if error is not None:
            line = self._line_out(error.span.line)
            self.event("output", {"category": "stderr", "output":
                                  f"{error.code} {error.kind} at line {line}: {error.message}\n"})
        self.ended = True
        self.event("exited", {"exitCode": 0 if error is None else 2})
        self.event("terminated")

    def _flush_output(self) -> None:
        assert self.session is not None
        new = self.session.machine.output[self.sent_lines:]  # the worker may be appending
        if new:
            self.event("output", {"category": "stdout",
                                  "output": "".join(line + "\n" for line in new)})
            self.sent_lines += len(new)

    def _console(self, text: str) -> None:
        """A line in the Debug Console (logpoints write from the worker thread)."""
        self.event("output", {"category": "console", "output": text + "\n"})

    # Looking at a stopped program.

    async def threads(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {"threads": [CONVERTER.unstructure(Thread(THREAD, "main"))]}

    async def stack_trace(self, raw: dict[str, Any]) -> dict[str, Any]:
        arguments = self._arguments(raw, StackTraceArguments)
        self._thread(raw)
        session = self._stopped()
        frames = session.frames()
        end = len(frames) if arguments.levels <= 0 else arguments.start_frame + arguments.levels
        shown = [self._frame(index, frame.name, frame.pc)
                 for index, frame in enumerate(frames)][arguments.start_frame:end]
        return {"stackFrames": [CONVERTER.unstructure(f) for f in shown],
                "totalFrames": len(frames)}

    def _frame(self, index: int, name: str, pc: int) -> StackFrame:
        assert self.session is not None
        instruction = self.session.program.code[pc]
        line = self._line_out(instruction.line)
        return StackFrame(index, name, line, self._column_out(instruction.col),
                          self._source(), line, self._column_out(instruction.end))

    async def scopes(self, raw: dict[str, Any]) -> dict[str, Any]:
        arguments = self._arguments(raw, ScopesArguments)
        session = self._stopped()
        if not 0 <= arguments.frame_id < len(session.frames()):
            raise RequestError(f"there is no frame {arguments.frame_id}")
        machine = session.machine
        scopes = [Scope("Stack", STACK, indexed_variables=len(machine.stack)),
                  Scope("Memory", MEMORY, presentation_hint="locals",
                        named_variables=len(machine.memory)),
                  Scope("Output", OUTPUT, indexed_variables=len(machine.output))]
        if session.pending is not None:
            scopes.insert(0, Scope("LLM request", REQUEST))
        return {"scopes": [CONVERTER.unstructure(s) for s in scopes]}

    async def variables(self, raw: dict[str, Any]) -> Encoded:
        """A scope's variables, `count` of them from `start` (all if no count): the stack and
        the output are indexed, so a client pages through a stack of a million values."""
        arguments = self._arguments(raw, VariablesArguments)
        session = self._stopped()
        start = max(0, arguments.start)
        end = None if arguments.count <= 0 else start + arguments.count
        shown = self._variables(session, arguments.variables_reference, slice(start, end))
        return Encoded('{"variables":[' + ",".join(shown) + "]}")

    def _variables(self, session: Session, reference: int, window: slice) -> list[str]:
        """The variables in `window`, each encoded as JSON."""
        machine = session.machine
        if reference == STACK:
            stack = machine.stack
            return [encoded(variable(f"{index}" + (" (top)" if index == 0 else ""),
                                    stack[-1 - index]))
                    for index in range(*window.indices(len(stack)))]
        if reference == MEMORY:
            return self.memory_view.shown(machine.memory)[window]
        if reference == OUTPUT:
            return [encoded(Variable(str(number + 1), cut(machine.output[number])))
                    for number in range(*window.indices(len(machine.output)))]
        if reference == REQUEST and session.pending is not None:
            request = session.pending
            shown = [variable("kind", request.kind), variable("prompt", request.prompt)]
            if request.code is not None:
                shown.append(variable("code", request.code))
            return [encoded(item) for item in shown][window]
        raise RequestError(f"there are no variables under reference {reference}")

    async def set_variable(self, raw: dict[str, Any]) -> Variable:
        arguments = self._arguments(raw, SetVariableArguments)
        session = self._stopped()
        if arguments.variables_reference != MEMORY:
            raise RequestError("only memory names can be set")
        try:
            value = literal(arguments.value)
        except ExpressionError as error:
            raise RequestError(str(error)) from None
        session.set_memory(arguments.name, value)
        self.sent_lines = len(session.machine.output)
        return variable(arguments.name, value)

    async def evaluate(self, raw: dict[str, Any]) -> dict[str, Any]:
        arguments = self._arguments(raw, EvaluateArguments)
        session = self._stopped()
        try:
            value = evaluate(arguments.expression, session.state)
        except ExpressionError as error:
            raise RequestError(str(error)) from None
        shown = variable("", value)
        return {"result": shown.value, "type": shown.type, "variablesReference": 0}

    async def exception_info(self, raw: dict[str, Any]) -> ExceptionInfo:
        self._thread(raw)
        session = self._stopped()
        error = session.error
        if error is None:
            raise RequestError("the program is not stopped at an error")
        return ExceptionInfo(error.kind, error.message, "always",
                             ExceptionDetails(f"{error.code} {error.kind}: {error.message}",
                                              error.code))

    # Ending.

    async def terminate(self, raw: dict[str, Any]) -> None:
        await self._halt()
        if not self.ended:
            self.ended = True
            self.event("terminated")

    async def disconnect(self, raw: dict[str, Any]) -> None:
        await self._halt()
        self.done.set()

    async def close(self) -> None:
        """Whatever the way the session ends: stop the program, close the LLM clients."""
        await self._halt()
        await self.asker.close()

    async def _halt(self) -> None:
        """Stop a running command, and wait for it to have stopped."""
        running = self.running
        if running is not None and self.session is not None:
            self.session.pause()
            await running

    # Where things are.

    def _thread(self, raw: dict[str, Any]) -> None:
        thread = self._arguments(raw, ThreadArguments).thread_id
        if thread != THREAD:
            raise RequestError(f"there is no thread {thread}: a Sovereign program has one, "
                               f"thread {THREAD}")

    def _is_program(self, source: Source) -> bool:
        return source.path is not None and Path(source.path).expanduser().resolve() == self.path

    def _source(self) -> Source:
        return Source(str(self.path), self.path.name)

    def _line_in(self, line: int) -> int:
        return line - 1 if self.client.lines_start_at1 else line

    def _line_out(self, line: int) -> int:
        return line + 1 if self.client.lines_start_at1 else line

    def _column_out(self, column: int) -> int:
        return column + 1 if self.client.columns_start_at1 else column


Handler = Callable[[Adapter, dict[str, Any]], Awaitable[Any]]

_HANDLERS: dict[str, Handler] = {
    "initialize": Adapter.initialize, "launch": Adapter.launch,
    "setBreakpoints": Adapter.set_breakpoints,
    "setExceptionBreakpoints": Adapter.set_exception_breakpoints,
    "configurationDone": Adapter.configuration_done,
    "continue": Adapter.resume, "next": Adapter.next, "stepIn": Adapter.step_in,
    "stepOut": Adapter.step_out, "stepBack": Adapter.step_back,
    "reverseContinue": Adapter.reverse_continue, "pause": Adapter.pause,
    "threads": Adapter.threads, "stackTrace": Adapter.stack_trace, "scopes": Adapter.scopes,
    "variables": Adapter.variables, "setVariable": Adapter.set_variable,
    "evaluate": Adapter.evaluate, "exceptionInfo": Adapter.exception_info,
    "terminate": Adapter.terminate, "disconnect": Adapter.disconnect,
}
"""Every request the adapter answers."""

_AFTER: dict[str, Callable[[Adapter], None]] = {
    "launch": Adapter._initialized, "configurationDone": Adapter._start,
}
"""What follows a request's response: the `initialized` event once the program is loaded, and
the start of the run once the client has configured it."""
