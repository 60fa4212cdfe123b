"""What every LLM backend shares: one pooled aiohttp session per server, separate connect,
first-byte, idle and total timeouts, retries with backoff of what may work a moment later,
typed errors for error statuses, and cancellation that closes the connection at once.

Timeouts follow how Ollama behaves: connecting is quick or never, but no response header comes
until the model is loaded (seconds to a minute on a cold start), and then chunks come steadily.
Connection failures and busy answers (502/503/504) are retried; a first byte that does not come
in time is not (it would not come sooner), and nothing is retried once any part of an answer
has arrived.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from .api import (
    CONVERTER,
    ChatRequest,
    Chunk,
    Completion,
    GenerateRequest,
    ModelInfo,
    ModelList,
    Version,
)
from .errors import BadResponse, LLMError, LLMTimeout, ModelNotFound, ServerError, Unreachable
from .streams import Read

T = TypeVar("T")

SCHEMA = "schema"
"""A server that holds an answer to a JSON schema."""
GRAMMAR = "grammar"
"""A server that holds an answer to a GBNF grammar (llama.cpp)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `first_byte` is generous: Ollama sends no header until the model is loaded
    (10 to 60 s for a 7B model from a cold start), and it is not retried on the same host:
    asking again would only wait as long again."""

    connect: float = 5.0
    first_byte: float = 120.0
    idle: float = 60.0
    total: float = 900.0
    probe: float = 2.0


@dataclass(frozen=True)
class Retries:
    """Bounded attempts with exponential backoff and full jitter."""

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 4.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** attempt))


@dataclass(frozen=True)
class Health:
    """What a probe found: reachable or not (and why), the version and the installed models."""

    url: str
    reachable: bool
    version: str = ""
    models: tuple[str, ...] = ()
    error: str = ""


@dataclass
class LLMClient(ABC):
    """An LLM backend: what every API provides (streamed completions and chats, the model
    list, a version probe) over the shared plumbing below; subclasses speak one API."""

    url: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    retries: Retries = field(default_factory=Retries)
    pool_size: int = 10
    health_ttl: float = 5.0
    refuses_constraints: bool = field(default=False, init=False)
    """Set when the server answered a constrained request with a refusal: it is then asked in
    plain text."""
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)
    _health: tuple[float, Health] | None = field(default=None, init=False, repr=False)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # What each API provides.

    @abstractmethod
    def generate_stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """The chunks of a completion of `request.prompt`, as they arrive."""

    @abstractmethod
    def chat_stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        """The chunks of the next message of a conversation, as they arrive."""

    @abstractmethod
    async def tags(self) -> ModelList:
        """The models the server offers."""

    @abstractmethod
    async def version(self) -> Version:
        """The server's version (also a cheap probe that it answers)."""

    @property
    def supports_suffix(self) -> bool:
        """Whether a completion can take the code after the cursor (`suffix`), so that a
        model that fills in the middle is asked that way."""
        return False

    @property
    def constraint_kind(self) -> str | None:
        """How this server can hold an answer to a shape (SCHEMA, GRAMMAR), or None."""
        return None if self.refuses_constraints else self._constraint_kind()

    def _constraint_kind(self) -> str | None:
        return None

    async def model_info(self, model: str) -> ModelInfo | None:
        """What the server says a model can do and how much context it takes, when its API
        can say (None otherwise)."""
        return None

    # Built on those.

    async def generate(self, request: GenerateRequest,
                       on_chunk: Callable[[Chunk], None] | None = None) -> Completion:
        """A whole answer: the same streaming path, collected."""
        return await _collect(self.generate_stream(request), request.model, on_chunk)

    async def chat(self, request: ChatRequest,
                   on_chunk: Callable[[Chunk], None] | None = None) -> Completion:
        return await _collect(self.chat_stream(request), request.model, on_chunk)

    async def health(self) -> Health:
        """Probe the server with a short timeout; the answer is kept for `health_ttl` seconds."""
        now = time.monotonic()
        if self._health is not None and now - self._health[0] < self.health_ttl:
            return self._health[1]
        try:
            async with asyncio.timeout(self.timeouts.probe):
                version = await self.version()
                models = await self.tags()
            found = Health(self.url, True, version.version, tuple(m.name for m in models.models))
        except (LLMError, TimeoutError) as exc:
            found = Health(self.url, False, error=str(exc) or "no answer in time")
        self._health = (now, found)
        return found

    # The plumbing.

    def _headers(self) -> dict[str, str]:
        return {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeouts.connect))
        return self._session

    async def _stream(self, path: str, body: dict[str, Any], model: str,
                      reader: Callable[[Read], AsyncIterator[Any]], is_last: Callable[[Any], bool],
                      ending: str) -> AsyncGenerator[Any, None]:
        """The decoded items of a streamed answer, the last one (`is_last`) included. The
        connection is kept for reuse only after a whole answer; a stream that ends before its
        last item is a BadResponse saying it ended before `ending`."""
        response = await self._with_retries(lambda: self._open("POST", path, body, model))
        done = False
        try:
            async with aclosing(self._decoded(response, reader)) as items:
                async for item in items:
                    yield item
                    if is_last(item):
                        done = True
                        break
        finally:
            self._finish(response, done)
        if not done:
            raise BadResponse(f"the stream ended before {ending}", self.url)

    async def _decoded(self, response: aiohttp.ClientResponse,
                       reader: Callable[[Read], AsyncIterator[Any]],
                       ) -> AsyncGenerator[Any, None]:
        """The items `reader` decodes from a streamed body, with the idle and total timeouts
        applied and every way the body can be broken turned into a BadResponse."""
        deadline = time.monotonic() + self.timeouts.total
        try:
            async for item in reader(lambda: self._read(response, deadline)):
                yield item
        except json.JSONDecodeError as exc:
            raise BadResponse(f"a stream line is not JSON ({exc})", self.url) from None
        except ValueError as exc:
            raise BadResponse(str(exc), self.url) from None
        except aiohttp.ClientError as exc:
            raise BadResponse(f"the stream broke off ({exc})", self.url) from None

    @staticmethod
    def _finish(response: aiohttp.ClientResponse, complete: bool) -> None:
        """Reuse the connection after a complete answer; close it otherwise (an error, a stall,
        the caller cancelling or stopping early), which is what makes the server stop."""
        if complete:
            response.release()
        else:
            response.close()

    async def _read(self, response: aiohttp.ClientResponse, deadline: float) -> bytes:
        budget = min(self.timeouts.idle, deadline - time.monotonic())
        try:
            return await asyncio.wait_for(response.content.readany(), max(budget, 0))
        except TimeoutError:
            phase = "idle" if budget == self.timeouts.idle else "total"
            seconds = self.timeouts.idle if phase == "idle" else self.timeouts.total
            raise LLMTimeout(phase, seconds, self.url) from None

    async def _json(self, method: str, path: str, body: dict[str, Any] | None, kind: type[T],
                    model: str = "") -> T:
        response = await self._with_retries(lambda: self._open(method, path, body, model))
        try:
            async with asyncio.timeout(self.timeouts.idle):
                data = await response.json(content_type=None)
        except TimeoutError:
            raise LLMTimeout("idle", self.timeouts.idle, self.url) from None
        except (json.JSONDecodeError, aiohttp.ClientError) as exc:
            raise BadResponse(f"{path} did not answer JSON ({exc})", self.url) from None
        finally:
            response.release()
        return structure(data, kind, self.url)

    async def _with_retries(self, attempt: Callable[[], Awaitable[T]]) -> T:
        for number in range(self.retries.attempts):
            try:
                return await attempt()
            except LLMError as error:
                if not error.retryable or number == self.retries.attempts - 1:
                    raise
            await asyncio.sleep(self.retries.delay(number))
        raise AssertionError("unreachable: the last attempt raises or returns")

    async def _open(self, method: str, path: str, body: dict[str, Any] | None,
                    model: str) -> aiohttp.ClientResponse:
        """Send a request and wait for its headers; an error status becomes a typed error."""
        try:
            async with asyncio.timeout(self.timeouts.first_byte):
                response = await self._client().request(method, self.url + path, json=body,
                                                         headers=self._headers())
        except TimeoutError:
            raise LLMTimeout("first byte", self.timeouts.first_byte, self.url) from None
        except aiohttp.ServerTimeoutError:
            raise LLMTimeout("connect", self.timeouts.connect, self.url) from None
        except aiohttp.ClientConnectionError as exc:
            raise Unreachable(self.url, str(exc)) from None
        if response.status < 400:
            return response
        message = await _error_message(response)
        response.release()
        if response.status == 404 and model and "not found" in message.lower():
            raise ModelNotFound(model, self.url)
        if response.status == 404:  # the wrong base URL, most often: say what was asked
            raise ServerError(404, f"{message or 'not found'} (asked {method} {self.url}{path})",
                              self.url)
        raise ServerError(response.status, message, self.url)


