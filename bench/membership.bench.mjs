// Benchmark: the membership engine against the plain-JavaScript way, side by side.
//
//   node bench/membership.bench.mjs            1M-member cohort (both sides) + diffMembers
//   MEMBERS=10000000 SIDES=ours node bench/membership.bench.mjs    10M, ours only
//
// Two full syncs of one cohort (pages of 1000 members; 1% of members leave and 1% join
// between the syncs), delivered as the raw bytes a webhook receives:
// - ours: `CohortState.apply(bytes)` (validates each page and applies it in wasm);
// - plain JS: `TextDecoder` + `JSON.parse` per page, a `Set` of members and a `Set` of
//   members seen this session, and a sweep when the last page lands.
// Each side runs in its own child process, so that its memory is its own. Memory is the
// peak of live memory — V8's used heap plus external memory (wasm linear memory is
// external) — sampled after a full GC every 25 pages, minus its size at the start: the
// garbage of building pages, the same for both sides, does not count, and neither do
// heap pages V8 keeps after a GC (resident size alone mostly measures those). Only `apply` (resp. decode + parse +
// Set work) is timed; building page bytes is not.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { result } from "./result.mjs";

const PAGE = 1000;

/** A UUID-shaped distinct id for member `i` (deterministic, spread over the hex digits). */
function uuid(i) {
  const h = (x) => (Math.imul(x ^ 0x9e3779b9, 0x85ebca6b) >>> 0).toString(16).padStart(8, "0");
  const a = h(i), b = h(i + 0x1234567), c = h(i * 7 + 3);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(0, 3)}-${c.slice(3, 8)}${h(i * 13 + 5).slice(0, 7)}`;
}

/** The ids of sync `k` (0 or 1): 1% of sync 0's members leave, 1% new ones join. */
function idsOf(sync, n) {
  if (sync === 0) return (j) => j;
  return (j) => (j % 100 === 0 ? n + j : j);
}

function pageBytes(session, sync, n, page, pages, encoder) {
  const id = idsOf(sync, n);
  const members = [];
  for (let j = page * PAGE; j < Math.min(n, (page + 1) * PAGE); j++) {
    const i = id(j);
    members.push(`{"email":"user${i}@customers.example.com","mixpanel_distinct_id":"${uuid(i)}","first_name":"Ada","last_name":"Lovelace"}`);
  }
  const text = `{"action":"members","parameters":{"mixpanel_project_id":"2345678","mixpanel_cohort_id":"98765","mixpanel_cohort_name":"Power users","mixpanel_cohort_description":"bench","mixpanel_session_id":"${session}","page_info":{"total_pages":${pages},"page_count":${page + 1}},"members":[${members.join(",")}]}}`;
  return encoder.encode(text);
}

function peakRssMb() {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function runSide(side, n) {
  const encoder = new TextEncoder();
  const pages = Math.ceil(n / PAGE);
  let apply;
  let size;
  if (side === "ours") {
    const { CohortState } = await import("../pkg/node.js");
    const state = new CohortState();
    apply = (bytes) => state.apply(bytes);
    size = () => state.size;
  } else {
    const members = new Set();
    let seen = null;
    let session = null;
    let pagesSeen = null;
    const decoder = new TextDecoder("utf-8", { fatal: true });
    apply = (bytes) => {
      const doc = JSON.parse(decoder.decode(bytes));
      const p = doc.parameters;
      if (p.mixpanel_session_id !== session) {
        session = p.mixpanel_session_id;
        seen = new Set();
        pagesSeen = new Set();
      }
      for (const m of p.members) {
        members.add(m.mixpanel_distinct_id);
        seen.add(m.mixpanel_distinct_id);
      }
      pagesSeen.add(p.page_info.page_count);
      if (pagesSeen.size === p.page_info.total_pages) {
        for (const id of members) if (!seen.has(id)) members.delete(id);
        seen = null;
      }
    };
    size = () => members.size;
  }
  const live = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    return (m.heapUsed + m.external) / 2 ** 20;
  };
  const baseline = live();
  let peak = baseline;
  let ms = 0;
  for (let sync = 0; sync < 2; sync++) {
    for (let page = 0; page < pages; page++) {
      const bytes = pageBytes(`session-${sync}`, sync, n, page, pages, encoder);
      const t = performance.now();
      apply(bytes);
      ms += performance.now() - t;
      if (page % 25 === 24 || page === pages - 1) peak = Math.max(peak, live());
    }
  }
  return { side, n, ms, size: size(), peakMb: peak, baselineMb: baseline, hwmMb: peakRssMb() };
}

async function child() {
  const side = process.env.SIDE;
  const n = Number(process.env.MEMBERS);
  console.log(JSON.stringify(await runSide(side, n)));
}

function inChild(side, n) {
  const r = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", fileURLToPath(import.meta.url)], {
    env: { ...process.env, SIDE: side, MEMBERS: String(n), BENCH_CHILD: "1" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`${side} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

