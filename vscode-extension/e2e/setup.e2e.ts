// How the extension finds its server on a user's machine: a workspace's .venv first, and,
// where no Python 3.11 or later can be found, one message that says what to do and opens the
// setup instructions.

import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { VSCode } from "./harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const PROGRAM = "    PUSH #1\n    ADD\n";

test("without Python 3.11 or later: one message, and the setup instructions open", async () => {
  const bin = mkdtempSync(path.join(tmpdir(), "sovereign-no-python-"));
  symlinkSync(process.execPath, path.join(bin, "node"));  // a PATH with no Python on it
  const vscode = await VSCode.launch("no-python", { "prog.sov": PROGRAM }, {},
                                     // VSCODE_CLI: VS Code keeps this PATH, not a login shell's
                                     { env: { PATH: bin, VSCODE_CLI: "1" } });
  try {
    await vscode.step("opening a .sov file says Python is needed", async () => {
      await vscode.openFile("prog.sov");
      await vscode.toasts().filter({ hasText: "Sovereign needs Python 3.11 or later" })
        .waitFor({ timeout: 60_000 });
    });
    await vscode.step("its button opens the requirements", async () => {
      await vscode.toasts().locator(".monaco-button", { hasText: "Open setup instructions" })
        .click();
      const preview = vscode.page.frameLocator("iframe.webview").frameLocator("iframe");
      await preview.locator("h2", { hasText: "Requirements" }).waitFor({ timeout: 30_000 });
      await preview.locator("code", { hasText: "sudo apt install python3" }).first().waitFor();
    });
  } finally {
    await vscode.close();
  }
});

test("a workspace .venv with sovereign installed is used first", async () => {
  const vscode = await VSCode.launch("workspace-venv", { "prog.sov": PROGRAM }, {},
                                     { links: { ".venv": path.join(ROOT, ".venv") } });
  try {
    await vscode.step("diagnostics come from the workspace's server", async () => {
      await vscode.openFile("prog.sov");
      await vscode.page.locator(".squiggly-error").first().waitFor({ timeout: 60_000 });
      await vscode.command("Sovereign: Show Server Log");
      await vscode.outputShows(new RegExp("Starting the language server: \\S+/\\.venv/bin/" +
        "python\\s+-P\\s+-m\\s+sovereign\\s+lsp\\s+\\(the\\s+workspace's\\s+\\.venv\\)"));
    });
  } finally {
    await vscode.close();
  }
});
