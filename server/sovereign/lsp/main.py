"""`sovereign lsp`: start the language server over stdio, or TCP on 127.0.0.1."""

from __future__ import annotations

import gc
import logging
import sys

from . import (  # noqa: F401  (their handlers register themselves)
    commands,
    diagnostics,
    editing,
    evolution,
    generation,
    lifecycle,
    navigation,
)
from .client_log import ClientLog
from .server import SERVER


def serve(tcp: bool = False, port: int = 2087) -> None:
    # Everything imported so far lives as long as the server: keep it out of every collection,
    # and collect less often, so that a full collection does not land on a keystroke.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    to_client = ClientLog(SERVER)
    for name, level in (("sovereign", logging.DEBUG), ("pygls", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(to_client)
        logger.propagate = False  # stderr is for crashes only
    if tcp:
        SERVER.start_tcp("127.0.0.1", port)
        return
    rpc_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must never corrupt the JSON-RPC stream
    SERVER.start_io(stdout=rpc_out)
