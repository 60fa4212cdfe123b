// The extension's settings: which changes need the server restarted (how it is started);
// every other one the running server picks up itself through workspace/configuration, and
// the language client follows sovereign.trace.server on its own.

export const SECTION = "sovereign";

const RESTART = ["sovereign.server.path"];

export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART.some((section) => affects(section));
}
