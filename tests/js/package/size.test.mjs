// The wasm's size budget: at most 128 KiB gzipped (level 9), all in, measured on the
// file the installed package ships. Size is deterministic for a given toolchain, so
// this is an assertion, unlike timings. docs/design-notes.md ("Wasm size") says what it
// is spent on and what was cut to fit.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const BUDGET = 128 * 1024;

test("the shipped wasm is at most 128 KiB gzipped", () => {
  const wasm = readFileSync(join(pkgDir, "dist/cohort_sync_bg.wasm"));
  const gzipped = gzipSync(wasm, { level: 9 }).length;
  console.log(`# wasm: ${wasm.length} bytes raw, ${gzipped} gzipped (budget ${BUDGET})`);
  assert.ok(gzipped <= BUDGET, `${gzipped} bytes gzipped is over the ${BUDGET}-byte budget`);
});
