// The operators' routes, on every host and store: dead letters (the cohort's and the
// profiles object's) seen, sent again and dropped; the whole membership streamed as
// NDJSON; a cohort forgotten; the methods, credentials and arguments each route takes;
// the structured log lines. Run by tests/js/worker/operator.test.mjs and
// tests/js/receiver/operator-*.test.mjs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { planSync } from "cohort-sync";
import { AUTH, eventually, startRecorder } from "../worker/worker-harness.mjs";

const T = { timeout: 120_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "1", cohortId, cohortName: "Operators", sessionId, ...extra });
const ids = (n, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(6, "0")}`);

/** Registers the suite on one host and store: `start(options)` starts a receiver (`vars` added to the test settings). */
export function operatorBehaviour({ start }) {
  let w, clevertap, mixpanel;
  let refuse = true; // the destinations refuse for good (400) until told otherwise
  before(async () => {
    clevertap = await startRecorder(() => (refuse ? [400, '{"status":"fail","error":"Invalid account"}'] : [200, '{"status":"success","processed":1,"unprocessed":[]}']));
    mixpanel = await startRecorder(() => (refuse ? [400, '{"error":"bad token"}'] : [200, "1"]));
    // With an Analytics Engine dataset bound: every route and delivery below also writes
    // its data points (which the local dataset keeps nowhere), and must work as without.
    w = await start({
      analytics: true,
      vars: {
        CLEVERTAP_ACCOUNT_ID: "A",
        CLEVERTAP_PASSCODE: "P",
        CLEVERTAP_UPLOAD_URL: `${clevertap.url}/1/upload`,
        MIXPANEL_TOKEN: "t",
        MIXPANEL_ENGAGE_URL: `${mixpanel.url}/engage`,
      },
    });
  });
  after(async () => {
    await w?.destroy();
    await Promise.all([clevertap, mixpanel].map((r) => r?.close()));
  });

  async function call(method, path, { auth = AUTH } = {}) {
    const res = await fetch(`${w.origin}${path}`, { method, headers: auth ? { authorization: auth } : {} });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, text, json: body, headers: res.headers };
  }

  test("dead letters: seen with what was sent and why, sent again once the destination recovers, dropped", T, async () => {
    refuse = true;
    for (const body of planSync(null, ["a", "b"], options("ops", "s1"))) assert.equal((await w.post(body)).status, 200);
    await eventually(async () => (await w.get("/cohorts/ops")).json.outbox.dead > 0, 20_000, "a dead letter");
    const listed = (await call("GET", "/cohorts/ops/dead-letters")).json.deadLetters;
    assert.equal(listed.length, 1);
    const [letter] = listed;
    assert.equal(letter.destination, "clevertap");
    assert.equal(letter.request.url, `${clevertap.url}/1/upload`);
    assert.match(letter.request.body, /"Partner Sync"/);
    assert.match(letter.error, /^HTTP 400: .*Invalid account/, "CleverTap's refusal of the whole request, with an excerpt of its answer");
    assert.equal(letter.attempts, 1);
    assert.ok(!Number.isNaN(Date.parse(letter.failedAt)));

    refuse = false;
    const received = clevertap.received.length;
    assert.deepEqual((await call("POST", "/cohorts/ops/dead-letters/redrive")).json, { redriven: 1 });
    await eventually(async () => {
      const { outbox } = (await w.get("/cohorts/ops")).json;
      return outbox.pending === 0 && outbox.dead === 0;
    }, 20_000, "the redriven request delivered");
    assert.equal(clevertap.received.length, received + 1, "sent once more");
    assert.ok(clevertap.received.at(-1).body.startsWith(letter.request.body.replace(/…$/, "")), "the same request");

    refuse = true;
    for (const body of planSync(["a", "b"], ["a"], options("ops", "s2"))) assert.equal((await w.post(body)).status, 200);
    await eventually(async () => (await w.get("/cohorts/ops")).json.outbox.dead > 0, 20_000, "another dead letter");
    const [another] = (await call("GET", "/cohorts/ops/dead-letters")).json.deadLetters;
    assert.deepEqual((await call("DELETE", `/cohorts/ops/dead-letters?ids=${another.id + 1000}`)).json, { dropped: 0 }, "an id that is not there");
    assert.deepEqual((await call("DELETE", `/cohorts/ops/dead-letters?ids=${another.id}`)).json, { dropped: 1 });
    assert.deepEqual((await call("GET", "/cohorts/ops/dead-letters")).json.deadLetters, []);
    assert.equal((await w.get("/cohorts/ops")).json.outbox.dead, 0);
  });

  test("the profiles object's outbox and dead letters are visible and can be redriven", T, async () => {
    refuse = true;
    for (const body of planSync(null, ["p1"], options("ops-profiles", "s1"))) assert.equal((await w.post(body)).status, 200);
    await eventually(async () => (await call("GET", "/profiles")).json.outbox.dead > 0, 20_000, "a profiles dead letter");
    const [letter] = (await call("GET", "/profiles/dead-letters")).json.deadLetters;
    assert.equal(letter.destination, "mixpanel");
    assert.match(letter.error, /^HTTP 400/);
    assert.match(letter.request.body, /SegmentMembership/);
    refuse = false;
    assert.equal((await call("POST", "/profiles/dead-letters/redrive")).json.redriven >= 1, true);
    await eventually(async () => {
      const { outbox } = (await call("GET", "/profiles")).json;
      return outbox.pending === 0 && outbox.dead === 0;
    }, 20_000, "the profiles outbox drained");
    assert.match(mixpanel.received.at(-1).body, /SegmentMembership/);
  });

  test("members.ndjson streams the whole membership in id order, 1000 ids a read", T, async () => {
    refuse = false;
    const all = ids(2500);
    for (const body of planSync(null, all, options("ops-stream", "s1"))) assert.equal((await w.post(body)).status, 200);
    const r = await call("GET", "/cohorts/ops-stream/members.ndjson");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/x-ndjson");
    const lines = r.text.split("\n");
    assert.equal(lines.pop(), "", "each line ends with a newline");
    assert.deepEqual(lines.map((line) => JSON.parse(line)), all);
    assert.equal((await call("GET", "/cohorts/never-synced/members.ndjson")).status, 404);
  });

  test("DELETE /cohorts/:id forgets a cohort; a later page starts it afresh", T, async () => {
    refuse = false;
    for (const body of planSync(null, ["x", "y"], options("ops-forget", "s1"))) assert.equal((await w.post(body)).status, 200);
    assert.equal((await w.get("/cohorts/ops-forget")).json.size, 2);
    assert.deepEqual((await call("DELETE", "/cohorts/ops-forget")).json, { forgotten: "ops-forget" });
    assert.equal((await w.get("/cohorts/ops-forget")).status, 404);
    assert.equal((await call("DELETE", "/cohorts/ops-forget")).status, 404, "nothing left to forget");
    for (const body of planSync(null, ["z"], options("ops-forget", "s2"))) assert.equal((await w.post(body)).status, 200);
    assert.equal((await w.get("/cohorts/ops-forget")).json.size, 1);
  });

  test("methods, credentials and arguments", T, async () => {
    for (const [method, path, allow] of [
      ["PUT", "/cohorts/ops/dead-letters", "GET, DELETE"],
      ["GET", "/cohorts/ops/dead-letters/redrive", "POST"],
      ["POST", "/cohorts/ops/members.ndjson", "GET"],
      ["DELETE", "/profiles", "GET"],
    ]) {
      const r = await call(method, path);
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.get("allow"), allow);
    }
    for (const [method, path] of [["GET", "/cohorts/ops/dead-letters"], ["POST", "/profiles/dead-letters/redrive"], ["DELETE", "/cohorts/ops"], ["GET", "/cohorts/ops/members.ndjson"]]) {
      assert.equal((await call(method, path, { auth: false })).status, 401, `${method} ${path} without credentials`);
    }
    assert.equal((await call("DELETE", "/cohorts/ops/dead-letters?ids=1,x")).status, 400);
    assert.equal((await call("GET", "/cohorts/ops/dead-letters?limit=0")).status, 400);
    assert.equal((await call("GET", "/cohorts/%E0%A4%A/dead-letters")).status, 400);
  });

  test("GET /cohorts/:id/syncs: recent sessions, newest first, with pages, status, counters and refusals", T, async () => {
    refuse = false;
    const pages = planSync(null, ids(7, "s"), options("ops-syncs", "full-1", { batchSize: 3 }));
    assert.equal((await w.post(pages[0])).status, 200);
    assert.equal((await w.post(pages[2])).status, 200);
    assert.equal((await w.post(pages[0])).status, 200, "a replay");
    const bad = JSON.parse(pages[1]);
    bad.parameters.page_info.page_count = 9;
    assert.equal((await w.post(JSON.stringify(bad))).status, 400);
    let [full] = (await call("GET", "/cohorts/ops-syncs/syncs")).json.syncs;
    assert.deepEqual(
      { ...full, firstPageAt: typeof full.firstPageAt, lastPageAt: typeof full.lastPageAt, refused: { ...full.refused, lastReason: typeof full.refused.lastReason } },
      {
        sessionId: "full-1",
        action: "members",
        status: "waiting",
        pages: { received: 2, total: 3 },
        missingPages: [2],
        firstPageAt: "string",
        lastPageAt: "string",
        added: 4,
        removed: 0,
        replays: 1,
        refused: { count: 1, lastReason: "string" },
        size: null,
      },
    );
    assert.match(full.refused.lastReason, /page_out_of_range/);
    assert.equal((await w.post(pages[1])).status, 200);
    for (const body of planSync(ids(7, "s"), ids(6, "s"), options("ops-syncs", "diff-1"))) assert.equal((await w.post(body)).status, 200);
    const refusedOnly = JSON.parse(planSync(null, ["q"], options("ops-syncs", "never"))[0]);
    refusedOnly.parameters.members = [{ mixpanel_distinct_id: 5 }];
    assert.equal((await w.post(JSON.stringify(refusedOnly))).status, 400);
    const syncs = (await call("GET", "/cohorts/ops-syncs/syncs?limit=10")).json.syncs;
    assert.deepEqual(
      syncs.map((s) => [s.sessionId, s.action, s.status, s.added, s.removed]),
      [
        ["never", "members", "refused", 0, 0],
        ["diff-1", "remove_members", "complete", 0, 1],
        ["diff-1", "add_members", "complete", 0, 0],
        ["full-1", "members", "complete", 7, 0],
      ],
    );
    assert.equal((await call("GET", "/cohorts/ops-syncs/syncs?limit=1")).json.syncs.length, 1);
    assert.equal((await call("GET", "/cohorts/ops-syncs/syncs?limit=0")).status, 400);
    assert.equal((await call("GET", "/cohorts/no-such-cohort/syncs")).status, 404);
  });

  test("GET /cohorts: every cohort synced here, with its live figures; a forgotten one leaves the list", T, async () => {
    refuse = false;
    for (const body of planSync(null, ["a", "b", "c"], options("reg-a", "s1"))) assert.equal((await w.post(body)).status, 200);
    const [first] = planSync(null, ids(5, "r"), options("reg-b", "s1", { batchSize: 2 }));
    assert.equal((await w.post(first)).status, 200);
    const byId = async () => Object.fromEntries((await call("GET", "/cohorts")).json.cohorts.map((c) => [c.cohortId, c]));
    const listed = await byId();
    assert.deepEqual(
      {
        ...listed["reg-a"],
        lastPageAt: typeof listed["reg-a"].lastPageAt,
        firstSeenAt: typeof listed["reg-a"].firstSeenAt,
        lastCompletedSync: { ...listed["reg-a"].lastCompletedSync, at: typeof listed["reg-a"].lastCompletedSync.at },
        outbox: Object.keys(listed["reg-a"].outbox), // forwarding is on here: requests may be in flight
        sizeTrend: listed["reg-a"].sizeTrend.map((p) => ({ ...p, at: typeof p.at })),
      },
      {
        cohortId: "reg-a",
        cohortName: "Operators",
        size: 3,
        lastPageAt: "string",
        sessionId: "s1",
        lastCompletedSync: { at: "string", sessionId: "s1" },
        pendingSession: null,
        outbox: ["pending", "dead"],
        deadPages: 0,
        firstSeenAt: "string",
        sizeTrend: [{ at: "string", sessionId: "s1", size: 3 }],
      },
    );
    assert.equal(listed["reg-b"].size, 2);
    assert.equal(listed["reg-b"].lastCompletedSync, null, "its full sync is still under way");
    assert.deepEqual(listed["reg-b"].pendingSession, { sessionId: "s1", totalPages: 3 });
    assert.equal((await call("DELETE", "/cohorts/reg-a")).status, 200);
    assert.equal((await byId())["reg-a"], undefined);
    assert.equal((await call("GET", "/cohorts", { auth: false })).status, 401);
    assert.equal((await call("POST", "/cohorts")).status, 405);
  });

  test("GET /cohorts/:id/members/:distinctId says since when, and for one who left, when and by which session", T, async () => {
    refuse = false;
    for (const body of planSync(null, ["stay", "go", "swept"], options("ops-who", "s1"))) assert.equal((await w.post(body)).status, 200);
    const stay = (await w.get("/cohorts/ops-who/members/stay")).json;
    assert.equal(stay.member, true);
    assert.equal(stay.since.sessionId, "s1");
    assert.ok(!Number.isNaN(Date.parse(stay.since.at)));
    assert.equal(stay.left, null);
    for (const body of planSync(["stay", "go", "swept"], ["stay", "swept"], options("ops-who", "d1"))) assert.equal((await w.post(body)).status, 200);
    const go = await w.get("/cohorts/ops-who/members/go");
    assert.equal(go.status, 404);
    assert.deepEqual({ ...go.json, left: { ...go.json.left, at: typeof go.json.left.at } }, { member: false, since: null, left: { at: "string", sessionId: "d1" } });
    for (const body of planSync(null, ["stay", "go"], options("ops-who", "s2"))) assert.equal((await w.post(body)).status, 200);
    const swept = (await w.get("/cohorts/ops-who/members/swept")).json;
    assert.deepEqual([swept.member, swept.left?.sessionId], [false, "s2"], "a full sync's sweep records who left");
    const back = (await w.get("/cohorts/ops-who/members/go")).json;
    assert.deepEqual([back.member, back.since.sessionId, back.left.sessionId], [true, "s2", "d1"], "joined again; the earlier departure stays known");
    const never = await w.get("/cohorts/ops-who/members/never-here");
    assert.deepEqual([never.status, never.json], [404, { member: false, since: null, left: null }]);
  });

  test("structured log lines: one when a page is answered, one when it is applied, one per delivery attempt", T, async () => {
    refuse = false;
    const from = w.events.length;
    for (const body of planSync(null, ["l1", "l2"], options("ops-logs", "s1"))) assert.equal((await w.post(body)).status, 200);
    const bad = JSON.parse(planSync(null, ["l3"], options("ops-logs", "s2"))[0]);
    bad.parameters.members[0].mixpanel_distinct_id = 7;
    assert.equal((await w.post(JSON.stringify(bad))).status, 400);
    await eventually(async () => (await w.get("/cohorts/ops-logs")).json.outbox.pending === 0, 20_000, "deliveries");
    await eventually(() => w.events.slice(from).some((e) => e.event === "delivery" && e.destination === "clevertap"), 10_000, "a delivery line");
    const events = w.events.slice(from);
    const page = events.find((e) => e.event === "page" && e.cohort === "ops-logs" && e.status === 200);
    assert.deepEqual({ ...page, ms: typeof page.ms }, { event: "page", cohort: "ops-logs", session: "s1", action: "members", page: 1, total: 1, members: 2, status: 200, ms: "number" });
    const refused = events.find((e) => e.event === "page" && e.cohort === "ops-logs" && e.status === 400);
    assert.equal(refused.problem, "wrong_type");
    const applied = events.find((e) => e.event === "applied" && e.cohort === "ops-logs");
    assert.deepEqual(applied, { event: "applied", cohort: "ops-logs", session: "s1", action: "members", page: 1, total: 1, added: 2, removed: 0, duplicate: false, sessionComplete: true });
    const delivery = events.find((e) => e.event === "delivery" && e.destination === "clevertap");
    assert.deepEqual(Object.keys(delivery).sort(), ["attempt", "destination", "event", "ms", "object", "status"]);
    assert.equal(delivery.status, "ok");
  });
}
