// The extension's settings and the commands it runs itself. Which setting changes need the
// server restarted (how it is started); every other one the running server picks up through
// workspace/configuration, and the language client follows sovereign.trace.server on its own.

export const SECTION = "sovereign";

const RESTART = ["sovereign.server.path"];

export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART.some((section) => affects(section));
}

/** The commands this extension runs itself; the server offers them in code lenses and code
 *  actions instead of its own (it learns them from the initialization options). */
export const CLIENT_COMMANDS = ["sovereign.runFile", "sovereign.debugFile",
                                "sovereign.previewRepair"];

/** The server's commands, called through workspace/executeCommand. */
export const SERVER = {
  run: "sovereign.server.run",
  generate: "sovereign.server.generate",
  models: "sovereign.server.models",
  evolveSelection: "sovereign.server.evolveSelection",
} as const;
