"""The small edits the repair search tries (search.py), each a change of a few lines.

Most mistakes in a small stack program are one edit away from right: two operands in the wrong
order, a comparison off by one, a constant off by one, a name misspelt, a divisor that needs a
guard, a value missing on the stack, a subroutine the main code runs on into, a jump to the
wrong label, a recursion without a base case. Each function below proposes the edits of one
kind at the places near the failure (`Site.near`): the failing instruction (distance 0), its
block (1), and the lines that feed it (2: where the names it loads are stored, the calls of
its subroutine; and the jumps into its block, whose targets only are edited). No edit touches
an ASSERT or the condition it tests (the user's specification), and none changes a constant
the program stores as data: making the error go away by changing the program's input is
changing the question, not the answer.

Proposing is cheap and judges nothing: every edit becomes a candidate document that the
judge runs like any model's answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..candidates.judge import specification
from ..lang.assembler import Instruction, Program
from ..lang.opcodes import BRANCHES
from .problem import Problem

FLIPS = {"LT": ("LE", "GT", "GE"), "LE": ("LT", "GE", "GT"), "GT": ("GE", "LT", "LE"),
         "GE": ("GT", "LE", "LT"), "EQ": ("NE",), "NE": ("EQ",), "JZ": ("JNZ",),
         "JNZ": ("JZ",)}
"""What each comparison or conditional jump may be flipped to, the nearest first."""
BINARY = frozenset({"ADD", "SUB", "MUL", "DIV", "MOD", "LT", "LE", "GT", "GE", "EQ", "NE",
                    "AND", "OR"})
"""Opcodes whose two operands a SWAP before them exchanges."""
NAME_DISTANCE = 2
"""How far (in edits) a stored name may be from a misspelt one to replace it."""
MOST_DEFAULTS = 3
MOST_TARGETS = 3
MOST_NAMES = 6
"""Names equally near a misspelt one that are all tried; with more, which is meant is a
guess the search does not make (trying only some would hide that they disagree)."""


@dataclass(frozen=True)
class Edit:
    """Replace lines first..last (inclusive; last = first - 1 inserts before `first`) with
    `lines`. `what` says it in words; `distance` is how far from the failure it is."""

    kind: str
    first: int
    last: int
    lines: tuple[str, ...]
    what: str
    distance: int

    @property
    def group(self) -> tuple[str, int, int]:
        """Edits of one kind at one place: variants of each other (another constant)."""
        return self.kind, self.first, self.last

    @property
    def delta(self) -> int:
        """How many lines the edit adds (negative: removes)."""
        return len(self.lines) - (self.last - self.first + 1)

    def conflicts(self, other: Edit) -> bool:
        """Whether the two touch the same lines, so that they cannot both be made."""
        return self.first == other.first or not (self.last < other.first or
                                                 other.last < self.first)


@dataclass(frozen=True)
class Site:
    """What edits are made from: the document's lines, its program, the problem, the failing
    instruction, how near each instruction is to it, and what no edit may touch."""

    texts: tuple[str, ...]
    program: Program
    problem: Problem
    failing: int
    near: dict[int, int]
    fixed: frozenset[int]
    entering: frozenset[int]
    """The jumps into the failing block. Only their targets are edited: flipping the test
    before one would make the failing code not run, which hides the error, not repairs it."""

    def instruction(self, index: int) -> Instruction:
        return self.program.code[index]


def site(texts: Sequence[str], program: Program, problem: Problem) -> Site | None:
    """The site of `problem` in an assembled program, or None if no instruction is there."""
    code = program.code
    failing = next((n for n, i in enumerate(code) if i.line == problem.line), None)
    if failing is None:
        return None
    near = {n: 1 for n, i in enumerate(code) if problem.first <= i.line <= problem.last}
    block = sorted(near)
    for index in _feeders(program, block):
        near.setdefault(index, 2)
    near[failing] = 0
    return Site(tuple(texts), program, problem, failing, near, specification(program),
                _entered(program, block))


def _feeders(program: Program, block: list[int]) -> list[int]:
    """The instructions that feed the block: each STORE of a name it loads and the
    instruction before that STORE; each CALL of the subroutine it is and the one before."""
    code = program.code
    loaded = {code[n].arg for n in block if code[n].op == "LOAD"}
    entries = set(block) & set(program.labels.values())
    found: list[int] = []
    for index, instruction in enumerate(code):
        stores = instruction.op == "STORE" and instruction.arg in loaded
        calls = instruction.op == "CALL" and program.targets[index] in entries
        if stores or calls:
            found += [index - 1, index] if index > 0 else [index]
    return found


def _entered(program: Program, block: list[int]) -> frozenset[int]:
    """The jumps into the block from outside it: where control flow feeds it."""
    entries = set(block) & set(program.labels.values())
    return frozenset(n for n, target in enumerate(program.targets)
                     if target in entries and n not in block and program.code[n].op in BRANCHES)


def edits(at: Site) -> Iterator[Edit]:
    """Every edit of every kind at the site, each kind's nearest first."""
    for propose in (swaps, flips, constants, names, guards, stack_fixes, stops, targets,
                    base_cases):
        yield from propose(at)


