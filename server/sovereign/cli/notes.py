"""The core's warnings (a model asked although not known to write code, a memory file moved
aside, a server that refuses structured output) as one `note:` line each on stderr.

Only the commands that reach the LLM layer or the pattern memory install it: nothing else
logs, and `sovereign run` of a plain program does not pay for importing logging.
"""

from __future__ import annotations

import logging
import sys


def notes_to_stderr() -> None:
    logger = logging.getLogger("sovereign")
    if any(getattr(h, "sovereign_notes", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("note: %(message)s"))
    handler.sovereign_notes = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
