// One rulebook: every host and store (SQL storage, SyncTracker in wasm) and CohortState
// (in memory) end every seeded random scenario (lib/seeded-scenarios.mjs) with the same
// members and the same pending full sync. A short run; `node scripts/differential.mjs`
// runs long ones on the Worker. Run by tests/js/worker/differential.test.mjs and
// tests/js/receiver/differential-*.test.mjs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { random, reference, refusedBody, scenario } from "../lib/seeded-scenarios.mjs";

// How long a run is, never where it runs: scripts/differential.mjs sets both for long runs.
const SCENARIOS = Number(process.env.DIFFERENTIAL_SCENARIOS) || 24;
const SEED = Number(process.env.DIFFERENTIAL_SEED) || 20261130;

/** A receiver's members of a cohort (sorted) and its pending full sync. */
async function receiverView(receiver, cohortId) {
  const members = [];
  let cursor = null;
  do {
    const r = await receiver.get(`/cohorts/${cohortId}/members?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    if (r.status === 404) return { members: [], pendingSession: null };
    assert.equal(r.status, 200, r.text);
    members.push(...r.json.members);
    cursor = r.json.cursor;
  } while (cursor);
  const info = (await receiver.get(`/cohorts/${cohortId}`)).json;
  return { members: members.sort(), pendingSession: info.pendingSession?.sessionId ?? null };
}

/** Registers the test on one host and store: `start()` starts a receiver. */
export function differentialBehaviour({ start }) {
  let w;
  before(async () => {
    w = await start();
  });
  after(() => w?.destroy());

  test(`the receiver and CohortState agree on ${SCENARIOS} seeded scenarios (seed ${SEED})`, { timeout: 600_000 }, async () => {
    const rng = random(SEED);
    let pages = 0;
    for (let k = 0; k < SCENARIOS; k++) {
      const cohortId = `diff-${SEED}-${k}`;
      const bodies = scenario(rng, cohortId, { long: k === 0 });
      const state = reference();
      // Odd scenarios are compared after every page (a difference a later full sync would
      // heal still shows); even ones only at the end, so pages wait in the receiver's log and
      // are applied together, as under load.
      const everyPage = k % 2 === 1;
      const where = (i) => `scenario ${k} (seed ${SEED}), after page ${i + 1} of ${bodies.length}: ${JSON.stringify(bodies.slice(0, i + 1).map((b) => JSON.parse(b)))}`;
      for (const [i, body] of bodies.entries()) {
        const r = await w.post(body);
        if (refusedBody(body)) {
          assert.equal(r.status, 400, `scenario ${k}: a body naming an id no store keeps: ${r.text}`);
          assert.match(r.json.error.message, /forbidden_character|lone_surrogate/);
        } else {
          assert.equal(r.status, 200, `scenario ${k}: ${r.text}`);
        }
        state.apply(body);
        if (everyPage || i === bodies.length - 1) assert.deepEqual(await receiverView(w, cohortId), state.view(), where(i));
      }
      state.free();
      pages += bodies.length;
    }
    console.log(`# ${SCENARIOS} scenarios, ${pages} pages, the same membership and pending sync in both`);
  });
}
