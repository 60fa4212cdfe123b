from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .fake_ollama import FakeOllama


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    server = FakeOllama()
    await server.start()
    yield server
    await server.stop()
