"""The LLMGEN evaluation runs in CI against the scripted server: code that loops, fails only
when run, or prints what the document does not expect is never offered, and the right code
after it always is, in the editor and in `sovereign run`."""

from __future__ import annotations

from tests.conftest import benchmark


async def test_no_wrong_code_is_offered_and_the_right_code_is() -> None:
    (editor, editor_tally), (runtime, runtime_tally) = await benchmark("llmgen_eval").main()
    assert editor_tally.cases >= 10
    for label, tally in ((editor, editor_tally), (runtime, runtime_tally)):
        assert tally.wrong_offered == 0, (label, tally.wrong)
        assert tally.right_accepted == tally.cases, label
