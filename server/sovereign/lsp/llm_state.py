"""The server's LLMGEN state: the generation pipeline (built from the settings when first
needed), the generation running per document, and what the user was last told about the LLM.
The handlers that use it live in generation.py."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types as T

from ..generate.prompt import Place
from ..generate.triggers import request_on
from ..vm.machine import LLMRequest
from .settings import llm_config

if TYPE_CHECKING:  # the pipeline and the HTTP stack load with the first generation
    from ..generate.pipeline import Generation, Outcome
    from ..host.services import Services
    from .documents import Snapshot
    from .server import SovereignServer

T_ = TypeVar("T_")
STATUS = "sovereign/status"
PROGRESS_AFTER = 0.3
"""Seconds a generation may take before it shows progress."""


@dataclass
class _Job:
    key: tuple[str, int, str]
    task: asyncio.Task[Outcome]


class Generations:
    """The server's generation state: the pipeline (built from the settings when first
    needed), the job running per document, and the last status the user was told."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._jobs: dict[str, _Job] = {}
        self._answers: dict[str, str] = {}
        """Generated code by the prompt of an LLMGEN line: the editor's sandbox runs past
        such a line with it."""
        self._status: tuple[str, str] | None = None
        self._explained: str | None = None
        """The reason last shown to the user; not shown again until code comes."""

    def services(self, ls: SovereignServer) -> Services:
        """The LLM services, built by the composition root from the current settings when
        first needed (the HTTP stack loads with the first generation, not at start-up)."""
        if self._services is None:
            from ..host.services import build

            self._services = build(llm_config(ls.settings))
        return self._services

    async def reset(self) -> None:
        """Forget the services (the settings changed); their kept generations go with them."""
        for job in self._jobs.values():
            job.task.cancel()
        self._jobs.clear()
        if self._services is not None:
            await self._services.close()
        self._answers.clear()
        self._services = None

    def answer(self, request: LLMRequest) -> str | None:
        """A kept answer for a runtime LLM request: the editor's sandbox runs past LLMGEN
        lines with it. Never starts a generation."""
        return self._answers.get(request.prompt) if request.kind == "LLMGEN" else None

    def ready(self, ls: SovereignServer, snapshot: Snapshot, line: int) -> Generation | None:
        request = request_on(snapshot.assembly.texts[line])
        if request is None or self._services is None:
            return None
        return self._services.generator.cached(request, Place(snapshot.lf_text, line))

    def refused(self, snapshot: Snapshot, line: int) -> bool:
        """Whether a model already answered the request on `line` and every answer was
        refused: it is not asked again until the line or the settings change. (A request
        that found no model to ask is asked again: the LLM may be back.)"""
        request = request_on(snapshot.assembly.texts[line])
        job = self._jobs.get(snapshot.uri)
        if job is None or job.key != (snapshot.uri, line, request) or not job.task.done() \
                or job.task.cancelled() or job.task.exception() is not None:
            return False
        from ..generate.pipeline import Refused  # loaded by now: the job used the pipeline

        outcome = job.task.result()
        return isinstance(outcome, Refused) and outcome.available

    def start(self, ls: SovereignServer, snapshot: Snapshot,
              line: int) -> asyncio.Task[Outcome] | None:
        """The generation for the request on `line`, started unless it runs already; a job
        for another place in the document is cancelled."""
        text = snapshot.assembly.texts[line]
        request = request_on(text)
        if request is None:
            return None
        key = (snapshot.uri, line, request)
        job = self._jobs.get(snapshot.uri)
        if job is not None and job.key == key and not job.task.done():
            return job.task
        if job is not None:
            job.task.cancel()
        place = Place(snapshot.lf_text, line)
        task = asyncio.get_running_loop().create_task(
            self._generate(ls, request, place,
                           runtime=text.lstrip().upper().startswith("LLMGEN")))
        self._jobs[snapshot.uri] = _Job(key, task)
        return task

    async def _generate(self, ls: SovereignServer, request: str, place: Place,
                        runtime: bool) -> Outcome:
        """Generate for `request`; `runtime` when it is an LLMGEN line, whose code the
        sandbox then uses."""
        await ls.with_settings()
        from ..generate.pipeline import Generation

        generator = self.services(ls).generator
        outcome = await with_progress(
            ls, "Sovereign: generating", request,
            lambda on_text: generator.generate(request, place, on_text))
        if isinstance(outcome, Generation):
            if runtime:
                self._answers[request] = outcome.code
            self._explained = None
            self.tell(ls, "ready", f"generated with {outcome.model}", outcome.model)
        elif outcome.available:
            self.tell(ls, "refused", outcome.reason)
        else:
            self.tell(ls, "unavailable", outcome.reason)
        return outcome

    def tell(self, ls: SovereignServer, state: str, message: str, model: str = "") -> None:
        """Tell the client the LLM's state, once per change (never on every keystroke)."""
        if self._status == (state, message):
            return
        self._status = (state, message)
        level = logging.WARNING if state in ("refused", "unavailable") else logging.INFO
        logging.getLogger("sovereign.lsp").log(level, "LLM %s: %s", state, message)
        ls.protocol.notify(STATUS, {"state": state, "message": message, "model": model})

    def explain(self, ls: SovereignServer, outcome: Outcome | None) -> None:
        """Show why no code came to a user who asked for it (Ctrl+Space): `sovereign/status`
        is this project's own notification, and the log is easily missed, while every client
        shows `window/showMessage`. Once per reason (pressing Ctrl+Space again with Ollama
        down is no news), nothing for a generation that was cancelled, and nothing for a
        client that shows the status itself."""
        from ..generate.pipeline import Refused

        if isinstance(outcome, Refused) and outcome.reason != self._explained and \
                not ls.shows_status:
            self._explained = outcome.reason
            ls.window_show_message(T.ShowMessageParams(
                type=T.MessageType.Warning, message=f"Sovereign: no code: {outcome.reason}"))


