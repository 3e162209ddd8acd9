// Hostile input, as a table: one row per case, { name, call, expect }, across the JS API
// of the installed package. `expect` is either
//   { throws: code }           a CohortSyncError with that code (never a TypeError, a
//                              bare string or a wasm trap), or
//   { problem: code }          problems as data: a report whose errors include that code, or
//   { returns: (value) => … }  a custom check of what came back.
// After EVERY row the module must still answer (a trap would poison it), the long-lived
// CohortState and IdentityIndex handles must still work (a JS exception unwinding through
// a wasm method would leave them borrowed for good), and nothing may have touched
// Object.prototype or Array.prototype.
// Run by scripts/test-js.mjs from a scratch project where `cohort-sync` is the tarball.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as cs from "cohort-sync";
import { bytes, payload, text } from "../lib/payloads.mjs";
import { thrown } from "../lib/errors.mjs";

const {
  CohortState,
  IdentityIndex,
  classifyStatus,
  decodeSegmentMembership,
  diffMembers,
  encodeSegmentMembership,
  importBatches,
  matchMembers,
  parsePayload,
  planSync,
  resolveIdentity,
  segmentMembershipContains,
  validateEvents,
  validatePayload,
  webhookResponse,
} = cs;
const T = { timeout: 120_000 };

const GOOD = bytes(payload());
const MiB = 1024 * 1024;
const PLAN = { projectId: "1", cohortId: "2", sessionId: "s" };

// Long-lived handles, used by some rows and checked after every row.
const state = new CohortState();
state.apply(GOOD);
const index = new IdentityIndex(["known"]);

const protoKeys = () => [Object.getOwnPropertyNames(Object.prototype).sort(), Object.getOwnPropertyNames(Array.prototype).sort()];
const PROTO_BEFORE = protoKeys();

function healthy() {
  assert.equal(validatePayload(GOOD).valid, true, "the module stopped answering");
  assert.equal(state.size, 2, "the CohortState handle stopped working");
  assert.equal(state.has("user-0"), true);
  assert.equal(index.has("known"), true, "the IdentityIndex handle stopped working");
  assert.equal({}.polluted, undefined, "Object.prototype was polluted");
  assert.equal([].polluted, undefined);
  assert.deepEqual(protoKeys(), PROTO_BEFORE, "a prototype changed");
}

