// The console's pure pieces, in Node: how a dead letter's error and load read, and how
// the Worker's sync entries become one sync per session.
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { root } from "../lib/browser-pages.mjs";

// The modules read `matchMedia` when loaded (the charts follow the colour scheme); Node has none.
globalThis.matchMedia ??= () => ({ addEventListener() {} });
const { carriedWords, errorWords } = await import(pathToFileURL(join(root, "www/lib/console/dead-letters.js")).href);
const { figures, mergeSyncs } = await import(pathToFileURL(join(root, "www/lib/console/cohort-view.js")).href);

test("an error in words: who refused, why and the status; CleverTap's per-record refusals as a count and their reasons; other errors as they are, cut", () => {
  assert.equal(errorWords('HTTP 400: {"status":"fail","error":"Invalid account id"}', "clevertap"), "CleverTap refused it: “Invalid account id” (HTTP 400 Bad Request)");
  assert.equal(errorWords('HTTP 401: {"message":"Invalid API key: x"}', "braze"), "Braze refused it: “Invalid API key: x” (HTTP 401 Unauthorized)");
  assert.equal(errorWords('HTTP 400: {"errors":["bad id","too long"]}', "braze"), "Braze refused it: “bad id; too long” (HTTP 400 Bad Request)");
  // An answer cut at 200 characters is no JSON any more; its quoted reason is still found.
  assert.equal(errorWords(`HTTP 400: {"error":"no such account","detail":"${"x".repeat(300)}`, "clevertap"), "CleverTap refused it: “no such account” (HTTP 400 Bad Request)");
  assert.equal(errorWords("HTTP 403: Forbidden", "clevertap"), "CleverTap refused it (HTTP 403 Forbidden): Forbidden");
  assert.equal(errorWords("Mixpanel: 0", "mixpanel"), "Mixpanel did not take the update: “0”");
  const records = Array.from({ length: 5 }, (_, i) => ({ record: { identity: `u${i}` }, code: 509, error: i < 4 ? "bad identity" : "too long" }));
  assert.equal(errorWords(JSON.stringify(records), "clevertap"), "CleverTap refused some records: bad identity; too long (5 records listed)");
  assert.equal(errorWords(JSON.stringify([{ code: 509 }]), "clevertap"), "CleverTap refused some records: code 509 (1 record listed)");
  assert.equal(errorWords("x".repeat(300)), `${"x".repeat(240)}…`);
  assert.equal(errorWords("[]"), "[]");
});

test("what letters carried, added up", () => {
  const letter = (carried) => ({ carried });
  assert.equal(carriedWords([letter({ records: 10, joins: 10, departures: 0 }), letter({ records: 3, joins: 0, departures: 3 })]), "10 joins and 3 departures");
  assert.equal(carriedWords([letter({ records: 4, joins: 2, departures: 0 })]), "2 joins, with 2 profile records");
  assert.equal(carriedWords([letter({ records: 7, joins: null, departures: null })]), "7 profile updates");
  assert.equal(carriedWords([letter({ records: 1, joins: 1, departures: 0 }), letter(null)]), "1 join (1 letter not counted)");
  assert.equal(carriedWords([letter(null)]), null);
});

test("a diff's two actions are one sync; figures carry a sign only on a change", () => {
  const entry = (sessionId, action, extra = {}) => ({
    sessionId, action, status: "complete", pages: { received: 1, total: 1 }, missingPages: [], firstPageAt: "2026-12-01T10:00:00.000Z", lastPageAt: "2026-12-01T10:00:01.000Z",
    added: 0, removed: 0, replays: 0, refused: { count: 0, lastReason: null }, size: null, ...extra,
  });
  const merged = mergeSyncs([
    entry("d1", "remove_members", { removed: 3, lastPageAt: "2026-12-01T10:00:05.000Z" }),
    entry("d1", "add_members", { added: 2, status: "open", pages: { received: 1, total: 2 }, missingPages: [2] }),
    entry("f1", "members", { added: 25, size: 25 }),
  ]);
  assert.deepEqual(merged.map((s) => [s.sessionId, s.actions, s.status, s.added, s.removed, s.lastPageAt, s.size, s.kind]), [
    ["d1", ["add_members", "remove_members"], "open", 2, 3, "2026-12-01T10:00:05.000Z", null, "diff"],
    ["f1", ["members"], "complete", 25, 0, "2026-12-01T10:00:01.000Z", 25, "full sync"],
  ]);
  assert.equal(figures(merged[0]), "+2 added · −3 removed · 0 pages replayed · 0 pages refused");
  assert.equal(figures({ ...merged[1], refused: { count: 1 } }), "+25 added · 0 removed · 0 pages replayed · 1 page refused");
});
