// Identity, destinations, audiences and ingestion (docs/api.md "Identity and destinations",
// "Audience encoding (SegmentMembership)", "Mixpanel ingestion"; docs/domain.md) through
// the packed and installed package: the documented examples, batch limits on big inputs and
// hostile input. Run by scripts/test-js.mjs from a scratch project where `cohort-sync`
// is the installed tarball.
//
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as cs from "cohort-sync";
import { member, payload, text } from "../lib/payloads.mjs";
import { thrown } from "../lib/errors.mjs";

const {
  CohortSyncError,
  IdentityIndex,
  audienceProperties,
  brazeCohortChanges,
  cleverTapUploads,
  decodeSegmentMembership,
  encodeSegmentMembership,
  engageBatches,
  engageUrl,
  segmentMembershipUpdates,
  importBatches,
  isMtuExempt,
  matchMembers,
  parsePayload,
  readCleverTapResponse,
  resolveIdentity,
  segmentMembershipContains,
  validateEvents,
  validateProfiles,
} = cs;
const T = { timeout: 60_000 }; // a hang fails the test instead of the run

const NOW_MS = 1_700_000_000_000; // 2023-11-14T22:13:20Z
const TS = 1_700_000_000;
const TEN_MB = 10 * 1024 * 1024;
const utf8 = (s) => new TextEncoder().encode(s);
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** `fn()` either returns or throws a CohortSyncError (never a TypeError, a trap, a string). */
function answers(fn) {
  try {
    return { value: fn() };
  } catch (e) {
    assert.ok(e instanceof CohortSyncError, `not a CohortSyncError: ${e?.stack ?? e}`);
    assert.equal(typeof e.code, "string");
    assert.ok(e.message.length > 0);
    return { error: e };
  }
}

/** A webhook body of `members` (raw member objects) for `action`. */
function body(action, members, edit = () => {}) {
  return text(
    payload(
      (p) => {
        p.parameters.members = members;
        edit(p);
      },
      { action },
    ),
  );
}

/** A parsed page of any size (parsePayload's maxMembers lifted). */
const bigPage = (action, members) => parsePayload(body(action, members), { maxMembers: members.length });

const PARTNER_SYNC = (action, name = "Power users", id = "98765") => ({
  "Partner Segment Name": name,
  Action: action,
  "Partner Segment ID": id,
  "CT Source": "Mixpanel",
  "Partner Name": "Mixpanel",
});
const syncEvent = (identity, action, ts = TS) => ({
  identity,
  ts,
  type: "event",
  evtName: "Partner Sync",
  evtData: PARTNER_SYNC(action),
});
const profileRecord = (identity, profileData, ts = TS) => ({ identity, ts, type: "profile", profileData });

/** A valid Mixpanel /import event. */
const event = (i, extra = {}) => ({
  event: "Signed up",
  properties: { time: 1_699_999_000, distinct_id: `u-${i}`, $insert_id: `ins-${i}`, ...extra },
});
/** The values Mixpanel refuses as a distinct_id or an $insert_id. */
const PLACEHOLDERS = ["00000000-0000-0000-0000-000000000000", "anon", "anonymous", "nil", "none", "null", "n/a", "na", "undefined",
  "unknown", "<nil>", "0", "-1", "true", "false", "[]", "{}"];
const userUpdate = (i, extra = {}) => ({ $token: "tok", $distinct_id: `u-${i}`, $set: { plan: "pro" }, ...extra });
const groupUpdate = (i, extra = {}) => ({ $token: "tok", $group_key: "company", $group_id: `c-${i}`, $set: { n: i }, ...extra });

const MTU_EXEMPT = [
  "Notification Sent",
  "Notification Viewed",
  "Notification Clicked",
  "Push Impressions",
  "Notification Replied",
  "Push Unregistered",
  "Control Group",
  "Channel Unsubscribed",
  "Reachable By",
  "Notification Delivered",
  "AB Experiment Rendered",
  "AB Experiment Stopped",
  "AB Experiment Rolled Out",
  "Geocluster Entered",
  "Geocluster Exited",
  "Reply Sent",
  "App Uninstalled",
  "Webhook Delivered",
  "State Transitioned",
  "UTM Visited",
];

/** The module still answers correctly (after something was thrown at it). */
function assertStillWorks() {
  assert.deepEqual(resolveIdentity({ mixpanel_distinct_id: "986791", $CleverTap_user_id: "123456" }, "clevertap"), {
    identity: "123456",
    source: "$CleverTap_user_id",
  });
  const index = new IdentityIndex(["a"]);
  assert.equal(index.has("a"), true);
  assert.deepEqual(matchMembers(body("add_members", [{ mixpanel_distinct_id: "a" }]), index, "clevertap").matched, [
    { distinctId: "a", identity: "a" },
  ]);
  index.free();
  assert.deepEqual(cleverTapUploads(body("remove_members", [{ mixpanel_distinct_id: "x" }]), { ts: TS }), [
    { d: [syncEvent("x", "Removed")] },
  ]);
  assert.equal(encodeSegmentMembership(["11036", "11034"]), "'11036','11034'");
  assert.deepEqual(decodeSegmentMembership("'11036','11034'"), ["11036", "11034"]);
  assert.equal(segmentMembershipContains("'11036','11034'", "1103"), false);
  assert.equal(validateEvents([event(1)], { now: NOW_MS }).valid, 1);
  assert.equal(isMtuExempt("Notification Sent"), true);
}

// ---- Identity ---------------------------------------------------------------------

describe("resolveIdentity (docs/domain.md, identity matching)", () => {
  test("CleverTap Scenario 1: no $CleverTap_user_id, distinct id 123456 → identity 123456", T, () => {
    assert.deepEqual(resolveIdentity({ mixpanel_distinct_id: "123456" }, "clevertap"), {
      identity: "123456",
      source: "mixpanel_distinct_id",
    });
  });

  test("CleverTap Scenario 2: $CleverTap_user_id 123456, distinct id 986791 → identity 123456", T, () => {
    const raw = { mixpanel_distinct_id: "986791", $CleverTap_user_id: "123456" };
    const expected = { identity: "123456", source: "$CleverTap_user_id" };
    assert.deepEqual(resolveIdentity(raw, "clevertap"), expected);
    // The same member as parsePayload decodes it.
    const [parsed] = parsePayload(body("add_members", [raw])).members;
    assert.deepEqual(resolveIdentity(parsed, "clevertap"), expected);
  });

  test("CleverTap: an integer id counts, an empty string or other types fall back", T, () => {
    const r = (v) => resolveIdentity({ mixpanel_distinct_id: "d", $CleverTap_user_id: v }, "clevertap");
    assert.deepEqual(r(42), { identity: "42", source: "$CleverTap_user_id" });
    assert.deepEqual(r(-3), { identity: "-3", source: "$CleverTap_user_id" });
    for (const v of ["", null, true, 1.5, { id: 1 }, ["x"]]) {
      assert.deepEqual(r(v), { identity: "d", source: "mixpanel_distinct_id" }, JSON.stringify(v));
    }
  });

  test("Braze: $braze_external_id, no fallback; a custom property; $user_id under Simplified ID Merge", T, () => {
    const raw = { mixpanel_distinct_id: "d", $braze_external_id: "b", $user_id: "u", ext: "e" };
    assert.deepEqual(resolveIdentity(raw, "braze"), { identity: "b", source: "$braze_external_id" });
    assert.deepEqual(resolveIdentity(raw, { braze: {} }), { identity: "b", source: "$braze_external_id" });
    assert.deepEqual(resolveIdentity(raw, { braze: { userIdProperty: "ext" } }), { identity: "e", source: "ext" });
    assert.deepEqual(resolveIdentity(raw, { braze: { simplifiedIdMerge: true } }), { identity: "u", source: "$user_id" });
    assert.deepEqual(resolveIdentity(raw, { braze: { simplifiedIdMerge: false } }), { identity: "b", source: "$braze_external_id" });
    // A member with no matching property cannot be matched: null, never a guess.
    assert.equal(resolveIdentity({ mixpanel_distinct_id: "d" }, "braze"), null);
    assert.equal(resolveIdentity({ mixpanel_distinct_id: "d", $braze_external_id: "" }, "braze"), null);
    assert.equal(resolveIdentity({ mixpanel_distinct_id: "d", $braze_external_id: "b" }, { braze: { simplifiedIdMerge: true } }), null);
  });

  test("properties: the first usable one, then the distinct id unless fallbackToDistinctId is false", T, () => {
    const raw = { mixpanel_distinct_id: "d", a: "", b: "B", c: "C" };
    assert.deepEqual(resolveIdentity(raw, { properties: ["a", "b", "c"] }), { identity: "B", source: "b" });
    assert.deepEqual(resolveIdentity(raw, { properties: ["zz"] }), { identity: "d", source: "mixpanel_distinct_id" });
    assert.deepEqual(resolveIdentity(raw, { properties: ["zz"], fallbackToDistinctId: true }), {
      identity: "d",
      source: "mixpanel_distinct_id",
    });
    assert.equal(resolveIdentity(raw, { properties: ["a", "zz"], fallbackToDistinctId: false }), null);
  });

  test("a __proto__ property is an ordinary property, and results are plain objects", T, () => {
    const raw = JSON.parse('{"mixpanel_distinct_id":"d","__proto__":"p"}');
    const r = resolveIdentity(raw, { properties: ["__proto__"] });
    assert.deepEqual(r, { identity: "p", source: "__proto__" });
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.equal({}.identity, undefined);
  });

  test("a bad rule is invalid_argument", T, () => {
    const raw = { mixpanel_distinct_id: "d" };
    for (const rule of [
      undefined,
      null,
      "",
      "CleverTap",
      "mixpanel",
      5,
      true,
      {},
      [],
      { braze: 5 },
      { braze: { userIdProperty: 5 } },
      { braze: { simplifiedIdMerge: "yes" } },
      { properties: "email" },
      { properties: [5] },
      { properties: [""] },
      { properties: ["a"], fallbackToDistinctId: "no" },
      { properties: ["a"], extra: 1 },
    ]) {
      thrown(() => resolveIdentity(raw, rule), "invalid_argument");
    }
    assertStillWorks();
  });

  test("a bad member is invalid_argument", T, () => {
    for (const m of [
      null,
      undefined,
      "d",
      5,
      [],
      {},
      { mixpanel_distinct_id: 5 },
      { mixpanel_distinct_id: null },
      { distinctId: 5 },
      { mixpanel_distinct_id: "d", big: 1n },
    ]) {
      thrown(() => resolveIdentity(m, "clevertap"), "invalid_argument");
    }
    const cyclic = { mixpanel_distinct_id: "d" };
    cyclic.self = cyclic;
    thrown(() => resolveIdentity(cyclic, "clevertap"), "invalid_argument");
    assertStillWorks();
  });
});

