// The Mixpanel stand-in answers as Mixpanel documents /import, /engage and /groups, so the
// loader's tests can trust it: each behaviour checked here with plain fetch (https.request
// for the self-signed TLS mode).
import assert from "node:assert/strict";
import https from "node:https";
import { after, before, beforeEach, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { LIMITS, PLACEHOLDERS, RATE_LIMITED, startMixpanelStandin } from "../lib/mixpanel-standin.mjs";

const NOW_MS = Date.UTC(2026, 0, 15, 12);
const NOW_S = NOW_MS / 1000;
const OPTIONS = { projectId: "3141592", token: "tok-abc123", serviceAccount: { user: "loader.sa", secret: "s3cret:with:colons" }, now: () => NOW_MS };
const AUTH = `Basic ${Buffer.from("loader.sa:s3cret:with:colons").toString("base64")}`;
const IMPORT = `/import?project_id=${OPTIONS.projectId}&strict=1`;
const JSON_HEADERS = { "content-type": "application/json", authorization: AUTH };

const event = (i, properties = {}) => ({
  event: "Row Loaded",
  properties: { time: NOW_S - 60 - i, distinct_id: `user-${i}`, $insert_id: `row-${i}`, ...properties },
});
const events = (n) => Array.from({ length: n }, (_, i) => event(i));

describe("mixpanel stand-in", () => {
  let mp;
  const post = (path, body, headers = JSON_HEADERS) => fetch(mp.url + path, { method: "POST", headers, body });
  const postImport = (body, headers = JSON_HEADERS) => post(IMPORT, typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body), headers);
  const engage = (path, updates, query = "") =>
    post(path + query, `data=${encodeURIComponent(JSON.stringify(updates))}`, { "content-type": "application/x-www-form-urlencoded" });

  before(async () => {
    mp = await startMixpanelStandin(OPTIONS);
  });
  after(() => mp.close());
  beforeEach(() => mp.reset());

  test("listens on 127.0.0.1 only, over http", () => {
    assert.match(mp.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(mp.cert, null);
  });

  describe("/import auth", () => {
    test("a good service account and project id import; anything else is 401 with Mixpanel's body", async () => {
      const bad = [
        [IMPORT, { "content-type": "application/json" }],
        [IMPORT, { "content-type": "application/json", authorization: `Basic ${Buffer.from("loader.sa:wrong").toString("base64")}` }],
        [IMPORT, { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${OPTIONS.token}:`).toString("base64")}` }],
        [IMPORT, { "content-type": "application/json", authorization: `Bearer ${OPTIONS.serviceAccount.secret}` }],
        ["/import?project_id=999&strict=1", JSON_HEADERS],
        ["/import?strict=1", JSON_HEADERS],
      ];
      for (const [path, headers] of bad) {
        const res = await post(path, JSON.stringify(events(1)), headers);
        assert.equal(res.status, 401, path);
        assert.deepEqual(await res.json(), { code: 401, error: "Invalid credentials", status: "Unauthorized" });
      }
      assert.equal(mp.events().length, 0);
      const ok = await postImport(events(2));
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), '{"code":200,"num_records_imported":2,"status":"OK"}');
      assert.deepEqual(mp.events(), events(2));
      assert.deepEqual(mp.requests.map((r) => r.status), [401, 401, 401, 401, 401, 401, 200]);
    });
  });

  describe("/import bodies", () => {
    test("a JSON array, NDJSON and a single object are accepted; malformed bodies are 400", async () => {
      assert.equal((await postImport(events(2))).status, 200);
      const ndjson = [event(10), event(11)].map((e) => JSON.stringify(e)).join("\r\n") + "\n\n";
      const nd = await postImport(ndjson, { ...JSON_HEADERS, "content-type": "application/x-ndjson" });
      assert.deepEqual(await nd.json(), { code: 200, num_records_imported: 2, status: "OK" });
      assert.equal((await postImport(event(12))).status, 200);
      assert.deepEqual(mp.events().map((e) => e.properties.$insert_id), ["row-0", "row-1", "row-10", "row-11", "row-12"]);

      for (const [body, type] of [["[{", "application/json"], ['{"event":1}\n{', "application/x-ndjson"], ["42", "application/json"], ["[]", "text/csv"]]) {
        const res = await postImport(body, { ...JSON_HEADERS, "content-type": type });
        assert.equal(res.status, 400, body);
        const answer = await res.json();
        assert.equal(answer.code, 400);
        assert.equal(answer.status, "Bad Request");
        assert.equal(typeof answer.error, "string");
      }
      assert.equal(mp.events().length, 5);
    });

    test("gzip bodies (JSON and NDJSON) are inflated; the log tells wire and uncompressed bytes apart", async () => {
      const body = gzipSync(JSON.stringify(events(50)));
      const res = await postImport(body, { ...JSON_HEADERS, "content-encoding": "gzip" });
      assert.deepEqual(await res.json(), { code: 200, num_records_imported: 50, status: "OK" });
      const nd = gzipSync(events(3).map((e) => JSON.stringify(e)).join("\n"));
      const res2 = await postImport(nd, { ...JSON_HEADERS, "content-type": "application/x-ndjson", "content-encoding": "gzip" });
      assert.equal(res2.status, 200);
      assert.equal(mp.events().length, 50); // the three NDJSON events are duplicates of rows 0-2
      const [first] = mp.requests;
      assert.equal(first.gzip, true);
      assert.equal(first.bytes, body.length);
      assert.equal(first.uncompressedBytes, Buffer.byteLength(JSON.stringify(events(50))));
      assert.equal(first.count, 50);

      const broken = await postImport(Buffer.from("not gzip at all"), { ...JSON_HEADERS, "content-encoding": "gzip" });
      assert.equal(broken.status, 400);
      assert.match((await broken.json()).error, /gzip/);
    });
  });

  describe("/import limits", () => {
    test("2000 events pass; 2001 are refused whole with a 400 naming the limit", async () => {
      const res = await postImport(events(LIMITS.importEvents));
      assert.equal((await res.json()).num_records_imported, 2000);
      mp.reset();
      const over = await postImport(events(2001));
      assert.equal(over.status, 400);
      const answer = await over.json();
      assert.match(answer.error, /2001 events.*at most 2000/);
      assert.equal(answer.failed_records, undefined);
      assert.equal(mp.events().length, 0);
      assert.equal(mp.requests[0].count, 2001);
    });

    test("over 10 MB uncompressed is 413, plain or gzipped", async () => {
      const pad = "x".repeat(LIMITS.importBytes);
      const big = JSON.stringify([event(0, { pad })]);
      const plain = await postImport(big);
      assert.equal(plain.status, 413);
      assert.equal((await plain.json()).code, 413);
      // A small gzip body that inflates past the limit is refused as well.
      const zipped = gzipSync(big);
      assert.ok(zipped.length < 100_000);
      const res = await postImport(zipped, { ...JSON_HEADERS, "content-encoding": "gzip" });
      assert.equal(res.status, 413);
      assert.equal(mp.events().length, 0);
      assert.deepEqual(mp.requests.map((r) => [r.status, r.gzip]), [[413, false], [413, true]]);
    });
  });

  describe("/import validation", () => {
    const BAD = [
      [{ properties: event(0).properties }, "event"],
      [{ ...event(0), event: "" }, "event"],
      [{ event: "Row Loaded", properties: "x" }, "properties"],
      [event(0, { time: String(NOW_S) }), "properties.time"],
      [event(0, { time: undefined }), "properties.time"],
      [event(0, { time: Date.UTC(1970, 11, 31) / 1000 }), "properties.time"],
      [event(0, { time: -5 }), "properties.time"],
      [event(0, { time: NOW_S + 3601 }), "properties.time"],
      [event(0, { time: NOW_MS + 3_601_000 }), "properties.time"],
      [event(0, { distinct_id: undefined }), "properties.distinct_id"],
      [event(0, { distinct_id: 42 }), "properties.distinct_id"],
      [event(0, { distinct_id: "NULL" }), "properties.distinct_id"],
      [event(0, { $insert_id: undefined }), "properties.$insert_id"],
      [event(0, { $insert_id: "a".repeat(37) }), "properties.$insert_id"],
      [event(0, { $insert_id: "row_1" }), "properties.$insert_id"],
      [event(0, { $insert_id: "" }), "properties.$insert_id"],
      [event(0, { $insert_id: "none" }), "properties.$insert_id"],
      [event(0, Object.fromEntries(Array.from({ length: 252 }, (_, i) => [`p${i}`, i]))), "properties"],
      [event(0, { list: Array(255).fill(1) }), "properties.list"],
      [event(0, { blob: "y".repeat(LIMITS.eventBytes) }), "properties"],
    ];

    test("strict=1: a 400 lists each failed record by index and field, and the valid ones are ingested", async () => {
      // Valid and invalid records interleaved: even indices valid, odd ones broken.
      const batch = [];
      BAD.forEach(([bad], i) => batch.push(event(100 + i), JSON.parse(JSON.stringify(bad))));
      const res = await postImport(batch);
      assert.equal(res.status, 400);
      const answer = await res.json();
      assert.deepEqual(Object.keys(answer), ["code", "error", "num_records_imported", "status", "failed_records"]);
      assert.equal(answer.code, 400);
      assert.equal(answer.error, "some data points in the request failed validation");
      assert.equal(answer.status, "Bad Request");
      assert.equal(answer.num_records_imported, BAD.length);
      assert.deepEqual(
        answer.failed_records.map((f) => [f.index, f.field]),
        BAD.map(([, field], i) => [2 * i + 1, field]),
      );
      for (const f of answer.failed_records) {
        assert.deepEqual(Object.keys(f), ["index", "$insert_id", "field", "message"]);
        assert.ok(typeof f.message === "string" && f.message.length > 0);
      }
      assert.equal(answer.failed_records[11].$insert_id, "row-0");
      assert.equal(answer.failed_records[12].$insert_id, "");
      assert.deepEqual(mp.events().map((e) => e.properties.$insert_id), BAD.map((_, i) => `row-${100 + i}`));
      assert.equal(mp.state.rejected.length, BAD.length);
    });

    test("every placeholder is refused as distinct_id (any case); the empty string is accepted", async () => {
      const batch = PLACEHOLDERS.flatMap((p, i) => [event(i, { distinct_id: p }), event(50 + i, { distinct_id: p.toUpperCase() })]);
      batch.push(event(99, { distinct_id: "" }));
      const res = await postImport(batch);
      const answer = await res.json();
      assert.equal(answer.num_records_imported, 1);
      assert.equal(answer.failed_records.length, PLACEHOLDERS.length * 2);
      assert.ok(answer.failed_records.every((f) => f.field === "properties.distinct_id"));
      assert.deepEqual(mp.events(), [event(99, { distinct_id: "" })]);
    });

    test("limits at their edge are accepted: seconds and ms, 1 hour ahead, 254 properties, 36-char $insert_id", async () => {
      const ok = [
        event(0, { time: NOW_MS - 5 }),
        event(1, { time: NOW_S + 3600 }),
        event(2, { time: Date.UTC(1971, 0, 1) / 1000 }),
        event(3, Object.fromEntries(Array.from({ length: 251 }, (_, i) => [`p${i}`, i]))),
        event(4, { $insert_id: "A-z".repeat(12) }),
        event(5, { list: Array(254).fill(1) }),
      ];
      const res = await postImport(ok);
      assert.deepEqual(await res.json(), { code: 200, num_records_imported: ok.length, status: "OK" });
      assert.equal(Object.keys(mp.events()[3].properties).length, 254);
    });

    test("strings over 255 characters are stored truncated, not refused", async () => {
      await postImport([event(0, { note: "é".repeat(300) })]);
      assert.equal(mp.events()[0].properties.note, "é".repeat(255));
    });

    test("strict=0: invalid records are dropped silently and the answer is 200", async () => {
      const res = await post(`/import?project_id=${OPTIONS.projectId}&strict=0`, JSON.stringify([event(0), event(1, { time: 5 })]), JSON_HEADERS);
      assert.deepEqual(await res.json(), { code: 200, num_records_imported: 1, status: "OK" });
      assert.equal(mp.events().length, 1);
    });
  });

  describe("/import dedup", () => {
    test("a resent batch counts as imported but is stored once; the key is (event, time, distinct_id, $insert_id)", async () => {
      const batch = events(3);
      for (let i = 0; i < 2; i++) assert.equal((await (await postImport(batch)).json()).num_records_imported, 3);
      assert.equal(mp.events().length, 3);
      // Same $insert_id with another time, user or name: a different event.
      const variants = [event(0, { time: NOW_S - 1 }), event(0, { distinct_id: "other" }), { ...event(0), event: "Other" }];
      // The same instant in milliseconds is the same event.
      const sameInMs = event(0, { time: (NOW_S - 60) * 1000 });
      const res = await postImport([...variants, sameInMs, sameInMs]);
      assert.equal((await res.json()).num_records_imported, 5);
      assert.equal(mp.events().length, 6);
      assert.deepEqual(mp.events().slice(3), variants);
    });
  });

  describe("/engage and /groups", () => {
    test("user profile updates apply to the store; the answer is 1 as text/plain", async () => {
      const t = OPTIONS.token;
      const res = await engage("/engage", [
        { $token: t, $distinct_id: "u1", $set: { plan: "pro", seats: 3 } },
        { $token: t, $distinct_id: "u1", $set_once: { plan: "free", first_seen: "2026-01-01" } },
        { $token: t, $distinct_id: "u1", $add: { seats: 2, logins: 1 } },
        { $token: t, $distinct_id: "u1", $union: { tags: ["a", "b"] } },
        { $token: t, $distinct_id: "u1", $union: { tags: ["b", "c"] } },
        { $token: t, $distinct_id: "u1", $append: { history: { at: 1 } } },
        { $token: t, $distinct_id: "u1", $remove: { tags: "a" } },
        { $token: t, $distinct_id: "u1", $unset: ["first_seen"] },
        { $token: t, $distinct_id: "u2", $set: { plan: "free" } },
        { $token: t, $distinct_id: "u2", $delete: "" },
        { $token: t, $distinct_id: "u3", $unset: ["x"] },
      ]);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type"), /^text\/plain/);
      assert.equal(await res.text(), "1");
      assert.deepEqual([...mp.profiles()], [["u1", { plan: "pro", seats: 5, logins: 1, tags: ["b", "c"], history: [{ at: 1 }] }]]);
      assert.equal(mp.requests[0].count, 11);
    });

    test("invalid updates are ignored with a 200; 0 when none was valid; verbose explains", async () => {
      const t = OPTIONS.token;
      const invalid = [
        { $token: "wrong", $distinct_id: "u1", $set: { a: 1 } },
        { $distinct_id: "u1", $set: { a: 1 } },
        { $token: t, $set: { a: 1 } },
        { $token: t, $distinct_id: "", $set: { a: 1 } },
        { $token: t, $distinct_id: "u1" },
        { $token: t, $distinct_id: "u1", $set: { a: 1 }, $unset: ["b"] },
        { $token: t, $distinct_id: "u1", $set: ["a"] },
        { $token: t, $distinct_id: "u1", $add: { a: "1" } },
        { $token: t, $distinct_id: "u1", $set: { big: "z".repeat(LIMITS.updateBytes) } },
        "not an object",
      ];
      const mixed = await engage("/engage", [...invalid, { $token: t, $distinct_id: "u9", $set: { ok: true } }]);
      assert.equal(mixed.status, 200);
      assert.equal(await mixed.text(), "1");
      assert.deepEqual([...mp.profiles()], [["u9", { ok: true }]]);
      assert.deepEqual(mp.state.rejected.map((r) => r.index), invalid.map((_, i) => i));

      const none = await engage("/engage", invalid);
      assert.equal(none.status, 200);
      assert.equal(await none.text(), "0");
      const verboseBad = await engage("/engage", invalid, "?verbose=1");
      const answer = await verboseBad.json();
      assert.equal(answer.status, 0);
      assert.match(answer.error, /\$token/);
      const verboseOk = await engage("/engage", [{ $token: t, $distinct_id: "u9", $set: { ok: 2 } }], "?verbose=1");
      assert.equal(await verboseOk.text(), '{"status":1,"error":null}');
    });

    test("a JSON array body works as well as data=; gzip and over 2000 updates are refused with 400", async () => {
      const updates = (n) => Array.from({ length: n }, (_, i) => ({ $token: OPTIONS.token, $distinct_id: `u${i}`, $set: { i } }));
      const json = await post("/engage", JSON.stringify(updates(2000)), { "content-type": "application/json" });
      assert.equal(await json.text(), "1");
      assert.equal(mp.profiles().size, 2000);
      const over = await engage("/engage", updates(2001), "?verbose=1");
      assert.equal(over.status, 400);
      assert.match((await over.json()).error, /2001 updates.*at most 2000/);
      const zipped = await post("/engage", gzipSync(JSON.stringify(updates(1))), { "content-type": "application/json", "content-encoding": "gzip" });
      assert.equal(zipped.status, 400);
      assert.equal(await zipped.text(), "0");
    });

    test("group profiles: keyed by group_key and group_id, at most 200 a request, no $append", async () => {
      const g = (i, op) => ({ $token: OPTIONS.token, $group_key: "company_id", $group_id: `c${i}`, ...op });
      const ok = await engage("/groups", [...Array.from({ length: 199 }, (_, i) => g(i, { $set: { n: i } })), g(0, { $set_once: { n: 99, name: "Acme" } })]);
      assert.equal(await ok.text(), "1");
      assert.equal(mp.groups().size, 199);
      assert.deepEqual(mp.groups().get("company_id\u0000c0"), { n: 0, name: "Acme" });
      assert.deepEqual(mp.profiles().size, 0);

      const over = await engage("/groups", Array.from({ length: 201 }, (_, i) => g(i, { $set: { n: i } })));
      assert.equal(over.status, 400);
      const refused = await engage("/groups", [g(0, { $append: { l: 1 } }), { $token: OPTIONS.token, $group_key: "company_id", $set: { a: 1 } }], "?verbose=1");
      assert.equal(refused.status, 200);
      const answer = await refused.json();
      assert.equal(answer.status, 0);
      assert.match(answer.error, /\$append/);
      await engage("/groups", [g(1, { $delete: null })]);
      assert.equal(mp.groups().has("company_id\u0000c1"), false);
    });
  });

  describe("failures on demand", () => {
    test("429 with Mixpanel's body, with and without Retry-After, then success", async () => {
      mp.failNext(1, { status: 429 });
      mp.failNext(1, { status: 429, retryAfter: "2" });
      const first = await postImport(events(2));
      assert.equal(first.status, 429);
      assert.equal(first.headers.get("retry-after"), null);
      assert.deepEqual(await first.json(), RATE_LIMITED);
      const second = await postImport(events(2));
      assert.equal(second.status, 429);
      assert.equal(second.headers.get("retry-after"), "2");
      assert.deepEqual(await second.json(), { code: 429, error: "Project exceeded rate limits. Please retry the request with exponential backoff.", status: "Too Many Requests" });
      assert.equal(mp.events().length, 0);
      assert.equal((await postImport(events(2))).status, 200);
      assert.deepEqual(mp.requests.map((r) => [r.status, r.count]), [[429, 2], [429, 2], [200, 2]]);
      assert.ok(mp.requests[0].at <= mp.requests[1].at && mp.requests[1].at <= mp.requests[2].at);
    });

    test("503 filtered by path leaves other paths alone; 502 and 500 too", async () => {
      mp.failNext(2, { status: 503, path: "/engage" });
      assert.equal((await postImport(events(1))).status, 200);
      const update = [{ $token: OPTIONS.token, $distinct_id: "u1", $set: { a: 1 } }];
      assert.equal((await engage("/engage", update)).status, 503);
      assert.equal((await engage("/engage", update)).status, 503);
      assert.equal((await engage("/engage", update)).status, 200);
      mp.failNext(1, { status: 502 });
      mp.failNext(1, { status: 500 });
      assert.equal((await postImport(events(1))).status, 502);
      assert.equal((await postImport(events(1))).status, 500);
      assert.throws(() => mp.failNext(1, { status: 200 }), TypeError);
      assert.throws(() => mp.failNext(0, { status: 503 }), TypeError);
    });

    test("drop destroys the socket after the body is read; nothing is stored", async () => {
      mp.failNext(1, { drop: true });
      await assert.rejects(postImport(events(3)), TypeError); // fetch failed
      assert.equal(mp.events().length, 0);
      const [dropped] = mp.requests;
      assert.equal(dropped.dropped, true);
      assert.equal(dropped.status, null);
      assert.equal(dropped.bytes, Buffer.byteLength(JSON.stringify(events(3))));
      assert.equal((await postImport(events(3))).status, 200);
    });
  });

  test("setDelay holds every answer, failures included; 0 answers at once", async () => {
    mp.setDelay(150);
    let start = performance.now();
    assert.equal((await postImport(events(1))).status, 200);
    assert.ok(performance.now() - start >= 140);
    mp.failNext(1, { status: 429 });
    start = performance.now();
    assert.equal((await postImport(events(1))).status, 429);
    assert.ok(performance.now() - start >= 140);
    mp.setDelay(0);
    start = performance.now();
    await postImport(events(1));
    assert.ok(performance.now() - start < 140);
    assert.ok(mp.requests.every((r) => r.answeredAt >= r.at));
    assert.throws(() => mp.setDelay(-1), TypeError);
  });

  test("reset empties stores, logs and pending failures", async () => {
    mp.failNext(5, { status: 503 });
    await postImport(events(1));
    mp.reset();
    assert.equal(mp.requests.length, 0);
    assert.equal((await postImport(events(1))).status, 200);
    assert.equal(mp.events().length, 1);
    assert.deepEqual(mp.state.totals, { requests: 1, bytes: Buffer.byteLength(JSON.stringify(events(1))) });
  });
});

