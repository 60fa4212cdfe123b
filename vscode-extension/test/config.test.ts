import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { needsRestart } from "../src/config";

test("only how the server starts needs a restart", () => {
  assert.equal(needsRestart((s) => s === "sovereign.server.path"), true);
  assert.equal(needsRestart((s) => s === "sovereign.llm.model"), false);
  assert.equal(needsRestart((s) => s === "sovereign.sandbox.maxSteps"), false);
});

test("every setting is documented with a default", () => {
  const manifest = JSON.parse(readFileSync("package.json", "utf8"));
  const properties = manifest.contributes.configuration.properties;
  for (const [name, property] of Object.entries<Record<string, unknown>>(properties)) {
    assert.ok(typeof property.description === "string" && property.description.length > 20, name);
    assert.ok("default" in property, name);
  }
});

test("the settings the server reads are all contributed", () => {
  const manifest = JSON.parse(readFileSync("package.json", "utf8"));
  const names = Object.keys(manifest.contributes.configuration.properties);
  for (const name of ["sovereign.sandbox.maxSteps", "sovereign.diagnostics.debounceMs",
                      "sovereign.inlayHints.enabled", "sovereign.llm.host", "sovereign.llm.model",
                      "sovereign.evolve.memoryPath"]) {
    assert.ok(names.includes(name), name);
  }
  assert.equal(manifest.engines.vscode, "^1.96.0");
});
