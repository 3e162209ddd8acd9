// Benchmark: 1000-member pages through the Worker in real workerd (Miniflare, SQLite
// Durable Objects persisted to a temporary folder), wall time per request on loopback.
// workerd's clocks do not show CPU time, so wall time bounds it from above.
//   node bench/worker.bench.mjs                 # 200 pages (200k members), forwarding off, then on
//   MEMBERS=10000000 FORWARD=off node bench/worker.bench.mjs   # the largest cohort tried
//   IDS=random node bench/worker.bench.mjs      # ids in no order (as distinct ids arrive), not ascending
//   MEMBERS=10000000 FORWARD=off SYNCS=1 node bench/worker.bench.mjs   # one full sync, then members.ndjson of 10M
// The Worker answers once a page is durably logged and applies logged pages in batches
// (pkg/receiver/pagelog.js), so each sync also reports when its last page was applied:
// sending time plus the final read. Up to MAX_LOGGED_PAGES of that work can happen
// unseen while the next 100 bodies are made; MAX_LOGGED_PAGES=0 (every page applied
// before its answer) gives the exact cost a page:
//   MAX_LOGGED_PAGES=0 IDS=random node bench/worker.bench.mjs
// With forwarding on, the first sync's members are sent again at once, while the outbox
// still delivers their changes (the answers then share the object with the deliveries),
// and again once everything is forwarded.
// For comparison in the same process: the plain-JavaScript receiver (JSON.parse + a Map
// of members in memory, nothing durable) on the same pages.
import { planSync } from "cohort-sync";
import { AUTH, startRecorder, startWorker as startInWorkerd } from "../tests/js/worker/worker-harness.mjs";
import { result } from "./result.mjs";

// HOST=node runs the same receiver in Node on a SQLite file (createReceiver), in this
// process, instead of the Worker in workerd; STORE=postgres with it, on a database in a
// throwaway PostgreSQL cluster on 127.0.0.1 (fsync on, as in production).
const HOST = process.env.HOST ?? "workerd";
const STORE = process.env.STORE === "postgres" ? "postgres" : "sqlite";
if (HOST === "node" && STORE === "postgres") Object.assign(process.env, { RECEIVER_STORE: "postgres", RECEIVER_PG_FSYNC: "on" });
const startWorker = HOST === "node" ? (await import("../tests/js/receiver/node-harness.mjs")).startNodeReceiver : startInWorkerd;
const WHERE = HOST !== "node" ? "Worker" : STORE === "postgres" ? "Node receiver on PostgreSQL" : "Node receiver on SQLite";
// The answer goals: the Worker's, and for the Node receiver a page of known members.
const GOALS = HOST !== "node" ? { page: "≤ 10 ms", known: "≤ 10 ms", forwarded: "≤ 10 ms", whole: "≤ 15 ms" }
  : { page: "", known: STORE === "postgres" ? "≤ 15 ms" : "≤ 5 ms", forwarded: "", whole: "" };
const MEMBERS = Number(process.env.MEMBERS ?? 200_000);
const FORWARD = process.env.FORWARD ?? "both"; // off | on | both
const IDS = process.env.IDS ?? "ascending"; // ascending | random
const pad = (i) => String(i).padStart(8, "0");
/** A uuid-shaped id: ascending with i, or scattered (a fixed mix of i, so both syncs list the same ids). */
function distinctId(i) {
  if (IDS !== "random") return `5f1c0b7e-${pad(i).slice(0, 4)}-4a8e-9c1d-${pad(i)}aaaa`;
  let a = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35) >>> 0;
  const hex = (a ^ (a >>> 16)).toString(16).padStart(8, "0");
  return `${hex}-${pad(i).slice(0, 4)}-4a8e-9c1d-${pad(i)}aaaa`;
}
const member = (i) => ({ distinctId: distinctId(i), email: `user${i}@example.com`, firstName: "Ada", lastName: "Lovelace", properties: { plan: "pro", $braze_external_id: `bz-${i}` } });

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] };
}
const ms = (x) => `${x.toFixed(2)} ms`;

/** A full sync's page `index` (0-based) of `count` members, as bytes. */
function pageBody(cohortId, count, sessionId, index) {
  const start = index * 1000;
  const members = Array.from({ length: Math.min(1000, count - start) }, (_, i) => member(start + i));
  const [body] = planSync(null, members, { projectId: "1", cohortId, cohortName: "Bench", sessionId, batchSize: 1000 });
  // planSync numbers pages within its call; rewrite page_info for the whole sync.
  const doc = JSON.parse(body);
  doc.parameters.page_info = { page_count: index + 1, total_pages: Math.ceil(count / 1000) };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/**
 * One full sync of `count` members, timing each request. Bodies are made 100 at a time
 * before they are sent back to back; `appliedMs` is the time spent sending plus the
 * final read (which applies whatever is still logged): the whole sync's cost.
 */
async function fullSync(worker, cohortId, count, sessionId) {
  const samples = [];
  const pages = Math.ceil(count / 1000);
  let busy = 0;
  for (let first = 0; first < pages; first += 100) {
    const bodies = [];
    for (let i = first; i < Math.min(pages, first + 100); i++) bodies.push(pageBody(cohortId, count, sessionId, i));
    const began = performance.now();
    for (const [k, bytes] of bodies.entries()) {
      const t = performance.now();
      const r = await post(worker, bytes);
      samples.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`page ${first + k + 1}: ${r.status} ${r.text}`);
    }
    busy += performance.now() - began;
    if (process.stderr.isTTY) process.stderr.write(`\r  ${Math.min(pages, first + 100) * 1000} members…`);
  }
  if (process.stderr.isTTY) process.stderr.write("\r");
  const t = performance.now();
  const read = await get(worker, `/cohorts/${cohortId}`);
  if (read.status !== 200) throw new Error(`read: ${read.status} ${read.text}`);
  samples.appliedMs = busy + performance.now() - t;
  return samples;
}

