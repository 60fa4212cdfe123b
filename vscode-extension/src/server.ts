// Finding and starting the language server. Every candidate is probed by running it, without
// ever blocking the extension host: activation returns at once, and the probes run in the
// background.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient, LanguageClientOptions, ServerOptions, TransportKind,
} from "vscode-languageclient/node";
import { CLIENT_COMMANDS, SECTION } from "./config";
import { Launch, MIN_PYTHON, candidates, venvPython } from "./discovery";

const PROBE_TIMEOUT_MS = 20_000;

export interface Found {
  launch?: Launch;
  /** Why each candidate that was tried could not be used. */
  problems: string[];
}

export async function findServer(context: vscode.ExtensionContext): Promise<Found> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folders = vscode.workspace.workspaceFolders ?? [];
  const env = {
    setting: config.get<string>("server.path"),
    workspaceVenvs: folders.map((f) => venvPython(f.uri.fsPath)).filter((p) => existsSync(p)),
    pythonInterpreter: await pythonInterpreter(),
    pathPythons: ["python3", "python"].map(onPath).filter((p): p is string => p !== undefined),
    bundled: path.join(context.extensionPath, "bundled", "libs"),
  };
  const problems: string[] = [];
  for (const launch of candidates(env)) {
    const problem = await probe(launch);
    if (problem === undefined) {
      return { launch, problems };
    }
    problems.push(`${launch.origin} (${launch.command}): ${problem}`);
  }
  return { problems };
}

/** Undefined when the candidate works; else what is wrong with it. */
function probe(launch: Launch): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(launch.probe.command, launch.probe.args,
             { timeout: PROBE_TIMEOUT_MS, env: { ...process.env, ...launch.env } },
             (error, stdout, stderr) => {
               if (!error) {
                 resolve(undefined);
               } else if (/^\d+\.\d+$/.test(stdout.trim())) {
                 resolve(`Python ${stdout.trim()} is too old: Sovereign needs ${MIN_PYTHON} or later`);
               } else {
                 const said = (stderr || error.message).trim().split("\n").pop() ?? "";
                 resolve(said || `exit status ${error.code}`);
               }
             });
  });
}

function onPath(program: string): string | undefined {
  const names = process.platform === "win32" ? [`${program}.exe`] : [program];
  for (const folder of (process.env.PATH ?? "").split(path.delimiter)) {
    for (const name of names) {
      const candidate = folder && path.join(folder, name);
      if (candidate && existsSync(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

async function pythonInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) {
    return undefined;
  }
  try {
    const api = python.isActive ? python.exports : await python.activate();
    const found = api?.environments?.getActiveEnvironmentPath?.()?.path;
    return typeof found === "string" ? found : undefined;
  } catch {
    return undefined;
  }
}

/** A language client for `launch`: vscode-languageclient appends `--stdio` to its arguments,
 *  and the server's log arrives through window/logMessage in `output`, each line at its own
 *  level. */
export function createClient(launch: Launch, output: vscode.LogOutputChannel): LanguageClient {
  const serverOptions: ServerOptions = {
    command: launch.command, args: launch.args, transport: TransportKind.stdio,
    options: { env: { ...process.env, ...launch.env } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "sovereign" }],
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
    // showsStatus: the status bar tells why no code came, so the server shows no message.
    initializationOptions: { clientCommands: CLIENT_COMMANDS, showsStatus: true },
  };
  // The client reads sovereign.trace.server itself: "sovereign" is its id.
  return new LanguageClient("sovereign", "Sovereign", serverOptions, clientOptions);
}
