// The shipped declarations type-check a strict usage file (tests/types/usage.ts) that
// imports the installed package, under NodeNext and Bundler module resolution.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const tsc = fileURLToPath(import.meta.resolve("typescript/bin/tsc"));

for (const config of ["tests/types/tsconfig.json", "tests/types/tsconfig.bundler.json"]) {
  test(`tsc --noEmit -p ${config}`, { timeout: 120_000 }, () => {
    const r = spawnSync(process.execPath, [tsc, "--noEmit", "-p", config], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}
