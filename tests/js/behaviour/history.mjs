// What the console's charts and dead-letter cards read, on every host and store: the
// member count kept once a session (in each sync of `/syncs` and the last 20 in a
// cohort's figures), and a dead letter's identity, attempts and load across redrives.
// Run by tests/js/worker/history.test.mjs and tests/js/receiver/history-*.test.mjs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { planSync } from "cohort-sync";
import { AUTH, eventually, startRecorder } from "../worker/worker-harness.mjs";

const T = { timeout: 120_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "1", cohortId, cohortName: "History", sessionId, ...extra });
const ids = (n, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
/** A planned page as the real sender sends it: no page_info. */
const pageless = (body) => {
  const page = JSON.parse(body);
  delete page.parameters.page_info;
  return JSON.stringify(page);
};

/** Registers the suite on one host and store: `start(options)` starts a receiver. */
export function historyBehaviour({ start }) {
  let w, clevertap;
  let refuse = true;
  before(async () => {
    clevertap = await startRecorder(() => (refuse ? [400, '{"status":"fail","error":"Invalid account id"}'] : [200, '{"status":"success","processed":1,"unprocessed":[]}']));
    w = await start({ vars: { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: `${clevertap.url}/1/upload` } });
  });
  after(async () => {
    await w?.destroy();
    await clevertap?.close();
  });

  const call = async (method, path) => {
    const res = await fetch(`${w.origin}${path}`, { method, headers: { authorization: AUTH } });
    return { status: res.status, json: await res.json() };
  };
  const post = async (bodies) => {
    for (const body of bodies) assert.equal((await w.post(body)).status, 200);
  };
  const sizesOf = async (cohortId) => Object.fromEntries((await call("GET", `/cohorts/${cohortId}/syncs?limit=200`)).json.syncs.map((s) => [`${s.sessionId} ${s.action}`, s.size]));
  const trend = async (cohortId) => (await call("GET", `/cohorts/${cohortId}`)).json.sizeTrend.map((p) => p.size);

  test("the member count after each session: kept once the session is over, in /syncs and the cohort's figures, numbered or pageless", T, async () => {
    refuse = false;
    const first = ids(10);
    await post(planSync(null, first, options("hist", "full-1", { batchSize: 4 })));
    // A numbered full sync's last page completes it: its count is kept at once.
    assert.deepEqual(await sizesOf("hist"), { "full-1 members": 10 });
    assert.deepEqual(await trend("hist"), [10]);

    const second = first.slice(3);
    await post(planSync(first, second, options("hist", "diff-1")));
    // A diff is over when the sender moves on; until then its count is the cohort's size.
    let sizes = await sizesOf("hist");
    assert.equal(sizes["diff-1 remove_members"], null);
    assert.equal((await call("GET", "/cohorts/hist")).json.size, 7);

    // The real sender's pages (no page_info): a pageless full sync ends when the next session begins.
    const third = [...second, ...ids(5, "v")];
    await post(planSync(null, third, options("hist", "full-2", { batchSize: 5 })).map(pageless));
    sizes = await sizesOf("hist");
    assert.equal(sizes["diff-1 remove_members"], 7, "the diff's count, kept when the next session began");
    assert.equal(sizes["diff-1 add_members"], 7, "both actions of one diff session carry its count");
    assert.equal(sizes["full-2 members"], null, "a pageless full sync is not over yet");
    await post(planSync(third, third.slice(2), options("hist", "diff-2")).map(pageless));
    sizes = await sizesOf("hist");
    assert.equal(sizes["full-2 members"], 12, "kept when the next session's first page ended it");
    assert.deepEqual(await trend("hist"), [10, 7, 12]);

    // A replay of an old page changes nothing, and records nothing.
    await post(planSync(null, first, options("hist", "full-1", { batchSize: 4 })).slice(0, 1));
    assert.deepEqual(await trend("hist"), [10, 7, 12]);

    const listed = (await call("GET", "/cohorts")).json.cohorts.find((c) => c.cohortId === "hist");
    assert.deepEqual(listed.sizeTrend.map((p) => p.size), [10, 7, 12], "the cohorts list carries the trend");
    assert.deepEqual(listed.sizeTrend.map((p) => p.sessionId), ["full-1", "diff-1", "full-2"]);
    for (const point of listed.sizeTrend) assert.ok(!Number.isNaN(Date.parse(point.at)));
    assert.ok(listed.sizeTrend.every((p, i, all) => i === 0 || Date.parse(all[i - 1].at) <= Date.parse(p.at)), "oldest first");

    // Forgetting the cohort forgets its history.
    assert.equal((await call("DELETE", "/cohorts/hist")).status, 200);
    await post(planSync(null, ["z"], options("hist", "full-3")));
    assert.deepEqual(await trend("hist"), [1]);
  });

  test("a redriven dead letter refused again comes back under its id, every attempt counted; each letter says what it carried", T, async () => {
    refuse = true;
    const members = ids(6, "r");
    await post(planSync(null, members, options("letters", "s1")));
    await post(planSync(members, members.slice(2), options("letters", "s2")));
    await eventually(async () => (await call("GET", "/cohorts/letters")).json.outbox.dead === 2, 20_000, "two dead letters");
    const [joined, left] = (await call("GET", "/cohorts/letters/dead-letters")).json.deadLetters;
    assert.deepEqual(joined.carried, { records: 6, joins: 6, departures: 0 });
    assert.deepEqual(left.carried, { records: 2, joins: 0, departures: 2 });
    assert.equal(joined.attempts, 1);
    assert.equal(joined.redriven, null);

    for (const round of [1, 2]) {
      const before = Date.now();
      assert.deepEqual((await call("POST", `/cohorts/letters/dead-letters/redrive?ids=${joined.id}`)).json, { redriven: 1 });
      await eventually(async () => (await call("GET", "/cohorts/letters/dead-letters")).json.deadLetters.some((l) => l.id === joined.id), 20_000, `letter ${joined.id} dead again`);
      const letters = (await call("GET", "/cohorts/letters/dead-letters")).json.deadLetters;
      assert.deepEqual(letters.map((l) => l.id), [joined.id, left.id], "the same two letters, no new one");
      const again = letters[0];
      assert.equal(again.attempts, 1 + round, "every attempt since it was first queued");
      assert.equal(again.redriven.times, round);
      assert.ok(Date.parse(again.redriven.lastAt) >= before - 1000 && Date.parse(again.failedAt) >= Date.parse(again.redriven.lastAt));
      assert.deepEqual(again.carried, joined.carried);
      assert.equal((await call("GET", "/cohorts/letters")).json.outbox.dead, 2);
    }

    // Delivered once the destination takes it: gone for good, and a later refusal is a new letter.
    refuse = false;
    assert.deepEqual((await call("POST", "/cohorts/letters/dead-letters/redrive")).json, { redriven: 2 });
    await eventually(async () => {
      const { outbox } = (await call("GET", "/cohorts/letters")).json;
      return outbox.pending === 0 && outbox.dead === 0;
    }, 20_000, "both delivered");
    refuse = true;
    await post(planSync(members.slice(2), members, options("letters", "s3")));
    await eventually(async () => (await call("GET", "/cohorts/letters")).json.outbox.dead === 1, 20_000, "a new dead letter");
    const [fresh] = (await call("GET", "/cohorts/letters/dead-letters")).json.deadLetters;
    assert.ok(fresh.id > left.id, "a new id");
    assert.equal(fresh.redriven, null);
    assert.equal(fresh.attempts, 1);
    // Dropped: its redrive record goes with it.
    assert.deepEqual((await call("POST", `/cohorts/letters/dead-letters/redrive?ids=${fresh.id}`)).json, { redriven: 1 });
    await eventually(async () => (await call("GET", "/cohorts/letters")).json.outbox.dead === 1, 20_000, "dead again");
    assert.deepEqual((await call("DELETE", `/cohorts/letters/dead-letters?ids=${fresh.id}`)).json, { dropped: 1 });
    assert.deepEqual((await call("GET", "/cohorts/letters/dead-letters")).json.deadLetters, []);
  });
}
