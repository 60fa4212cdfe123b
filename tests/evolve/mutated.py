"""Random small programs that run cleanly, and one random mistake put into each: what the
search's property test (test_search.py) repairs.

The programs are made of the pieces real ones are: arithmetic on stored values, a comparison
that decides a branch, a counting loop, a subroutine call, an ASSERT. The mistakes are the
ones people make, at any instruction: two operands swapped, a comparison or a test flipped, a
constant off by one or zeroed, a stored value changed or written as a string, a name
misspelt, a copy added or lost, a jump to the wrong label, the HALT before the subroutines
forgotten.
"""

from __future__ import annotations

from hypothesis import strategies as st

from sovereign.lang.assembler import assemble

_OPS = ("ADD", "SUB", "MUL", "DIV", "MOD")
_COMPARISONS = ("LT", "LE", "GT", "GE", "EQ", "NE")
_FLIPS = {"LT": "GE", "LE": "GT", "GT": "LE", "GE": "LT", "EQ": "NE", "NE": "EQ",
          "JZ": "JNZ", "JNZ": "JZ"}
_SUBROUTINES = {"square": ["square:", "    DUP", "    MUL", "    RET"],
                "less": ["less:", "    PUSH #1", "    SUB", "    RET"]}


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A program that halts without an error and prints something."""
    count, step = draw(st.integers(1, 20)), draw(st.integers(1, 9))
    lines = ['    PUSH "go"', "    PRINT", f"    PUSH #{count}", "    STORE count",
             f"    PUSH #{step}", "    STORE step"]
    called: list[str] = []
    for number in range(draw(st.integers(2, 5))):
        lines += draw(_piece(number, called))
    lines.append("    HALT")
    for name in dict.fromkeys(called):
        lines += _SUBROUTINES[name]
    return "\n".join(lines) + "\n"


def _piece(number: int, called: list[str]) -> st.SearchStrategy[list[str]]:
    constant = st.integers(1, 9)
    arithmetic = st.sampled_from(_OPS).map(
        lambda op: ["    LOAD count", "    LOAD step", f"    {op}", "    PRINT"])
    stored = st.tuples(st.sampled_from(_OPS), constant).map(
        lambda p: ["    LOAD count", f"    PUSH #{p[1]}", f"    {p[0]}", "    STORE result",
                   "    LOAD result", "    PRINT"])
    branch = st.tuples(st.sampled_from(_COMPARISONS), constant).map(
        lambda p: ["    LOAD count", f"    PUSH #{p[1]}", f"    {p[0]}", f"    JZ skip{number}",
                   f'    PUSH "yes {number}"', "    PRINT", f"skip{number}:"])
    loop = st.integers(1, 4).map(
        lambda n: [f"    PUSH #{n}", f"    STORE round{number}", f"loop{number}:",
                   f"    LOAD round{number}", "    PRINT", f"    LOAD round{number}",
                   "    PUSH #1", "    SUB", "    DUP", f"    STORE round{number}",
                   f"    JNZ loop{number}"])
    call = st.sampled_from(sorted(_SUBROUTINES)).map(
        lambda name: (called.append(name), ["    LOAD count", f"    CALL {name}",
                                            "    PRINT"])[1])
    check = st.just(["    LOAD count", "    PUSH #0", "    GT", '    ASSERT "count is positive"'])
    ordered = st.just(["    LOAD step", "    LOAD count", "    SWAP", "    SUB", "    PRINT"])
    return st.one_of(arithmetic, stored, branch, loop, call, check, ordered)


@st.composite
def mistakes(draw: st.DrawFn, source: str) -> str:
    """`source` with one mistake in one line."""
    lines = source.rstrip("\n").split("\n")
    code = assemble(source).program.code
    labels = sorted(assemble(source).program.labels)
    index = draw(st.integers(0, len(code) - 1))
    instruction = code[index]
    line = instruction.line
    op, arg = instruction.op, instruction.arg
    options: list[list[str]] = []
    if op in _OPS or op in _COMPARISONS:
        options.append(["    SWAP", lines[line]])
    if op in _FLIPS:
        options.append([lines[line].replace(op, _FLIPS[op], 1)])
    if op == "PUSH" and isinstance(arg, int):
        options += [[f"    PUSH #{arg + 1}"], [f"    PUSH #{arg - 1}"], ["    PUSH #0"],
                    [f'    PUSH "{arg}"']]
    if op in ("LOAD", "STORE") and isinstance(arg, str) and len(arg) > 2:
        misspelt = arg[0] + arg[2] + arg[1] + arg[3:]
        options += [[f"    {op} {misspelt}"], [f"    {op} {arg[:-1]}"]]
    if op in ("JMP", "JZ", "JNZ"):
        options += [[f"    {op} {other}"] for other in labels if other != arg][:2]
    if op in ("DUP", "SWAP", "HALT"):
        options.append([])
    options.append(["    DUP", lines[line]])
    replacement = draw(st.sampled_from(options))
    return "\n".join(lines[:line] + replacement + lines[line + 1:]) + "\n"