async def with_progress(ls: SovereignServer, title: str, what: str,
                        work: Callable[[Callable[[str], None]], Awaitable[T_]]) -> T_:
    """Run LLM work, showing cancellable progress if it takes more than a moment; the work
    gets a callback for each piece of text that arrives."""
    progress = Progress(ls, title, what)
    task = asyncio.ensure_future(work(progress.token_arrived))
    try:
        done, _ = await asyncio.wait({task}, timeout=PROGRESS_AFTER)
        if not done:
            await progress.begin(task)
        return await task
    finally:
        task.cancel()
        progress.end()


class Progress:
    """Work-done progress for one piece of LLM work, when the client shows it; its cancel
    button cancels the work."""

    def __init__(self, ls: SovereignServer, title: str, request: str) -> None:
        self.ls = ls
        self.title = title
        self.request = request
        self.token: str | None = None
        self.tokens = 0

    async def begin(self, work: asyncio.Future[Any]) -> None:
        window = self.ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return
        token = str(uuid.uuid4())
        await self.ls.work_done_progress.create_async(token)
        self.ls.work_done_progress.begin(token, T.WorkDoneProgressBegin(
            title=self.title, cancellable=True,
            message=f"{self.request[:60]}: waiting for the model (one not loaded yet takes "
                    "up to a minute)"))
        self.ls.work_done_progress.tokens[token].add_done_callback(
            lambda stop: work.cancel() if stop.cancelled() else None)
        self.token = token

    def token_arrived(self, text: str) -> None:
        self.tokens += 1
        if self.token is not None and self.tokens % 10 == 0:
            self.ls.work_done_progress.report(self.token, T.WorkDoneProgressReport(
                message=f"{self.tokens} tokens received"))

    def end(self) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, T.WorkDoneProgressEnd(message="done"))
            self.token = None
