"""Both stream formats are split by one bounded line reader: a server that never ends a line
cannot make the client hold more than MAX_LINE."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from sovereign.llm import streams
from sovereign.llm.streams import LineTooLong, json_lines, sse_events


def reader(chunks: list[bytes]) -> Callable[[], Awaitable[bytes]]:
    pending = list(chunks)

    async def read() -> bytes:
        return pending.pop(0) if pending else b""

    return read


async def test_json_lines_and_events_are_split_across_chunks() -> None:
    found = [item async for item in json_lines(reader([b'{"a": 1}\n{"b"', b': 2}\n\n{"c": 3}']))]
    assert found == [{"a": 1}, {"b": 2}, {"c": 3}]
    events = [e async for e in sse_events(reader([b"data: {\"x\": 1}\n\n: comment\nda",
                                                  b"ta: [DONE]\n"]))]
    assert events == [{"x": 1}, "[DONE]"]


@pytest.mark.parametrize("decode", [json_lines, sse_events])
async def test_a_line_that_never_ends_is_refused(decode, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(streams, "MAX_LINE", 1000)
    endless = reader([b"data: " + b"x" * 600, b"y" * 600])
    with pytest.raises(LineTooLong):
        async for _ in decode(endless):
            pass
