"""Taking the code out of answers as real models write them."""

from __future__ import annotations

import pytest

from sovereign.candidates.extract import MAX_ANSWER, extract_code


@pytest.mark.parametrize(("answer", "code"), [
    ("PUSH #1\nPRINT", "PUSH #1\nPRINT"),
    ("Here you go:\n```sovereign\nPUSH #1\nPRINT\n```\nThis prints 1.", "PUSH #1\nPRINT"),
    ("```\n    PUSH #2\n    PRINT\n```", "PUSH #2\nPRINT"),
    ("PUSH #3<|endoftext|>", "PUSH #3"),
    ("<file_sep>PUSH #4\nPRINT<|im_end|>\n\n", "PUSH #4\nPRINT"),
    ("```asm\nNOP\n", "NOP"),
    ("Sure! Here's the code:\nPUSH #5\nPRINT\nThis prints 5.", "PUSH #5\nPRINT"),
    ("First the setup:\n```python\nprint(1)\n```\nand the code:\n```sovereign\nPUSH #6\n"
     "PRINT\n```", "PUSH #6\nPRINT"),
    ("```sovereign\n; >>> your code goes here\nPUSH #7\n```", "PUSH #7"),
    ("```diff\n--- a\n+++ b\n@@ -1,2 +1,2 @@\n PUSH #1\n-DIV\n+MUL\n```",
     "--- a\n+++ b\n@@ -1,2 +1,2 @@\n PUSH #1\n-DIV\n+MUL"),
])
def test_code_is_taken_out_of_the_answer(answer: str, code: str) -> None:
    extracted = extract_code(answer)
    assert (extracted.code, extracted.problem) == (code, "")


@pytest.mark.parametrize(("answer", "problem"), [
    ("", "the answer holds no code"),
    ("   \n", "the answer holds no code"),
    ("I cannot help with that request, but here is why.", "holds no code (only prose)"),
    ("```python\ndef sort(xs):\n    return sorted(xs)\n```", "is python code, not Sovereign"),
    ("PUSH #1\n" * (MAX_ANSWER // 4), "the answer is too long"),
    ("<|im_start|><|im_end|>", "holds no code"),
])
def test_an_answer_without_usable_code_says_why(answer: str, problem: str) -> None:
    extracted = extract_code(answer)
    assert extracted.code == ""
    assert problem in extracted.problem
