// What the real sender sends (no page_info, mixpanel_integration_id, members with
// Mixpanel's reserved $-properties, $distinct_id alone) through the packed package:
// validation, parsing, the membership rules for pageless pages, the destinations, the
// parsed webhook object as a body, and the SyncTracker the Worker uses.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { CohortState, CohortSyncError, SyncTracker, cleverTapUploads, parsePayload, resolveIdentity, validatePayload } from "cohort-sync";

/** The body of a 2025 capture (ids changed). */
const CAPTURED = {
  action: "members",
  parameters: {
    mixpanel_project_id: "2201475",
    mixpanel_integration_id: "0",
    mixpanel_cohort_name: "Registros Ultimas 24 horas",
    mixpanel_cohort_id: "5167408",
    mixpanel_session_id: "9b5bbfa4-1b9a-41fe-bf60-cd31274ef05d",
    members: [
      { $distinct_id: "a@example.com", $email: "a@example.com", $name: "Mirna", $os: "Android", $phone: "+543704546789", mixpanel_distinct_id: "a@example.com", utm_source: "google" },
    ],
  },
};
const body = (action, session, members, pageInfo) =>
  JSON.stringify({ action, parameters: { ...CAPTURED.parameters, mixpanel_session_id: session, ...(pageInfo ? { page_info: pageInfo } : {}), members } });
const codes = (problems) => problems.map((p) => p.code);

