// The shared membership scenarios (tests/scenarios/membership/), on every host and
// store: after every page, its members and pending full sync (its answers do not carry
// added/removed; those are checked by the core's and the package's runs of the same
// files). Run by tests/js/worker/scenarios.test.mjs and tests/js/receiver/scenarios-*.test.mjs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { body, scenarios } from "../lib/scenarios.mjs";

/** Registers one test per scenario on one host and store: `start()` starts a receiver. */
export function scenariosBehaviour({ start }) {
  let w;
  before(async () => {
    w = await start();
  });
  after(() => w?.destroy());

  async function view(cohortId) {
    const list = await w.get(`/cohorts/${cohortId}/members?limit=1000`);
    if (list.status === 404) return { members: [], pending: null };
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.cursor, null, "scenarios are small");
    const info = (await w.get(`/cohorts/${cohortId}`)).json;
    return { members: list.json.members.sort(), pending: info.pendingSession?.sessionId ?? null };
  }

  for (const { file, name, steps } of scenarios()) {
    test(`${file}: ${name}`, { timeout: 120_000 }, async () => {
      const cohortId = file.replace(/\.json$/, "");
      for (const [i, { page, expect }] of steps.entries()) {
        const r = await w.post(body(page, cohortId));
        assert.equal(r.status, 200, `${file} step ${i + 1}: ${r.text}`);
        assert.deepEqual(await view(cohortId), { members: expect.members, pending: expect.pending }, `${file} step ${i + 1}`);
      }
    });
  }
}
