// The loader end to end, against the Mixpanel stand-in on 127.0.0.1: rows from files
// and databases become events, user and group profiles; what the stand-in holds at the
// end is compared with the source exactly; later runs send only what changed; every row
// read is accounted for; 429s, a partial 400, a 401 and a kill mid-run.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startMixpanelStandin } from "../lib/mixpanel-standin.mjs";
import { seeded } from "../lib/random.mjs";

const require = createRequire(import.meta.url);
const loaderDir = new URL("../../../node_modules/cohort-sync/loader/", import.meta.url);
const { load } = await import("cohort-sync/loader");
const T = { timeout: 120_000 };
const CREDENTIALS = { projectId: "4242", token: "tok-1", serviceAccount: { user: "sa.loader", secret: "s3cret" } };
const FAST = { baseMs: 20, maxMs: 80, jitterMs: [5, 10], attempts: 5 };
const dir = mkdtempSync(join(tmpdir(), "cohort-sync-loader-"));
let mp;
before(async () => {
  mp = await startMixpanelStandin({ projectId: CREDENTIALS.projectId, token: CREDENTIALS.token, serviceAccount: CREDENTIALS.serviceAccount });
});
after(() => mp?.close());

const ndjson = (name, rows) => {
  const file = join(dir, name);
  writeFileSync(file, rows.map((row) => (typeof row === "string" ? row : JSON.stringify(row))).join("\n"));
  return file;
};
const run = (options) => load({ api: mp.url, credentials: CREDENTIALS, retry: FAST, concurrency: 4, ...options });
const adds = (s) => s.sent + s.unchanged + s.rejected + s.refused + s.pending;
const NOW = Math.floor(Date.now() / 1000) - 3600;

const EVENTS = { object: "events", key: "id", event: "name", distinctId: "user", time: "at" };

/** `file` loaded as events with 0, 1 and 3 worker threads: each run's summary, results file and the events sent. */
async function loadWithThreads(file, name) {
  const outcomes = [];
  for (const threads of [0, 1, 3]) {
    mp.reset();
    const results = join(dir, `${name}-${threads}.ndjson`);
    const { ms, ...summary } = await run({ source: { file }, mapping: EVENTS, state: join(dir, `${name}-${threads}.db`), results, threads });
    // Which request is answered first is the network's doing, not the threads'.
    delete summary.first.sent;
    const events = mp.events().map((e) => JSON.stringify(e)).sort();
    outcomes.push({ threads, summary, results: readFileSync(results, "utf8"), events });
  }
  return outcomes;
}

/** Every thread count sent the same events and wrote the same counts and results file as none. */
function assertSameOutcomes(outcomes) {
  for (const other of outcomes.slice(1)) {
    assert.deepEqual(other.summary, outcomes[0].summary, `threads: ${other.threads}`);
    assert.equal(other.results, outcomes[0].results, `threads: ${other.threads}`);
    assert.deepEqual(other.events, outcomes[0].events, `threads: ${other.threads}`);
  }
}

/**
 * The block memo over four runs and a changed mapping, with the state in `state` (a
 * SQLite file or `{ postgres }`): a re-run reads only the blocks that changed; a row
 * pending from the last run is read and sent; another mapping reads every block.
 */
async function blockMemoScenario(state, format = "ndjson") {
  mp.reset();
  const users = Array.from({ length: 4000 }, (_, i) => ({ id: `m-${String(i).padStart(5, "0")}`, plan: "pro", seats: 100 + (i % 800) }));
  const path = join(dir, `memo.${format}`);
  const lines = () => users.map((u) => JSON.stringify(u));
  const write = () => writeFileSync(path, format === "json" ? `[\n  ${lines().join(",\n  ")}\n]\n` : `${lines().join("\n")}\n`);
  write();
  const mapping = { object: "users", distinctId: "id" };
  const go = (more = {}) => run({ source: { file: path }, mapping, state, threads: 1, ...more });
  const first = await go();
  assert.deepEqual([first.sent, first.unread], [4000, 0]);
  // A row changed (its block read), its send refused: it is pending.
  users[3500].seats += 1;
  write();
  mp.failNext(50, { status: 503, path: "/engage" });
  const second = await go();
  assert.deepEqual([second.sent, second.pending, second.unchanged], [0, 1, 3999], JSON.stringify(second));
  assert.ok(second.unread > 0, "the blocks before the change are not read");
  mp.reset();
  // The same bytes again: the pending row's block is known, but the plan says retry, so it is read and sent.
  const third = await go();
  assert.deepEqual([third.sent, third.unchanged], [1, 3999], JSON.stringify(third));
  assert.deepEqual(mp.profiles().get("m-03500"), { plan: "pro", seats: users[3500].seats });
  const fourth = await go();
  assert.deepEqual([fourth.sent, fourth.unchanged, fourth.read], [0, 4000, 4000]);
  assert.ok(fourth.unread > 2000 && fourth.unread < 4000, `only the first block (64 KB) is read, for the first rows shown: ${fourth.unread}`);
  assert.equal(adds(fourth), fourth.read);
  // Another mapping makes other records: every block is read again.
  const renamed = await go({ mapping: { ...mapping, properties: { rename: { seats: "licences" } } } });
  assert.deepEqual([renamed.sent, renamed.unread], [4000, 0]);
}

