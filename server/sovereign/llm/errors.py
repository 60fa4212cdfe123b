"""Typed LLM errors, each saying what to do about it."""

from __future__ import annotations


class LLMError(Exception):
    """Base of every error the LLM layer raises. `retryable` errors may succeed if tried again
    (nothing has been streamed yet)."""

    retryable = False


class Unreachable(LLMError):
    retryable = True

    def __init__(self, url: str, detail: str = "") -> None:
        super().__init__(f"Ollama is not reachable at {url}{f' ({detail})' if detail else ''}: "
                         "start it with `ollama serve`, or set OLLAMA_HOST to where it runs")
        self.url = url


class ModelNotFound(LLMError):
    def __init__(self, model: str, url: str) -> None:
        super().__init__(f"model '{model}' is not installed at {url}: run `ollama pull {model}`")
        self.model = model


class ServerError(LLMError):
    """An HTTP error status from the server (5xx), or a refusal (4xx)."""

    def __init__(self, status: int, message: str, url: str) -> None:
        shown = message or "no details given"
        super().__init__(f"the LLM server at {url} answered {status}: {shown}")
        self.status = status
        self.retryable = status in (502, 503, 504)


class LLMTimeout(LLMError):
    """`phase` is "connect", "first byte" (the model may still be loading), "idle" (the stream
    stalled) or "total"."""

    def __init__(self, phase: str, seconds: float, url: str) -> None:
        super().__init__(f"the LLM server at {url} timed out ({phase}, after {seconds:g} s)")
        self.phase = phase
        self.retryable = phase == "connect"  # a server slow to answer is slow the next time


class BadResponse(LLMError):
    """The server answered something that is not what its API promises."""

    def __init__(self, detail: str, url: str) -> None:
        super().__init__(f"bad response from the LLM server at {url}: {detail}")


class StreamFailed(LLMError):
    """The server reported an error in the middle of a stream."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(f"the LLM server at {url} failed while answering: {message}")
