// A real VS Code for the end-to-end tests: code-server (VS Code's open build) with the built
// .vsix installed, driven in headless Chromium through playwright-core, next to the scripted
// Ollama-compatible server. Every step leaves a screenshot; a failing step names itself and
// leaves one too.

import { ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Browser, Locator, Page, chromium } from "playwright-core";

const EXTENSION = path.resolve(__dirname, "..", "..");
const ROOT = path.resolve(EXTENSION, "..");
const CODE_SERVER = path.join(ROOT, ".vscode-test", "code-server-4.96.4", "node_modules",
                              "code-server", "out", "node", "entry.js");
const PYTHON = process.env.E2E_PYTHON ?? path.join(ROOT, ".venv", "bin", "python");
export const ARTIFACTS = process.env.E2E_ARTIFACTS ??
  path.join(ROOT, ".vscode-test", "artifacts");
const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export const CTRL = "Control";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => typeof address === "object" && address ? resolve(address.port)
                                                                : reject(new Error("no port")));
    });
  });
}

/** Start a process and wait until a line of its output matches `ready`. */
function started(command: string, args: string[], ready: RegExp, options: { cwd?: string;
  env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${seen}`)), 60_000);
    const look = (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split("\n").find((l) => ready.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve({ child, line });
      }
    };
    child.stdout?.on("data", look);
    child.stderr?.on("data", look);
    child.on("exit", (code) => reject(new Error(`${command} exited (${code}): ${seen}`)));
  });
}

/** The scripted Ollama-compatible server (tests/llm/fake_ollama.py), on a fixed port so that
 *  it can be stopped ("Ollama is down") and started again at the same address. */
export class Ollama {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const { child } = await started(PYTHON, ["-m", "tests.llm.fake_ollama", "--port",
                                             String(this.port)], /^http:/, { cwd: ROOT });
    this.child = child;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    }
  }

  async script(model: string, settings: Record<string, unknown>): Promise<void> {
    const answer = await fetch(`${this.url}/_script`, {
      method: "POST", body: JSON.stringify({ model, ...settings }) });
    if (!answer.ok) {
      throw new Error(`scripting ${model} failed: ${answer.status}`);
    }
  }

  async requests(): Promise<{ path: string; body: Record<string, unknown> | null }[]> {
    return (await fetch(`${this.url}/_requests`)).json() as Promise<
      { path: string; body: Record<string, unknown> | null }[]>;
  }
}

export interface Launch {
  /** What code-server (and so the extension host) runs with, over this process's. */
  env?: NodeJS.ProcessEnv;
  /** Symbolic links to make in the workspace: name to target. */
  links?: Record<string, string>;
}

export class VSCode {
  private shots = 0;

  private constructor(readonly page: Page, private readonly browser: Browser,
                      private readonly server: ChildProcess, readonly workspace: string,
                      private readonly home: string, readonly name: string) {}

  /** code-server with the .vsix installed, `files` in a fresh workspace, and `settings` as
   *  the user's settings; then the workbench open in Chromium. */
  static async launch(name: string, files: Record<string, string>,
                      settings: Record<string, unknown>,
                      options: Launch = {}): Promise<VSCode> {
    const home = mkdtempSync(path.join(tmpdir(), "sovereign-e2e-"));
    const workspace = path.join(home, "workspace");
    const data = path.join(home, "data");
    const extensions = path.join(home, "extensions");
    mkdirSync(path.join(data, "User"), { recursive: true });
    mkdirSync(workspace);
    for (const [file, text] of Object.entries(files)) {
      writeFileSync(path.join(workspace, file), text);
    }
    for (const [link, target] of Object.entries(options.links ?? {})) {
      symlinkSync(target, path.join(workspace, link));
    }
    writeFileSync(path.join(data, "User", "settings.json"), JSON.stringify({
      "security.workspace.trust.enabled": false,
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "telemetry.telemetryLevel": "off",
      "extensions.autoUpdate": false,
      "extensions.autoCheckUpdates": false,
      "workbench.enableExperiments": false,
      "git.enabled": false,
      "editor.hover.delay": 150,
      "editor.minimap.enabled": false,
      "window.dialogStyle": "custom",
      ...settings,
    }, null, 2));
    const base = [CODE_SERVER, "--user-data-dir", data, "--extensions-dir", extensions];
    execFileSync(process.execPath, [...base, "--install-extension",
                          path.join(EXTENSION, "sovereign.vsix")], { stdio: "ignore" });
    const port = await freePort();
    const { child } = await started(process.execPath, [...base, "--auth", "none", "--bind-addr",
      `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check",
      "--disable-workspace-trust", "--disable-getting-started-override", workspace],
      /HTTP server listening/, { env: { ...process.env, HOME: home, ...options.env } });
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
                                            args: CHROMIUM_FLAGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
    rmSync(path.join(ARTIFACTS, name), { recursive: true, force: true });
    mkdirSync(path.join(ARTIFACTS, name), { recursive: true });
    return new VSCode(page, browser, child, workspace, home, name);
  }

  /** One thing a user does. Its screenshot is kept; a failure says which step failed. */
  async step(what: string, action: () => Promise<void>): Promise<void> {
    const file = path.join(ARTIFACTS, this.name,
                           `${String(++this.shots).padStart(2, "0")}-${slug(what)}.png`);
    try {
      await action();
    } catch (error) {
      await this.page.screenshot({ path: file.replace(/\.png$/, "-FAILED.png") });
      cpSync(path.join(this.home, "data", "logs"), path.join(ARTIFACTS, this.name, "logs"),
             { recursive: true });
      throw new Error(`step "${what}" failed: ${(error as Error).message}`);
    }
    await this.page.screenshot({ path: file });
  }

  async close(): Promise<void> {
    await this.browser.close();
    const exited = new Promise((resolve) => this.server.once("exit", resolve));
    this.server.kill();
    await exited;
    // Processes the workbench started (a debug adapter, the extension host) may still be
    // writing their last logs as they exit.
    rmSync(this.home, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }

  /** Run a command by its title, as a user does from the command palette. */
  async command(title: string): Promise<void> {
    await this.page.keyboard.press("F1");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor();
    await input.fill(`>${title}`);
    await this.firstChoice(title);
    await this.page.keyboard.press("Enter");
  }

  /** Open a workspace file through Quick Open, and wait until its editor is the active one. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press(`${CTRL}+P`);
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor();
    await input.fill(name);
    await this.firstChoice(name);
    await this.page.keyboard.press("Enter");
    await this.activeTab(name).waitFor();
    await this.page.locator(".editor-group-container.active .editor-instance .view-lines")
      .first().waitFor();
  }

  /** Wait until the quick pick's first (selected) row is `text`, the filter having run. */
  private async firstChoice(text: string): Promise<void> {
    await this.page.locator(".quick-input-list .monaco-list-row").first()
      .filter({ hasText: text }).waitFor();
  }

  activeTab(name: string): Locator {
    return this.page.locator(".tabs-container .tab.active", { hasText: name });
  }

  /** The text of the active editor, line by line (every line must be on screen). */
  async editorLines(): Promise<string[]> {
    const lines = this.page.locator(
      ".editor-group-container.active .editor-instance > .monaco-editor .view-lines").first()
      .locator(".view-line");
    const found: { top: number; text: string }[] = [];
    for (const line of await lines.all()) {
      const top = parseFloat(await line.evaluate((node) => (node as unknown as {
        style: { top: string } }).style.top));
      found.push({ top, text: (await line.innerText()).replace(/\u00a0/g, " ") });
    }
    return found.sort((a, b) => a.top - b.top).map((l) => l.text);
  }

  /** Wait until the active editor's lines satisfy `holds`; they are returned. */
  async linesWhere(holds: (lines: string[]) => boolean, timeout = 15_000): Promise<string[]> {
    const deadline = Date.now() + timeout;
    let lines = await this.editorLines();
    while (!holds(lines)) {
      if (Date.now() > deadline) {
        throw new Error(`the editor never showed the expected text:\n${lines.join("\n")}`);
      }
      await this.page.waitForTimeout(200);
      lines = await this.editorLines();
    }
    return lines;
  }

  /** Choose the action titled exactly `title` in the open quick fix menu, with the keyboard
   *  as a user does (the menu's pointer block takes clicks). */
  async chooseAction(title: string): Promise<void> {
    const rows = this.page.locator(".action-widget .monaco-list-row");
    await rows.first().waitFor();
    const focused = this.page.locator(".action-widget .monaco-list-row.focused");
    for (let tries = await rows.count(); tries > 0; tries--) {
      if ((await focused.innerText()).trim() === title) {
        await this.page.keyboard.press("Enter");
        return;
      }
      await this.page.keyboard.press("ArrowDown");
    }
    throw new Error(`the quick fix menu has no action "${title}"`);
  }

  /** Put the cursor on a line and column (1-based), through Go to Line. */
  async goTo(line: number, column = 1): Promise<void> {
    await this.page.keyboard.press(`${CTRL}+G`);
    await this.page.keyboard.type(`${line}:${column}`);
    await this.page.keyboard.press("Enter");
  }

  statusItem(text: string | RegExp): Locator {
    return this.page.locator("#workbench\\.parts\\.statusbar .statusbar-item", { hasText: text });
  }

  toasts(): Locator {
    return this.page.locator(".notifications-toasts .notification-toast");
  }

  /** Wait until the Output view shows text that matches `pattern`; the text is returned. */
  async outputShows(pattern: RegExp, timeout = 15_000): Promise<string> {
    const view = this.page.locator(".output-view .view-lines").first();
    const deadline = Date.now() + timeout;
    for (;;) {
      const text = (await view.innerText().catch(() => "")).replace(/\u00a0/g, " ");
      if (pattern.test(text)) {
        return text;
      }
      if (Date.now() > deadline) {
        throw new Error(`the output never matched ${pattern}:\n${text}`);
      }
      await this.page.waitForTimeout(200);
    }
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
