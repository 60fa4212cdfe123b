"""The Ollama backend: Ollama's own API (/api/generate, /api/chat, /api/tags, /api/show,
/api/ps, /api/version) over the shared transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from .api import ChatRequest, Chunk, GenerateRequest, ModelInfo, ModelList, Version, to_json
from .errors import BadResponse, StreamFailed
from .ndjson import json_lines
from .transport import HttpClient, structure


@dataclass
class OllamaClient(HttpClient):
    async def generate_stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """The chunks of an answer from /api/generate, as they arrive."""
        async for chunk in self._stream("/api/generate", to_json(request), request.model):
            yield chunk

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        async for chunk in self._stream("/api/chat", to_json(request), request.model):
            yield chunk

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

    async def _stream(self, path: str, body: dict[str, Any], model: str) -> AsyncIterator[Chunk]:
        response = await self._with_retries(lambda: self._open("POST", path, body, model))
        done = False
        try:
            async with aclosing(self._decoded(response, json_lines)) as lines:
                async for data in lines:
                    if isinstance(data, dict) and "error" in data:
                        raise StreamFailed(str(data["error"]), self.url)
                    chunk = structure(data, Chunk, self.url)
                    yield chunk
                    if chunk.done:
                        done = True
                        break
        finally:
            self._finish(response, done)
        if not done:
            raise BadResponse("the stream ended before its final (done) line", self.url)
