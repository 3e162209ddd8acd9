// Benchmark: destination builders and ingestion checks, ours and the plain-JavaScript
// way side by side in one process. Run after a build: `node bench/destinations.bench.mjs`.
//
// 1. A 1000-member page against a destination that already knows 1M identities:
//    ours: `matchMembers(body, index, "clevertap")` + `cleverTapUploads(body)`, straight
//    from the raw body bytes; plain JS: `JSON.parse` the body, resolve each identity,
//    look it up in a `Set` of 1M identities, build the Partner Sync / profile records and
//    cut them into uploads of 1000. Twice: uploads as objects, and as the request bodies
//    a forwarder sends (ours `format: "json"`, plain JS `JSON.stringify` of each upload).
// 2. `validateEvents` on 2000 `/import` events (bytes) vs `JSON.parse` + the same checks
//    by hand.
import { IdentityIndex, cleverTapUploads, matchMembers, planSync, validateEvents, validatePayload } from "../pkg/node.js";
import { result } from "./result.mjs";

const uuid = (i) => {
  const h = (x) => (Math.imul(x ^ 0x9e3779b9, 0x85ebca6b) >>> 0).toString(16).padStart(8, "0");
  return `${h(i)}-${h(i + 1).slice(0, 4)}-4${h(i + 2).slice(0, 3)}-8${h(i + 3).slice(0, 3)}-${h(i + 4)}${h(i + 5).slice(0, 4)}`;
};

