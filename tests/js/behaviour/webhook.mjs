// The webhook and the read routes, on every host and store: credentials, answers, and
// exact membership across replays, out-of-order and concurrent pages, restarts from the
// top, runtime restarts with persisted storage, the page log, and a 100k-member cohort.
// Run by tests/js/worker/webhook.test.mjs and tests/js/receiver/webhook-*.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planSync, validatePayload } from "cohort-sync";
import { failureMessage } from "cohort-sync/receiver";
import { AUTH, basic, CREDENTIALS, eventually, startRecorder } from "../worker/worker-harness.mjs";

const T = { timeout: 300_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "2345678", cohortId, cohortName: "Power users", sessionId, ...extra });
const ids = (n, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(6, "0")}`);

/** Every member of a cohort, through the paginated read API. */
async function members(worker, cohortId, limit = 1000) {
  const all = [];
  let cursor = null;
  do {
    const r = await worker.get(`/cohorts/${encodeURIComponent(cohortId)}/members?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(r.status, 200, r.text);
    all.push(...r.json.members);
    cursor = r.json.cursor;
  } while (cursor);
  return all;
}

async function postOk(worker, body, action) {
  const r = await worker.post(body);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { action, status: "success" });
  return r;
}

/**
 * Registers the suite on one host and store: `start(options)` starts a receiver (`vars`
 * added to the test settings, `persist` its state), `storageDir()` gives a fresh place
 * for that state, so a test can stop a receiver and start another on the same.
 */
