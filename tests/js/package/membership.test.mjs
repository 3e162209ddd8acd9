// Membership (docs/api.md "Membership: diffs, receiver state, sender plans") through the
// packed and installed package: planSync as the sender, CohortState as the receiver,
// diffMembers, snapshots, and hostile input. Run by scripts/test-js.mjs from a scratch
// project where `cohort-sync` is the installed tarball.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as cs from "cohort-sync";
import { payload, text } from "../lib/payloads.mjs";
import { thrown, captured } from "../lib/errors.mjs";
import { seeded } from "../lib/random.mjs";

const { CohortState, CohortSyncError, classifyStatus, diffMembers, parsePayload, planSync, validatePayload } = cs;
const T = { timeout: 60_000 }; // a hang fails the test instead of the run

const COHORT = {
  projectId: "2345678",
  cohortId: "98765",
  cohortName: "Power users",
  cohortDescription: "Active on 5 of the last 7 days",
};
const THREE_DAYS_MS = 3 * 24 * 60 * 60 * 1000;

/** The bodies of one sync as the sender would send them. */
const plan = (previous, current, sessionId, extra = {}) => planSync(previous, current, { ...COHORT, sessionId, ...extra });
const ids = (prefix, n, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}-${from + i}`);
const sorted = (list) => [...list].sort();
const outcome = (added, removed, size, more = {}) => ({
  added,
  removed,
  duplicate: false,
  sessionComplete: false,
  size,
  ...more,
});
const duplicate = (size) => ({ added: [], removed: [], duplicate: true, sessionComplete: false, size });
const bytes = (s) => new TextEncoder().encode(s);

/** Everything observable about a state, for "nothing changed" and "the same" checks. */
function look(state) {
  return {
    size: state.size,
    members: state.members(),
    pendingSession: state.pendingSession,
    bytes: Array.from(state.toBytes()),
  };
}

/**
 * Mixpanel's documented worked example (docs/domain.md) (users A–F, 30-minute interval), the sender driven by
 * planSync and the receiver by CohortState. Returns the receiver's outcomes per step.
 */
function seedExample() {
  const state = new CohortState();
  const steps = {};
  // T: the sender's first diff against an empty snapshot: add(A,B,C,D) remove().
  let snapshot = [];
  let cohort = ["A", "B", "C", "D"];
  let bodies = plan(snapshot, cohort, "sync-T");
  steps.T = bodies.map((b) => state.apply(b));
  snapshot = [...cohort];
  // T+10: B and D leave; T+20: E and F join. No sync runs in between.
  cohort = cohort.filter((id) => id !== "B" && id !== "D");
  cohort.push("E", "F");
  steps.T20 = { size: state.size, members: state.members() };
  // T+30: add(E,F) remove(B,D).
  bodies = plan(snapshot, cohort, "sync-T30");
  steps.T30 = bodies.map((b) => state.apply(b));
  // Delivery is at-least-once: the same requests again change nothing.
  steps.T30again = bodies.map((b) => state.apply(b));
  snapshot = [...cohort];
  // T+1h: add() remove(), no change.
  bodies = plan(snapshot, cohort, "sync-T60");
  steps.T60 = bodies.map((b) => state.apply(b));
  steps.final = { size: state.size, members: state.members() };
  state.free();
  return steps;
}

const SEED_STEPS = {
  T: [outcome(["A", "B", "C", "D"], [], 4), outcome([], [], 4)],
  T20: { size: 4, members: ["A", "B", "C", "D"] },
  T30: [outcome(["E", "F"], [], 6), outcome([], ["B", "D"], 4)],
  T30again: [duplicate(4), duplicate(4)],
  T60: [outcome([], [], 4), outcome([], [], 4)],
  final: { size: 4, members: ["A", "C", "E", "F"] },
};

/** The module still answers correctly (after something was thrown at it). */
function assertStillWorks() {
  assert.deepEqual(seedExample(), SEED_STEPS);
  assert.deepEqual(diffMembers(["a", "b"], ["b", "c"]), { added: ["c"], removed: ["a"] });
  assert.equal(validatePayload(text(payload())).valid, true);
}

/** Applies `bodies[n - 1]` for each page number n of `order`. */
function applyPages(state, bodies, order) {
  return order.map((n) => state.apply(bodies[n - 1]));
}

describe("Mixpanel's documented worked example (docs/domain.md)", () => {
  test("T: add(A,B,C,D) remove(); T+30: add(E,F) remove(B,D); T+1h: add() remove()", T, () => {
    assert.deepEqual(seedExample(), SEED_STEPS);
  });

  test("the bodies the sender plans at each step", T, () => {
    const read = (bodies) =>
      bodies.map((b) => {
        const p = parsePayload(b);
        return [p.action, p.page.count, p.page.total, p.members.map((m) => m.distinctId)];
      });
    assert.deepEqual(read(plan([], ["A", "B", "C", "D"], "s")), [
      ["add_members", 1, 1, ["A", "B", "C", "D"]],
      ["remove_members", 1, 1, []],
    ]);
    assert.deepEqual(read(plan(["A", "B", "C", "D"], ["A", "C", "E", "F"], "s")), [
      ["add_members", 1, 1, ["E", "F"]],
      ["remove_members", 1, 1, ["B", "D"]],
    ]);
    assert.deepEqual(read(plan(["A", "C", "E", "F"], ["A", "C", "E", "F"], "s")), [
      ["add_members", 1, 1, []],
      ["remove_members", 1, 1, []],
    ]);
  });

  test("a first sync without a snapshot is a full members sync and lands the same way", T, () => {
    const state = new CohortState();
    const [full, ...rest] = plan(null, ["A", "B", "C", "D"], "first");
    assert.deepEqual(rest, []);
    assert.equal(JSON.parse(full).action, "members");
    assert.deepEqual(state.apply(full), outcome(["A", "B", "C", "D"], [], 4, { sessionComplete: true }));
    assert.equal(state.pendingSession, null);
    const t30 = plan(["A", "B", "C", "D"], ["A", "C", "E", "F"], "sync-T30");
    assert.deepEqual(t30.map((b) => state.apply(b)), SEED_STEPS.T30);
    assert.deepEqual(state.members(), ["A", "C", "E", "F"]);
  });

  test("a failed call mid-sync: the retried requests apply once", T, () => {
    const state = new CohortState();
    plan([], ["A", "B", "C", "D"], "sync-T").forEach((b) => state.apply(b));
    const [add, remove] = plan(["A", "B", "C", "D"], ["A", "C", "E", "F"], "sync-T30");
    // The add page lands; the remove page gets a 503 (never applied), so Mixpanel
    // retries the sync from the top.
    assert.deepEqual(state.apply(add), outcome(["E", "F"], [], 6));
    assert.equal(classifyStatus(503), "retry");
    assert.deepEqual(state.apply(add), duplicate(6));
    assert.deepEqual(state.apply(remove), outcome([], ["B", "D"], 4));
    assert.deepEqual(state.apply(remove), duplicate(4));
    assert.deepEqual(state.members(), ["A", "C", "E", "F"]);
  });
});

describe("CohortState: full syncs over several pages", () => {
  test("5 pages out of order with replays: the sweep runs on the last new page only", T, () => {
    const state = new CohortState();
    // Before: 25 members who stay and 10 who left the cohort.
    const before = [...ids("u", 25), ...ids("gone", 10)];
    assert.equal(state.apply(plan(null, before, "s0")[0]).size, 35);
    const bodies = plan(null, ids("u", 50), "s1", { batchSize: 10 });
    assert.equal(bodies.length, 5);
    const added = [];
    let size = 35;
    for (const [n, replay] of [[3], [1], [1, true], [5], [3, true], [2], [5, true]]) {
      const r = state.apply(bodies[n - 1]);
      if (replay) {
        assert.deepEqual(r, duplicate(size), `page ${n} again`);
      } else {
        // Page n lists u-(10n-10)..u-(10n-1); u-0..u-24 were members already.
        const expected = ids("u", 10, (n - 1) * 10).filter((id) => Number(id.slice(2)) >= 25);
        size += expected.length;
        assert.deepEqual(r, outcome(expected, [], size), `page ${n}`);
        added.push(...r.added);
      }
      assert.equal(state.pendingSession, "s1");
      assert.equal(state.size, size);
      for (const id of ids("gone", 10)) assert.ok(state.has(id), `${id} stays until the sweep`);
    }
    // Page 4 is the last missing one: now the members no page listed leave.
    const last = state.apply(bodies[3]);
    assert.deepEqual(last.added, ids("u", 10, 30).filter((id) => Number(id.slice(2)) >= 25));
    assert.deepEqual(sorted(last.removed), sorted(ids("gone", 10)));
    assert.equal(last.sessionComplete, true);
    assert.equal(last.duplicate, false);
    assert.equal(last.size, 50);
    added.push(...last.added);
    assert.deepEqual(sorted(added), sorted(ids("u", 25, 25)), "each join reported once");
    assert.equal(state.pendingSession, null);
    assert.deepEqual(sorted(state.members()), sorted(ids("u", 50)));
    for (const id of ids("gone", 10)) assert.equal(state.has(id), false);
    // Replays after the session completed change nothing.
    for (const n of [1, 4, 5]) assert.deepEqual(state.apply(bodies[n - 1]), duplicate(50));
    assert.deepEqual(sorted(state.members()), sorted(ids("u", 50)));
  });

  test("a full sync keeps members that add_members brought in while it ran", T, () => {
    const state = new CohortState();
    state.apply(plan(null, ["old", "a"], "s0")[0]);
    const full = plan(null, ["a", "b", "c"], "s1", { batchSize: 2 });
    state.apply(full[0]);
    const [add, remove] = plan(["a", "b"], ["a", "b", "late"], "d1");
    assert.deepEqual(state.apply(add), outcome(["late"], [], 4));
    state.apply(remove);
    const done = state.apply(full[1]);
    assert.deepEqual(done, outcome(["c"], ["old"], 4, { sessionComplete: true }));
    assert.deepEqual(sorted(state.members()), ["a", "b", "c", "late"]);
  });

  test("a restart from the top: a new session replaces the unfinished one; its late pages are stale", T, () => {
    const state = new CohortState();
    state.apply(plan(null, ids("k", 10), "s0")[0]);
    const s1 = plan(null, ids("a", 30), "s1", { batchSize: 10 });
    applyPages(state, s1, [1, 2]);
    assert.equal(state.pendingSession, "s1");
    assert.equal(state.size, 30);
    const s2Members = [...ids("b", 15), ...ids("a", 5)];
    const s2 = plan(null, s2Members, "s2", { batchSize: 10 });
    assert.equal(s2.length, 2);
    assert.deepEqual(state.apply(s2[0]), outcome(ids("b", 10), [], 40));
    assert.equal(state.pendingSession, "s2");
    // A late page of the replaced session changes nothing.
    assert.deepEqual(state.apply(s1[2]), duplicate(40));
    assert.equal(state.pendingSession, "s2");
    const done = state.apply(s2[1]);
    assert.deepEqual(done.added, ids("b", 5, 10));
    assert.deepEqual(sorted(done.removed), sorted([...ids("k", 10), ...ids("a", 15, 5)]));
    assert.equal(done.sessionComplete, true);
    assert.equal(done.size, 20);
    // Later still: pages of s1, new or replayed, are stale.
    for (const n of [3, 1, 2]) assert.deepEqual(state.apply(s1[n - 1]), duplicate(20), `s1 page ${n}`);
    assert.equal(state.pendingSession, null);
    assert.deepEqual(sorted(state.members()), sorted(s2Members));
  });

  test("the same session with a different total_pages starts over", T, () => {
    const state = new CohortState();
    state.apply(plan(null, ["keep-0", "drop-0"], "s0")[0]);
    const first = plan(null, ids("x", 30), "s3", { batchSize: 10 }); // 3 pages
    applyPages(state, first, [1, 2]);
    assert.equal(state.size, 22);
    // The sender starts s3 again with a smaller cohort: 2 pages now.
    const again = plan(null, ["keep-0", ...ids("x", 14)], "s3", { batchSize: 10 });
    assert.equal(again.length, 2);
    // Page 2 of the new attempt: the old attempt's pages no longer count.
    assert.deepEqual(state.apply(again[1]), outcome([], [], 22));
    assert.equal(state.pendingSession, "s3");
    // Page 1 was applied in the first attempt, but that attempt was abandoned.
    const done = state.apply(again[0]);
    assert.equal(done.duplicate, false);
    assert.equal(done.sessionComplete, true);
    assert.deepEqual(done.added, []);
    assert.deepEqual(sorted(done.removed), sorted(["drop-0", ...ids("x", 6, 14)]));
    assert.deepEqual(sorted(state.members()), sorted(["keep-0", ...ids("x", 14)]));
  });

  test("add_members and remove_members apply at once and report real changes only", T, () => {
    const state = new CohortState();
    const add = (list, session, page = 1, total = 1) =>
      text(payload((p) => {
        p.parameters.mixpanel_session_id = session;
        p.parameters.page_info = { page_count: page, total_pages: total };
        p.parameters.members = list.map((id) => ({ mixpanel_distinct_id: id }));
      }, { action: "add_members" }));
    const remove = (list, session, page = 1, total = 1) =>
      text(payload((p) => {
        p.parameters.mixpanel_session_id = session;
        p.parameters.page_info = { page_count: page, total_pages: total };
        p.parameters.members = list.map((id) => ({ mixpanel_distinct_id: id }));
      }, { action: "remove_members" }));
    assert.deepEqual(state.apply(add(["a", "b"], "d1", 1, 3)), outcome(["a", "b"], [], 2));
    assert.equal(state.pendingSession, null, "diffs are not a full sync");
    assert.deepEqual(state.apply(add(["b", "c"], "d1", 2, 3)), outcome(["c"], [], 3));
    assert.deepEqual(state.apply(add(["a"], "d1", 1, 3)), duplicate(3), "same session, action and page");
    assert.deepEqual(state.apply(remove(["a", "nobody"], "d1", 1, 1)), outcome([], ["a"], 2), "remove page 1 ≠ add page 1");
    assert.deepEqual(state.apply(add(["a"], "d2")), outcome(["a"], [], 3), "a new session");
    assert.deepEqual(state.apply(remove(["zzz"], "d2")), outcome([], [], 3));
    assert.deepEqual(state.members(), ["b", "c", "a"], "join order; a came back last");
    // An id listed twice in one page is a warning, not an error: it joins once.
    const twice = add(["n", "b", "n"], "d3");
    assert.deepEqual(validatePayload(twice).warnings.map((p) => p.code), ["duplicate_member"]);
    assert.deepEqual(state.apply(twice), outcome(["n"], [], 4));
    assert.deepEqual(state.apply(parsePayload(add(["m", "m"], "d4"))), outcome(["m"], [], 5));
  });
});

describe("CohortState: inputs", () => {
  const pages = () => [
    ...plan(null, ids("u", 25), "s1", { batchSize: 10 }),
    ...plan(ids("u", 25), [...ids("u", 20), "v"], "d1", { batchSize: 3 }),
    ...plan(null, ids("u", 12, 5), "s2", { batchSize: 5 }).reverse(),
  ];

  test("a CohortPage from parsePayload, a string, a Uint8Array and an ArrayBuffer apply alike", T, () => {
    const forms = {
      string: (b) => b,
      bytes: (b) => bytes(b),
      arrayBuffer: (b) => bytes(b).buffer,
      offsetView: (b) => {
        const u8 = bytes(b);
        const padded = new Uint8Array(u8.length + 6);
        padded.set(u8, 3);
        return padded.subarray(3, 3 + u8.length);
      },
      page: (b) => parsePayload(b),
      pageFromBytes: (b) => parsePayload(bytes(b)),
    };
    const runs = Object.entries(forms).map(([name, form]) => {
      const state = new CohortState();
      const results = [...pages(), pages()[3], pages()[0]].map((b) => state.apply(form(b)));
      return [name, { results, ...look(state) }];
    });
    const [, reference] = runs[0];
    assert.deepEqual(reference.members, ids("u", 12, 5));
    for (const [name, run] of runs) assert.deepEqual(run, reference, name);
  });

  test("an invalid body throws invalid_payload with problems and leaves the state unchanged", T, () => {
    const state = new CohortState();
    const full = plan(null, ids("u", 30), "s1", { batchSize: 10 });
    applyPages(state, full, [2]);
    const before = look(state);
    const valid = JSON.parse(full[0]);
    const edit = (f) => {
      const p = structuredClone(valid);
      f(p);
      return JSON.stringify(p);
    };
    const bodies = [
      "",
      "{",
      "null",
      "[]",
      edit((p) => (p.parameters.page_info.page_count = 4)),
      edit((p) => delete p.parameters.mixpanel_session_id),
      edit((p) => (p.action = "replace_everything")),
      edit((p) => (p.parameters.members[3].mixpanel_distinct_id = 3)),
      edit((p) => (p.parameters.members = Array.from({ length: 1001 }, (_, i) => ({ mixpanel_distinct_id: `n-${i}` })))),
      new Uint8Array([0xff, 0xfe]),
    ];
    for (const body of bodies) {
      const e = thrown(() => state.apply(body), "invalid_payload");
      assert.ok(e.problems.length > 0, String(body).slice(0, 80));
      assert.deepEqual(e.problems, validatePayload(body).errors);
      assert.deepEqual(look(state), before, String(body).slice(0, 80));
    }
    // The limits of validatePayload apply to apply's options too.
    const e = thrown(() => state.apply(full[0], { maxMembers: 5 }), "invalid_payload");
    assert.equal(e.problems[0].code, "too_many_members");
    thrown(() => state.apply(full[0], { maxBytes: 10 }), "invalid_payload");
    thrown(() => state.apply(full[0], { maxMember: 5 }), "invalid_argument");
    thrown(() => state.apply(full[0], "fast"), "invalid_argument");
    assert.deepEqual(look(state), before);
    // Wrong JS types and malformed page objects.
    const page = parsePayload(full[0]);
    const broken = [
      42,
      null,
      undefined,
      true,
      {},
      { ...page, action: "nope" },
      { ...page, sessionId: "" },
      { ...page, page: { count: 4, total: 3 } },
      { ...page, page: { count: 0, total: 3 } },
      { ...page, members: null },
      { ...page, members: [{ distinctId: "" }] },
      { ...page, members: [{ email: "x@example.com" }] },
      { ...page, members: [7] },
    ];
    for (const value of broken) {
      thrown(() => state.apply(value), "invalid_argument");
      assert.deepEqual(look(state), before, JSON.stringify(value)?.slice(0, 80));
    }
    // And the state carries on as if nothing happened.
    applyPages(state, full, [1, 3]);
    assert.deepEqual(state.members(), [...ids("u", 10, 10), ...ids("u", 10), ...ids("u", 10, 20)]);
    assert.equal(state.pendingSession, null);
  });

  test("has, size, members, memoryBytes, pendingSession, free", T, () => {
    const state = new CohortState();
    assert.equal(state.size, 0);
    assert.deepEqual(state.members(), []);
    assert.equal(state.pendingSession, null);
    assert.equal(state.has("a"), false);
    const empty = state.memoryBytes;
    assert.ok(Number.isInteger(empty) && empty >= 0);
    state.apply(plan(null, ids("m", 500), "s", { batchSize: 250 })[0]);
    assert.equal(state.pendingSession, "s");
    assert.equal(state.size, 250);
    assert.ok(state.memoryBytes > empty);
    assert.ok(state.has("m-0") && state.has("m-249") && !state.has("m-250") && !state.has("M-0") && !state.has(""));
    const list = state.members();
    list.push("mutated");
    assert.equal(state.members().length, 250, "members() is a fresh array");
    thrown(() => state.has(5), "invalid_argument");
    thrown(() => state.has(), "invalid_argument");
    thrown(() => state.has(null), "invalid_argument");
    state.free();
    state.free(); // twice is harmless
    for (const use of [
      () => state.size,
      () => state.has("m-0"),
      () => state.members(),
      () => state.toBytes(),
      () => state.toChunks(),
      () => state.memoryBytes,
      () => state.pendingSession,
      () => state.apply(plan(null, ["x"], "t")[0]),
    ]) {
      thrown(use, "invalid_argument");
    }
  });
});

// CRC-32 (IEEE), as the snapshot's trailer uses, to build corrupt snapshots whose
// checksum still matches.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data) {
  let c = 0xffffffff;
  for (const x of data) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function withCrc(body) {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}
/** A deterministic pseudo-random generator in [0, 1). */
const random = (seed) => seeded(seed).next;

describe("CohortState snapshots", () => {
  /** A state mid-way through a 5-page full sync, with a diff sync before it. */
  function midSession() {
    const state = new CohortState();
    plan(null, [...ids("u", 40), "gone", "é😀", "__proto__"], "s0", { batchSize: 7 }).forEach((b) => state.apply(b));
    plan(ids("u", 40), [...ids("u", 40), "diff"], "d0").forEach((b) => state.apply(b));
    const full = plan(null, [...ids("u", 45, 5), "é😀", "__proto__"], "s1", { batchSize: 10 });
    assert.equal(full.length, 5);
    applyPages(state, full, [2, 5, 1]);
    return { state, rest: [[3], [1], [4], [2]].map(([n]) => full[n - 1]) };
  }

  test("toBytes/fromBytes and toChunks/fromChunks mid-session: the restored state finishes identically", T, () => {
    const { state, rest } = midSession();
    const snapshot = state.toBytes();
    assert.ok(snapshot instanceof Uint8Array);
    assert.deepEqual(Array.from(snapshot.subarray(0, 4)), [0x43, 0x53, 0x53, 0x54], '"CSST"');
    assert.equal(crc32(snapshot.subarray(0, -4)), new DataView(snapshot.buffer, snapshot.byteOffset).getUint32(snapshot.length - 4, true));
    const chunks = state.toChunks(100);
    assert.ok(Array.isArray(chunks) && chunks.length === Math.ceil(snapshot.length / 100));
    for (const c of chunks) assert.ok(c instanceof Uint8Array && c.length >= 1 && c.length <= 100);
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(snapshot));
    const defaultChunks = state.toChunks();
    assert.equal(defaultChunks.length, 1, "1 MiB by default");
    assert.deepEqual(defaultChunks[0], snapshot);
    const ones = state.toChunks(1);
    assert.equal(ones.length, snapshot.length);

    const copies = {
      original: state,
      fromBytes: CohortState.fromBytes(snapshot),
      fromArrayBuffer: CohortState.fromBytes(snapshot.slice().buffer),
      fromChunks: CohortState.fromChunks(chunks),
      fromOneByteChunks: CohortState.fromChunks(ones),
      fromDefaultChunks: CohortState.fromChunks(defaultChunks),
    };
    const start = look(state);
    assert.equal(start.pendingSession, "s1");
    for (const [name, copy] of Object.entries(copies)) {
      assert.ok(copy instanceof CohortState);
      assert.deepEqual(look(copy), start, name);
    }
    // Each finishes the session: a replayed page is still a duplicate, the sweep runs on
    // the last new page, and all end the same.
    const ends = Object.entries(copies).map(([name, copy]) => [name, { results: rest.map((b) => copy.apply(b)), ...look(copy) }]);
    const [, reference] = ends[0];
    assert.deepEqual(
      reference.results.map((r) => [r.duplicate, r.sessionComplete]),
      [[false, false], [true, false], [false, true], [true, false]],
    );
    assert.deepEqual(sorted(reference.results[2].removed), sorted([...ids("u", 5), "gone", "diff"]));
    assert.deepEqual(sorted(reference.members), sorted([...ids("u", 45, 5), "é😀", "__proto__"]));
    for (const [name, end] of ends) assert.deepEqual(end, reference, name);
    for (const copy of Object.values(copies)) copy.free();
  });

  test("an empty state round-trips; snapshots of equal states are equal", T, () => {
    const empty = new CohortState();
    const b = empty.toBytes();
    const back = CohortState.fromBytes(b);
    assert.deepEqual(look(back), look(empty));
    assert.equal(back.size, 0);
    assert.deepEqual(CohortState.fromChunks(empty.toChunks(3)).toBytes(), b);
    const { state } = midSession();
    assert.deepEqual(midSession().state.toBytes(), state.toBytes(), "independent of each state's hash seed");
  });

  test("bad chunkBytes throws invalid_argument", T, () => {
    const { state } = midSession();
    for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 40]) {
      thrown(() => state.toChunks(bad), "invalid_argument");
    }
    assert.deepEqual(state.toChunks(null), state.toChunks(), "null is the default");
  });

  test("chunkBytes that is not a number throws invalid_argument", T, () => {
    const { state } = midSession();
    for (const bad of ["100", {}, true, [100]]) {
      thrown(() => state.toChunks(bad), "invalid_argument");
    }
  });

  test("corrupt snapshots throw invalid_snapshot: every flipped byte, every truncation, random bytes", T, () => {
    const { state } = midSession();
    const good = state.toBytes();
    for (let at = 0; at < good.length; at++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = good.slice();
        bad[at] ^= mask;
        thrown(() => CohortState.fromBytes(bad), "invalid_snapshot");
      }
    }
    for (let len = 0; len < good.length; len++) {
      thrown(() => CohortState.fromBytes(good.subarray(0, len)), "invalid_snapshot");
      thrown(() => CohortState.fromChunks([good.subarray(0, len)]), "invalid_snapshot");
    }
    thrown(() => CohortState.fromBytes(new Uint8Array([...good, 0])), "invalid_snapshot");
    thrown(() => CohortState.fromChunks([good, good]), "invalid_snapshot");
    thrown(() => CohortState.fromChunks([]), "invalid_snapshot");
    // Chunks out of order.
    const chunks = state.toChunks(50);
    thrown(() => CohortState.fromChunks([chunks[1], chunks[0], ...chunks.slice(2)]), "invalid_snapshot");
    const next = random(7);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(next() * 64);
      const noise = Uint8Array.from({ length: len }, () => Math.floor(next() * 256));
      // Half of them behind a good magic and version, half with a matching checksum too.
      const bad = i % 2 ? noise : withCrc(new Uint8Array([0x43, 0x53, 0x53, 0x54, 1, ...noise]));
      try {
        const loaded = CohortState.fromBytes(bad);
        // A random body can be a valid snapshot (it is checksummed): then it must work.
        assert.deepEqual(look(CohortState.fromBytes(loaded.toBytes())), look(loaded));
        loaded.free();
      } catch (e) {
        assert.ok(e instanceof CohortSyncError && e.code === "invalid_snapshot", `${e.code}: ${e.message}`);
      }
    }
    assertStillWorks();
  });

  test("tampered snapshots with a matching checksum are refused or load whole, never half", T, () => {
    const { state, rest } = midSession();
    const good = state.toBytes();
    const body = good.subarray(0, -4);
    const next = random(11);
    const seen = { loaded: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) {
      let b = Array.from(body);
      const at = 5 + Math.floor(next() * (b.length - 5));
      const kind = i % 4;
      if (kind === 0) b[at] = Math.floor(next() * 256);
      else if (kind === 1) b[at] ^= 1 << Math.floor(next() * 8);
      else if (kind === 2) b.splice(at, 1 + Math.floor(next() * 4));
      else b.splice(at, 0, ...Array.from({ length: 1 + Math.floor(next() * 4) }, () => Math.floor(next() * 256)));
      let loaded;
      try {
        loaded = CohortState.fromBytes(withCrc(Uint8Array.from(b)));
      } catch (e) {
        assert.ok(e instanceof CohortSyncError && e.code === "invalid_snapshot", `${e.code}: ${e.message}`);
        seen.refused++;
        continue;
      }
      seen.loaded++;
      const members = loaded.members();
      assert.equal(members.length, loaded.size);
      assert.equal(new Set(members).size, members.length, "no id twice");
      assert.deepEqual(look(CohortState.fromBytes(loaded.toBytes())), look(loaded));
      for (const b of rest) loaded.apply(b);
      loaded.free();
    }
    assert.ok(seen.refused > 0 && seen.loaded > 0, JSON.stringify(seen));
    assertStillWorks();
  });

  test("a snapshot whose id is not UTF-8 is refused, even with a matching checksum", T, () => {
    const state = new CohortState();
    state.apply(plan(null, ["u-1", "u-2", "ab"], "s")[0]);
    const good = state.toBytes();
    // "CSST", version 2, 3 members, the first 4 bytes long: raw (tag 0) "u-1".
    assert.equal(Buffer.from(good.subarray(0, 11)).toString("hex"), "4353535402030400752d31", "the layout this test edits");
    // The raw id "u-1" becomes the bytes 80 2d 31: not UTF-8.
    const body = good.slice(0, -4);
    body[8] = 0x80;
    const tampered = withCrc(body);
    thrown(() => CohortState.fromBytes(tampered), "invalid_snapshot");
  });

  test("wrong types throw invalid_argument", T, () => {
    const good = new CohortState().toBytes();
    const latin1 = String.fromCharCode(...good);
    for (const bad of [latin1, "CSST", 42, null, undefined, {}, [...good], true, Symbol("s"), 10n]) {
      thrown(() => CohortState.fromBytes(bad), "invalid_argument");
    }
    for (const bad of [good, latin1, 42, null, undefined, {}, { length: 1, 0: good }, new Set([good])]) {
      thrown(() => CohortState.fromChunks(bad), "invalid_argument");
    }
    for (const bad of [[latin1], [good, 42], [null], [[...good]], [good, undefined]]) {
      thrown(() => CohortState.fromChunks(bad), "invalid_argument");
    }
    assertStillWorks();
  });
});

describe("diffMembers", () => {
  test("arrays, Sets, generators and Map keys; orders and duplicates", T, () => {
    assert.deepEqual(diffMembers(["A", "B", "C", "D"], ["A", "C", "E", "F"]), { added: ["E", "F"], removed: ["B", "D"] });
    assert.deepEqual(diffMembers(["A", "C", "E", "F"], ["F", "E", "C", "A"]), { added: [], removed: [] });
    assert.deepEqual(diffMembers([], []), { added: [], removed: [] });
    assert.deepEqual(diffMembers([], ["b", "a", "b"]), { added: ["b", "a"], removed: [] });
    assert.deepEqual(diffMembers(["z", "y", "z", "x"], []), { added: [], removed: ["z", "y", "x"] });
    assert.deepEqual(diffMembers(["x", "x", "y"], ["z", "z", "x"]), { added: ["z"], removed: ["y"] });
    function* gen(...list) {
      yield* list;
    }
    assert.deepEqual(diffMembers(new Set(["a", "b", "c"]), gen("d", "a", "d", "e")), { added: ["d", "e"], removed: ["b", "c"] });
    assert.deepEqual(diffMembers(new Map([["p", 1], ["q", 2]]).keys(), new Set(["q", "r"])), { added: ["r"], removed: ["p"] });
    // Ids are compared exactly: case, Unicode forms and whitespace all count.
    assert.deepEqual(diffMembers(["a", "é", "x "], ["A", "e\u0301", "x"]), { added: ["A", "e\u0301", "x"], removed: ["a", "é", "x "] });
    const r = diffMembers(["a"], ["b"]);
    assert.ok(Array.isArray(r.added) && Array.isArray(r.removed));
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
  });

  test("100 000 ids a side", T, () => {
    const previous = ids("id", 100_000);
    const current = ids("id", 100_000, 50_000);
    const t = performance.now();
    const r = diffMembers(previous, current);
    assert.ok(performance.now() - t < 10_000);
    assert.deepEqual(r.added, ids("id", 50_000, 100_000));
    assert.deepEqual(r.removed, ids("id", 50_000));
  });

  test("bad input throws invalid_argument", T, () => {
    for (const bad of ["abc", "", 42, null, undefined, {}, { length: 2, 0: "a", 1: "b" }, true, Symbol.iterator]) {
      thrown(() => diffMembers(bad, []), "invalid_argument");
      thrown(() => diffMembers([], bad), "invalid_argument");
    }
    const e = thrown(() => diffMembers(["a", 2], []), "invalid_argument");
    assert.ok(e.problems.some((p) => p.path === "/1"), JSON.stringify(e.problems));
    const c = thrown(() => diffMembers([], ["a", "b", null]), "invalid_argument");
    assert.ok(c.problems.some((p) => p.path === "/2"), JSON.stringify(c.problems));
    thrown(() => diffMembers(new Set([1]), []), "invalid_argument");
    thrown(() => diffMembers([["a"]], []), "invalid_argument");
    thrown(() => diffMembers([{ distinctId: "a" }], []), "invalid_argument");
    // An iterator that throws: its error reaches the caller (as itself or as the cause).
    const broke = new Error("the iterator broke");
    const e2 = captured(() =>
      diffMembers(
        (function* () {
          yield "a";
          throw broke;
        })(),
        [],
      ),
    );
    assert.ok(e2 instanceof CohortSyncError && e2.code === "invalid_argument", String(e2));
    assert.equal(e2.cause, broke, "the caller's own error is the cause");
    assertStillWorks();
  });

  test("a lone surrogate in an id is refused, and the problem names that element", T, () => {
    const e = captured(() => diffMembers(["a", "\ud800"], []));
    assert.ok(e instanceof CohortSyncError && e.code === "invalid_argument", String(e));
    assert.equal(e.problems[0].code, "lone_surrogate");
    assert.equal(e.problems[0].path, "/1");
    assertStillWorks();
  });
});

describe("planSync", () => {
  /** Every body is a valid webhook request; returns them parsed. */
  function parsed(bodies) {
    assert.ok(Array.isArray(bodies) && bodies.length >= 1);
    return bodies.map((b) => {
      assert.equal(typeof b, "string");
      const report = validatePayload(b);
      assert.deepEqual(report.errors, [], b.slice(0, 200));
      assert.deepEqual(report.warnings, []);
      return parsePayload(b);
    });
  }
  /** [action, count, total, memberCount] of each page. */
  const shape = (pages) => pages.map((p) => [p.action, p.page.count, p.page.total, p.members.length]);

  test("a full sync in pages of batchSize, default 1000", T, () => {
    const pages = parsed(plan(null, ids("u", 2500), "s"));
    assert.deepEqual(shape(pages), [["members", 1, 3, 1000], ["members", 2, 3, 1000], ["members", 3, 3, 500]]);
    assert.deepEqual(pages.flatMap((p) => p.members.map((m) => m.distinctId)), ids("u", 2500));
    for (const p of pages) {
      assert.equal(p.projectId, COHORT.projectId);
      assert.equal(p.cohortId, COHORT.cohortId);
      assert.equal(p.cohortName, COHORT.cohortName);
      assert.equal(p.cohortDescription, COHORT.cohortDescription);
      assert.equal(p.sessionId, "s");
    }
    assert.deepEqual(shape(parsed(plan(null, ids("u", 1000), "s"))), [["members", 1, 1, 1000]]);
    assert.deepEqual(shape(parsed(plan(null, ids("u", 1001), "s"))), [["members", 1, 2, 1000], ["members", 2, 2, 1]]);
    assert.deepEqual(shape(parsed(plan(null, ids("u", 7), "s", { batchSize: 3 }))), [
      ["members", 1, 3, 3],
      ["members", 2, 3, 3],
      ["members", 3, 3, 1],
    ]);
    assert.deepEqual(shape(parsed(plan(null, ids("u", 3), "s", { batchSize: 1 }))).length, 3);
    // An empty cohort is one empty members page: it empties the receiver.
    assert.deepEqual(shape(parsed(plan(null, [], "s"))), [["members", 1, 1, 0]]);
  });

  test("a diff: add pages then remove pages, each numbered from 1", T, () => {
    const previous = [...ids("stay", 3), ...ids("old", 5)];
    const current = [...ids("new", 7), ...ids("stay", 3)];
    const pages = parsed(plan(previous, current, "d", { batchSize: 3 }));
    assert.deepEqual(shape(pages), [
      ["add_members", 1, 3, 3],
      ["add_members", 2, 3, 3],
      ["add_members", 3, 3, 1],
      ["remove_members", 1, 2, 3],
      ["remove_members", 2, 2, 2],
    ]);
    assert.deepEqual(pages.slice(0, 3).flatMap((p) => p.members.map((m) => m.distinctId)), ids("new", 7));
    assert.deepEqual(pages.slice(3).flatMap((p) => p.members.map((m) => m.distinctId)), ids("old", 5));
    assert.deepEqual(shape(parsed(plan(ids("a", 3), ids("a", 3), "d"))), [["add_members", 1, 1, 0], ["remove_members", 1, 1, 0]]);
    assert.deepEqual(shape(parsed(plan([], ids("a", 2), "d"))), [["add_members", 1, 1, 2], ["remove_members", 1, 1, 0]]);
    assert.deepEqual(shape(parsed(plan(ids("a", 2), [], "d"))), [["add_members", 1, 1, 0], ["remove_members", 1, 1, 2]]);
  });

  test("snapshotAgeMs past 3 days means a full sync", T, () => {
    const previous = ids("a", 3);
    const current = ids("a", 4);
    const actions = (extra) => plan(previous, current, "s", extra).map((b) => JSON.parse(b).action);
    assert.deepEqual(actions({}), ["add_members", "remove_members"]);
    assert.deepEqual(actions({ snapshotAgeMs: 0 }), ["add_members", "remove_members"]);
    assert.deepEqual(actions({ snapshotAgeMs: THREE_DAYS_MS }), ["add_members", "remove_members"]);
    assert.deepEqual(actions({ snapshotAgeMs: THREE_DAYS_MS + 1 }), ["members"]);
    assert.deepEqual(actions({ snapshotAgeMs: 2 ** 53 }), ["members"]);
    assert.deepEqual(actions({ snapshotAgeMs: null }), ["add_members", "remove_members"]);
    assert.deepEqual(plan(null, current, "s", { snapshotAgeMs: 5 }).map((b) => JSON.parse(b).action), ["members"]);
    const full = parsed(plan(previous, current, "s", { snapshotAgeMs: THREE_DAYS_MS + 1 }));
    assert.deepEqual(full[0].members.map((m) => m.distinctId), current);
  });

  test("Member objects, raw member objects and ids; each id once, fields kept", T, () => {
    const ada = {
      distinctId: "ada",
      email: "ada@example.com",
      firstName: "Ada",
      lastName: "Lovelace",
      phoneNumber: "+15555550100",
      properties: { plan: "pro", seats: 12, tags: ["a"], nested: { x: null }, $CleverTap_user_id: "ct-1" },
    };
    const raw = { mixpanel_distinct_id: "bob", email: "bob@example.com", first_name: "Bob", $braze_external_id: "bz-2", ok: true };
    const current = [ada, raw, "carol", "ada", { distinctId: "bob" }, parsePayload(text(payload())).members[0]];
    const [page] = parsed(plan(null, current, "s"));
    assert.deepEqual(page.members, [
      ada,
      {
        distinctId: "bob",
        email: "bob@example.com",
        firstName: "Bob",
        lastName: null,
        phoneNumber: null,
        properties: { $braze_external_id: "bz-2", ok: true },
      },
      { distinctId: "carol", email: null, firstName: null, lastName: null, phoneNumber: null, properties: {} },
      parsePayload(text(payload())).members[0],
    ]);
    // In a diff, joining members keep their fields; leaving ones are sent by id.
    const [add, remove] = parsed(plan(["gone", "carol"], current, "d"));
    assert.deepEqual(add.members.map((m) => m.distinctId), ["ada", "bob", "user-0"]);
    assert.deepEqual(add.members[0], ada);
    assert.deepEqual(remove.members, [
      { distinctId: "gone", email: null, firstName: null, lastName: null, phoneNumber: null, properties: {} },
    ]);
    // A page from parsePayload round-trips through the sender.
    const members = parsePayload(text(payload((p) => (p.parameters.members[1].plan = "free")))).members;
    assert.deepEqual(parsed(plan(null, members, "s"))[0].members, members);
  });

  test("cohortName and cohortDescription are optional", T, () => {
    const [page] = parsed(planSync(null, ["a"], { projectId: "1", cohortId: "2", sessionId: "3" }));
    assert.deepEqual([page.projectId, page.cohortId, page.sessionId, page.cohortName, page.cohortDescription], ["1", "2", "3", null, null]);
  });

  test("bad options throw invalid_argument", T, () => {
    const base = { projectId: "p", cohortId: "c", sessionId: "s" };
    const bad = [
      undefined,
      null,
      "options",
      42,
      [],
      {},
      { ...base, extra: 1 },
      { ...base, batchsize: 10 },
      { cohortId: "c", sessionId: "s" },
      { projectId: "p", sessionId: "s" },
      { projectId: "p", cohortId: "c" },
      { ...base, projectId: "" },
      { ...base, cohortId: "" },
      { ...base, sessionId: "" },
      { ...base, projectId: 2345678 },
      { ...base, cohortId: 98765 },
      { ...base, sessionId: {} },
      { ...base, cohortName: 5 },
      { ...base, cohortDescription: false },
      { ...base, batchSize: 0 },
      { ...base, batchSize: -1 },
      { ...base, batchSize: 1.5 },
      { ...base, batchSize: NaN },
      { ...base, batchSize: Infinity },
      { ...base, batchSize: "10" },
      { ...base, snapshotAgeMs: -1 },
      { ...base, snapshotAgeMs: 0.5 },
      { ...base, snapshotAgeMs: "0" },
      { ...base, snapshotAgeMs: 2 ** 60 },
    ];
    for (const options of bad) {
      const e = thrown(() => planSync(null, ["a"], options), "invalid_argument");
      assert.ok(e.message.length > 0, JSON.stringify(options));
    }
    for (const options of [base, { ...base, batchSize: 1, snapshotAgeMs: 0, cohortName: null, cohortDescription: undefined }]) {
      assert.equal(planSync(null, ["a"], options).length, 1);
    }
  });

  test("bad lists throw invalid_argument with a JSON Pointer", T, () => {
    const o = { projectId: "p", cohortId: "c", sessionId: "s" };
    for (const bad of ["abc", 42, {}, true]) {
      thrown(() => planSync(bad, ["a"], o), "invalid_argument");
      thrown(() => planSync(null, bad, o), "invalid_argument");
    }
    thrown(() => planSync(null, null, o), "invalid_argument");
    thrown(() => planSync(null, undefined, o), "invalid_argument");
    const at = (fn) => thrown(fn, "invalid_argument").problems.map((p) => p.path);
    assert.deepEqual(at(() => planSync(["a", 1], ["a"], o)), ["/1"]);
    assert.deepEqual(at(() => planSync(null, ["a", "b", 3], o)), ["/2"]);
    assert.deepEqual(at(() => planSync(null, ["a", ""], o)), ["/1"]);
    assert.deepEqual(at(() => planSync(null, [{ email: "x@example.com" }], o)), ["/0/distinctId"]);
    assert.deepEqual(at(() => planSync(null, ["a", { distinctId: 5 }], o)), ["/1/distinctId"]);
    assert.deepEqual(at(() => planSync(null, [{ mixpanel_distinct_id: "a", email: 5 }], o)), ["/0/email"]);
    thrown(() => planSync(null, [null], o), "invalid_argument");
    thrown(() => planSync(null, [["a"]], o), "invalid_argument");
    // undefined previous is "no snapshot", like null.
    assert.equal(JSON.parse(planSync(undefined, ["a"], o)[0]).action, "members");
    assertStillWorks();
  });

  test("generators and Sets in, the same bodies out", T, () => {
    const o = { ...COHORT, sessionId: "s" };
    function* cur() {
      yield* ["a", "b", "c"];
    }
    assert.deepEqual(planSync(new Set(["a", "z"]), cur(), o), planSync(["a", "z"], ["a", "b", "c"], o));
  });
});

describe("at scale", () => {
  test("a 100 000-member full sync in 100 pages replaces 100 000 members exactly", T, () => {
    const state = new CohortState();
    const first = plan(null, ids("id", 100_000), "s0");
    assert.equal(first.length, 100);
    for (const b of first) state.apply(bytes(b));
    assert.equal(state.size, 100_000);
    assert.equal(state.pendingSession, null);

    // The next full sync: half stay, 50 000 new, pages in a shuffled order with replays.
    const second = plan(null, ids("id", 100_000, 50_000), "s1");
    assert.equal(second.length, 100);
    const order = Array.from({ length: 100 }, (_, i) => i + 1);
    const next = random(3);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let added = 0;
    let replays = 0;
    const t = performance.now();
    for (const [k, n] of order.entries()) {
      const r = state.apply(bytes(second[n - 1]));
      added += r.added.length;
      if (k < 99) {
        assert.equal(r.sessionComplete, false);
        assert.deepEqual(r.removed, []);
        assert.equal(r.size, 100_000 + added);
        if (k % 10 === 0) {
          assert.deepEqual(state.apply(second[n - 1]), duplicate(r.size));
          replays++;
        }
      } else {
        assert.equal(r.sessionComplete, true);
        assert.equal(r.removed.length, 50_000);
        assert.deepEqual(sorted(r.removed), sorted(ids("id", 50_000)));
        assert.equal(r.size, 100_000);
      }
    }
    const elapsed = performance.now() - t;
    assert.ok(elapsed < 30_000, `${elapsed} ms`);
    assert.equal(replays, 10);
    assert.equal(added, 50_000);
    assert.equal(state.size, 100_000);
    for (let i = 0; i < 150_000; i += 997) assert.equal(state.has(`id-${i}`), i >= 50_000, `id-${i}`);
    assert.ok(state.has("id-50000") && state.has("id-149999") && !state.has("id-49999") && !state.has("id-150000"));
    assert.deepEqual(sorted(state.members()), sorted(ids("id", 100_000, 50_000)));
    assert.ok(state.memoryBytes > 0 && state.memoryBytes < 64 * 1024 * 1024, `${state.memoryBytes} bytes`);
    // The snapshot of 100 000 members round-trips, in Durable-Object-sized chunks too.
    const snap = state.toBytes();
    const chunks = state.toChunks(128 * 1024);
    assert.ok(chunks.length > 1 && chunks.every((c) => c.length <= 128 * 1024));
    const back = CohortState.fromChunks(chunks);
    assert.equal(back.size, 100_000);
    assert.deepEqual(back.toBytes(), snap);
    assert.ok(back.has("id-123456") && !back.has("id-1"));
    back.free();
    state.free();
  });
});

describe("hostile input", () => {
  test("__proto__, constructor and friends are ordinary distinct ids", T, () => {
    const odd = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];
    const state = new CohortState();
    const r = state.apply(plan(null, [...odd, "plain"], "s0")[0]);
    assert.deepEqual(r.added, [...odd, "plain"]);
    for (const id of odd) assert.equal(state.has(id), true, id);
    assert.equal(state.has("__PROTO__"), false);
    assert.deepEqual(state.members(), [...odd, "plain"]);
    const [add, remove] = plan([...odd, "plain"], ["plain", "constructor", "x"], "d0");
    assert.deepEqual(state.apply(add), outcome(["x"], [], 9));
    const out = state.apply(remove);
    assert.deepEqual(out.removed, odd.filter((id) => id !== "constructor"));
    assert.deepEqual(sorted(state.members()), sorted(["plain", "constructor", "x"]));
    assert.equal(state.has("__proto__"), false);
    assert.deepEqual(diffMembers(["__proto__"], ["constructor", "__proto__"]), { added: ["constructor"], removed: [] });
    // Member objects whose properties are named like prototype keys.
    const body = plan(null, [{ distinctId: "__proto__", properties: JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}') }], "s1")[0];
    const page = parsePayload(body);
    assert.ok(Object.hasOwn(page.members[0].properties, "__proto__"));
    assert.deepEqual(state.apply(page).added, ["__proto__"]);
    for (const value of [out, page, page.members[0], diffMembers([], [])]) {
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
    }
    assert.equal({}.polluted, undefined);
    assert.equal(Object.prototype.polluted, undefined);
    assert.equal(typeof {}.toString, "function");
    assert.equal(Object.prototype.__proto__, null);
  });

  test("odd but valid ids: Unicode, escapes, long ones, and every shape the compact encoding knows", T, () => {
    const odd = [
      ...["é", "e\u0301", "😀", "a b", 'quote"d', "back\\slash", "tab\t", "soh\u0001", "\uffff", "\u2028", "x".repeat(255), "日本語"],
      // Decimal numbers: with and without leading zeros, signs, past u64.
      ...["0", "00", "007", "1", "-1", "+1", "1e3", "9999999999999999999", "18446744073709551615", "18446744073709551616"],
      // UUIDs in each case, mixed case, and near misses.
      "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
      "3F1A9C2E-5B7D-4E8F-9A0B-1C2D3E4F5A6B",
      "3f1a9c2e-5B7D-4e8f-9a0b-1c2d3e4f5a6b",
      "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6",
      "3f1a9c2e05b7d-4e8f-9a0b-1c2d3e4f5a6b",
      // Hex strings: even and odd length, upper and mixed case.
      ...["deadbeef", "DEADBEEF", "DeadBeef", "deadbee", "deadbeef0", "00000000", "deadbeef".repeat(4)],
    ];
    assert.equal(new Set(odd).size, odd.length);
    const state = new CohortState();
    const pages = plan(null, odd, "s", { batchSize: 4 });
    for (const p of pages) state.apply(bytes(p));
    assert.deepEqual(state.members(), odd);
    for (const id of odd) assert.ok(state.has(id), JSON.stringify(id));
    const back = CohortState.fromBytes(state.toBytes());
    assert.deepEqual(back.members(), odd);
    assert.deepEqual(diffMembers(odd, back.members()), { added: [], removed: [] });
    for (const near of ["3F1A9C2E-5B7D-4E8F-9A0B-1C2D3E4F5A6b", "DEADBEEf", "7", "0007", "deadbeef00"]) {
      assert.equal(state.has(near), false, near);
      assert.equal(back.has(near), false, near);
    }
    assert.deepEqual(diffMembers(odd, [...odd, "DEADBEEf"]), { added: ["DEADBEEf"], removed: [] });
    // NUL is the one character no id may hold (docs/rules.md, "Bounds"): refused, nothing changes.
    assert.throws(() => state.apply(bytes(plan(null, ["nul\u0000"], "s-nul")[0])), (error) => error.problems?.[0]?.code === "forbidden_character");
    assert.deepEqual(state.members(), odd);
  });

  test("a storm of errors leaves the module healthy", T, () => {
    const state = new CohortState();
    state.apply(plan(null, ids("u", 20), "s", { batchSize: 10 })[0]);
    const before = look(state);
    const bad = [
      () => state.apply("{"),
      () => state.apply(42),
      () => state.apply({}),
      () => state.has(1),
      () => state.toChunks(0),
      () => CohortState.fromBytes(new Uint8Array([1, 2, 3])),
      () => CohortState.fromBytes("CSST"),
      () => CohortState.fromChunks(null),
      () => diffMembers("ab", []),
      () => diffMembers([1], []),
      () => planSync(null, ["a"], {}),
      () => planSync(null, [1], { projectId: "p", cohortId: "c", sessionId: "s" }),
      () => planSync(null, ["a"], { projectId: "p", cohortId: "c", sessionId: "s", batchSize: 0 }),
    ];
    for (let i = 0; i < 1000; i++) {
      assert.throws(bad[i % bad.length], CohortSyncError);
    }
    assert.deepEqual(look(state), before);
    assertStillWorks();
  });
});
