import assert from "node:assert/strict";
import { test } from "node:test";
import { probe, serverCandidates } from "../src/serverCommand";

test("the setting comes first, then the Python extension, PATH, python3", () => {
  const found = serverCandidates({
    setting: "/opt/bin/sovereign", pythonInterpreter: "/venv/bin/python",
    onPath: () => true,
  });
  assert.deepEqual(found.map((c) => [c.command, c.args.join(" ")]), [
    ["/opt/bin/sovereign", "lsp"],
    ["/venv/bin/python", "-m sovereign lsp"],
    ["sovereign", "lsp"],
    ["python3", "-m sovereign lsp"],
  ]);
});

test("a Python interpreter in the setting runs the module", () => {
  const [first] = serverCandidates({ setting: "C:\\Python311\\python.exe", onPath: () => false });
  assert.deepEqual([first.command, first.args], ["C:\\Python311\\python.exe",
                                                 ["-m", "sovereign", "lsp"]]);
});

test("only what exists is offered", () => {
  assert.deepEqual(serverCandidates({ setting: "  ", onPath: (p) => p === "python3" })
    .map((c) => c.origin), ["python3 -m sovereign"]);
  assert.deepEqual(serverCandidates({ onPath: () => false }), []);
});

test("a candidate is checked by asking the same program for help", () => {
  assert.deepEqual(probe({ command: "python3", args: ["-m", "sovereign", "lsp"], origin: "" }),
                   { command: "python3", args: ["-m", "sovereign", "--help"] });
  assert.deepEqual(probe({ command: "sovereign", args: ["lsp"], origin: "" }),
                   { command: "sovereign", args: ["--help"] });
});