describe("IdentityIndex", () => {
  test("add / has / size, from any iterable of strings", T, () => {
    const index = new IdentityIndex(["a", "b"]);
    assert.equal(index.size, 2);
    assert.equal(index.add("c"), true);
    assert.equal(index.add("a"), false);
    assert.equal(index.size, 3);
    assert.equal(index.has("c"), true);
    assert.equal(index.has("C"), false);
    assert.ok(index.memoryBytes > 0);
    index.free();
    assert.equal(new IdentityIndex().size, 0);
    assert.equal(new IdentityIndex(null).size, 0);
    assert.equal(new IdentityIndex(new Set(["x", "y"])).size, 2);
    assert.equal(new IdentityIndex((function* () { yield "x"; yield "y"; yield "x"; })()).size, 2);
    assert.equal(new IdentityIndex(new Map([["k", 1]]).keys()).size, 1);
  });

  test("toBytes / fromBytes round trip, 200 000 ids", T, () => {
    const ids = range(200_000).map((i) => `ct-${i}`);
    const index = new IdentityIndex(ids);
    assert.equal(index.size, ids.length);
    const bytes = index.toBytes();
    assert.ok(bytes instanceof Uint8Array);
    const back = IdentityIndex.fromBytes(bytes);
    assert.equal(back.size, ids.length);
    for (const i of [0, 1, 99_999, 199_999]) assert.equal(back.has(`ct-${i}`), true);
    assert.equal(back.has("ct-200000"), false);
    assert.deepEqual(Array.from(back.toBytes()), Array.from(bytes));
    // An ArrayBuffer of the snapshot works too.
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    assert.equal(IdentityIndex.fromBytes(buffer).size, ids.length);
    index.free();
    back.free();
  });

  test("corrupt, truncated or foreign bytes are invalid_snapshot; non-bytes invalid_argument", T, () => {
    const bytes = new IdentityIndex(["a", "b", "c"]).toBytes();
    for (let n = 0; n < bytes.length; n++) thrown(() => IdentityIndex.fromBytes(bytes.slice(0, n)), "invalid_snapshot");
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] ^= 0x01;
      thrown(() => IdentityIndex.fromBytes(bad), "invalid_snapshot");
    }
    thrown(() => IdentityIndex.fromBytes(new Uint8Array(64)), "invalid_snapshot");
    const extra = new Uint8Array(bytes.length + 1);
    extra.set(bytes);
    thrown(() => IdentityIndex.fromBytes(extra), "invalid_snapshot");
    for (const v of [null, undefined, "CSII", 5, {}, [1, 2, 3]]) thrown(() => IdentityIndex.fromBytes(v), "invalid_argument");
    assertStillWorks();
  });

  test("non-string ids are invalid_argument and change nothing", T, () => {
    for (const ids of ["abc", 5, {}, [1], [null], ["ok", 2], [["a"]], [{}]]) {
      thrown(() => new IdentityIndex(ids), "invalid_argument");
    }
    const index = new IdentityIndex(["a"]);
    for (const id of [5, null, undefined, {}, ["a"], 1n, Symbol("s")]) {
      thrown(() => index.add(id), "invalid_argument");
      thrown(() => index.has(id), "invalid_argument");
    }
    assert.equal(index.size, 1);
    assert.equal(index.has("a"), true);
    index.free();
    index.free(); // idempotent
    thrown(() => index.has("a"), "invalid_argument");
    thrown(() => index.add("a"), "invalid_argument");
    thrown(() => index.size, "invalid_argument");
    thrown(() => index.toBytes(), "invalid_argument");
    assertStillWorks();
  });
});

describe("matchMembers", () => {
  const members = [
    { mixpanel_distinct_id: "986791", $CleverTap_user_id: "123456" },
    { mixpanel_distinct_id: "123456" },
    { mixpanel_distinct_id: "new-1" },
    { mixpanel_distinct_id: "q", $braze_external_id: "known" },
  ];

  test("matched, created and skipped; raw body, bytes and parsed page agree; the index is untouched", T, () => {
    const index = new IdentityIndex(["123456", "known"]);
    const expected = {
      matched: [
        { distinctId: "986791", identity: "123456" },
        { distinctId: "123456", identity: "123456" },
      ],
      created: [
        { distinctId: "new-1", identity: "new-1" },
        { distinctId: "q", identity: "q" },
      ],
      skipped: [],
    };
    const raw = body("add_members", members);
    assert.deepEqual(matchMembers(raw, index, "clevertap"), expected);
    assert.deepEqual(matchMembers(utf8(raw), index, "clevertap"), expected);
    assert.deepEqual(matchMembers(parsePayload(raw), index, "clevertap"), expected);
    assert.equal(index.size, 2);
    assert.equal(index.has("new-1"), false);

    const braze = matchMembers(raw, index, "braze");
    assert.deepEqual(braze.matched, [{ distinctId: "q", identity: "known" }]);
    assert.deepEqual(braze.created, []);
    assert.deepEqual(
      braze.skipped,
      ["986791", "123456", "new-1"].map((distinctId) => ({ distinctId, reason: "no_identity" })),
    );
    index.free();
  });

  test("2500 members: every member lands in exactly one list", T, () => {
    const all = range(2500).map((i) => ({
      mixpanel_distinct_id: `d-${i}`,
      ...(i % 3 === 0 ? { $braze_external_id: `b-${i}` } : {}),
    }));
    const index = new IdentityIndex(range(2500).filter((i) => i % 6 === 0).map((i) => `b-${i}`));
    const r = matchMembers(bigPage("members", all), index, "braze");
    assert.equal(r.matched.length, 417);
    assert.equal(r.created.length, 417);
    assert.equal(r.skipped.length, 1666);
    const seen = [...r.matched, ...r.created, ...r.skipped].map((e) => e.distinctId).sort();
    assert.deepEqual(seen, all.map((m) => m.mixpanel_distinct_id).sort());
    index.free();
  });

  test("bad page, index or rule: a CohortSyncError", T, () => {
    const index = new IdentityIndex();
    const raw = body("add_members", members);
    thrown(() => matchMembers(null, index, "clevertap"), "invalid_argument");
    thrown(() => matchMembers(5, index, "clevertap"), "invalid_argument");
    thrown(() => matchMembers({}, index, "clevertap"), "invalid_argument");
    thrown(() => matchMembers({ members: 5 }, index, "clevertap"), "invalid_argument");
    thrown(() => matchMembers("{", index, "clevertap"), "invalid_payload");
    thrown(() => matchMembers("{}", index, "clevertap"), "invalid_payload");
    thrown(() => matchMembers(raw, {}, "clevertap"), "invalid_argument");
    thrown(() => matchMembers(raw, null, "clevertap"), "invalid_argument");
    thrown(() => matchMembers(raw, index, "nope"), "invalid_argument");
    thrown(() => matchMembers(raw, index, undefined), "invalid_argument");
    index.free();
    thrown(() => matchMembers(raw, index, "clevertap"), "invalid_argument");
    assertStillWorks();
  });
});

