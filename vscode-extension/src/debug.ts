// Debugging .sov files: the `sovereign` debug type, started by the same Python that runs the
// language server (`sovereign dap` instead of `sovereign lsp`), F5 without a launch.json, and
// the "Debug File" command behind the code lens.

import * as vscode from "vscode";
import { Launch, adapterArgs } from "./discovery";

export const DEBUG_TYPE = "sovereign";

export function registerDebugging(server: () => Promise<Launch | undefined>): vscode.Disposable[] {
  return [
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      async createDebugAdapterDescriptor() {
        const launch = await server();
        if (!launch) {
          throw new Error("Sovereign found no Python to run its debugger: see the Sovereign " +
                          "output for what was tried");
        }
        return new vscode.DebugAdapterExecutable(launch.command, adapterArgs(launch.args),
                                                 { env: { ...process.env, ...launch.env } as
                                                   Record<string, string> });
      },
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, { resolveDebugConfiguration }),
    vscode.commands.registerCommand("sovereign.debugFile", debugFile),
  ];
}

/** F5 with no launch.json (an empty configuration) debugs the active .sov file; a
 *  configuration without a program debugs it too. */
function resolveDebugConfiguration(
  _folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration,
): vscode.DebugConfiguration | undefined {
  const editor = vscode.window.activeTextEditor;
  const active = editor?.document.languageId === "sovereign" ? editor.document : undefined;
  if (!config.type && !config.request && !config.name) {
    if (!active) {
      return config;  // not ours: VS Code asks which debugger to use
    }
    Object.assign(config, { type: DEBUG_TYPE, request: "launch", name: "Debug File" });
  }
  if (!config.program) {
    if (!active) {
      void vscode.window.showInformationMessage(
        "Sovereign: open a .sov file to debug, or set \"program\" in the launch configuration.");
      return undefined;
    }
    config.program = active.uri.fsPath;
  }
  return config;
}

async function debugFile(resource?: unknown): Promise<boolean> {
  const uri = typeof resource === "string" ? vscode.Uri.parse(resource)
    : resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage("Sovereign: open a .sov file to debug.");
    return false;
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (document?.isDirty) {
    await document.save();  // the adapter debugs the file on disk
  }
  return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), {
    type: DEBUG_TYPE, request: "launch", name: "Debug File", program: uri.fsPath,
  });
}