describe("events", () => {
  test("an NDJSON file: every event arrives once, exactly; a second run sends nothing; every row accounted for", T, async () => {
    mp.reset();
    const rows = Array.from({ length: 4500 }, (_, i) => ({ id: `e-${i}`, name: i % 2 ? "Viewed" : "Bought", user: `u-${i % 97}`, at: NOW + i, price: i / 4 }));
    const file = ndjson("events.ndjson", rows);
    const state = join(dir, "events.db");
    const first = await run({ source: { file }, mapping: EVENTS, state });
    assert.deepEqual({ read: first.read, sent: first.sent, added: adds(first) }, { read: 4500, sent: 4500, added: 4500 });
    const stored = mp.events();
    assert.equal(stored.length, 4500);
    const byId = new Map(stored.map((e) => [e.properties.id, e]));
    for (const row of rows) {
      const e = byId.get(row.id);
      assert.equal(e.event, row.name);
      assert.equal(e.properties.distinct_id, row.user);
      assert.equal(e.properties.price, row.price);
      assert.match(e.properties.$insert_id, /^[0-9a-f-]{36}$/);
    }
    assert.ok(mp.requests.every((r) => r.count <= 2000 && r.gzip), "at most 2000 a request, gzipped");
    const requests = mp.requests.length;
    const again = await run({ source: { file }, mapping: EVENTS, state });
    assert.deepEqual({ read: again.read, sent: again.sent, unchanged: again.unchanged }, { read: 4500, sent: 0, unchanged: 4500 });
    assert.equal(mp.requests.length, requests, "nothing sent");
    // The same $insert_id on every run: an event is never duplicated.
    rows.push({ id: "e-new", name: "Bought", user: "u-1", at: NOW, price: 1 });
    const third = await run({ source: { file: ndjson("events.ndjson", rows) }, mapping: EVENTS, state });
    assert.deepEqual({ sent: third.sent, unchanged: third.unchanged }, { sent: 1, unchanged: 4500 });
    assert.equal(mp.events().length, 4501);
  });

  test("hostile rows each get a clear answer, the rest load; the results file and the counts add up", T, async () => {
    mp.reset();
    const lines = [
      JSON.stringify({ id: "ok-1", name: "E", user: "u", at: NOW }),
      "{not json",
      JSON.stringify({ id: "no-time", name: "E", user: "u", at: "someday" }),
      JSON.stringify({ id: "anon", name: "E", user: "anon", at: NOW }),
      JSON.stringify({ id: "deep", name: "E", user: "u", at: NOW, p: JSON.parse("[".repeat(50) + "]".repeat(50)) }),
      `{"id":"big","name":"E","user":"u","at":${NOW},"n":1234567890123456789}`,
      `{"id":"proto","name":"E","user":"u","at":${NOW},"__proto__":{"polluted":1}}`,
      JSON.stringify({ id: "huge", name: "E", user: "u", at: NOW, s: "x".repeat(2_000_000) }),
      JSON.stringify({ id: "ok-1", name: "E", user: "u", at: NOW }),
    ];
    const results = join(dir, "results.ndjson");
    const summary = await run({ source: { file: ndjson("hostile.ndjson", lines) }, mapping: EVENTS, state: join(dir, "hostile.db"), results });
    assert.equal(summary.read, 9);
    assert.equal(adds(summary), 9);
    assert.equal({}.polluted, undefined);
    const notSent = readFileSync(results, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(notSent.map((r) => [r.n, r.outcome, r.code]), [
      [2, "rejected", "invalid_json"],
      [3, "rejected", "bad_time"],
      [4, "rejected", "placeholder_distinct_id"],
      [8, "rejected", "event_too_large"],
      [9, "rejected", "duplicate_key"],
    ]);
    assert.equal(summary.sent, 4);
    const big = mp.events().find((e) => e.properties.id === "big");
    assert.equal(big.properties.n, "1234567890123456789", "a 19-digit number keeps every digit (as text)");
  });

  test("worker threads or none: the same rows sent, the same outcomes in the same order, the same results file", T, async () => {
    // Random NDJSON with hostile lines among good ones, in blocks the threads read apart.
    const random = seeded(11).next;
    const parts = [];
    for (let i = 0; i < 6000; i++) {
      const r = random();
      const id = `t-${Math.floor(random() * 5800)}`;
      if (r < 0.01) parts.push("{not json");
      else if (r < 0.02) parts.push("   ");
      else if (r < 0.03) parts.push(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
      else if (r < 0.04) parts.push(`{"id":"${id}","name":"E","user":"u","at":${NOW},"n":1234567890123456789}\r`);
      else if (r < 0.05) parts.push(JSON.stringify({ id, name: "E", user: "anon", at: NOW }));
      else if (r < 0.06) parts.push(JSON.stringify({ id, name: "E", user: "u", at: NOW, pad: "ü".repeat(Math.floor(random() * 40_000)) }));
      else parts.push(JSON.stringify({ id, name: `E${i % 7}`, user: `u-${i % 90}`, at: NOW - i, k: random() }));
    }
    const file = join(dir, "threads.ndjson");
    writeFileSync(file, Buffer.concat(parts.flatMap((part) => [Buffer.from(part), Buffer.from("\n")])));
    const outcomes = await loadWithThreads(file, "threads");
    assert.ok(outcomes[0].summary.sent > 3000 && outcomes[0].summary.rejected > 1000, JSON.stringify(outcomes[0].summary));
    assertSameOutcomes(outcomes);
  });

  test("a JSON array on worker threads or none: the same rows sent, the same outcomes, the same results file; broken JSON ends the rows there", T, async () => {
    // Elements of every kind a row can be, some over several lines, some past a block's
    // size, one past the row limit; then, two thirds in, broken JSON: the blocks the
    // threads read past it are dropped, and no row after it is counted.
    const random = seeded(31).next;
    const elements = [];
    for (let i = 0; i < 6000; i++) {
      const r = random();
      const id = `a-${Math.floor(random() * 5800)}`;
      if (i === 4000) elements.push(Buffer.from(`{"id":"${id}","name":"E","user":"u","at":${NOW},"flag":tru}`));
      else if (i === 2500) elements.push(Buffer.from(`{"id":"${id}","pad":"${"x".repeat(10.5 * 2 ** 20)}"}`));
      else if (r < 0.01) elements.push(Buffer.from(String(Math.floor(random() * 100))));
      else if (r < 0.02) elements.push(Buffer.from(`{"id":"${id}","deep":${"[".repeat(70)}${"]".repeat(70)}}`));
      else if (r < 0.03) elements.push(Buffer.concat([Buffer.from(`{"id":"${id}","name":"`), Buffer.from([0xff]), Buffer.from(`","user":"u","at":${NOW}}`)]));
      else if (r < 0.04) elements.push(Buffer.from(JSON.stringify({ id, name: "E", user: "u", at: NOW, nested: { a: [1, { b: "}]," }] } }, null, 2)));
      else if (r < 0.05) elements.push(Buffer.from(`{"id":"${id}","name":"E","user":"u","at":${NOW},"n":1234567890123456789}`));
      else if (r < 0.06) elements.push(Buffer.from(JSON.stringify({ id, name: "E", user: "u", at: NOW, pad: "ü\"".repeat(Math.floor(random() * 40_000)) })));
      else elements.push(Buffer.from(JSON.stringify({ id, name: `E${i % 7}`, user: `u-${i % 90}`, at: NOW - i, k: random() })));
    }
    const file = join(dir, "threads.json");
    writeFileSync(file, Buffer.concat([Buffer.from("[\n"), ...elements.flatMap((element, i) => [element, Buffer.from(i + 1 < elements.length ? " ,\r\n" : "\n]\n")])]));
    const outcomes = await loadWithThreads(file, "threads-json");
    const { summary, results } = outcomes[0];
    assert.equal(summary.read, 4001, "the rows end at the broken element");
    assert.equal(adds(summary), summary.read);
    assert.ok(summary.sent > 2000 && summary.rejected > 200, JSON.stringify(summary));
    const last = JSON.parse(results.trim().split("\n").at(-1));
    assert.deepEqual([last.n, last.code], [4001, "invalid_json"]);
    for (const code of ["row_too_large", "nesting_too_deep", "invalid_utf8", "not_an_object", "duplicate_key"]) assert.match(results, new RegExp(`"${code}"`));
    assertSameOutcomes(outcomes);
  });

  test("CSV on worker threads or none: the same rows sent, the same outcomes in the same order, the same results file", T, async () => {
    // Records with quoted line breaks and delimiters, blank lines, ragged and non-UTF-8
    // records, in blocks the threads read apart; the last record's quote never closes.
    const random = seeded(23).next;
    const parts = [Buffer.from("id,name,user,at,note\n")];
    for (let i = 0; i < 6000; i++) {
      const r = random();
      const id = `c-${Math.floor(random() * 5800)}`;
      if (r < 0.01) parts.push(Buffer.from("\n"));
      else if (r < 0.02) parts.push(Buffer.from(`${id},E,u\n`));
      else if (r < 0.03) parts.push(Buffer.concat([Buffer.from(`${id},E,u,${NOW},`), Buffer.from([0xff, 0x0a])]));
      else if (r < 0.05) parts.push(Buffer.from(`${id},"E, quoted","u\nsplit",${NOW},"say ""hi""\r\nthere"\r\n`));
      else if (r < 0.06) parts.push(Buffer.from(`${id},E,u,${NOW},${"ü".repeat(Math.floor(random() * 40_000))}\n`));
      else parts.push(Buffer.from(`${id},E${i % 7},u-${i % 90},${NOW - i},${random()}\n`));
    }
    parts.push(Buffer.from(`c-last,E,u,${NOW},"never closed\n`));
    const file = join(dir, "threads.csv");
    writeFileSync(file, Buffer.concat(parts));
    const outcomes = await loadWithThreads(file, "threads-csv");
    assert.ok(outcomes[0].summary.sent > 3000 && outcomes[0].summary.rejected > 1000, JSON.stringify(outcomes[0].summary));
    assert.match(outcomes[0].results, /csv_quote/);
    assert.match(outcomes[0].results, /csv_fields/);
    assertSameOutcomes(outcomes);
  });

  test("a 429 storm: backoff honoured and every row arrives once; a partial 400 reports exactly the refused rows", T, async () => {
    mp.reset();
    mp.failNext(3, { status: 429 });
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: `s-${i}`, name: "E", user: `u-${i}`, at: NOW }));
    const storm = await run({ source: { file: ndjson("storm.ndjson", rows) }, mapping: EVENTS, state: join(dir, "storm.db"), concurrency: 1 });
    assert.equal(storm.sent, 300);
    assert.equal(mp.events().length, 300);
    assert.deepEqual(mp.requests.slice(0, 3).map((r) => r.status), [429, 429, 429]);

    // The stand-in's clock runs two hours behind: events 90 minutes old look "in the future" to it only.
    const behind = await startMixpanelStandin({ ...CREDENTIALS, now: () => Date.now() - 2 * 3600_000 });
    try {
      const mixed = [
        { id: "p-0", name: "E", user: "u", at: NOW - 7200 },
        { id: "p-1", name: "E", user: "u", at: NOW + 1800 },
        { id: "p-2", name: "E", user: "u", at: NOW - 7200 },
      ];
      const results = join(dir, "partial-results.ndjson");
      const summary = await load({ api: behind.url, credentials: CREDENTIALS, retry: FAST, source: { file: ndjson("partial.ndjson", mixed) }, mapping: EVENTS, state: join(dir, "partial.db"), results });
      assert.deepEqual({ sent: summary.sent, refused: summary.refused }, { sent: 2, refused: 1 }, JSON.stringify(summary));
      const refused = JSON.parse(readFileSync(results, "utf8").trim());
      assert.equal(refused.key, "p-1");
      assert.equal(refused.outcome, "refused");
      assert.deepEqual(behind.events().map((e) => e.properties.id), ["p-0", "p-2"]);
    } finally {
      await behind.close();
    }
  });

  test("a 401 stops the load with a clear error and marks nothing; the next run sends everything", T, async () => {
    mp.reset();
    const file = ndjson("auth.ndjson", Array.from({ length: 50 }, (_, i) => ({ id: `a-${i}`, name: "E", user: "u", at: NOW })));
    const state = join(dir, "auth.db");
    await assert.rejects(
      run({ source: { file }, mapping: EVENTS, state, credentials: { ...CREDENTIALS, serviceAccount: { user: "sa.loader", secret: "nope" } } }),
      (error) => error.code === "auth_refused" && error.summary.sent === 0 && adds(error.summary) === error.summary.read,
    );
    assert.equal(mp.events().length, 0);
    const summary = await run({ source: { file }, mapping: EVENTS, state });
    assert.equal(summary.sent, 50);
  });

  test("a dry run writes the request bodies and sends nothing", T, async () => {
    mp.reset();
    const out = join(dir, "dry");
    const summary = await run({ source: { file: ndjson("dry.ndjson", [{ id: "d-1", name: "E", user: "u", at: NOW }]) }, mapping: EVENTS, state: join(dir, "dry.db"), dryRun: out });
    assert.equal(summary.dryRun, true);
    assert.equal(mp.requests.length, 0);
    const [body] = readdirSync(out);
    assert.match(readFileSync(join(out, body), "utf8"), /"d-1"/);
  });
});

