// One build for the extension bundle (and, with --tests, the unit tests). The grammar is
// copied from ../grammar, its one source of truth, into syntaxes/ for the package.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";

mkdirSync("syntaxes", { recursive: true });
copyFileSync("../grammar/sovereign.tmLanguage.json", "syntaxes/sovereign.tmLanguage.json");

const common = { bundle: true, platform: "node", format: "cjs", target: "node20", sourcemap: true };

if (process.argv.includes("--tests")) {
  const tests = readdirSync("test").filter((name) => name.endsWith(".test.ts"));
  await build({ ...common, entryPoints: tests.map((name) => `test/${name}`), outdir: "out/test",
                external: ["vscode"] });
} else {
  await build({ ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js",
                external: ["vscode"], minify: true });
}
