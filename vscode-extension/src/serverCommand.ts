// Where the language server is, in the order users expect: the sovereign.server.path setting,
// the Python interpreter chosen in the Python extension, `sovereign` on PATH, `python3 -m
// sovereign`. Pure: the caller says what exists, so this can be tested without VS Code.

export interface ServerCommand {
  command: string;
  args: string[];
  origin: string;
}

export interface Environment {
  setting?: string;
  pythonInterpreter?: string;
  onPath: (program: string) => boolean;
}

export function serverCandidates(env: Environment): ServerCommand[] {
  const candidates: ServerCommand[] = [];
  const setting = env.setting?.trim();
  if (setting) {
    const isPython = /python[0-9.]*(\.exe)?$/i.test(setting);
    candidates.push(isPython
      ? { command: setting, args: ["-m", "sovereign", "lsp"], origin: "sovereign.server.path" }
      : { command: setting, args: ["lsp"], origin: "sovereign.server.path" });
  }
  if (env.pythonInterpreter) {
    candidates.push({ command: env.pythonInterpreter, args: ["-m", "sovereign", "lsp"],
                      origin: "the Python extension's interpreter" });
  }
  if (env.onPath("sovereign")) {
    candidates.push({ command: "sovereign", args: ["lsp"], origin: "sovereign on PATH" });
  }
  if (env.onPath("python3")) {
    candidates.push({ command: "python3", args: ["-m", "sovereign", "lsp"],
                      origin: "python3 -m sovereign" });
  }
  return candidates;
}

/** The command that checks a candidate works: the same program, asked for its version. */
export function probe(candidate: ServerCommand): { command: string; args: string[] } {
  const args = candidate.args.slice(0, -1);
  return { command: candidate.command, args: [...args, "--help"] };
}
