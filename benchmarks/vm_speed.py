"""How fast the VM runs, against the same algorithms in plain Python timed in the same run.

Prints, for each program, the VM's time, the plain-Python time, their ratio (and the ratio
of the first run alone, which compiles the hot code) and the VM's instructions per second;
and the reference interpreter's ratio on a smaller count, to show what compiling hot blocks
buys. Every limit is enforced (the `sovereign run` defaults) and every
runtime error would still carry its exact line. Best of several runs, since machines are noisy.

    python benchmarks/vm_speed.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sovereign.lang.assembler import Program, assemble
from sovereign.vm.config import VMConfig
from sovereign.vm.machine import Halted, Machine
from timing import best

REPEATS = 5

COUNTING_LOOP = """
    PUSH #0
    STORE sum
    PUSH #1
    STORE i
loop:
    LOAD sum
    LOAD i
    ADD
    STORE sum
    LOAD i
    PUSH #1
    ADD
    DUP
    STORE i
    PUSH #{n}
    LE
    JNZ loop
    LOAD sum
    PRINT
"""

FIB = """
    PUSH #{n}
    CALL fib
    PRINT
    HALT
fib:                    ; ( n -- fib(n) )
    DUP
    PUSH #2
    LT
    JNZ done
    DUP
    PUSH #1
    SUB
    CALL fib
    SWAP
    PUSH #2
    SUB
    CALL fib
    ADD
done:
    RET
"""

NESTED = """
    PUSH #0
    STORE acc
    PUSH #0
    STORE i
outer:
    PUSH #0
    STORE j
inner:
    LOAD i
    LOAD j
    MUL
    PUSH #7
    MOD
    LOAD acc
    ADD
    STORE acc
    LOAD j
    PUSH #1
    ADD
    DUP
    STORE j
    PUSH #{n}
    LT
    JNZ inner
    LOAD i
    PUSH #1
    ADD
    DUP
    STORE i
    PUSH #{n}
    LT
    JNZ outer
    LOAD acc
    PRINT
"""


STRINGS = """
    PUSH ""
    STORE text
    PUSH #0
    STORE i
loop:
    LOAD text
    PUSH "ab"
    ADD
    STORE text
    LOAD i
    PUSH #1
    ADD
    DUP
    STORE i
    PUSH #{n}
    LT
    JNZ loop
    LOAD text
    PRINT
"""


def python_strings(n: int) -> str:
    text, i = "", 0
    while i < n:
        text = text + "ab"
        i += 1
    return text


def python_counting_loop(n: int) -> int:
    total, i = 0, 1
    while i <= n:
        total += i
        i += 1
    return total


def python_fib(n: int) -> int:
    return n if n < 2 else python_fib(n - 1) + python_fib(n - 2)


def python_nested(n: int) -> int:
    acc = 0
    for i in range(n):
        for j in range(n):
            acc += i * j % 7
    return acc


def run_vm(program: Program, compiled: bool, expected: object) -> int:
    machine = Machine(program, VMConfig.run_defaults(), compiled=compiled)
    assert machine.run() == Halted()
    assert machine.output == [str(expected)], machine.output
    return machine.steps


def measure(name: str, source: str, n: int, python: Callable[[int], object]) -> None:
    """The best of several runs, and the first alone: later runs of the same program reuse
    the Python compile of its hot code (compiler.py, `_bytecode`), as the editor's sandbox
    does when it runs a document again."""
    assembly = assemble(source.format(n=n))
    assert assembly.ok, assembly.findings
    expected = python(n)
    started = time.perf_counter()
    steps = run_vm(assembly.program, True, expected)
    first = time.perf_counter() - started
    vm = best(lambda: run_vm(assembly.program, True, expected), REPEATS)
    plain = best(lambda: python(n), REPEATS)
    print(f"{name:<28} {vm * 1000:9.1f} ms {plain * 1000:9.1f} ms {vm / plain:7.1f}x "
          f"{first / plain:7.1f}x {steps / vm / 1e6:8.1f} M instr/s")


def reference_ratio(source: str, n: int, python: Callable[[int], int]) -> float:
    assembly = assemble(source.format(n=n))
    expected = python(n)
    vm = best(lambda: run_vm(assembly.program, False, expected), REPEATS)
    return vm / best(lambda: python(n), REPEATS)


def main() -> None:
    print(f"{'program':<28} {'VM':>12} {'Python':>12} {'ratio':>8} {'first':>8} {'speed':>16}")
    measure("counting loop 1..1,000,000", COUNTING_LOOP, 1_000_000, python_counting_loop)
    measure("recursive fib(25)", FIB, 25, python_fib)
    measure("nested MUL/MOD loop 300x300", NESTED, 300, python_nested)
    measure("string building, 5,000 ADDs", STRINGS, 5_000, python_strings)
    ratio = reference_ratio(COUNTING_LOOP, 100_000, python_counting_loop)
    print(f"reference interpreter alone, counting loop 1..100,000: {ratio:.1f}x Python")


if __name__ == "__main__":
    main()