describe("mixpanel stand-in options", () => {
  test("delayMs at start applies from the first request", async () => {
    const mp = await startMixpanelStandin({ ...OPTIONS, delayMs: 100 });
    try {
      const start = performance.now();
      await fetch(mp.url + IMPORT, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(events(1)) });
      assert.ok(performance.now() - start >= 90);
    } finally {
      await mp.close();
    }
  });

  test("the insert id key of failed_records can be spelled insert_id", async () => {
    const mp = await startMixpanelStandin({ ...OPTIONS, failedRecordKey: "insert_id" });
    try {
      const res = await fetch(mp.url + IMPORT, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify([event(0, { time: 1 })]) });
      assert.deepEqual((await res.json()).failed_records, [{ index: 0, insert_id: "row-0", field: "properties.time", message: "'properties.time' is invalid: before 1971-01-01" }]);
    } finally {
      await mp.close();
    }
  });

  test("missing credentials or token are refused at start", async () => {
    await assert.rejects(startMixpanelStandin({ ...OPTIONS, serviceAccount: undefined }), TypeError);
    await assert.rejects(startMixpanelStandin({ ...OPTIONS, token: "" }), TypeError);
  });

  test("tls: https with a throwaway self-signed certificate for 127.0.0.1", async () => {
    const mp = await startMixpanelStandin({ ...OPTIONS, tls: true });
    const request = (tlsOptions) =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify(events(2));
        const req = https.request(mp.url + IMPORT, { method: "POST", headers: { ...JSON_HEADERS, "content-length": Buffer.byteLength(body) }, ...tlsOptions }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode, text }));
        });
        req.on("error", reject);
        req.end(body);
      });
    try {
      assert.match(mp.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(mp.cert, /BEGIN CERTIFICATE/);
      assert.deepEqual(await request({ rejectUnauthorized: false, agent: false }), { status: 200, text: '{"code":200,"num_records_imported":2,"status":"OK"}' });
      // Trusting the certificate itself verifies too (it names IP 127.0.0.1).
      assert.equal((await request({ ca: mp.cert, agent: false })).status, 200);
      // Without either, the client refuses the self-signed certificate.
      await assert.rejects(request({ agent: false }), /self[- ]signed/i);
      assert.equal(mp.events().length, 2);
    } finally {
      await mp.close();
    }
  });

  test("parse=false: success after reading the body, counting bytes and requests only", async () => {
    const mp = await startMixpanelStandin({ ...OPTIONS, parse: false });
    try {
      const body = JSON.stringify(events(30));
      const res = await fetch(mp.url + IMPORT, { method: "POST", headers: JSON_HEADERS, body });
      assert.deepEqual(await res.json(), { code: 200, num_records_imported: 30, status: "OK" });
      const zipped = gzipSync(body);
      const res2 = await fetch(mp.url + IMPORT, { method: "POST", headers: { ...JSON_HEADERS, "content-encoding": "gzip" }, body: zipped });
      assert.equal((await res2.json()).num_records_imported, 30);
      // Invalid events are not looked at; auth still is.
      const junk = await fetch(mp.url + IMPORT, { method: "POST", headers: JSON_HEADERS, body: "[{not json" });
      assert.equal(junk.status, 200);
      const noAuth = await fetch(mp.url + IMPORT, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(noAuth.status, 401);
      const profile = await fetch(`${mp.url}/engage`, { method: "POST", body: "data=%5B%5D" });
      assert.equal(await profile.text(), "1");
      assert.equal(mp.events().length, 0);
      assert.deepEqual(mp.state.totals, { requests: 5, bytes: 2 * body.length + zipped.length + "[{not json".length + "data=%5B%5D".length });
      assert.deepEqual(mp.requests.map((r) => r.count), [30, 30, 0, null, null]);
    } finally {
      await mp.close();
    }
  });
});
