// The receiver's read of a logged page (pkg/receiver/page.js, the wasm's LoggedPage): what
// the tracker, the store and the destinations get from the one read of the body as sent,
// held to what the public API says of the same body, and the destinations' requests held
// byte for byte to forwardingRequests on a change body made of the members' texts (how
// the receiver built them before it kept the page in the wasm).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { forwardingRequests, planSync, validatePayload } from "cohort-sync";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const { ReadPage, keptMember } = await import(pathToFileURL(join(pkgDir, "receiver/page.js")));
const { changeRequests } = await import(pathToFileURL(join(pkgDir, "receiver/forward.js")));

const MEMBERS = [
  { mixpanel_distinct_id: "a", email: "a@example.com", $braze_external_id: "bz-a", $CleverTap_user_id: 42 },
  { $distinct_id: "zoë", $email: "zoë@example.com", $phone: 5551234, note: "名前 😀 \"quoted\" \\ \n" },
  { mixpanel_distinct_id: "😀😀", phone_number: "+1 415", nested: { list: [1, "é", null] }, $braze_external_id: "" },
  { mixpanel_distinct_id: "esc\"aped\\id\u0001", email: null },
  { mixpanel_distinct_id: "a", email: "again@example.com" },
];
const body = (action, members, { indent, pageInfo = true } = {}) =>
  JSON.stringify(
    {
      action,
      parameters: {
        mixpanel_project_id: "1", mixpanel_cohort_id: "c-1", mixpanel_cohort_name: "Ünïcode", mixpanel_session_id: "s",
        ...(pageInfo ? { page_info: { page_count: 2, total_pages: 3 } } : {}),
        members,
      },
    },
    null,
    indent,
  );
const bytes = (text) => new TextEncoder().encode(text);
const read = (input, texts = true, partChars = 500_000) => new ReadPage(input, { partChars, texts });
const OPTIONS = { clevertap: { ts: 1_700_000_000 }, braze: { userIdProperty: null, simplifiedIdMerge: false } };

/** What the receiver handed forwardingRequests before: the kept texts joined into a change body. */
function changeBody(remove, members) {
  const head = JSON.stringify({
    action: remove ? "remove_members" : "add_members",
    parameters: {
      mixpanel_project_id: "1", mixpanel_cohort_id: "c-1", mixpanel_cohort_name: "Ünïcode", mixpanel_cohort_description: "",
      mixpanel_session_id: "s", page_info: { page_count: 1, total_pages: 1 }, members: [],
    },
  });
  const list = members.map(([id, data]) => data ?? `{"mixpanel_distinct_id":${JSON.stringify(id)}}`).join(",");
  return `${head.slice(0, -"]}}".length)}${list}]}}`;
}

describe("ReadPage: the one read of a logged body", () => {
  test("head, ids and the members' texts as the public API reads the same body: bytes, pretty-printed, after a byte order mark", () => {
    for (const [what, input] of [
      ["bytes", bytes(body("members", MEMBERS))],
      ["pretty-printed", bytes(body("members", MEMBERS, { indent: 2 }))],
      ["a byte order mark", new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(body("members", MEMBERS))])],
      ["an ArrayBuffer, as SQL gives it back", bytes(body("members", MEMBERS)).buffer],
    ]) {
      const report = validatePayload(input, { ids: true, memberSpans: true });
      const page = read(input);
      try {
        assert.deepEqual(page.head, {
          action: "members", projectId: "1", cohortId: "c-1", cohortName: "Ünïcode", cohortDescription: null,
          sessionId: "s", integrationId: null, page: { count: 2, total: 3 }, members: [], fingerprint: null,
        }, what);
        assert.deepEqual(page.ids.flatMap((part) => JSON.parse(part.json)), report.ids, what);
        assert.deepEqual(page.ids.map((part) => part.count), [report.ids.length], what);
        const text = new TextDecoder().decode(input);
        report.ids.forEach((id, i) => {
          assert.equal(page.kept(i, id), text.slice(report.memberSpans[2 * i], report.memberSpans[2 * i + 1]), `${what}: member ${i}`);
        });
      } finally {
        page.free();
      }
    }
  });

  test("a pageless body's content key is validatePayload's; ids in bounded parts; no texts when not kept", () => {
    const input = bytes(body("members", MEMBERS, { pageInfo: false }));
    const report = validatePayload(input, { ids: true });
    const page = read(input, false, 12);
    try {
      assert.equal(page.head.page, null);
      assert.equal(page.head.fingerprint, report.fingerprint);
      assert.ok(page.ids.length > 1);
      for (const part of page.ids) assert.ok(part.json.length <= 12 || part.count === 1, part.json);
      assert.deepEqual(page.ids.flatMap((part) => JSON.parse(part.json)), report.ids);
      assert.deepEqual(page.ids.map((part) => part.count).reduce((a, b) => a + b), report.ids.length);
      assert.equal(page.kept(0, "a"), null);
    } finally {
      page.free();
    }
    assert.throws(() => read(bytes('{"action":"members"}')), (e) => e.code === "invalid_argument" && /not a valid page/.test(e.message));
  });

  test("a member over 100k characters is kept short, as keptMember keeps it", () => {
    const huge = { mixpanel_distinct_id: "huge", email: "h@example.com", notes: "x".repeat(120_000) };
    const page = read(bytes(body("members", [huge])));
    try {
      assert.equal(page.kept(0, "huge"), keptMember({ mixpanel_distinct_id: "huge", ...huge }));
      assert.equal(JSON.parse(page.kept(0, "huge")).notes, undefined);
    } finally {
      page.free();
    }
  });
});

