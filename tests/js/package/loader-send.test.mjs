// The loader's mapping (a source row → the Mixpanel record's JSON text) and its sender
// (batches within Mixpanel's limits, backoff on 429/502/503, failed_records mapped back,
// 401 stopping everything) against the Mixpanel stand-in on 127.0.0.1.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { validateEvents, validateProfiles } from "cohort-sync";
import { startMixpanelStandin } from "../lib/mixpanel-standin.mjs";
import { seeded } from "../lib/random.mjs";

const loader = new URL("../../../node_modules/cohort-sync/loader/", import.meta.url);
const { checkMapping, createMapper, json, timeOf, RowProblem } = await import(new URL("mapping.js", loader));
const { AuthError, DEFAULT_RETRY, batchRanges, createSender, waitBefore } = await import(new URL("send.js", loader));

const CREDENTIALS = { projectId: "4242", token: "tok-1", serviceAccount: { user: "sa.loader", secret: "s3cret" } };
const insertId = (event, key) => `id-${key}`.slice(0, 36);

describe("mapping", () => {
  test("an event: the mapped columns, every other column a property (the key's too), time in ms, ids exact", () => {
    const mapper = createMapper(checkMapping({ object: "events", key: "order_id", event: { value: "Purchase" }, distinctId: "user_id", time: "at", properties: { rename: { amount: "Amount" } } }), { insertId });
    const { key, record } = mapper.map({ order_id: 1234567890123456789n, user_id: 9007199254740993n, at: "2026-01-02 03:04:05", amount: 12.5, note: null, tags: ["a"] });
    assert.equal(key, "1234567890123456789");
    assert.equal(record, '{"event":"Purchase","properties":{"time":1767323045000,"distinct_id":"9007199254740993","$insert_id":"id-1234567890123456789","order_id":"1234567890123456789","Amount":12.5,"tags":["a"]}}');
    assert.equal(validateEvents(record, { now: Date.UTC(2026, 0, 3) }).valid, 1);
  });

  test("a user: $set of the properties, nulls dropped or unset as asked; a group by key and id", () => {
    const users = createMapper(checkMapping({ object: "users", distinctId: "id", nulls: "unset" }), { token: "tok-1" });
    const { key, record } = users.map({ id: "u-1", plan: "pro", big: 12345678901234567890n, gone: null, at: new Date(Date.UTC(2026, 0, 1)) });
    assert.equal(key, "u-1");
    assert.equal(record, '{"$token":"tok-1","$distinct_id":"u-1","$set":{"plan":"pro","big":"12345678901234567890","at":"2026-01-01T00:00:00.000Z"},"$unset":["gone"]}');
    assert.equal(validateProfiles(record, "user").valid, 1);
    const groups = createMapper(checkMapping({ object: "groups", groupKey: { value: "company_id" }, groupId: "company", key: ["company"] }), { token: "tok-1" });
    assert.equal(groups.map({ company: 7, name: "Acme" }).record, '{"$token":"tok-1","$group_key":"company_id","$group_id":"7","$set":{"name":"Acme"}}');
  });

  test("two key columns never run together; a row that cannot be mapped is a RowProblem with a code", () => {
    const mapper = createMapper(checkMapping({ object: "users", distinctId: "id", key: ["a", "b"] }), { token: "t" });
    assert.notEqual(mapper.map({ id: "x", a: "1", b: "23" }).key, mapper.map({ id: "x", a: "12", b: "3" }).key);
    const events = createMapper(checkMapping({ object: "events", key: "k", event: "e", distinctId: "d", time: "t" }), { insertId });
    const problem = (row) => {
      try {
        events.map(row);
      } catch (error) {
        assert.ok(error instanceof RowProblem, String(error));
        return error.code;
      }
      return null;
    };
    assert.equal(problem({ k: "1", e: "E", d: "u", t: "yesterday" }), "bad_time");
    assert.equal(problem({ k: "1", e: "E", d: null, t: 1 }), "missing_value");
    assert.equal(problem({ k: "1", e: "E", t: 1 }), "missing_column");
    assert.equal(problem({ k: 1.5, e: "E", d: "u", t: 1 }), "wrong_type");
  });

  test("times: dates, ISO text with and without a zone, epoch seconds and milliseconds, digits", () => {
    const ms = Date.UTC(2026, 5, 1, 12, 0, 0);
    for (const value of [new Date(ms), "2026-06-01T12:00:00Z", "2026-06-01 12:00:00", "2026-06-01T14:00:00+02:00", ms / 1000, ms, BigInt(ms), String(ms / 1000)]) {
      assert.equal(timeOf(value), ms, String(value));
    }
  });

  test("a mapping that is wrong is refused before any row, naming what is wrong", () => {
    assert.throws(() => checkMapping({ object: "events", distinctId: "d", time: "t" }), /mapping\.event/);
    assert.throws(() => checkMapping({ object: "people" }), /mapping\.object/);
    assert.throws(() => checkMapping({ object: "users", distinctId: "d", nulls: "zero" }), /nulls/);
    assert.throws(() => checkMapping({ object: "events", event: "e", distinctId: "d", time: "t" }), /mapping\.key/);
  });

  test("values: exact big integers, nested values by the same rules", () => {
    assert.equal(json({ a: [1n, 2n ** 64n], b: new Uint8Array([1, 2]) }), '{"a":[1,"18446744073709551616"],"b":"AQI="}');
  });

  test("properties are written as the reference writer would, byte for byte, on random rows (names, types, renames)", () => {
    // The reference: each property in the row's key order, `"name":json(value)`, nulls left out.
    const random = seeded(7).next;
    const pick = (list) => list[Math.floor(random() * list.length)];
    const NAMES = ["a", "b", "plan", "Ünïcode", "2", "10", "__proto__", "constructor", "with \"quote\"", "emoji 🎉", "x"];
    const VALUES = [
      () => "text",
      () => "ünï \u0000 \n \u2028 \ud800",
      () => random() * 1e6 - 5e5,
      () => Math.floor(random() * 100),
      () => -0,
      () => NaN,
      () => Infinity,
      () => 9007199254740993n,
      () => 42n,
      () => random() < 0.5,
      () => null,
      () => undefined,
      () => new Date(1_700_000_000_000 + Math.floor(random() * 1e9)),
      () => new Date(NaN),
      () => new Uint8Array([1, 2, 250]),
      () => ["a", 1, null],
      () => ({ nested: { n: 12345678901234567890n } }),
    ];
    const renames = [{}, { a: "A", b: "B" }, { a: "b" }, { a: "7" }, { plan: "__proto__" }];
    for (let run = 0; run < 400; run++) {
      const rename = pick(renames);
      const mapping = checkMapping({ object: "users", distinctId: "id", properties: { rename } });
      const mapper = createMapper(mapping, { token: "t" });
      const row = Object.create(null);
      row.id = `u-${run}`;
      const count = Math.floor(random() * 6);
      for (let i = 0; i < count; i++) Object.defineProperty(row, pick(NAMES), { value: pick(VALUES)(), enumerable: true, writable: true, configurable: true });
      let expected = "";
      for (const column of Object.keys(row)) {
        if (column === "id" || row[column] === null || row[column] === undefined) continue;
        expected += `${expected === "" ? "" : ","}${JSON.stringify(Object.hasOwn(rename, column) ? rename[column] : column)}:${json(row[column])}`;
      }
      const { record } = mapper.map(row);
      assert.equal(record, `{"$token":"t","$distinct_id":${JSON.stringify(row.id)},"$set":{${expected}}}`, `rename ${JSON.stringify(rename)}`);
    }
  });
});

