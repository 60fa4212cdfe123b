// Every command the extension contributes, registered in one place. Each asks the server
// through workspace/executeCommand and shows the answer the VS Code way.

import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { SECTION, SERVER } from "./config";
import { Proof } from "./proof";
import { ProposedTexts, previewRepair } from "./preview";
import { StatusBar } from "./status";

/** What the commands need from the running extension. */
export interface Context {
  client: () => LanguageClient | undefined;
  status: StatusBar;
  log: vscode.LogOutputChannel;
  run: vscode.OutputChannel;
  proposed: ProposedTexts;
  restart: () => Promise<void>;
}

interface RunAnswer {
  ok: boolean;
  output: string;
  error: string | null;
  line?: number;
  column?: number;
  steps?: number;
}

interface Models {
  models: { name: string; capabilities: string[] }[];
  problems: string[];
  selected: string | null;
}

export function registerCommands(context: Context): vscode.Disposable[] {
  const register = (id: string, handler: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, handler);
  return [
    register("sovereign.runFile", (uri) => runFile(context, uri)),
    register("sovereign.evolveSelection", () => evolveSelection(context)),
    register("sovereign.generateHere", () => generateHere(context)),
    register("sovereign.selectModel", () => selectModel(context)),
    register("sovereign.previewRepair", async (edit, proof) => {
      const client = context.client();
      return client ? previewRepair(client, context.proposed, edit, proof as Proof) : false;
    }),
    register("sovereign.showLog", () => context.log.show()),
    register("sovereign.restartServer", () => context.restart()),
  ];
}

async function ask<T>(context: Context, command: string, ...args: unknown[]): Promise<T | undefined> {
  const client = context.client();
  if (!client) {
    void vscode.window.showWarningMessage("Sovereign: the language server is not running.");
    return undefined;
  }
  return context.status.whileBusy(() => client.sendRequest<T>(
    "workspace/executeCommand", { command, arguments: args }));
}

/** Run a file (the active editor's, or the code lens's) and show what it printed and its
 *  error, with the failing line as a link. */
async function runFile(context: Context, target: unknown): Promise<void> {
  const uri = target instanceof vscode.Uri ? target
    : typeof target === "string" ? vscode.Uri.parse(target)
    : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    return;
  }
  const answer = await ask<RunAnswer>(context, SERVER.run, uri.toString(), { quiet: true });
  if (!answer) {
    return;
  }
  const run = context.run;
  run.clear();
  run.appendLine(`▶ ${uri.fsPath}`);
  run.append(answer.output);
  if (answer.error) {
    const where = answer.line === undefined ? uri.fsPath
      : `${uri.fsPath}:${answer.line + 1}:${(answer.column ?? 0) + 1}`;
    run.appendLine(`✗ ${where}: ${answer.error}`);
  } else {
    run.appendLine(`✓ halted after ${answer.steps} steps`);
  }
  run.show(true);
}

async function evolveSelection(context: Context): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return;
  }
  const instruction = await vscode.window.showInputBox({
    prompt: "What should change in the selection?", placeHolder: "e.g. stop dividing by zero" });
  if (instruction === undefined) {
    return;
  }
  const selection = editor.selection;
  const answer = await ask<{ ok: boolean; reason?: string; edit?: unknown; proof?: Proof }>(
    context, SERVER.evolveSelection, editor.document.uri.toString(),
    { start: selection.start, end: selection.end }, instruction);
  if (!answer) {
    return;
  }
  if (!answer.ok || !answer.edit || !answer.proof) {
    void vscode.window.showWarningMessage(`Sovereign: ${answer.reason}`);
    return;
  }
  const client = context.client();
  if (client) {
    await previewRepair(client, context.proposed, answer.edit, answer.proof);
  }
}

async function generateHere(context: Context): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return;
  }
  const answer = await ask<{ ok: boolean; reason?: string }>(
    context, SERVER.generate, editor.document.uri.toString(), editor.selection.active.line);
  if (answer && !answer.ok) {
    void vscode.window.showWarningMessage(`Sovereign: ${answer.reason}`);
  }
}

async function selectModel(context: Context): Promise<void> {
  const found = await ask<Models>(context, SERVER.models);
  if (!found) {
    return;
  }
  if (found.models.length === 0) {
    void vscode.window.showWarningMessage(`Sovereign: no model found. ${found.problems.join("; ")}`);
    return;
  }
  const current = found.selected ?? undefined;
  const picked = await vscode.window.showQuickPick(
    found.models.map((m) => ({
      label: m.name,
      description: m.name === current ? "$(check) current" : undefined,
      detail: m.capabilities.join(", "),
      picked: m.name === current,
    })),
    { placeHolder: current ? `The model Sovereign asks first (now ${current})`
                           : "The model Sovereign asks first" });
  if (picked) {
    await vscode.workspace.getConfiguration(SECTION).update(
      "llm.model", picked.label, vscode.ConfigurationTarget.Global);
    context.status.show();
  }
}
