// What the server says about a repair it offers, and how the preview words it. Pure, so it
// can be tested without VS Code.

export interface Proof {
  /** Who wrote it, in words: a model, a remembered fix, or the search over small edits. */
  model: string;
  /** Where it came from: a model's answer, the pattern memory, or the search (no model). */
  source?: "model" | "memory" | "search";
  confidence: number;
  before: string;
  after: string;
  rejected: string[];
}

/** The dialog's text: one line per fact, one per rejected candidate. */
export function proofText(proof: Proof): string {
  const lines = [
    `${proof.source === "search" ? "Found" : "Written"} by ${proof.model}, ` +
      `confidence ${proof.confidence.toFixed(2)}.`,
    `Sandbox before: ${proof.before}`,
    `Sandbox after: ${proof.after}`,
  ];
  if (proof.rejected.length > 0) {
    lines.push(`Rejected candidates (${proof.rejected.length}):`,
               ...proof.rejected.map((reason) => `• ${reason}`));
  }
  return lines.join("\n");
}
