"""Values as the Variables view shows them: integers as they are, strings quoted and cut past
SHOWN characters, and the Memory scope kept encoded from stop to stop."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from ..lang.assembler import Value
from .messages import CONVERTER, Variable
from .wire import COMPACT

SHOWN = 1_000
"""The characters of a string value the Variables view shows."""


def variable(name: str, value: Value, evaluate_name: str | None = None) -> Variable:
    if isinstance(value, int):
        return Variable(name, str(value), type="integer", evaluate_name=evaluate_name)
    return Variable(name, cut(value, repr), type="string", evaluate_name=evaluate_name)


@dataclass(frozen=True)
class Encoded:
    """A response body already encoded as JSON."""

    json: str


def encoded(shown: Variable) -> str:
    """A variable as JSON, to be put in a response body as it is (`Encoded`)."""
    return json.dumps(CONVERTER.unstructure(shown), ensure_ascii=False, separators=COMPACT)


class MemoryView:
    """The Memory scope as the wire shows it, kept from stop to stop: between two stops few
    names change, and a program may hold thousands, so each is encoded once per value."""

    def __init__(self) -> None:
        self._shown: dict[str, tuple[Value, str]] = {}

    def shown(self, memory: dict[str, Value]) -> list[str]:
        view = []
        for name in sorted(memory):
            value = memory[name]
            kept = self._shown.get(name)
            if kept is None or not (kept[0] is value or (type(kept[0]) is type(value)
                                                         and kept[0] == value)):
                kept = value, encoded(variable(name, value, evaluate_name=name))
                self._shown[name] = kept
            view.append(kept[1])
        return view


def cut(text: str, show: Callable[[str], str] = str) -> str:
    if len(text) <= SHOWN:
        return show(text)
    return f"{show(text[:SHOWN])}... ({len(text):,} characters)"
