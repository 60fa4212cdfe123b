"""An OpenAI-compatible backend (`/v1/chat/completions` with SSE streaming, `/v1/models`), so
that vLLM, a llama.cpp server, LM Studio or Ollama's own `/v1` can serve Sovereign.

It offers the same calls as the Ollama client and shares its session, timeout, retry and
cancellation handling; only the wire format differs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import attrs

from .api import ChatRequest, Chunk, GenerateRequest, Message, ModelEntry, ModelList, Version
from .errors import BadResponse, StreamFailed
from .streams import sse_events
from .transport import GRAMMAR, SCHEMA, LLMClient


@attrs.define
class _Model:
    id: str
    owned_by: str = ""


@attrs.define
class _Models:
    """The answer of /v1/models."""

    data: list[_Model]


@dataclass
class OpenAIClient(LLMClient):
    """`url` is the server's base, without `/v1`. `api_key` is sent as a bearer token."""

    api_key: str = ""
    llama_cpp: bool = False
    """Whether the server is llama.cpp's (its models are `owned_by: llamacpp`), which takes a
    GBNF `grammar`; known once the model list has been read."""

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    async def generate_stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """A completion asked for as a chat: these servers' chat endpoint is the common one."""
        messages = ([Message("system", request.system)] if request.system else []) + [
            Message("user", request.prompt)]
        chat = ChatRequest(request.model, messages, request.format, request.options)
        async for chunk in self.chat_stream(chat):
            yield chunk

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        body: dict[str, Any] = {
            "model": request.model, "stream": True,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.options.num_predict,
        }
        for name in ("temperature", "seed", "top_p", "stop"):
            if (value := getattr(request.options, name)) is not None:
                body[name] = value
        if request.grammar is not None:
            body["grammar"] = request.grammar
        elif request.format == "json":
            body["response_format"] = {"type": "json_object"}
        elif isinstance(request.format, dict):
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "answer", "schema": request.format}}
        async with aclosing(self._stream("/v1/chat/completions", body, request.model,
                                         sse_events, _is_done, "[DONE]")) as events:
            async for event in events:
                if event != "[DONE]":
                    yield _chunk(event, request.model, self.url)
        yield Chunk(model=request.model, done=True, done_reason="stop")

    async def tags(self) -> ModelList:
        models = await self._json("GET", "/v1/models", None, _Models)
        self.llama_cpp = any(m.owned_by == "llamacpp" for m in models.data)
        return ModelList([ModelEntry(name=m.id) for m in models.data])

    async def version(self) -> Version:
        await self.tags()
        return Version("openai-compatible")

    def _constraint_kind(self) -> str | None:
        return GRAMMAR if self.llama_cpp else SCHEMA


def _is_done(event: Any) -> bool:
    return bool(event == "[DONE]")


def _chunk(event: Any, model: str, url: str) -> Chunk:
    if isinstance(event, dict) and "error" in event:
        error = event["error"]
        raise StreamFailed(str(error.get("message", error) if isinstance(error, dict)
                               else error), url)
    try:
        choice = event["choices"][0]
        text = (choice.get("delta") or {}).get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        raise BadResponse(f"unexpected event {str(event)[:200]}", url) from None
    return Chunk(model=str(event.get("model", model)), response=text,
                 done_reason=choice.get("finish_reason"))