describe("ReadPage.requests: the destinations' requests from the page the wasm holds", () => {
  test("byte for byte what forwardingRequests made of the change body, for members of the page, kept texts and bare ids", () => {
    const members = [...MEMBERS, { mixpanel_distinct_id: "big", email: "b@example.com", notes: "y".repeat(100_001) }];
    const page = read(bytes(body("members", members)));
    try {
      const report = validatePayload(body("members", members), { ids: true });
      const joined = report.ids.map((id, i) => [id, page.kept(i, id), i]);
      const stored = [["gone", null], ["kept", JSON.stringify({ mixpanel_distinct_id: "kept", $braze_external_id: "bz-k", $phone: "+44" })], ...joined.map(([id, data]) => [id, data])];
      for (const [remove, changes] of [[false, joined], [false, joined.slice(2, 4)], [true, stored], [false, []]]) {
        const ours = page.requests(remove, changes, OPTIONS);
        const theirs = forwardingRequests(changeBody(remove, changes), OPTIONS);
        assert.deepEqual(ours, theirs, `remove: ${remove}, ${changes.length} members`);
      }
      assert.deepEqual(page.requests(false, joined, { clevertap: { ts: 5 } }).braze, null, "only the destinations asked for");
    } finally {
      page.free();
    }
  });

  test("changeRequests: the outbox entries for a page's changes, 1000 members a request", () => {
    const ids = Array.from({ length: 1200 }, (_, i) => `m-${i}`);
    const [first] = planSync(null, ids.slice(0, 1000), { projectId: "1", cohortId: "c-9", cohortName: "Nine", sessionId: "s", batchSize: 1000 });
    const page = read(bytes(first));
    try {
      const settings = { CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", MIXPANEL_TOKEN: "t" };
      const added = ids.slice(0, 1000).map((id, i) => [id, page.kept(i, id), i]);
      const removed = ids.map((id) => [id, null]);
      const entries = changeRequests(settings, page, added, removed);
      const by = (dest) => entries.filter(([d]) => d === dest).map(([, request]) => request);
      assert.deepEqual(by("profiles").map((r) => [r.member, r.ids.length, r.cohortId, r.cohortName]), [[true, 1000, "c-9", "Nine"], [false, 1000, "c-9", "Nine"], [false, 200, "c-9", "Nine"]]);
      assert.equal(by("braze").length, 0, "Braze is not set up");
      const uploads = by("clevertap").map((r) => JSON.parse(r.body).d);
      assert.equal(uploads.flat().filter((r) => r.evtData.Action === "Added").length, 1000);
      assert.equal(uploads.flat().filter((r) => r.evtData.Action === "Removed").length, 1200);
      assert.deepEqual(entries.map(([dest]) => dest).filter((d, i, all) => d !== all[i - 1]), ["clevertap", "profiles", "clevertap", "profiles", "clevertap", "profiles"], "in the order they must go");
    } finally {
      page.free();
    }
  });
});
