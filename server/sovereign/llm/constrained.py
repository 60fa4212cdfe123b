"""Answers held to a shape (structured output), where the server can hold a model to one.

A small model asked for code writes lines that do not parse; a server that constrains
sampling to a JSON schema (Ollama's `format`, OpenAI's `response_format`) or to a grammar
(llama.cpp's `grammar`) cannot let it. Servers that do not support it answer 4xx: then the
question is asked once more as plain text, and that server is asked in plain text from then
on, unless the user required structured output.

This layer does not know what the shape describes; the engines build the `Constraint`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import attrs

from .api import ChatRequest, Chunk, Completion, Message
from .errors import LLMError, ServerError
from .transport import GRAMMAR, SCHEMA, LLMClient

LOG = logging.getLogger("sovereign.llm")

NOT_A_REFUSAL = frozenset({401, 403, 404, 408, 429})
"""4xx statuses that say nothing about the shape: a key, a model, a rate limit."""


@dataclass(frozen=True)
class Constraint:
    """A shape for an answer: a JSON schema, the same shape as a GBNF grammar, and what to tell
    the model when its answer is held to the schema (it then writes JSON, not the usual
    text). `required`: a server that refuses the shape is an error, not a fallback."""

    schema: dict[str, Any]
    grammar: str
    note: str
    required: bool = False


class ConstraintRefused(LLMError):
    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"the LLM server at {url} does not take structured output ({detail}): "
                         "let it answer in plain text (`--structured auto`, or the setting "
                         "sovereign.llm.structuredOutput: auto)")


async def chat(client: LLMClient, request: ChatRequest, constraint: Constraint | None,
               on_chunk: Callable[[Chunk], None] | None = None) -> Completion:
    """`client.chat(request)`, held to `constraint` in the way the server supports."""
    kind = client.constraint_kind if constraint is not None else None
    if constraint is None or kind is None:
        return await client.chat(request, on_chunk)
    try:
        return await client.chat(_held(request, constraint, kind), on_chunk)
    except ServerError as error:
        if error.status >= 500 or error.status in NOT_A_REFUSAL:
            raise
        if constraint.required:
            raise ConstraintRefused(client.url, str(error)) from None
        client.refuses_constraints = True
        LOG.warning("%s does not take structured output (%s): asking in plain text",
                    client.url, error)
    return await client.chat(request, on_chunk)


def _held(request: ChatRequest, constraint: Constraint, kind: str) -> ChatRequest:
    if kind == GRAMMAR:
        return attrs.evolve(request, grammar=constraint.grammar)
    assert kind == SCHEMA
    messages = list(request.messages)
    if messages and messages[0].role == "system":
        messages[0] = Message("system", f"{messages[0].content}\n\n{constraint.note}")
    else:
        messages.insert(0, Message("system", constraint.note))
    return attrs.evolve(request, messages=messages, format=constraint.schema)
