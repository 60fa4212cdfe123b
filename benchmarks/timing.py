"""The one way the benchmarks time things: the best of several runs, since machines are noisy."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(action: Callable[[], object], repeats: int) -> float:
    """The shortest of `repeats` timings of `action()`, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)
