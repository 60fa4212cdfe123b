import assert from "node:assert/strict";
import { test } from "node:test";
import { statusText } from "../src/statusText";

test("busy, or the server working, shows a spinner with the model", () => {
  assert.equal(statusText({ state: "ready", message: "", model: "m" }, true).text,
               "$(sync~spin) m");
  assert.deepEqual(statusText({ state: "working", message: "evolving: division by zero" }, false),
                   { text: "$(sync~spin) Sovereign", tooltip: "evolving: division by zero" });
});

test("each state has its text, and the tooltip says why", () => {
  assert.equal(statusText({ state: "ready", message: "generated with m", model: "m" }, false).text,
               "$(check) m");
  const down = statusText({ state: "unavailable", message: "start it with `ollama serve`" }, false);
  assert.deepEqual(down, { text: "$(warning) LLM unavailable",
                           tooltip: "start it with `ollama serve`" });
  assert.equal(statusText(undefined, false, "picked").text, "$(circuit-board) picked");
});

test("the selected model wins over the model the server used last", () => {
  assert.equal(statusText({ state: "ready", message: "", model: "old" }, false, "picked").text,
               "$(check) picked");
});