describe("profiles", () => {
  test("users from CSV: exactly the source; a re-run sends nothing; after changing 1% of the rows exactly those are sent", T, async () => {
    mp.reset();
    const users = Array.from({ length: 2000 }, (_, i) => ({ id: `u-${i}`, plan: i % 3 ? "free" : "pro", seats: String(i) }));
    const csv = (list) => `id,plan,seats\n${list.map((u) => `${u.id},${u.plan},${u.seats}`).join("\n")}\n`;
    const file = join(dir, "users.csv");
    writeFileSync(file, csv(users));
    const mapping = { object: "users", distinctId: "id" };
    const state = join(dir, "users.db");
    const first = await run({ source: { file }, mapping, state });
    assert.equal(first.sent, 2000);
    for (const u of users) assert.deepEqual(mp.profiles().get(u.id), { plan: u.plan, seats: u.seats });
    const before = mp.requests.length;
    assert.equal((await run({ source: { file }, mapping, state })).sent, 0);
    assert.equal(mp.requests.length, before);
    for (let i = 0; i < 20; i++) users[i * 100].plan = "enterprise";
    writeFileSync(file, csv(users));
    const third = await run({ source: { file }, mapping, state });
    assert.deepEqual({ sent: third.sent, unchanged: third.unchanged }, { sent: 20, unchanged: 1980 });
    assert.equal(mp.requests.slice(before).reduce((n, r) => n + r.count, 0), 20);
    assert.equal(mp.profiles().get("u-100").plan, "enterprise");
  });

  test("the block memo: a re-run reads only the blocks that changed; a row pending from the last run is read and sent; another mapping reads all", T, () =>
    blockMemoScenario(join(dir, "memo.db")));

  test("the block memo over a JSON array: the same, its elements cut into blocks as NDJSON's lines are", T, () =>
    blockMemoScenario(join(dir, "memo-json.db"), "json"));

  test("a JSON array's block holding an element refused while it was cut (too deep, so none of its bytes kept) is never planned from the memo", T, async () => {
    mp.reset();
    const users = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ id: `j-${String(i).padStart(5, "0")}`, plan: "pro", seats: i % 300 }));
    const path = join(dir, "deep.json");
    const state = join(dir, "deep.db");
    const go = () => run({ source: { file: path }, mapping: { object: "users", distinctId: "id" }, state, threads: 1 });
    writeFileSync(path, `[${users.join(",")}]`);
    assert.equal((await go()).sent, 4000);
    // The same elements with one between them that the scanner refuses: its block's
    // bytes are those of the block the memo knows, but not its rows.
    users.splice(2000, 0, `{"id":"j-deep","nest":${"[".repeat(80)}${"]".repeat(80)}}`);
    writeFileSync(path, `[${users.join(",")}]`);
    for (const again of [await go(), await go()]) {
      assert.deepEqual([again.read, again.unchanged, again.rejected, again.sent], [4001, 4000, 1, 0], JSON.stringify(again));
      assert.equal(again.first.rejected[0].code, "nesting_too_deep");
      assert.ok(again.unread > 0 && again.unread < 3800, `the memo planned the other blocks, and not this one: ${again.unread}`);
    }
  });

  test("a block memo entry damaged in storage is taken for none: its block is read, and every row is counted once", T, async () => {
    mp.reset();
    const users = Array.from({ length: 10_000 }, (_, i) => ({ id: `d-${String(i).padStart(5, "0")}`, plan: "pro", seats: i % 700 }));
    const path = ndjson("damaged.ndjson", users);
    const state = join(dir, "damaged.db");
    const go = () => run({ source: { file: path }, mapping: { object: "users", distinctId: "id" }, state, threads: 1 });
    assert.equal((await go()).sent, 10_000);
    const clean = await go();
    assert.ok(clean.unread > 5000, JSON.stringify(clean));
    // Every entry damaged: a byte flipped in half, the last pair cut off the others.
    const Database = require("better-sqlite3");
    const db = new Database(state);
    const rows = db.prepare("SELECT name, key, hashes FROM load_blocks").all();
    assert.ok(rows.length > 5);
    const update = db.prepare("UPDATE load_blocks SET hashes = ? WHERE name = ? AND key = ?");
    rows.forEach(({ name, key, hashes }, i) => {
      const damaged = i % 2 === 0 ? Buffer.from(hashes) : hashes.subarray(0, hashes.length - 16);
      if (i % 2 === 0) damaged[3] ^= 0x40;
      update.run(damaged, name, key);
    });
    db.close();
    const damaged = await go();
    assert.deepEqual([damaged.read, damaged.unchanged, damaged.sent, damaged.unread], [10_000, 10_000, 0, 0], JSON.stringify(damaged));
    assert.equal(adds(damaged), damaged.read);
    // Read again, the blocks are kept anew.
    assert.equal((await go()).unread, clean.unread);
  });

  test("rows gone from the source: left alone by default; $unset of their properties or $delete when asked", T, async () => {
    mp.reset();
    const users = Array.from({ length: 30 }, (_, i) => ({ id: `r-${i}`, plan: "pro", seats: i }));
    const mapping = { object: "users", distinctId: "id" };
    const state = join(dir, "removed.db");
    assert.equal((await run({ source: { file: ndjson("removed.ndjson", users) }, mapping, state })).sent, 30);
    const fewer = await run({ source: { file: ndjson("removed.ndjson", users.slice(0, 25)) }, mapping, state });
    assert.deepEqual([fewer.sent, fewer.removed], [0, 0], "off by default");
    assert.deepEqual(mp.profiles().get("r-27"), { plan: "pro", seats: 27 });
    const unset = await run({ source: { file: ndjson("removed.ndjson", users.slice(0, 27)) }, mapping, state, removed: "unset" });
    assert.deepEqual([unset.sent, unset.removed], [0, 3]);
    assert.deepEqual(mp.profiles().get("r-27"), {});
    assert.equal((await run({ source: { file: ndjson("removed.ndjson", users.slice(0, 27)) }, mapping, state, removed: "unset" })).removed, 0, "each removal once");
    const deleted = await run({ source: { file: ndjson("removed.ndjson", users.slice(0, 26)) }, mapping, state, removed: "delete" });
    assert.equal(deleted.removed, 1);
    assert.equal(mp.profiles().has("r-26"), false);
    assert.equal(mp.profiles().get("r-25").plan, "pro");
    // Two more gone, but a row cannot be read and another has no key: either may be one
    // of the rows not seen, so nothing is removed, and the next clean run removes them.
    const rows = users.slice(0, 24).map((u) => JSON.stringify(u));
    rows[3] = '{"id":"r-3","plan":';
    rows.push('{"plan":"pro"}');
    const held = await run({ source: { file: ndjson("removed.ndjson", rows) }, mapping, state, removed: "delete" });
    assert.deepEqual([held.rejected, held.removed, held.removalsHeld], [2, 0, true], JSON.stringify(held));
    for (const id of ["r-3", "r-24", "r-25"]) assert.equal(mp.profiles().get(id).plan, "pro", id);
    const clean = await run({ source: { file: ndjson("removed.ndjson", users.slice(0, 24)) }, mapping, state, removed: "delete" });
    assert.deepEqual([clean.removed, clean.removalsHeld], [2, false]);
    assert.deepEqual(["r-3", "r-24", "r-25"].map((id) => mp.profiles().has(id)), [true, false, false]);
    // A row that cannot be read, but nothing gone: nothing is held.
    const nothingDue = await run({ source: { file: ndjson("removed.ndjson", [...users.slice(0, 24), '{"id":']) }, mapping, state, removed: "delete" });
    assert.deepEqual([nothingDue.rejected, nothingDue.removed, nothingDue.removalsHeld], [1, 0, false]);
    // An empty source (an export that failed looks the same) removes nothing.
    const empty = await run({ source: { file: ndjson("removed.ndjson", []) }, mapping, state, removed: "delete" });
    assert.deepEqual([empty.read, empty.removed, empty.removalsHeld], [0, 0, true]);
    assert.equal(mp.profiles().get("r-0").plan, "pro");
  });

  test("audiences: rows of (user, audience) become each user's SegmentMembership and In <name>; one who left every audience gets '' and false", T, async () => {
    mp.reset();
    const csv = (rows) => `user,audience,name\n${rows.map((r) => r.join(",")).join("\n")}\n`;
    const file = join(dir, "audiences.csv");
    const mapping = { object: "audiences", distinctId: "user", audienceId: "audience", audienceName: "name", perAudience: true };
    const state = join(dir, "audiences.db");
    writeFileSync(file, csv([["u1", "11036", "Parisians"], ["u1", "11034", "Buyers"], ["u2", "11034", "Buyers"], ["u3", "11036", "Parisians"], ["u3", "bad'id", "Oops"]]));
    const first = await run({ source: { file }, mapping, state });
    assert.deepEqual([first.read, first.sent, first.rejected, adds(first)], [5, 4, 1, 5], JSON.stringify(first.first.rejected));
    assert.deepEqual([first.first.rejected[0].code, first.first.rejected[0].key], ["invalid_audience_id", "u3"]);
    assert.deepEqual(mp.profiles().get("u1"), { SegmentMembership: "'11034','11036'", "In Buyers": true, "In Parisians": true });
    assert.deepEqual(mp.profiles().get("u2"), { SegmentMembership: "'11034'", "In Buyers": true, "In Parisians": false });
    writeFileSync(file, csv([["u1", "11036", "Parisians"], ["u1", "11034", "Buyers"], ["u3", "11036", "Parisians"]]));
    const second = await run({ source: { file }, mapping, state });
    assert.deepEqual([second.read, second.sent, second.unchanged, second.removed], [3, 0, 3, 1], "u1 and u3 unchanged; u2 left every audience");
    assert.deepEqual(mp.profiles().get("u2"), { SegmentMembership: "", "In Buyers": false, "In Parisians": false });
    // u1's rows cannot be read this time: u1 is not taken to have left every audience.
    writeFileSync(file, csv([["u1", "11036"], ["u3", "11036", "Parisians"]]));
    const unreadable = await run({ source: { file }, mapping, state });
    assert.deepEqual([unreadable.rejected, unreadable.removed, unreadable.removalsHeld], [1, 0, true], JSON.stringify(unreadable));
    assert.equal(mp.profiles().get("u1").SegmentMembership, "'11034','11036'");
  });

  test("groups from a SQLite query, 200 a request; 19-digit ids exact", T, async () => {
    mp.reset();
    const Database = require("better-sqlite3");
    const file = join(dir, "groups.sqlite");
    const db = new Database(file);
    db.exec("CREATE TABLE companies (id INTEGER PRIMARY KEY, name TEXT, employees INTEGER)");
    const insert = db.prepare("INSERT INTO companies VALUES (?, ?, ?)");
    for (let i = 0; i < 450; i++) insert.run(1234567890123456000n + BigInt(i), `Company ${i}`, i);
    db.close();
    const summary = await run({ source: { sqlite: file, query: "SELECT id, name, employees FROM companies" }, mapping: { object: "groups", groupKey: { value: "company_id" }, groupId: "id" }, state: join(dir, "groups.db") });
    assert.equal(summary.sent, 450);
    assert.ok(mp.requests.every((r) => r.count <= 200));
    assert.deepEqual(mp.groups().get("company_id\u00001234567890123456449"), { name: "Company 449", employees: 449 });
  });

  test("groups gone from the source get $unset of what they set, ids that look like JSON included; each shape of row its own list", T, async () => {
    mp.reset();
    // Ids holding what a record's text is made of: a removal must still name the right group.
    const ids = ['g-1', 'g","$set":{"x":1}', 'g\\",\\"$set', "g-\u00e9\u{1F600}"];
    const rows = ids.map((id, i) => (i % 2 === 0 ? { id, plan: "pro" } : { id, seats: i, region: "eu" }));
    const mapping = { object: "groups", groupKey: { value: "company" }, groupId: "id" };
    const state = join(dir, "groups-removed.db");
    assert.equal((await run({ source: { file: ndjson("groups-removed.ndjson", rows) }, mapping, state })).sent, 4);
    for (const [i, id] of ids.entries()) assert.deepEqual(mp.groups().get(`company\u0000${id}`), i % 2 === 0 ? { plan: "pro" } : { seats: i, region: "eu" });
    const after = await run({ source: { file: ndjson("groups-removed.ndjson", rows.slice(0, 1)) }, mapping, state, removed: "unset" });
    assert.deepEqual([after.sent, after.removed], [0, 3]);
    for (const id of ids.slice(1)) assert.deepEqual(mp.groups().get(`company\u0000${id}`), {}, id);
    assert.deepEqual(mp.groups().get("company\u0000g-1"), { plan: "pro" });
  });
});

