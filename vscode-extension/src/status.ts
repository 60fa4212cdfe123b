// The status bar text, from the server's sovereign/status notifications and whether LLM work
// is running. Pure, so it can be tested without VS Code.

export interface ServerStatus {
  state: string;
  message: string;
  model?: string;
}

export interface StatusText {
  text: string;
  tooltip: string;
}

export function statusText(status: ServerStatus | undefined, busy: boolean,
                           selectedModel?: string): StatusText {
  const model = status?.model || selectedModel || "";
  if (busy) {
    return { text: `$(sync~spin) ${model || "Sovereign"}`, tooltip: "Sovereign: the LLM is working" };
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
