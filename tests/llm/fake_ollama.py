"""A scriptable Ollama-compatible HTTP server for the tests: real sockets on 127.0.0.1, real
streaming, and faults on demand. It records every request and when a client went away.

Run on its own (`python -m tests.llm.fake_ollama --port N`) it serves the editor end-to-end
tests: they script it over HTTP (`POST /_script` with `{"model": ..., settings}`) and read what
it was asked (`GET /_requests`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Script:
    """How the server answers for one model.

    `fault` is one of: None; "not-found" (404 with Ollama's message); "500"; "503-then-ok"
    (503 on the first `failures` requests); "empty-403" (403 without a body); "stall" (stop
    sending after `after` chunks); "cut" (close the stream after `after` chunks, no done line);
    "malformed" (a line that is not JSON); "error-line" (an `{"error": ...}` line after
    `after` chunks); "slow-first-byte" (wait `first_byte` seconds before the headers).
    """

    chunks: list[str] = field(default_factory=lambda: ["PUSH #1", "\nPRINT"])
    delay: float = 0.0
    first_byte: float = 0.0
    fault: str | None = None
    after: int = 1
    failures: int = 1
    capabilities: list[str] = field(default_factory=lambda: ["completion", "insert"])
    context_length: int = 8192
    family: str = "qwen2"
    by_prompt: dict[str, list[str]] = field(default_factory=dict)
    """Answers chosen by a marker found in the request: the n-th answer for seed n (cycling)."""
    parameter_size: str = ""
    """As /api/tags reports it; by default read from a `:7b`-style tag, else 7B."""
    held: list[str] | None = None
    """The answer to a request held to a shape (Ollama's `format`, OpenAI's `response_format`,
    llama.cpp's `grammar`), as a model so held writes it; None: `chunks`."""
    refuses_shape: bool = False
    """Answer a held request 400, as a server without structured output does."""


class FakeOllama:
    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.requests: list[tuple[str, Any]] = []
        self.disconnected_at: list[float] = []
        self.version = "0.9.0"
        self.owned_by = "library"
        """What /v1/models says owns each model: "llamacpp" for a llama.cpp server."""
        self.api_key: str | None = None
        """When set, the OpenAI-compatible endpoints answer 401 unless sent this key, as
        vLLM or LM Studio started with a key do."""
        self._calls: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def disconnected(self, timeout: float = 3.0) -> bool:
        """Whether a client went away mid-answer, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        while not self.disconnected_at and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        return bool(self.disconnected_at)

    async def asked(self, path: str, timeout: float = 5.0) -> bool:
        """Whether a request for `path` arrived, waiting up to `timeout` seconds for one."""
        deadline = time.monotonic() + timeout
        while not any(p == path for p, _ in self.requests) and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        return any(p == path for p, _ in self.requests)

    def script(self, model: str, **settings: Any) -> Script:
        self.scripts[model] = Script(**settings)
        return self.scripts[model]

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/api/generate", self._generate)
        app.router.add_post("/api/chat", self._generate)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_get("/api/ps", self._tags)
        app.router.add_post("/api/show", self._show)
        app.router.add_get("/api/version", self._version)
        app.router.add_post("/v1/chat/completions", self._generate)
        app.router.add_get("/v1/models", self._openai_models)
        app.router.add_post("/_script", self._set_script)
        app.router.add_get("/_requests", self._requests)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _set_script(self, request: web.Request) -> web.Response:
        body = await request.json()
        model = body.pop("model")
        self.script(model, **body)
        return web.json_response({"ok": True})

    async def _requests(self, request: web.Request) -> web.Response:
        return web.json_response([{"path": path, "body": body if isinstance(body, dict) else None}
                                  for path, body in self.requests])

    async def _version(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, None))
        return web.json_response({"version": self.version})

    async def _tags(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, None))
        return web.json_response({"models": [
            {"name": name, "model": name, "size": 4_000_000_000, "digest": "sha256:0",
             "modified_at": "2026-11-01T00:00:00Z",
             "details": {"format": "gguf", "family": script.family, "families": [script.family],
                         "parameter_size": _size(name, script),
                         "quantization_level": "Q4_K_M"}}
            for name, script in self.scripts.items()]})

    def _unauthorised(self, request: web.Request) -> web.Response | None:
        if self.api_key is None or not request.path.startswith("/v1/") or \
                request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return web.json_response({"error": {"message": "Incorrect API key provided",
                                            "type": "invalid_request_error"}}, status=401)

    async def _openai_models(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, dict(request.headers)))
        if (refused := self._unauthorised(request)) is not None:
            return refused
        return web.json_response({"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": self.owned_by}
            for name in self.scripts]})

    async def _show(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, body))
        script = self.scripts.get(body.get("model") or body.get("name", ""))
        if script is None:
            return web.json_response({"error": f"model '{body.get('model')}' not found"},
                                     status=404)
        return web.json_response({
            "modelfile": "", "parameters": "", "template": "{{ .Prompt }}",
            "details": {"family": script.family, "parameter_size": "7B"},
            "model_info": {"general.architecture": script.family,
                           f"{script.family}.context_length": script.context_length},
            "capabilities": script.capabilities})

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((request.path, body))
        if (refused := self._unauthorised(request)) is not None:
            return refused
        model = body.get("model", "")
        script = self.scripts.get(model)
        if script is None or script.fault == "not-found":
            return web.json_response(
                {"error": f"model '{model}' not found, try pulling it first"}, status=404)
        self._calls[model] = self._calls.get(model, 0) + 1
        if script.fault == "500":
            return web.json_response({"error": "llama runner process has terminated"},
                                     status=500)
        if script.fault == "503-then-ok" and self._calls[model] <= script.failures:
            return web.Response(status=503, text="server busy, please try again")
        if script.fault == "empty-403":
            return web.Response(status=403)
        if script.refuses_shape and _shape(body):
            return _refusal(request.path)
        try:
            if script.first_byte:
                await asyncio.sleep(script.first_byte)
            return await self._stream(request, body, script)
        except asyncio.CancelledError:
            self.disconnected_at.append(time.monotonic())
            raise

    async def _stream(self, request: web.Request, body: dict[str, Any],
                      script: Script) -> web.StreamResponse:
        openai = request.path.startswith("/v1/")
        kind = "text/event-stream" if openai else "application/x-ndjson"
        response = web.StreamResponse(headers={"Content-Type": kind})
        await response.prepare(request)
        line = _event if openai else _line
        chat = request.path != "/api/generate"
        for number, text in enumerate(_chunks(script, body)):
            if number == script.after and script.fault in ("stall", "cut", "error-line",
                                                           "malformed"):
                await self._fault(response, script.fault)
                return response
            await response.write(line(body["model"], text, chat, done=False))
            if script.delay:
                await asyncio.sleep(script.delay)
        await response.write(line(body["model"], "", chat, done=True))
        await response.write_eof()
        return response

    async def _fault(self, response: web.StreamResponse, fault: str) -> None:
        if fault == "stall":
            await asyncio.sleep(3600)
        elif fault == "error-line":
            await response.write(b'{"error":"an error was encountered while running the model"}\n')
        elif fault == "malformed":
            await response.write(b"{this is not json\n")
        await response.write_eof()  # "cut": the stream ends without a done line


def _shape(body: dict[str, Any]) -> object:
    return body.get("format") or body.get("response_format") or body.get("grammar")


def _refusal(path: str) -> web.Response:
    """How Ollama before 0.5, and an OpenAI-compatible server without structured output,
    refuse a schema."""
    if path.startswith("/v1/"):
        return web.json_response({"error": {"message": "response_format is not supported",
                                            "type": "invalid_request_error"}}, status=400)
    return web.json_response({"error": 'invalid format: expected "json" or a JSON schema'},
                             status=400)


def _chunks(script: Script, body: dict[str, Any]) -> list[str]:
    if script.held is not None and _shape(body):
        return script.held
    asked = json.dumps(body.get("messages") or body.get("prompt", ""))
    for marker, answers in script.by_prompt.items():
        if marker in asked:
            seed = int((body.get("options") or {}).get("seed") or 1)
            return [answers[(seed - 1) % len(answers)]]
    return script.chunks


def _size(name: str, script: Script) -> str:
    if script.parameter_size:
        return script.parameter_size
    match = re.search(r":(\d+(?:\.\d+)?)b", name)
    return f"{match.group(1)}B" if match else "7B"


def _event(model: str, text: str, chat: bool, done: bool) -> bytes:
    """One server-sent event of an OpenAI-compatible stream."""
    if done:
        final = {"id": "c1", "object": "chat.completion.chunk", "model": model,
                 "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        return b"data: " + json.dumps(final).encode() + b"\n\ndata: [DONE]\n\n"
    data = {"id": "c1", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def _line(model: str, text: str, chat: bool, done: bool) -> bytes:
    data: dict[str, Any] = {"model": model, "created_at": "2026-12-02T00:00:00Z", "done": done}
    if chat:
        data["message"] = {"role": "assistant", "content": text}
    else:
        data["response"] = text
    if done:
        data.update(done_reason="stop", total_duration=1000, eval_count=2, context=[1, 2, 3])
    return json.dumps(data).encode() + b"\n"


async def _serve(port: int) -> None:
    server = FakeOllama()
    print(await server.start(port), flush=True)
    await asyncio.Event().wait()  # until the test runner ends the process


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="the scripted Ollama-compatible test server")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_serve(parser.parse_args().port))
