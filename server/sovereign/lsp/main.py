"""`sovereign lsp`: build the language server, every feature wired explicitly in one place,
and serve it over stdio, or TCP on 127.0.0.1."""

from __future__ import annotations

import gc
import logging
import sys

from . import commands, diagnostics, editing, evolution, generation, lifecycle, navigation
from .client_log import ClientLog
from .framing import FramedInput
from .protocol import SovereignProtocol
from .server import SovereignServer

FEATURES = (lifecycle, diagnostics, navigation, editing, commands, generation, evolution)
"""Each module registers its handlers on a server it is given."""
LOGGERS = (("sovereign", logging.DEBUG), ("pygls", logging.WARNING))


def create_server() -> SovereignServer:
    server = SovereignServer()
    for feature in FEATURES:
        feature.register(server)
    return server


def log_to_client(server: SovereignServer) -> ClientLog:
    """Send the server's log, and pygls' warnings, to the client and nowhere else: stderr is
    for crashes only."""
    to_client = ClientLog(server)
    for name, level in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(to_client)
        logger.propagate = False
    return to_client


def serve(tcp: bool = False, port: int = 2087) -> int:
    """Serve until the client says `exit` or goes away. The exit status is the LSP's: 0 after
    a `shutdown`, 1 otherwise (pygls swallows the SystemExit that would carry it)."""
    server = create_server()
    # Everything imported so far lives as long as the server: keep it out of every collection,
    # and collect less often, so that a full collection does not land on a keystroke.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log_to_client(server)
    if tcp:
        try:
            server.start_tcp("127.0.0.1", port)
        except OSError as error:  # the port is taken, or not ours to take
            print(f"sovereign lsp: cannot listen on 127.0.0.1:{port}: "
                  f"{error.strerror or error}", file=sys.stderr)
            return 1
    else:
        rpc_out = sys.stdout.buffer
        sys.stdout = sys.stderr  # a stray print() must never corrupt the JSON-RPC stream
        framed = FramedInput(sys.stdin.buffer)  # pygls reads only readline() and read()
        server.start_io(stdin=framed, stdout=rpc_out)  # type: ignore[arg-type]
    protocol = server.protocol
    assert isinstance(protocol, SovereignProtocol)
    return 0 if protocol.shut_down else 1
