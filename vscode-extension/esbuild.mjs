// One build for the extension bundle (with --tests, the unit tests; with --e2e, the
// end-to-end tests that drive VS Code). The grammar is
// copied from ../grammar, its one source of truth, into syntaxes/ for the package.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";

mkdirSync("syntaxes", { recursive: true });
copyFileSync("../grammar/sovereign.tmLanguage.json", "syntaxes/sovereign.tmLanguage.json");

const common = { bundle: true, platform: "node", format: "cjs", target: "node20", sourcemap: true };

if (process.argv.includes("--e2e")) {
  const tests = readdirSync("e2e").filter((name) => name.endsWith(".e2e.ts"));
  await build({ ...common, entryPoints: tests.map((name) => `e2e/${name}`), outdir: "out/e2e",
                external: ["playwright-core", "vscode-oniguruma", "vscode-textmate"] });
} else if (process.argv.includes("--tests")) {
  const tests = readdirSync("test").filter((name) => name.endsWith(".test.ts"));
  await build({ ...common, entryPoints: tests.map((name) => `test/${name}`), outdir: "out/test",
                external: ["vscode"] });
} else {
  await build({ ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.js",
                external: ["vscode"], minify: true });
}
