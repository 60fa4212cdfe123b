// The Sovereign extension: starts the language server and gives its features a face in VS Code
// (status bar, commands, output). Everything language-aware happens in the server.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient, LanguageClientOptions, ServerOptions, TransportKind,
} from "vscode-languageclient/node";
import { ServerCommand, probe, serverCandidates } from "./serverCommand";
import { SECTION, needsRestart } from "./settings";
import { ServerStatus, statusText } from "./status";

const SETUP_URL = "https://example.invalid/sovereign#two-commands";

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem;
let lastStatus: ServerStatus | undefined;
let busy = 0;
let output: vscode.LogOutputChannel;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Sovereign", { log: true });
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  status.command = "sovereign.selectModel";
  context.subscriptions.push(output, status, ...registerCommands());
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (event) => {
    if (needsRestart((section) => event.affectsConfiguration(section))) {
      await restart();
    }
  }));
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

async function start(): Promise<void> {
  const server = await findServer();
  if (!server) {
    const choice = await vscode.window.showErrorMessage(
      "Sovereign: the language server was not found. Install it (pip install sovereign) or " +
      "set sovereign.server.path.", "Open setup instructions");
    if (choice) {
      await vscode.env.openExternal(vscode.Uri.parse(SETUP_URL));
    }
    return;
  }
  output.appendLine(`Starting the server: ${server.command} ${server.args.join(" ")} ` +
                    `(${server.origin})`);
  const serverOptions: ServerOptions = {
    command: server.command, args: server.args, transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "sovereign" }],
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
  };
  // The client reads sovereign.trace.server itself: "sovereign" is its id.
  client = new LanguageClient("sovereign", "Sovereign", serverOptions, clientOptions);
  client.onNotification("sovereign/status", (params: ServerStatus) => {
    lastStatus = params;
    showStatus();
  });
  await client.start();
  showStatus();
}

async function restart(): Promise<void> {
  await client?.stop();
  client = undefined;
  await start();
}

async function findServer(): Promise<ServerCommand | undefined> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const candidates = serverCandidates({
    setting: config.get<string>("server.path"),
    pythonInterpreter: await pythonInterpreter(),
    onPath,
  });
  for (const candidate of candidates) {
    const check = probe(candidate);
    if (spawnSync(check.command, check.args, { timeout: 15000 }).status === 0) {
      return candidate;
    }
    output.appendLine(`Not usable: ${candidate.command} ${candidate.args.join(" ")} ` +
                      `(${candidate.origin})`);
  }
  return undefined;
}

function onPath(program: string): boolean {
  const names = process.platform === "win32" ? [`${program}.exe`, `${program}.cmd`] : [program];
  return (process.env.PATH ?? "").split(path.delimiter).some(
    (folder) => folder && names.some((name) => existsSync(path.join(folder, name))));
}

async function pythonInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) {
    return undefined;
  }
  try {
    const api = python.isActive ? python.exports : await python.activate();
    const path = api?.environments?.getActiveEnvironmentPath?.()?.path;
    return typeof path === "string" ? path : undefined;
  } catch {
    return undefined;
  }
}

function showStatus(): void {
  const model = vscode.workspace.getConfiguration(SECTION).get<string>("llm.model") || undefined;
  const { text, tooltip } = statusText(lastStatus, busy > 0, model);
  status.text = text;
  status.tooltip = tooltip;
  status.show();
}

async function serverCommand<T>(command: string, ...args: unknown[]): Promise<T | undefined> {
  if (!client) {
    void vscode.window.showWarningMessage("Sovereign: the language server is not running.");
    return undefined;
  }
  busy += 1;
  showStatus();
  try {
    return await client.sendRequest("workspace/executeCommand", { command, arguments: args });
  } finally {
    busy -= 1;
    showStatus();
  }
}

function registerCommands(): vscode.Disposable[] {
  const editor = () => vscode.window.activeTextEditor;
  return [
    vscode.commands.registerCommand("sovereign.runFile", async () => {
      const current = editor();
      if (!current) { return; }
      const result = await serverCommand<{ output: string; error?: string }>(
        "sovereign.run", current.document.uri.toString());
      if (!result) { return; }
      output.appendLine(`▶ ${current.document.fileName}`);
      output.append(result.output);
      if (result.error) { output.appendLine(`✗ ${result.error}`); }
      output.show(true);
    }),
    vscode.commands.registerCommand("sovereign.evolveSelection", async () => {
      const current = editor();
      if (!current) { return; }
      const instruction = await vscode.window.showInputBox({
        prompt: "What should change in the selection?", placeHolder: "e.g. stop dividing by zero" });
      if (instruction === undefined) { return; }
      const selection = current.selection;
      const result = await serverCommand<{ ok: boolean; reason?: string; summary?: string }>(
        "sovereign.evolveSelection", current.document.uri.toString(),
        { start: selection.start, end: selection.end }, instruction);
      if (result && !result.ok) {
        void vscode.window.showWarningMessage(`Sovereign: ${result.reason}`);
      }
    }),
    vscode.commands.registerCommand("sovereign.generateHere", async () => {
      const current = editor();
      if (!current) { return; }
      const result = await serverCommand<{ ok: boolean; reason?: string }>(
        "sovereign.generate", current.document.uri.toString(), current.selection.active.line);
      if (result && !result.ok) {
        void vscode.window.showWarningMessage(`Sovereign: ${result.reason}`);
      }
    }),
    vscode.commands.registerCommand("sovereign.selectModel", async () => {
      const found = await serverCommand<{ models: { name: string; capabilities: string[] }[];
                                          problems: string[] }>("sovereign.models");
      if (!found) { return; }
      if (found.models.length === 0) {
        void vscode.window.showWarningMessage(
          `Sovereign: no model found. ${found.problems.join("; ")}`);
        return;
      }
      const picked = await vscode.window.showQuickPick(
        found.models.map((m) => ({ label: m.name, description: m.capabilities.join(", ") })),
        { placeHolder: "The model Sovereign asks first" });
      if (picked) {
        await vscode.workspace.getConfiguration(SECTION).update(
          "llm.model", picked.label, vscode.ConfigurationTarget.Global);
        showStatus();
      }
    }),
    vscode.commands.registerCommand("sovereign.showLog", () => output.show()),
    vscode.commands.registerCommand("sovereign.restartServer", restart),
  ];
}
