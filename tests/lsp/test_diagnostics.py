"""Diagnostics through the real server: static findings at once, the sandbox's result after
the debounce, never a stale version, cleared on close."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types as T

from .conftest import RecordingClient
from .helpers import change, new_uri, open_document, publications, settled


async def test_runtime_error_at_the_failing_instruction_with_its_calls(
        stdio_client: RecordingClient) -> None:
    uri = await open_document(stdio_client, "    PUSH #10\n    CALL f\n    HALT\nf:\n"
                                      "    PUSH #0\n    DIV\n    RET\n")
    first, second = publications(stdio_client, uri, 1)
    assert first.diagnostics == ()
    (error,) = second.diagnostics
    assert (error.code, error.source, error.severity) == ("R301", "sovereign",
                                                          T.DiagnosticSeverity.Error)
    assert (error.range.start.line, error.range.start.character, error.range.end.character) == (
        5, 4, 7)
    assert error.message == "DivisionByZero: 10 / 0"
    (call,) = error.related_information
    assert (call.location.uri, call.location.range.start.line, call.message) == (
        uri, 1, "called from here")


async def test_assembly_errors_all_at_once_and_no_run(client: RecordingClient) -> None:
    uri = await open_document(client, "pushh #1\nPUSH #0xZZ\nJMP nowhere\n")
    (only,) = publications(client, uri, 1)
    assert [(d.code, d.range.start.line, d.range.start.character, d.range.end.character)
            for d in only.diagnostics] == [("E101", 0, 0, 5), ("E105", 1, 5, 10),
                                           ("E109", 2, 4, 11)]
    assert "did you mean PUSH?" in only.diagnostics[0].message


async def test_analysis_findings_and_the_unnecessary_tag(client: RecordingClient) -> None:
    uri = await open_document(client, "PUSH #1\nPRINT\nHALT\nPUSH #2\nPRINT\n")
    static = publications(client, uri, 1)[0].diagnostics
    (unreachable,) = static
    assert unreachable.code == "S201"
    assert unreachable.tags == (T.DiagnosticTag.Unnecessary,)
    assert (unreachable.range.start.line, unreachable.range.end.line) == (3, 4)


async def test_infinite_loop_warning_points_at_the_back_edge(client: RecordingClient) -> None:
    uri = await open_document(client, "PUSH #3\nSTORE n\nloop:\n    LOAD n\n    JZ done\n"
                                      "    NOP\n    JMP loop\ndone:\n    HALT\n")
    (warning,) = await settled(client, uri, 1)
    assert warning.code == "R309"
    assert warning.severity == T.DiagnosticSeverity.Warning
    assert "did not halt within 200000 steps: possible infinite loop" in warning.message
    assert [(r.location.range.start.line, r.message) for r in warning.related_information] == [
        (6, "the loop jumps back from here")]


async def test_llm_instructions_stop_the_sandbox_with_information(
        client: RecordingClient) -> None:
    uri = await open_document(client, 'LLMGEN "write a sort"\nSTORE code\n')
    (notice,) = await settled(client, uri, 1)
    assert (notice.code, notice.severity) == ("R330", T.DiagnosticSeverity.Information)
    assert "never call the LLM" in notice.message


async def test_columns_are_utf16(client: RecordingClient) -> None:
    uri = await open_document(client, 'PUSH "😀é" PUSHH\n')
    (error,) = publications(client, uri, 1)[0].diagnostics
    assert (error.code, error.range.start.character, error.range.end.character) == (
        "E103", 11, 16)


async def test_a_burst_of_edits_never_publishes_a_stale_version(
        stdio_client: RecordingClient) -> None:
    uri = await open_document(stdio_client, "PUSH #1\nPRINT\n")
    for version in range(2, 40):
        change(stdio_client, uri, version, 0, 6, 7, str(version % 10))
    final = await settled(stdio_client, uri, 39)
    assert final == []
    versions = [p.version for p in publications(stdio_client, uri)]
    assert versions == sorted(versions)
    assert versions[-1] == 39


async def test_the_last_edit_wins_even_when_it_breaks_the_file(client: RecordingClient) -> None:
    uri = await open_document(client, "PUSH #1\nPUSH #0\nDIV\n")
    change(client, uri, 2, 2, 0, 3, "ADD")
    change(client, uri, 3, 2, 0, 3, "ADDD")
    (error,) = await settled(client, uri, 3)
    assert error.code == "E101"
    versions = [p.version for p in publications(client, uri)]
    assert versions == sorted(versions)
    assert "R301" not in str(publications(client, uri, 2))


async def test_closing_clears_the_diagnostics(client: RecordingClient) -> None:
    uri = await open_document(client, "POP\n")
    client.text_document_did_close(T.DidCloseTextDocumentParams(
        text_document=T.TextDocumentIdentifier(uri=uri)))
    await client.until(lambda: publications(client, uri)[-1].diagnostics == ())
    assert client.diagnostics[uri] == ()


async def test_sandbox_limits_come_from_settings(client: RecordingClient) -> None:
    uri = await open_document(client, "l: PUSH #1\nJMP l\n")
    assert [d.code for d in await settled(client, uri, 1)] == ["R303"]
    client.set_configuration({"sandbox": {"maxSteps": 3, "maxStack": 5000},
                              "diagnostics": {"debounceMs": 0}}, section="sovereign")
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(settings=None))
    await client.until(lambda: "within 3 steps" in str(client.diagnostics.get(uri)))


@pytest.mark.parametrize(("value", "said"), [
    ("many", "must be a number"), (float("nan"), "finite positive number, not nan"),
    (float("inf"), "finite positive number, not inf")])
async def test_invalid_settings_are_reported_once_and_defaults_used(
        client: RecordingClient, value: object, said: str) -> None:
    """A client's JSON may hold NaN and Infinity (Python's json reads them): a limit that is
    not a finite positive number would switch the limit off."""
    client.set_configuration({"sandbox": {"maxSteps": value}}, section="sovereign")
    client.workspace_did_change_configuration(T.DidChangeConfigurationParams(settings=None))
    message = await client.wait_for_notification(T.WINDOW_SHOW_MESSAGE)
    assert "invalid sovereign settings" in message.message and said in message.message
    uri = await open_document(client, "l: JMP l\n")
    (warning,) = await settled(client, uri, 1)
    assert "within 200000 steps" in warning.message


@pytest.mark.parametrize("seed", [1, 2])
async def test_random_edits_never_break_the_server(client: RecordingClient, seed: int) -> None:
    rng = random.Random(seed)
    text = "PUSH #1\nPRINT\n"
    uri = new_uri()
    client.text_document_did_open(T.DidOpenTextDocumentParams(text_document=T.TextDocumentItem(
        uri=uri, language_id="sovereign", version=1, text=text)))
    pieces = ["\n", "PUSH ", "#", "9" * 50, '"', "\\", "JMP x", "x:", "\x00", "\udcff",
              "😀", "\t", ";", "LLMGEN 'p'", "CALL x", "RET", "A" * 5000, "\r\n"]
    lines = 2
    for version in range(2, 80):
        line = rng.randrange(lines + 1)
        inserted = rng.choice(pieces)
        change(client, uri, version, line, 0, rng.randrange(3), inserted)
        lines += inserted.count("\n")
    await settled(client, uri, 79, runtime=False)
    hover = await client.text_document_hover_async(T.HoverParams(
        text_document=T.TextDocumentIdentifier(uri=uri), position=T.Position(line=0, character=1)))
    assert hover is None or hover.contents


async def test_a_runaway_recursion_is_one_related_location_not_thousands(
        client: RecordingClient) -> None:
    uri = await open_document(client, "CALL f\nHALT\nf:\n    CALL f\n    RET\n")
    (error,) = [d for d in await settled(client, uri, 1) if d.code == "R307"]
    assert [r.message for r in error.related_information or []] == [
        "called from here, 255 times in a row", "called from here"]


async def test_a_document_with_thousands_of_errors_publishes_a_thousand_and_a_notice(
        client: RecordingClient) -> None:
    uri = await open_document(client, "FROB\n" * 5_000)
    diagnostics = await settled(client, uri, 1)
    assert len(diagnostics) == 1_001
    assert diagnostics[-1].code == "S200" and "4,000 more findings" in diagnostics[-1].message
