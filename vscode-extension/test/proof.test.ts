import assert from "node:assert/strict";
import { test } from "node:test";
import { proofText } from "../src/proof";

test("the proof says who, how sure, what the sandbox saw, and each rejection", () => {
  assert.equal(proofText({
    model: "m", confidence: 0.8333, before: "R301 division by zero on line 9: 1 / 0",
    after: "runs without error and prints 10", rejected: ["m: still fails", "m: only deletes code"],
  }), "Written by m, confidence 0.83.\nSandbox before: R301 division by zero on line 9: 1 / 0\n" +
      "Sandbox after: runs without error and prints 10\nRejected candidates (2):\n" +
      "• m: still fails\n• m: only deletes code");
  assert.ok(!proofText({ model: "m", confidence: 1, before: "b", after: "a", rejected: [] })
    .includes("Rejected"));
});

test("a repair the search found says so: no model wrote it", () => {
  const text = proofText({
    model: "the search, no model (LOAD cuont → LOAD count on line 3)", source: "search",
    confidence: 1, before: "b", after: "a", rejected: [],
  });
  assert.ok(text.startsWith("Found by the search, no model (LOAD cuont → LOAD count on line 3)"));
});
