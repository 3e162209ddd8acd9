// What a receiver that forwards needs a page, each from one read of it:
// validatePayload's `memberSpans` (the members as sent, cut out of the body's text) and
// forwardingRequests (every destination's request bodies in one call).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CohortSyncError, brazeCohortChanges, cleverTapUploads, forwardingRequests, validatePayload } from "cohort-sync";

const MEMBERS = [
  { mixpanel_distinct_id: "a", email: "a@example.com", $braze_external_id: "bz-a" },
  { $distinct_id: "zoë", $email: "zoë@example.com", note: "名前 😀 \"quoted\" \\ \n" },
  { mixpanel_distinct_id: "😀😀", phone_number: "+1 415", nested: { list: [1, "é", null] } },
  { mixpanel_distinct_id: "no-braze-id" },
];
const body = (members, indent) =>
  JSON.stringify(
    { action: "add_members", parameters: { mixpanel_project_id: "1", mixpanel_cohort_id: "c-1", mixpanel_cohort_name: "Ünïcode", mixpanel_session_id: "s", page_info: { page_count: 1, total_pages: 1 }, members } },
    null,
    indent,
  );

describe("validatePayload(body, { memberSpans: true })", () => {
  test("cuts each member as sent out of the body's text: strings, bytes, pretty-printed, non-ASCII, a byte order mark", () => {
    const cases = [
      ["a string", body(MEMBERS)],
      ["bytes", new TextEncoder().encode(body(MEMBERS))],
      ["pretty-printed bytes", new TextEncoder().encode(body(MEMBERS, 2))],
      ["bytes after a byte order mark", new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(body(MEMBERS))])],
    ];
    for (const [what, input] of cases) {
      const report = validatePayload(input, { memberSpans: true });
      assert.equal(report.valid, true, what);
      assert.equal(report.ids, undefined, `${what}: ids only when asked`);
      const text = typeof input === "string" ? input : new TextDecoder().decode(input);
      assert.equal(report.memberSpans.length, 2 * MEMBERS.length, what);
      MEMBERS.forEach((member, i) => {
        const cut = text.slice(report.memberSpans[2 * i], report.memberSpans[2 * i + 1]);
        assert.deepEqual(JSON.parse(cut), member, `${what}: member ${i}`);
        assert.equal(cut[0] + cut.at(-1), "{}", `${what}: member ${i} is the object, no more`);
      });
    }
  });

  test("comes with ids when both are asked; [] for an invalid page; null for a parsed object body", () => {
    const both = validatePayload(body(MEMBERS), { ids: true, memberSpans: true });
    assert.deepEqual(both.ids, ["a", "zoë", "😀😀", "no-braze-id"]);
    assert.equal(typeof both.fingerprint, "string");
    assert.equal(both.memberSpans.length, 8);
    assert.deepEqual(validatePayload("{", { memberSpans: true }).memberSpans, []);
    assert.equal(validatePayload(JSON.parse(body(MEMBERS)), { memberSpans: true }).memberSpans, null);
    assert.equal(validatePayload(body(MEMBERS)).memberSpans, undefined, "absent unless asked");
  });
});

describe("forwardingRequests", () => {
  test("builds what cleverTapUploads and brazeCohortChanges build, from one call", () => {
    for (const page of [body(MEMBERS), new TextEncoder().encode(body(MEMBERS))]) {
      const built = forwardingRequests(page, { clevertap: { ts: 1_700_000_000 }, braze: { userIdProperty: null } });
      assert.deepEqual(built.clevertap, cleverTapUploads(page, { ts: 1_700_000_000, format: "json" }));
      const braze = brazeCohortChanges(page);
      assert.deepEqual(built.braze.requests, braze.map((request) => JSON.stringify(request)));
      assert.deepEqual(built.braze.skipped, braze.skipped);
      assert.ok(built.braze.skipped.length > 0, "a member without a Braze id is skipped");
    }
  });

  test("builds only the destinations asked for; options are checked", () => {
    assert.deepEqual(Object.keys(forwardingRequests(body(MEMBERS), { clevertap: {} })), ["clevertap", "braze"]);
    assert.equal(forwardingRequests(body(MEMBERS), { clevertap: {} }).braze, null);
    assert.equal(forwardingRequests(body(MEMBERS), { braze: {}, clevertap: null }).clevertap, null);
    assert.deepEqual(forwardingRequests(body(MEMBERS), {}), { clevertap: null, braze: null });
    for (const options of [{ clevertp: {} }, { clevertap: { ts: -1 } }, { braze: { userIdProperty: 3 } }, { clevertap: 5 }]) {
      assert.throws(() => forwardingRequests(body(MEMBERS), options), (e) => e instanceof CohortSyncError && e.code === "invalid_argument", JSON.stringify(options));
    }
    assert.throws(() => forwardingRequests("{", { clevertap: {} }), (e) => e instanceof CohortSyncError && e.code === "invalid_payload");
  });
});