describe("the real sender's bodies", () => {
  test("are valid with no warnings: no_page_info and the missing description are notes (info); integrationId is read", () => {
    for (const input of [JSON.stringify(CAPTURED), new TextEncoder().encode(JSON.stringify(CAPTURED)), CAPTURED]) {
      const report = validatePayload(input);
      assert.equal(report.valid, true, JSON.stringify(report.errors));
      assert.deepEqual(report.warnings, []);
      assert.deepEqual(codes(report.info), ["missing_field", "no_page_info"]);
      assert.equal(report.integrationId, "0");
      assert.equal(report.page, null);
    }
  });

  test("members fall back to $email, $phone, $first_name, $last_name; $distinct_id stands in for a missing id", () => {
    const page = parsePayload(body("add_members", "s", [{ $distinct_id: "d-1", $email: "d@example.com", $first_name: "Dora", $last_name: "Diaz", $phone: "+1 555" }, { mixpanel_distinct_id: "e-1", email: "plain@example.com", $email: "reserved@example.com" }]));
    assert.deepEqual(
      page.members.map(({ distinctId, email, firstName, lastName, phoneNumber }) => ({ distinctId, email, firstName, lastName, phoneNumber })),
      [
        { distinctId: "d-1", email: "d@example.com", firstName: "Dora", lastName: "Diaz", phoneNumber: "+1 555" },
        { distinctId: "e-1", email: "plain@example.com", firstName: null, lastName: null, phoneNumber: null },
      ],
    );
    assert.equal(page.members[0].properties.$email, "d@example.com", "the reserved keys stay in properties");
    assert.ok(codes(validatePayload(body("add_members", "s", [{ $distinct_id: "d-1" }])).warnings).includes("reserved_distinct_id"));
    assert.deepEqual(codes(validatePayload(body("add_members", "s", [{ $email: "x@example.com" }])).errors), ["missing_field"]);
  });

  test("CleverTap gets Email and Phone from $email and $phone", () => {
    const [upload] = cleverTapUploads(JSON.stringify(CAPTURED), { ts: 1700000000 });
    const profile = upload.d.find((r) => r.type === "profile");
    assert.deepEqual(profile.profileData, { Email: "a@example.com", Phone: "+543704546789" });
    assert.equal(resolveIdentity(CAPTURED.parameters.members[0], "clevertap").identity, "a@example.com");
  });

  test("a pageless full sync: adds at once, replays are duplicates, other bodies are parts; it sweeps when the next sync begins", () => {
    const state = new CohortState();
    state.apply(body("add_members", "d0", [{ mixpanel_distinct_id: "old" }]));
    assert.deepEqual(state.apply(body("members", "full", [{ mixpanel_distinct_id: "a" }])).added, ["a"]);
    assert.equal(state.apply(body("members", "full", [{ mixpanel_distinct_id: "a" }])).duplicate, true);
    assert.deepEqual(state.apply(body("members", "full", [{ mixpanel_distinct_id: "b" }])).added, ["b"]);
    assert.equal(state.pendingSession, "full");
    assert.ok(state.has("old"), "not removed on a pageless body's word");
    const next = state.apply(body("remove_members", "d1", [{ mixpanel_distinct_id: "b" }]));
    assert.deepEqual([next.removed.sort(), next.sessionComplete], [["b", "old"], true]);
    assert.deepEqual(state.members().sort(), ["a"]);
    state.free();
  });

  test("the parsed webhook object is a body everywhere, with the same codes and pointers but no line or column", () => {
    const bad = { action: "members", parameters: { ...CAPTURED.parameters, members: [{ mixpanel_distinct_id: 7 }] } };
    const fromText = validatePayload(JSON.stringify(bad));
    const fromObject = validatePayload(bad);
    assert.deepEqual(fromObject.errors.map(({ code, path, message }) => ({ code, path, message })), fromText.errors.map(({ code, path, message }) => ({ code, path, message })));
    assert.ok(fromObject.errors.every((p) => p.line === undefined && p.column === undefined && p.offset === undefined));
    assert.ok(fromText.errors.every((p) => p.line !== undefined));
    const thrown = (() => {
      try {
        parsePayload(bad);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(thrown instanceof CohortSyncError && thrown.code === "invalid_payload");
    assert.equal(thrown.problems[0].path, "/parameters/members/0/mixpanel_distinct_id");
    const state = new CohortState();
    assert.deepEqual(state.apply(CAPTURED).added, ["a@example.com"], "apply(req.body)");
    assert.throws(() => state.apply(bad), (e) => e.code === "invalid_payload" && e.problems[0].path === "/parameters/members/0/mixpanel_distinct_id");
    const cyclic = { action: "members", parameters: {} };
    cyclic.parameters.self = cyclic;
    assert.deepEqual(codes(validatePayload(cyclic).errors), ["invalid_argument"], "a cyclic object is reported, not thrown");
    state.free();
  });

  test("too-long ids and names are errors (too_long) naming the field", () => {
    const report = validatePayload(body("members", "s".repeat(256), [{ mixpanel_distinct_id: "x".repeat(1025) }]));
    assert.deepEqual(report.errors.map((p) => [p.code, p.path]), [
      ["too_long", "/parameters/mixpanel_session_id"],
      ["too_long", "/parameters/members/0/mixpanel_distinct_id"],
    ]);
    assert.equal(validatePayload(body("members", "s".repeat(255), [{ mixpanel_distinct_id: "x".repeat(1024) }])).valid, true, "the bounds themselves are accepted");
  });
});

describe("SyncTracker (the rulebook the Worker asks)", () => {
  test("decides as CohortState does, and survives its bytes", () => {
    const tracker = new SyncTracker();
    const one = tracker.observe({ action: "members", sessionId: "f", page: { count: 1, total: 2 } });
    assert.deepEqual(one, { sweepFirst: false, duplicate: false, startListing: true, mark: true, sweepAfter: false });
    assert.equal(tracker.observe({ action: "members", sessionId: "f", page: { count: 1, total: 2 } }).duplicate, true);
    const again = SyncTracker.fromBytes(tracker.toBytes());
    assert.equal(again.pendingSession, "f");
    assert.equal(again.pendingTotalPages, 2);
    assert.equal(again.observe({ action: "members", sessionId: "f", page: { count: 2, total: 2 } }).sweepAfter, true);
    const report = validatePayload(JSON.stringify(CAPTURED), { ids: true });
    assert.match(report.fingerprint, /^[0-9a-f]{32}$/);
    const pageless = again.observe({ action: report.action, sessionId: report.sessionId, page: report.page, fingerprint: report.fingerprint });
    assert.deepEqual([pageless.startListing, pageless.mark, pageless.sweepAfter], [true, true, false]);
    assert.equal(again.observe({ action: report.action, sessionId: report.sessionId, page: null, fingerprint: report.fingerprint }).duplicate, true);
    assert.throws(() => again.observe({ action: "members", sessionId: "x", page: null }), (e) => e instanceof CohortSyncError && e.code === "invalid_argument");
    assert.throws(() => SyncTracker.fromBytes(new Uint8Array([1, 2, 3])), (e) => e.code === "invalid_snapshot");
    tracker.free();
    again.free();
  });

  test("fixtures of each real shape are valid, and their fingerprints differ by content only", () => {
    const fixture = (name) => readFileSync(new URL(`../../fixtures/payloads/valid/${name}.json`, import.meta.url));
    for (const name of ["real_sender_members", "real_sender_remove_members", "no_page_info", "reserved_distinct_id"]) {
      assert.equal(validatePayload(fixture(name)).valid, true, name);
    }
    const a = validatePayload(body("members", "s1", [{ mixpanel_distinct_id: "a" }]), { ids: true }).fingerprint;
    const b = validatePayload(body("members", "s2", [{ mixpanel_distinct_id: "a", extra: 1 }]), { ids: true }).fingerprint;
    const c = validatePayload(body("members", "s1", [{ mixpanel_distinct_id: "b" }]), { ids: true }).fingerprint;
    assert.equal(a, b, "the same action and ids");
    assert.notEqual(a, c);
  });
});
