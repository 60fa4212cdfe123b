"""The servers for editors: `sovereign lsp`, the language server, on stdio (which LSP clients
ask for with --stdio) or TCP on 127.0.0.1; and `sovereign dap`, the debug adapter, on stdio."""

from __future__ import annotations

import argparse
import sys

from .parser import UNSUPPORTED_TRANSPORTS, dest


def lsp(args: argparse.Namespace) -> int:
    asked = [flag for flag in UNSUPPORTED_TRANSPORTS if getattr(args, dest(flag)) is not None]
    if asked or (args.stdio and args.tcp):
        what = asked[0] if asked else "--stdio together with --tcp"
        print(f"sovereign lsp: {what} is not supported: use stdio (the default, or --stdio) "
              "or --tcp [--port N]", file=sys.stderr)
        return 2
    from ..lsp.main import serve  # the server's dependencies load only for this command

    return serve(tcp=args.tcp, port=int(args.port))


def dap(args: argparse.Namespace) -> int:
    from ..dap.main import serve

    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # stdout carries the protocol: a stray print must not break it
    return serve(sys.stdin.buffer, stdout)
