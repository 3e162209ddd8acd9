// One loader run in its own process, so its RSS is its own: bench/load.bench.mjs spawns
//   node [-r bench/load/redirect-mixpanel.cjs] bench/load/child.mjs '<json spec>'
// and reads the last line, `CHILD {…}`: the tool's own count of what it sent, its wall
// time inside the process (after imports) and process.resourceUsage().maxRSS.
// spec: { tool: "cohort-sync" | "mixpanel-import" | "mixpanel", file | stdin, object,
//         url (cohort-sync's --api), port (the peers'), concurrency, state, dryRun, creds }
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
const spec = JSON.parse(process.argv[2]);
const { creds } = spec;

/** The flat row of bench/load/generate.mjs as a Mixpanel event: the peers' mapping. */
function toEvent(row) {
  const { event, distinct_id, time, event_id, ...rest } = row;
  return { event, properties: { time, distinct_id, $insert_id: event_id, ...rest } };
}

async function cohortSync() {
  const { load } = await import("../../pkg/loader/load.js");
  const mapping =
    spec.object === "users"
      ? { object: "users", distinctId: "distinct_id" }
      : { object: "events", event: "event", distinctId: "distinct_id", time: "time", insertId: "event_id" };
  const source = spec.stdin ? { stdin: true, format: "ndjson" } : { file: spec.file };
  const summary = await load({
    source,
    mapping,
    api: spec.url,
    state: spec.state,
    dryRun: spec.dryRun ?? null,
    concurrency: spec.concurrency,
    threads: spec.threads,
    credentials: { projectId: creds.projectId, token: creds.token, serviceAccount: { user: creds.user, secret: creds.secret } },
  });
  const { first, ...counts } = summary;
  return { sent: summary.sent, requests: summary.requests, failed: summary.rejected + summary.refused + summary.pending, summary: counts, first: summary.sent === summary.read ? undefined : first };
}

/** The same through the CLI's code (pkg/cli/load.mjs main: flags, progress hook, report). */
async function cohortSyncCli() {
  const { main } = await import("../../pkg/cli/load.mjs");
  Object.assign(process.env, { MIXPANEL_PROJECT_ID: String(creds.projectId), MIXPANEL_SERVICE_ACCOUNT: creds.user, MIXPANEL_SERVICE_SECRET: creds.secret, MIXPANEL_TOKEN: creds.token });
  const flags =
    spec.object === "users"
      ? ["--object", "users", "--distinct-id", "distinct_id"]
      : ["--object", "events", "--event", "event", "--distinct-id", "distinct_id", "--time", "time", "--insert-id", "event_id"];
  const source = spec.stdin ? ["--from", "-", "--format", "ndjson"] : ["--from", spec.file];
  const extra = [...(spec.concurrency ? ["--concurrency", String(spec.concurrency)] : []), ...(spec.dryRun ? ["--dry-run", spec.dryRun] : [])];
  let printed = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => ((printed += chunk), true);
  let code;
  try {
    code = await main([...flags, ...source, "--api", spec.url, "--state", spec.state, "--json", ...extra]);
  } finally {
    process.stdout.write = write;
  }
  const summary = JSON.parse(printed.trim().split("\n").pop());
  return { sent: summary.sent, requests: summary.requests, failed: summary.rejected + summary.refused + summary.pending, summary, exitCode: code };
}

async function mixpanelImport() {
  const mpImport = require("mixpanel-import");
  const result = await mpImport({ acct: creds.user, pass: creds.secret, project: creds.projectId }, spec.file, {
    recordType: "event",
    streamFormat: "jsonl",
    region: "US",
    transformFunc: toEvent,
    verbose: false,
    showProgress: false,
    ...(spec.workers ? { workers: spec.workers } : {}),
    ...(spec.dryRun ? { dryRun: true } : {}),
  });
  return {
    sent: result.success,
    requests: result.requests,
    failed: result.failed,
    summary: { success: result.success, failed: result.failed, total: result.total, requests: result.requests, batches: result.batches, retries: result.retries, eps: result.eps, workers: result.workers },
    redirected: globalThis.__mixpanelRedirect?.redirected ?? null,
  };
}

async function mixpanelLibrary() {
  const Mixpanel = require("mixpanel");
  const mp = Mixpanel.init(creds.token, {
    host: "127.0.0.1",
    port: spec.port,
    protocol: "https",
    keepAlive: true,
    // The stand-in (as Mixpanel) takes a service account and project_id on /import; the
    // library's deprecated `secret` sends `secret:` with no project_id (401 here).
    ...(spec.auth === "secret" ? { secret: creds.secret } : { credentials: new Mixpanel.ServiceAccountCredentials(creds.user, creds.secret, String(creds.projectId)) }),
  });
  // The plain way: read the file line by line, map each row, and hand the library
  // `perCall` events at a time (it cuts them into requests of 50 and sends
  // max_concurrent_requests of those at a time, waiting for each group).
  const perCall = spec.perCall ?? 5000;
  const options = spec.maxConcurrent ? { max_concurrent_requests: spec.maxConcurrent } : {};
  let batch = [];
  let events = 0;
  let failedRequests = 0;
  let firstError = null;
  const flush = (events) =>
    new Promise((resolve) =>
      mp.import_batch(events, options, (errors) => {
        if (errors) {
          failedRequests += errors.length;
          firstError ??= String(errors[0]?.message ?? errors[0]).slice(0, 300);
        }
        resolve();
      }),
    );
  const lines = createInterface({ input: createReadStream(spec.file, { highWaterMark: 1 << 16 }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    batch.push(toEvent(JSON.parse(line)));
    events++;
    if (batch.length >= perCall) {
      await flush(batch);
      batch = [];
    }
  }
  if (batch.length) await flush(batch);
  const requests = Math.ceil(events / 50);
  return { sent: events, requests, failed: failedRequests * 50, summary: { events, requests, failedRequests, firstError } };
}

// RSS every second, to see whether memory grows with the rows or stays flat.
const rssSamples = [];
const sampler = setInterval(() => rssSamples.push(Math.round(process.memoryUsage.rss() / 2 ** 20)), 1000);
sampler.unref();

const tools = { "cohort-sync": cohortSync, "cohort-sync-cli": cohortSyncCli, "mixpanel-import": mixpanelImport, mixpanel: mixpanelLibrary };
const started = performance.now();
let out;
try {
  out = await tools[spec.tool]();
} catch (error) {
  out = { error: String(error?.stack ?? error).slice(0, 2000), summary: error?.summary };
}
const ms = performance.now() - started;
const ru = process.resourceUsage();
clearInterval(sampler);
// Ten samples spread over the run (MB), the last one at its end.
const rssOverRun = rssSamples.length <= 10 ? rssSamples : Array.from({ length: 10 }, (_, i) => rssSamples[Math.round(((i + 1) * rssSamples.length) / 10) - 1]);
process.stdout.write(`\nCHILD ${JSON.stringify({ ...out, ms, rssOverRun, maxRssKB: ru.maxRSS, cpuUserMs: ru.userCPUTime / 1000, cpuSystemMs: ru.systemCPUTime / 1000 })}\n`);
// mixpanel-import keeps undici pools and process handlers alive: end here.
process.exit(out.error ? 1 : 0);