/**
 * A request tried again when the local front end closed its connection (at a 10M-member
 * run's length that happens): reads change nothing, and a page sent again is a replay
 * the Worker recognises.
 */
async function retried(request) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt === 3 || !["ECONNRESET", "UND_ERR_SOCKET"].includes(error?.cause?.code)) throw error;
    }
  }
}
const post = (worker, bytes) => retried(() => worker.post(bytes));
const get = (worker, path) => retried(() => worker.get(path));

function plainReceiver(count) {
  // The plain way: parse, keep members in a Map, sweep at the end; in memory only.
  const map = new Map();
  const samples = [];
  for (let start = 0; start < count; start += 1000) {
    const members = Array.from({ length: Math.min(1000, count - start) }, (_, i) => member(start + i));
    const [body] = planSync(null, members, { projectId: "1", cohortId: "p", sessionId: "s", batchSize: 1000 });
    const t = performance.now();
    const doc = JSON.parse(body);
    for (const m of doc.parameters.members) map.set(m.mixpanel_distinct_id, 1);
    samples.push(performance.now() - t);
  }
  return samples;
}

console.log(`cohort-sync ${WHERE} benchmark: ${MEMBERS.toLocaleString("en")} members (ids ${IDS}) in 1000-member pages, ${new Date().toISOString().slice(0, 10)}`);
const plain = stats(plainReceiver(Math.min(MEMBERS, 100_000)));
console.log(`  plain JS in memory (JSON.parse + Map, not durable): median ${ms(plain.median)}, p99 ${ms(plain.p99)} a page`);

/** The loopback floor: an authenticated request the Worker answers 404 without work. */
async function floor(worker) {
  const samples = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await worker.get("/nothing");
    samples.push(performance.now() - t);
  }
  return stats(samples).median;
}

// The page log's settings, to try others: APPLY_DELAY_MS=0 APPLY_PAGES_PER_RUN=1 node bench/worker.bench.mjs
const logVars = Object.fromEntries(["APPLY_DELAY_MS", "APPLY_PAGES_PER_RUN", "MAX_LOGGED_PAGES"].filter((k) => process.env[k]).map((k) => [k, process.env[k]]));

if (FORWARD === "off" || FORWARD === "both") {
  const w = await startWorker({ vars: logVars });
  try {
    const transport = await floor(w);
    console.log(`  loopback floor (GET answered 404 at once): median ${ms(transport)}`);
    const firstRun = await fullSync(w, "bench-off", MEMBERS, "s1");
    const first = stats(firstRun);
    console.log(`  forwarding off, first full sync:  median ${ms(first.median)}, p90 ${ms(first.p90)}, p99 ${ms(first.p99)}, max ${ms(first.max)} a page; all applied after ${ms(firstRun.appliedMs / firstRun.length)} a page`);
    result(`${WHERE}, 1000-member page, forwarding off: median (new members)`, first.median, plain.median, { goal: GOALS.page, plainLabel: "JSON.parse + Map in memory" });
    result("  the same, less the loopback floor", first.median - transport, plain.median, { plainLabel: "JSON.parse + Map in memory" });
    result(`${WHERE}, 1000-member page, forwarding off: p99 (new members)`, first.p99, plain.p99, { plainLabel: "JSON.parse + Map in memory" });
    result(`${WHERE}, 1000-member page, forwarding off: whole sync until applied, per page (new members)`, firstRun.appliedMs / firstRun.length, plain.median, { plainLabel: "JSON.parse + Map in memory" });
    // SYNCS=1 skips the second full sync (all members known), for the longest runs.
    if (process.env.SYNCS !== "1") {
      const secondRun = await fullSync(w, "bench-off", MEMBERS, "s2");
      const second = stats(secondRun);
      console.log(`  forwarding off, second full sync: median ${ms(second.median)}, p90 ${ms(second.p90)}, p99 ${ms(second.p99)}, max ${ms(second.max)} a page (all members known); all applied after ${ms(secondRun.appliedMs / secondRun.length)} a page`);
      result(`${WHERE}, 1000-member page, forwarding off: median (known members)`, second.median, plain.median, { goal: GOALS.known, plainLabel: "JSON.parse + Map in memory" });
    }
    const info = (await get(w, "/cohorts/bench-off")).json;
    console.log(`  cohort held: ${info.size.toLocaleString("en")} members`);
    // The whole membership streamed (GET /cohorts/:id/members.ndjson), read as it comes.
    const t = performance.now();
    const res = await retried(() => fetch(`${w.origin}/cohorts/bench-off/members.ndjson`, { headers: { authorization: AUTH } }));
    let lines = 0;
    for await (const chunk of res.body) for (const byte of chunk) if (byte === 10) lines++;
    const streamed = performance.now() - t;
    if (lines !== info.size) throw new Error(`members.ndjson: ${lines} lines for ${info.size} members`);
    console.log(`  members.ndjson: ${lines.toLocaleString("en")} lines in ${(streamed / 1000).toFixed(1)} s (${Math.round(lines / streamed * 1000).toLocaleString("en")} members a second)`);
    result(`members.ndjson, ${lines.toLocaleString("en")} members: whole stream`, streamed, null, { plainLabel: "no plain-JS counterpart" });
  } finally {
    await w.destroy();
  }
}

