"""Every request over stdio gets an answer, whatever it carries and whenever it comes: a
client must never wait forever (JSON-RPC 2.0 and the LSP's lifecycle rules)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from .test_transport import message, messages

OPEN = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
    "uri": "file:///t.sov", "languageId": "sovereign", "version": 1,
    "text": "    PUSH #1\n    PRINT\n"}}}


def initialize(number: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": number, "method": "initialize",
            "params": {"capabilities": {}}}


def hover(number: int, position: object) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": number, "method": "textDocument/hover",
            "params": {"textDocument": {"uri": "file:///t.sov"}, "position": position}}


def session(*payloads: dict[str, Any]) -> tuple[int, dict[Any, dict[str, Any]]]:
    """Send `payloads` to `sovereign lsp` over stdio, close its input; its exit status and
    its answers by request id."""
    stream = b"".join(message(p) for p in payloads)
    done = subprocess.run([sys.executable, "-m", "sovereign", "lsp"], input=stream,
                          capture_output=True, timeout=60)
    answers = {m["id"]: m for m in messages(done.stdout) if "id" in m and "method" not in m}
    return done.returncode, answers


MALFORMED = [{"line": -1, "character": 0}, {"line": "zero", "character": 0},
             {"line": 10 ** 30, "character": 0}, None, {"line": 0}, "here"]
"""Positions that cannot be read (a "0" or a 0.5 is read as 0, as cattrs reads ints)."""


def test_a_request_with_params_that_do_not_fit_is_answered_invalid_params() -> None:
    requests = [hover(10 + n, position) for n, position in enumerate(MALFORMED)]
    _, answers = session(initialize(), {"jsonrpc": "2.0", "method": "initialized",
                                        "params": {}}, OPEN, *requests,
                         hover(99, {"line": 0, "character": 5}))
    for request in requests:
        error = answers[request["id"]].get("error")
        assert error is not None and error["code"] == -32602, (request, answers.get(
            request["id"]))
        assert "invalid params for textDocument/hover" in error["message"]
    assert "Position.line should be in range" in answers[10]["error"]["message"]
    assert "PUSH" in str(answers[99]["result"])  # and the server still serves


def test_a_second_initialize_is_refused_and_the_documents_stay() -> None:
    _, answers = session(initialize(1), {"jsonrpc": "2.0", "method": "initialized",
                                         "params": {}}, OPEN, initialize(2),
                         hover(3, {"line": 0, "character": 5}))
    assert "capabilities" in answers[1]["result"]
    assert answers[2]["error"]["code"] == -32600
    assert "PUSH" in str(answers[3]["result"])


@pytest.mark.parametrize("shut_down", [True, False])
def test_requests_after_shutdown_are_refused_and_exit_says_how_it_ended(
        shut_down: bool) -> None:
    lifecycle = [{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}] if shut_down else []
    status, answers = session(initialize(), {"jsonrpc": "2.0", "method": "initialized",
                                             "params": {}}, OPEN, *lifecycle,
                              hover(3, {"line": 0, "character": 5}),
                              {"jsonrpc": "2.0", "method": "exit"})
    if shut_down:
        assert answers[2]["result"] is None
        assert answers[3]["error"]["code"] == -32600
        assert status == 0
    else:
        assert "PUSH" in str(answers[3]["result"])
        assert status == 1  # exit without shutdown (the LSP specification)


def raw_session(stream: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sovereign", "lsp"], input=stream,
                          capture_output=True, timeout=60)


@pytest.mark.parametrize("broken", [
    b"Content-Length: -5\r\n\r\n{}",
    b"\r\n" + message(hover(5, {"line": 0, "character": 0}))[len(b"Content-Length: 12"):],
    message(initialize(2))[:-20].replace(b"Content-Length: ", b"Content-Length: 9"),
])
def test_broken_framing_ends_the_server_with_a_message_instead_of_deafness(
        broken: bytes) -> None:
    """A negative length, a missing one, a body shorter than its length: after any of them
    the framing is lost, and a live but deaf server would leave the client waiting."""
    later = b"".join(message(hover(n, {"line": 0, "character": 0})) for n in range(10, 30))
    done = raw_session(message(initialize()) + broken + later)
    assert done.returncode == 1
    assert b"the client's message framing is broken" in done.stderr
    assert b"Traceback" not in done.stderr


def test_a_body_that_is_not_json_is_skipped_and_the_next_request_answered() -> None:
    done = raw_session(message(initialize()) + b"Content-Length: 4\r\n\r\n\xff\xfe{[" +
                       message({"jsonrpc": "2.0", "id": 7, "method": "shutdown"}) +
                       message({"jsonrpc": "2.0", "method": "exit"}))
    answers = {m.get("id"): m for m in messages(done.stdout)}
    assert answers[7]["result"] is None and done.returncode == 0