describe("PostgreSQL", () => {
  test("a PostgreSQL source (through a cursor) and the state kept in PostgreSQL: exact, and a second run sends nothing", T, async () => {
    mp.reset();
    const { databaseUrl } = await import("../receiver/node-harness.mjs");
    const url = await databaseUrl(`pg:loader_${process.pid}`);
    const pg = require("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("CREATE TABLE accounts (id BIGINT PRIMARY KEY, plan TEXT, since TIMESTAMPTZ)");
      await client.query("INSERT INTO accounts SELECT 9007199254740993 + n, CASE WHEN n % 2 = 0 THEN 'pro' ELSE 'free' END, '2026-01-01'::timestamptz FROM generate_series(0, 2499) AS n");
    } finally {
      await client.end();
    }
    const options = { source: { postgres: url, query: "SELECT id, plan, since FROM accounts ORDER BY id" }, mapping: { object: "users", distinctId: "id" }, state: { postgres: url } };
    const first = await run(options);
    assert.equal(first.sent, 2500);
    assert.deepEqual(mp.profiles().get("9007199254740993"), { plan: "pro", since: "2026-01-01T00:00:00.000Z" });
    const again = await run(options);
    assert.deepEqual([again.sent, again.unchanged], [0, 2500]);
  });

  test("the block memo with the state in PostgreSQL: a re-run reads only the blocks that changed", T, async () => {
    const { databaseUrl } = await import("../receiver/node-harness.mjs");
    await blockMemoScenario({ postgres: await databaseUrl(`pg:loader_memo_${process.pid}`) });
  });

  test("the block memo in PostgreSQL with blocks that repeat byte for byte (one key, written once a run)", T, async () => {
    mp.reset();
    const { databaseUrl } = await import("../receiver/node-harness.mjs");
    const state = { postgres: await databaseUrl(`pg:loader_memo_same_${process.pid}`) };
    // The same line over and over: content-defined cuts give identical blocks, one key.
    const path = ndjson("repeated.ndjson", Array.from({ length: 8000 }, () => ({ id: "same", plan: "pro" })));
    const go = () => run({ source: { file: path }, mapping: { object: "users", distinctId: "id" }, state, threads: 1 });
    for (const pass of [1, 2]) {
      const summary = await go();
      assert.deepEqual([summary.read, summary.sent + summary.unchanged, summary.rejected], [8000, 1, 7999], `pass ${pass}: ${JSON.stringify(summary)}`);
      assert.equal(adds(summary), summary.read);
    }
  });
});

