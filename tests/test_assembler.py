"""The assembler: every operand form, every error code, exact spans, all errors at once."""

from __future__ import annotations

import pytest

from sovereign.lang.assembler import INT_MAX, INT_MIN, Instruction, assemble
from sovereign.lang.findings import Severity
from sovereign.lang.lexer import lex_line

from .conftest import program


def findings(source: str | bytes) -> list[str]:
    """Each finding as 'CODE line:col-end' (1-based line and column, end exclusive + 1)."""
    return [f"{f.code} {f.span.line + 1}:{f.span.col + 1}-{f.span.end + 1}"
            for f in assemble(source).findings]


def only(source: str) -> Instruction:
    (instruction,) = program(source).code
    return instruction


@pytest.mark.parametrize(("literal", "value"), [
    ("#42", 42), ("#-7", -7), ("#0x2A", 42), ("#0X2a", 42), ("#0b101", 5), ("#0B11", 3),
    ("#-0x10", -16), ("#007", 7), ("#0", 0), (f"#{INT_MAX}", INT_MAX), (f"#{INT_MIN}", INT_MIN),
    ("#0x7FFFFFFFFFFFFFFF", INT_MAX), ("#-0x8000000000000000", INT_MIN),
])
def test_integer_literals(literal: str, value: int) -> None:
    assert only(f"PUSH {literal}").arg == value


@pytest.mark.parametrize("literal", ["#", "#-", "#+5", "#1_000", "#0x", "#0b2", "#12a", "#٣",
                                     "#0xG", "#--1", "# 1"])
def test_invalid_integer_literals(literal: str) -> None:
    codes = {f.code for f in assemble(f"PUSH {literal}").findings}
    assert codes & {"E105", "E103"}, codes


@pytest.mark.parametrize("literal", ["#0xFFFFFFFFFFFFFFFF", f"#{INT_MAX + 1}", f"#{INT_MIN - 1}",
                                     "#99999999999999999999999"])
def test_integer_out_of_range(literal: str) -> None:
    assert findings(f"PUSH {literal}") == [f"E106 1:6-{6 + len(literal)}"]


@pytest.mark.parametrize(("literal", "value"), [
    (r'"a\nb"', "a\nb"), (r'"\t\r\0"', "\t\r\0"), (r'"\\"', "\\"), (r'"\""', '"'),
    (r"'\''", "'"), (r"'it\'s'", "it's"), (r'"\x41\x7e"', "A~"), (r'"\xff"', "\u00ff"),
    ('"é 😀 ; not a comment"', "é 😀 ; not a comment"), ('""', ""), ("''", ""),
    ('"tab\tinside"', "tab\tinside"),
])
def test_string_literals(literal: str, value: str) -> None:
    assert only(f"PUSH {literal}").arg == value


@pytest.mark.parametrize(("source", "expected"), [
    ('PUSH "abc', ["E107 1:6-10"]),
    ('PUSH "abc\\"', ["E107 1:6-12"]),
    ("PUSH 'x", ["E107 1:6-8"]),
    ('PUSH "a\\qb"', ["E108 1:8-10"]),
    ('PUSH "\\x4"', ["E108 1:7-9"]),
    ('PUSH "\\u0041"', ["E108 1:7-9"]),
    ('PUSH "a"b', ["E112 1:9-10", "E103 1:9-10"]),
])
def test_string_errors(source: str, expected: list[str]) -> None:
    assert findings(source) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("PUSHH #1", ["E101 1:1-6"]),
    ("PUSH#1", ["E101 1:1-7"]),
    ('"text"', ["E101 1:1-7"]),
    ("PUSH", ["E102 1:1-5"]),
    ("JMP", ["E102 1:1-4"]),
    ("LLMGEN", ["E102 1:1-7"]),
    ("POP #1", ["E103 1:5-7"]),
    ("PUSH #1 #2", ["E103 1:9-11"]),
    ("PUSH #1 #2 #3", ["E103 1:9-14"]),
    ("PUSH name", ["E104 1:6-10"]),
    ("JMP #3", ["E104 1:5-7"]),
    ('JMP "place"', ["E104 1:5-12"]),
    ("STORE #1", ["E104 1:7-9"]),
    ("LLMGEN prompt", ["E104 1:8-14"]),
    ("LOAD a-b", ["E104 1:6-9"]),
    ("1abc: NOP", ["E111 1:1-6"]),
    ("a: b: NOP", ["E111 1:4-6"]),
    ("JMP nowhere", ["E109 1:5-12"]),
    ("x: NOP\nx: NOP", ["E110 2:1-2"]),
])
def test_assembly_errors(source: str, expected: list[str]) -> None:
    assert findings(source) == expected


def test_messages_help_the_user() -> None:
    (unknown,) = assemble("pushh #1").findings
    assert unknown.message == "unknown opcode 'pushh' (did you mean PUSH?)"
    assert unknown.severity is Severity.ERROR
    (undefined,) = assemble("loop: NOP\nJMP lop").findings
    assert "did you mean loop?" in undefined.message
    (duplicate,) = assemble("x: NOP\n\nx: NOP").findings
    assert "first defined on line 1" in duplicate.message
    assert duplicate.related[0].span.line == 0


def test_every_error_is_reported_at_once() -> None:
    source = "PUSHH #1\nPUSH #0xZZ\nJMP nowhere\nPOP 1\nPUSH 'open\nok: NOP\nok: NOP\n"
    assert [f.code for f in assemble(source).findings] == [
        "E101", "E105", "E109", "E103", "E107", "E110"]


