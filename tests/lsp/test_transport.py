"""`sovereign lsp --tcp` listens on 127.0.0.1 and speaks the same protocol."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from typing import Any

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


def message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def messages(stream: bytes) -> list[dict[str, Any]]:
    found = []
    while stream:
        header, _, rest = stream.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        found.append(json.loads(rest[:length]))
        stream = rest[length:]
    return found


def test_the_log_goes_to_the_client_at_its_level_and_stderr_stays_empty() -> None:
    """An editor shows a server's stderr as errors; the log belongs in window/logMessage."""
    session = b"".join(message(m) for m in [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": None, "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
         "params": {"settings": {"sovereign": {"sandbox": {"maxSteps": -1}}}}},
        {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
         "params": {"settings": {"sovereign": {"sandbox": {"maxSteps": 1000}}}}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ])
    done = subprocess.run([sys.executable, "-m", "sovereign", "lsp", "--stdio"], input=session,
                          capture_output=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr == b""
    logged = [(m["params"]["type"], m["params"]["message"]) for m in messages(done.stdout)
              if m.get("method") == "window/logMessage"]
    warning = T.MessageType.Warning.value
    info = T.MessageType.Info.value
    assert (info, "settings: all defaults") in logged
    assert any(kind == warning and "invalid sovereign settings" in text for kind, text in logged)
    assert (info, "settings: sandbox.maxSteps = 1000") in logged
