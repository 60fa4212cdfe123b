"""`sovereign evolve`: the repair as a unified diff with who wrote it, its confidence and the
candidates that were refused, or why there is none; with --history, what the pattern memory
has learned."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys
from pathlib import Path

from ..candidates.judge import printed
from ..evolve.engine import Repair, SearchUse
from ..evolve.memory import PatternMemory
from ..evolve.problem import Problem, diagnose
from ..host.services import LLMConfig, build
from ..lang.assembler import assemble
from .notes import notes_to_stderr
from .parser import llm_config, read


def evolve(args: argparse.Namespace) -> int:
    notes_to_stderr()
    if args.history:
        print(history())
        return 0
    if args.file is None:
        print("sovereign evolve: give a FILE (or --history)", file=sys.stderr)
        return 2
    source = read(args.file)
    if source is None:
        return 1
    text, status = asyncio.run(evolve_file(args.file, source, llm_config(args),
                                           args.instruction, args.write, args.search))
    print(text)
    return status


async def evolve_file(path: str, source: bytes, config: LLMConfig, instruction: str,
                      write: bool, search: SearchUse = "first") -> tuple[str, int]:
    """The report and the exit status: 0 repaired (or nothing to repair), 1 no repair."""
    text = source.decode("utf-8", "replace")
    if not assemble(text).ok:
        return f"{path}: does not assemble; run `sovereign check {path}` first", 1
    problem = diagnose(text)
    if problem is None and not instruction:
        return f"{path}: nothing to repair (give --instruction to ask for a change)", 0
    if problem is None:
        last = max(0, len(text.split("\n")) - 1)
        problem = Problem("requested change", "", instruction, 0, 0, last)
    services = build(config)
    try:
        outcome = await services.evolver.evolve(text, problem, instruction, search=search)
    finally:
        await services.close()
    if not isinstance(outcome, Repair):
        lines = [f"{path}: no repair for {problem.category}: {outcome.reason}"]
        return "\n".join(lines + [f"  {c.why}" for c in outcome.candidates if not c.ok]), 1
    diff = "".join(difflib.unified_diff(
        text.splitlines(keepends=True), outcome.document.splitlines(keepends=True),
        fromfile=str(path), tofile=f"{path} (evolved)"))
    summary = (f"{problem.category} on line {problem.line + 1}: repaired by {outcome.by}, "
               f"confidence {outcome.confidence:.2f}; the sandbox ran it: "
               f"{printed(outcome.output)}")
    rejected = [f"  rejected {c.why}" for c in outcome.candidates if not c.ok]
    summary = "\n".join([summary, *rejected])
    if write:
        Path(path).write_text(outcome.document, encoding="utf-8")
        summary += f"\nwritten to {path}"
    return f"{diff}\n{summary}", 0


def history() -> str:
    memory = PatternMemory()
    try:
        rows = memory.history()
    finally:
        memory.close()
    if not rows:
        return f"the pattern memory ({memory.path}) is empty"
    lines = [f"{memory.path}:"]
    for pattern, worked, tried in rows:
        first = pattern.key.split("\n")[0]
        lines.append(f"  #{pattern.id} {pattern.category}: seen {pattern.seen}x, "
                     f"{worked}/{tried} fixes worked  [{first} ...]")
    return "\n".join(lines)
