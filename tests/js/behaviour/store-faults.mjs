// Faults in the Node receiver's store, on SQLite and on PostgreSQL, met for real, from
// outside: no hooks in the code under test (tests/js/worker/faults.test.mjs has the
// Worker's, through its test-only fault hooks).
// - Storage unavailable: SQLite's file held by another writer past the busy timeout;
//   PostgreSQL's database closed to connections and its sessions ended.
// - A write failing mid-apply: a trigger on the cohort's page log that raises, so the
//   transaction rolls back.
// - The answer lost after the write: the client sends the whole page and goes away
//   before the answer; the page commits with nobody to answer.
// Each time: Mixpanel gets a retryable answer (or none), nothing is half-applied, and
// the retry applies and forwards once. Run by tests/js/receiver/faults-*.test.mjs.
import assert from "node:assert/strict";
import { request } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { planSync } from "cohort-sync";
import { cleverTapFixture } from "../lib/clevertap-fixture.mjs";
import { databaseUrl, postgresCluster } from "../receiver/node-harness.mjs";
import { AUTH, eventually } from "../worker/worker-harness.mjs";

const require = createRequire(import.meta.url);
const T = { timeout: 120_000 };
const options = (cohortId, sessionId, extra = {}) => ({ projectId: "1", cohortId, cohortName: "Faults", sessionId, ...extra });

/** Faults in the receiver's SQLite file, through a second connection to it. */
function sqliteFaults(persist) {
  const db = new (require("better-sqlite3"))(join(persist, "cohorts.db"));
  const pageLog = (cohortId) => `c${db.prepare("SELECT n FROM cohort_spaces WHERE cohort_id = ?").get(cohortId).n}_page_log`;
  return {
    /** Another writer holds the file; the receiver waits out its busy timeout. */
    unavailable() {
      db.exec("BEGIN EXCLUSIVE");
      return () => db.exec("COMMIT");
    },
    failWrites(cohortId) {
      db.exec(`CREATE TRIGGER fault BEFORE INSERT ON ${pageLog(cohortId)} BEGIN SELECT RAISE(ABORT, 'injected: storage failed mid-apply'); END`);
      return () => db.exec("DROP TRIGGER fault");
    },
    close: () => db.close(),
  };
}

/** Faults in the receiver's PostgreSQL database, from a superuser's session. */
async function postgresFaults(persist) {
  const url = await databaseUrl(persist);
  const name = new URL(url).pathname.slice(1);
  const { Client } = require("pg");
  const session = async (to) => {
    const client = new Client({ connectionString: to });
    await client.connect();
    return client;
  };
  const admin = await session((await postgresCluster()).url);
  const inDatabase = async (fn) => {
    const client = await session(url);
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const pageLog = (client, cohortId) =>
    client.query("SELECT n FROM cohort_spaces WHERE cohort_id = $1", [cohortId]).then(({ rows }) => `c${rows[0].n}_page_log`);
  const trigger = (cohortId, body) =>
    inDatabase(async (client) => {
      const table = await pageLog(client, cohortId);
      await client.query(`CREATE OR REPLACE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body}; RETURN NEW; END $$`);
      await client.query(`CREATE TRIGGER fault BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION fault()`);
      return () => inDatabase((c) => c.query(`DROP TRIGGER fault ON ${table}`));
    });
  return {
    async unavailable() {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [name]);
      return () => admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    },
    failWrites: (cohortId) => trigger(cohortId, "RAISE EXCEPTION 'injected: storage failed mid-apply'"),
    close: () => admin.end(),
  };
}