async def _error_message(response: aiohttp.ClientResponse) -> str:
    """The `error` of a JSON error body; the text of another; "" for an empty one."""
    try:
        text = (await response.read()).decode("utf-8", "replace").strip()
    except aiohttp.ClientError:
        return ""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:500]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message", data["error"]))[:500]
    return str(data.get("error", text))[:500] if isinstance(data, dict) else text[:500]


def structure(data: object, kind: type[T], url: str) -> T:
    """JSON into a typed answer; anything that does not fit is a BadResponse."""
    try:
        return CONVERTER.structure(data, kind)
    except Exception as exc:  # cattrs raises several kinds; all mean the same here
        raise BadResponse(f"unexpected {kind.__name__}: {str(exc)[:200]}", url) from None


async def _collect(stream: AsyncIterator[Chunk], model: str,
                   on_chunk: Callable[[Chunk], None] | None) -> Completion:
    pieces: list[str] = []
    last = Chunk()
    count = 0
    async with aclosing(stream) as chunks:  # type: ignore[type-var]
        async for chunk in chunks:
            count += 1
            pieces.append(chunk.text)
            last = chunk
            if on_chunk is not None:
                on_chunk(chunk)
    return Completion(last.model or model, "".join(pieces), last.done_reason, last.eval_count,
                      last.total_duration, count)
