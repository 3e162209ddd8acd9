// `npm run bench`: runs every benchmark (after a build) and writes bench/RESULTS.md — a
// table of ours vs the plain-JavaScript way with ratios, the machine, the date and the
// wasm size, then each benchmark's own output. Timings vary run to run on shared
// machines; read the ratios. Set QUICK=1 for smaller sizes (a minute instead of ~10).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem, type, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = Boolean(process.env.QUICK);
const benches = [
  ["Payload validation", "bench/payload.bench.mjs", {}],
  ["Membership", "bench/membership.bench.mjs", quick ? { MEMBERS: "200000" } : {}],
  ["Destinations and ingestion", "bench/destinations.bench.mjs", {}],
  ["The Worker in workerd", "bench/worker.bench.mjs", quick ? { MEMBERS: "20000" } : {}],
  ["Forwarding in workerd", "bench/forwarding.bench.mjs", quick ? { ROUNDS: "20" } : {}],
  ["The profiles object in workerd", "bench/profiles.bench.mjs", quick ? { COHORTS: "10", PAGES: "2" } : {}],
  ["The receiver in Node on SQLite", "bench/worker.bench.mjs", { HOST: "node", MEMBERS: quick ? "20000" : "50000" }],
  ["The receiver in Node on PostgreSQL", "bench/worker.bench.mjs", { HOST: "node", STORE: "postgres", MEMBERS: quick ? "20000" : "50000" }],
  ["Two receivers on one PostgreSQL database", "bench/instances.bench.mjs", quick ? { MEMBERS: "20000" } : {}],
];

const rows = [];
const outputs = [];
for (const [title, script, env] of benches) {
  console.log(`bench: ${script} ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, script)], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 << 20 });
  const out = `${r.stdout}${r.status === 0 ? "" : `\n(exit ${r.status})\n${r.stderr.slice(-2000)}`}`;
  process.stdout.write(out.split("\n").filter((l) => !l.startsWith("RESULT ")).join("\n"));
  for (const line of out.split("\n")) if (line.startsWith("RESULT ")) rows.push({ section: title, ...JSON.parse(line.slice(7)) });
  const command = `${Object.entries(env).map(([k, v]) => `${k}=${v} `).join("")}node ${script}`;
  outputs.push(`### ${title}\n\n\`${command}\` (${((Date.now() - started) / 1000).toFixed(0)} s)\n\n\`\`\`\n${out.split("\n").filter((l) => !l.startsWith("RESULT ") && !l.includes("NOSENTRY")).join("\n").trim()}\n\`\`\`\n`);
}

const wasm = readFileSync(join(root, "pkg/dist/cohort_sync_bg.wasm"));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const fmt = (x, unit) => (x === null || x === undefined ? "—" : `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ${unit}`);
const cpu = cpus();
const lines = [
  "# Benchmark results",
  "",
  `Written by \`npm run bench\` (\`node bench/run-all.mjs\`${quick ? ", QUICK=1" : ""}) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`,
  `Machine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${type()} ${release()}, Node ${process.versions.node}.`,
  `Wasm module: ${kib(wasm.length)} raw, **${kib(gzipSync(wasm, { level: 9 }).length)} gzip** (budget ≤ 128 KiB, all in), ${kib(brotliCompressSync(wasm).length)} brotli.`,
  "",
  "Medians unless the row says otherwise. Shared 2-core machines are noisy: the same run varies by tens of percent; the ratios are what to read.",
  "",
  "| | what | ours | plain JS way | ratio | goal |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.section} | ${r.what} | ${fmt(r.ours, r.unit)} | ${fmt(r.plain, r.unit)} (${r.plainLabel}) | ${r.ratio === null ? "—" : `${r.ratio.toFixed(2)}×`} | ${r.goal || ""} |`),
  "",
  "## Each benchmark's output",
  "",
  ...outputs,
];
writeFileSync(join(root, "bench/RESULTS.md"), `${lines.join("\n")}\n`);
console.log(`\nbench: wrote bench/RESULTS.md (${rows.length} rows)`);