// ---- CleverTap --------------------------------------------------------------------

describe("cleverTapUploads (docs/domain.md, CleverTap)", () => {
  test("Partner Sync events and profile records, as CleverTap documents them", T, () => {
    const raw = body("add_members", [
      { mixpanel_distinct_id: "986791", $CleverTap_user_id: "123456", email: "ada@example.com", phone_number: "+15555550100" },
      { mixpanel_distinct_id: "777" },
      { mixpanel_distinct_id: "888", email: "bob@example.com" },
      { mixpanel_distinct_id: "999", phone_number: "+15555550199" },
    ]);
    assert.deepEqual(cleverTapUploads(raw, { ts: TS }), [
      {
        d: [
          syncEvent("123456", "Added"),
          profileRecord("123456", { Email: "ada@example.com", Phone: "+15555550100" }),
          syncEvent("777", "Added"),
          syncEvent("888", "Added"),
          profileRecord("888", { Email: "bob@example.com" }),
          syncEvent("999", "Added"),
          profileRecord("999", { Phone: "+15555550199" }),
        ],
      },
    ]);
    // A parsed page gives the same records.
    assert.deepEqual(cleverTapUploads(parsePayload(raw), { ts: TS }), cleverTapUploads(raw, { ts: TS }));
  });

  test("Action: Added for members and add_members, Removed for remove_members", T, () => {
    const one = [{ mixpanel_distinct_id: "x" }];
    assert.equal(cleverTapUploads(body("members", one), { ts: TS })[0].d[0].evtData.Action, "Added");
    assert.equal(cleverTapUploads(body("add_members", one), { ts: TS })[0].d[0].evtData.Action, "Added");
    assert.deepEqual(cleverTapUploads(body("remove_members", one), { ts: TS }), [{ d: [syncEvent("x", "Removed")] }]);
  });

  test("ts defaults to now, in unix seconds", T, () => {
    const before = Math.floor(Date.now() / 1000);
    const [{ d }] = cleverTapUploads(body("members", [{ mixpanel_distinct_id: "x" }]));
    const after = Math.ceil(Date.now() / 1000);
    assert.ok(Number.isInteger(d[0].ts));
    assert.ok(d[0].ts >= before && d[0].ts <= after, `${d[0].ts} not in ${before}..${after}`);
    assert.equal(cleverTapUploads(body("members", [{ mixpanel_distinct_id: "x" }]), null)[0].d.length, 1);
  });

  test("an empty page gives no uploads", T, () => {
    assert.deepEqual(cleverTapUploads(body("members", []), { ts: TS }), []);
  });

  test("2500 members with emails: uploads of ≤ 1000 records, none lost or repeated, in order", T, () => {
    const all = range(2500).map((i) => ({ mixpanel_distinct_id: `d-${i}`, ...(i % 2 ? { email: `u${i}@example.com` } : {}) }));
    const uploads = cleverTapUploads(bigPage("add_members", all), { ts: TS });
    for (const u of uploads) {
      assert.ok(u.d.length >= 1 && u.d.length <= 1000, `upload of ${u.d.length}`);
      assert.deepEqual(Object.keys(u), ["d"]);
    }
    const records = uploads.flatMap((u) => u.d);
    const expected = all.flatMap((m) => [
      syncEvent(m.mixpanel_distinct_id, "Added"),
      ...(m.email ? [profileRecord(m.mixpanel_distinct_id, { Email: m.email })] : []),
    ]);
    assert.equal(records.length, 3750);
    assert.deepEqual(records, expected);
    assert.ok(uploads.length <= Math.ceil(3750 / 1000) + 1);
  });

  test('format "json": each upload\'s request body as text, equal to the objects stringified', T, () => {
    const all = range(1700).map((i) => ({
      mixpanel_distinct_id: `d-${i}`,
      ...(i % 3 ? { email: `u${i}@example.com` } : {}),
      ...(i % 4 ? {} : { phone_number: `+1 "${i}"` }),
      ...(i % 5 ? {} : { $CleverTap_user_id: `ct\u2028${i}\\` }),
    }));
    const page = bigPage("add_members", all);
    const objects = cleverTapUploads(page, { ts: TS });
    const bodies = cleverTapUploads(page, { ts: TS, format: "json" });
    assert.equal(bodies.length, 3);
    for (const b of bodies) assert.equal(typeof b, "string");
    assert.deepEqual(bodies.map((b) => JSON.parse(b)), objects);
    assert.deepEqual(bodies, objects.map((o) => JSON.stringify(o)));
    assert.deepEqual(cleverTapUploads(page, { ts: TS, format: "objects" }), objects);
    assert.deepEqual(cleverTapUploads(body("members", []), { ts: TS, format: "json" }), []);
    // A sent body reads back like the object it was made from.
    const ok = '{"status":"success","processed":1000,"unprocessed":[]}';
    assert.deepEqual(readCleverTapResponse(bodies[0], 200, ok), readCleverTapResponse(objects[0], 200, ok));
    assert.deepEqual(readCleverTapResponse(utf8(bodies[0]), 503, ""), readCleverTapResponse(objects[0], 503, ""));
    for (const format of ["JSON", "text", 1, true]) thrown(() => cleverTapUploads(page, { format }), "invalid_argument");
  });

  test("bad page or options: a CohortSyncError", T, () => {
    const raw = body("members", [{ mixpanel_distinct_id: "x" }]);
    for (const page of [null, undefined, 5, true, {}, []]) thrown(() => cleverTapUploads(page, { ts: TS }), "invalid_argument");
    thrown(() => cleverTapUploads("{", { ts: TS }), "invalid_payload");
    thrown(() => cleverTapUploads(text(payload(() => {}, { members: 1001 })), { ts: TS }), "invalid_payload");
    for (const options of [5, "x", { ts: -1 }, { ts: 1.5 }, { ts: "1" }, { ts: NaN }, { ts: Infinity }, { ts: 1e20 }, { tz: 1 }]) {
      thrown(() => cleverTapUploads(raw, options), "invalid_argument");
    }
    assertStillWorks();
  });
});