def test_opcodes_are_case_insensitive_in_ascii_only() -> None:
    assert only("pUsH #1").op == "PUSH"
    assert [f.code for f in assemble("PUſH #1").findings] == ["E101"]


def test_labels() -> None:
    prog = program("start:\n  PUSH #1 ; one\nmiddle: POP\n\nend:")
    assert prog.labels == {"start": 0, "middle": 1, "end": 2}
    assert prog.label_spans["middle"].col == 0
    assert prog.label_spans["middle"].end == 6


def test_labels_are_case_sensitive_and_separate_from_memory_names() -> None:
    prog = program("Loop: NOP\nloop: PUSH #1\nSTORE loop\nJMP Loop")
    assert prog.labels == {"Loop": 0, "loop": 1}
    assert prog.code[2].arg == "loop"


def test_memory_names_as_strings_or_identifiers() -> None:
    prog = program('STORE "x"\nSTORE x\nLOAD "my var"')
    assert [i.arg for i in prog.code] == ["x", "x", "my var"]


def test_spans() -> None:
    instruction = only("  lbl:\tPUSH   \"é\"  ; comment")
    assert (instruction.line, instruction.col, instruction.arg_col, instruction.end) == (
        0, 7, 14, 17)


def test_comments_and_blank_lines() -> None:
    prog = program("; header\n\n   \t\nNOP;tight comment\nHALT ; done")
    assert [i.op for i in prog.code] == ["NOP", "HALT"]
    assert [i.line for i in prog.code] == [3, 4]


def test_line_endings_bom_and_tabs() -> None:
    prog = program("\ufeffPUSH #1\r\n\tPRINT\r\nHALT")
    assert [(i.op, i.line) for i in prog.code] == [("PUSH", 0), ("PRINT", 1), ("HALT", 2)]
    assert assemble("\ufeffPUSH #1\r\n").texts == ("PUSH #1", "")
    assert program(b"\xef\xbb\xbfNOP\r\n").code[0].op == "NOP"


def test_a_lone_cr_ends_a_line_as_in_every_editor_but_a_form_feed_does_not() -> None:
    assembly = assemble("NOP\rNOP\r\nHALT ; a\x0cb\u2028c")
    assert not assembly.findings
    assert [(i.op, i.line) for i in assembly.program.code] == [("NOP", 0), ("NOP", 1),
                                                               ("HALT", 2)]
    assert assemble(b"NOP\rPRNT").findings[0].span.line == 1


def test_invalid_utf8_is_an_error_on_its_line_only() -> None:
    assembly = assemble(b"PUSH #1\nPUSH \"\xff\xfe\"\nPRINT\n")
    assert [(f.code, f.span.line) for f in assembly.findings] == [("E100", 1)]
    assert [i.op for i in assembly.program.code] == ["PUSH", "PRINT"]


def test_empty_and_blank_sources() -> None:
    for source in ("", "\n", "   ", b"", "; only a comment"):
        assembly = assemble(source)
        assert assembly.ok
        assert assembly.program.code == ()


def test_huge_inputs_assemble() -> None:
    megabyte = "x" * 1_000_000
    assert only(f'PUSH "{megabyte}"').arg == megabyte
    assert [f.code for f in assemble("PUSH " + "#1" * 500_000).findings] == ["E105"]
    assert len(program("NOP\n" * 50_000).code) == 50_000


def test_unicode_in_strings_and_comments() -> None:
    instruction = only('PUSH "日本語 ✓" ; コメント 😀')
    assert instruction.arg == "日本語 ✓"


@pytest.mark.parametrize("line", [
    "PUSH #1", "  loop:  JNZ loop ; c", "x: PUSH 'a'", 'STORE "name"', "HALT", "", "; c",
    "lbl:", "PUSH #-12", "ASSERT", 'ASSERT "m"', "LOAD _x1",
])
def test_fast_and_careful_paths_agree(line: str) -> None:
    """The whole-text scan and the line lexer read simple lines the same way."""
    lexed = lex_line(0, line)
    assert not lexed.findings
    assembly = assemble(line + "\nNOP\n")
    label = lexed.label.text if lexed.label else None
    if label:
        assert assembly.program.labels[label] == 0
    if lexed.tokens:
        assert assembly.program.code[0].col == lexed.tokens[0].col


def test_an_edit_that_keeps_the_instructions_keeps_the_program_itself() -> None:
    """What was computed from the program (its analysis) then still holds; the findings of
    the edited line are found again (an undefined label stays undefined)."""
    before = assemble("    JMP nowhere\n    HALT\n; a comment\n")
    for edited in ("    JMP nowhere ; where?\n    HALT\n; a comment\n",
                   "    JMP nowhere\n    HALT\n; another comment\n"):
        after = assemble(edited, previous=before)
        assert after.program is before.program
        assert after == assemble(edited)
    changed = assemble("    JMP nowhere\n    NOP\n; a comment\n", previous=before)
    assert changed.program is not before.program


@pytest.mark.parametrize("edited", [
    "    PUSH #1\n    JMP done\n    NOP\n    HALT\n",  # the label's line lost its label
    "    PUSH #1\n    JMP done\nover: NOP\n    HALT\n",  # a label renamed
    "    PUSH #1\n    JMP done\n    NOP\ndone: HALT\n",  # a label moved down a line
])
def test_an_edit_of_a_labelled_line_is_assembled_afresh(edited: str) -> None:
    """Labels index the whole program, so an edit within a line that held or holds one
    cannot reuse the rest of the earlier assembly as it was."""
    before = assemble("    PUSH #1\n    JMP done\ndone: NOP\n    HALT\n")
    assert assemble(edited, previous=before) == assemble(edited)
