"""Ollama's HTTP API as typed requests and responses, per Ollama's API documentation.

Responses are structured with cattrs from JSON: fields Ollama adds later are ignored, fields it
leaves out take their defaults. Requests are unstructured with empty fields left out, so Ollama
applies its own defaults for what Sovereign does not set.
"""

from __future__ import annotations

from typing import Any

import attrs
import cattrs


@attrs.define
class Options:
    """Model options. `num_predict` always has a value: a generation without a bound on its
    length may never end."""

    num_predict: int = 512
    num_ctx: int | None = None
    temperature: float | None = None
    seed: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = None


@attrs.define
class GenerateRequest:
    model: str
    prompt: str
    suffix: str | None = None
    system: str | None = None
    format: str | dict[str, Any] | None = None
    """"json", or a JSON schema the answer must follow (structured output)."""
    options: Options = attrs.field(factory=Options)
    stream: bool = True
    keep_alive: str | int | None = None
    raw: bool | None = None


@attrs.define
class Message:
    role: str
    content: str = ""


@attrs.define
class ChatRequest:
    model: str
    messages: list[Message]
    format: str | dict[str, Any] | None = None
    options: Options = attrs.field(factory=Options)
    stream: bool = True
    keep_alive: str | int | None = None
    grammar: str | None = None
    """A GBNF grammar the answer must follow. Not Ollama's: only the OpenAI-compatible client
    sends it, to llama.cpp servers, which take it beside the OpenAI fields."""


@attrs.define
class Chunk:
    """One line of a generate or chat stream. `text` is the piece of the answer it carries."""

    model: str = ""
    created_at: str = ""
    response: str = ""
    message: Message | None = None
    done: bool = False
    done_reason: str | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None

    @property
    def text(self) -> str:
        return self.message.content if self.message is not None else self.response


@attrs.define
class Completion:
    """A whole answer: the chunks' text joined, and the statistics of the final chunk."""

    model: str
    text: str
    done_reason: str | None
    eval_count: int | None
    total_duration: int | None
    chunks: int


@attrs.define
class ModelDetails:
    format: str = ""
    family: str = ""
    families: list[str] | None = None
    parameter_size: str = ""
    quantization_level: str = ""


@attrs.define
class ModelEntry:
    """A model from /api/tags (installed) or /api/ps (loaded)."""

    name: str
    model: str = ""
    size: int = 0
    digest: str = ""
    modified_at: str = ""
    expires_at: str = ""
    size_vram: int = 0
    details: ModelDetails = attrs.field(factory=ModelDetails)


@attrs.define
class ModelList:
    models: list[ModelEntry] = attrs.field(factory=list)


@attrs.define
class ModelInfo:
    """From /api/show: what a model can do and how much context it takes."""

    details: ModelDetails = attrs.field(factory=ModelDetails)
    model_info: dict[str, Any] = attrs.field(factory=dict)
    capabilities: list[str] = attrs.field(factory=list)
    template: str = ""
    parameters: str = ""

    @property
    def context_length(self) -> int | None:
        """`<architecture>.context_length` from model_info, if the server reported it."""
        for key, value in self.model_info.items():
            if key.endswith(".context_length") and isinstance(value, int):
                return value
        return None


@attrs.define
class Version:
    version: str


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(str | dict[str, Any] | None, lambda value, _: value)
    converter.register_structure_hook(str | int | None, lambda value, _: value)
    return converter


CONVERTER = _converter()


def to_json(request: object) -> dict[str, Any]:
    """A request as the JSON object Ollama expects: fields left at None are left out."""
    data = CONVERTER.unstructure(request)
    assert isinstance(data, dict)
    return _without_none(data)


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: _without_none(value) if isinstance(value, dict) else value
            for key, value in data.items() if value is not None}
