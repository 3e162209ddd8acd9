// Benchmark: `cohort-sync load` (load() of pkg/loader/load.js) against the peers, side by
// side on one Mixpanel stand-in and one generated NDJSON file of flat events (event,
// distinct_id, time in ms, an `event_id` uuid used as $insert_id, and 8 properties):
//   - cohort-sync: load() with a fresh state file, over https with the stand-in's
//     certificate trusted (NODE_EXTRA_CA_CERTS), 10 requests in flight (its default);
//   - mixpanel-import 3.1.43: its own file reader, a transformFunc for the same mapping,
//     its defaults (50 workers, 2000 events a request, gzip, undici); its fixed
//     https://api.mixpanel.com is routed to the stand-in by a preload in its child only
//     (bench/load/redirect-mixpanel.cjs patches tls.connect), NODE_TLS_REJECT_UNAUTHORIZED=0;
//   - mixpanel 0.24.0 (the official library): the file read line by line, each row mapped,
//     import_batch 5000 events a call with { max_concurrent_requests: 10 } (it sends 50
//     events a request, in lockstep groups), a service account (see the notes it prints).
// Every run is its own child process (bench/load/child.mjs), so its peak RSS is its own;
// events/s is end to end: spawn to exit, process start and imports included.
// The stand-in (tests/js/lib/mixpanel-standin.mjs) runs here in bench mode (`parse:
// false`, `tls: true`): it reads each body whole, checks the credentials, gunzips /import
// bodies only to count `"$insert_id"`, and answers 200 without parsing or storing; a
// delay per request (setDelay) stands in for Mixpanel's latency.
//
// Then: (a) 1M user profiles loaded, then loaded again unchanged (the re-run's time as a
// fraction of the first, and that it sent nothing); (b) memory flat in the rows: 10M
// events from a generator process piped into cohort-sync's stdin, against the stand-in
// (the peak RSS against 100 MB + 24 bytes a key of state); (c) the state file's bytes
// per key after each of these. Disk: the 1M files take ~0.5 GB in DIR, and the 10M run's
// state file grows to ~3.5 GB there (its journal keeps every record sent until the end).
// Sizes in the tables are MiB.
//
//   node bench/load.bench.mjs                                   # everything (30–60 min on 2 cores)
//   N=100000 PARTS=events node bench/load.bench.mjs              # a quick side by side
//   TOOLS=cohort-sync,mixpanel-import DELAYS=0 node bench/load.bench.mjs
//   N_MIXPANEL_50=200000 node bench/load.bench.mjs               # a smaller N for one tool at one delay
//   PARTS=rerun,big PROFILES=1000000 BIG=10000000 node bench/load.bench.mjs
//   PARTS=csv node bench/load.bench.mjs                         # the same events as CSV, threads and none
//   PARTS=rerun STATE_STORE=postgres PROFILES=200000 node bench/load.bench.mjs   # the re-run, state in PostgreSQL
// Options may also be given as --name=value (--n=100000 --parts=events …).
// Other settings: CONCURRENCY (cohort-sync's), WORKERS (mixpanel-import's), MP_CONCURRENT
// (the library's max_concurrent_requests, 10), RUN_TIMEOUT_S (900: a run past it is
// killed and reported as such; BIG_TIMEOUT_S, 2400, for the 10M run), DIR
// (/tmp/cohort-sync-load-bench), KEEP=1 (keep the files). TOOLS may also name
// cohort-sync-cli: the same load through the CLI's main() (its flags, progress hook, report).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startMixpanelStandin } from "../tests/js/lib/mixpanel-standin.mjs";
import { result } from "./result.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const args = Object.fromEntries(process.argv.slice(2).filter((a) => a.startsWith("--")).map((a) => {
  const [k, ...v] = a.slice(2).split("=");
  return [k.toUpperCase().replaceAll("-", "_"), v.length ? v.join("=") : "1"];
}));
const opt = (name, fallback) => args[name] ?? process.env[name] ?? fallback;
const N = Number(opt("N", 1_000_000));
const DELAYS = String(opt("DELAYS", "0,50")).split(",").filter(Boolean).map(Number);
const TOOLS = String(opt("TOOLS", "cohort-sync,mixpanel-import,mixpanel")).split(",").filter(Boolean);
const PARTS = String(opt("PARTS", "events,csv,rerun,big")).split(",").filter(Boolean);
const PROFILES = Number(opt("PROFILES", 1_000_000));
// Where the re-run part keeps its state: "sqlite" (a file in DIR) or "postgres" (a
// database in a throwaway cluster on 127.0.0.1, fsync on, as a shared state would be).
const STATE_STORE = String(opt("STATE_STORE", "sqlite"));
const BIG = Number(opt("BIG", 10_000_000));
const RUN_TIMEOUT_S = Number(opt("RUN_TIMEOUT_S", 900));
const BIG_TIMEOUT_S = Number(opt("BIG_TIMEOUT_S", 2400));
const DIR = opt("DIR", "/tmp/cohort-sync-load-bench");
const CONCURRENCY = opt("CONCURRENCY", undefined);
const WORKERS = opt("WORKERS", undefined);
const MP_CONCURRENT = Number(opt("MP_CONCURRENT", 10));
const KEEP = Boolean(opt("KEEP", ""));
/** Ours: load() called directly, or through the CLI's main (TOOLS=cohort-sync-cli). */
const isOurs = (tool) => tool.startsWith("cohort-sync");
/** N for one tool at one delay: N_MIXPANEL_50, N_MIXPANEL_IMPORT_0, … (else N). */
const nFor = (tool, delay) => Number(opt(`N_${tool.toUpperCase().replaceAll("-", "_")}_${delay}`, N));