export function webhookBehaviour({ start, storageDir }) {
  let w;
  before(async () => {
    w = await start();
  });
  after(() => w?.destroy());

  describe("credentials", T, () => {
    const [body] = planSync(null, ["a"], options("auth", "s1"));

    test("missing, wrong or malformed credentials: 401 in Mixpanel's shape, nothing stored", T, async () => {
      const cases = {
        missing: false,
        "wrong password": basic(CREDENTIALS.user, "wrong"),
        "wrong user": basic("someone", CREDENTIALS.password),
        "password with a suffix": basic(CREDENTIALS.user, `${CREDENTIALS.password}x`),
        "not Basic": "Bearer abc",
        "not base64": "Basic !!!!",
        "no colon": `Basic ${Buffer.from("justauser").toString("base64")}`,
        "not UTF-8": `Basic ${Buffer.from([0xff, 0x3a, 0xfe]).toString("base64")}`,
        "empty Basic": "Basic ",
        "two schemes": `${AUTH}, ${AUTH}`,
      };
      for (const [name, auth] of Object.entries(cases)) {
        const r = await w.post(body, { auth });
        assert.equal(r.status, 401, `${name}: ${r.text}`);
        assert.equal(r.json.action, null, `${name}: credentials are checked before a byte of the body is read`);
        assert.equal(r.json.status, "failure", name);
        assert.equal(r.json.error.code, 401, name);
        assert.match(r.headers.get("www-authenticate") ?? "", /^Basic /, name);
      }
      assert.equal((await w.get("/cohorts/auth")).status, 404, "nothing was stored");
      for (const path of ["/cohorts/auth", "/cohorts/auth/members", "/cohorts/auth/members/a"]) {
        assert.equal((await w.get(path, { auth: false })).status, 401, path);
        assert.equal((await w.get(path, { auth: basic("x", "y") })).status, 401, path);
      }
      await postOk(w, body, "members");
      assert.equal((await w.get("/cohorts/auth")).json.size, 1);
    });

    test("no credentials configured: every request refused (fail closed)", T, async () => {
      const closed = await start({ vars: { WEBHOOK_USERNAME: "", WEBHOOK_PASSWORD: "" } });
      try {
        for (const auth of [false, AUTH, basic("", "")]) {
          const r = await closed.post(body, { auth });
          assert.equal(r.status, 401, r.text);
          assert.match(r.json.error.message, /no credentials configured/);
        }
        assert.equal((await closed.get("/cohorts/auth", { auth: false })).status, 401);
      } finally {
        await closed.destroy();
      }
    });

    test('ALLOW_UNAUTHENTICATED = "true" opens it on purpose (and only then)', T, async () => {
      const open = await start({ vars: { WEBHOOK_USERNAME: "", WEBHOOK_PASSWORD: "", ALLOW_UNAUTHENTICATED: "true" } });
      try {
        await postOk(open, body, "members");
        assert.equal((await open.get("/cohorts/auth", { auth: false })).json.size, 1);
      } finally {
        await open.destroy();
      }
      const notQuite = await start({ vars: { WEBHOOK_USERNAME: "", WEBHOOK_PASSWORD: "", ALLOW_UNAUTHENTICATED: "yes" } });
      try {
        assert.equal((await notQuite.post(body, { auth: false })).status, 401);
      } finally {
        await notQuite.destroy();
      }
    });
  });

  describe("bad requests", T, () => {
    test("invalid bodies: 400 with the problems, action echoed when readable, nothing stored", T, async () => {
      const good = JSON.parse(planSync(null, ["a", "b"], options("bad", "s1"))[0]);
      const cases = [
        ["{", null, /invalid_json/],
        ["", null, /empty_body/],
        ['"members"', null, /not_an_object/],
        [JSON.stringify({ ...good, action: "delete_everyone" }), "delete_everyone", /unknown_action/],
        [JSON.stringify({ ...good, parameters: { ...good.parameters, members: [{ email: "x@example.com" }] } }), "members", /missing_field at \/parameters\/members\/0\/mixpanel_distinct_id/],
        [JSON.stringify({ ...good, parameters: { ...good.parameters, page_info: { page_count: 3, total_pages: 2 } } }), "members", /page_out_of_range/],
        [JSON.stringify({ ...good, parameters: { ...good.parameters, members: [{ mixpanel_distinct_id: 42 }] } }), "members", /wrong_type/],
      ];
      for (const [body, action, message] of cases) {
        const r = await w.post(body);
        assert.equal(r.status, 400, body.slice(0, 80));
        assert.equal(r.json.action, action, body.slice(0, 80));
        assert.equal(r.json.status, "failure");
        assert.equal(r.json.error.code, 400);
        assert.match(r.json.error.message, message);
        assert.match(r.json.error.message, /^invalid payload: /);
        // The very message the validator page shows for this body (www/ imports message.js).
        assert.equal(r.json.error.message, failureMessage(validatePayload(body).errors));
      }
      assert.equal((await w.get("/cohorts/bad")).status, 404, "no invalid page reached storage");
    });

    test("a body over MAX_BODY_BYTES: 413, declared or streamed", T, async () => {
      const small = await start({ vars: { MAX_BODY_BYTES: "2000" } });
      try {
        const [body] = planSync(null, ids(100), options("big", "s1"));
        assert.ok(body.length > 2000);
        const r = await small.post(body);
        assert.equal(r.status, 413, r.text);
        assert.equal(r.json.status, "failure");
        assert.equal(r.json.error.code, 413);
        // Without a Content-Length: a stream, counted as it comes.
        const stream = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(body));
            c.close();
          },
        });
        const res = await fetch(`${small.origin}/webhook`, { method: "POST", headers: { authorization: AUTH }, body: stream, duplex: "half" });
        assert.equal(res.status, 413);
        assert.equal((await small.get("/cohorts/big")).status, 404);
      } finally {
        await small.destroy();
      }
    });

    test("routes: wrong method 405, unknown path 404, bad read parameters 400", T, async () => {
      assert.equal((await fetch(`${w.origin}/webhook`, { headers: { authorization: AUTH } })).status, 405);
      assert.equal((await fetch(`${w.origin}/cohorts/x`, { method: "POST", headers: { authorization: AUTH } })).status, 405);
      assert.equal((await w.get("/nothing-here")).status, 404);
      await postOk(w, planSync(null, ["a"], options("routes", "s1"))[0], "members");
      for (const q of ["limit=0", "limit=1001", "limit=abc", "limit=1.5", "cursor=%%%", "cursor=!!!"]) {
        assert.equal((await w.get(`/cohorts/routes/members?${q}`)).status, 400, q);
      }
      assert.equal((await w.get("/cohorts/%E0%A4%A/members")).status, 400);
    });

    test("ACCEPT_COHORTS: another cohort gets 404 (pauses that sync), the listed ones 200", T, async () => {
      const picky = await start({ vars: { ACCEPT_COHORTS: "111, 222" } });
      try {
        const other = await picky.post(planSync(null, ["a"], options("333", "s1"))[0]);
        assert.equal(other.status, 404);
        assert.equal(other.json.action, "members");
        assert.match(other.json.error.message, /not synced to this endpoint/);
        await postOk(picky, planSync(null, ["a"], options("222", "s1"))[0], "members");
      } finally {
        await picky.destroy();
      }
    });
  });

  describe("membership stays exact", T, () => {
    test("a 3-page full sync with a replayed page, then a second full sync that removes", T, async () => {
      const first = ids(7);
      const pages = planSync(null, first, options("three", "s1", { batchSize: 3 }));
      assert.equal(pages.length, 3);
      await postOk(w, pages[0], "members");
      await postOk(w, pages[1], "members");
      await postOk(w, pages[1], "members"); // a retry of page 2: changes nothing
      assert.equal((await w.get("/cohorts/three")).json.pendingSession.sessionId, "s1");
      await postOk(w, pages[2], "members");
      assert.deepEqual(await members(w, "three"), first);
      const info = (await w.get("/cohorts/three")).json;
      assert.equal(info.size, 7);
      assert.equal(info.pendingSession, null);
      // The next full sync lists five: the two others leave when its last page lands.
      const second = [...first.slice(2), "new-1"].sort();
      const again = planSync(null, second, options("three", "s2", { batchSize: 3 }));
      await postOk(w, again[0], "members");
      assert.equal((await w.get("/cohorts/three")).json.size, 8, "no removal before the last page");
      await postOk(w, again[1], "members");
      assert.deepEqual(await members(w, "three"), second);
      await postOk(w, pages[2], "members"); // a very late replay of the old session
      assert.deepEqual(await members(w, "three"), second);
    });

    test("out-of-order pages: removals wait for the last page to arrive, whichever it is", T, async () => {
      for (const body of planSync(null, ["x", "y", "z"], options("order", "s0"))) await postOk(w, body, "members");
      const next = ids(10);
      const pages = planSync(null, next, options("order", "s1", { batchSize: 4 }));
      for (const i of [2, 0]) await postOk(w, pages[i], "members");
      assert.equal((await w.get("/cohorts/order")).json.size, 3 + 6, "x, y, z stay until the session is complete");
      await postOk(w, pages[1], "members");
      assert.deepEqual(await members(w, "order"), next);
    });

    test("restart from the top: the new session replaces the unfinished one; its late pages are stale", T, async () => {
      const before = ids(9, "old");
      for (const body of planSync(null, before, options("restart", "s0"))) await postOk(w, body, "members");
      const a = planSync(null, ids(9, "a"), options("restart", "s1", { batchSize: 3 }));
      await postOk(w, a[0], "members");
      await postOk(w, a[1], "members");
      // Mixpanel failed mid-sync and starts over with a new session.
      const current = ids(6, "b");
      const b = planSync(null, current, options("restart", "s2", { batchSize: 3 }));
      await postOk(w, b[0], "members");
      await postOk(w, a[2], "members"); // the old session's last page, late: stale
      await postOk(w, b[1], "members");
      assert.deepEqual(await members(w, "restart"), current);
      // The same session sent again with another page count starts over too.
      const c3 = planSync(null, ids(4, "c"), options("restart", "s3", { batchSize: 2 }));
      await postOk(w, c3[0], "members");
      const c3again = planSync(null, ids(3, "d"), options("restart", "s3", { batchSize: 1 }));
      for (const body of c3again) await postOk(w, body, "members");
      assert.deepEqual(await members(w, "restart"), ids(3, "d"));
    });

    test("concurrent pages of one session, and concurrent replays: serialised, exact", T, async () => {
      const all = ids(2500, "con");
      const pages = planSync(null, all, options("concurrent", "s1", { batchSize: 250 }));
      const results = await Promise.all([...pages, ...pages.slice(0, 4)].map((body) => w.post(body)));
      for (const r of results) assert.equal(r.status, 200, r.text);
      assert.deepEqual(await members(w, "concurrent"), all);
      const later = all.filter((_, i) => i % 10 !== 0);
      const diff = planSync(all, later, options("concurrent", "s2", { batchSize: 50 }));
      const answers = await Promise.all([...diff, ...diff].map((body) => w.post(body)));
      for (const r of answers) assert.equal(r.status, 200, r.text);
      assert.deepEqual(await members(w, "concurrent"), later);
    });

    test("a runtime restart in the middle of a session loses nothing", T, async () => {
      const persist = storageDir();
      let a = await start({ persist });
      try {
        for (const body of planSync(null, ids(5, "gone"), options("persist", "s0"))) await postOk(a, body, "members");
        const current = ids(30, "p");
        const pages = planSync(null, current, options("persist", "s1", { batchSize: 10 }));
        await postOk(a, pages[0], "members");
        await postOk(a, pages[1], "members");
        await a.stop();
        a = await start({ persist });
        await postOk(a, pages[1], "members"); // the retry Mixpanel sends after no answer
        assert.equal((await a.get("/cohorts/persist")).json.size, 25);
        await postOk(a, pages[2], "members");
        assert.deepEqual(await members(a, "persist"), current);
        await a.stop();
        a = await start({ persist });
        assert.deepEqual(await members(a, "persist", 7), current, "and after another restart, paged by 7");
      } finally {
        await a.destroy();
      }
    });

    test("a 100k-member cohort end to end, then a full sync with 1% churn", T, async () => {
      const all = ids(100_000, "big");
      const started = performance.now();
      for (const body of planSync(null, all, options("big", "s1"))) await postOk(w, body, "members");
      const firstMs = performance.now() - started;
      assert.equal((await w.get("/cohorts/big")).json.size, 100_000);
      const listed = await members(w, "big");
      assert.equal(listed.length, 100_000);
      assert.deepEqual(listed, all);
      const next = [...all.filter((_, i) => i % 100 !== 0), ...ids(1000, "fresh")].sort();
      for (const body of planSync(null, next, options("big", "s2"))) await postOk(w, body, "members");
      const info = (await w.get("/cohorts/big")).json;
      assert.equal(info.size, next.length);
      assert.equal((await w.get("/cohorts/big/members/big-000000")).json.member, false);
      assert.equal((await w.get("/cohorts/big/members/big-000001")).json.member, true);
      assert.equal((await w.get("/cohorts/big/members/fresh-000999")).json.member, true);
      console.log(`# 100k members: first full sync ${(firstMs / 100).toFixed(1)} ms a page (100 pages, wall time)`);
    });
  });

  describe("the page log (write-behind)", T, () => {
    const NEVER = { APPLY_DELAY_MS: String(24 * 3600 * 1000) };

    test("pages answered 200 wait in the log; a read applies them first, in arrival order, exactly", T, async () => {
      const a = await start({ vars: NEVER });
      try {
        for (const body of planSync(null, ids(6, "old"), options("log", "s0", { batchSize: 3 }))) await postOk(a, body, "members");
        const current = [...ids(4, "old"), ...ids(5, "new")];
        const pages = planSync(null, current, options("log", "s1", { batchSize: 3 }));
        await postOk(a, pages[0], "members");
        await postOk(a, pages[0], "members"); // a replay, logged again
        await postOk(a, pages[2], "members");
        await postOk(a, pages[1], "members");
        const object = await a.cohort("log");
        assert.equal(await object.loggedPages(), 6, "nothing applied yet: the alarm is a day away");
        const info = (await a.get("/cohorts/log")).json;
        assert.equal(await object.loggedPages(), 0, "the read applied the log");
        assert.equal(info.size, current.length);
        assert.equal(info.pendingSession, null, "the full sync ended with its last page");
        assert.deepEqual(await members(a, "log"), [...current].sort());
        assert.equal((await a.get("/cohorts/log/members/old-000005")).json.member, false, "swept");
      } finally {
        await a.destroy();
      }
    });

    test("the alarm applies the log without any read, also after a runtime restart", T, async () => {
      const persist = storageDir();
      let a = await start({ persist, vars: NEVER });
      try {
        const current = ids(25, "r");
        for (const body of planSync(null, current, options("log-restart", "s1", { batchSize: 5 }))) await postOk(a, body, "members");
        assert.equal(await (await a.cohort("log-restart")).loggedPages(), 5);
        await a.stop();
        a = await start({ persist, vars: { APPLY_DELAY_MS: "0", APPLY_PAGES_PER_RUN: "2" } });
        const object = await a.cohort("log-restart");
        // The alarm set before the restart is a day away; a new page brings it forward.
        const [add, remove] = planSync(current, [...current, "late"], options("log-restart", "s2"));
        await postOk(a, add, "add_members");
        await postOk(a, remove, "remove_members");
        await eventually(async () => (await object.loggedPages()) === 0, 15_000, "the alarm to apply all 7 logged pages (2 a run)");
        const info = (await a.get("/cohorts/log-restart")).json;
        assert.equal(info.size, 26);
        assert.deepEqual(await members(a, "log-restart"), [...current, "late"].sort());
      } finally {
        await a.destroy();
      }
    });

    test("the sweep in several scans (8 ordinals each: 7 rounded up to whole bytes): exact across scan edges, three syncs with churn", T, async () => {
      const a = await start({ vars: { SWEEP_ORDINALS_PER_SCAN: "7" } });
      try {
        const syncs = [
          ids(40, "m"),
          [...ids(40, "m").filter((_, i) => i % 3 !== 0), ...ids(9, "n")],
          [...ids(40, "m").filter((_, i) => i % 3 === 1 || i === 6), ...ids(9, "n").slice(4), "o"],
        ];
        for (const [k, current] of syncs.entries()) {
          for (const body of planSync(null, current, options("scans", `s${k}`, { batchSize: 6 }))) await postOk(a, body, "members");
          assert.deepEqual(await members(a, "scans"), [...current].sort(), `after sync ${k + 1}`);
          assert.equal((await a.get("/cohorts/scans")).json.size, current.length);
        }
      } finally {
        await a.destroy();
      }
    });

    test("a page too big to log (members with large properties, forwarding on) is applied at once, in order", T, async () => {
      const recorder = await startRecorder();
      const a = await start({ vars: { ...NEVER, CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: recorder.url } });
      try {
        // Each member just under the size kept whole (100k characters); six make a page
        // record over what one SQLite value takes in the log.
        const big = (id) => ({ distinctId: id, properties: { notes: "x".repeat(95_000) } });
        const current = [...ids(6, "a"), ...ids(6, "b").map(big), ...ids(6, "c")];
        const pages = planSync(null, current, options("big-page", "s1", { batchSize: 6 }));
        await postOk(a, pages[0], "members");
        const object = await a.cohort("big-page");
        assert.equal(await object.loggedPages(), 1);
        await postOk(a, pages[1], "members");
        assert.equal(await object.loggedPages(), 0, "the big page applied the log before itself");
        await postOk(a, pages[2], "members");
        // Logged again, unless the alarm the big page's forwarded requests set (due at
        // once) has applied it already.
        assert.ok((await object.loggedPages()) <= 1);
        const info = (await a.get("/cohorts/big-page")).json;
        assert.equal(info.size, 18);
        assert.equal(info.pendingSession, null);
        assert.deepEqual(await members(a, "big-page"), current.map((m) => m.distinctId ?? m).sort());
      } finally {
        await a.destroy();
        await recorder.close();
      }
    });

    test("backpressure: past MAX_LOGGED_PAGES a request applies the excess before answering; exact", T, async () => {
      const a = await start({ vars: { ...NEVER, MAX_LOGGED_PAGES: "3" } });
      try {
        const current = ids(40, "bp");
        const pages = planSync(null, current, options("backpressure", "s1", { batchSize: 4 }));
        const object = await a.cohort("backpressure");
        for (const [k, body] of pages.entries()) {
          await postOk(a, body, "members");
          assert.equal(await object.loggedPages(), Math.min(k + 1, 3), `after page ${k + 1}`);
        }
        const info = (await a.get("/cohorts/backpressure")).json;
        assert.equal(info.size, 40);
        assert.equal(info.pendingSession, null);
        assert.deepEqual(await members(a, "backpressure"), current);
      } finally {
        await a.destroy();
      }
    });

    test("a member far larger than SQLite takes (3 MB, forwarding on) is kept short and forwarded; nothing stalls", T, async () => {
      const recorder = await startRecorder();
      const a = await start({ vars: { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: recorder.url } });
      try {
        const huge = { distinctId: "huge", email: "huge@example.com", properties: { $CleverTap_user_id: "ct-huge", notes: "x".repeat(3_000_000) } };
        const pages = planSync(null, ["a", huge, "c", "d"], options("huge-member", "s1", { batchSize: 2 }));
        for (const body of pages) await postOk(a, body, "members");
        assert.equal((await a.get("/cohorts/huge-member")).json.size, 4);
        await eventually(async () => (await a.get("/cohorts/huge-member")).json.outbox.pending === 0, 20_000, "an empty outbox");
        const records = recorder.received.flatMap((r) => r.json.d);
        const event = records.find((r) => r.type === "event" && r.identity === "ct-huge");
        assert.ok(event, "the huge member's Partner Sync event went out under its CleverTap id");
        assert.equal(records.find((r) => r.type === "profile" && r.identity === "ct-huge")?.profileData.Email, "huge@example.com");
      } finally {
        await a.destroy();
        await recorder.close();
      }
    });

    test("pages of 1000 ids of 1024 characters (1 MB of ids, the longest accepted): applied in parts, never a value SQLite refuses", T, async () => {
      const long = (i) => `L${String(i).padStart(6, "0")}${"x".repeat(1017)}`;
      const all = Array.from({ length: 2000 }, (_, i) => long(i));
      for (const body of planSync(null, all, options("long-ids", "s1"))) await postOk(w, body, "members");
      assert.equal((await w.get("/cohorts/long-ids")).json.size, 2000);
      const kept = all.filter((_, i) => i % 2 === 0);
      const [add, remove] = planSync(all, kept, options("long-ids", "s2"));
      await postOk(w, add, "add_members");
      await postOk(w, remove, "remove_members");
      assert.equal((await w.get("/cohorts/long-ids")).json.size, 1000);
      for (const body of planSync(null, kept.slice(0, 10), options("long-ids", "s3"))) await postOk(w, body, "members");
      assert.deepEqual(await members(w, "long-ids"), kept.slice(0, 10));
    });

    test("the real sender's bodies (no page_info, integration id, $-properties, $distinct_id alone): accepted, exact membership", T, async () => {
      const real = (action, session, members) =>
        JSON.stringify({
          action,
          parameters: { mixpanel_project_id: "2201475", mixpanel_integration_id: "0", mixpanel_cohort_name: "Registros", mixpanel_cohort_id: "real", mixpanel_session_id: session, members },
        });
      const m = (id) => ({ $distinct_id: id, $email: `${id}@example.com`, $name: "Mirna", $os: "Android", $phone: "+543704546789", mixpanel_distinct_id: id, utm_source: "google" });
      await postOk(w, real("add_members", "d0", [m("old")]), "add_members");
      // A full sync in two pageless bodies, one replayed: nothing removed yet.
      await postOk(w, real("members", "full", [m("a"), m("b")]), "members");
      await postOk(w, real("members", "full", [{ $distinct_id: "c" }]), "members");
      await postOk(w, real("members", "full", [m("a"), m("b")]), "members");
      assert.deepEqual(await members(w, "real"), ["a", "b", "c", "old"]);
      assert.equal((await w.get("/cohorts/real")).json.pendingSession.sessionId, "full");
      assert.equal((await w.get("/cohorts/real")).json.pendingSession.totalPages, null, "pageless");
      // The next sync begins: the pageless full sync is over, "old" was not in it.
      await postOk(w, real("add_members", "d1", [m("e")]), "add_members");
      assert.deepEqual(await members(w, "real"), ["a", "b", "c", "e"]);
      assert.equal((await w.get("/cohorts/real")).json.pendingSession, null);
    });

    test("a field too long to store is refused with 400 (never 5xx for ever), naming the field", T, async () => {
      const cases = {
        "/parameters/members/0/mixpanel_distinct_id": (p) => (p.parameters.members[0].mixpanel_distinct_id = "x".repeat(3_000_000)),
        "/parameters/mixpanel_session_id": (p) => (p.parameters.mixpanel_session_id = "s".repeat(3_000_000)),
        "/parameters/mixpanel_cohort_id": (p) => (p.parameters.mixpanel_cohort_id = "9".repeat(3_000_000)),
        "/parameters/mixpanel_cohort_name": (p) => (p.parameters.mixpanel_cohort_name = "n".repeat(3_000_000)),
      };
      for (const [path, edit] of Object.entries(cases)) {
        const p = JSON.parse(planSync(null, ["a"], options("poison", "s1"))[0]);
        edit(p);
        const r = await w.post(JSON.stringify(p));
        assert.equal(r.status, 400, `${path}: ${r.text.slice(0, 200)}`);
        assert.equal(r.json.action, "members");
        assert.match(r.json.error.message, new RegExp(`too_long at ${path.replace(/\//g, "\\/")}`));
      }
      // And the cohort still takes pages.
      await postOk(w, planSync(null, ["a"], options("poison", "s1"))[0], "members");
      assert.deepEqual(await members(w, "poison"), ["a"]);
    });

    test("credentials are checked before the body is read; a body over the limit is answered at once", T, async () => {
      const big = await start({ vars: { MAX_BODY_BYTES: "1000" } });
      try {
        // A declared length that never arrives: only an answer that does not wait for it comes back.
        const { request } = await import("node:http");
        const answer = (headers) =>
          new Promise((resolve, reject) => {
            const req = request(new URL("/webhook", big.origin), { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
              res.resume();
              resolve(res.statusCode);
            });
            req.on("error", reject);
            req.write("x".repeat(100));
            setTimeout(() => reject(new Error("no answer while the body was still coming")), 10_000).unref();
          });
        assert.equal(await answer({ "content-length": "50000000" }), 401, "no credentials: refused before reading");
        assert.equal(await answer({ "content-length": "50000000", authorization: AUTH }), 413, "declared too large: refused at once");
      } finally {
        await big.destroy();
      }
    });
  });
}
