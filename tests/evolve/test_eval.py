"""The evaluation harness runs in CI against the scripted server: in every answer shape, every
right repair is accepted, and no wrong one is ever offered."""

from __future__ import annotations

from tests.conftest import benchmark


async def test_every_right_repair_is_accepted_and_no_wrong_one_offered() -> None:
    results = await benchmark("evolve_eval").main(None)
    assert len(results) == 3  # the block, the whole program, a diff
    for label, tally in results:
        assert tally.cases >= 20 and len(tally.categories) >= 12, label
        assert tally.wrong_offered == 0, (label, tally.wrong)
        assert tally.right_accepted == tally.offered_right == tally.cases, label


async def test_the_search_alone_repairs_some_cases_and_never_a_wrong_one() -> None:
    """Without `; expect:` lines most repairs are a guess, and refused; with them (the intended
    output stated) more are found. Never one that prints other than meant."""
    (_, plain), (_, stated) = await benchmark("evolve_eval").main(None, search_only=True)
    assert plain.cases >= 20 and len(plain.categories) >= 12
    assert plain.wrong_offered == stated.wrong_offered == 0, (plain.wrong, stated.wrong)
    assert plain.right_accepted >= 5 and stated.right_accepted >= 14
    assert max(plain.tried + stated.tried) <= 300  # the default candidate budget
