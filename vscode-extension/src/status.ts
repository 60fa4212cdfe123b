// The status bar item (see statusText.ts for what it says). Clicking it opens Select Model.

import * as vscode from "vscode";
import { ServerStatus, statusText } from "./statusText";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private last: ServerStatus | undefined;
  private busy = 0;

  constructor(private readonly selectedModel: () => string | undefined) {
    this.item.command = "sovereign.selectModel";
    this.item.name = "Sovereign";
    this.show();
  }

  /** A sovereign/status notification from the server. */
  update(status: ServerStatus): void {
    this.last = status;
    this.show();
  }

  /** Run `work` with the spinner shown. */
  async whileBusy<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    this.show();
    try {
      return await work();
    } finally {
      this.busy -= 1;
      this.show();
    }
  }

  show(): void {
    const { text, tooltip } = statusText(this.last, this.busy > 0, this.selectedModel());
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
