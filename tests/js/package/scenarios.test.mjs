// The shared membership scenarios (tests/scenarios/membership/) through the installed
// package's CohortState: every step's outcome and the membership after it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CohortState } from "cohort-sync";
import { body, scenarios } from "../lib/scenarios.mjs";

const all = scenarios();
test("the shared scenarios are there", () => assert.ok(all.length >= 5, `${all.length} scenarios`));

for (const { file, name, steps } of all) {
  test(`${file}: ${name}`, () => {
    const state = new CohortState();
    steps.forEach(({ page, expect }, i) => {
      const at = `${file} step ${i + 1}`;
      const outcome = state.apply(body(page));
      assert.deepEqual(outcome.added, expect.added, `${at}: added`);
      assert.deepEqual([...outcome.removed].sort(), [...expect.removed].sort(), `${at}: removed`);
      assert.equal(outcome.duplicate, expect.duplicate, `${at}: duplicate`);
      assert.equal(outcome.sessionComplete, expect.sessionComplete, `${at}: sessionComplete`);
      assert.deepEqual(state.members().sort(), expect.members, `${at}: members`);
      assert.equal(state.pendingSession, expect.pending, `${at}: pending`);
    });
    state.free();
  });
}