def swaps(at: Site) -> Iterator[Edit]:
    """Exchange two operands: a SWAP inserted before a binary operation, or one removed."""
    for index, distance in _nearest(at):
        instruction = at.instruction(index)
        if instruction.op in BINARY:
            yield _insert(at, "swap", index, ["SWAP"], f"insert SWAP before the {instruction.op} "
                          f"on line {instruction.line + 1}", distance)
        elif instruction.op == "SWAP":
            yield _remove(at, "swap", index, distance)


def flips(at: Site) -> Iterator[Edit]:
    """A comparison or a conditional jump flipped (LT to LE, GT or GE; EQ to NE; JZ to JNZ)."""
    for index, distance in _nearest(at):
        instruction = at.instruction(index)
        for other in FLIPS.get(instruction.op, ()):
            statement = other if instruction.arg is None else f"{other} {instruction.arg}"
            yield _rewrite(at, "flip", index, statement, distance)


def constants(at: Site) -> Iterator[Edit]:
    """An integer operand one more or less, or 0 or 1; a number written as a string written as
    the integer. Not a value the program stores: that is its input, not its logic."""
    code = at.program.code
    for index, distance in _nearest(at):
        instruction = at.instruction(index)
        if instruction.op != "PUSH":
            continue
        value = instruction.arg
        if isinstance(value, str):
            if _is_integer(value):
                yield _rewrite(at, "type", index, f"PUSH #{int(value)}", distance)
            continue
        stored = index + 1 < len(code) and code[index + 1].op == "STORE"
        if isinstance(value, int) and not stored:
            for other in dict.fromkeys((value - 1, value + 1, 0, 1)):
                if other != value:
                    yield _rewrite(at, "constant", index, f"PUSH #{other}", distance)


def names(at: Site) -> Iterator[Edit]:
    """A name loaded but never stored replaced by the nearest stored one (fewest edits, case
    aside); a name stored but never loaded renamed to a near one that is loaded."""
    code = at.program.code
    stored = sorted({str(i.arg) for i in code if i.op == "STORE"})
    loaded = sorted({str(i.arg) for i in code if i.op == "LOAD"})
    for index, instruction in enumerate(code):
        name = str(instruction.arg)
        if instruction.op == "LOAD" and name not in stored:
            choices = stored
        elif instruction.op == "STORE" and name not in loaded:
            choices = [n for n in loaded if n not in stored]
        else:
            continue
        distance = at.near.get(index, 2)
        for other in _closest(name, choices):
            yield _rewrite(at, "name", index, f"{instruction.op} {other}", distance)


