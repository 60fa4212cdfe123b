"""Every worked example the prompts show a model is run, and prints what its request says:
a model copies what it is shown."""

from __future__ import annotations

import pytest

from sovereign.generate.prompt import EXAMPLES
from sovereign.lang.assembler import assemble
from sovereign.vm.sandbox import run_program

MEANT = {
    "add 2 and 3 and print the result": ({}, "5\n"),
    "count n down to zero, printing each value (n is in memory)": (
        {"n": 3}, "3\n2\n1\n0\n"),
    "add 1..n into total (n is in memory)": ({"n": 4}, ""),
}


@pytest.mark.parametrize(("request_", "code"), EXAMPLES)
def test_each_worked_example_does_what_it_says(request_: str, code: str) -> None:
    memory, output = MEANT[request_]
    setup = "".join(f"    PUSH #{value}\n    STORE {name}\n" for name, value in memory.items())
    run = run_program(assemble(setup + code + "\n    HALT\n").program)
    assert run.halted and run.output == output
    if request_.startswith("add 1..n"):
        assert run.memory["total"] == 10


def test_counting_down_from_zero_or_less_stops_at_once() -> None:
    code = dict(EXAMPLES)["count n down to zero, printing each value (n is in memory)"]
    for start, output in ((0, "0\n"), (-2, "-2\n")):
        run = run_program(assemble(f"    PUSH #{start}\n    STORE n\n{code}\n    HALT\n").program)
        assert run.halted and run.output == output
