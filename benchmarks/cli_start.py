"""How long the command line takes to start, as whole processes: `sovereign run` and
`sovereign check` of a program without LLM instructions, against `python -c pass` timed in
the same run (the least any Python command costs). Best of several runs.

    python benchmarks/cli_start.py [--repeats N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from functools import partial
from pathlib import Path

from timing import best

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "examples" / "hello.sov"


def process(*args: str) -> None:
    subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT)


def main(repeats: int) -> dict[str, float]:
    baseline = best(partial(process, "-c", "pass"), repeats)
    print(f"python -c pass: {baseline * 1000:.0f} ms")
    ratios = {}
    for command in ("run", "check"):
        seconds = best(partial(process, "-m", "sovereign", command, str(HELLO)), repeats)
        ratios[command] = seconds / baseline
        print(f"sovereign {command} hello.sov: {seconds * 1000:.0f} ms, "
              f"{ratios[command]:.1f}x the baseline")
    return ratios


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    main(parser.parse_args().repeats)