def guards(at: Site) -> Iterator[Edit]:
    """A guard before a failing DIV or MOD: when the divisor is 0, both operands are dropped
    and a default stands for the result, taken from the program's own constants (0 first)."""
    instruction = at.instruction(at.failing)
    if instruction.op not in ("DIV", "MOD") or _labelled(at, instruction):
        return
    indent = _indent(at.texts, instruction.line)
    ok, done = _fresh(at.program, "divisor_ok"), _fresh(at.program, "divided")
    for default in _defaults(at.program):
        lines = [f"{indent}DUP", f"{indent}JNZ {ok}", f"{indent}POP", f"{indent}POP",
                 f"{indent}PUSH #{default}", f"{indent}JMP {done}", f"{ok}:",
                 at.texts[instruction.line], f"{done}:"]
        yield Edit("guard", instruction.line, instruction.line, tuple(lines),
                   f"guard the {instruction.op} on line {instruction.line + 1}: {default} when "
                   "the divisor is 0", 0)


def stack_fixes(at: Site) -> Iterator[Edit]:
    """A value the stack lacks (DUP, or a constant, pushed before the failing instruction or
    before the calls of its subroutine), or one it keeps too many of (a DUP removed, or a POP
    after it)."""
    code = at.program.code
    if at.problem.code in ("R302", "S204"):
        calls = sorted(n for n, d in at.near.items() if d == 2 and code[n].op == "CALL")
        sites = [at.failing, *calls]
        for index in sites:
            distance = at.near[index]
            yield _insert(at, "insert", index, ["DUP"], f"insert DUP before line "
                          f"{code[index].line + 1}", distance)
            for value in _defaults(at.program):
                yield _insert(at, "insert", index, [f"PUSH #{value}"],
                              f"insert PUSH #{value} before line {code[index].line + 1}",
                              distance)
    elif at.problem.code == "R303":
        for index, distance in _nearest(at):
            if code[index].op == "DUP":
                yield _remove(at, "remove", index, distance)
                yield _insert(at, "insert", index + 1, ["POP"], f"insert POP after the DUP on "
                              f"line {code[index].line + 1}", distance)


def stops(at: Site) -> Iterator[Edit]:
    """A HALT (or a RET, for a subroutine) where control runs on into a subroutine."""
    if at.problem.code not in ("R308", "S209"):
        return
    line = at.problem.last
    indent = _indent(at.texts, line)
    for op in ("HALT", "RET"):
        yield Edit("stop", line + 1, line, (f"{indent}{op}",),
                   f"insert {op} after line {line + 1}, before the subroutine", 0)


def targets(at: Site) -> Iterator[Edit]:
    """A jump near the failure or into its block sent to another label, the nearest labels
    first; never forward past the failing instruction, which would only skip it."""
    program = at.program
    entering = [(index, 2) for index in sorted(at.entering - at.near.keys())]
    for index, distance in [*_nearest(at), *entering]:
        instruction = at.instruction(index)
        if instruction.op not in BRANCHES:
            continue
        spans = program.label_spans
        others = sorted((name for name in spans if name != instruction.arg and
                         not index < at.failing < program.labels[name]),
                        key=lambda name: (abs(spans[name].line - instruction.line), name))
        for other in others[:MOST_TARGETS]:
            yield _rewrite(at, "target", index, f"{instruction.op} {other}", distance)


def base_cases(at: Site) -> Iterator[Edit]:
    """A base case for a runaway recursion, at the top of the subroutine: while its argument
    is more than 0 (or 1) it recurses; otherwise it returns, leaving the argument, nothing, or
    0 in its place."""
    if at.problem.code != "R307":
        return
    program = at.program
    entry = max((index for index in program.labels.values() if index <= at.failing),
                default=None)
    if entry is None or entry >= len(program.code):
        return
    first = at.instruction(entry)
    if _labelled(at, first):
        return
    indent = _indent(at.texts, first.line)
    go = _fresh(program, "recurse")
    for bound in (0, 1):
        for ending, leaves in ((["POP", "RET"], "nothing"), (["RET"], "its argument"),
                               (["POP", "PUSH #0", "RET"], "0")):
            lines = [f"{indent}DUP", f"{indent}PUSH #{bound}", f"{indent}GT",
                     f"{indent}JNZ {go}", *(indent + op for op in ending), f"{go}:"]
            yield Edit("base case", first.line, first.line - 1, tuple(lines),
                       f"a base case on line {first.line + 1}: at {bound} or less, return "
                       f"leaving {leaves}", 0)


