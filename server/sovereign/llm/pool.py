"""Several configured LLM hosts, tried in order, with a circuit breaker per host.

A host that fails again and again (unreachable, timing out, answering 5xx) is skipped for a
cool-down, so one dead machine in the list does not cost every request a timeout; after the
cool-down it gets one more chance.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import LLMError, LLMTimeout, ModelNotFound, ServerError, Unreachable
from .transport import LLMClient

T = TypeVar("T")


@dataclass
class Breaker:
    """Opens after `threshold` failures in a row; stays open for `cooldown` seconds."""

    threshold: int = 3
    cooldown: float = 30.0
    failures: int = 0
    open_until: float = 0.0

    def allows(self, now: float) -> bool:
        return now >= self.open_until

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = 0.0

    def failed(self, now: float) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = now + self.cooldown


@dataclass
class Hosts:
    """The configured backends, first preferred."""

    clients: list[LLMClient]
    threshold: int = 3
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    breakers: dict[str, Breaker] = field(default_factory=dict)

    def breaker(self, client: LLMClient) -> Breaker:
        return self.breakers.setdefault(client.url, Breaker(self.threshold, self.cooldown))

    def available(self) -> list[LLMClient]:
        """The hosts whose breaker is closed, in order of preference."""
        now = self.clock()
        return [c for c in self.clients if self.breaker(c).allows(now)]

    async def call(self, action: Callable[[LLMClient], Awaitable[T]]) -> T:
        """Run `action` on the first host that can do it. A host failure moves on to the next
        host; a model missing on one host is looked for on the next; other errors are the
        caller's to see."""
        if not self.clients:
            raise Unreachable("(none)", "no LLM host is configured")
        last: LLMError | None = None
        candidates = self.available()
        if not candidates:
            soonest = min(self.breakers.values(), key=lambda b: b.open_until)
            raise Unreachable(", ".join(c.url for c in self.clients),
                              f"every host failed recently; next try in "
                              f"{max(0.0, soonest.open_until - self.clock()):.0f} s")
        for client in candidates:
            try:
                result = await action(client)
            except (Unreachable, LLMTimeout, ServerError) as error:
                if isinstance(error, ServerError) and error.status < 500:
                    raise
                self.breaker(client).failed(self.clock())
                last = error
            except ModelNotFound as error:
                last = error
            else:
                self.breaker(client).succeeded()
                return result
        assert last is not None
        raise last

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
