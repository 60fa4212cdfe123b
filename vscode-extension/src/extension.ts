// The Sovereign extension: starts the language server and gives its features a face in VS Code
// (status bar, commands, the run output, repair previews, the debugger). Everything
// language-aware happens in the server and the debug adapter.

import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { registerCommands } from "./commands";
import { SECTION, needsRestart } from "./config";
import { ProposedTexts } from "./preview";
import { registerDebugging } from "./debug";
import { Launch } from "./discovery";
import { createClient, findServer } from "./server";
import { StatusBar } from "./status";
import { ServerStatus } from "./statusText";

class Extension implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private found: Launch | undefined;
  readonly log = vscode.window.createOutputChannel("Sovereign", { log: true });
  readonly run = vscode.window.createOutputChannel("Sovereign: Run");
  readonly status = new StatusBar(
    () => vscode.workspace.getConfiguration(SECTION).get<string>("llm.model") || undefined);
  readonly proposed = new ProposedTexts();

  constructor(private readonly context: vscode.ExtensionContext) {}

  currentClient(): LanguageClient | undefined {
    return this.client;
  }

  /** How the server was started (the debugger starts the same way), once it is known. */
  async serverLaunch(): Promise<Launch | undefined> {
    await this.starting;
    return this.found;
  }

  /** Start in the background: activation never waits on probing a Python interpreter. */
  start(): Promise<void> {
    this.starting ??= this.launch().finally(() => { this.starting = undefined; });
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.starting;
    this.log.info("Restarting the language server");
    await this.client?.stop();
    this.client = undefined;
    await this.start();
  }

  private async launch(): Promise<void> {
    const found = await findServer(this.context);
    for (const problem of found.problems) {
      this.log.info(`Not usable: ${problem}`);
    }
    if (!found.launch) {
      await this.cannotStart();
      return;
    }
    const launch = found.launch;
    this.found = launch;
    this.log.info(`Starting the language server: ${launch.command} ${launch.args.join(" ")} ` +
                  `(${launch.origin})`);
    const client = createClient(launch, this.log);
    client.onNotification("sovereign/status", (params: ServerStatus) => this.status.update(params));
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The language server did not start: ${error}`);
    }
  }

  private async cannotStart(): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      "Sovereign needs Python 3.11 or later to run its language server, and found none that " +
      "works. Install it (on Debian or Ubuntu: `sudo apt install python3`), or set " +
      "sovereign.server.path. (What was tried is in the Sovereign output.)",
      "Open setup instructions");
    if (choice) {  // the extension's own README, which works offline
      await vscode.commands.executeCommand(
        "markdown.showPreview", vscode.Uri.joinPath(this.context.extensionUri, "readme.md"));
    }
  }

  dispose(): void {
    void this.client?.stop();
    this.log.dispose();
    this.run.dispose();
    this.status.dispose();
    this.proposed.dispose();
  }
}

let extension: Extension | undefined;

export function activate(context: vscode.ExtensionContext): void {
  extension = new Extension(context);
  const current = extension;
  context.subscriptions.push(current, ...registerCommands({
    client: () => current.currentClient(),
    status: current.status,
    log: current.log,
    run: current.run,
    proposed: current.proposed,
    restart: () => current.restart(),
  }), ...registerDebugging(() => current.serverLaunch()));
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (event) => {
    if (needsRestart((section) => event.affectsConfiguration(section))) {
      await current.restart();
    } else if (event.affectsConfiguration(`${SECTION}.llm.model`)) {
      current.status.show();
    }
  }));
  void current.start();
}

export async function deactivate(): Promise<void> {
  await extension?.currentClient()?.stop();
}
