"""The client's input, checked as pygls reads the LSP's framing from it.

pygls skips any header line it does not understand. Once a message's Content-Length is wrong
(negative, missing, or longer than its body), the next message's header is read as body, the
framing is lost for good, and the server stays alive but deaf: the client waits forever. A
header line that is not one the LSP defines therefore ends the server, with a message on
stderr and status 1, so that the client sees it stop and restarts it.
"""

from __future__ import annotations

import re
import sys
from typing import BinaryIO

HEADER = re.compile(rb"(Content-Length: [0-9]{1,12}|Content-Type: [^\r\n]*)?\r\n")
"""The header lines of the LSP's base protocol, and the blank line that ends them."""


class FramedInput:
    """`raw` as pygls reads it: `readline` for headers, `read` for bodies."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def readline(self) -> bytes:
        line = self.raw.readline()
        if line and not HEADER.fullmatch(line):
            print(f"sovereign lsp: the client's message framing is broken (a header line "
                  f"{line[:80]!r}): stopping, so that the client can start the server again",
                  file=sys.stderr)
            raise SystemExit(1)
        return line

    def read(self, size: int) -> bytes:
        return self.raw.read(size)
