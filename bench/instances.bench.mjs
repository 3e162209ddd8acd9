// Benchmark: one cohort's sync through one `cohort-sync serve --postgres` process, then
// through two on the same database (as behind a load balancer), on a throwaway
// PostgreSQL cluster on 127.0.0.1 with fsync on. Pages go CONCURRENCY at a time, round
// robin over the processes; each process answers once the page is durably logged, and
// the cohort's transactions take turns under its lock, whichever process runs them.
//   node bench/instances.bench.mjs                       # 100 pages of 1000 members, 4 in flight
//   MEMBERS=1000000 CONCURRENCY=8 node bench/instances.bench.mjs
// A sync is timed twice: every member joining, then all of them known.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { planSync } from "cohort-sync";
import { startCluster } from "../scripts/pg-cluster.mjs";
import { result } from "./result.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MEMBERS = Number(process.env.MEMBERS ?? 100_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const AUTH = `Basic ${Buffer.from("mixpanel:bench").toString("base64")}`;
const ids = Array.from({ length: MEMBERS }, (_, i) => `5f1c0b7e-4a8e-9c1d-${String(i).padStart(12, "0")}`);

async function serve(url) {
  const child = spawn(process.execPath, [join(root, "pkg/cli.mjs"), "serve", "--postgres", url, "--port", "0"], {
    env: { PATH: process.env.PATH, WEBHOOK_USERNAME: "mixpanel", WEBHOOK_PASSWORD: "bench" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const origin = await new Promise((resolve, reject) => {
    child.stdout.on("data", (c) => {
      out += c;
      const found = /listening on (http:\/\/\S+)/.exec(out);
      if (found) resolve(found[1]);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { origin, stop: () => new Promise((resolve) => (child.on("exit", resolve), child.kill("SIGTERM"))) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

/** Sends `pages` over `origins`, CONCURRENCY in flight; the answers' times and the whole time until applied. */
async function sync(origins, pages, cohortId) {
  const times = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i; (i = next++) < pages.length; ) {
      const t = performance.now();
      const r = await fetch(`${origins[i % origins.length]}/webhook`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/json" }, body: pages[i] });
      if (r.status !== 200) throw new Error(`page ${i}: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      times.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const answered = performance.now() - started;
  const info = await (await fetch(`${origins[0]}/cohorts/${cohortId}`, { headers: { authorization: AUTH } })).json();
  if (info.size !== MEMBERS) throw new Error(`the cohort holds ${info.size}, not ${MEMBERS}`);
  return { median: median(times), p99: p99(times), answered, applied: performance.now() - started };
}

const cluster = await startCluster({ fsync: true });
const figures = {};
try {
  console.log(`cohort-sync serve --postgres: one process, then two, on one database; ${MEMBERS.toLocaleString("en")} members in 1000-member pages, ${CONCURRENCY} in flight, ${new Date().toISOString().slice(0, 10)}`);
  for (const n of [1, 2]) {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE bench_${n}`);
    await admin.end();
    const url = cluster.url.replace(/\/cohort_sync$/, `/bench_${n}`);
    const servers = await Promise.all(Array.from({ length: n }, () => serve(url)));
    try {
      const origins = servers.map((s) => s.origin);
      const first = planSync(null, ids, { projectId: "1", cohortId: "bench", cohortName: "Bench", sessionId: "s1", batchSize: 1000 });
      const joining = await sync(origins, first, "bench");
      const again = planSync(null, ids, { projectId: "1", cohortId: "bench", cohortName: "Bench", sessionId: "s2", batchSize: 1000 });
      const known = await sync(origins, again, "bench");
      figures[n] = { joining, known };
      const line = (what, f) =>
        `  ${what}: answer median ${f.median.toFixed(2)} ms, p99 ${f.p99.toFixed(1)} ms; ${((first.length / f.answered) * 1000).toFixed(0)} pages a second answered, all applied after ${(f.applied / first.length).toFixed(2)} ms a page`;
      console.log(`${n} process${n > 1 ? "es" : ""}:`);
      console.log(line("members joining", joining));
      console.log(line("members known  ", known));
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
  for (const kind of ["joining", "known"]) {
    const [one, two] = [figures[1][kind], figures[2][kind]];
    result(`two processes on PostgreSQL, members ${kind}: answer median`, two.median, one.median, { plainLabel: "one process" });
    result(`two processes on PostgreSQL, members ${kind}: whole sync until applied, per page`, two.applied / (MEMBERS / 1000), one.applied / (MEMBERS / 1000), { plainLabel: "one process" });
  }
} finally {
  await cluster.stop();
}
