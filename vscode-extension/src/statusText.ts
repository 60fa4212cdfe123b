// The status bar's text, from the server's sovereign/status notifications, the model the user
// selected, and whether a command is waiting on the LLM. Pure, so it can be tested without
// VS Code.

export interface ServerStatus {
  state: string;
  message: string;
  model?: string;
}

export interface StatusText {
  text: string;
  tooltip: string;
}

/** The text to show. The selected model wins over the model the server last used: it is the
 *  one the next request asks first. */
export function statusText(status: ServerStatus | undefined, busy: boolean,
                           selectedModel?: string): StatusText {
  const model = selectedModel || status?.model || "";
  if (busy || status?.state === "working") {
    return { text: `$(sync~spin) ${model || "Sovereign"}`,
             tooltip: status?.state === "working" ? status.message
                                                  : "Sovereign: the LLM is working" };
  }
  if (!status) {
    return { text: `$(circuit-board) ${model || "Sovereign"}`,
             tooltip: "Sovereign: no LLM used yet. Click to select a model." };
  }
  switch (status.state) {
    case "ready":
      return { text: `$(check) ${model || "LLM ready"}`, tooltip: status.message };
    case "unavailable":
      return { text: "$(warning) LLM unavailable", tooltip: status.message };
    case "refused":
      return { text: `$(circle-slash) ${model || "no valid code"}`, tooltip: status.message };
    default:
      return { text: `$(circuit-board) ${model || "Sovereign"}`, tooltip: status.message };
  }
}