describe("a kill mid-run", () => {
  test("SIGKILL while batches are in flight: a re-run loses no row, duplicates no event, and resends at most what was in flight", T, async () => {
    mp.reset();
    mp.setDelay(100);
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: `k-${i}`, name: "E", user: `u-${i % 50}`, at: NOW }));
    const file = ndjson("kill.ndjson", rows);
    const state = join(dir, "kill.db");
    const script = `
      const { load } = await import(${JSON.stringify(new URL("load.js", loaderDir).href)});
      await load({ api: ${JSON.stringify(mp.url)}, credentials: ${JSON.stringify(CREDENTIALS)}, concurrency: 2,
        source: { file: ${JSON.stringify(file)} }, mapping: ${JSON.stringify(EVENTS)}, state: ${JSON.stringify(state)} });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // Killed once some batches are in and before all are.
    const until = Date.now() + 30_000;
    while (mp.requests.filter((r) => r.status === 200).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    await exited;
    const taken = mp.requests.filter((r) => r.status === 200).length;
    assert.ok(taken >= 3 && taken < 10, `killed mid-run (${taken} requests taken) ${stderr}`);
    // The journal holds what each taken batch changed, as each row's key hash and record
    // checksum (16 bytes a row), never the records themselves.
    const Database = require("better-sqlite3");
    const db = new Database(state, { readonly: true });
    const journal = db.prepare("SELECT kind, length(keys) AS bytes, records FROM load_journal").all();
    db.close();
    assert.ok(journal.length >= 1 && journal.length <= taken, `${journal.length} journal entries for ${taken} requests taken`);
    for (const entry of journal) assert.deepEqual(entry, { kind: "sent-hashes", bytes: 2000 * 16, records: null });
    mp.setDelay(0);
    const before = mp.requests.length;
    const summary = await run({ source: { file }, mapping: EVENTS, state });
    assert.equal(adds(summary), 20_000);
    assert.equal(mp.events().length, 20_000, "every row, once");
    const resent = summary.sent - (20_000 - taken * 2000);
    assert.ok(resent <= 2 * 2000 * 2, `resent ${resent} rows: at most the batches in flight`);
    assert.ok(mp.requests.length - before <= 10 - taken + 4);
  });
});

describe("cohort-sync load (the command)", () => {
  test("the progress line: on a terminal only, rows/s, MB/s, sent and not sent, the end time when the size is known", async () => {
    const { createLoadProgress } = await import(new URL("../cli/load.mjs", loaderDir));
    let clock = Date.UTC(2026, 11, 7, 12, 0, 0);
    const written = [];
    const tty = { isTTY: true, write: (text) => written.push(text) };
    const progress = createLoadProgress(tty, { now: () => clock });
    const counts = { read: 0, sent: 0, unchanged: 0, rejected: 0, refused: 0, pending: 0 };
    clock += 2000;
    progress.update({ ...counts, read: 20_000, sent: 18_000, rejected: 1500, pending: 500, bytesRead: 5_000_000, sizeBytes: 20_000_000 });
    clock += 100;
    progress.update({ ...counts, read: 21_000, bytesRead: 5_200_000, sizeBytes: 20_000_000 });
    assert.equal(written.length, 1, "redrawn at most four times a second");
    const line = written[0];
    assert.match(line, /^\r\x1b\[2K20000 rows \(10000\/s, 2\.5 MB\/s\) · 18000 sent · 2000 not sent · ends ~\d\d:\d\d:\d\d \(in 6 s\)$/);
    const expected = new Date(Date.UTC(2026, 11, 7, 12, 0, 8)).toTimeString().slice(0, 8);
    assert.ok(line.includes(`ends ~${expected}`), line);
    clock += 500;
    progress.update({ ...counts, read: 30_000, bytesRead: 0, sizeBytes: null });
    assert.doesNotMatch(written[1], /ends/, "no end time when the size is not known (stdin, a database)");
    progress.stop();
    assert.equal(written.at(-1), "\r\x1b[2K", "the line is cleared at the end");
    const pipe = [];
    const quiet = createLoadProgress({ isTTY: false, write: (text) => pipe.push(text) }, { now: () => clock });
    quiet.update({ ...counts, read: 1, bytesRead: 1, sizeBytes: 2 });
    quiet.stop();
    assert.deepEqual(pipe, [], "nothing when the output is not a terminal");
  });

  const bin = join(process.cwd(), "node_modules/.bin/cohort-sync");
  const cli = (args, env = {}) =>
    new Promise((resolve) => {
      const child = spawn(bin, ["load", ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
  const ENV = { MIXPANEL_PROJECT_ID: "4242", MIXPANEL_SERVICE_ACCOUNT: "sa.loader", MIXPANEL_SERVICE_SECRET: "s3cret", MIXPANEL_TOKEN: "tok-1" };

  test("loads a file with flags, prints the summary as JSON, never prints a credential; usage errors exit 2, a 401 exits 3", T, async () => {
    mp.reset();
    const file = ndjson("cli.ndjson", [{ id: "c-1", name: "E", user: "u", at: NOW }, "{bad"]);
    const args = ["--from", file, "--object", "events", "--key", "id", "--event", "name", "--distinct-id", "user", "--time", "at", "--api", mp.url, "--state", join(dir, "cli.db"), "--json"];
    const ok = await cli(args, ENV);
    assert.equal(ok.code, 1, "a row was rejected");
    const summary = JSON.parse(ok.stdout);
    assert.deepEqual([summary.read, summary.sent, summary.rejected], [2, 1, 1]);
    assert.doesNotMatch(ok.stdout + ok.stderr, /s3cret|tok-1/);
    assert.equal((await cli(["--object", "events"], ENV)).code, 2);
    assert.equal((await cli(["--from", file, "--object", "people"], ENV)).code, 2);
    const missing = await cli(args, {});
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /MIXPANEL_PROJECT_ID/);
    const refused = await cli([...args.slice(0, -3), "--state", join(dir, "cli-401.db")], { ...ENV, MIXPANEL_SERVICE_SECRET: "wrong" });
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /refused the credentials/);
    assert.doesNotMatch(refused.stderr, /wrong/);
  });

  test("started by node with V8's flags (--max-old-space-size…), which a worker thread refuses: the load still runs on its threads", T, async () => {
    mp.reset();
    const file = ndjson("v8-flags.ndjson", Array.from({ length: 300 }, (_, i) => ({ id: `v8-${i}`, name: "E", user: `u${i}`, at: NOW })));
    const args = ["--from", file, "--object", "events", "--key", "id", "--event", "name", "--distinct-id", "user", "--time", "at", "--api", mp.url, "--state", join(dir, "v8-flags.db"), "--threads", "1", "--json"];
    const result = await new Promise((resolve) => {
      const child = spawn(process.execPath, ["--max-old-space-size=512", "--max-semi-space-size=4", bin, "load", ...args], { env: { PATH: process.env.PATH, ...ENV }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual([summary.read, summary.sent], [300, 300]);
    assert.equal(mp.events().length, 300);
  });
});

describe("the state file", () => {
  test("LoadState is written and read a part at a time: the same bytes as whole, any cut, bad bytes refused", async () => {
    const { LoadState } = await import("cohort-sync");
    const state = new LoadState();
    const encoder = new TextEncoder();
    const keys = Array.from({ length: 30_000 }, (_, i) => `key-${i}`);
    const hashes = LoadState.rowHashes(encoder.encode(`${keys.join("\u0000")}\u0000`), encoder.encode(`${keys.map((k) => `{"k":"${k}"}`).join("\n")}\n`));
    state.plan(hashes);
    state.markSent(hashes.subarray(0, 40_000));
    const whole = state.toBytes();
    assert.equal(whole.length, 13 + 16 * 30_000 + 8);
    const parts = [...state.toParts(64 * 1024)];
    assert.ok(parts.length > 5 && parts.every((part) => part.length < 64 * 1024 + 16 * 64), parts.map((p) => p.length).join(","));
    assert.deepEqual(Buffer.concat(parts), Buffer.from(whole));
    // Left after one part, the next snapshot still starts at its header.
    for (const part of state.toParts(1000)) {
      assert.equal(Buffer.from(part.subarray(0, 4)).toString(), "CSLD");
      break;
    }
    assert.deepEqual(Buffer.from(state.toBytes()), Buffer.from(whole));
    for (const cut of [1, 7, 4096, 100_000]) {
      const reader = LoadState.reader();
      for (let at = 0; at < whole.length; at += cut) reader.push(whole.subarray(at, at + cut));
      const loaded = reader.finish();
      assert.equal(loaded.size, 30_000);
      assert.deepEqual(Buffer.from(loaded.toBytes()), Buffer.from(whole));
      assert.deepEqual([...loaded.plan(hashes.subarray(0, 2))], [2], "a key sent is unchanged");
      loaded.free();
    }
    const corrupt = whole.slice();
    corrupt[5000] ^= 1;
    assert.throws(() => LoadState.fromBytes(corrupt), { code: "invalid_snapshot" });
    assert.throws(() => LoadState.fromBytes("CSLD"), { code: "invalid_argument" });
    const reader = LoadState.reader();
    assert.throws(() => reader.push(new Uint8Array([1, 2, 3, 4])), { code: "invalid_snapshot" });
    assert.throws(() => reader.finish(), { code: "invalid_argument" }, "a reader that failed is finished");
    // A header that asks for billions of keys (a corrupt or hostile state file) is refused
    // with the rest, never trusted to size memory: the wasm does not trap, and goes on working.
    for (const count of [1n << 30n, 3n << 30n, (1n << 64n) - 1n]) {
      const header = Buffer.alloc(13 + 40, 7);
      header.write("CSLD", 0);
      header[4] = 1;
      header.writeBigUInt64LE(count, 5);
      const hostile = LoadState.reader();
      hostile.push(header);
      assert.throws(() => hostile.finish(), { code: "invalid_snapshot" }, String(count));
      assert.throws(() => LoadState.fromBytes(header), { code: "invalid_snapshot" }, String(count));
    }
    assert.deepEqual(Buffer.from(LoadState.fromBytes(whole).toBytes()), Buffer.from(whole), "the wasm still works");
    // Hashes that are no BigUint64Array are refused by name, as the caller's mistake.
    for (const call of [() => state.plan("x"), () => state.markSent("12"), () => state.forget([1n]), () => state.plan(new Uint8Array(16))]) {
      assert.throws(call, { code: "invalid_argument", message: /must be a BigUint64Array/ });
    }
    // Typed arrays of another realm (a vm context, a test sandbox) are typed arrays all the same.
    const { runInNewContext } = await import("node:vm");
    assert.deepEqual([...state.plan(runInNewContext("new BigUint64Array(0)"))], []);
    assert.equal(LoadState.keyHashes(runInNewContext("new Uint8Array([107, 0])")).length, 1);
    // Keys and records that are no bytes are refused too: a string became wrong bytes.
    for (const call of [() => state.markFailed("u-1\u0000"), () => LoadState.keyHashes("k\u0000"), () => LoadState.rowHashes("k\u0000", encoder.encode("{}\n")), () => state.plan(encoder.encode("k\u0000"), ["{}"])]) {
      assert.throws(call, { code: "invalid_argument", message: /must be UTF-8 bytes/ });
    }
    state.free();
  });

  test("identities: one row a batch; the newest wins; compacted to one a key once resent rows pile up (in passes by hash)", async () => {
    const { openStateStore } = await import(new URL("state-store.js", loaderDir));
    const store = await openStateStore(join(dir, "identities.db"), "users:id", { compactEntries: 5000 });
    const hashes = Array.from({ length: 3000 }, (_, i) => BigInt.asUintN(64, BigInt(i + 1) * 0x9e3779b97f4a7c15n));
    for (let round = 1; round <= 6; round++) {
      for (let at = 0; at < hashes.length; at += 1000) {
        store.keepKeys(hashes.slice(at, at + 1000).map((hash, i) => ({ hash, who: `"$distinct_id":"u${at + i}-r${round}"`, props: round % 2 ? ["a", "b"] : ["c"] })));
      }
    }
    const wanted = new Set([hashes[0], hashes[1500], hashes[2999], 12345n]);
    const found = store.keysOf(wanted);
    assert.deepEqual([...found.keys()].sort(), [hashes[0], hashes[1500], hashes[2999]].sort());
    assert.deepEqual(found.get(hashes[1500]), { who: '"$distinct_id":"u1500-r6"', props: ["c"] });
    assert.equal(store.compact(3000), true, "18000 identities for 3000 keys");
    const Database = require("better-sqlite3");
    const db = new Database(join(dir, "identities.db"), { readonly: true });
    const { rows, count } = db.prepare("SELECT count(*) AS rows, sum(count) AS count FROM load_identities").get();
    db.close();
    assert.equal(count, 3000, "one identity a key");
    assert.ok(rows >= 4, `written in passes by hash (${rows} rows)`);
    const after = store.keysOf(new Set(hashes));
    assert.equal(after.size, 3000);
    assert.ok(hashes.every((hash, i) => after.get(hash).who === `"$distinct_id":"u${i}-r6"` && after.get(hash).props[0] === "c"));
    assert.equal(store.compact(3000), false, "nothing to compact now");
    store.close();
  });
});
