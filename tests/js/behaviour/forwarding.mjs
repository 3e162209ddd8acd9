// Forwarding, on every host and store: the receiver sends each real change to CleverTap,
// Braze and Mixpanel profiles (recorders on 127.0.0.1 standing in for them) through its
// outbox; destinations that fail and recover, partial failures, replays and a runtime
// restart with undelivered changes: every change arrives exactly once, in order. Run by
// tests/js/worker/forwarding.test.mjs and tests/js/receiver/forwarding-*.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { eventually, startRecorder } from "../worker/worker-harness.mjs";

const T = { timeout: 300_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "2345678", cohortId, cohortName: "Power users", sessionId, ...extra });
const member = (id) => ({ distinctId: id, email: `${id}@example.com`, properties: { $braze_external_id: `bz-${id}` } });

/**
 * Registers the suite on one host and store: `start(options)` starts a receiver (`vars`
 * added to the test settings, `persist` its state), `storageDir()` gives a fresh place
 * for that state, so a test can stop a receiver and start another on the same.
 */
export function forwardingBehaviour({ start, storageDir }) {
  let clevertap, braze, mixpanel;
  before(async () => {
    clevertap = await startRecorder();
    braze = await startRecorder(() => [201, '{"message":"success"}']);
    mixpanel = await startRecorder(() => [200, "1"]);
  });
  after(async () => {
    await Promise.all([clevertap, braze, mixpanel].map((r) => r?.close()));
  });

  const forwardingVars = () => ({
    CLEVERTAP_ACCOUNT_ID: "ACC-1",
    CLEVERTAP_PASSCODE: "secret-passcode",
    CLEVERTAP_UPLOAD_URL: `${clevertap.url}/1/upload`,
    BRAZE_API_KEY: "braze-key",
    BRAZE_COHORT_URL: `${braze.url}/partners/mixpanel/cohorts/users`,
    MIXPANEL_TOKEN: "mp-token",
    MIXPANEL_ENGAGE_URL: `${mixpanel.url}/engage`,
    MIXPANEL_PER_AUDIENCE: "true",
  });

  /** Partner Sync events CleverTap received, as "identity:Action", with repeats kept. */
  const partnerSyncs = () =>
    clevertap.received.flatMap((r) => r.json.d.filter((rec) => rec.type === "event").map((rec) => `${rec.identity}:${rec.evtData.Action}`));
  const brazeChanges = () =>
    braze.received.flatMap((r) => r.json.cohort_changes.flatMap((c) => c.user_ids.map((id) => `${id}:${c.should_remove ? "remove" : "add"}`)));
  const engageUpdates = () => mixpanel.received.flatMap((r) => r.json);
  const sorted = (list) => [...list].sort();

  async function post(worker, body) {
    const r = await worker.post(body);
    assert.equal(r.status, 200, r.text);
  }

  describe("forwarding", T, () => {
    test("destinations that fail, then recover: each change delivered exactly once, in order", T, async () => {
      const w = await start({ vars: forwardingVars() });
      try {
        clevertap.failNext(3, 503);
        braze.failNext(2, 429);
        mixpanel.failNext(1, 500);
        const first = ["a", "b", "c", "d", "e"].map(member);
        const pages = planSync(null, first, options("fw", "s1", { batchSize: 2 }));
        for (const body of [...pages, pages[0], pages[2]]) await post(w, body); // with replays
        await eventually(() => partnerSyncs().length >= 5 && brazeChanges().length >= 5 && engageUpdates().length >= 5, 20_000, "the first deliveries");
        // Diff: c and e leave, f joins; the remove page is sent twice.
        const next = ["a", "b", "d", "f"].map(member);
        const diff = planSync(first.map((m) => m.distinctId), next, options("fw", "s2"));
        for (const body of [...diff, diff[diff.length - 1]]) await post(w, body);
        await eventually(async () => (await w.get("/cohorts/fw")).json.outbox.pending === 0, 20_000, "an empty outbox");
        await eventually(async () => (await (await w.profiles()).counts()).pending === 0, 20_000, "the profiles outbox");

        assert.deepEqual(sorted(partnerSyncs()), sorted(["a:Added", "b:Added", "c:Added", "d:Added", "e:Added", "f:Added", "c:Removed", "e:Removed"]));
        assert.deepEqual(sorted(brazeChanges()), sorted(["bz-a:add", "bz-b:add", "bz-c:add", "bz-d:add", "bz-e:add", "bz-f:add", "bz-c:remove", "bz-e:remove"]));
        // Adds before removes for c and e: order kept per destination.
        const order = partnerSyncs();
        assert.ok(order.indexOf("c:Added") < order.indexOf("c:Removed"));
        // Profiles: one $set per change, the last for each user says where they are now.
        const updates = engageUpdates();
        assert.equal(updates.length, 8);
        const last = new Map(updates.map((u) => [u.$distinct_id, u.$set]));
        for (const id of ["a", "b", "d", "f"]) assert.deepEqual(last.get(id), { SegmentMembership: "'fw'", "In Power users": true }, id);
        for (const id of ["c", "e"]) assert.deepEqual(last.get(id), { SegmentMembership: "", "In Power users": false }, id);
        for (const u of updates) assert.equal(u.$token, "mp-token");
        // Credentials and idempotency keys on the requests; profile records carry Email.
        for (const r of clevertap.received) {
          assert.equal(r.headers["x-clevertap-account-id"], "ACC-1");
          assert.equal(r.headers["x-clevertap-passcode"], "secret-passcode");
          assert.match(r.headers["idempotency-key"], /^cohort:[0-9a-f]+:\d+$/);
        }
        assert.ok(clevertap.received.some((r) => r.json.d.some((rec) => rec.type === "profile" && rec.profileData.Email === "a@example.com")));
        for (const r of braze.received) assert.equal(r.headers.authorization, "Bearer braze-key");
        assert.equal((await w.get("/cohorts/fw")).json.outbox.dead, 0);
      } finally {
        await w.destroy();
        for (const r of [clevertap, braze, mixpanel]) r.received.length = 0;
      }
    });

    test("an id listed twice in one page joins once and is forwarded once", T, async () => {
      const w = await start({ vars: forwardingVars() });
      try {
        const doc = JSON.parse(planSync(null, [member("twice"), member("once")], options("dup", "s1"))[0]);
        doc.parameters.members.push({ ...doc.parameters.members[0] });
        assert.equal((await w.post(JSON.stringify(doc))).status, 200);
        assert.equal((await w.get("/cohorts/dup")).json.size, 2);
        await eventually(async () => (await w.get("/cohorts/dup")).json.outbox.pending === 0, 20_000, "an empty outbox");
        assert.deepEqual(sorted(partnerSyncs()), ["once:Added", "twice:Added"]);
        assert.deepEqual(sorted(brazeChanges()), ["bz-once:add", "bz-twice:add"]);
      } finally {
        await w.destroy();
        for (const r of [clevertap, braze, mixpanel]) r.received.length = 0;
      }
    });

    test("the real sender's members ($email, $phone, $distinct_id alone, no page_info): CleverTap gets Email and Phone, each change once", T, async () => {
      const w = await start({ vars: forwardingVars() });
      const real = (action, session, members) =>
        JSON.stringify({ action, parameters: { mixpanel_project_id: "2201475", mixpanel_integration_id: "0", mixpanel_cohort_id: "real-fwd", mixpanel_cohort_name: "Registros", mixpanel_session_id: session, members } });
      try {
        await post(w, real("members", "full", [
          { $distinct_id: "a@example.com", $email: "a@example.com", $phone: "+543704546789", mixpanel_distinct_id: "a@example.com", $braze_external_id: "bz-a" },
          { $distinct_id: "only-reserved", $email: "r@example.com", $braze_external_id: "bz-r" },
        ]));
        await post(w, real("remove_members", "d1", [{ $distinct_id: "only-reserved" }]));
        await eventually(async () => (await w.get("/cohorts/real-fwd")).json.outbox.pending === 0, 20_000, "an empty outbox");
        assert.deepEqual(partnerSyncs(), ["a@example.com:Added", "only-reserved:Added", "only-reserved:Removed"]);
        const profiles = clevertap.received.flatMap((r) => r.json.d.filter((rec) => rec.type === "profile").map((rec) => [rec.identity, rec.profileData]));
        assert.deepEqual(profiles.slice(0, 2), [
          ["a@example.com", { Email: "a@example.com", Phone: "+543704546789" }],
          ["only-reserved", { Email: "r@example.com" }],
        ]);
        assert.deepEqual(brazeChanges(), ["bz-a:add", "bz-r:add", "bz-r:remove"], "a removal forwards the member as stored when it joined");
      } finally {
        await w.destroy();
        for (const r of [clevertap, braze, mixpanel]) r.received.length = 0;
      }
    });

    test("CleverTap partial answers: retryable records again (only them, under a key of their own), refused ones to dead letters", T, async () => {
      let calls = 0;
      const partial = await startRecorder((req, body) => {
        calls++;
        const d = JSON.parse(body).d;
        if (calls === 2) return [503, "busy"]; // the rest, refused whole once: sent again as it was
        if (calls === 1) {
          return [200, JSON.stringify({
            status: "partial",
            processed: d.length - 2,
            unprocessed: [
              { status: "fail", code: 503, error: "busy", record: d[0] },
              { status: "fail", code: 509, error: "bad identity", record: d[1] },
            ],
          })];
        }
        return [200, JSON.stringify({ status: "success", processed: d.length, unprocessed: [] })];
      });
      const w = await start({ vars: { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: partial.url } });
      try {
        await post(w, planSync(null, ["p", "q", "r"], options("partial", "s1"))[0]);
        await eventually(() => partial.received.length >= 3, 30_000, "the retries");
        await eventually(async () => (await w.get("/cohorts/partial")).json.outbox.pending === 0, 20_000, "an empty outbox");
        assert.equal(partial.received[0].json.d.length, 3);
        assert.deepEqual(partial.received[1].json.d, [partial.received[0].json.d[0]], "only the retryable record again");
        assert.deepEqual(partial.received[2].json.d, partial.received[1].json.d, "the rest again, whole");
        assert.equal(partial.received.length, 3);
        const [first, rest, again] = partial.received.map((r) => r.headers["idempotency-key"]);
        assert.equal(rest, `${first}.1`, "the rest is another body: a key of its own, derived from the first");
        assert.equal(again, rest, "a retry of the rest keeps its key");
        assert.equal((await w.get("/cohorts/partial")).json.outbox.dead, 1, "the refused record is kept");
      } finally {
        await w.destroy();
        await partial.close();
      }
    });

    test("a destination refusing for good (400): the request goes to dead letters, others flow on", T, async () => {
      const refusing = await startRecorder(() => [400, '{"message":"invalid"}']);
      const w = await start({ vars: { BRAZE_API_KEY: "k", BRAZE_COHORT_URL: refusing.url, MIXPANEL_TOKEN: "t", MIXPANEL_ENGAGE_URL: `${mixpanel.url}/engage` } });
      try {
        await post(w, planSync(null, [member("z")], options("dead", "s1"))[0]);
        await eventually(async () => (await w.get("/cohorts/dead")).json.outbox.dead === 1, 20_000, "a dead letter");
        assert.equal(refusing.received.length, 1, "not retried");
        await eventually(() => engageUpdates().some((u) => u.$distinct_id === "z"), 20_000, "the profile update");
      } finally {
        await w.destroy();
        await refusing.close();
        mixpanel.received.length = 0;
      }
    });

    test("a runtime restart with changes still undelivered: they go out after it, once", T, async () => {
      const persist = storageDir();
      const vars = { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: clevertap.url, FORWARD_RETRY_BASE_MS: "200" };
      let w = await start({ vars, persist });
      try {
        clevertap.failNext(1000, 503); // down for as long as the first runtime lives
        await post(w, planSync(null, ["r1", "r2"], options("restart-fw", "s1"))[0]);
        await eventually(async () => (await w.get("/cohorts/restart-fw")).json.outbox.pending === 1, 10_000, "a queued upload");
        await w.stop();
        // A retry the stopped runtime had already sent is still refused: only then does the
        // destination recover (otherwise its 2xx would land with no runtime left to record
        // it, the one documented window for a repeat).
        await new Promise((resolve) => setTimeout(resolve, 300));
        await eventually(() => clevertap.inFlight === 0, 10_000, "no request in flight");
        clevertap.failNext(0);
        w = await start({ vars, persist });
        // Any request wakes the object; its alarm was persisted with the outbox.
        await eventually(() => partnerSyncs().length >= 2, 20_000, "delivery after the restart");
        await eventually(async () => (await w.get("/cohorts/restart-fw")).json.outbox.pending === 0, 20_000, "an empty outbox");
        assert.deepEqual(sorted(partnerSyncs()), ["r1:Added", "r2:Added"]);
      } finally {
        await w.destroy();
        clevertap.received.length = 0;
      }
    });

    test("a full sync's end removing 2500 members at once: queued 1000 at a time, each forwarded once", T, async () => {
      const w = await start({ vars: { CLEVERTAP_ACCOUNT_ID: "ACC-1", CLEVERTAP_PASSCODE: "p", CLEVERTAP_UPLOAD_URL: `${clevertap.url}/1/upload` } });
      try {
        clevertap.received.length = 0;
        const many = Array.from({ length: 2600 }, (_, i) => `m-${String(i).padStart(5, "0")}`);
        for (const body of planSync(null, many, options("mass", "s1"))) await post(w, body);
        const kept = many.filter((_, i) => i % 26 === 0); // 100 stay
        for (const body of planSync(null, kept, options("mass", "s2"))) await post(w, body);
        const info = (await w.get("/cohorts/mass")).json;
        assert.equal(info.size, 100);
        await eventually(async () => (await w.get("/cohorts/mass")).json.outbox.pending === 0, 20_000, "an empty outbox");
        const removed = partnerSyncs().filter((s) => s.endsWith(":Removed"));
        assert.equal(removed.length, 2500);
        assert.deepEqual(sorted(removed), sorted(many.filter((_, i) => i % 26 !== 0).map((id) => `${id}:Removed`)));
        assert.equal(partnerSyncs().filter((s) => s.endsWith(":Added")).length, 2600);
        clevertap.received.length = 0;
      } finally {
        await w.destroy();
      }
    });
  });
}