describe("readCleverTapResponse", () => {
  const upload = () =>
    cleverTapUploads(
      body("add_members", [
        { mixpanel_distinct_id: "a", email: "a@example.com" },
        { mixpanel_distinct_id: "b" },
        { mixpanel_distinct_id: "c" },
      ]),
      { ts: TS },
    )[0];

  test("200 success: all delivered", T, () => {
    const u = upload();
    assert.equal(u.d.length, 4);
    const ok = '{"status":"success","processed":4,"unprocessed":[]}';
    assert.deepEqual(readCleverTapResponse(u, 200, ok), { delivered: 4, retry: [], failed: [] });
    assert.deepEqual(readCleverTapResponse(u, 200, utf8(ok)), { delivered: 4, retry: [], failed: [] });
  });

  test("200 partial: unprocessed records fail, matched by the echoed record; 429/5xx codes retry", T, () => {
    const u = upload();
    const partial = JSON.stringify({
      status: "partial",
      processed: 2,
      unprocessed: [
        { status: "fail", code: 509, error: "Invalid identity", record: u.d[1] },
        { status: "fail", code: 503, error: "Busy", record: u.d[3] },
      ],
    });
    assert.deepEqual(readCleverTapResponse(u, 200, partial), {
      delivered: 2,
      retry: [u.d[3]],
      failed: [{ record: u.d[1], code: 509, error: "Invalid identity" }],
    });
    for (const code of [429, 500, 502, 503, 504]) {
      const r = readCleverTapResponse(u, 200, JSON.stringify({ status: "partial", unprocessed: [{ code, error: "x", record: u.d[0] }] }));
      assert.deepEqual(r, { delivered: 3, retry: [u.d[0]], failed: [] }, `code ${code}`);
    }
  });

  test("200 fail without a list: all failed", T, () => {
    const u = upload();
    const r = readCleverTapResponse(u, 200, '{"status":"fail","error":"Invalid account"}');
    assert.equal(r.delivered, 0);
    assert.deepEqual(r.retry, []);
    assert.deepEqual(r.failed.map((f) => f.record), u.d);
    for (const f of r.failed) {
      assert.equal(f.error, "Invalid account");
      assert.equal(typeof f.code, "number");
    }
  });

  test("429 and 5xx or an unreadable 2xx body: all retry; other statuses: all failed", T, () => {
    const u = upload();
    for (const [status, b] of [[429, ""], [500, "oops"], [502, ""], [503, "{}"], [504, ""], [599, ""], [200, "<html>"], [200, ""], [200, "[]"]]) {
      assert.deepEqual(readCleverTapResponse(u, status, b), { delivered: 0, retry: u.d, failed: [] }, `${status} ${b}`);
    }
    for (const status of [400, 401, 403, 404, 413]) {
      const r = readCleverTapResponse(u, status, '{"status":"fail","error":"bad"}');
      assert.equal(r.delivered, 0);
      assert.deepEqual(r.retry, []);
      assert.deepEqual(r.failed.map((f) => f.record), u.d);
      assert.ok(r.failed.every((f) => typeof f.code === "number" && typeof f.error === "string" && f.error.length > 0));
    }
  });

  test("delivered + retry + failed always account for every record sent", T, () => {
    const u = upload();
    const bodies = [
      '{"status":"success","processed":4,"unprocessed":[]}',
      JSON.stringify({ status: "partial", unprocessed: [{ code: 509, error: "x", record: u.d[2] }] }),
      '{"status":"fail","error":"x"}',
      "",
    ];
    for (const status of [200, 400, 429, 500]) {
      for (const b of bodies) {
        const r = readCleverTapResponse(u, status, b);
        assert.equal(r.delivered + r.retry.length + r.failed.length, u.d.length, `${status} ${b}`);
      }
    }
  });

  test(
    "a record echoed twice in unprocessed is reported once",
    T,
    () => {
      const u = upload(); // 4 distinct records
      const once = { code: 509, error: "x", record: u.d[1] };
      const r = readCleverTapResponse(u, 200, JSON.stringify({ status: "partial", unprocessed: [once, once] }));
      assert.deepEqual(r, { delivered: 3, retry: [], failed: [once] });
    },
  );

  test("bad upload, status or body: a CohortSyncError", T, () => {
    const u = upload();
    for (const bad of [null, undefined, 5, "x", {}, { d: 5 }, { d: [1n] }]) {
      thrown(() => readCleverTapResponse(bad, 200, ""), "invalid_argument");
    }
    for (const status of ["200", null, undefined, 99, 600, 200.5, NaN, -1]) {
      thrown(() => readCleverTapResponse(u, status, ""), "invalid_argument");
    }
    for (const b of [5, true, {}]) thrown(() => readCleverTapResponse(u, 200, b), "invalid_argument");
    assertStillWorks();
  });
});

// ---- Braze ------------------------------------------------------------------------

describe("brazeCohortChanges (docs/domain.md, Braze)", () => {
  const members = [
    { mixpanel_distinct_id: "a", $braze_external_id: "A" },
    { mixpanel_distinct_id: "b" },
    { mixpanel_distinct_id: "c", $braze_external_id: "CC", $user_id: "C", ext: "E" },
  ];

  test("user ids by $braze_external_id; members without one are skipped, not guessed", T, () => {
    const r = brazeCohortChanges(body("add_members", members));
    assert.deepEqual(r, [{ cohort_id: "98765", cohort_changes: [{ user_ids: ["A", "CC"], should_remove: false }] }]);
    assert.deepEqual(r.skipped, [{ distinctId: "b", reason: "no_identity" }]);
    assert.deepEqual(Object.keys(r), ["0"]); // skipped is not enumerable
    assert.equal(JSON.stringify(r), JSON.stringify([r[0]]));
  });

  test("userIdProperty, simplifiedIdMerge, should_remove for remove_members", T, () => {
    const raw = body("add_members", members);
    assert.deepEqual(brazeCohortChanges(raw, { userIdProperty: "ext" })[0].cohort_changes[0].user_ids, ["E"]);
    assert.deepEqual(brazeCohortChanges(raw, { simplifiedIdMerge: true })[0].cohort_changes[0].user_ids, ["C"]);
    const removed = brazeCohortChanges(body("remove_members", members));
    assert.equal(removed[0].cohort_changes[0].should_remove, true);
    assert.equal(brazeCohortChanges(body("members", members))[0].cohort_changes[0].should_remove, false);
    const empty = brazeCohortChanges(body("members", []));
    assert.deepEqual([...empty], []);
    assert.deepEqual(empty.skipped, []);
  });

  test("2500 members: ≤ 1000 ids a request, none lost or repeated", T, () => {
    const all = range(2500).map((i) => ({ mixpanel_distinct_id: `d-${i}`, $braze_external_id: `b-${i}` }));
    const r = brazeCohortChanges(bigPage("remove_members", all));
    const changes = r.flatMap((req) => {
      assert.equal(req.cohort_id, "98765");
      return req.cohort_changes;
    });
    for (const c of changes) {
      assert.ok(c.user_ids.length >= 1 && c.user_ids.length <= 1000);
      assert.equal(c.should_remove, true);
    }
    assert.deepEqual(changes.flatMap((c) => c.user_ids), all.map((m) => m.$braze_external_id));
    assert.deepEqual(r.skipped, []);
  });

  test("bad page or options: a CohortSyncError", T, () => {
    const raw = body("members", members);
    for (const page of [null, 5, {}, []]) thrown(() => brazeCohortChanges(page), "invalid_argument");
    thrown(() => brazeCohortChanges("{"), "invalid_payload");
    for (const options of [5, "x", { userIdProperty: 5 }, { simplifiedIdMerge: "yes" }, { foo: 1 }]) {
      thrown(() => brazeCohortChanges(raw, options), "invalid_argument");
    }
    assertStillWorks();
  });
});

// ---- Audiences --------------------------------------------------------------------

describe("SegmentMembership (docs/domain.md)", () => {
  test("'11036','11034': quoted, comma-joined, no spaces; order kept, repeats dropped", T, () => {
    assert.equal(encodeSegmentMembership(["11036", "11034"]), "'11036','11034'");
    assert.equal(encodeSegmentMembership([11036, "11034", 11036, "11034"]), "'11036','11034'");
    assert.equal(encodeSegmentMembership(new Set(["b", "a"])), "'b','a'");
    assert.equal(encodeSegmentMembership([]), "");
    assert.deepEqual(decodeSegmentMembership("'11036','11034'"), ["11036", "11034"]);
    assert.deepEqual(decodeSegmentMembership(""), []);
  });

  test("whole-token contains: 1103 is not in '11036','11034'", T, () => {
    const v = "'11036','11034'";
    assert.equal(segmentMembershipContains(v, "1103"), false);
    assert.equal(segmentMembershipContains(v, "11034"), true);
    assert.equal(segmentMembershipContains(v, 11036), true);
    assert.equal(segmentMembershipContains(v, "1036"), false);
    assert.equal(segmentMembershipContains(v, "110345"), false);
    assert.equal(segmentMembershipContains(v, "'11034'"), false);
    assert.equal(segmentMembershipContains(v, "11036','11034"), false);
    assert.equal(segmentMembershipContains("", "11034"), false);
    assert.equal(segmentMembershipContains(v, ""), false);
  });

  test("round trip of 5000 ids given twice", T, () => {
    const ids = range(5000).map((i) => `aud-${i}`);
    const value = encodeSegmentMembership([...ids, ...ids]);
    assert.deepEqual(decodeSegmentMembership(value), ids);
    assert.equal(segmentMembershipContains(value, "aud-4999"), true);
    assert.equal(segmentMembershipContains(value, "aud-499"), true);
    assert.equal(segmentMembershipContains(value, "aud-5000"), false);
  });

  test(
    "encoding time grows linearly with the number of ids",
    T,
    () => {
      const time = (n) => {
        const ids = range(n).map((i) => `aud-${i}`);
        const t = performance.now();
        encodeSegmentMembership(ids);
        return performance.now() - t;
      };
      time(1000); // warm up
      const small = time(4000);
      const large = time(16_000); // 4x the ids: ~4x the time if linear, ~16x if quadratic
      assert.ok(large < Math.max(small, 5) * 8, `4000 ids: ${small.toFixed(1)} ms, 16 000 ids: ${large.toFixed(1)} ms`);
    },
  );

  test("an id that cannot be encoded is invalid_audience_id; a non-id invalid_argument", T, () => {
    for (const id of ["", "a'b", "a,b", "'", ",", "'11036','11034'"]) {
      const e = thrown(() => encodeSegmentMembership(["ok", id]), "invalid_audience_id");
      assert.ok(e.message.length > 0);
    }
    for (const id of [null, 1.5, true, {}, [], ["a"]]) thrown(() => encodeSegmentMembership([id]), "invalid_argument");
    for (const ids of [null, undefined, "abc", 5, {}]) thrown(() => encodeSegmentMembership(ids), "invalid_argument");
    thrown(() => encodeSegmentMembership([1n]), "invalid_argument");
    assertStillWorks();
  });

  test("malformed text is invalid_segment_membership; a non-string invalid_argument", T, () => {
    for (const v of ["11036", "'a',", ",'a'", "'a','b", "'a' ,'b'", " 'a'", "'a'x'b'", "''", "'", "''''", "'a''b'"]) {
      thrown(() => decodeSegmentMembership(v), "invalid_segment_membership");
    }
    for (const v of [null, undefined, 5, ["'a'"], {}]) thrown(() => decodeSegmentMembership(v), "invalid_argument");
    for (const [v, id] of [[null, "a"], [5, "a"], ["'a'", null], ["'a'", 1.5], ["'a'", {}]]) {
      thrown(() => segmentMembershipContains(v, id), "invalid_argument");
    }
    assertStillWorks();
  });
});

