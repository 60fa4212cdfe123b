"""The evaluation harness runs in CI against the scripted server: every case is repaired, and
no wrong fix is ever offered."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import ROOT


async def test_the_harness_finds_every_fix_and_offers_no_wrong_one() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("evolve_eval",
                                                  ROOT / "benchmarks" / "evolve_eval.py")
    assert spec is not None and spec.loader is not None
    harness = importlib.util.module_from_spec(spec)
    sys.modules["evolve_eval"] = harness  # its dataclasses look their module up there
    spec.loader.exec_module(harness)
    ((_, tally),) = await harness.main(None)
    assert tally.cases >= 12 and len(tally.categories) >= 12
    assert tally.found == tally.cases
    assert tally.wrong == 0
