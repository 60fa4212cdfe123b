"""The `sovereign` command: a thin face over the language core, the VM and the composition
root (host/). `parser.py` holds the command line; each command lives with the text it prints:
`programs.py` (check, run), `evolve.py`, `models.py` (models, doctor), `server.py` (lsp).

Exit status: 0 when all is well, 1 when a file does not assemble or a check finds errors (or a
file cannot be read), 2 when a program fails at run time or the command line is wrong.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from .parser import parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "logs_to_client", False):  # the server logs to its client
        _notes_to_stderr()
    try:
        return int(args.command(args))
    except KeyboardInterrupt:
        return 130


def _notes_to_stderr() -> None:
    """The core's warnings (a model asked although not known to write code, a memory file
    moved aside) as one `note:` line each on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("note: %(message)s"))
    logger = logging.getLogger("sovereign")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
