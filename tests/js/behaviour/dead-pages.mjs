// Dead pages, on the Node receiver on SQLite and on PostgreSQL: a logged page the store
// fails to apply for good (a trigger in the receiver's own store refuses one member's
// row, from outside: no hooks in the code under test) is tried a few times with a
// growing wait, then set aside as a dead page: listed with why, the pages after it
// applied, no full sync's end removing anyone while it is held, and redriven or dropped
// by an operator. Run by tests/js/receiver/dead-pages-*.test.mjs.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { planSync } from "cohort-sync";
import { databaseUrl } from "../receiver/node-harness.mjs";
import { AUTH, eventually } from "../worker/worker-harness.mjs";

const require = createRequire(import.meta.url);
const T = { timeout: 120_000 };
const ATTEMPTS = 3;
const options = (sessionId, extra = {}) => ({ projectId: "1", cohortId: "dp", cohortName: "Dead pages", sessionId, ...extra });

/**
 * Registers the suite on the Node receiver on `store` ("sqlite" or "postgres"):
 * `start(options)` starts a receiver (`vars` added to the test settings).
 */
export function deadPagesBehaviour({ store, start }) {
  let w;
  before(async () => {
    w = await start({ vars: { DEAD_PAGE_ATTEMPTS: String(ATTEMPTS), PAGE_RETRY_BASE_MS: "50", APPLY_DELAY_MS: "0" } });
  });
  after(() => w?.stop());

  /** Makes the store refuse the member row `poison` of cohort `dp`; resolves to a function that lifts it. */
  async function poisonMember() {
    if (store === "postgres") {
      const { Client } = require("pg");
      const client = new Client({ connectionString: await databaseUrl(w.persist) });
      await client.connect();
      const n = (await client.query("SELECT n FROM cohort_spaces WHERE cohort_id = 'dp'")).rows[0].n;
      await client.query(`CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 'poison' THEN RAISE EXCEPTION 'injected: this row can never be stored'; END IF; RETURN NEW; END $$`);
      await client.query(`CREATE TRIGGER poison BEFORE INSERT ON c${n}_members FOR EACH ROW EXECUTE FUNCTION poison()`);
      return async () => {
        await client.query(`DROP TRIGGER poison ON c${n}_members`);
        await client.end();
      };
    }
    const db = new (require("better-sqlite3"))(join(w.persist, "cohorts.db"));
    const n = db.prepare("SELECT n FROM cohort_spaces WHERE cohort_id = 'dp'").get().n;
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON c${n}_members WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ABORT, 'injected: this row can never be stored'); END`);
    return () => {
      db.exec("DROP TRIGGER poison");
      db.close();
    };
  }

  const members = async () => {
    const r = await w.get("/cohorts/dp/members?limit=1000");
    assert.equal(r.status, 200, r.text);
    return r.json.members;
  };
  const post = async (body) => assert.equal((await w.post(body)).status, 200);

  test(`a page that can never apply is dead after ${ATTEMPTS} tries; the pages after it go on, and it holds back sweeps until an operator redrives it`, T, async () => {
    for (const body of planSync(null, ["a", "b", "c"], options("full-1"))) await post(body);
    assert.deepEqual(await members(), ["a", "b", "c"]);
    const lift = await poisonMember();
    let lifted = false;
    try {
      await post(planSync(["a", "b", "c"], ["a", "b", "c", "poison", "x"], options("diff-1"))[0]);
      await post(planSync(["a", "b", "c"], ["a", "b", "c", "y"], options("diff-2"))[0]);
      // Set aside by the alarm alone; reads answer 503 until then (a read shows every page answered 200).
      const dead = await eventually(async () => {
        const r = await w.get("/cohorts/dp/dead-pages");
        return r.status === 200 && r.json.deadPages.length === 1 && r.json.deadPages;
      }, 20_000, "the page set aside as dead");
      assert.deepEqual(
        { ...dead[0], acceptedAt: typeof dead[0].acceptedAt, diedAt: typeof dead[0].diedAt, reason: /injected: this row can never be stored/.test(dead[0].reason) },
        { id: dead[0].id, acceptedAt: "string", diedAt: "string", attempts: ATTEMPTS, reason: true, action: "add_members", sessionId: "diff-1", page: { count: 1, total: 1 }, members: 2 },
      );
      assert.deepEqual(await members(), ["a", "b", "c", "y"], "the dead page changed nothing; the one after it applied");
      assert.equal((await w.get("/cohorts/dp")).json.deadPages, 1);
      assert.equal((await w.get("/cohorts")).json.cohorts.find((c) => c.cohortId === "dp").deadPages, 1);
      // No spinning: one event per try, the last one the death.
      const failures = w.events.filter((e) => e.event === "page_failed" && e.cohort === "dp");
      assert.equal(failures.length, ATTEMPTS - 1, JSON.stringify(failures));
      assert.equal(w.events.filter((e) => e.event === "dead_page" && e.cohort === "dp").length, 1);

      // A full sync that lists only "a" ends, but removes no one while a page is dead.
      for (const body of planSync(null, ["a"], options("full-2"))) await post(body);
      assert.deepEqual(await members(), ["a", "b", "c", "y"]);
      const full2 = (await w.get("/cohorts/dp/syncs")).json.syncs.find((s) => s.sessionId === "full-2");
      assert.equal(full2.removed, 0);

      await lift();
      lifted = true;
      const redriven = await fetch(`${w.origin}/cohorts/dp/dead-pages/redrive?ids=${dead[0].id}`, { method: "POST", headers: { authorization: AUTH } });
      assert.deepEqual(await redriven.json(), { redriven: 1 });
      assert.deepEqual(await members(), ["a", "b", "c", "poison", "x", "y"], "applied as a late page: its members join");
      assert.deepEqual((await w.get("/cohorts/dp/dead-pages")).json.deadPages, []);

      // None held: the next full sync sweeps again.
      for (const body of planSync(null, ["a", "y"], options("full-3"))) await post(body);
      assert.deepEqual(await members(), ["a", "y"]);
    } finally {
      if (!lifted) await lift();
    }
  });

  test("dead pages of a cohort never synced here: 404, and nothing is stored", T, async () => {
    assert.equal((await w.get("/cohorts/never/dead-pages")).status, 404);
    assert.equal((await w.get("/cohorts/dp/dead-pages?limit=0")).status, 400);
    assert.equal((await w.get("/cohorts/dp/dead-pages?limit=1&limit=2")).status, 400);
  });

  /** Runs `sql` against the receiver's store from outside (another connection). */
  async function outside(sql) {
    if (store === "postgres") {
      const { Client } = require("pg");
      const client = new Client({ connectionString: await databaseUrl(w.persist) });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    }
    const db = new (require("better-sqlite3"))(join(w.persist, "cohorts.db"));
    try {
      return /^\s*SELECT/i.test(sql) ? db.prepare(sql).all() : db.exec(sql);
    } finally {
      db.close();
    }
  }

  test("one broken cohort never makes GET /cohorts fail for the others: it is listed with an error", T, async () => {
    const other = (sessionId) => ({ projectId: "1", cohortId: "healthy", cohortName: "Healthy", sessionId });
    for (const body of planSync(null, ["h1", "h2"], other("h-1"))) await post(body);
    const [{ n }] = await outside("SELECT n FROM cohort_spaces WHERE cohort_id = 'dp'");
    await outside(`ALTER TABLE c${n}_meta RENAME COLUMN value TO broken`);
    try {
      const r = await w.get("/cohorts");
      assert.equal(r.status, 200, r.text);
      const byId = Object.fromEntries(r.json.cohorts.map((c) => [c.cohortId, c]));
      assert.equal(byId.healthy.size, 2);
      assert.match(byId.dp.error, /could not be read/);
      assert.equal(byId.dp.cohortName, "Dead pages");
      assert.equal((await w.get("/cohorts/dp")).status, 503, "its own read says it failed (and is retried)");
    } finally {
      await outside(`ALTER TABLE c${n}_meta RENAME COLUMN broken TO value`);
    }
    assert.equal((await w.get("/cohorts")).json.cohorts.find((c) => c.cohortId === "dp").size, 2);
  });
}
