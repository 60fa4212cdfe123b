// Puts the language server inside the extension, as Microsoft's Python tool extensions do:
// bundled/libs holds the sovereign package and its dependencies as pure-Python wheels
// (`--implementation py`, so one .vsix serves every platform), at the versions the project's
// own environment was tested with. The extension runs it with any Python 3.11 or later.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve("..");
const target = path.resolve("bundled", "libs");
const venvPython = path.join(root, ".venv", "bin", "python");
const python = process.env.PYTHON_FOR_BUNDLE || (existsSync(venvPython) ? venvPython : "python3");

function run(args, options = {}) {
  return execFileSync(python, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
                                      ...options });
}

const dependencies = JSON.parse(run(["-c",
  "import json, tomllib; print(json.dumps(tomllib.load(open('pyproject.toml', 'rb'))" +
  "['project']['dependencies']))"], { cwd: root }));
// The versions installed where the tests ran, so the bundle is what was tested.
const tested = run(["-m", "pip", "freeze", "--exclude-editable"]);
const scratch = mkdtempSync(path.join(tmpdir(), "sovereign-bundle-"));
const constraints = path.join(scratch, "constraints.txt");
writeFileSync(constraints, tested);

rmSync(path.resolve("bundled"), { recursive: true, force: true });
execFileSync(python, [
  "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
  "--target", target, "--only-binary=:all:", "--implementation", "py", "--platform", "any",
  "--python-version", "3.11", "--constraint", constraints, ...dependencies,
], { stdio: "inherit" });
cpSync(path.join(root, "server", "sovereign"), path.join(target, "sovereign"), {
  recursive: true, filter: (source) => !source.includes("__pycache__"),
});
rmSync(path.join(target, "bin"), { recursive: true, force: true }); // console scripts: unused
rmSync(scratch, { recursive: true, force: true });
console.log(`bundled the server and ${dependencies.length} dependencies in ${target}`);
