"""The one error a request handler raises."""

from __future__ import annotations


class RequestError(Exception):
    """A request that cannot be carried out: answered with success false and this message."""
