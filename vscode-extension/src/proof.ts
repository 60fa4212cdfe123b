// What the server says about a repair it offers, and how the preview words it. Pure, so it
// can be tested without VS Code.

export interface Proof {
  model: string;
  confidence: number;
  before: string;
  after: string;
  rejected: string[];
}

/** The dialog's text: one line per fact, one per rejected candidate. */
export function proofText(proof: Proof): string {
  const lines = [
    `Written by ${proof.model}, confidence ${proof.confidence.toFixed(2)}.`,
    `Sandbox before: ${proof.before}`,
    `Sandbox after: ${proof.after}`,
  ];
  if (proof.rejected.length > 0) {
    lines.push(`Rejected candidates (${proof.rejected.length}):`,
               ...proof.rejected.map((reason) => `• ${reason}`));
  }
  return lines.join("\n");
}