def _nearest(at: Site) -> list[tuple[int, int]]:
    """The editable instructions near the failure, the nearest first."""
    return sorted(((index, distance) for index, distance in at.near.items()
                   if index not in at.fixed), key=lambda pair: (pair[1], pair[0]))


def _rewrite(at: Site, kind: str, index: int, statement: str, distance: int) -> Edit:
    """The instruction at `index` written as `statement`, its label and comment kept."""
    instruction = at.instruction(index)
    text = at.texts[instruction.line]
    was = text[instruction.col:instruction.end]
    new = text[:instruction.col] + statement + text[instruction.end:]
    return Edit(kind, instruction.line, instruction.line, (new,),
                f"{was} → {statement} on line {instruction.line + 1}", distance)


def _insert(at: Site, kind: str, index: int, statements: list[str], what: str,
            distance: int) -> Edit:
    """`statements` on new lines before the instruction at `index` (or at the end)."""
    code = at.program.code
    line = code[index].line if index < len(code) else len(at.texts)
    if index < len(code) and _labelled(at, code[index]):
        line += 1  # after a label that shares the line, it would move the label: go below
    indent = _indent(at.texts, min(line, len(at.texts) - 1))
    return Edit(kind, line, line - 1, tuple(indent + s for s in statements), what, distance)


def _remove(at: Site, kind: str, index: int, distance: int) -> Edit:
    """The instruction at `index` taken out; its line stays if a label or comment is on it."""
    instruction = at.instruction(index)
    text = at.texts[instruction.line]
    rest = (text[:instruction.col] + text[instruction.end:]).rstrip()
    lines = (rest,) if rest.strip() else ()
    return Edit(kind, instruction.line, instruction.line, lines,
                f"remove the {instruction.op} on line {instruction.line + 1}", distance)


def _labelled(at: Site, instruction: Instruction) -> bool:
    """Whether a label stands on the instruction's own line."""
    return bool(at.texts[instruction.line][:instruction.col].strip())


def _indent(texts: Sequence[str], line: int) -> str:
    text = texts[line] if 0 <= line < len(texts) else ""
    indent = text[:len(text) - len(text.lstrip())]
    return indent if indent and ":" not in text.split(";")[0] else "    "


def _fresh(program: Program, base: str) -> str:
    """A label the program does not have yet."""
    name, number = base, 1
    while name in program.labels:
        number += 1
        name = f"{base}{number}"
    return name


def _defaults(program: Program) -> list[int]:
    """0 and 1, then the program's own integer constants, the smallest first: always two, so
    that a made-up value that reaches the output shows as two outputs."""
    values = {i.arg for i in program.code if i.op == "PUSH" and isinstance(i.arg, int)}
    ordered = sorted(values - {0, 1}, key=lambda v: (abs(v), v))
    return [0, 1, *ordered][:MOST_DEFAULTS]


def _is_integer(text: str) -> bool:
    return text.strip() == text and text.lstrip("-").isdigit() and len(text) < 19


def _closest(name: str, choices: Sequence[str]) -> list[str]:
    """Every choice nearest to `name` (case aside), if within NAME_DISTANCE edits and no more
    than MOST_NAMES: a name one edit away is what was meant before one two edits away, and
    each equally near one must be tried for the search to see whether they disagree."""
    scored = sorted((_distance(name.casefold(), c.casefold()), c) for c in choices if c != name)
    nearest = scored[0][0] if scored else NAME_DISTANCE + 1
    closest = [c for d, c in scored if d == nearest <= NAME_DISTANCE]
    return closest if len(closest) <= MOST_NAMES else []


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, with a transposition counting as one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]

