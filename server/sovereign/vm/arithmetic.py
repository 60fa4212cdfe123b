"""Integer division as Sovereign defines it, shared by the reference interpreter and the
compiled code so that both paths agree on every sign."""

from __future__ import annotations


def divide(a: int, b: int) -> int:
    """a / b truncated toward zero (Python's // floors)."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def remainder(a: int, b: int) -> int:
    """a - b * divide(a, b): the remainder takes the sign of a."""
    magnitude = abs(a) % abs(b)
    return -magnitude if a < 0 else magnitude
