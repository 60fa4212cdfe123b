"""Building the LLM layer from settings: which hosts, of which kind."""

from __future__ import annotations

from dataclasses import dataclass, field

from .hosts import ollama_url
from .ollama import OllamaClient
from .openai import OpenAIClient
from .pool import Hosts
from .transport import LLMClient, Timeouts


@dataclass(frozen=True)
class HostSetting:
    url: str
    kind: str = "ollama"
    """"ollama" or "openai" (any OpenAI-compatible server)."""
    api_key: str = ""


@dataclass(frozen=True)
class LLMSettings:
    """No hosts means one Ollama at OLLAMA_HOST (or the default)."""

    hosts: tuple[HostSetting, ...] = ()
    model: str | None = None
    timeouts: Timeouts = field(default_factory=Timeouts)


def client_for(host: HostSetting, timeouts: Timeouts) -> LLMClient:
    if host.kind == "openai":
        return OpenAIClient(openai_base(host.url), timeouts, api_key=host.api_key)
    if host.kind != "ollama":
        raise ValueError(f"unknown kind of LLM host {host.kind!r}: use ollama or openai")
    return OllamaClient(ollama_url(host.url), timeouts)


def make_hosts(settings: LLMSettings) -> Hosts:
    configured = settings.hosts or (HostSetting(ollama_url()),)
    return Hosts([client_for(host, settings.timeouts) for host in configured])


def openai_base(url: str) -> str:
    """The server's base URL, whether written with the API's `/v1` (as OpenAI's own
    documentation writes base URLs) or without it: the client adds `/v1/...` itself."""
    base = url.strip().rstrip("/")
    return base.removesuffix("/v1")
