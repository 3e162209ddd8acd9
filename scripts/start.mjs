// `npm start` after the build: runs the Worker locally with `wrangler dev` on 127.0.0.1
// (storage persisted under .wrangler-state/), serves the validator page, replays a sample
// sync into the Worker so a cohort appears, and prints where everything is.
//   node scripts/start.mjs            # stays up until Ctrl-C
//   node scripts/start.mjs --check    # the same, then stops: exit 0 when the cohort appeared
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatSummary, replay } from "cohort-sync/replay";
import { startStaticServer } from "./serve.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const WORKER_PORT = Number(process.env.WORKER_PORT ?? 8787);
const PAGE_PORT = Number(process.env.PAGE_PORT ?? 8788);
const DEMO = { user: "demo", password: "demo-password" };
const origin = `http://127.0.0.1:${WORKER_PORT}`;
// Where wrangler dev keeps the Durable Objects' storage (START_PERSIST for tests).
const persist = process.env.START_PERSIST ?? ".wrangler-state";

// Demo credentials for local runs only: wrangler dev reads worker/.dev.vars (ignored by git).
const devVars = join(root, "worker/.dev.vars");
if (!existsSync(devVars) || !readFileSync(devVars, "utf8").includes("WEBHOOK_PASSWORD")) {
  writeFileSync(devVars, `# Local demo credentials for wrangler dev (written by npm start; not for production)\nWEBHOOK_USERNAME=${DEMO.user}\nWEBHOOK_PASSWORD=${DEMO.password}\n`);
}
const vars = Object.fromEntries(
  readFileSync(devVars, "utf8").split("\n").filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);

const wrangler = spawn(
  process.execPath,
  [join(root, "node_modules/wrangler/bin/wrangler.js"), "dev", "-c", "worker/wrangler.toml", "--ip", "127.0.0.1", "--port", String(WORKER_PORT), "--persist-to", persist, "--show-interactive-dev-session=false"],
  { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, stdio: ["ignore", "pipe", "pipe"] },
);
let log = "";
const keep = (chunk) => {
  log = (log + chunk).slice(-20_000);
  if (!check) process.stdout.write(chunk.toString().replace(/^/gm, "[wrangler] "));
};
wrangler.stdout.on("data", keep);
wrangler.stderr.on("data", keep);
let stopping = false;
wrangler.on("exit", (code) => {
  if (!stopping) {
    console.error(`start: wrangler dev exited (${code}).\n${log.slice(-3000)}`);
    process.exit(1);
  }
});

async function waitForWorker() {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${origin}/cohorts/none`);
      if (r.status === 401 || r.status === 404) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the Worker did not answer on ${origin} within 2 minutes`);
}

async function stop(code) {
  stopping = true;
  wrangler.kill("SIGTERM");
  await page?.close();
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

let page;
try {
  await waitForWorker();
  page = await startStaticServer({ root, port: PAGE_PORT });
  const scenario = readFileSync(join(root, "pkg/scenarios/multi-page.json"), "utf8");
  console.log(`start: replaying pkg/scenarios/multi-page.json into ${origin}/webhook …`);
  const summary = await replay(scenario, { url: `${origin}/webhook`, user: vars.WEBHOOK_USERNAME, password: vars.WEBHOOK_PASSWORD });
  process.stdout.write(formatSummary(summary));
  const auth = { authorization: `Basic ${Buffer.from(`${vars.WEBHOOK_USERNAME}:${vars.WEBHOOK_PASSWORD}`).toString("base64")}` };
  const cohort = await (await fetch(`${origin}/cohorts/${summary.cohort.cohortId}`, { headers: auth })).json();
  const sample = await (await fetch(`${origin}/cohorts/${summary.cohort.cohortId}/members?limit=3`, { headers: auth })).json();
  console.log(`
cohort-sync is running locally:
  webhook     POST ${origin}/webhook   (HTTP Basic: ${vars.WEBHOOK_USERNAME} / ${vars.WEBHOOK_PASSWORD}, from worker/.dev.vars)
  cohort      GET  ${origin}/cohorts/${summary.cohort.cohortId} → ${JSON.stringify(cohort)}
  members     GET  ${origin}/cohorts/${summary.cohort.cohortId}/members?limit=3 → ${JSON.stringify(sample)}
  validator   ${page.url}www/index.html
  storage     ${persist}/ (delete it to start empty)
  try         curl -u ${vars.WEBHOOK_USERNAME}:${vars.WEBHOOK_PASSWORD} ${origin}/cohorts/${summary.cohort.cohortId}
              npx cohort-sync replay --url ${origin}/webhook --user ${vars.WEBHOOK_USERNAME} --password ${vars.WEBHOOK_PASSWORD} pkg/scenarios/seed-example.json
`);
  if (check) {
    const ok = summary.verdict === "completed" && cohort.size === summary.members;
    console.log(`start --check: ${ok ? "OK" : "FAILED"}: the Worker holds ${cohort.size} members, the scenario expects ${summary.members}`);
    await stop(ok ? 0 : 1);
  } else {
    console.log("Ctrl-C stops it.");
  }
} catch (error) {
  console.error(`start: ${error.stack ?? error}\n${log.slice(-3000)}`);
  await stop(1);
}
