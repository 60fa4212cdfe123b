// Which language server to start, in the order a user expects: the sovereign.server.path
// setting, then a workspace's .venv that has sovereign installed, then the server bundled with
// this extension, run by the Python interpreter the Python extension selected or by python3 /
// python on PATH (3.11 or later). Pure: the caller says what exists and probes each candidate,
// so this can be tested without VS Code.

import * as path from "node:path";

/** What to run to check that a candidate works before it is started. */
export interface Probe {
  command: string;
  args: string[];
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  origin: string;
  probe: Probe;
}

export interface Environment {
  setting?: string;
  /** Python interpreters of workspace .venv folders that exist. */
  workspaceVenvs: string[];
  /** The interpreter selected in the Python extension, if it is installed. */
  pythonInterpreter?: string;
  /** Python interpreters found on PATH (python3, python). */
  pathPythons: string[];
  /** The folder holding the bundled server and its dependencies. */
  bundled: string;
}

export const MIN_PYTHON = "3.11";

// -P: the current folder (the user's workspace) must not shadow the server's modules.
const MODULE = ["-P", "-m", "sovereign", "lsp"];
const HAS_SOVEREIGN = "import sys, sovereign; sys.exit(sys.version_info < (3, 11))";
const NEW_ENOUGH = "import sys; print('%d.%d' % sys.version_info[:2]); " +
  "sys.exit(sys.version_info < (3, 11))";

export function candidates(env: Environment): Launch[] {
  const found: Launch[] = [];
  const setting = env.setting?.trim();
  if (setting) {
    found.push(isPython(setting)
      ? withSovereign(setting, "sovereign.server.path")
      : { command: setting, args: ["lsp"], env: {}, origin: "sovereign.server.path",
          probe: { command: setting, args: ["--version"] } });
  }
  for (const python of env.workspaceVenvs) {
    found.push(withSovereign(python, "the workspace's .venv"));
  }
  const pythons = [
    ...(env.pythonInterpreter ? [[env.pythonInterpreter, "the Python extension's interpreter"]]
                              : []),
    ...env.pathPythons.map((python) => [python, `${path.basename(python)} on PATH`]),
  ];
  for (const [python, where] of pythons) {
    found.push({
      command: python, args: MODULE, env: { PYTHONPATH: env.bundled },
      origin: `the bundled server with ${where}`,
      probe: { command: python, args: ["-c", NEW_ENOUGH] },
    });
  }
  return found;
}

function withSovereign(python: string, origin: string): Launch {
  return { command: python, args: MODULE, env: {}, origin,
           probe: { command: python, args: ["-c", HAS_SOVEREIGN] } };
}

export function isPython(program: string): boolean {
  return /python[0-9.]*(\.exe)?$/i.test(path.basename(program));
}

/** Where a .venv's interpreter lives, on this platform. */
export function venvPython(folder: string, platform: string = process.platform): string {
  return platform === "win32" ? path.join(folder, ".venv", "Scripts", "python.exe")
                              : path.join(folder, ".venv", "bin", "python");
}

/** How the debug adapter is started: the language server's command line, with `dap` for
 *  `lsp` (whichever candidate was found, it is the same `sovereign`). */
export function adapterArgs(serverArgs: string[]): string[] {
  const at = serverArgs.lastIndexOf("lsp");
  return at < 0 ? [...serverArgs, "dap"]
    : [...serverArgs.slice(0, at), "dap", ...serverArgs.slice(at + 1)];
}