describe("audienceProperties and engageBatches (docs/domain.md)", () => {
  const audiences = [
    { id: "11036", name: "Possible Parisians", member: true },
    { id: 11034, name: "Lapsed", member: false },
    { id: "11040", name: "Frequent Flyers", member: true },
  ];

  test("SegmentMembership always; In <name> per audience when asked", T, () => {
    assert.deepEqual(audienceProperties(audiences), { SegmentMembership: "'11036','11040'" });
    assert.deepEqual(audienceProperties(audiences, { perAudience: false }), { SegmentMembership: "'11036','11040'" });
    assert.deepEqual(audienceProperties(audiences, { perAudience: true }), {
      SegmentMembership: "'11036','11040'",
      "In Possible Parisians": true,
      "In Lapsed": false,
      "In Frequent Flyers": true,
    });
    assert.deepEqual(audienceProperties([], { perAudience: true }), { SegmentMembership: "" });
  });

  test("an audience named __proto__ gives an own property of a plain object", T, () => {
    const r = audienceProperties([{ id: "1", name: "__proto__", member: true }], { perAudience: true });
    assert.deepEqual(Object.keys(r), ["SegmentMembership", "In __proto__"]);
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
  });

  test("bad audiences or options: a CohortSyncError", T, () => {
    thrown(() => audienceProperties([{ id: "a'b", name: "n", member: true }]), "invalid_audience_id");
    thrown(() => audienceProperties([{ id: "", name: "n", member: true }]), "invalid_audience_id");
    for (const a of [null, "x", 5, [null], [5], [{ id: "1" }], [{ id: "1", name: "n", member: "yes" }]]) {
      thrown(() => audienceProperties(a, { perAudience: true }), "invalid_argument");
    }
    thrown(() => audienceProperties([{ id: "1", name: "", member: true }], { perAudience: true }), "invalid_argument");
    for (const o of [5, "x", { perAudience: "yes" }, { foo: 1 }]) thrown(() => audienceProperties(audiences, o), "invalid_argument");
    assertStillWorks();
  });

  test("engage bodies: JSON arrays of {$token,$distinct_id,$set}", T, () => {
    const props = audienceProperties(audiences, { perAudience: true });
    const bodies = engageBatches([{ distinctId: "u-1", properties: props }], { token: "tok" });
    assert.equal(bodies.length, 1);
    assert.deepEqual(JSON.parse(bodies[0]), [{ $token: "tok", $distinct_id: "u-1", $set: props }]);
    assert.deepEqual(engageBatches([], { token: "tok" }), []);
    const proto = JSON.parse(engageBatches([JSON.parse('{"distinctId":"a","properties":{"__proto__":{"x":1}}}')], { token: "t" })[0]);
    assert.equal(JSON.stringify(proto), '[{"$token":"t","$distinct_id":"a","$set":{"__proto__":{"x":1}}}]');
  });

  test("segmentMembershipUpdates: what audienceProperties and engageBatches make, in one call", T, () => {
    const users = range(2500).map((i) => ({ distinctId: `u-${i}`, audiences: audiences.slice(0, 1 + (i % 3)) }));
    for (const options of [{ token: "tok" }, { token: "tok", perAudience: true, maxPerRequest: 700 }]) {
      const { perAudience, ...batching } = options;
      const apart = engageBatches(users.map((u) => ({ distinctId: u.distinctId, properties: audienceProperties(u.audiences, { perAudience }) })), batching);
      assert.deepEqual(segmentMembershipUpdates(users, options), apart);
    }
    const problem = (fn) => assert.throws(fn, (e) => e instanceof CohortSyncError && e.code === "invalid_argument" && /users/.test(e.message));
    problem(() => segmentMembershipUpdates([{ distinctId: "u", audiences: [{ id: "1", member: "yes" }] }], { token: "t" }));
    problem(() => segmentMembershipUpdates([{ distinctId: 5, audiences: [] }], { token: "t" }));
    assert.throws(
      () => segmentMembershipUpdates([{ distinctId: "u", audiences: [] }, { distinctId: "v", audiences: [{ id: "1", member: "yes" }] }], { token: "t" }),
      (e) => e.problems[0].path === "/1/audiences/0/member",
      "the problem points into the user's audiences",
    );
    assert.throws(() => segmentMembershipUpdates([{ distinctId: "u", audiences: [{ id: "1", member: true }] }], { token: "t", perAudience: true }), (e) => e.code === "invalid_argument", "per audience needs names");
    assert.throws(() => segmentMembershipUpdates([], { token: "t", perAudiences: true }), (e) => e.code === "invalid_argument" && /perAudiences/.test(e.message));
  });

  test("2500 updates: ≤ 2000 (or maxPerRequest) per body, none lost or repeated, in order", T, () => {
    const updates = range(2500).map((i) => ({ distinctId: `u-${i}`, properties: { SegmentMembership: `'${i}'` } }));
    const check = (bodies, max) => {
      const all = bodies.map((b) => JSON.parse(b));
      for (const a of all) assert.ok(a.length >= 1 && a.length <= max);
      assert.deepEqual(
        all.flat(),
        updates.map((u) => ({ $token: "tok", $distinct_id: u.distinctId, $set: u.properties })),
      );
      return all.map((a) => a.length);
    };
    assert.deepEqual(check(engageBatches(updates, { token: "tok" }), 2000), [2000, 500]);
    assert.deepEqual(check(engageBatches(updates, { token: "tok", maxPerRequest: 1000 }), 1000), [1000, 1000, 500]);
    assert.equal(check(engageBatches(updates, { token: "tok", maxPerRequest: 1 }), 1).length, 2500);
  });

  test("bad updates or options: invalid_argument", T, () => {
    const ok = [{ distinctId: "a", properties: {} }];
    for (const o of [undefined, null, {}, { token: "" }, { token: 5 }, { token: "t", maxPerRequest: 0 }, { token: "t", maxPerRequest: 2001 },
      { token: "t", maxPerRequest: 1.5 }, { token: "t", maxPerRequest: "10" }, { token: "t", foo: 1 }]) {
      thrown(() => engageBatches(ok, o), "invalid_argument");
    }
    for (const u of [null, "x", 5, [null], [5], [{ distinctId: "" , properties: {} }], [{ distinctId: "a" }], [{ distinctId: "a", properties: 5 }],
      [{ distinctId: "a", properties: [] }], [{ properties: {} }], [{ distinctId: "a", properties: { n: 1n } }]]) {
      thrown(() => engageBatches(u, { token: "t" }), "invalid_argument");
    }
    assertStillWorks();
  });

  test(
    "a non-string distinctId is invalid_argument",
    T,
    () => {
      thrown(() => engageBatches([{ distinctId: 5, properties: {} }], { token: "t" }), "invalid_argument");
    },
  );

  test("engageUrl: the standard and the EU server", T, () => {
    const us = new URL(engageUrl("us"));
    const eu = new URL(engageUrl("eu"));
    assert.equal(us.protocol, "https:");
    assert.equal(eu.protocol, "https:");
    assert.equal(us.pathname, "/engage");
    assert.equal(eu.pathname, "/engage");
    assert.notEqual(us.host, eu.host);
    assert.match(eu.host, /eu/);
    for (const r of ["EU", "US", "in", "", 5, {}]) thrown(() => engageUrl(r), "invalid_argument");
  });
});

