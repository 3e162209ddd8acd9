// The long run of the differential test (tests/js/behaviour/differential.mjs, on the Worker
// through tests/js/worker/differential.test.mjs): the Worker in workerd and CohortState on
// many seeded random scenarios, through the packed package.
//   node scripts/differential.mjs [SCENARIOS] [SEED]     (default 1000 scenarios)
// Run `npm run build` first. Prints the scenarios and pages checked and the time taken.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [scenarios = "1000", seed = String(Date.now() % 1e9)] = process.argv.slice(2);
console.log(`differential: ${scenarios} scenarios, seed ${seed}`);
const started = Date.now();
const r = spawnSync(process.execPath, [join(root, "scripts/test-js.mjs"), "tests/js/worker/differential.test.mjs"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, DIFFERENTIAL_SCENARIOS: scenarios, DIFFERENTIAL_SEED: seed, SCRATCH_NAME: "differential" },
});
console.log(`differential: ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(r.status ?? 1);
