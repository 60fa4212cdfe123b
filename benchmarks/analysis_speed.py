"""How fast a file is assembled, prepared for running and analysed: what the editor pays on
every keystroke.

Assembly and analysis are timed cold (nothing remembered from an earlier run) and after an
edit (the file seen before, with one line changed: what a keystroke costs), and together
after a line is added in the middle (Enter: every instruction below it moves to another
line). After an edit the analysis is given the analysis of the version before, as the editor
gives it, and a new Program each time, so that nothing the program itself keeps is reused by
the next repeat. A comment edit is timed from the whole text, as `assemble` takes it, and
typed in the editor: the server's document takes the change and the assembler the lines it
kept.

Programs of 1,000 and 10,000 lines are generated (subroutines with loops, memory, strings and
comments). The baseline, timed in the same run, is the least any reader of the file must do:
split it into lines and each line into words with str.split. Best of several runs.

    python benchmarks/analysis_speed.py
"""

from __future__ import annotations

import random
from collections.abc import Callable

from lsprotocol import types as T

from sovereign.lang.analysis import analyse, forget_runs
from sovereign.lang.assembler import Assembly, Program, assemble, assemble_lines, forget_line_shapes
from sovereign.lsp.line_breaks import LspDocument
from sovereign.vm.executable import Executable
from timing import best

REPEATS = 15


def generate(lines: int, seed: int = 7, alike: bool = True) -> str:
    """A program of about `lines` lines: a main part that calls subroutines with loops,
    alike but for names and numbers, or (not `alike`) each with a few instructions that
    make its code unlike any other's (its number in binary, NOP for 0 and DUP POP for 1)."""
    rng = random.Random(seed)
    subroutines = max(1, lines // 25)
    out = [f"    CALL sub{k}" for k in range(subroutines)] + ["    HALT"]
    k = 0
    while len(out) < lines or k < subroutines:
        name = rng.choice(["acc", "sum", "total", "count"])
        out += [
            f"sub{k}:                ; subroutine {k}",
            "    PUSH #0",
            f"    STORE {name}",
            f"    PUSH #{rng.randint(1, 20)}",
            "    STORE i",
            f"loop{k}:",
            *([] if alike else [
                line for bit in f"{k:b}" for line in (["    DUP", "    POP"] if bit == "1"
                                                      else ["    NOP"])]),
            f"    LOAD {name}",
            f"    PUSH #{rng.randint(1, 99)}",
            "    ADD",
            f"    STORE {name}",
            '    PUSH "step"      ; a string',
            "    POP",
            "    LOAD i",
            "    PUSH #1",
            "    SUB",
            "    DUP",
            "    STORE i",
            f"    JNZ loop{k}",
            f"    LOAD {name}",
            "    PUSH #0",
            "    GE",
            '    ASSERT "never negative"',
            "    RET",
            "",
        ]
        k += 1
    return "\n".join(out[:lines] if alike else out)  # unlike: longer, every CALL defined


def baseline(text: str) -> int:
    return sum(len(line.split()) for line in text.split("\n"))


def cold(text: str) -> Callable[[], object]:
    def prepare() -> object:
        forget_line_shapes()
        return Executable(assemble(text).program)

    return prepare


def analyse_cold(assembly_program: object) -> Callable[[], object]:
    def run() -> object:
        forget_runs()
        return analyse(assembly_program)  # type: ignore[arg-type]

    return run


def fresh(program: Program) -> Program:
    """The same program as a new object, as the editor's next version would be."""
    return Program(program.code, program.labels, program.label_spans, program.edit)


def comment_typed(text: str) -> Callable[[], object]:
    """One keystroke in a comment, as the language server takes it: the document's
    incremental change, then the reassembly from the lines it kept and the lines it says it
    changed. The comment grows by a letter, or loses it, in turn."""
    document = LspDocument("file:///benchmark.sov", text)
    line = next(n for n, words in enumerate(document.texts) if "; a string" in words)
    at = T.Position(line=line, character=document.texts[line].index("; a string") + 2)
    kept = [assemble_lines(document.texts)]

    def keystroke() -> Assembly:
        grown = document.texts[line][at.character] != "a"
        end = T.Position(line=line, character=at.character + 1) if grown else at
        document.apply_change(T.TextDocumentContentChangePartial(
            range=T.Range(start=at, end=end), text="" if grown else "a"))
        kept[0] = assembled = assemble_lines(document.texts, kept[0], document.edit)
        return assembled

    return keystroke


def measure(lines: int) -> None:
    text = generate(lines)
    assembly = assemble(text)
    assert assembly.ok, assembly.findings[:3]
    edited_text = text.replace("PUSH #0", "PUSH #1", 1)
    edited = assemble(edited_text, previous=assembly)  # as the editor reassembles it
    floor = best(lambda: baseline(text), REPEATS)
    cold_start = best(cold(text), REPEATS)
    keystroke = best(lambda: Executable(assemble(edited_text).program), REPEATS)
    analysing = best(analyse_cold(assembly.program), REPEATS)
    before = analyse(assembly.program)
    reanalysing = best(lambda: analyse(fresh(edited.program), before), REPEATS)
    commented = text.replace("; a string", "; a text", 1)
    assert assemble(commented, previous=assembly).program is assembly.program  # analysis kept
    comment_edit = best(lambda: assemble(commented, previous=assembly), REPEATS)
    typing = comment_typed(text)
    assert typing().program is typing().program  # the program as it was: its analysis holds
    typed = best(typing, REPEATS)
    lines_of = text.split("\n")
    middle = len(lines_of) // 2
    added_text = "\n".join([*lines_of[:middle], "    NOP", *lines_of[middle:]])
    line_added = best(lambda: analyse(assemble(added_text, previous=assembly).program, before),
                      REPEATS)
    count = len(lines_of)
    ms = 1000
    print(f"{count:>6} lines: baseline {floor * ms:6.2f} ms"
          f" | assemble+prepare cold {cold_start * ms:6.2f} ms ({cold_start / floor:4.1f}x)"
          f", after an edit {keystroke * ms:6.2f} ms ({keystroke / floor:4.1f}x)"
          f" | analyse cold {analysing * ms:6.2f} ms ({analysing / floor:4.1f}x)"
          f", after an edit {reanalysing * ms:6.2f} ms ({reanalysing / floor:4.1f}x)"
          f" | a comment edit (reassembled, analysis kept) {comment_edit * ms:6.2f} ms"
          f" ({comment_edit / floor:4.2f}x), typed in the editor {typed * ms:6.2f} ms"
          f" ({typed / floor:4.2f}x)"
          f" | a line added (reassembled and analysed) {line_added * ms:6.2f} ms"
          f" ({line_added / floor:4.1f}x)")


def measure_unlike(lines: int) -> None:
    """Cold analysis when no two subroutines are alike, so that none shares another's run."""
    text = generate(lines, alike=False)
    assembly = assemble(text)
    assert assembly.ok, assembly.findings[:3]
    floor = best(lambda: baseline(text), REPEATS)
    analysing = best(analyse_cold(assembly.program), REPEATS)
    count = len(assembly.texts)
    print(f"{count:>6} lines, no two subroutines alike: baseline {floor * 1000:6.2f} ms"
          f" | analyse cold {analysing * 1000:6.2f} ms ({analysing / floor:4.1f}x)")


def main() -> None:
    for lines in (1_000, 10_000):
        measure(lines)
    measure_unlike(10_000)


if __name__ == "__main__":
    main()