/** A body string with `edit` applied to its text. */
const edited = (edit, p = payload()) => edit(text(p));
/** The UTF-8 bytes of `before`, `raw` bytes, then `after`. */
const spliced = (before, raw, after) => new Uint8Array([...bytes(before), ...raw, ...bytes(after)]);
/** A page body whose first member's distinct id is `id` (JSON-escaped as given). */
const withId = (id) => text(payload()).replace('"user-0"', id);
/** A page body whose first distinct id holds `raw` bytes between "a" and "b". */
const rawInId = (raw) => {
  const [before, after] = withId('"a\\u0000b"').split("\\u0000");
  return spliced(before, raw, after);
};
const detached = () => {
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
};
const detachedView = (View) => {
  const view = new View(new ArrayBuffer(8));
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
};
const cyclic = () => {
  const o = { distinctId: "c" };
  o.self = o;
  return o;
};
const throwingGetter = (key) => Object.defineProperty({}, key, { enumerable: true, get() { throw new Error("getter"); } });
function* throwingIterator() {
  yield "a";
  throw new Error("iterator");
}
const deep = (n) => {
  let o = {};
  for (let i = 0; i < n; i++) o = { o };
  return o;
};
const ids = (n, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const reportWith = (code) => (r) => {
  assert.equal(r.valid, false);
  assert.ok(r.errors.some((e) => e.code === code), JSON.stringify(r.errors.slice(0, 3)));
};

const ROWS = [
  // ---- wrong types, undefined ---------------------------------------------------------
  { name: "validatePayload(undefined)", call: () => validatePayload(undefined), expect: { problem: "invalid_argument" } },
  { name: "validatePayload(null)", call: () => validatePayload(null), expect: { problem: "invalid_argument" } },
  { name: "validatePayload(42)", call: () => validatePayload(42), expect: { problem: "invalid_argument" } },
  { name: "validatePayload(the parsed webhook object) (a body, as frameworks hand it)", call: () => validatePayload(payload()), expect: { returns: (r) => assert.equal(r.valid, true) } },
  { name: "validatePayload(Symbol())", call: () => validatePayload(Symbol("s")), expect: { problem: "invalid_argument" } },
  { name: "validatePayload(10n)", call: () => validatePayload(10n), expect: { problem: "invalid_argument" } },
  { name: "validatePayload(a function)", call: () => validatePayload(() => text(payload())), expect: { problem: "invalid_argument" } },
  { name: "parsePayload(undefined)", call: () => parsePayload(undefined), expect: { throws: "invalid_argument" } },
  { name: "parsePayload([1, 2, 3]) (an object, read as a body: not_an_object)", call: () => parsePayload([1, 2, 3]), expect: { throws: "invalid_payload" } },
  { name: "options given as a string", call: () => validatePayload(GOOD, "maxMembers=1"), expect: { throws: "invalid_argument" } },
  { name: "options given as an array", call: () => validatePayload(GOOD, [1000]), expect: { throws: "invalid_argument" } },
  { name: "options with a typo (maxMember)", call: () => validatePayload(GOOD, { maxMember: 1 }), expect: { throws: "invalid_argument" } },
  { name: "options.maxMembers as a string", call: () => validatePayload(GOOD, { maxMembers: "10" }), expect: { throws: "invalid_argument" } },
  { name: "options.maxMembers as a fraction", call: () => validatePayload(GOOD, { maxMembers: 1.5 }), expect: { throws: "invalid_argument" } },
  { name: "classifyStatus('200')", call: () => classifyStatus("200"), expect: { throws: "invalid_argument" } },
  { name: "classifyStatus(undefined)", call: () => classifyStatus(undefined), expect: { throws: "invalid_argument" } },
  { name: "webhookResponse(Symbol())", call: () => webhookResponse(Symbol("a")), expect: { throws: "invalid_argument" } },
  { name: "webhookResponse with error.message a number", call: () => webhookResponse("members", { message: 5 }), expect: { throws: "invalid_argument" } },
  { name: "diffMembers(undefined, [])", call: () => diffMembers(undefined, []), expect: { throws: "invalid_argument" } },
  { name: "diffMembers('abc', []) (a string would iterate characters)", call: () => diffMembers("abc", []), expect: { throws: "invalid_argument" } },
  { name: "diffMembers([1, 2], [])", call: () => diffMembers([1, 2], []), expect: { throws: "invalid_argument" } },
  { name: "CohortState.fromBytes(undefined)", call: () => CohortState.fromBytes(undefined), expect: { throws: "invalid_argument" } },
  { name: "state.apply(undefined)", call: () => state.apply(undefined), expect: { throws: "invalid_argument" } },
  { name: "state.has(42)", call: () => state.has(42), expect: { throws: "invalid_argument" } },
  { name: "planSync without options", call: () => planSync(null, ["a"], undefined), expect: { throws: "invalid_argument" } },
  { name: "resolveIdentity(null, 'clevertap')", call: () => resolveIdentity(null, "clevertap"), expect: { throws: "invalid_argument" } },
  { name: "matchMembers with a plain object for the index", call: () => matchMembers(GOOD, { has: () => true }, "clevertap"), expect: { throws: "invalid_argument" } },

  // ---- huge inputs ----------------------------------------------------------------------
  {
    name: "a 50 MB distinct id in a body → body_too_large",
    call: () => validatePayload(withId(JSON.stringify("x".repeat(50_000_000)))),
    expect: { problem: "body_too_large" },
  },
  {
    name: "state.has(a 50 MB string) answers false",
    call: () => state.has("x".repeat(50_000_000)),
    expect: { returns: (r) => assert.equal(r, false) },
  },
  {
    name: "a 5 MB distinct id is refused (too_long): no store is asked to keep it",
    call: () => parsePayload(withId(JSON.stringify("y".repeat(5_000_000)))),
    expect: { throws: "invalid_payload" },
  },
  {
    name: "a 10 MiB + 1 byte body (bytes) → body_too_large",
    call: () => validatePayload(new Uint8Array(10 * MiB + 1).fill(0x20)),
    expect: { problem: "body_too_large" },
  },
  {
    name: "a 10 MiB + 1 byte body (string) → body_too_large",
    call: () => validatePayload(text(payload()).padEnd(10 * MiB + 1, " ")),
    expect: { problem: "body_too_large" },
  },
  {
    name: "a 10 MiB + 1 byte body to CohortState.apply → invalid_payload",
    call: () => state.apply(new Uint8Array(10 * MiB + 1).fill(0x20)),
    expect: { throws: "invalid_payload" },
  },
  {
    name: "1M members against maxMembers → too_many_members",
    call: () =>
      validatePayload(
        text(payload((p) => (p.parameters.members = ids(1_000_000).map((id) => ({ mixpanel_distinct_id: id }))))),
        { maxMembers: 1000, maxBytes: 64 * MiB },
      ),
    expect: { problem: "too_many_members" },
  },
  {
    name: "diffMembers of two 1M-id arrays",
    call: () => diffMembers(ids(1_000_000), ids(1_000_000, "v")),
    expect: { returns: (d) => assert.deepEqual([d.added.length, d.removed.length], [1_000_000, 1_000_000]) },
  },
  {
    name: "an IdentityIndex of 1M ids",
    call: () => {
      const big = new IdentityIndex(ids(1_000_000));
      const size = big.size;
      big.free();
      return size;
    },
    expect: { returns: (size) => assert.equal(size, 1_000_000) },
  },

  // ---- bytes that are not UTF-8 ---------------------------------------------------------
  { name: "a lone 0xFF byte", call: () => validatePayload(new Uint8Array([0xff])), expect: { problem: "invalid_utf8" } },
  { name: "an overlong NUL (C0 80) in a string", call: () => validatePayload(spliced('{"action":"', [0xc0, 0x80], '"}')), expect: { problem: "invalid_utf8" } },
  { name: "a UTF-8-encoded surrogate (ED A0 80) in an id", call: () => validatePayload(rawInId([0xed, 0xa0, 0x80])), expect: { problem: "invalid_utf8" } },
  {
    name: "a truncated sequence (E2 82) inside a distinct id → invalid_payload naming invalid_utf8",
    call: () => parsePayload(rawInId([0xe2, 0x82])),
    expect: { throws: "invalid_payload", problems: ["invalid_utf8"] },
  },
  { name: "CohortState.fromBytes(garbage)", call: () => CohortState.fromBytes(new Uint8Array([0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7])), expect: { throws: "invalid_snapshot" } },
  { name: "IdentityIndex.fromBytes(a cohort snapshot)", call: () => IdentityIndex.fromBytes(state.toBytes()), expect: { throws: "invalid_snapshot" } },
  {
    name: "validateEvents(bytes that are not UTF-8): a list-level problem",
    call: () => validateEvents(new Uint8Array([0x5b, 0xff, 0x5d])),
    expect: { returns: (r) => assert.deepEqual([r.valid, r.invalid, r.problems[0].code], [0, 0, "invalid_json"]) },
  },

  // ---- lone surrogates ------------------------------------------------------------------
  { name: "an escaped lone surrogate (\\ud800) in a distinct id", call: () => validatePayload(withId('"a\\ud800b"')), expect: { problem: "lone_surrogate" } },
  // A JS string body with a raw lone surrogate has no UTF-8 form: read as WTF-8, the
  // reader refuses it at its offset, rather than reading U+FFFD (another id than was sent).
  { name: "a raw lone surrogate in a body string", call: () => validatePayload(withId('"a\ud800b"')), expect: { problem: "invalid_utf8" } },
  { name: "a raw lone surrogate in a body string to CohortState.apply", call: () => state.apply(withId('"\udfff"')), expect: { throws: "invalid_payload", problems: ["invalid_utf8"] } },
  { name: "diffMembers(['\\udc00'], [])", call: () => diffMembers(["\udc00"], []), expect: { throws: "invalid_argument" } },
  { name: "new IdentityIndex(['\\ud800'])", call: () => new IdentityIndex(["\ud800"]), expect: { throws: "invalid_argument" } },
  { name: "index.add('\\ud800') is refused like the constructor refuses it", call: () => index.add("\ud800"), expect: { throws: "invalid_argument" } },
  { name: "state.has('\\udfff') is refused, not taken for U+FFFD", call: () => state.has("\udfff"), expect: { throws: "invalid_argument" } },
  {
    name: "segmentMembershipContains: two different lone surrogates are not one id",
    call: () => segmentMembershipContains("'\ud800'", "\udfff"),
    expect: { throws: "invalid_argument" },
  },
  { name: "planSync with a lone surrogate in sessionId", call: () => planSync(null, ["a"], { ...PLAN, sessionId: "s\ud800" }), expect: { throws: "invalid_argument" } },

  // ---- __proto__, constructor, prototype --------------------------------------------------
  {
    name: "__proto__/constructor/prototype keys in a member stay own data",
    call: () =>
      parsePayload(
        withId('"p", "__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "prototype": {"polluted": 3}'),
      ),
    expect: {
      returns: (page) => {
        const props = page.members[0].properties;
        assert.deepEqual(Object.keys(props).filter((k) => k !== "$CleverTap_user_id"), ["__proto__", "constructor", "prototype"]);
        assert.deepEqual(props.__proto__, { polluted: 1 });
        assert.equal(Object.getPrototypeOf(props), Object.prototype);
      },
    },
  },
  { name: "a __proto__ key in options is an unknown option", call: () => validatePayload(GOOD, JSON.parse('{"__proto__":{"maxMembers":0}}')), expect: { throws: "invalid_argument" } },
  { name: "a constructor key in options is an unknown option", call: () => validatePayload(GOOD, { constructor: { prototype: { polluted: 1 } } }), expect: { throws: "invalid_argument" } },
  {
    name: "__proto__ as a distinct id of a page object",
    call: () => {
      const s = new CohortState();
      const out = s.apply({ action: "add_members", sessionId: "x", page: { count: 1, total: 1 }, members: [{ distinctId: "__proto__" }, "constructor"] });
      const has = s.has("__proto__") && s.has("constructor") && !s.has("prototype");
      s.free();
      return { out, has };
    },
    expect: { returns: (r) => assert.deepEqual([r.out.added, r.has], [["__proto__", "constructor"], true]) },
  },
  {
    name: "resolveIdentity by a __proto__ property",
    call: () => resolveIdentity(JSON.parse('{"mixpanel_distinct_id":"d","__proto__":"p"}'), { properties: ["__proto__"] }),
    expect: { returns: (r) => assert.deepEqual(r, { identity: "p", source: "__proto__" }) },
  },

  // ---- numbers past 2^53, NaN, Infinity ------------------------------------------------------
  { name: "page_count 2^53 + 1 in a body", call: () => validatePayload(edited((t) => t.replace('"page_count":1', '"page_count":9007199254740993'))), expect: { problem: "page_out_of_range" } },
  { name: "total_pages 1e400 in a body", call: () => validatePayload(edited((t) => t.replace('"total_pages":1', '"total_pages":1e400'))), expect: { problem: "page_out_of_range" } },
  { name: "options.maxBytes 2^53 + 2", call: () => validatePayload(GOOD, { maxBytes: 2 ** 53 + 2 }), expect: { throws: "invalid_argument" } },
  { name: "options.maxMembers NaN", call: () => validatePayload(GOOD, { maxMembers: NaN }), expect: { throws: "invalid_argument" } },
  { name: "options.maxMembers Infinity", call: () => validatePayload(GOOD, { maxMembers: Infinity }), expect: { throws: "invalid_argument" } },
  { name: "options.maxBytes -Infinity", call: () => validatePayload(GOOD, { maxBytes: -Infinity }), expect: { throws: "invalid_argument" } },
  { name: "classifyStatus(NaN)", call: () => classifyStatus(NaN), expect: { throws: "invalid_argument" } },
  { name: "planSync batchSize Infinity", call: () => planSync(null, ["a"], { ...PLAN, batchSize: Infinity }), expect: { throws: "invalid_argument" } },
  {
    name: "a page object with count 1e21 (JSON.stringify writes 1e+21)",
    call: () => new CohortState().apply({ action: "members", sessionId: "s", page: { count: 1e21, total: 1e21 }, members: [] }),
    expect: { throws: "invalid_argument" },
  },

  // ---- nesting ------------------------------------------------------------------------------
  { name: "100 000-deep [[[[ body", call: () => validatePayload("[".repeat(100_000)), expect: { problem: "nesting_too_deep" } },
  { name: "100 000-deep body to parsePayload", call: () => parsePayload('{"a":'.repeat(100_000)), expect: { throws: "invalid_payload", problems: ["nesting_too_deep"] } },
  { name: "100 000-deep JS object in planSync's members", call: () => planSync(null, [{ distinctId: "a", properties: { deep: deep(100_000) } }], PLAN), expect: { throws: "invalid_argument" } },
  {
    name: "100 000-deep NDJSON event: a list-level problem",
    call: () => validateEvents("[".repeat(100_000)),
    expect: { returns: (r) => assert.deepEqual([r.valid, r.problems[0].code], [0, "invalid_json"]) },
  },

  // ---- duplicate keys -------------------------------------------------------------------------
  { name: "action given twice", call: () => validatePayload(edited((t) => t.replace('"action":"members"', '"action":"members","action":"remove_members"'))), expect: { problem: "duplicate_key" } },
  { name: "mixpanel_distinct_id given twice in a member", call: () => validatePayload(withId('"a","mixpanel_distinct_id":"b"')), expect: { problem: "duplicate_key" } },

  // ---- BigInt, Symbol, cycles, getters, Proxies -----------------------------------------------
  { name: "options.maxMembers 10n", call: () => validatePayload(GOOD, { maxMembers: 10n }), expect: { throws: "invalid_argument" } },
  { name: "diffMembers([10n])", call: () => diffMembers([10n], []), expect: { throws: "invalid_argument" } },
  { name: "diffMembers([Symbol()])", call: () => diffMembers([Symbol("s")], []), expect: { throws: "invalid_argument" } },
  { name: "state.has(Symbol())", call: () => state.has(Symbol("s")), expect: { throws: "invalid_argument" } },
  { name: "a cyclic page object to state.apply", call: () => state.apply(cyclic()), expect: { throws: "invalid_argument" } },
  { name: "a cyclic member in planSync", call: () => planSync(null, [cyclic()], PLAN), expect: { throws: "invalid_argument" } },
  { name: "an options getter that throws", call: () => validatePayload(GOOD, throwingGetter("maxMembers")), expect: { throws: "invalid_argument" } },
  { name: "an options getter that throws, on a CohortState method", call: () => state.apply(GOOD, throwingGetter("maxBytes")), expect: { throws: "invalid_argument" } },
  { name: "a member getter that throws (resolveIdentity)", call: () => resolveIdentity(throwingGetter("mixpanel_distinct_id"), "clevertap"), expect: { throws: "invalid_argument" } },
  { name: "an iterator that throws (diffMembers)", call: () => diffMembers(throwingIterator(), []), expect: { throws: "invalid_argument" } },
  {
    name: "a Proxy options object whose ownKeys trap throws",
    call: () => validatePayload(GOOD, new Proxy({}, { ownKeys() { throw new Error("trap"); } })),
    expect: { throws: "invalid_argument" },
  },
  {
    name: "a Proxy options object whose ownKeys trap throws, on a CohortState method",
    call: () => state.apply(GOOD, new Proxy({}, { ownKeys() { throw new Error("trap"); } })),
    expect: { throws: "invalid_argument" },
  },
  {
    name: "a Proxy around a page object (its get trap throws)",
    call: () => state.apply(new Proxy({ action: "members" }, { get() { throw new Error("trap"); } })),
    expect: { throws: "invalid_argument" },
  },
  {
    name: "a revoked Proxy as a body",
    call: () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return validatePayload(proxy);
    },
    expect: { problem: "invalid_argument" },
  },
  {
    name: "a revoked Proxy as a body, on a CohortState method",
    call: () => {
      const { proxy, revoke } = Proxy.revocable([], {});
      revoke();
      return state.apply(proxy);
    },
    expect: { throws: "invalid_argument" },
  },
  {
    name: "a revoked Proxy as a CleverTap upload",
    call: () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return cs.readCleverTapResponse(proxy, 200, "");
    },
    expect: { throws: "invalid_argument" },
  },
  {
    name: "a revoked Proxy as identity rule properties, on an IdentityIndex method",
    call: () => {
      const { proxy, revoke } = Proxy.revocable([], {});
      revoke();
      return matchMembers(GOOD, index, { properties: proxy });
    },
    expect: { throws: "invalid_argument" },
  },
  {
    name: "an options getter that frees the state it is applied to",
    call: () => {
      const s = new CohortState();
      // free() inside the call fails (the handle is in use): its getter throws, so the
      // options cannot be read; the state is then freed for good, not half-alive.
      thrown(() => s.apply(GOOD, { get maxMembers() { s.free(); return 10; } }), "invalid_argument");
      return () => s.size;
    },
    expect: { returns: (size) => thrown(size, "invalid_argument") },
  },
  {
    name: "a toJSON that calls back into the same state during apply is refused, and the state lives on",
    call: () => state.apply({ toJSON: () => ({ action: "add_members", sessionId: `re-${state.size}`, page: { count: 1, total: 1 }, members: [] }) }),
    expect: { throws: "invalid_argument" },
  },
  {
    name: "a Proxy around an id array is read like the array",
    call: () => diffMembers(new Proxy(["a", "b"], {}), ["b", "c"]),
    expect: { returns: (d) => assert.deepEqual(d, { added: ["c"], removed: ["a"] }) },
  },

  // ---- typed arrays of other kinds, detached and shared buffers, frozen objects ---------------
  {
    name: "a Uint16Array body is read as its bytes",
    call: () => validatePayload(new Uint16Array(GOOD.buffer.slice(0, GOOD.length - (GOOD.length % 2)))),
    expect: { returns: (r) => assert.equal(typeof r.valid, "boolean") },
  },
  {
    name: "a Float64Array over the body's bytes is read as those bytes",
    call: () => {
      const padded = new Uint8Array(Math.ceil(GOOD.length / 8) * 8).fill(0x20);
      padded.set(GOOD);
      return validatePayload(new Float64Array(padded.buffer));
    },
    expect: { returns: (r) => assert.equal(r.valid, true) },
  },
  { name: "a DataView over part of a buffer", call: () => validatePayload(new DataView(spliced("xx", [], text(payload()) + "yy").buffer, 2, GOOD.length)), expect: { returns: (r) => assert.equal(r.valid, true) } },
  { name: "a BigInt64Array of garbage", call: () => validatePayload(new BigInt64Array([1n, -1n])), expect: { problem: "invalid_json" } },
  { name: "a detached ArrayBuffer body", call: () => validatePayload(detached()), expect: { problem: "empty_body" } },
  { name: "a view of a detached buffer", call: () => validatePayload(detachedView(Uint8Array)), expect: { problem: "empty_body" } },
  { name: "a DataView of a detached buffer (its byteLength throws)", call: () => validatePayload(detachedView(DataView)), expect: { problem: "invalid_argument" } },
  { name: "a DataView of a detached buffer, on a CohortState method", call: () => state.apply(detachedView(DataView)), expect: { throws: "invalid_argument" } },
  { name: "a detached ArrayBuffer to state.apply", call: () => state.apply(detached()), expect: { throws: "invalid_payload" } },
  { name: "a detached ArrayBuffer to CohortState.fromBytes", call: () => CohortState.fromBytes(detached()), expect: { throws: "invalid_snapshot" } },
  {
    name: "a SharedArrayBuffer-backed view is read",
    call: () => {
      const shared = new Uint8Array(new SharedArrayBuffer(GOOD.length));
      shared.set(GOOD);
      return validatePayload(shared);
    },
    expect: { returns: (r) => assert.equal(r.valid, true) },
  },
  {
    name: "frozen options and a frozen page object",
    call: () => {
      const page = Object.freeze(parsePayload(GOOD));
      const s = new CohortState();
      const out = s.apply(page, Object.freeze({ maxMembers: 10 }));
      s.free();
      return out;
    },
    expect: { returns: (r) => assert.equal(r.size, 2) },
  },
  {
    name: "a frozen id array to encodeSegmentMembership",
    call: () => encodeSegmentMembership(Object.freeze(["1", "2"])),
    expect: { returns: (r) => assert.equal(r, "'1','2'") },
  },
  { name: "decodeSegmentMembership(a frozen String object)", call: () => decodeSegmentMembership(Object.freeze(new String("'1'"))), expect: { throws: "invalid_argument" } },
  { name: "importBatches(a frozen empty array)", call: () => importBatches(Object.freeze([])), expect: { returns: (r) => assert.deepEqual(r, []) } },
];

describe("hostile input table", () => {
  test("has at least 50 named cases, each named once", () => {
    assert.ok(ROWS.length >= 50, `${ROWS.length} rows`);
    assert.equal(new Set(ROWS.map((r) => r.name)).size, ROWS.length);
  });

  for (const { name, call, expect } of ROWS) {
    test(name, T, () => {
      if (expect.throws) {
        const e = thrown(call, expect.throws);
        for (const code of expect.problems ?? []) {
          assert.ok(e.problems.some((p) => p.code === code), `${code} not in ${JSON.stringify(e.problems.slice(0, 3))}`);
        }
      } else if (expect.problem) {
        reportWith(expect.problem)(call());
      } else {
        expect.returns(call());
      }
      healthy();
    });
  }
});
