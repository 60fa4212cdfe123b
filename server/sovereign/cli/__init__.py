"""The `sovereign` command: a thin face over the language core, the VM and the composition
root (host/). `parser.py` holds the command line; each command lives with the text it prints:
`programs.py` (check, run), `evolve.py`, `models.py` (models, doctor), `server.py` (lsp).

Exit status: 0 when all is well, 1 when a file does not assemble or a check finds errors (or a
file cannot be read), 2 when a program fails at run time or the command line is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from .parser import parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.command(args))
    except KeyboardInterrupt:
        return 130

