// Without semantic tokens (the grammar alone, as on GitHub or in a TextMate-only editor) every
// opcode must still be coloured as an instruction by VS Code's default themes, and labels
// must stand out. Tokenized with vscode-textmate and the themes of the installed VS Code, the
// way VS Code itself colours a file.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { INITIAL, IRawTheme, Registry, parseRawGrammar } from "vscode-textmate";
import { loadWASM, OnigScanner, OnigString } from "vscode-oniguruma";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const THEMES = path.join(ROOT, ".vscode-test", "code-server-4.96.4", "node_modules",
                         "code-server", "lib", "vscode", "extensions", "theme-defaults", "themes");
const GRAMMAR = path.join(ROOT, "grammar", "sovereign.tmLanguage.json");
const MIN_CONTRAST = 3;
const PYTHON = process.env.E2E_PYTHON ?? path.join(ROOT, ".venv", "bin", "python");
/** Every opcode, from the one opcode table. */
const OPCODES = execFileSync(PYTHON, ["-c", "from sovereign.lang.opcodes import OPCODES; " +
                                             "print(' '.join(OPCODES))"], { encoding: "utf8" })
  .trim().split(" ");

interface ThemeFile {
  include?: string;
  colors?: Record<string, string>;
  tokenColors?: { scope?: string | string[]; settings: { foreground?: string } }[];
}

/** A default theme with the themes it includes, as VS Code merges them. */
function theme(file: string): { raw: IRawTheme; foreground: string; background: string } {
  const chain: ThemeFile[] = [];
  for (let name: string | undefined = file; name; ) {
    const found = JSON.parse(readFileSync(path.join(THEMES, name), "utf8")) as ThemeFile;
    chain.unshift(found);
    name = found.include && path.basename(found.include);
  }
  const colors = Object.assign({}, ...chain.map((t) => t.colors ?? {}));
  const dark = file.startsWith("dark");
  const foreground = colors["editor.foreground"] ?? (dark ? "#D4D4D4" : "#000000");
  const background = colors["editor.background"] ?? (dark ? "#1E1E1E" : "#FFFFFF");
  const settings = chain.flatMap((t) => t.tokenColors ?? []);
  return { raw: { settings: [{ settings: { foreground, background } }, ...settings] as
                    IRawTheme["settings"] }, foreground, background };
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

async function colours(themeFile: string, lines: string[]): Promise<Map<string, string>> {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const { raw } = theme(themeFile);
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new OnigScanner(sources),
      createOnigString: (text: string) => new OnigString(text),
    }),
    loadGrammar: async () => parseRawGrammar(readFileSync(GRAMMAR, "utf8"), GRAMMAR),
    theme: raw,
  });
  const grammar = await registry.loadGrammar("source.sovereign");
  assert.ok(grammar);
  const colourMap = registry.getColorMap();
  const found = new Map<string, string>();
  for (const line of lines) {
    const { tokens } = grammar.tokenizeLine2(line, INITIAL);
    for (let i = 0; i < tokens.length; i += 2) {
      const start = tokens[i];
      const end = i + 2 < tokens.length ? tokens[i + 2] : line.length;
      const foreground = (tokens[i + 1] >>> 15) & 0x1ff;  // vscode-textmate's metadata layout
      const text = line.slice(start, end).trim();
      if (text) {
        found.set(text, colourMap[foreground].toUpperCase());
      }
    }
  }
  return found;
}

for (const themeFile of ["dark_plus.json", "light_plus.json", "dark_modern.json",
                         "light_modern.json"]) {
  test(`every opcode and every label is coloured in ${themeFile}`, async () => {
    const { foreground, background } = theme(themeFile);
    const lines = [...OPCODES.map((op) => `    ${op}`), "done:", "    JMP done"];
    const found = await colours(themeFile, lines);
    for (const name of [...OPCODES, "done:"]) {
      const key = name === "done:" ? "done" : name;
      const colour = found.get(key);
      assert.ok(colour, `${key} got no colour`);
      assert.notEqual(colour, foreground.toUpperCase(), `${key} is in the plain text colour`);
      assert.ok(contrast(colour, background) >= MIN_CONTRAST,
                `${key} (${colour}) has too little contrast on ${background}`);
    }
  });
}
