// The console's pure pieces, in Node: how a dead letter's error reads.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { test } from "node:test";

// The repository: the nearest ancestor with www/ (the tests run from a scratch copy inside it).
let root = dirname(fileURLToPath(import.meta.url));
while (!existsSync(join(root, "www/lib/console/dead-letters.js"))) {
  if (dirname(root) === root) throw new Error("no ancestor of this test holds www/");
  root = dirname(root);
}
const { errorSummary } = await import(pathToFileURL(join(root, "www/lib/console/dead-letters.js")).href);

test("CleverTap's per-record refusals read as a count and their reasons; other errors as they are, cut", () => {
  const records = Array.from({ length: 5 }, (_, i) => ({ record: { identity: `u${i}` }, code: 509, error: i < 4 ? "bad identity" : "too long" }));
  assert.equal(errorSummary(JSON.stringify(records)), "Records refused: bad identity; too long (5 records listed)");
  assert.equal(errorSummary(JSON.stringify([{ code: 509 }])), "Records refused: code 509 (1 record listed)");
  assert.equal(errorSummary('HTTP 400: {"status":"fail"}'), 'HTTP 400: {"status":"fail"}');
  assert.equal(errorSummary("x".repeat(300)), `${"x".repeat(240)}…`);
  assert.equal(errorSummary("[]"), "[]");
});