describe("sending", () => {
  let mp;
  before(async () => {
    mp = await startMixpanelStandin({ projectId: CREDENTIALS.projectId, token: CREDENTIALS.token, serviceAccount: CREDENTIALS.serviceAccount });
  });
  after(() => mp?.close());
  const fast = { baseMs: 20, maxMs: 80, jitterMs: [5, 10], attempts: 4 };
  const event = (i, extra = {}) => JSON.stringify({ event: "E", properties: { time: Date.now() - 1000, distinct_id: `u-${i}`, $insert_id: `ins-${i}`, ...extra } });

  test("batches: 2000 events and 10 MB a request; 2000 user updates; 200 group updates or as set", () => {
    const small = Array.from({ length: 4500 }, (_, i) => event(i));
    assert.deepEqual(batchRanges("events", small), [{ start: 0, end: 2000 }, { start: 2000, end: 4000 }, { start: 4000, end: 4500 }]);
    const big = Array.from({ length: 30 }, () => "x".repeat(900_000));
    const ranges = batchRanges("events", big);
    assert.ok(ranges.every((r) => big.slice(r.start, r.end).reduce((n, t) => n + t.length + 1, 0) <= 10_000_000));
    assert.equal(ranges.reduce((n, r) => n + r.end - r.start, 0), 30);
    assert.equal(batchRanges("groups", Array(450).fill("{}")).length, 3);
    assert.equal(batchRanges("groups", Array(450).fill("{}"), { groupsPerRequest: 50 }).length, 9);
    assert.equal(batchRanges("users", Array(2001).fill("{}")).length, 2);
  });

  test("events: gzip, strict, the service account; a partial 400 names exactly the refused rows, the others land", async () => {
    mp.reset();
    const sender = createSender({ object: "events", api: mp.url, ...CREDENTIALS, retry: fast });
    const records = [event(1), event(2, { $insert_id: "anon" }), event(3), JSON.stringify({ event: "E", properties: { time: 1, distinct_id: "u-4", $insert_id: "ins-4" } })];
    const result = await sender.send(records);
    assert.deepEqual(result.sent, [0, 2]);
    assert.deepEqual(result.refused.map((r) => r.index), [1, 3]);
    assert.equal(mp.requests.at(-1).gzip, true);
    assert.deepEqual(mp.events().map((e) => e.properties.$insert_id), ["ins-1", "ins-3"]);
  });

  test("a 429 storm: the documented backoff is honoured (Retry-After when sent), and the batch lands once", async () => {
    mp.reset();
    mp.failNext(2, { status: 429 });
    mp.failNext(1, { status: 503, retryAfter: "0.2" });
    const waits = [];
    const sender = createSender({ object: "events", api: mp.url, ...CREDENTIALS, retry: fast, onAttempt: (a) => a.waitMs !== null && waits.push(a.waitMs) });
    const result = await sender.send([event(10)]);
    assert.deepEqual(result.sent, [0]);
    assert.equal(result.attempts, 4);
    assert.equal(waits.length, 3);
    assert.ok(waits[0] >= 25 && waits[0] <= 30 && waits[1] >= 45 && waits[1] <= 50, `doubling with jitter: ${waits}`);
    assert.equal(waits[2], 200, "Retry-After: 0.2 s");
    const gaps = mp.requests.slice(1).map((r, i) => r.at - mp.requests[i].at);
    assert.ok(gaps.every((gap, i) => gap >= waits[i] - 5), `the stand-in saw the waits: ${gaps} against ${waits}`);
    assert.equal(mp.events().length, 1);
  });

  test("past the retry budget a batch is pending (sent again next run); a dropped connection counts as a retry", async () => {
    mp.reset();
    mp.failNext(4, { status: 502 });
    const sender = createSender({ object: "events", api: mp.url, ...CREDENTIALS, retry: fast });
    const result = await sender.send([event(20)]);
    assert.deepEqual(result.sent, []);
    assert.match(result.pending.reason, /HTTP 502/);
    mp.failNext(1, { drop: true });
    assert.deepEqual((await sender.send([event(21)])).sent, [0]);
  });

  test("401 stops at once with a clear error; nothing is retried", async () => {
    mp.reset();
    const sender = createSender({ object: "events", api: mp.url, ...CREDENTIALS, serviceAccount: { user: "sa.loader", secret: "wrong" }, retry: fast });
    await assert.rejects(sender.send([event(30)]), (error) => error instanceof AuthError && error.status === 401 && /MIXPANEL_SERVICE_SECRET/.test(error.message));
    assert.equal(mp.requests.length, 1);
  });

  test("users and groups: the verbose answer; an update Mixpanel takes none of is refused with its reason", async () => {
    mp.reset();
    const users = createSender({ object: "users", api: mp.url, ...CREDENTIALS, retry: fast });
    const ok = await users.send(['{"$token":"tok-1","$distinct_id":"u-1","$set":{"plan":"pro"}}']);
    assert.deepEqual(ok.sent, [0]);
    assert.deepEqual(mp.profiles().get("u-1"), { plan: "pro" });
    const bad = await users.send(['{"$token":"wrong","$distinct_id":"u-2","$set":{"plan":"pro"}}']);
    assert.deepEqual(bad.sent, []);
    assert.equal(bad.refused.length, 1);
    const groups = createSender({ object: "groups", api: mp.url, ...CREDENTIALS, retry: fast });
    assert.deepEqual((await groups.send(['{"$token":"tok-1","$group_key":"company_id","$group_id":"7","$set":{"name":"Acme"}}'])).sent, [0]);
    assert.deepEqual(mp.groups().get("company_id\u00007"), { name: "Acme" });
  });

  test("the default policy is Mixpanel's advice", () => {
    assert.deepEqual(DEFAULT_RETRY, { baseMs: 2000, maxMs: 60_000, jitterMs: [1000, 5000], attempts: 8 });
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attempt) => waitBefore(attempt, null, DEFAULT_RETRY, () => 0));
    assert.deepEqual(waits, [3000, 5000, 9000, 17000, 33000, 61000, 61000]);
    assert.equal(waitBefore(1, "7", DEFAULT_RETRY), 7000);
  });
});
