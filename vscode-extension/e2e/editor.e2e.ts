// What a user does with a .sov file in VS Code, step by step, with the extension installed
// from its .vsix and the scripted Ollama server as the LLM.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { CTRL, Ollama, VSCode, freePort } from "./harness";

const EXAMPLES = path.resolve(__dirname, "..", "..", "..", "examples");
const example = (name: string) => readFileSync(path.join(EXAMPLES, name), "utf8");
const MODEL = "qwen2.5-coder:7b";
const OTHER_MODEL = "qwen2.5-coder:1.5b";

const STILL_FAILING = "```sovereign\nhalf_of:\n    PUSH #1\n    MUL\n    PUSH #50\n    SWAP\n" +
  "    DIV\n    RET\n```";
const REPAIRED = "The divisor can be zero; guard it:\n```sovereign\nhalf_of:\n    DUP\n" +
  "    JZ half_zero\n    PUSH #50\n    SWAP\n    DIV\n    RET\nhalf_zero:\n    RET\n```";

let vscode: VSCode;
let ollama: Ollama;

async function scriptModels(): Promise<void> {
  await ollama.script(MODEL, { by_prompt: {
    half_of: [STILL_FAILING, REPAIRED, REPAIRED],
    "numbers 1 to 3": ["Sure! Here is the code:\n```sovereign\nPUSH #1\nPRINT\nPUSH #2\n" +
                       "PRINT\nPUSH #3\nPRINT\n```\nIt prints 1, 2 and 3.<|im_end|>"],
    "print hello": ['```sovereign\nPUSH "hello"\nPRINT\n```'],
    "print four": ["```sovereign\nPUSH #4\nPRINT\n```"],
  } });
  await ollama.script(OTHER_MODEL, { by_prompt: {
    "numbers 1 to 3": ["```sovereign\nPUSH #1\nPRINT\nPUSH #2\nPRINT\nPUSH #3\nPRINT\n```"],
  } });
}

before(async () => {
  ollama = new Ollama(await freePort());
  await ollama.start();
  await scriptModels();
  vscode = await VSCode.launch("editor", {
    "division_by_zero.sov": example("bugs/division_by_zero.sov"),
    "unstated.sov": example("bugs/division_by_zero.sov").replace("; expect: 5\n", ""),
    "factorial.sov": example("factorial_recursive.sov"),
    "underflow.sov": "; one value too few\n    PUSH #1\n    ADD\n    PRINT\n",
    "messy.sov": "push #1\n  print   ; one\nhalt\n",
    "generate.sov": "; gen: print the numbers 1 to 3\n    HALT\n",
    "ghost.sov": "; gen: print hello\n    HALT\n",
  }, { "sovereign.llm.host": ollama.url, "sovereign.diagnostics.debounceMs": 50 });
});

after(async () => {
  await vscode?.close();
  await ollama?.stop();
});

test("a buggy file gets a squiggle and a Problems row on the failing line", async () => {
  await vscode.step("open the buggy file", () => vscode.openFile("division_by_zero.sov"));
  await vscode.step("the runtime error is squiggled", async () => {
    await vscode.page.locator(".squiggly-error").first().waitFor({ timeout: 30_000 });
  });
  await vscode.step("the Problems view lists it on line 13", async () => {
    await vscode.page.keyboard.press(`${CTRL}+Shift+M`);
    const row = vscode.page.locator(".markers-panel .monaco-list-row",
                                    { hasText: "DivisionByZero" });
    await row.waitFor();
    assert.match(await row.innerText(), /Ln 13, Col 5/);
  });
});

test("hovering an opcode shows its reference", async () => {
  await vscode.step("hover DIV", async () => {
    await vscode.goTo(13, 6);
    await vscode.page.keyboard.press(`${CTRL}+K`);
    await vscode.page.keyboard.press(`${CTRL}+I`);
    const hover = vscode.page.locator(".monaco-hover-content", { hasText: "Divide a by b" });
    await hover.waitFor();
    assert.match(await hover.innerText(), /DivisionByZero/);
  });
});

test("Evolve this block — no model needed: the search's repair, its proof, applied", async () => {
  await vscode.page.keyboard.press("Escape");
  await vscode.step("the search's quick fix is listed", async () => {
    await vscode.goTo(13, 5);
    await vscode.page.keyboard.press(`${CTRL}+.`);
    await vscode.page.locator(".action-widget", { hasText: "no model needed" }).waitFor();
  });
  await vscode.step("choosing it previews the repair and says no model wrote it", async () => {
    await vscode.chooseAction("Evolve this block — no model needed");
    const dialog = vscode.page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, /Found by the search, no model \(guard the DIV on line 13: 0 when/);
    assert.match(text, /Sandbox before: R301 division by zero on line 13/);
    assert.match(text, /Sandbox after: runs without error and prints 5/);
  });
  await vscode.step("applying it clears the diagnostics", async () => {
    await vscode.page.locator(".monaco-dialog-box .monaco-button", { hasText: "Apply" }).click();
    await vscode.page.locator(".squiggly-error").first().waitFor({ state: "detached",
                                                                  timeout: 30_000 });
    await vscode.linesWhere((lines) => lines.includes("    JNZ divisor_ok"));
  });
  await vscode.step("no model was asked", async () => {
    assert.ok(!(await ollama.requests()).some((r) => r.path === "/api/chat"));
  });
});