// ---- Ingestion --------------------------------------------------------------------

describe("validateEvents (docs/domain.md, ingestion)", () => {
  const problemsOf = (e) => validateEvents([e], { now: NOW_MS }).problems.map((p) => [p.field, p.code, p.severity]);

  test("a valid event, as an array, JSON array text, NDJSON text and bytes", T, () => {
    const evs = [event(1), event(2)];
    const clean = { valid: 2, invalid: 0, invalidIndexes: [], problems: [] };
    assert.deepEqual(validateEvents(evs, { now: NOW_MS }), clean);
    assert.deepEqual(validateEvents(JSON.stringify(evs), { now: NOW_MS }), clean);
    assert.deepEqual(validateEvents(evs.map((e) => JSON.stringify(e)).join("\n") + "\n", { now: NOW_MS }), clean);
    assert.deepEqual(validateEvents(utf8(JSON.stringify(evs)), { now: NOW_MS }), clean);
    assert.deepEqual(validateEvents([], { now: NOW_MS }), { valid: 0, invalid: 0, invalidIndexes: [], problems: [] });
  });

  test("required fields, types and empty strings", T, () => {
    for (const e of [5, null, "x", []]) assert.deepEqual(problemsOf(e), [["", "not_an_object", "error"]]);
    assert.deepEqual(problemsOf({ event: "e" }), [["properties", "missing_field", "error"]]);
    assert.deepEqual(problemsOf({ event: "e", properties: 5 }), [["properties", "wrong_type", "error"]]);
    assert.deepEqual(problemsOf({ properties: {} }), [
      ["event", "missing_field", "error"],
      ["time", "missing_field", "error"],
      ["distinct_id", "missing_field", "error"],
      ["$insert_id", "missing_field", "error"],
    ]);
    assert.deepEqual(problemsOf({ ...event(1), event: "" }), [["event", "empty_string", "error"]]);
    assert.deepEqual(problemsOf({ ...event(1), event: 5 }), [["event", "wrong_type", "error"]]);
    assert.deepEqual(problemsOf(event(1, { time: "1699999000" })), [["time", "wrong_type", "error"]]);
    assert.deepEqual(problemsOf(event(1, { $insert_id: 5 })), [["$insert_id", "wrong_type", "error"]]);
  });

  test("time: from 1971-01-01, at most 1 hour ahead, seconds or milliseconds", T, () => {
    const ok = (time) => assert.deepEqual(problemsOf(event(1, { time })), [], String(time));
    const bad = (time) => assert.deepEqual(problemsOf(event(1, { time })), [["time", "time_out_of_range", "error"]], String(time));
    ok(31_536_000); // 1971-01-01T00:00:00Z
    bad(31_535_999);
    bad(0);
    ok(NOW_MS / 1000 + 3600);
    bad(NOW_MS / 1000 + 3601);
    ok(NOW_MS + 3_600_000);
    bad(NOW_MS + 3_600_001);
    ok(1_699_999_000_123);
  });

  test("placeholder distinct ids are refused", T, () => {
    for (const id of PLACEHOLDERS) {
      assert.deepEqual(problemsOf(event(1, { distinct_id: id })), [["distinct_id", "placeholder_distinct_id", "error"]], id);
    }
    for (const id of ["anon-1", "nobody", "u-0", "00000000-0000-0000-0000-000000000001"]) {
      assert.deepEqual(problemsOf(event(1, { distinct_id: id })), [], id);
    }
  });

  test("an empty distinct_id is an event tied to no user; spaces alone are still refused", T, () => {
    assert.deepEqual(problemsOf(event(1, { distinct_id: "" })), []);
    for (const id of [" ", "\t "]) {
      assert.deepEqual(problemsOf(event(1, { distinct_id: id })), [["distinct_id", "placeholder_distinct_id", "error"]], JSON.stringify(id));
    }
  });

  test("placeholder $insert_ids are refused, ignoring case", T, () => {
    for (const id of [...PLACEHOLDERS, "NULL", "Anonymous"]) {
      assert.deepEqual(problemsOf(event(1, { $insert_id: id })), [["$insert_id", "placeholder_insert_id", "error"]], id);
    }
    for (const id of ["anon-1", "null0", "00000000-0000-0000-0000-000000000001"]) {
      assert.deepEqual(problemsOf(event(1, { $insert_id: id })), [], id);
    }
  });

  test("array values have fewer than 255 elements, object values fewer than 255 keys, at any depth", T, () => {
    const list = (n) => range(n);
    const object = (n) => Object.fromEntries(range(n).map((i) => [`k${i}`, i]));
    assert.deepEqual(problemsOf(event(1, { tags: list(254), address: object(254) })), []);
    assert.deepEqual(problemsOf(event(1, { tags: list(255) })), [["tags", "too_many_elements", "error"]]);
    assert.deepEqual(problemsOf(event(1, { address: object(255) })), [["address", "too_many_keys", "error"]]);
    assert.deepEqual(problemsOf(event(1, { deep: { a: [{ b: list(300) }] } })), [["deep", "too_many_elements", "error"]]);
    assert.deepEqual(problemsOf(event(1, { both: [object(255), list(255)] })), [
      ["both", "too_many_keys", "error"],
      ["both", "too_many_elements", "error"],
    ]);
    const r = validateEvents([event(1), event(2, { tags: list(300) })], { now: NOW_MS });
    assert.deepEqual([r.valid, r.invalid, r.invalidIndexes], [1, 1, [1]]);
    assert.match(r.problems[0].message, /300/);
    assert.match(r.problems[0].message, /255/);
  });

  test("$insert_id: 1–36 bytes of [A-Za-z0-9-]", T, () => {
    assert.deepEqual(problemsOf(event(1, { $insert_id: "a".repeat(36) })), []);
    assert.deepEqual(problemsOf(event(1, { $insert_id: "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b" })), []);
    for (const id of ["a".repeat(37), "a_b", "a b", "", "é", "a.b"]) {
      assert.deepEqual(problemsOf(event(1, { $insert_id: id })), [["$insert_id", "invalid_insert_id", "error"]], id);
    }
  });

  test("fewer than 255 properties; under 1 MB; strings over 255 characters are a warning", T, () => {
    const props = (n) => Object.fromEntries(range(n).map((i) => [`p${i}`, i]));
    assert.deepEqual(problemsOf(event(1, props(251))), []); // 254 with time, distinct_id, $insert_id
    assert.deepEqual(problemsOf(event(1, props(252))), [["properties", "too_many_properties", "error"]]);
    assert.deepEqual(problemsOf(event(1, { s: "é".repeat(255) })), []);
    const long = validateEvents([event(1, { s: "x".repeat(256) })], { now: NOW_MS });
    assert.equal(long.valid, 1);
    assert.equal(long.invalid, 0);
    assert.deepEqual(long.problems.map((p) => [p.index, p.field, p.code, p.severity]), [[0, "s", "string_truncated", "warning"]]);
    const huge = validateEvents([event(1, { s: "x".repeat(1_100_000) })], { now: NOW_MS });
    assert.equal(huge.invalid, 1);
    assert.ok(huge.problems.some((p) => p.code === "event_too_large" && p.severity === "error"));
  });

  test("4500 events with bad ones at known places: exact counts and indexes", T, () => {
    const bad = new Set([0, 1999, 2000, 2001, 4499]);
    const evs = range(4500).map((i) => (bad.has(i) ? event(i, { distinct_id: "anon" }) : event(i)));
    const r = validateEvents(evs, { now: NOW_MS });
    assert.equal(r.valid, 4495);
    assert.equal(r.invalid, 5);
    assert.deepEqual(r.invalidIndexes, [...bad]);
    assert.deepEqual(r.problems.map((p) => p.index), [...bad]);
    // The same as NDJSON text.
    assert.deepEqual(validateEvents(evs.map((e) => JSON.stringify(e)).join("\n"), { now: NOW_MS }), r);
  });

  test("unreadable text is one invalid_json problem with index null, not a throw", T, () => {
    for (const t of ["{\n{", "[{]", '{"event":"e"}\n{oops', "[", "\u0000"]) {
      const r = validateEvents(t, { now: NOW_MS });
      assert.equal(r.valid, 0);
      assert.ok(r.problems.length >= 1);
      assert.deepEqual(r.problems.map((p) => [p.index, p.code, p.severity]), [[null, "invalid_json", "error"]], t);
    }
  });

  test("problems are well formed; __proto__ properties are ordinary", T, () => {
    const e = JSON.parse('{"event":"e","properties":{"time":1699999000,"distinct_id":"u","$insert_id":"a","__proto__":{"x":1}}}');
    assert.deepEqual(validateEvents([e], { now: NOW_MS }).problems, []);
    const r = validateEvents([5, event(1, { distinct_id: "null" })], { now: NOW_MS });
    for (const p of r.problems) {
      assert.deepEqual(Object.keys(p).sort(), ["code", "field", "index", "message", "severity"]);
      assert.equal(typeof p.message, "string");
      assert.ok(p.message.length > 0);
      assert.ok(p.severity === "error" || p.severity === "warning");
    }
  });

  test("bad events or options: invalid_argument", T, () => {
    for (const v of [null, undefined, 5, true, {}]) thrown(() => validateEvents(v, { now: NOW_MS }), "invalid_argument");
    for (const o of [5, "x", { now: "x" }, { now: -1 }, { now: 1.5 }, { foo: 1 }]) thrown(() => validateEvents([event(1)], o), "invalid_argument");
    thrown(() => validateEvents([{ event: "e", properties: { n: 1n } }], { now: NOW_MS }), "invalid_argument");
    assertStillWorks();
  });
});

