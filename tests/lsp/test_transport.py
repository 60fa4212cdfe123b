"""`sovereign lsp --tcp` listens on 127.0.0.1 and speaks the same protocol."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

from lsprotocol import types as T
from pygls.lsp.client import LanguageClient


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def connect(port: int) -> LanguageClient:
    client = LanguageClient("tcp-test", "1")
    for _ in range(600):
        try:
            await client.start_tcp("127.0.0.1", port)
            return client
        except OSError:
            await asyncio.sleep(0.05)  # the server is still importing; nothing to wait on
    raise AssertionError("the server never listened")


async def test_tcp_server_answers_on_loopback() -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sovereign", "lsp", "--tcp", "--port",
                               str(port)], stderr=subprocess.PIPE)
    try:
        client = await connect(port)
        result = await client.initialize_async(T.InitializeParams(
            capabilities=T.ClientCapabilities()))
        assert result.server_info is not None and result.server_info.name == "sovereign"
        assert result.capabilities.hover_provider
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        assert server.wait(timeout=30) == 0
    finally:
        server.kill()
        server.wait()