test("Evolve this block: a model's repair, its proof, applied", async () => {
  await vscode.step("open a file whose output nothing states", async () => {
    await vscode.openFile("unstated.sov");
    await vscode.page.locator(".squiggly-error").first().waitFor({ timeout: 30_000 });
  });
  await vscode.step("the quick fix that asks a model is listed", async () => {
    await vscode.goTo(12, 5);
    await vscode.page.keyboard.press(`${CTRL}+.`);
    await vscode.page.locator(".action-widget", { hasText: "Evolve this block" }).waitFor();
  });
  await vscode.step("choosing it previews the repair with its proof", async () => {
    await vscode.chooseAction("Evolve this block");
    const dialog = vscode.page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 60_000 });
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Written by ${MODEL.replace(".", "\\.")}, confidence`));
    assert.match(text, /Sandbox before: R301 division by zero on line 12/);
    assert.match(text, /Sandbox after: runs without error and prints 5/);
    assert.match(text, /Rejected candidates \(1\):\n• qwen2\.5-coder:7b: still fails/);
    await vscode.page.locator(".monaco-diff-editor").first().waitFor();
  });
  await vscode.step("applying it clears the diagnostics", async () => {
    await vscode.page.locator(".monaco-dialog-box .monaco-button", { hasText: "Apply" }).click();
    await vscode.page.locator(".squiggly-error").first().waitFor({ state: "detached",
                                                                  timeout: 30_000 });
    await vscode.linesWhere((lines) => lines.includes("    JZ half_zero") &&
      lines.includes("half_of:                ; ( d -- 10/d*... )"));  // the comment is kept
  });
  await vscode.step("the status bar names the model that repaired it", async () => {
    await vscode.statusItem(MODEL).waitFor();
  });
});

test("Run File and the Run lens show the output, and the error with its line", async () => {
  await vscode.step("open a program", () => vscode.openFile("factorial.sov"));
  await vscode.step("the Run lens shows what it prints", async () => {
    await vscode.page.locator(".codelens-decoration a", { hasText: "Run" }).first().click();
    const text = await vscode.outputShows(/✓ halted after \d+ steps/);
    assert.match(text, /^▶ \/.*factorial\.sov\n479001600\n✓/);
  });
  await vscode.step("Run File on a failing program links the failing line", async () => {
    await vscode.openFile("underflow.sov");
    await vscode.command("Sovereign: Run File");
    const text = await vscode.outputShows(/StackUnderflow/);
    assert.match(text, /✗ \/.*underflow\.sov:3:5: line 3: StackUnderflow/);
    await vscode.page.locator(".output-view .detected-link", { hasText: "underflow.sov:3:5" })
      .waitFor();
    assert.ok(!/\[info\]/.test(text), "the run output is not the server's log");
  });
});

test("go to definition, rename and format", async () => {
  await vscode.step("go to the definition of a subroutine", async () => {
    await vscode.openFile("factorial.sov");
    await vscode.goTo(4, 11);
    await vscode.page.keyboard.press("F12");
    await vscode.statusItem("Ln 8, Col 1").waitFor();
  });
  await vscode.step("rename it everywhere", async () => {
    await vscode.page.keyboard.press("F2");
    const input = vscode.page.locator(".rename-box input");
    await input.waitFor();
    await input.fill("factorial");
    await vscode.page.keyboard.press("Enter");
    await vscode.linesWhere((lines) => lines.includes("    CALL factorial") &&
      lines.includes("factorial:") && lines.includes("    CALL factorial           ; ( n -- n (n-1)! )"));
  });
  await vscode.step("format a messy file", async () => {
    await vscode.openFile("messy.sov");
    await vscode.command("Format Document");
    await vscode.linesWhere((lines) => lines[0] === "    PUSH #1" &&
      lines[1] === "    PRINT           ; one" && lines[2] === "    HALT");
  });
});

test("; gen: brings generated code as a completion, and it runs", async () => {
  await vscode.step("Ctrl+Space on the request line", async () => {
    await vscode.openFile("generate.sov");
    await vscode.goTo(1, 32);
    await vscode.page.keyboard.press(`${CTRL}+Space`);
    const item = vscode.page.locator(".suggest-widget .monaco-list-row", {
      hasText: "Generate: print the numbers 1 to 3" });
    await item.waitFor({ timeout: 30_000 });
  });
  await vscode.step("the item says what the sandbox saw", async () => {
    await vscode.page.keyboard.press(`${CTRL}+Space`);  // the item's details, beside it
    await vscode.page.locator(".suggest-details", { hasText: "ran in the sandbox: prints 1, 2, 3" })
      .waitFor();
  });
  await vscode.step("accepting it inserts the code, which runs", async () => {
    await vscode.page.keyboard.press("Enter");
    await vscode.linesWhere((lines) => lines.join("\n").startsWith(
      "; gen: print the numbers 1 to 3\nPUSH #1\nPRINT\nPUSH #2\nPRINT\nPUSH #3\nPRINT"));
    await vscode.command("Sovereign: Run File");
    assert.match(await vscode.outputShows(/✓ halted/), /\n1\n2\n3\n✓ halted/);
  });
});

test("ghost text brings the code too", async () => {
  await vscode.step("ask for an inline suggestion", async () => {
    await vscode.openFile("ghost.sov");
    await vscode.goTo(1, 19);
    await vscode.command("Trigger Inline Suggestion");
    await vscode.page.locator(".ghost-text-decoration, .ghost-text").first()
      .waitFor({ timeout: 30_000 });
  });
  await vscode.step("Tab accepts it", async () => {
    await vscode.page.keyboard.press("Tab");
    await vscode.linesWhere((lines) => lines[1] === 'PUSH "hello"' && lines[2] === "PRINT");
  });
});

test("Select Model: the current model is marked and shown in the status bar", async () => {
  await vscode.step("pick another model", async () => {
    await vscode.command("Sovereign: Select Model");
    await vscode.page.locator(".quick-input-list .monaco-list-row", { hasText: OTHER_MODEL })
      .click();
    await vscode.statusItem(OTHER_MODEL).waitFor();
  });
  await vscode.step("the picker marks it as current", async () => {
    await vscode.command("Sovereign: Select Model");
    const row = vscode.page.locator(".quick-input-list .monaco-list-row", { hasText: OTHER_MODEL });
    await row.filter({ hasText: "current" }).waitFor();
    await vscode.page.keyboard.press("Escape");
  });
  await vscode.step("the next generation asks the selected model first", async () => {
    await vscode.openFile("generate.sov");
    await vscode.page.keyboard.press(`${CTRL}+A`);
    await vscode.page.keyboard.type("; gen: print the numbers 1 to 3 again\n");
    await vscode.goTo(1, 38);
    await vscode.page.keyboard.press(`${CTRL}+Space`);
    await vscode.page.locator(".suggest-widget", { hasText: OTHER_MODEL }).waitFor({
      timeout: 30_000 });
    await vscode.page.keyboard.press("Escape");
    const asked = (await ollama.requests()).filter((r) => r.path === "/api/chat" ||
                                                         r.path === "/api/generate");
    assert.equal(asked[asked.length - 1].body?.model, OTHER_MODEL);
  });
});

test("Ollama down and back: one quiet status, no storm of messages", async () => {
  await vscode.step("with Ollama down a generation says so in the status bar", async () => {
    await ollama.stop();
    await vscode.page.keyboard.press(`${CTRL}+A`);
    await vscode.page.keyboard.type("; gen: print four\n");
    await vscode.goTo(1, 18);
    await vscode.page.keyboard.press(`${CTRL}+Space`);
    await vscode.statusItem("LLM unavailable").waitFor({ timeout: 30_000 });
    await vscode.page.keyboard.press("Escape");
    assert.equal(await vscode.toasts().count(), 0);
  });
  await vscode.step("with Ollama back the next generation works", async () => {
    await ollama.start();
    await scriptModels();
    await vscode.page.keyboard.press(`${CTRL}+Space`);
    await vscode.page.locator(".suggest-widget", { hasText: "Generate:" }).waitFor({
      timeout: 30_000 });
    await vscode.page.keyboard.press("Escape");
    await vscode.statusItem(`$(check) ${OTHER_MODEL}`).or(vscode.statusItem(OTHER_MODEL))
      .first().waitFor();
    assert.equal(await vscode.statusItem("LLM unavailable").count(), 0);
    assert.equal(await vscode.toasts().count(), 0);
  });
});

test("Restart Server starts it again, and diagnostics come back", async () => {
  await vscode.step("restart", async () => {
    await vscode.openFile("underflow.sov");
    await vscode.command("Sovereign: Restart Server");
    await vscode.command("Sovereign: Show Server Log");
    await vscode.outputShows(/Restarting the language server[^]*Starting the language server/);
  });
  await vscode.step("the diagnostics are published again", async () => {
    await vscode.openFile("underflow.sov");
    await vscode.page.locator(".squiggly-error").first().waitFor({ timeout: 30_000 });
  });
});
