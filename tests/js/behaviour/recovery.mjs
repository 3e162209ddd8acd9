// Faults outside the receiver, met alike by every host and store: a destination down far
// past any retry budget, and a full sync arriving when diffs were expected (the sender's
// snapshot expired, whatever the clocks say). Each time nothing is lost, nothing is
// applied or forwarded twice. Run by tests/js/worker/recovery.test.mjs and
// tests/js/receiver/recovery-*.test.mjs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { cleverTapFixture } from "../lib/clevertap-fixture.mjs";
import { eventually } from "../worker/worker-harness.mjs";

const T = { timeout: 300_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "1", cohortId, cohortName: "Faults", sessionId, ...extra });

/** Registers the suite on one host and store: `start(options)` starts a receiver (`vars` added to the test settings). */
export function recoveryBehaviour({ start }) {
  const fixture = cleverTapFixture(start);
  const { syncs, drained } = fixture;

  describe("recovery", T, () => {
    test("a destination down far past the retry budget: changes kept, delivered once after", T, async () => {
      const cohortId = "f-outage";
      fixture.recorder.failNext(40, 502);
      for (const body of planSync(null, ["o1", "o2", "o3"], options(cohortId, "s1", { batchSize: 1 }))) assert.equal((await fixture.w.post(body)).status, 200);
      await eventually(async () => (await fixture.w.get(`/cohorts/${cohortId}`)).json.outbox.pending === 3, 5_000, "three queued uploads");
      // 40 failed attempts at ≤ 100 ms apart: far past Mixpanel's own five retries.
      await drained(cohortId);
      assert.deepEqual(syncs(), ["o1:Added", "o2:Added", "o3:Added"], "once each, in order");
      assert.equal((await fixture.w.get(`/cohorts/${cohortId}`)).json.outbox.dead, 0);
      fixture.recorder.received.length = 0;
    });

    test("a full sync where diffs were expected (the sender's snapshot expired): exact, no clock involved", T, async () => {
      const cohortId = "f-expiry";
      for (const body of planSync(null, ["a", "b", "c"], options(cohortId, "s1"))) await fixture.w.post(body);
      for (const body of planSync(["a", "b", "c"], ["a", "b", "d"], options(cohortId, "s2"))) await fixture.w.post(body);
      // Days later by the sender's clock: its snapshot is gone, it sends everything again.
      const full = planSync(["a", "b", "d"], ["b", "d", "e"], options(cohortId, "s3", { snapshotAgeMs: 4 * 86_400_000 }));
      assert.deepEqual(full.map((b) => JSON.parse(b).action), ["members"]);
      for (const body of full) assert.equal((await fixture.w.post(body)).status, 200);
      const listed = (await fixture.w.get(`/cohorts/${cohortId}/members`)).json.members;
      assert.deepEqual(listed, ["b", "d", "e"]);
      await drained(cohortId);
      assert.deepEqual(syncs().filter((s) => s.endsWith("Removed")).sort(), ["a:Removed", "c:Removed"]);
      fixture.recorder.received.length = 0;
    });
  });
}
