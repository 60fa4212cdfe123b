import assert from "node:assert/strict";
import { test } from "node:test";
import { adapterArgs, candidates, isPython, venvPython } from "../src/discovery";

const BUNDLED = "/ext/bundled/libs";

test("the setting, then a workspace .venv, then the bundled server with each Python", () => {
  const found = candidates({
    setting: "/opt/bin/sovereign", workspaceVenvs: ["/ws/.venv/bin/python"],
    pythonInterpreter: "/py/bin/python3.12", pathPythons: ["/usr/bin/python3"], bundled: BUNDLED,
  });
  assert.deepEqual(found.map((c) => [c.command, c.args.join(" "), c.origin]), [
    ["/opt/bin/sovereign", "lsp", "sovereign.server.path"],
    ["/ws/.venv/bin/python", "-P -m sovereign lsp", "the workspace's .venv"],
    ["/py/bin/python3.12", "-P -m sovereign lsp",
     "the bundled server with the Python extension's interpreter"],
    ["/usr/bin/python3", "-P -m sovereign lsp", "the bundled server with python3 on PATH"],
  ]);
  assert.deepEqual(found.map((c) => c.env), [{}, {}, { PYTHONPATH: BUNDLED },
                                             { PYTHONPATH: BUNDLED }]);
});

test("a Python interpreter in the setting runs the installed module", () => {
  const [first] = candidates({ setting: "C:\\Python311\\python.exe", workspaceVenvs: [],
                               pathPythons: [], bundled: BUNDLED });
  assert.deepEqual([first.command, first.args, first.env],
                   ["C:\\Python311\\python.exe", ["-P", "-m", "sovereign", "lsp"], {}]);
  assert.match(first.probe.args.join(" "), /import sys, sovereign/);
});

test("each candidate is probed by running it: version and the module it needs", () => {
  const [executable, bundled] = candidates({ setting: "/bin/sovereign", workspaceVenvs: [],
                                             pathPythons: ["python3"], bundled: BUNDLED });
  assert.deepEqual(executable.probe, { command: "/bin/sovereign", args: ["--version"] });
  assert.equal(bundled.probe.command, "python3");
  assert.match(bundled.probe.args[1], /sys\.version_info < \(3, 11\)/);
});

test("only what exists is offered", () => {
  assert.deepEqual(candidates({ setting: "  ", workspaceVenvs: [], pathPythons: [],
                                bundled: BUNDLED }), []);
});

test("interpreters and .venv paths are recognised per platform", () => {
  assert.ok(isPython("/usr/bin/python3.11") && isPython("python.exe") && !isPython("sovereign"));
  assert.equal(venvPython("/ws", "linux"), "/ws/.venv/bin/python");
  assert.equal(venvPython("C:\\ws", "win32").endsWith("python.exe"), true);
});

test("the debug adapter starts as the server does, with dap for lsp", () => {
  assert.deepEqual(adapterArgs(["-P", "-m", "sovereign", "lsp"]), ["-P", "-m", "sovereign", "dap"]);
  assert.deepEqual(adapterArgs(["lsp"]), ["dap"]);
});