const CREDS = { projectId: "3141592", token: "bench-token", user: "bench.sa", secret: "bench-secret" };
const BASE_MS = Date.now();
const fmtInt = (x) => (x === null || x === undefined || Number.isNaN(x) ? "—" : Math.round(x).toLocaleString("en"));
const mb = (kb) => kb / 1024;
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const log = (line) => process.stderr.write(`${line}\n`);

mkdirSync(DIR, { recursive: true });
const standin = await startMixpanelStandin({ projectId: CREDS.projectId, token: CREDS.token, serviceAccount: { user: CREDS.user, secret: CREDS.secret }, tls: true, parse: false });
const certFile = join(DIR, "standin-cert.pem");
writeFileSync(certFile, standin.cert);
const loads = [];

console.log(`cohort-sync load benchmark, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}; load average at start ${load()}`);
console.log(`stand-in: ${standin.url} (TLS, self-signed), bench mode (parse: false): body read whole, credentials checked, /import gunzipped only to count "$insert_id", 200 without parsing or storing`);

/** The generated file of `n` rows of `kind`, made once. */
async function fileOf(kind, n) {
  const file = join(DIR, `${kind}-${n}.ndjson`);
  if (existsSync(file) && statSync(file).size > 0 && existsSync(`${file}.done`)) return file;
  const t = performance.now();
  await runProcess(process.execPath, [join(root, "bench/load/generate.mjs"), kind, String(n), file, String(BASE_MS)], {});
  writeFileSync(`${file}.done`, "");
  log(`  generated ${file}: ${fmtInt(n)} rows, ${(statSync(file).size / 1e6).toFixed(0)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return file;
}

function runProcess(command, argv, env, { timeoutS = RUN_TIMEOUT_S } = {}) {
  return new Promise((resolve, reject) => {
    // Its own process group, so a run past its time is killed whole (a pipeline too).
    const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err = (err + d).slice(-8000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, timeoutS * 1000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, timedOut });
    });
  });
}

/** The state file's size on disk now: the database and its WAL. */
function stateBytes(file) {
  let total = 0;
  for (const f of [file, `${file}-wal`]) if (existsSync(f)) total += statSync(f).size;
  return total;
}

/** What the state file holds: the state's own bytes (all loads) and the file's size. */
function stateInfo(file) {
  const Database = require("better-sqlite3");
  const db = new Database(file, { readonly: true });
  try {
    const blob = db.prepare("SELECT coalesce(sum(length(bytes)), 0) AS n FROM load_state").get().n;
    const journal = db.prepare("SELECT count(*) AS n, coalesce(sum(length(keys)) + sum(length(records)), 0) AS b FROM load_journal").get();
    // Profile loads also keep each sent key's identity and property names (for removals).
    const hasKeys = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'load_keys'").get().n > 0;
    const keys = hasKeys ? db.prepare("SELECT count(*) AS n, coalesce(sum(length(name) + 8 + length(who) + length(props)), 0) AS b FROM load_keys").get() : { n: 0, b: 0 };
    const pages = db.pragma("page_count", { simple: true });
    const free = db.pragma("freelist_count", { simple: true });
    const pageSize = db.pragma("page_size", { simple: true });
    return { blob, journalRows: journal.n, journalBytes: journal.b, keptKeys: keys.n, keptKeyBytes: keys.b, fileBytes: stateBytes(file), pages, free, pageSize };
  } finally {
    db.close();
  }
}

/**
 * One run of `tool` in its own process against the stand-in at `delay` ms: wall time
 * (spawn to exit), the stand-in's count of requests, events and bytes, the child's own
 * report (RSS, CPU) and, for cohort-sync, the state file's peak size during the run.
 */
async function run(tool, { delay, file = null, n, object = "events", state = null, fresh = true, stdinFrom = null, dryRun = null, extra = {}, timeoutS = RUN_TIMEOUT_S }) {
  standin.reset();
  standin.setDelay(delay);
  // A PostgreSQL state (`{ postgres }`) is made fresh by its caller.
  const stateFile = typeof state === "string" ? state : null;
  if (stateFile && fresh) for (const f of [stateFile, `${stateFile}-wal`, `${stateFile}-shm`]) rmSync(f, { force: true });
  const spec = { tool, file, object, stdin: Boolean(stdinFrom), url: standin.url, port: standin.port, state, dryRun, creds: CREDS, ...extra };
  if (isOurs(tool) && CONCURRENCY) spec.concurrency = Number(CONCURRENCY);
  if (tool === "mixpanel-import" && WORKERS) spec.workers = Number(WORKERS);
  if (tool === "mixpanel") spec.maxConcurrent ??= MP_CONCURRENT;
  const env =
    isOurs(tool)
      ? { NODE_EXTRA_CA_CERTS: certFile }
      : { NODE_TLS_REJECT_UNAUTHORIZED: "0", MIXPANEL_REDIRECT_PORT: String(standin.port), NODE_NO_WARNINGS: "1" };
  let command = process.execPath;
  let argv = [...(tool === "mixpanel-import" ? ["-r", join(root, "bench/load/redirect-mixpanel.cjs")] : []), join(root, "bench/load/child.mjs"), JSON.stringify(spec)];
  if (stdinFrom) {
    // generator | loader, a pipe between the two processes (nothing passes through here).
    const q = (x) => `'${String(x).replaceAll("'", "'\\''")}'`;
    const gen = [process.execPath, join(root, "bench/load/generate.mjs"), stdinFrom.kind, stdinFrom.n, "-", BASE_MS].map(q).join(" ");
    argv = ["-c", `${gen} | exec ${[process.execPath, ...argv].map(q).join(" ")}`];
    command = "/bin/sh";
  }
  const loadBefore = loadavg()[0];
  let peakState = 0;
  const poll = stateFile ? setInterval(() => (peakState = Math.max(peakState, stateBytes(stateFile))), 250) : null;
  const t = performance.now();
  const r = await runProcess(command, argv, env, { timeoutS });
  const wallMs = performance.now() - t;
  if (poll) clearInterval(poll);
  const line = r.out.split("\n").reverse().find((l) => l.startsWith("CHILD "));
  const child = line ? JSON.parse(line.slice(6)) : { error: `no report (exit ${r.code}${r.timedOut ? ", timed out" : ""}): ${r.err.slice(-1500)}` };
  if (r.timedOut) child.error = `timed out after ${timeoutS} s`;
  const requests = standin.requests;
  const statuses = {};
  let counted = 0;
  for (const entry of requests) {
    statuses[entry.status] = (statuses[entry.status] ?? 0) + 1;
    counted += entry.count ?? 0;
  }
  if (stateFile) peakState = Math.max(peakState, stateBytes(stateFile));
  const row = {
    tool, delay, n, object, wallMs, childMs: child.ms,
    eventsPerS: child.error ? null : (n / wallMs) * 1000,
    requests: standin.state.totals.requests, bytes: standin.state.totals.bytes, counted, statuses,
    rssMB: child.maxRssKB ? mb(child.maxRssKB) : null, cpuS: child.cpuUserMs !== undefined ? (child.cpuUserMs + child.cpuSystemMs) / 1000 : null,
    child, peakStateBytes: stateFile ? peakState : null, loadBefore, loadAfter: loadavg()[0],
  };
  loads.push(row.loadBefore, row.loadAfter);
  log(`  ${tool} ${object} n=${fmtInt(n)} delay=${delay} ms: ${(wallMs / 1000).toFixed(1)} s, ${fmtInt(row.eventsPerS)} rows/s, ${fmtInt(row.requests)} requests (${JSON.stringify(statuses)}), RSS ${row.rssMB?.toFixed(0)} MB, CPU ${row.cpuS?.toFixed(1)} s, load ${row.loadBefore.toFixed(2)}→${row.loadAfter.toFixed(2)}${child.error ? `, ERROR ${child.error.split("\n")[0]}` : ""}`);
  if (child.summary) log(`    summary: ${JSON.stringify(child.summary)}`);
  return row;
}

const table = [];
const notes = [];

try {
  // ------------------------------------------------------------ 1M events, side by side
  if (PARTS.includes("events")) {
    console.log(`\n## ${fmtInt(N)} events, side by side (tools: ${TOOLS.join(", ")}; delays ${DELAYS.join(", ")} ms)\n`);
    const byDelay = new Map();
    for (const delay of DELAYS) {
      const rows = [];
      for (const tool of TOOLS) {
        const n = nFor(tool, delay);
        const file = await fileOf("events", n);
        const state = isOurs(tool) ? join(DIR, `events-${n}.state.db`) : null;
        const row = await run(tool, { delay, file, n, state });
        if (isOurs(tool) && row.child.summary?.sent !== undefined) {
          const info = stateInfo(state);
          row.stateInfo = info;
        }
        rows.push(row);
        table.push(row);
      }
      byDelay.set(delay, rows);
    }
    console.log("| tool | delay | events | wall s | events/s | requests | events/request | events the stand-in counted | peak RSS | CPU s | events per CPU s | answers | note |");
    console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (const row of table.filter((r) => r.object === "events" && r.stdin !== true)) {
      const perReq = row.requests ? row.n / row.requests : null;
      const note = [];
      if (row.child.error) note.push(`error: ${row.child.error.split("\n")[0].slice(0, 120)}`);
      if (row.tool === "mixpanel" && row.child.summary?.failedRequests) note.push(`the library counted ${fmtInt(row.child.summary.failedRequests)} requests as failed (${row.child.summary.firstError?.slice(0, 90)})`);
      if (row.tool === "mixpanel-import" && row.child.redirected !== undefined) note.push(`${row.child.redirected} connections redirected; it counted ${fmtInt(row.child.summary?.success)} imported`);
      if (isOurs(row.tool) && row.peakStateBytes) note.push(`state file peaked at ${(row.peakStateBytes / 1e6).toFixed(0)} MB during the run, ${(row.stateInfo?.fileBytes / 1e6).toFixed(1)} MB after`);
      if (row.n !== N) note.push(`smaller N (${fmtInt(row.n)})`);
      console.log(`| ${row.tool} | ${row.delay} ms | ${fmtInt(row.n)} | ${(row.wallMs / 1000).toFixed(1)} | **${fmtInt(row.eventsPerS)}** | ${fmtInt(row.requests)} | ${perReq === null ? "—" : perReq.toFixed(0)} | ${row.tool === "mixpanel" ? "— (form body)" : fmtInt(row.counted)} | ${row.rssMB?.toFixed(0) ?? "—"} MB | ${row.cpuS?.toFixed(1) ?? "—"} | ${row.cpuS ? fmtInt(row.n / row.cpuS) : "—"} | ${Object.entries(row.statuses).map(([s, c]) => `${c}×${s}`).join(" ")} | ${note.join("; ")} |`);
    }
    console.log("");
    console.log("Peak RSS is each tool's own process (process.resourceUsage().maxRSS, MiB); CPU s its user + system time (the stand-in's is not counted). The official library's bodies are `data=<base64 JSON>` forms, which the bench-mode stand-in cannot count events in; with `parse: true` the stand-in refuses them (400, unsupported Content-Type), and its /import answer is JSON (`{\"code\":200,…,\"status\":\"OK\"}`), which the library counts as a failure (it wants the body `1`); with max_concurrent_requests it reports only the last group's errors of each call, so its count of failures is short of its requests.");
    console.log("");
    for (const [delay, rows] of byDelay) {
      const ours = rows.find((r) => r.tool === "cohort-sync") ?? rows.find((r) => isOurs(r.tool));
      const peers = rows.filter((r) => !isOurs(r.tool) && r.eventsPerS);
      if (!ours?.eventsPerS || peers.length === 0) continue;
      const best = peers.reduce((a, b) => (a.eventsPerS > b.eventsPerS ? a : b));
      const goal = delay === 0 ? "≥ 100k events/s and ≥ 1× every peer" : "≥ 3× the faster peer";
      const met = delay === 0 ? ours.eventsPerS >= 100_000 && peers.every((p) => ours.eventsPerS >= p.eventsPerS) : ours.eventsPerS >= 3 * best.eventsPerS;
      console.log(`- at ${delay} ms: ${ours.tool} ${fmtInt(ours.eventsPerS)} events/s; ${peers.map((p) => `${p.tool} ${fmtInt(p.eventsPerS)} (${(ours.eventsPerS / p.eventsPerS).toFixed(2)}×)`).join(", ")}. Goal ${goal}: **${met ? "met" : "not met"}**.`);
      // RESULT rows (bench/run-all.mjs): ours and the faster peer, as seconds per 1M events (lower is better).
      result(`cohort-sync load, ${fmtInt(ours.n)} events, stand-in answering in ${delay} ms: seconds per 1M events`, 1e6 / ours.eventsPerS, 1e6 / best.eventsPerS, { unit: "s", goal: delay === 0 ? "≥ 100k events/s, ≥ 1× each peer" : "≥ 3× the faster peer", plainLabel: best.tool });
    }
  }

  // ------------------------------------------ the same events as CSV, threads and none
  if (PARTS.includes("csv")) {
    console.log(`\n## ${fmtInt(N)} events from CSV (the same rows as the NDJSON file), stand-in at 0 ms\n`);
    const csv = join(DIR, `events-${N}.csv`);
    if (!existsSync(`${csv}.done`)) {
      // Every value as text (CSV has no types), a field quoted when it holds a comma or quote.
      const { createReadStream, createWriteStream } = await import("node:fs");
      const { createInterface } = await import("node:readline");
      const out = createWriteStream(csv);
      let columns = null;
      const field = (v) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
      for await (const line of createInterface({ input: createReadStream(await fileOf("events", N)) })) {
        if (line === "") continue;
        const row = JSON.parse(line);
        if (columns === null) out.write(`${(columns = Object.keys(row)).join(",")}\n`);
        if (!out.write(`${columns.map((c) => field(row[c])).join(",")}\n`)) await new Promise((r) => out.once("drain", r));
      }
      await new Promise((r) => out.end(r));
      writeFileSync(`${csv}.done`, "");
    }
    const rows = [];
    for (const threads of [undefined, 0]) {
      const row = await run("cohort-sync", { delay: 0, file: csv, n: N, state: join(DIR, `csv-${N}.state.db`), extra: threads === undefined ? {} : { threads } });
      rows.push({ threads: threads === undefined ? "default (1 here)" : String(threads), row });
    }
    console.log("| reading | wall s | events/s | peak RSS | CPU s |");
    console.log("|---|---|---|---|---|");
    for (const { threads, row } of rows) console.log(`| threads: ${threads} | ${(row.wallMs / 1000).toFixed(1)} | **${fmtInt(row.eventsPerS)}** | ${row.rssMB?.toFixed(0)} MB | ${row.cpuS?.toFixed(1)} |`);
    // The block memo over CSV: the file loaded, then again with one record in its middle
    // made longer. Blocks are cut where the content says, so only that record's block is
    // read again (the first block too, whose rows are shown).
    const changed = join(DIR, `events-${N}-one-longer.csv`);
    // As bytes: a file of millions of rows is past what one string may hold.
    const bytes = readFileSync(csv);
    const middle = bytes.indexOf(10, bytes.length >> 1) + 1;
    writeFileSync(changed, Buffer.concat([bytes.subarray(0, middle), Buffer.from("x"), bytes.subarray(middle)]));
    const memoState = join(DIR, `csv-memo-${N}.state.db`);
    const before = await run("cohort-sync", { delay: 0, file: csv, n: N, state: memoState, fresh: true });
    const again = await run("cohort-sync", { delay: 0, file: changed, n: N, state: memoState, fresh: false });
    const readAgain = again.child.summary ? again.child.summary.read - again.child.summary.unread : null;
    console.log(`\n- the block memo: with one record of ${fmtInt(N)} made longer, the re-run read **${fmtInt(readAgain)}** rows again and took ${(again.wallMs / 1000).toFixed(1)} s (the first run ${(before.wallMs / 1000).toFixed(1)} s); it sent ${fmtInt(again.child.summary?.sent)} (an event changed is never sent twice)`);
    if (!KEEP) rmSync(changed, { force: true });
  }

  // ------------------------------------------------ (a) 1M user profiles, then unchanged
  if (PARTS.includes("rerun")) {
    const postgres = STATE_STORE === "postgres";
    console.log(`\n## (a) ${fmtInt(PROFILES)} user profiles: a first run, then the same again (stand-in at 0 ms; the state in ${postgres ? "PostgreSQL" : "SQLite"})\n`);
    const file = await fileOf("users", PROFILES);
    const cluster = postgres ? await (await import("../scripts/pg-cluster.mjs")).startCluster() : null;
    const state = postgres ? { postgres: cluster.url } : join(DIR, `users-${PROFILES}.state.db`);
    let first, second, afterFirst, afterSecond;
    try {
      first = await run("cohort-sync", { delay: 0, file, n: PROFILES, object: "users", state, fresh: true });
      afterFirst = postgres ? null : stateInfo(state);
      second = await run("cohort-sync", { delay: 0, file, n: PROFILES, object: "users", state, fresh: false });
      afterSecond = postgres ? null : stateInfo(state);
    } finally {
      await cluster?.stop();
    }
    const fraction = second.wallMs / first.wallMs;
    console.log("| run | wall s | rows/s | CPU s | sent | unchanged | requests at the stand-in | peak RSS | state file peak |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const [name, row] of [["first", first], ["re-run, unchanged", second]]) {
      console.log(`| ${name} | ${(row.wallMs / 1000).toFixed(1)} | ${fmtInt(row.eventsPerS)} | ${row.cpuS?.toFixed(1)} | ${fmtInt(row.child.summary?.sent)} | ${fmtInt(row.child.summary?.unchanged)} | ${fmtInt(row.requests)} | ${row.rssMB?.toFixed(0)} MB | ${row.peakStateBytes === null ? "—" : `${(row.peakStateBytes / 1e6).toFixed(1)} MB`} |`);
    }
    const sentNothing = second.requests === 0 && second.child.summary?.sent === 0;
    console.log(`\n- re-run / first run: **${fraction.toFixed(3)}** wall, ${(second.cpuS / first.cpuS).toFixed(3)} CPU (1/${(1 / fraction).toFixed(1)}; goal ≤ 1/5: **${fraction <= 0.2 ? "met" : "not met"}**); in-process time ${(second.childMs / 1000).toFixed(1)} s / ${(first.childMs / 1000).toFixed(1)} s = ${(second.childMs / first.childMs).toFixed(3)}`);
    console.log(`- the re-run sent nothing: **${sentNothing ? "yes" : "NO"}** (${second.requests} requests reached the stand-in; ${fmtInt(second.child.summary?.unchanged)} rows unchanged)`);
    if (afterFirst) console.log(`- (c) state: ${fmtInt(afterFirst.blob)} bytes of state for ${fmtInt(PROFILES)} keys = **${(afterFirst.blob / PROFILES).toFixed(1)} bytes a key**; besides it the file keeps ${fmtInt(afterFirst.keptKeys)} load_keys rows (${(afterFirst.keptKeyBytes / Math.max(1, afterFirst.keptKeys)).toFixed(0)} bytes of data each before SQLite's overhead); the state file is ${fmtInt(afterFirst.fileBytes)} bytes = **${(afterFirst.fileBytes / PROFILES).toFixed(1)} bytes a key** (${afterFirst.free} of ${afterFirst.pages} pages free after the journal was emptied); after the re-run ${fmtInt(afterSecond.fileBytes)} bytes`);
    table.push({ ...first, part: "rerun-first" }, { ...second, part: "rerun-second" });
    result(`cohort-sync load, ${fmtInt(PROFILES)} unchanged user profiles again${postgres ? " (state in PostgreSQL)" : ""}: time as a fraction of the first run`, fraction, null, { unit: "×", goal: "≤ 0.2", plainLabel: "no peer plans against a last run" });
    if (afterFirst) result("cohort-sync load: state file bytes per key (users)", afterFirst.fileBytes / PROFILES, null, { unit: "B", goal: "", plainLabel: "—" });
  }

  // ---------------------------------------------------- (b) memory flat in the rows
  if (PARTS.includes("big")) {
    console.log(`\n## (b) ${fmtInt(BIG)} events piped from a generator into cohort-sync's stdin, against the stand-in at 0 ms\n`);
    const state = join(DIR, `big-${BIG}.state.db`);
    const row = await run("cohort-sync", { delay: 0, n: BIG, object: "events", state, fresh: true, stdinFrom: { kind: "events", n: BIG }, timeoutS: BIG_TIMEOUT_S });
    const info = row.child.error ? null : stateInfo(state);
    const goalMB = 100 + (24 * BIG) / 2 ** 20;
    console.log("| rows | wall s | rows/s | requests | peak RSS | goal (100 MB + 24 B a key) | state bytes a key | state file a key | state file peak during the run |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    console.log(`| ${fmtInt(BIG)} | ${(row.wallMs / 1000).toFixed(1)} | ${fmtInt(row.eventsPerS)} | ${fmtInt(row.requests)} | **${row.rssMB?.toFixed(0)} MB** | ${goalMB.toFixed(0)} MB (${row.rssMB !== null && row.rssMB <= goalMB ? "met" : "not met"}) | ${info ? (info.blob / BIG).toFixed(1) : "—"} | ${info ? (info.fileBytes / BIG).toFixed(1) : "—"} | ${(row.peakStateBytes / 1e9).toFixed(2)} GB |`);
    if (row.child.error) console.log(`\nerror: ${row.child.error}`);
    console.log(`\nRSS over the run (MB, ten samples spread over ${(row.wallMs / 1000).toFixed(0)} s): ${row.child.rssOverRun?.join(", ")}`);
    table.push({ ...row, part: "big" });
    result(`cohort-sync load, ${fmtInt(BIG)} events from stdin: peak RSS`, row.rssMB, null, { unit: "MB", goal: `≤ ${goalMB.toFixed(0)} MB`, plainLabel: "—" });
  }
} finally {
  await standin.close();
  if (!KEEP) rmSync(DIR, { recursive: true, force: true });
}
const seen = loads.filter(Number.isFinite);
console.log(`\nload average (1 min) seen around the runs: ${Math.min(...seen).toFixed(2)}–${Math.max(...seen).toFixed(2)}; at the end ${load()}`);
