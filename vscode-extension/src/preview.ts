// A repair is shown before it is applied: a diff of the document against the repaired text,
// and a dialog with the proof (who wrote it, the confidence, what the sandbox saw before and
// after, and why each rejected candidate was rejected). Nothing changes until the user
// chooses Apply.

import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { Proof, proofText } from "./proof";

const SCHEME = "sovereign-repair";

/** Proposed texts by preview id, served to the diff editor. */
export class ProposedTexts implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(
    SCHEME, this);
  private next = 0;

  add(original: vscode.Uri, text: string): vscode.Uri {
    const id = String(this.next++);
    this.texts.set(id, text);
    return vscode.Uri.from({ scheme: SCHEME, path: original.path, query: id });
  }

  remove(uri: vscode.Uri): void {
    this.texts.delete(uri.query);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.query) ?? "";
  }

  dispose(): void {
    this.registration.dispose();
  }
}

/** Show the repair, and apply it if the user says so. Answers whether it was applied. */
export async function previewRepair(client: LanguageClient, texts: ProposedTexts,
                                    edit: unknown, proof: Proof): Promise<boolean> {
  const workspaceEdit = await client.protocol2CodeConverter.asWorkspaceEdit(
    edit as Parameters<typeof client.protocol2CodeConverter.asWorkspaceEdit>[0]);
  if (!workspaceEdit) {
    return false;
  }
  const [[uri, edits]] = workspaceEdit.entries();
  const document = await vscode.workspace.openTextDocument(uri);
  const proposed = texts.add(uri, applyTo(document, edits));
  const title = `Evolve: ${proof.model}, confidence ${proof.confidence.toFixed(2)} (preview)`;
  await vscode.commands.executeCommand("vscode.diff", uri, proposed, title, { preview: true });
  try {
    const choice = await vscode.window.showInformationMessage(
      "Apply this repair? The sandbox has run it.", { modal: true, detail: proofText(proof) },
      "Apply");
    if (choice !== "Apply") {
      return false;
    }
    const applied = editedVersion(edit) === document.version &&
      await vscode.workspace.applyEdit(workspaceEdit);
    if (!applied) {
      void vscode.window.showWarningMessage(
        "Sovereign: the document changed since the repair was made; evolve it again.");
    }
    return applied;
  } finally {
    await closeDiff(proposed);
    texts.remove(proposed);
    await vscode.window.showTextDocument(document, { preview: false });
  }
}

/** The document version a versioned edit was made for. */
function editedVersion(edit: unknown): number | undefined {
  const changes = (edit as { documentChanges?: { textDocument?: { version?: number } }[] })
    .documentChanges;
  return changes?.[0]?.textDocument?.version;
}

function applyTo(document: vscode.TextDocument, edits: vscode.TextEdit[]): string {
  let text = document.getText();
  const ordered = [...edits].sort((a, b) => document.offsetAt(b.range.start) -
                                            document.offsetAt(a.range.start));
  for (const edit of ordered) {
    text = text.slice(0, document.offsetAt(edit.range.start)) + edit.newText +
           text.slice(document.offsetAt(edit.range.end));
  }
  return text;
}

async function closeDiff(proposed: vscode.Uri): Promise<void> {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.input instanceof vscode.TabInputTextDiff &&
          tab.input.modified.toString() === proposed.toString()) {
        await vscode.window.tabGroups.close(tab);
      }
    }
  }
}
