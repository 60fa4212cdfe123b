"""What the server offers depends on the client: the VS Code extension runs some commands
itself (and says so in its initialization options); any other client gets server commands
whose results it is told about."""

from __future__ import annotations

import dataclasses
import json
import re

import attrs
from lsprotocol import types as T

from sovereign.camel_json import camel_case
from sovereign.lsp.settings import Settings

from .conftest import ROOT, RecordingClient, extension_client_commands
from .helpers import document, open_document
from .test_evolution import BUGGY, GOOD, quick_fixes
from .test_generation import scripted


def extension_command_ids() -> set[str]:
    """Every command id the extension registers with VS Code or contributes."""
    manifest = json.loads((ROOT / "vscode-extension" / "package.json").read_text("utf-8"))
    contributed = {c["command"] for c in manifest["contributes"]["commands"]}
    registered = set()
    for source in (ROOT / "vscode-extension" / "src").glob("*.ts"):
        registered |= set(re.findall(r'register(?:Command)?\("([^"]+)"', source.read_text("utf-8")))
    return contributed | registered


async def test_server_commands_never_clash_with_the_extensions(
        stdio_client: RecordingClient) -> None:
    """vscode-languageclient registers a VS Code command for each server command: one the
    extension also registers makes the client's start fail ("command already exists")."""
    provider = stdio_client.server_capabilities.execute_command_provider
    assert provider is not None
    server = set(provider.commands)
    ours = extension_command_ids()
    assert {"sovereign.runFile", "sovereign.debugFile", "sovereign.previewRepair"} <= ours
    assert server and not server & ours
    assert all(command.startswith("sovereign.server.") for command in server)
    assert set(extension_client_commands()) <= ours


async def test_the_run_and_debug_lenses_use_the_extensions_commands(
        vscode_client: RecordingClient) -> None:
    uri = await open_document(vscode_client, "PUSH #1\nPRINT\n")
    lenses = await vscode_client.text_document_code_lens_async(T.CodeLensParams(
        text_document=document(uri)))
    commands = [lens.command for lens in lenses or []]
    assert [(c.title, c.command, c.arguments) for c in commands if c is not None] == [
        ("▶ Run", "sovereign.runFile", (uri,)), ("Debug", "sovereign.debugFile", (uri,))]


async def test_another_client_runs_through_the_server_and_is_told(
        client: RecordingClient) -> None:
    uri = await open_document(client, "PUSH 'hi'\nPRINT\nPUSH #1\nPUSH #0\nDIV\n")
    lenses = await client.text_document_code_lens_async(T.CodeLensParams(
        text_document=document(uri)))
    (lens,) = lenses or []
    assert lens.command is not None and lens.command.command == "sovereign.server.run"
    told = len(client.messages)
    answer = await client.workspace_execute_command_async(T.ExecuteCommandParams(
        command=lens.command.command, arguments=lens.command.arguments))
    assert answer["code"] == "R301" and (answer["line"], answer["column"]) == (4, 0)
    (shown,) = client.messages[told:]
    assert shown.type == T.MessageType.Error
    assert shown.message == "Run: printed 1 line, then line 5: DivisionByZero: 1 / 0"
    assert any(m.message.endswith("hi\n") for m in client.log_messages)
    quiet = len(client.messages)
    await client.workspace_execute_command_async(T.ExecuteCommandParams(
        command="sovereign.server.run", arguments=[uri, {"quiet": True}]))
    assert len(client.messages) == quiet


async def test_vscode_previews_a_repair_with_its_proof(vscode_client: RecordingClient) -> None:
    ollama = scripted(vscode_client)
    ollama.script("qwen2.5-coder:7b", by_prompt={"ratio": [
        "```sovereign\nratio:\n    PUSH #100\n    PUSH #0\n    PUSH #0\n    ADD\n    DIV\n"
        "    RET\n```", GOOD, GOOD]})
    uri = await open_document(vscode_client, BUGGY, runtime=False)
    (action,) = await quick_fixes(vscode_client, uri)
    resolved = await vscode_client.code_action_resolve_async(action)
    assert resolved.edit is None  # nothing is applied before the user has seen it
    assert resolved.command is not None and resolved.command.command == "sovereign.previewRepair"
    edit, proof = resolved.command.arguments or ()
    assert edit["documentChanges"][0]["textDocument"] == {"uri": uri, "version": 1}
    assert proof["model"] == "qwen2.5-coder:7b"
    assert proof["before"] == "R301 division by zero on line 9: DivisionByZero: 100 / 0"
    assert proof["after"] == "runs without error and prints 10"
    (rejected,) = proof["rejected"]
    assert rejected.startswith("qwen2.5-coder:7b: still fails when run: DivisionByZero")


def _fields(value: object) -> list[str]:
    return [f.name for f in (attrs.fields(type(value)) if attrs.has(type(value))
                             else dataclasses.fields(value))]  # type: ignore[arg-type]


def test_every_setting_the_extension_contributes_is_the_servers_with_its_default() -> None:
    """A setting VS Code shows but the server ignores, or one whose default differs, misleads
    the user; the extension's own settings (server.*, trace.*) are its, not the server's."""
    manifest = json.loads((ROOT / "vscode-extension" / "package.json").read_text("utf-8"))
    contributed = {key.removeprefix("sovereign."): value.get("default") for key, value in
                   manifest["contributes"]["configuration"]["properties"].items()
                   if not key.startswith(("sovereign.server.", "sovereign.trace."))}
    served: dict[str, object] = {}
    for section in attrs.fields(Settings):
        value = getattr(Settings(), section.name)
        if isinstance(value, bool):  # a setting of its own, not a section
            served[camel_case(section.name)] = value
            continue
        for name in _fields(value):
            default = getattr(value, name)
            served[f"{camel_case(section.name)}.{camel_case(name)}"] = \
                list(default) if isinstance(default, tuple) else default
    served.pop("llm.apiKey")  # a secret: kept out of the Settings UI and its plain-text file
    assert contributed == served
