"""How long the search over small edits takes on a 200-line program, the quick fix's budget.

For each kind of mistake put into a generated 200-line program (a misspelt name, a division by
zero, a missing operand, a subtraction the wrong way round), it times the quick fix's work
(diagnosing the error, then searching) and prints it against the baseline measured in the same
run: one sandbox run of the same program. The ratio is what to trust on a noisy machine; the
milliseconds say whether the quick fix stays under a second here.

    python benchmarks/search_speed.py [--lines 200]
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import best

from sovereign.evolve.problem import diagnose
from sovereign.evolve.search import Searched, search
from sovereign.lang.assembler import assemble
from sovereign.vm.config import VMConfig
from sovereign.vm.sandbox import run_program

PIECE = """\
    PUSH #{n}
    STORE value{n}
    LOAD value{n}
    PUSH #3
    ADD
    STORE total{n}
    LOAD total{n}
    PRINT
"""
MISTAKES = {
    "misspelt name": ("    LOAD total{n}\n    PRINT", "    LOAD ttoal{n}\n    PRINT"),
    "division by zero": ("    PUSH #3\n    ADD", "    PUSH #0\n    DIV"),
    "missing operand": ("    LOAD value{n}\n    PUSH #3", "    PUSH #3"),
    "wrong way round": ("    LOAD total{n}\n    PRINT",
                        '    PUSH #0\n    LOAD total{n}\n    SUB\n    DUP\n    PRINT\n'
                        '    PUSH #0\n    GT\n    ASSERT "positive"'),
}


def generate(lines: int, mistake: str | None = None) -> str:
    """A clean program of about `lines` lines; with `mistake`, that mistake in its last
    quarter."""
    count = max(4, lines // PIECE.count("\n"))
    pieces = [PIECE.format(n=n) for n in range(1, count + 1)]
    if mistake is not None:
        at = count * 3 // 4
        right, wrong = MISTAKES[mistake]
        pieces[at] = pieces[at].replace(right.format(n=at + 1), wrong.format(n=at + 1))
    return '    PUSH "start"\n    PRINT\n' + "".join(pieces) + "    HALT\n"


def quick_fix(source: str) -> Searched:
    problem = diagnose(source)
    assert problem is not None and problem.code, "the mistake makes no error"
    return search(source, problem, VMConfig())


def main(lines: int, repeats: int = 5) -> None:
    clean = assemble(generate(lines)).program
    baseline = best(lambda: run_program(clean, VMConfig()), repeats)
    print(f"{lines}-line program: one sandbox run {baseline * 1000:.2f} ms (the baseline)")
    for mistake in MISTAKES:
        source = generate(lines, mistake)
        found = quick_fix(source)
        seconds = best(partial(quick_fix, source), repeats)
        outcome = f"repaired: {found.best.answer}" if found.best else f"refused: {found.reason}"
        print(f"  {mistake}: {seconds * 1000:.1f} ms, {seconds / baseline:.0f}x the baseline, "
              f"{found.tried} candidates; {outcome[:90]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200)
    main(parser.parse_args().lines)
