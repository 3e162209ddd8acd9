// The README's ```js examples, run as written against the installed package, so the
// documentation cannot drift from the code.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const readme = readFileSync(join(pkgDir, "README.md"), "utf8");
const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const here = dirname(fileURLToPath(import.meta.url));

test("the README has examples", () => assert.ok(blocks.length >= 1));

blocks.forEach((code, i) => {
  test(`README example ${i + 1} runs`, { timeout: 30_000 }, () => {
    const file = join(here, `readme-example-${i + 1}.mjs`);
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    if (i === 0) {
      assert.match(r.stdout, /^true 98765 \{ count: 1, total: 1 \} 1$/m);
      assert.match(r.stdout, /^200 \{"action":"add_members","status":"success"\}$/m);
      assert.match(r.stdout, /^invalid_payload invalid_json line 1$/m);
    }
  });
});
