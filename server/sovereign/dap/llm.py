"""The answers a debugged program's LLM instructions get: from the same pipeline as
`sovereign run` (validated answers only), built when the first one is needed, so that a
program without LLM instructions never loads the LLM layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..debug.history import LLMAnswer
from ..vm.machine import LLMRequest
from ..vm.sandbox import Refusal

if TYPE_CHECKING:
    from ..host.services import Services


class Asker:
    def __init__(self) -> None:
        self.host: str | None = None
        self.model: str | None = None
        self._services: Services | None = None

    def configure(self, host: str | None, model: str | None) -> None:
        """The Ollama host (None: OLLAMA_HOST, else the local default) and the model first
        asked, from the launch configuration."""
        self.host, self.model = host, model

    async def ask(self, request: LLMRequest) -> LLMAnswer:
        from ..host.services import LLMConfig, build

        if self._services is None:
            self._services = build(LLMConfig(ollama=(self.host,) if self.host else (),
                                             model=self.model))
        answer = await self._services.fulfil()(request)
        if answer is None:
            return Refusal("LLMUnavailable", f"no model answered {request.kind}")
        return answer

    async def close(self) -> None:
        if self._services is not None:
            await self._services.close()
