"""The Ollama backend: Ollama's own API (/api/generate, /api/chat, /api/tags, /api/show,
/api/ps, /api/version) over the shared transport.

Ollama silently cuts a prompt longer than its default context window, so every request that
does not set `num_ctx` gets one sized from the prompt and the answer's budget, within the
context length the model reports through /api/show.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from .api import ChatRequest, Chunk, GenerateRequest, ModelInfo, ModelList, Version, to_json
from .errors import LLMError, ModelNotFound, StreamFailed
from .streams import json_lines
from .transport import SCHEMA, LLMClient, structure

MIN_CONTEXT = 2048
CHARACTERS_PER_TOKEN = 3
"""A cautious estimate for code: more tokens per character than prose."""


@dataclass
class OllamaClient(LLMClient):
    _contexts: dict[str, int | None] = field(default_factory=dict, init=False, repr=False)

    async def generate_stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """The chunks of an answer from /api/generate, as they arrive."""
        text = (request.system or "") + request.prompt + (request.suffix or "")
        body = to_json(request)
        await self._size_context(body, request.model, len(text), request.options.num_ctx)
        async for chunk in self._chunks("/api/generate", body, request.model):
            yield chunk

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        body = to_json(request)
        characters = sum(len(m.content) for m in request.messages)
        await self._size_context(body, request.model, characters, request.options.num_ctx)
        async for chunk in self._chunks("/api/chat", body, request.model):
            yield chunk

    async def _size_context(self, body: dict[str, Any], model: str, characters: int,
                            given: int | None) -> None:
        """Set `num_ctx` to what the prompt and the answer need (a power of two, at least
        MIN_CONTEXT), within the model's context length, unless the caller set it."""
        if given is not None:
            return
        limit = await self._context_length(model)
        needed = characters // CHARACTERS_PER_TOKEN + body["options"]["num_predict"] + 64
        size = max(MIN_CONTEXT, 1 << (needed - 1).bit_length())
        body["options"]["num_ctx"] = min(size, limit) if limit else size

    async def _context_length(self, model: str) -> int | None:
        """The model's context length, asked once; None when the server cannot say now (the
        request itself will then report what is wrong)."""
        if model not in self._contexts:
            try:
                self._contexts[model] = (await self.show(model)).context_length
            except ModelNotFound:
                raise
            except LLMError:
                return None
        return self._contexts[model]

    async def tags(self) -> ModelList:
        """The installed models."""
        return await self._json("GET", "/api/tags", None, ModelList)

    async def show(self, model: str) -> ModelInfo:
        """A model's capabilities and context length."""
        return await self._json("POST", "/api/show", {"model": model}, ModelInfo, model)

    async def ps(self) -> ModelList:
        """The models loaded in memory."""
        return await self._json("GET", "/api/ps", None, ModelList)

    async def version(self) -> Version:
        return await self._json("GET", "/api/version", None, Version)

    @property
    def supports_suffix(self) -> bool:
        return True

    def _constraint_kind(self) -> str | None:
        return SCHEMA  # `format` takes a JSON schema since Ollama 0.5; older ones refuse it

    async def model_info(self, model: str) -> ModelInfo | None:
        try:
            return await self.show(model)
        except LLMError:
            return None

    async def _chunks(self, path: str, body: dict[str, Any], model: str) -> AsyncIterator[Chunk]:
        async with aclosing(self._stream(path, body, model, json_lines, _is_done,
                                         "its final (done) line")) as lines:
            async for data in lines:
                if isinstance(data, dict) and "error" in data:
                    raise StreamFailed(str(data["error"]), self.url)
                yield structure(data, Chunk, self.url)


def _is_done(data: Any) -> bool:
    return isinstance(data, dict) and data.get("done") is True