describe("validateProfiles (docs/domain.md, ingestion)", () => {
  test("user and group updates", T, () => {
    assert.deepEqual(validateProfiles([userUpdate(1)], "user"), { valid: 1, invalid: 0, invalidIndexes: [], problems: [] });
    assert.deepEqual(validateProfiles([groupUpdate(1)], "group"), { valid: 1, invalid: 0, invalidIndexes: [], problems: [] });
    for (const op of ["$set", "$set_once", "$add", "$union", "$append", "$remove", "$unset", "$delete"]) {
      const u = { $token: "t", $distinct_id: "a", [op]: op === "$unset" ? ["x"] : op === "$delete" ? "" : { x: 1 } };
      assert.equal(validateProfiles([u], "user").valid, 1, op);
    }
    assert.equal(validateProfiles(JSON.stringify(userUpdate(1)) + "\n" + JSON.stringify(userUpdate(2)), "user").valid, 2);
    assert.equal(validateProfiles(utf8(JSON.stringify([groupUpdate(1)])), "group").valid, 1);
  });

  test("missing operation, missing keys, placeholders, not objects", T, () => {
    const codes = (u, kind) => validateProfiles([u], kind).problems.map((p) => [p.index, p.field, p.code]);
    assert.deepEqual(codes({ $token: "t", $distinct_id: "a" }, "user"), [[0, "", "missing_operation"]]);
    assert.deepEqual(codes({ $token: "t", $set: {} }, "user"), [[0, "$distinct_id", "missing_field"]]);
    assert.deepEqual(codes(userUpdate(1, { $distinct_id: "undefined" }), "user"), [[0, "$distinct_id", "placeholder_distinct_id"]]);
    assert.deepEqual(codes(userUpdate(1), "group"), [
      [0, "$group_key", "missing_field"],
      [0, "$group_id", "missing_field"],
    ]);
    assert.deepEqual(codes(groupUpdate(1), "user"), [[0, "$distinct_id", "missing_field"]]);
    const r = validateProfiles([5, null, userUpdate(2)], "user");
    assert.deepEqual([r.valid, r.invalid, r.invalidIndexes], [1, 2, [0, 1]]);
    assert.deepEqual(r.problems.map((p) => p.code), ["not_an_object", "not_an_object"]);
  });

  test("more than 2000 user / 200 group updates: a batch_too_large warning, records still valid", T, () => {
    const users = (n) => validateProfiles(range(n).map((i) => userUpdate(i)), "user");
    assert.deepEqual(users(2000).problems, []);
    const over = users(2500);
    assert.deepEqual([over.valid, over.invalid], [2500, 0]);
    assert.deepEqual(over.problems.map((p) => [p.index, p.code, p.severity]), [[null, "batch_too_large", "warning"]]);
    const groups = (n) => validateProfiles(range(n).map((i) => groupUpdate(i)), "group");
    assert.deepEqual(groups(200).problems, []);
    assert.deepEqual(groups(201).problems.map((p) => [p.index, p.code, p.severity]), [[null, "batch_too_large", "warning"]]);
  });

  test("an update over 1 MB is an error", T, () => {
    const r = validateProfiles([userUpdate(1, { $set: { s: "x".repeat(1_100_000) } })], "user");
    assert.equal(r.invalid, 1);
    assert.equal(r.problems[0].severity, "error");
  });

  test(
    "an operation of the wrong type is wrong_type",
    T,
    () => {
      const r = validateProfiles([{ $token: "t", $distinct_id: "a", $set: 5 }], "user");
      assert.equal(r.invalid, 1);
      assert.equal(r.problems[0].code, "wrong_type");
    },
  );

  test("$token is required: missing_token unless options.token fills it", T, () => {
    const codes = (u, kind, options) => validateProfiles([u], kind, options).problems.map((p) => [p.index, p.field, p.code]);
    const { $token: _t, ...user } = userUpdate(1);
    const { $token: _g, ...group } = groupUpdate(1);
    assert.deepEqual(codes(user, "user"), [[0, "$token", "missing_token"]]);
    assert.deepEqual(codes(group, "group"), [[0, "$token", "missing_token"]]);
    assert.deepEqual(codes({ ...user, $token: "" }, "user"), [[0, "$token", "missing_token"]]);
    assert.deepEqual(codes({ ...user, $token: true }, "user"), [[0, "$token", "wrong_type"]]);
    for (const options of [{ token: "tok" }, { token: "another-token" }]) {
      assert.deepEqual(codes(user, "user", options), []);
      assert.deepEqual(codes(group, "group", options), []);
      assert.deepEqual(codes({ ...user, $token: "" }, "user", options), []);
      assert.deepEqual(codes({ ...user, $token: null }, "user", options), [[0, "$token", "wrong_type"]], "a wrong type is not filled");
    }
    for (const options of [undefined, null, {}, { token: null }]) assert.deepEqual(codes(user, "user", options), [[0, "$token", "missing_token"]]);
    const r = validateProfiles([user, userUpdate(2)], "user");
    assert.deepEqual([r.valid, r.invalid, r.invalidIndexes], [1, 1, [0]]);
  });

  test("arrays and objects in an operation's values: fewer than 255 entries", T, () => {
    const codes = (u, kind = "user") => validateProfiles([u], kind).problems.map((p) => [p.field, p.code]);
    const list = (n) => range(n).map((i) => `v${i}`);
    const object = (n) => Object.fromEntries(range(n).map((i) => [`k${i}`, i]));
    assert.deepEqual(codes(userUpdate(1, { $set: { tags: list(254), address: object(254) } })), []);
    assert.deepEqual(codes(userUpdate(1, { $set: { tags: list(255) } })), [["$set", "too_many_elements"]]);
    assert.deepEqual(codes(userUpdate(1, { $union: { tags: list(300) } })), [["$union", "too_many_elements"]]);
    assert.deepEqual(codes(userUpdate(1, { $set_once: { address: object(255) } })), [["$set_once", "too_many_keys"]]);
    assert.deepEqual(codes(groupUpdate(1, { $set: { deep: [{ a: list(255) }] } }), "group"), [["$set", "too_many_elements"]]);
    const { $set: _s, ...unset } = userUpdate(1);
    assert.deepEqual(codes({ ...unset, $unset: list(300) }), [], "$unset lists names, not a property value");
  });

  test("bad options: invalid_argument", T, () => {
    for (const o of [5, "tok", true, [], () => 1, { token: 5 }, { token: "" }, { token: ["tok"] }, { foo: 1 }, { token: "t", now: 1 }]) {
      thrown(() => validateProfiles([userUpdate(1)], "user", o), "invalid_argument");
    }
    assertStillWorks();
  });

  test("bad updates or kind: invalid_argument; unreadable text: invalid_json", T, () => {
    for (const k of [undefined, null, "", "USER", "users", "groups", 5]) thrown(() => validateProfiles([userUpdate(1)], k), "invalid_argument");
    for (const v of [null, undefined, 5, {}]) thrown(() => validateProfiles(v, "user"), "invalid_argument");
    assert.deepEqual(validateProfiles("[", "user").problems.map((p) => [p.index, p.code]), [[null, "invalid_json"]]);
    assertStillWorks();
  });
});

