"""How long the command line takes to start, as whole processes: `sovereign run` and
`sovereign check` of a program without LLM instructions, against `python -c pass` timed in
the same run (the least any Python command costs). Best of several runs.

The command is the `sovereign` script the package installs beside this Python, as a user
types it (`python -m sovereign` costs a few milliseconds more, for runpy), and it runs with
its bytecode cached, as pip leaves an installed package, even where PYTHONDONTWRITEBYTECODE
is set: compiling every module from source at each start is not what users meet.

    python benchmarks/cli_start.py [--repeats N]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

from timing import best

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "examples" / "hello.sov"
SOVEREIGN = Path(sys.executable).parent / "sovereign"
CACHING = {name: value for name, value in os.environ.items()
           if name != "PYTHONDONTWRITEBYTECODE"}


def process(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT, env=CACHING)


def main(repeats: int) -> dict[str, float]:
    """Time the baseline and each command in turn, round after round, so that a noisy minute
    weighs on all of them alike."""
    commands = {"baseline": (sys.executable, "-c", "pass"),
                **{name: (str(SOVEREIGN), name, str(HELLO)) for name in ("run", "check")}}
    seconds = dict.fromkeys(commands, math.inf)
    for _ in range(repeats):
        for name, argv in commands.items():
            seconds[name] = min(seconds[name], best(partial(process, *argv), 1))
    baseline = seconds.pop("baseline")
    print(f"python -c pass: {baseline * 1000:.0f} ms")
    ratios = {}
    for command, taken in seconds.items():
        ratios[command] = taken / baseline
        print(f"sovereign {command} hello.sov: {taken * 1000:.0f} ms, "
              f"{ratios[command]:.1f}x the baseline")
    return ratios


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    main(parser.parse_args().repeats)
