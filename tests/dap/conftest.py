from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .client import DapClient

COUNTING = """\
PUSH #0
STORE i
loop: LOAD i
PUSH #1
ADD
DUP
STORE i
CALL show
PUSH #3
LT
JNZ loop
HALT

show: LOAD i
PRINT
RET
"""
"""Prints 1, 2, 3: the loop on lines 3-11, the subroutine on lines 14-16 (line 13 is blank)."""


@pytest.fixture
async def dap(tmp_path: Path) -> AsyncIterator[DapClient]:
    """The adapter, with its own data directory (the LLM layer keeps records there)."""
    client = await DapClient.start({**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    yield client
    await client.close()


@pytest.fixture
def counting(tmp_path: Path) -> Path:
    path = tmp_path / "counting.sov"
    path.write_text(COUNTING)
    return path