/** Sends a whole webhook request and closes the connection before any answer. */
function sendAndVanish(origin, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/webhook`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/json", "content-length": Buffer.byteLength(body) } });
    req.on("error", () => {}); // the socket is ours to break
    req.on("response", () => reject(new Error("answered before the client went away")));
    req.end(body, () => {
      req.destroy();
      resolve();
    });
  });
}

/**
 * Registers the suite on the Node receiver on `store` ("sqlite" or "postgres"):
 * `start(options)` starts a receiver (`vars` added to the test settings).
 */
export function storeFaultsBehaviour({ store, start }) {
  const fixture = cleverTapFixture(start);
  const { syncs, drained } = fixture;
  let faults;
  before(async () => {
    await fixture.started;
    faults = store === "postgres" ? await postgresFaults(fixture.w.persist) : sqliteFaults(fixture.w.persist);
  });
  after(() => faults?.close());

  test("PostgreSQL down when the receiver starts: ready() rejects, pages get 503, and it recovers without a restart", { ...T, skip: store !== "postgres" }, async () => {
    const url = await databaseUrl(`pg:late_start_${process.pid}`);
    const name = new URL(url).pathname.slice(1);
    const { Client } = require("pg");
    const admin = new Client({ connectionString: (await postgresCluster()).url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const { createReceiver } = await import("cohort-sync/receiver");
    const receiver = createReceiver({ postgres: url, username: "mixpanel", password: "s3cret", logEvents: false });
    const auth = `Basic ${Buffer.from("mixpanel:s3cret").toString("base64")}`;
    const post = (body) => receiver.fetch(new Request("http://receiver.test/webhook", { method: "POST", headers: { authorization: auth }, body }));
    try {
      await assert.rejects(receiver.ready(), /not currently accepting connections/);
      const [page] = planSync(null, ["p", "q"], options("late", "s1"));
      assert.equal((await post(page)).status, 503, "Mixpanel retries");
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      assert.equal((await post(page)).status, 200);
      const members = await receiver.fetch(new Request("http://receiver.test/cohorts/late/members", { headers: { authorization: auth } }));
      assert.deepEqual((await members.json()).members, ["p", "q"]);
    } finally {
      await receiver.close();
      await admin.end();
    }
  });

  describe(`faults in the Node receiver's ${store} store`, T, () => {
    for (const fault of ["unavailable", "failWrites"]) {
      test(`${fault}: 503 (Mixpanel retries), nothing half-applied; the retry applies once`, T, async () => {
        const cohortId = `f-${fault}`;
        const pages = planSync(null, ["a", "b", "c", "d"], options(cohortId, "s1", { batchSize: 2 }));
        assert.equal((await fixture.w.post(pages[0])).status, 200);
        const heal = await faults[fault](cohortId);
        let failed;
        try {
          failed = await fixture.w.post(pages[1]);
        } finally {
          await heal();
        }
        assert.equal(failed.status, 503, failed.text);
        assert.equal(failed.json.status, "failure");
        assert.equal(failed.json.action, "members", "the action is echoed on a 5xx too");
        const info = (await fixture.w.get(`/cohorts/${cohortId}`)).json;
        assert.equal(info.size, 2, "the failed page left no member behind");
        assert.equal(info.pendingSession.sessionId, "s1", "and did not complete the session");
        assert.equal((await fixture.w.post(pages[1])).status, 200);
        assert.equal((await fixture.w.get(`/cohorts/${cohortId}`)).json.size, 4);
        await drained(cohortId);
        assert.deepEqual(syncs().filter((s) => ["a", "b", "c", "d"].some((id) => s.startsWith(`${id}:`))).sort(), ["a:Added", "b:Added", "c:Added", "d:Added"]);
        fixture.recorder.received.length = 0;
      });
    }

    test("the answer lost after the write (the client gone before the answer): the retry is a duplicate, forwarded once", T, async () => {
      const cohortId = "f-after";
      const [first, body] = planSync(null, ["w", "x", "y"], options(cohortId, "s1", { batchSize: 2 }));
      assert.equal((await fixture.w.post(first)).status, 200);
      await sendAndVanish(fixture.w.origin, body);
      // The page commits with nobody to answer.
      await eventually(async () => (await fixture.w.get(`/cohorts/${cohortId}`)).json.size === 3, 10_000, "the page applied");
      assert.equal((await fixture.w.post(body)).status, 200);
      const s1 = (await fixture.w.get(`/cohorts/${cohortId}/syncs`)).json.syncs.find((s) => s.sessionId === "s1");
      assert.equal(s1.replays, 1, "the retry was a replay");
      assert.equal(s1.added, 3);
      await drained(cohortId);
      assert.deepEqual(syncs().sort(), ["w:Added", "x:Added", "y:Added"]);
      fixture.recorder.received.length = 0;
    });
  });
}
