// Copies the examples into grammar/snapshots/ so that vscode-tmgrammar-snap can keep their
// .snap files there (it writes them beside its inputs) rather than in examples/.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, "..", "examples");
const target = join(here, "snapshots");
mkdirSync(target, { recursive: true });
for (const folder of [examples, join(examples, "bugs")]) {
  for (const name of readdirSync(folder).filter((n) => n.endsWith(".sov"))) {
    const prefix = folder === examples ? "" : "bugs-";
    copyFileSync(join(folder, name), join(target, prefix + name));
  }
}
