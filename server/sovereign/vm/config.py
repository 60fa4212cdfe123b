"""Limits a program runs under. A limit N allows exactly N (docs/language.md, "Limits")."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class VMConfig:
    """Every resource the VM can spend, each bounded.

    The defaults are the sandbox's: tight enough that checking code on every keystroke, or
    validating an LLM's answer, never costs more than a moment. `run_defaults()` is for
    `sovereign run`, where the user asked for the program to run.

    The step limit is what bounds a check; the wall clock is only a safety net, set ten
    times above what the step limit takes at the reference interpreter's speed, so that a
    program within the step limit is never stopped because the machine is busy (a verdict
    must not depend on the load).
    """

    max_stack: int = 1024
    max_names: int = 1024
    max_steps: int = 200_000
    max_call_depth: int = 256
    max_string: int = 65_536
    max_output: int = 65_536
    max_memory: int = 64 * 1024 * 1024
    """Characters of strings a run may hold on its stack, in memory and in its output."""
    max_millis: float = 2_000.0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not math.isfinite(value) or value <= 0:  # `nan <= 0` is false
                raise ValueError(f"{name} must be a finite positive number, not {value}")

    @classmethod
    def run_defaults(cls) -> VMConfig:
        return cls(
            max_stack=1_000_000,
            max_names=100_000,
            max_steps=1_000_000_000,
            max_call_depth=10_000,
            max_string=16 * 1024 * 1024,
            max_output=16 * 1024 * 1024,
            max_memory=1024 * 1024 * 1024,
            max_millis=60_000.0,
        )