describe("importBatches (docs/domain.md, ingestion)", () => {
  const parsed = (bodies) => bodies.map((b) => JSON.parse(b));

  test("4500 events: bodies of ≤ 2000, none lost or repeated, in order", T, () => {
    const evs = range(4500).map((i) => event(i));
    const bodies = importBatches(evs);
    assert.deepEqual(parsed(bodies).map((a) => a.length), [2000, 2000, 500]);
    assert.deepEqual(parsed(bodies).flat(), evs);
    // NDJSON and JSON array text give the same bodies.
    assert.deepEqual(importBatches(evs.map((e) => JSON.stringify(e)).join("\n")), bodies);
    assert.deepEqual(importBatches(JSON.stringify(evs)), bodies);
    assert.deepEqual(importBatches([]), []);
  });

  test("large events: bodies of ≤ 10 MB, none lost, in order", T, () => {
    const evs = range(30).map((i) => event(i, { s: "x".repeat(900_000) }));
    const bodies = importBatches(evs);
    assert.ok(bodies.length >= 3);
    for (const b of bodies) assert.ok(Buffer.byteLength(b) <= TEN_MB, `${Buffer.byteLength(b)} bytes`);
    assert.deepEqual(parsed(bodies).flat(), evs);
  });

  test("text input is passed through as written (no number reformatting)", T, () => {
    assert.deepEqual(importBatches('[{"event":"e","properties":{"big":12345678901234567890,"f":1.0}}]'), [
      '[{"event":"e","properties":{"big":12345678901234567890,"f":1.0}}]',
    ]);
  });

  test(
    "an event too large for any body is refused, never sent in a body over 10 MB",
    T,
    () => {
      const r = answers(() => importBatches([event(1, { s: "x".repeat(11_000_000) })]));
      if (r.value) for (const b of r.value) assert.ok(Buffer.byteLength(b) <= TEN_MB, `${Buffer.byteLength(b)} bytes`);
    },
  );

  test("bad input: invalid_argument", T, () => {
    for (const v of [null, undefined, 5, {}]) thrown(() => importBatches(v), "invalid_argument");
    thrown(() => importBatches("[{"), "invalid_argument");
    thrown(() => importBatches([{ n: 1n }]), "invalid_argument");
    assertStillWorks();
  });
});

describe("isMtuExempt (docs/domain.md, MTU-exempt events)", () => {
  test("the 20 names, exactly", T, () => {
    assert.equal(MTU_EXEMPT.length, 20);
    for (const name of MTU_EXEMPT) assert.equal(isMtuExempt(name), true, name);
  });

  test("near misses are not exempt", T, () => {
    for (const name of MTU_EXEMPT) {
      for (const near of [name.toLowerCase(), name.toUpperCase(), ` ${name}`, `${name} `, name.replace(" ", "  "), name.replace(" ", "_"),
        name.slice(0, -1), `${name}s`, `${name}\u0000`, name.normalize("NFD").replace("e", "e\u0301")]) {
        if (near !== name) assert.equal(isMtuExempt(near), false, JSON.stringify(near));
      }
    }
    for (const name of ["", "Notification", "App Launched", "Charged", "AB Experiment", "Geocluster"]) assert.equal(isMtuExempt(name), false, name);
  });

  test("a non-string is invalid_argument", T, () => {
    for (const v of [null, undefined, 5, {}, ["Notification Sent"]]) thrown(() => isMtuExempt(v), "invalid_argument");
    assertStillWorks();
  });
});

describe("hostile input across every function", () => {
  test("never a trap, a TypeError or a bare string; the module keeps answering", T, () => {
    const cyclic = [];
    cyclic.push(cyclic);
    const getterThrows = [Object.defineProperty({}, "x", { enumerable: true, get() { throw new Error("boom"); } })];
    function* iteratorThrows() {
      yield "a";
      throw new Error("iterator");
    }
    const inputs = [undefined, null, 0, -1, NaN, 1n, "", "x", "{", "[]", true, {}, [], [null], [{}], cyclic, getterThrows,
      JSON.parse('{"__proto__":{"polluted":1}}'), new Uint8Array([0xff, 0xfe]), Symbol("s"), () => 1];
    const index = new IdentityIndex(["a"]);
    const calls = [
      (v) => resolveIdentity(v, "clevertap"),
      (v) => resolveIdentity({ mixpanel_distinct_id: "d" }, v),
      (v) => new IdentityIndex(v),
      (v) => index.add(v),
      (v) => index.has(v),
      (v) => IdentityIndex.fromBytes(v),
      (v) => matchMembers(v, index, "clevertap"),
      (v) => cleverTapUploads(v, { ts: TS }),
      (v) => cleverTapUploads(body("members", [member(0)]), v),
      (v) => readCleverTapResponse(v, 200, ""),
      (v) => readCleverTapResponse({ d: [] }, v, ""),
      (v) => readCleverTapResponse({ d: [] }, 200, v),
      (v) => brazeCohortChanges(v),
      (v) => encodeSegmentMembership(v),
      (v) => decodeSegmentMembership(v),
      (v) => segmentMembershipContains(v, "a"),
      (v) => audienceProperties(v),
      (v) => engageBatches(v, { token: "t" }),
      (v) => engageBatches([], v),
      (v) => engageUrl(v),
      (v) => validateEvents(v),
      (v) => validateProfiles(v, "user"),
      (v) => validateProfiles([], v),
      (v) => validateProfiles([], "user", v),
      (v) => importBatches(v),
      (v) => isMtuExempt(v),
    ];
    for (const call of calls) {
      for (const v of inputs) answers(() => call(v));
      answers(() => call(iteratorThrows()));
    }
    assert.equal({}.polluted, undefined);
    assert.equal(index.has("a"), true);
    index.free();
    assertStillWorks();
  });
});

describe("edges settled after review", () => {
  const body = cs.planSync(null, [
    { distinctId: "a", properties: { $braze_external_id: "same" } },
    { distinctId: "b", properties: { $braze_external_id: "same" } },
    { distinctId: "c", properties: { $braze_external_id: "other" } },
  ], { projectId: "p", cohortId: "77", sessionId: "s" })[0];

  test("an empty identity is never added to an index", T, () => {
    const index = new cs.IdentityIndex(["", "x"]);
    assert.equal(index.size, 1);
    assert.equal(index.add(""), false);
    assert.equal(index.has(""), false);
  });

  test("one Braze id shared by two members is sent once", T, () => {
    const [request] = cs.brazeCohortChanges(body);
    assert.deepEqual(request.cohort_changes[0].user_ids, ["same", "other"]);
  });

  test("an empty userIdProperty is refused rather than meaning the default", T, () => {
    thrown(() => cs.brazeCohortChanges(body, { userIdProperty: "" }), "invalid_argument");
    thrown(() => cs.resolveIdentity({ mixpanel_distinct_id: "a" }, { braze: { userIdProperty: "" } }), "invalid_argument");
  });

  test("a CleverTap ts in milliseconds is refused", T, () => {
    thrown(() => cs.cleverTapUploads(body, { ts: 1_763_800_000_000 }), "invalid_argument");
    assert.equal(cs.cleverTapUploads(body, { ts: 1_763_800_000 })[0].d[0].ts, 1_763_800_000);
  });

  test("a quoted per-record code from CleverTap is read as a number", T, () => {
    const [upload] = cs.cleverTapUploads(body, { ts: 1 });
    const answer = { status: "partial", unprocessed: [{ status: "fail", code: "503", error: "later", record: upload.d[0] }] };
    const outcome = cs.readCleverTapResponse(upload, 200, JSON.stringify(answer));
    assert.equal(outcome.retry.length, 1);
    assert.equal(outcome.delivered, upload.d.length - 1);
  });

  test("the profile endpoints carry no fragment", T, () => {
    assert.equal(cs.engageUrl("us"), "https://api.mixpanel.com/engage");
    assert.equal(cs.engageUrl("eu"), "https://api-eu.mixpanel.com/engage");
  });
});