function time(label, rounds, fn) {
  for (let i = 0; i < Math.min(50, rounds); i++) fn();
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

// ---- 1. matching and CleverTap uploads ----------------------------------------------
const KNOWN = 1_000_000;
const known = Array.from({ length: KNOWN }, (_, i) => `ct-${uuid(i)}`);
const index = new IdentityIndex(known);
const knownSet = new Set(known);
const members = Array.from({ length: 1000 }, (_, i) => ({
  distinctId: uuid(KNOWN + i),
  email: `user${i}@customers.example.com`,
  firstName: "Ada",
  lastName: "Lovelace",
  phoneNumber: `+1415555${String(i).padStart(4, "0")}`,
  // Half the members have a CleverTap id the destination knows.
  properties: i % 2 ? { $CleverTap_user_id: known[i * 997] } : { plan: "pro" },
}));
const [bodyText] = planSync(null, members, { projectId: "1", cohortId: "98765", cohortName: "Power users", sessionId: "s" });
const body = new TextEncoder().encode(bodyText);
const TS = 1_763_800_000;

function plainMatchAndUpload(bytes) {
  const doc = JSON.parse(new TextDecoder().decode(bytes));
  const p = doc.parameters;
  const action = doc.action === "remove_members" ? "Removed" : "Added";
  const matched = [];
  const created = [];
  const records = [];
  for (const m of p.members) {
    const ct = m.$CleverTap_user_id;
    const identity = typeof ct === "string" && ct !== "" ? ct : m.mixpanel_distinct_id;
    (knownSet.has(identity) ? matched : created).push({ distinctId: m.mixpanel_distinct_id, identity });
    records.push({
      identity, ts: TS, type: "event", evtName: "Partner Sync",
      evtData: { "Partner Segment Name": p.mixpanel_cohort_name, Action: action, "Partner Segment ID": p.mixpanel_cohort_id, "CT Source": "Mixpanel", "Partner Name": "Mixpanel" },
    });
    if (m.email != null || m.phone_number != null) {
      const profileData = {};
      if (m.email != null) profileData.Email = m.email;
      if (m.phone_number != null) profileData.Phone = m.phone_number;
      records.push({ identity, ts: TS, type: "profile", profileData });
    }
  }
  const uploads = [];
  for (let i = 0; i < records.length; i += 1000) uploads.push({ d: records.slice(i, i + 1000) });
  return { matched, created, uploads };
}

const ours = () => ({ match: matchMembers(body, index, "clevertap"), uploads: cleverTapUploads(body, { ts: TS }) });
const a = ours();
const b = plainMatchAndUpload(body);
if (a.match.matched.length !== b.matched.length || JSON.stringify(a.uploads) !== JSON.stringify(b.uploads)) {
  throw new Error("ours and plain JS disagree");
}
// What a forwarder does with the uploads: send them. Ours writes the request bodies
// directly (`format: "json"`); the plain way stringifies the objects it built.
const oursBodies = () => ({ match: matchMembers(body, index, "clevertap"), bodies: cleverTapUploads(body, { ts: TS, format: "json" }) });
const plainBodies = () => {
  const { matched, created, uploads } = plainMatchAndUpload(body);
  return { matched, created, bodies: uploads.map((u) => JSON.stringify(u)) };
};
if (oursBodies().bodies.join() !== plainBodies().bodies.join()) throw new Error("request bodies disagree");
const oursMs = time("ours", 300, ours);
const plainMs = time("plain", 300, () => plainMatchAndUpload(body));
const oursSendMs = time("ours", 300, oursBodies);
const plainSendMs = time("plain", 300, plainBodies);
console.log(`matchMembers + cleverTapUploads, 1000-member page vs ${KNOWN.toLocaleString("en")} known identities (index ${(index.memoryBytes / 2 ** 20).toFixed(0)} MB):`);
console.log(`  as objects:        ours ${oursMs.toFixed(3)} ms, plain JS ${plainMs.toFixed(3)} ms: ${(oursMs / plainMs).toFixed(2)}x`);
console.log(`  as request bodies: ours ${oursSendMs.toFixed(3)} ms, plain JS ${plainSendMs.toFixed(3)} ms: ${(oursSendMs / plainSendMs).toFixed(2)}x`);
// No goal of their own: what counts is a forwarding Worker's page, whose requests
// bench/forwarding.bench.mjs builds in workerd against a goal of ≤ 2 ms.
result("matchMembers + cleverTapUploads (objects), 1000 members vs 1M identities", oursMs, plainMs);
result("matchMembers + cleverTapUploads (format json, request bodies)", oursSendMs, plainSendMs, { plainLabel: "plain JS + JSON.stringify" });

// ---- 2. validateEvents on 2000 events -------------------------------------------------
const NOW = Date.now();
const events = Array.from({ length: 2000 }, (_, i) => ({
  event: i % 7 ? "Page Viewed" : "Signed Up",
  properties: {
    time: Math.floor(NOW / 1000) - i,
    distinct_id: i % 101 ? uuid(i) : "undefined",
    $insert_id: `ins-${i.toString(36)}-${uuid(i).slice(0, 8)}`,
    $browser: "Chrome",
    $current_url: `https://example.com/pricing?ref=${i}`,
    plan: "pro",
    items: i % 5,
  },
}));
const eventBytes = new TextEncoder().encode(JSON.stringify(events));
const PLACEHOLDERS = new Set(["00000000-0000-0000-0000-000000000000", "anon", "anonymous", "nil", "none", "null", "n/a", "na", "undefined", "unknown", "<nil>", "0", "-1", "true", "false", "[]", "{}", ""]);
const INSERT_ID = /^[A-Za-z0-9-]{1,36}$/;
function plainValidateEvents(bytes) {
  const text = new TextDecoder().decode(bytes);
  const list = JSON.parse(text);
  const problems = [];
  let valid = 0;
  list.forEach((e, index) => {
    let bad = false;
    const fail = (field, code) => {
      bad = true;
      problems.push({ index, field, code });
    };
    if (e === null || typeof e !== "object" || Array.isArray(e)) return fail("", "not_an_object");
    if (typeof e.event !== "string" || !e.event.trim()) fail("event", "missing_field");
    const p = e.properties;
    if (p === null || typeof p !== "object") return fail("properties", "missing_field");
    const keys = Object.keys(p);
    if (keys.length >= 255) fail("properties", "too_many_properties");
    const t = typeof p.time === "number" ? (p.time >= 1e11 ? p.time : p.time * 1000) : NaN;
    if (!(t >= 31_536_000_000 && t <= NOW + 3_600_000)) fail("time", "time_out_of_range");
    const id = p.distinct_id;
    if (typeof id !== "string" && typeof id !== "number") fail("distinct_id", "wrong_type");
    else if (PLACEHOLDERS.has(String(id).trim().toLowerCase())) fail("distinct_id", "placeholder_distinct_id");
    if (typeof p.$insert_id !== "string" || !INSERT_ID.test(p.$insert_id)) fail("$insert_id", "invalid_insert_id");
    for (const k of keys) if (typeof p[k] === "string" && p[k].length > 255) problems.push({ index, field: k, code: "string_truncated" });
    if (JSON.stringify(e).length >= 1024 * 1024) fail("", "event_too_large");
    if (!bad) valid++;
  });
  return { valid, invalid: list.length - valid, problems };
}
const ev1 = validateEvents(eventBytes, { now: NOW });
const ev2 = plainValidateEvents(eventBytes);
if (ev1.valid !== ev2.valid || ev1.invalid !== ev2.invalid) throw new Error(`events disagree: ${ev1.valid}/${ev2.valid}`);
const evOurs = time("ours", 300, () => validateEvents(eventBytes, { now: NOW }));
const evPlain = time("plain", 300, () => plainValidateEvents(eventBytes));
console.log(`validateEvents, 2000 events (${(eventBytes.length / 1024).toFixed(0)} KB, ${ev1.invalid} invalid):`);
console.log(`  ours ${evOurs.toFixed(3)} ms, plain JS ${evPlain.toFixed(3)} ms: ${(evOurs / evPlain).toFixed(2)}x`);
result("validateEvents, 2000 events (463 KB)", evOurs, evPlain, { goal: "≤ 0.5×" });

if (process.env.DETAIL) {
  console.log("  matchMembers alone", time("m", 200, () => matchMembers(body, index, "clevertap")).toFixed(3), "ms");
  console.log("  cleverTapUploads alone", time("u", 200, () => cleverTapUploads(body, { ts: TS })).toFixed(3), "ms");
  console.log("  cleverTapUploads json alone", time("u", 200, () => cleverTapUploads(body, { ts: TS, format: "json" })).toFixed(3), "ms");
  console.log("  validatePayload alone", time("v", 200, () => validatePayload(body)).toFixed(3), "ms");
  const text = JSON.stringify(cleverTapUploads(body, { ts: TS }));
  console.log("  JSON.parse of the uploads", time("p", 200, () => JSON.parse(text)).toFixed(3), "ms", (text.length / 1024).toFixed(0), "KB");
}
