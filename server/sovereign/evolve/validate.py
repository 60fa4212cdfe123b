"""Validating a repair by running it: a candidate replaces the block in a copy of the whole
document, and passes only if every one of these holds:

- it assembles, and adds no analysis error;
- it is not a pure deletion of the block's instructions (NOPs do not count as code), and adds
  no HALT (a repair that makes the error go away by not running the code is not a repair);
- run in the sandbox, the program has no runtime error at all: the original one is gone, no new
  one appeared, every ASSERT holds;
- the output agrees with what the program wrote before the original failure (one is the start
  of the other: a repair may stop a runaway earlier, or go on past the old failure);
- when the block used to fall through to the code after it, the program still gets there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..generate.validate import analysis_errors
from ..lang.assembler import assemble
from ..vm.config import VMConfig
from ..vm.sandbox import run_program
from .problem import Problem

FALLS_INTO_CALL = "return outside a call"
"""The one category where the repair is to stop before the code after the block: the block
ran on into a subroutine's RET. There a HALT is the fix, and not reaching on is the point."""

REACHED = "evolve.reached"
"""A memory name the sandbox run stores when control passes the end of the block."""

_TRANSFERS = ("JMP", "RET", "HALT")


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str = ""
    output: str = ""
    """What the sandbox run of the repaired program printed (when it ran)."""


def replace_block(source: str, first: int, last: int, replacement: str) -> str:
    lines = source.split("\n")
    return "\n".join(lines[:first] + replacement.split("\n") + lines[last + 1:])


def check_repair(source: str, problem: Problem, replacement: str,
                 config: VMConfig | None = None) -> Check:
    lines = source.split("\n")
    original = "\n".join(lines[problem.first:problem.last + 1])
    candidate = replace_block(source, problem.first, problem.last, replacement)
    assembly = assemble(candidate)
    if not assembly.ok:
        first = next(f for f in assembly.findings if f.is_error)
        return Check(False, f"does not assemble: {first.message}")
    added = analysis_errors(assembly) - analysis_errors(assemble(source))
    if added:
        return Check(False, f"adds an analysis error: {next(iter(added.elements()))}")
    before, after = instructions(original), instructions(replacement)
    kept = [op for op in after if op != "NOP"]
    if after != before and _is_subsequence(kept, before):
        return Check(False, "only deletes code")
    if after.count("HALT") > before.count("HALT") and problem.category != FALLS_INTO_CALL:
        return Check(False, "stops the program with HALT")
    probe = _with_probe(source, problem, replacement, before)
    program = assembly.program if probe is None else assemble(probe).program
    result = run_program(program, config or VMConfig())
    if (failed := result.failed) is not None:
        still = "still fails" if failed.error.code == problem.code else "fails"
        return Check(False, f"{still} when run: {failed.error.kind}: {failed.error.message}")
    if not (result.output.startswith(problem.output) or problem.output.startswith(result.output)):
        return Check(False, "changes the output the program wrote before the failure")
    if probe is not None and REACHED not in result.memory and result.stopped_at is None \
            and problem.category != FALLS_INTO_CALL:
        return Check(False, "no longer reaches the code after the block")
    return Check(True, output=result.output)


def _with_probe(source: str, problem: Problem, replacement: str,
                original: list[str]) -> str | None:
    """The candidate with a store after the block, when the block (`original`, its
    instructions before the repair) used to fall through to more code; else None."""
    falls_through = original and original[-1].split()[0] not in _TRANSFERS
    rest = [line for line in source.split("\n")[problem.last + 1:] if line.strip()]
    if not falls_through or not rest:
        return None
    probe = f'{replacement}\n    PUSH #1\n    STORE "{REACHED}"'
    return replace_block(source, problem.first, problem.last, probe)


def instructions(block: str) -> list[str]:
    """The block's instructions, as opcode and operand, without labels or comments: what two
    blocks must share to do the same thing."""
    program = assemble(block).program
    return [f"{i.op} {i.arg}" if i.arg is not None else i.op for i in program.code]


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    remaining = iter(long)
    return all(item in remaining for item in short)