async function diffBench(n) {
  const { diffMembers } = await import("../pkg/node.js");
  const previous = Array.from({ length: n }, (_, j) => uuid(j));
  const current = Array.from({ length: n }, (_, j) => uuid(j % 100 === 0 ? n + j : j));
  const plain = () => {
    const before = new Set(previous);
    const after = new Set(current);
    const added = [];
    const removed = [];
    const emitted = new Set();
    for (const id of current) if (!before.has(id) && !emitted.has(id)) (emitted.add(id), added.push(id));
    for (const id of before) if (!after.has(id)) removed.push(id);
    return { added, removed };
  };
  const time = (f) => {
    const t = performance.now();
    const out = f();
    return [performance.now() - t, out];
  };
  const rounds = [];
  for (let r = 0; r < 3; r++) {
    const [ours, a] = time(() => diffMembers(previous, current));
    const [js, b] = time(plain);
    if (a.added.length !== b.added.length || a.removed.length !== b.removed.length) throw new Error("diffs disagree");
    rounds.push([ours, js]);
  }
  const best = (k) => Math.min(...rounds.map((r) => r[k]));
  return { ours: best(0), js: best(1) };
}

if (process.env.BENCH_CHILD) {
  await child();
} else {
  const n = Number(process.env.MEMBERS ?? 1_000_000);
  const sides = (process.env.SIDES ?? "ours,js").split(",");
  console.log(`two full syncs of ${n.toLocaleString("en")} members (${Math.ceil(n / PAGE)} pages of ${PAGE} each, 1% churn)`);
  const results = Object.fromEntries(sides.map((side) => [side, inChild(side, n)]));
  for (const r of Object.values(results)) {
    console.log(
      `${(r.side === "ours" ? "CohortState.apply(bytes) [wasm]" : "plain JS (JSON.parse + Set + sweep)").padEnd(38)}` +
        ` ${(r.ms / 1000).toFixed(2).padStart(7)} s  live peak ${(r.peakMb - r.baselineMb).toFixed(0).padStart(5)} MB over start` +
        ` (RSS high-water ${r.hwmMb.toFixed(0)} MB)  final size ${r.size.toLocaleString("en")}`,
    );
  }
  if (results.ours && results.js) {
    const { ours, js } = results;
    if (ours.size !== js.size) throw new Error(`final sizes differ: ${ours.size} vs ${js.size}`);
    console.log(`\ntime ours / JS:        ${(ours.ms / js.ms).toFixed(2)}x`);
    const over = (r) => r.peakMb - r.baselineMb;
    console.log(`live peak memory ours / JS: ${(over(ours) / over(js)).toFixed(2)}x (${(over(ours) * 2 ** 20 / ours.size).toFixed(0)} vs ${(over(js) * 2 ** 20 / js.size).toFixed(0)} bytes per member)`);
    result(`two full syncs of ${n.toLocaleString("en")} members: time`, ours.ms, js.ms, { goal: "≤ 0.5×", plainLabel: "JSON.parse + Set + sweep" });
    result(`two full syncs of ${n.toLocaleString("en")} members: live memory`, over(ours), over(js), { unit: "MB", goal: "≤ 0.3×", plainLabel: "JSON.parse + Set + sweep" });
  }
  if (!process.env.SKIP_DIFF) {
    const d = await diffBench(Math.min(n, 1_000_000));
    console.log(`\ndiffMembers on ${Math.min(n, 1_000_000).toLocaleString("en")} × ${Math.min(n, 1_000_000).toLocaleString("en")} ids (best of 3):`);
    console.log(`  ours ${d.ours.toFixed(0)} ms, JS Set diff ${d.js.toFixed(0)} ms: ${(d.ours / d.js).toFixed(2)}x`);
    result(`diffMembers, ${Math.min(n, 1_000_000).toLocaleString("en")} × ${Math.min(n, 1_000_000).toLocaleString("en")} ids`, d.ours, d.js, { plainLabel: "JS Set diff" });
  }
}
