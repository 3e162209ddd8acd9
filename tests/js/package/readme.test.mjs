// The README's ```js examples, run as written against the installed package, so the
// documentation cannot drift from the code.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const here = dirname(fileURLToPath(import.meta.url));
const jsBlocks = (text) => [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

// The package's README, and the repository's (copied next to the tests by test-js.mjs).
const readmes = {
  package: { text: readFileSync(join(pkgDir, "README.md"), "utf8"), first: [
    /^true 98765 \{ count: 1, total: 1 \} 1$/m,
    /^200 \{"action":"add_members","status":"success"\}$/m,
    /^invalid_payload invalid_json line 1$/m,
  ] },
  repository: { text: readFileSync(join(here, "..", "..", "..", "ROOT_README.md"), "utf8"), first: [
    /^true 98765 \{ count: 1, total: 1 \}$/m,
    /^pro$/m,
    /^\{"action":"add_members","status":"success"\}$/m,
    /^page_out_of_range \/parameters\/page_info\/page_count 1:61$/m,
    /^invalid_payload invalid_json$/m,
  ], second: [
    /^true$/m,
    /^true 5$/m,
    /^false \[ 'E', 'A', 'B', 'D' \]$/m,
  ] },
};

for (const [which, { text, first, second = [] }] of Object.entries(readmes)) {
  const blocks = jsBlocks(text);
  test(`the ${which} README has examples`, () => assert.ok(blocks.length >= 1));
  blocks.forEach((code, i) => {
    test(`${which} README example ${i + 1} runs`, { timeout: 30_000 }, () => {
      const file = join(here, `readme-${which}-${i + 1}.mjs`);
      writeFileSync(file, code);
      const r = spawnSync(process.execPath, [file], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      if (i === 0) for (const line of first) assert.match(r.stdout, line);
      if (i === 1) for (const line of second) assert.match(r.stdout, line);
    });
  });
}
