// Two `cohort-sync serve --postgres` processes (as npm installs it) on one PostgreSQL
// database, as behind a load balancer: the pages of one sync split between them, sent
// at once; replays to the other process; one process killed (SIGKILL) mid-sync with
// pages it answered still in its log; and a destination that sees every change once,
// however many processes run the cohort's alarm.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { after, test } from "node:test";
import { planSync } from "cohort-sync";
import { databaseUrl, postgresCluster } from "./node-harness.mjs";
import { serve } from "./serve-process.mjs";

const T = { timeout: 120_000 };
const AUTH = `Basic ${Buffer.from("mixpanel:s3cret").toString("base64")}`;
const SETTINGS = { WEBHOOK_USERNAME: "mixpanel", WEBHOOK_PASSWORD: "s3cret", ALARM_POLL_MS: "100", FORWARD_RETRY_BASE_MS: "50", FORWARD_RETRY_MAX_MS: "200" };
after(async () => (await postgresCluster()).stop());

/** `cohort-sync serve --postgres url` with the test settings and `env`. */
async function servePostgres(url, env = {}) {
  const server = await serve(["--postgres", url], { ...SETTINGS, ...env });
  assert.doesNotMatch(server.output().stdout, /password/);
  return server;
}

const post = (origin, body) =>
  fetch(`${origin}/webhook`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/json" }, body });
const get = async (origin, path) => {
  const r = await fetch(`${origin}${path}`, { headers: { authorization: AUTH } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return r.json();
};
async function members(origin, cohortId) {
  const all = [];
  for (let cursor = null; ; ) {
    const page = await get(origin, `/cohorts/${cohortId}/members?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    all.push(...page.members);
    if (page.cursor === null) return all;
    cursor = page.cursor;
  }
}
const ids = (n, tag) => Array.from({ length: n }, (_, i) => `${tag}-${String(i).padStart(5, "0")}`);
const sorted = (list) => [...list].sort();

test("two processes share a cohort: pages split between them, sent at once, replayed to the other; membership exact", T, async () => {
  const url = await databaseUrl("pg:instances_split");
  const [a, b] = await Promise.all([servePostgres(url), servePostgres(url)]);
  try {
    const first = ids(2000, "u");
    const pages = planSync(null, first, { projectId: "1", cohortId: "shared", cohortName: "Shared", sessionId: "s1", batchSize: 100 });
    // Every page to one of them, alternately, eight at a time.
    for (let i = 0; i < pages.length; i += 8) {
      const answers = await Promise.all(pages.slice(i, i + 8).map((body, j) => post((i + j) % 2 ? b.origin : a.origin, body)));
      for (const r of answers) assert.equal(r.status, 200, await r.text());
    }
    // Mixpanel's retries of answered pages, to the other process: duplicates.
    for (const [i, body] of pages.slice(0, 6).entries()) assert.equal((await post(i % 2 ? a.origin : b.origin, body)).status, 200);
    assert.deepEqual(sorted(await members(a.origin, "shared")), first);
    assert.deepEqual(sorted(await members(b.origin, "shared")), first);

    // The next full sync drops 500 and adds 300, split the same way: the sweep is exact.
    const next = [...first.slice(500), ...ids(300, "v")].sort();
    const again = planSync(first, next, { projectId: "1", cohortId: "shared", cohortName: "Shared", sessionId: "s2", batchSize: 100 });
    await Promise.all(again.map((body, i) => post(i % 2 ? a.origin : b.origin, body).then(async (r) => assert.equal(r.status, 200, await r.text()))));
    const info = await get(b.origin, "/cohorts/shared");
    assert.equal(info.size, next.length);
    assert.deepEqual(sorted(await members(a.origin, "shared")), next);
    const syncs = (await get(a.origin, "/cohorts/shared/syncs")).syncs;
    const s1 = syncs.find((s) => s.sessionId === "s1");
    assert.equal(s1.status, "complete");
    assert.equal(s1.replays, 6, "each retry counted once, as a replay");
    assert.equal(s1.added, 2000, "no page applied twice");
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("a process killed mid-sync: the pages it answered are kept, and another process's alarm poll applies them", T, async () => {
  const url = await databaseUrl("pg:instances_kill");
  // `a` leaves logged pages for a second and a half: killed at once, it dies with them unapplied.
  const a = await servePostgres(url, { APPLY_DELAY_MS: "1500", MAX_LOGGED_PAGES: "1000" });
  const b = await servePostgres(url);
  const db = new (createRequire(import.meta.url)("pg").Client)({ connectionString: url });
  await db.connect();
  try {
    const everyone = ids(1500, "k");
    const pages = planSync(null, everyone, { projectId: "1", cohortId: "killed", cohortName: "Killed", sessionId: "s1", batchSize: 100 });
    for (const body of pages.slice(0, 7)) assert.equal((await post(a.origin, body)).status, 200);
    const killed = await a.stop("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    const { rows } = await db.query("SELECT n FROM cohort_spaces WHERE cohort_id = 'killed'");
    const logged = async () => Number((await db.query(`SELECT count(*) AS n FROM c${rows[0].n}_page_log`)).rows[0].n);
    assert.equal(await logged(), 7, "the killed process answered 7 pages and applied none");
    // Nothing is sent or read: `b` finds the dead process's alarm due and applies its log.
    const start = Date.now();
    while ((await logged()) > 0) {
      assert.ok(Date.now() - start < 20_000, "the other process never applied the dead one's pages");
      await new Promise((r) => setTimeout(r, 100));
    }
    // The rest to `b`, one page again (Mixpanel retries what it did not see answered).
    for (const body of pages.slice(6)) assert.equal((await post(b.origin, body)).status, 200);
    assert.deepEqual(sorted(await members(b.origin, "killed")), everyone);
    const s1 = (await get(b.origin, "/cohorts/killed/syncs")).syncs.find((s) => s.sessionId === "s1");
    assert.equal(s1.status, "complete");
    assert.equal(s1.added, 1500);
    assert.equal(s1.replays, 1);
    assert.ok((await get(b.origin, "/cohorts")).cohorts.find((c) => c.cohortId === "killed").lastCompletedSync);
    const { stderr } = await b.stop();
    assert.doesNotMatch(stderr, /failed/, "the poll opened the cohort and ran its alarm without a failure");
  } finally {
    await db.end();
    await b.stop();
  }
});

test("forwarding with two processes: each queued request is delivered once, in order, never by both at once", T, async () => {
  // A slow CleverTap: two deliverers at once would overlap here.
  const seen = [];
  let inFlight = 0;
  let overlapped = 0;
  const clevertap = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (++inFlight > 1) overlapped++;
      seen.push({ key: req.headers["idempotency-key"], body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"success","processed":1,"unprocessed":[]}');
      }, 30);
    });
  });
  await new Promise((resolve) => clevertap.listen(0, "127.0.0.1", resolve));
  const forward = { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: `http://127.0.0.1:${clevertap.address().port}/1/upload` };
  const url = await databaseUrl("pg:instances_forward");
  const [a, b] = await Promise.all([servePostgres(url, forward), servePostgres(url, forward)]);
  try {
    const everyone = ids(600, "f");
    const pages = planSync(null, everyone, { projectId: "1", cohortId: "fwd", cohortName: "Fwd", sessionId: "s1", batchSize: 50 });
    await Promise.all(pages.map((body, i) => post(i % 2 ? b.origin : a.origin, body).then((r) => assert.equal(r.status, 200))));
    const start = Date.now();
    while ((await get(a.origin, "/cohorts/fwd")).outbox.pending > 0 || inFlight > 0) {
      assert.ok(Date.now() - start < 60_000, "the outbox never drained");
      await new Promise((r) => setTimeout(r, 100));
    }
    const keys = seen.map((s) => s.key);
    assert.equal(new Set(keys).size, keys.length, `a request delivered twice: ${keys.join(" ")}`);
    assert.equal(overlapped, 0, "two deliveries of one outbox at once");
    const sequence = keys.map((k) => Number(/:(\d+)$/.exec(k)[1]));
    assert.deepEqual(sequence, [...sequence].sort((x, y) => x - y), "in queue order");
    const joined = seen.flatMap((s) => s.body.d.filter((r) => r.type === "event" && r.evtData.Action === "Added").map((r) => r.identity));
    assert.deepEqual(sorted(joined), everyone);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    clevertap.close();
  }
});
