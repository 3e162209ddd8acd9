// Faults outside the receiver, met alike by every host and store: a destination down far
// past any retry budget, and a full sync arriving when diffs were expected (the sender's
// snapshot expired, whatever the clocks say). Each time nothing is lost, nothing is
// applied or forwarded twice.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { eventually, startRecorder, startWorker } from "./host.mjs";

const T = { timeout: 300_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "1", cohortId, cohortName: "Faults", sessionId, ...extra });

let w, recorder;
before(async () => {
  recorder = await startRecorder();
  w = await startWorker({
    vars: { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: recorder.url, FORWARD_RETRY_MAX_MS: "100" },
  });
});
after(async () => {
  await w?.destroy();
  await recorder?.close();
});

const syncs = () => recorder.received.flatMap((r) => r.json.d.filter((x) => x.type === "event").map((x) => `${x.identity}:${x.evtData.Action}`));
const drained = (cohortId) => eventually(async () => (await w.get(`/cohorts/${cohortId}`)).json.outbox.pending === 0, 20_000, "an empty outbox");

describe("recovery", T, () => {
  test("a destination down far past the retry budget: changes kept, delivered once after", T, async () => {
    const cohortId = "f-outage";
    recorder.failNext(40, 502);
    for (const body of planSync(null, ["o1", "o2", "o3"], options(cohortId, "s1", { batchSize: 1 }))) assert.equal((await w.post(body)).status, 200);
    await eventually(async () => (await w.get(`/cohorts/${cohortId}`)).json.outbox.pending === 3, 5_000, "three queued uploads");
    // 40 failed attempts at ≤ 100 ms apart: far past Mixpanel's own five retries.
    await drained(cohortId);
    assert.deepEqual(syncs(), ["o1:Added", "o2:Added", "o3:Added"], "once each, in order");
    assert.equal((await w.get(`/cohorts/${cohortId}`)).json.outbox.dead, 0);
    recorder.received.length = 0;
  });

  test("a full sync where diffs were expected (the sender's snapshot expired): exact, no clock involved", T, async () => {
    const cohortId = "f-expiry";
    for (const body of planSync(null, ["a", "b", "c"], options(cohortId, "s1"))) await w.post(body);
    for (const body of planSync(["a", "b", "c"], ["a", "b", "d"], options(cohortId, "s2"))) await w.post(body);
    // Days later by the sender's clock: its snapshot is gone, it sends everything again.
    const full = planSync(["a", "b", "d"], ["b", "d", "e"], options(cohortId, "s3", { snapshotAgeMs: 4 * 86_400_000 }));
    assert.deepEqual(full.map((b) => JSON.parse(b).action), ["members"]);
    for (const body of full) assert.equal((await w.post(body)).status, 200);
    const listed = (await w.get(`/cohorts/${cohortId}/members`)).json.members;
    assert.deepEqual(listed, ["b", "d", "e"]);
    await drained(cohortId);
    assert.deepEqual(syncs().filter((s) => s.endsWith("Removed")).sort(), ["a:Removed", "c:Removed"]);
    recorder.received.length = 0;
  });

});