if (FORWARD === "on" || FORWARD === "both") {
  const ok = () => [200, '{"status":"success","processed":1000,"unprocessed":[]}'];
  const [clevertap, braze, mixpanel] = await Promise.all([startRecorder(ok), startRecorder(() => [201, "{}"]), startRecorder(() => [200, "1"])]);
  const w = await startWorker({
    vars: {
      ...logVars,
      CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: clevertap.url,
      BRAZE_API_KEY: "k", BRAZE_COHORT_URL: braze.url,
      MIXPANEL_TOKEN: "t", MIXPANEL_ENGAGE_URL: mixpanel.url,
    },
  });
  try {
    const count = Math.min(MEMBERS, 50_000);
    const forwarded = async () => {
      for (;;) {
        const info = (await w.get("/cohorts/bench-on")).json;
        const profiles = await (await w.profiles()).counts();
        if (info.outbox.pending === 0 && profiles.pending === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const t = performance.now();
    const firstRun = await fullSync(w, "bench-on", count, "s1");
    const on = stats(firstRun);
    console.log(`  forwarding on (CleverTap + Braze + profiles), ${count.toLocaleString("en")} new members: median ${ms(on.median)}, p90 ${ms(on.p90)}, p99 ${ms(on.p99)} a page; all applied and queued after ${ms(firstRun.appliedMs / firstRun.length)} a page`);
    result(`${WHERE}, 1000-member page, forwarding on: median (new members)`, on.median, plain.median, { plainLabel: "JSON.parse + Map in memory" });
    result(`${WHERE}, 1000-member page, forwarding on: whole sync until applied and queued, per page (new members)`, firstRun.appliedMs / firstRun.length, plain.median, { plainLabel: "JSON.parse + Map in memory" });
    // The same members again at once, while the outbox still delivers the first sync's
    // changes: nothing changes, but the answers share the object with the deliveries.
    const busyRun = await fullSync(w, "bench-on", count, "s1b");
    const busy = stats(busyRun);
    const pendingAfter = (await w.get("/cohorts/bench-on")).json.outbox.pending;
    console.log(`  forwarding on, the same ${count.toLocaleString("en")} members at once, while the outbox delivers (${pendingAfter} requests still queued after): median ${ms(busy.median)}, p90 ${ms(busy.p90)}, p99 ${ms(busy.p99)} a page; all applied after ${ms(busyRun.appliedMs / busyRun.length)} a page`);
    result(`${WHERE}, 1000-member page, forwarding on: median (known members, outbox delivering)`, busy.median, plain.median, { goal: GOALS.forwarded, plainLabel: "JSON.parse + Map in memory" });
    await forwarded();
    console.log(`  all forwarded in ${((performance.now() - t) / 1000).toFixed(1)} s: ${clevertap.received.length} CleverTap uploads, ${braze.received.length} Braze requests, ${mixpanel.received.length} /engage bodies`);
    // The same members again: nothing changes, nothing is sent; what a page costs a
    // Worker that forwards when its cohort is steady.
    const secondRun = await fullSync(w, "bench-on", count, "s2");
    const known = stats(secondRun);
    console.log(`  forwarding on, the same ${count.toLocaleString("en")} members again (all known): median ${ms(known.median)}, p90 ${ms(known.p90)}, p99 ${ms(known.p99)} a page; all applied after ${ms(secondRun.appliedMs / secondRun.length)} a page`);
    result(`${WHERE}, 1000-member page, forwarding on: median (known members)`, known.median, plain.median, { goal: GOALS.forwarded, plainLabel: "JSON.parse + Map in memory" });
    result(`${WHERE}, 1000-member page, forwarding on: whole sync until applied, per page (known members)`, secondRun.appliedMs / secondRun.length, plain.median, { goal: GOALS.whole, plainLabel: "JSON.parse + Map in memory" });
  } finally {
    await w.destroy();
    await Promise.all([clevertap, braze, mixpanel].map((r) => r.close()));
  }
}
