// Faults injected into the Worker in workerd (through worker-hooks.js, test-only
// subclasses of its objects): storage failing before or in the middle of an apply, and
// the runtime dying after the write but before the answer. Each time: Mixpanel gets a
// retryable answer, nothing is half-applied, nothing is applied or forwarded twice.
// (tests/js/behaviour/recovery.mjs has the faults every host meets alike;
// tests/js/behaviour/store-faults.mjs has these for the Node receiver, injected into its
// real stores.)
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { cleverTapFixture } from "../lib/clevertap-fixture.mjs";
import { startWorker } from "./worker-harness.mjs";

const T = { timeout: 300_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "1", cohortId, cohortName: "Faults", sessionId, ...extra });

const fixture = cleverTapFixture(startWorker, { hooks: true });
const { syncs, drained } = fixture;

describe("faults", T, () => {
  for (const fault of ["fail-before-apply", "fail-in-transaction"]) {
    test(`${fault}: 503 (Mixpanel retries), nothing half-applied; the retry applies once`, T, async () => {
      const cohortId = `f-${fault}`;
      const pages = planSync(null, ["a", "b", "c", "d"], options(cohortId, "s1", { batchSize: 2 }));
      assert.equal((await fixture.w.post(pages[0])).status, 200);
      const object = await fixture.w.cohort(cohortId);
      await object.setFault(fault);
      const failed = await fixture.w.post(pages[1]);
      assert.equal(failed.status, 503, failed.text);
      assert.equal(failed.json.status, "failure");
      assert.equal(failed.json.action, "members", "the action is echoed on a 5xx too");
      assert.equal(failed.json.error.code, 503);
      const info = (await fixture.w.get(`/cohorts/${cohortId}`)).json;
      assert.equal(info.size, 2, "the failed page left no member behind");
      assert.equal(info.pendingSession.sessionId, "s1", "and did not complete the session");
      await object.setFault(null);
      assert.equal((await fixture.w.post(pages[1])).status, 200);
      assert.equal((await fixture.w.get(`/cohorts/${cohortId}`)).json.size, 4);
      await drained(cohortId);
      assert.deepEqual(syncs().filter((s) => ["a", "b", "c", "d"].some((id) => s.startsWith(`${id}:`))).sort(), ["a:Added", "b:Added", "c:Added", "d:Added"]);
      fixture.recorder.received.length = 0;
    });
  }

  test("fail-after-commit (stored, answer lost): 503, the retry is a duplicate, forwarded once", T, async () => {
    const cohortId = "f-after";
    const [body] = planSync(null, ["x", "y"], options(cohortId, "s1"));
    const object = await fixture.w.cohort(cohortId);
    await object.setFault("fail-after-commit");
    assert.equal((await fixture.w.post(body)).status, 503);
    await object.setFault(null);
    assert.equal((await fixture.w.post(body)).status, 200);
    assert.equal((await fixture.w.get(`/cohorts/${cohortId}`)).json.size, 2);
    await drained(cohortId);
    assert.deepEqual(syncs().sort(), ["x:Added", "y:Added"]);
    fixture.recorder.received.length = 0;
  });

  test("the production objects have no fault hooks", T, async () => {
    const plain = await startWorker();
    try {
      await assert.rejects(async () => (await plain.cohort("x")).setFault("fail-before-apply"));
      assert.equal((await plain.post(planSync(null, ["a"], options("x", "s1"))[0])).status, 200);
    } finally {
      await plain.destroy();
    }
  });
});
