// Benchmark: 1000-member pages through the Worker in real workerd (Miniflare, SQLite
// Durable Objects persisted to a temporary folder), wall time per request on loopback.
// workerd's clocks do not show CPU time, so wall time bounds it from above.
//   node bench/worker.bench.mjs                 # 200 pages (200k members), forwarding off, then on
//   MEMBERS=10000000 FORWARD=off node bench/worker.bench.mjs   # the largest cohort tried
// For comparison in the same process: the plain-JavaScript receiver (JSON.parse + a Map
// of members in memory, nothing durable) on the same pages.
import { planSync } from "cohort-sync";
import { startRecorder, startWorker } from "../tests/js/worker-harness.mjs";
import { result } from "./result.mjs";

const MEMBERS = Number(process.env.MEMBERS ?? 200_000);
const FORWARD = process.env.FORWARD ?? "both"; // off | on | both
const pad = (i) => String(i).padStart(8, "0");
const member = (i) => ({ distinctId: `5f1c0b7e-${pad(i).slice(0, 4)}-4a8e-9c1d-${pad(i)}aaaa`, email: `user${i}@example.com`, firstName: "Ada", lastName: "Lovelace", properties: { plan: "pro", $braze_external_id: `bz-${i}` } });

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}
const ms = (x) => `${x.toFixed(2)} ms`;

/** One full sync of `count` members, page by page, timing each request. */
async function fullSync(worker, cohortId, count, sessionId) {
  const samples = [];
  for (let start = 0; start < count; start += 1000) {
    const members = Array.from({ length: Math.min(1000, count - start) }, (_, i) => member(start + i));
    const [body] = planSync(null, members, { projectId: "1", cohortId, cohortName: "Bench", sessionId, batchSize: 1000 });
    // planSync numbers pages within its call; rewrite page_info for the whole sync.
    const doc = JSON.parse(body);
    doc.parameters.page_info = { page_count: start / 1000 + 1, total_pages: Math.ceil(count / 1000) };
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    const t = performance.now();
    const r = await worker.post(bytes);
    samples.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`page ${start / 1000 + 1}: ${r.status} ${r.text}`);
    if (process.stderr.isTTY && (start / 1000) % 100 === 0) process.stderr.write(`\r  ${start + 1000} members…`);
  }
  if (process.stderr.isTTY) process.stderr.write("\r");
  return samples;
}

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

console.log(`cohort-sync Worker benchmark: ${MEMBERS.toLocaleString("en")} members in 1000-member pages, ${new Date().toISOString().slice(0, 10)}`);
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

if (FORWARD === "off" || FORWARD === "both") {
  const w = await startWorker();
  try {
    const transport = await floor(w);
    console.log(`  loopback floor (GET answered 404 at once): median ${ms(transport)}`);
    const first = stats(await fullSync(w, "bench-off", MEMBERS, "s1"));
    console.log(`  forwarding off, first full sync:  median ${ms(first.median)}, p99 ${ms(first.p99)}, max ${ms(first.max)} a page`);
    result("Worker, 1000-member page, forwarding off: median (new members)", first.median, plain.median, { goal: "≤ 10 ms", plainLabel: "JSON.parse + Map in memory" });
    result("  the same, less the loopback floor", first.median - transport, plain.median, { plainLabel: "JSON.parse + Map in memory" });
    result("Worker, 1000-member page, forwarding off: p99 (new members)", first.p99, plain.p99, { plainLabel: "JSON.parse + Map in memory" });
    const second = stats(await fullSync(w, "bench-off", MEMBERS, "s2"));
    console.log(`  forwarding off, second full sync: median ${ms(second.median)}, p99 ${ms(second.p99)}, max ${ms(second.max)} a page (all members known)`);
    result("Worker, 1000-member page, forwarding off: median (known members)", second.median, plain.median, { goal: "≤ 10 ms", plainLabel: "JSON.parse + Map in memory" });
    const info = (await w.get("/cohorts/bench-off")).json;
    console.log(`  cohort held: ${info.size.toLocaleString("en")} members`);
  } finally {
    await w.destroy();
  }
}

if (FORWARD === "on" || FORWARD === "both") {
  const ok = () => [200, '{"status":"success","processed":1000,"unprocessed":[]}'];
  const [clevertap, braze, mixpanel] = await Promise.all([startRecorder(ok), startRecorder(() => [201, "{}"]), startRecorder(() => [200, "1"])]);
  const w = await startWorker({
    vars: {
      CLEVERTAP_ACCOUNT_ID: "A", CLEVERTAP_PASSCODE: "P", CLEVERTAP_UPLOAD_URL: clevertap.url,
      BRAZE_API_KEY: "k", BRAZE_COHORT_URL: braze.url,
      MIXPANEL_TOKEN: "t", MIXPANEL_ENGAGE_URL: mixpanel.url,
    },
  });
  try {
    const count = Math.min(MEMBERS, 50_000);
    const t = performance.now();
    const on = stats(await fullSync(w, "bench-on", count, "s1"));
    console.log(`  forwarding on (CleverTap + Braze + profiles), ${count.toLocaleString("en")} members: median ${ms(on.median)}, p99 ${ms(on.p99)} a page`);
    result("Worker, 1000-member page, forwarding on: median", on.median, plain.median, { plainLabel: "JSON.parse + Map in memory" });
    for (;;) {
      const info = (await w.get("/cohorts/bench-on")).json;
      const profiles = await (await w.profiles()).counts();
      if (info.outbox.pending === 0 && profiles.pending === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`  all forwarded in ${((performance.now() - t) / 1000).toFixed(1)} s: ${clevertap.received.length} CleverTap uploads, ${braze.received.length} Braze requests, ${mixpanel.received.length} /engage bodies`);
  } finally {
    await w.destroy();
    await Promise.all([clevertap, braze, mixpanel].map((r) => r.close()));
  }
}
