// createReceiver itself, beyond the Worker's suites: a Web-standard fetch with no server,
// the Express-style middleware, one SQLite file with each cohort in its own tables,
// a Database passed in (left open), and better-sqlite3 loaded only when used.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { planSync } from "cohort-sync";
import { createReceiver, toNodeListener } from "cohort-sync/receiver";

const tmp = mkdtempSync(join(tmpdir(), "cohort-sync-receiver-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const AUTH = `Basic ${Buffer.from("u:p").toString("base64")}`;
const pages = (cohortId, ids, sessionId = "s1") => planSync(null, ids, { projectId: "1", cohortId, cohortName: cohortId, sessionId, batchSize: 10 });
const post = (receiver, body, auth = AUTH) =>
  receiver.fetch(new Request("http://receiver.test/webhook", { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body }));
const get = (receiver, path) => receiver.fetch(new Request(`http://receiver.test${path}`, { headers: { authorization: AUTH } }));

test("better-sqlite3 is loaded by createReceiver, not by the import", async () => {
  const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes("better-sqlite3"));
  assert.equal(loaded(), false);
  const receiver = createReceiver({ db: join(tmp, "lazy.db"), username: "u", password: "p" });
  assert.equal(loaded(), true);
  await receiver.close();
});

test("fetch answers Web-standard Requests; each cohort has tables of its own in the one file", async () => {
  const file = join(tmp, "one.db");
  const receiver = createReceiver({ db: file, username: "u", password: "p", acceptCohorts: ["a", "b"] });
  for (const body of pages("a", ["1", "2", "3"])) assert.equal((await post(receiver, body)).status, 200);
  for (const body of pages("b", ["4"])) assert.equal((await post(receiver, body)).status, 200);
  for (const body of pages("c", ["5"])) assert.equal((await post(receiver, body)).status, 404, "acceptCohorts");
  assert.equal((await post(receiver, [...pages("a", ["1"])][0], "Basic bm86bm8=")).status, 401);
  assert.deepEqual((await (await get(receiver, "/cohorts/a/members")).json()).members, ["1", "2", "3"]);
  assert.deepEqual((await (await get(receiver, "/cohorts")).json()).cohorts.map((c) => [c.cohortId, c.size]), [["a", 3], ["b", 1]]);
  await receiver.close();

  const Database = createRequire(import.meta.url)("better-sqlite3");
  const db = new Database(file);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%members' ORDER BY name").pluck().all();
  assert.deepEqual(tables, ["c1_members", "c2_members"]);
  // A Database passed in is used as it is and left open by close().
  const again = createReceiver({ db, username: "u", password: "p" });
  assert.equal((await (await get(again, "/cohorts/b")).json()).size, 1);
  await again.close();
  assert.equal(db.open, true);
  db.close();
});

test("onEvent gets every page, apply and delivery event as an object; logEvents: false prints no lines", async (t) => {
  const lines = [];
  t.mock.method(console, "log", (line) => lines.push(line));
  const events = [];
  const receiver = createReceiver({ db: join(tmp, "events.db"), username: "u", password: "p", onEvent: (e) => events.push(e), logEvents: false });
  for (const body of pages("ev", ["1", "2"])) assert.equal((await post(receiver, body)).status, 200);
  assert.equal((await (await get(receiver, "/cohorts/ev")).json()).size, 2);
  await receiver.close();
  assert.deepEqual(events.map((e) => e.event), ["page", "applied"]);
  assert.equal(events[0].status, 200);
  assert.equal(events[0].cohort, "ev");
  assert.equal(events[1].added, 2);
  assert.deepEqual(lines, [], "no event lines");
});

test("a pg Pool passed as postgres is used as it is: pg is loaded only for the PostgreSQL store", async () => {
  const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => /[\\/]node_modules[\\/]pg[\\/]/.test(path));
  const receiver = createReceiver({ db: join(tmp, "nopg.db"), username: "u", password: "p" });
  await receiver.ready();
  assert.equal(loaded(), false, "the SQLite store does not load pg");
  await receiver.close();
  // A connection that cannot be made shows in ready(), not as a crash.
  const unreachable = createReceiver({ postgres: "postgres://nobody@127.0.0.1:1/none", username: "u", password: "p" });
  await assert.rejects(unreachable.ready(), /ECONNREFUSED/);
  await unreachable.close();
  assert.equal(loaded(), true);
});

test("fails closed without credentials; allowUnauthenticated opens it only when true", async () => {
  const closed = createReceiver({ db: join(tmp, "closed.db") });
  const r = await post(closed, [...pages("a", ["1"])][0], null);
  assert.equal(r.status, 401);
  assert.match((await r.json()).error.message, /no credentials configured/);
  await closed.close();
  const open = createReceiver({ db: join(tmp, "open.db"), allowUnauthenticated: true });
  assert.equal((await post(open, [...pages("a", ["1"])][0], null)).status, 200);
  await open.close();
});

test("as Express-style middleware: its routes answered, other paths passed on to next()", async () => {
  const receiver = createReceiver({ db: join(tmp, "mw.db"), username: "u", password: "p", maxBodyBytes: 2000 });
  const handler = toNodeListener(receiver);
  const server = createServer((req, res) => handler(req, res, () => res.writeHead(200, { "content-type": "text/plain" }).end("the app's own route")));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    assert.equal(await (await fetch(`${origin}/health`)).text(), "the app's own route");
    const [body] = pages("m", ["x"]);
    assert.equal((await fetch(`${origin}/webhook`, { method: "POST", headers: { authorization: AUTH }, body })).status, 200);
    const big = await fetch(`${origin}/webhook`, { method: "POST", headers: { authorization: AUTH }, body: "x".repeat(5000) });
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${origin}/cohorts/m`, { headers: { authorization: AUTH } })).status, 200);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await receiver.close();
  }
});

test("members.ndjson to a slow reader over node:http: every line, and no listener left behind per wait", async () => {
  const receiver = createReceiver({ db: join(tmp, "stream.db"), username: "u", password: "p" });
  const ids = Array.from({ length: 30_000 }, (_, i) => `member-${String(i).padStart(8, "0")}-${"x".repeat(40)}`);
  for (const body of planSync(null, ids, { projectId: "1", cohortId: "big", cohortName: "big", sessionId: "s1", batchSize: 1000 })) {
    assert.equal((await post(receiver, body)).status, 200);
  }
  const server = createServer(toNodeListener(receiver));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const warnings = [];
  const warned = (warning) => warnings.push(warning.name);
  process.on("warning", warned);
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/cohorts/big/members.ndjson`, { headers: { authorization: AUTH } });
    let lines = 0;
    // Slowly, so the server waits for the socket to drain again and again.
    for await (const chunk of res.body) {
      for (const byte of chunk) if (byte === 10) lines++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.equal(lines, ids.length);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((name) => name === "MaxListenersExceededWarning"), []);
  } finally {
    process.off("warning", warned);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await receiver.close();
  }
});
