// `cohort-sync/web` (browsers without a bundler), exercised in a fresh Node process so
// that no other entry has loaded the module first: calls before init() throw
// `not_initialized`, init() accepts the wasm bytes and is idempotent.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const SCRIPT = `
import { readFileSync } from "node:fs";
import init, { validatePayload, CohortSyncError } from "cohort-sync/web";
const out = {};
try { validatePayload("{}"); } catch (e) { out.before = [e instanceof CohortSyncError, e.code]; }
const bytes = readFileSync(new URL("./dist/cohort_sync_bg.wasm", import.meta.resolve("cohort-sync/package.json")));
const first = init(bytes);
out.same = first === init();
await first;
await init();
out.after = validatePayload("null").errors.map((p) => p.code);
console.log(JSON.stringify(out));
`;

test("cohort-sync/web: init() once, then the same API", { timeout: 30_000 }, () => {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", SCRIPT], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { before: [true, "not_initialized"], same: true, after: ["not_an_object"] });
});
