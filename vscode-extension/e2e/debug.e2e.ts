// Debugging a .sov file in VS Code as a user does: a breakpoint and F5 with no launch.json,
// the stack and memory in the Variables view, Step Back, and a runtime error's stop.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { VSCode } from "./harness";

const COUNTING = "PUSH #0\nSTORE i\nloop: LOAD i\nPUSH #1\nADD\nDUP\nSTORE i\nCALL show\n" +
  "PUSH #3\nLT\nJNZ loop\nHALT\n\nshow: LOAD i\nPRINT\nRET\n";
const DIVIDE = "PUSH #7\nSTORE n\nLOAD n\nPUSH #0\nDIV\nHALT\n";

let vscode: VSCode;

before(async () => {
  vscode = await VSCode.launch("debug", { "counting.sov": COUNTING, "divide.sov": DIVIDE },
                               { "debug.toolBarLocation": "floating", "sovereign.liveValues": true,
                                 "sovereign.diagnostics.debounceMs": 50 });
});

after(async () => {
  await vscode?.close();
});

function variables(text: string | RegExp) {
  return vscode.page.locator(".debug-variables .monaco-list-row", { hasText: text });
}

function topFrame(text: RegExp) {
  return vscode.page.locator(".debug-call-stack .monaco-list-row.selected", { hasText: text });
}

test("live values show what each line left on the stack in the sandbox run", async () => {
  await vscode.step("open the program: its loop's lines show their first and last values",
                    async () => {
    await vscode.openFile("counting.sov");
    await vscode.linesWhere((lines) => lines.some(
      (line) => line.startsWith("loop: LOAD i") && line.includes("⟶ 0 … 2 (×3)")), 60_000);
    const lines = await vscode.editorLines();
    assert.ok(lines.some((l) => l.startsWith("PUSH #0") && l.endsWith("⟶ 0")), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("PUSH #1") && l.endsWith("⟶ 1 (×3)")),
              lines.join("\n"));
    assert.ok(lines.some((l) => l === "JNZ loop"), lines.join("\n"));  // a jump shows none
  });
});

test("F5 stops at a breakpoint; the Variables view shows the stack and memory", async () => {
  await vscode.step("open the program and set a breakpoint on line 15", async () => {
    await vscode.openFile("counting.sov");
    await vscode.page.locator(".codelens-decoration", { hasText: "Debug" }).waitFor({
      timeout: 60_000 });
    await vscode.goTo(15);
    await vscode.page.keyboard.press("F9");
    await vscode.page.locator(".codicon-debug-breakpoint").first().waitFor();
  });
  await vscode.step("F5 debugs the file, with no launch.json", async () => {
    await vscode.page.keyboard.press("F5");
    await topFrame(/show.*15:1/).waitFor({ timeout: 60_000 });
  });
  await vscode.step("the Variables view shows the stack and the memory", async () => {
    await variables("Stack").first().waitFor();
    await variables(/^\s*0 \(top\)\s*=?\s*1\s*$/).waitFor();
    await variables(/^\s*1\s*=?\s*1\s*$/).waitFor();
    await variables("Memory").click();
    await variables(/^\s*i\s*=?\s*1\s*$/).waitFor();
  });
});

test("Step Back returns to the instruction before, with its stack", async () => {
  await vscode.step("step back from PRINT to LOAD i", async () => {
    await vscode.page.locator('.debug-toolbar .action-label[aria-label^="Step Back"]').click();
    await topFrame(/show.*14:7/).waitFor({ timeout: 30_000 });
  });
  await vscode.step("the stack is as it was before LOAD i", async () => {
    await variables(/^\s*0 \(top\)\s*=?\s*1\s*$/).waitFor();
    await variables(/^\s*1\s*=?\s*1\s*$/).waitFor({ state: "detached" });
  });
  await vscode.step("stop debugging", async () => {
    await vscode.page.keyboard.press("Shift+F5");
    await vscode.page.locator(".debug-toolbar").waitFor({ state: "hidden", timeout: 30_000 });
  });
});

test("the Debug code lens stops at a runtime error and shows it", async () => {
  await vscode.step("open the failing program and click Debug", async () => {
    await vscode.openFile("divide.sov");
    await vscode.page.locator(".codelens-decoration a", { hasText: "Debug" }).click({
      timeout: 60_000 });
  });
  await vscode.step("the exception widget shows the error's kind and message", async () => {
    const widget = vscode.page.locator(".exception-widget");
    await widget.waitFor({ timeout: 60_000 });
    assert.match(await widget.innerText(), /DivisionByZero[\s\S]*7 \/ 0/);
    await topFrame(/main.*5:1/).waitFor();
  });
  await vscode.step("continuing ends the session", async () => {
    await vscode.page.keyboard.press("F5");
    await vscode.page.locator(".debug-toolbar").waitFor({ state: "hidden", timeout: 30_000 });
  });
});
