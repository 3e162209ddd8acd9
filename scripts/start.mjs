// `npm start` after the build: runs the Worker locally with `wrangler dev` on 127.0.0.1
// (storage persisted under .wrangler-state/), serves the validator page and the
// operator's console, replays a sample sync into the Worker so a cohort appears, and
// prints where everything is. Forwarding to CleverTap is on, pointed at a stand-in on
// 127.0.0.1 that refuses every upload, so the console has real dead letters to show.
//   node scripts/start.mjs            # stays up until Ctrl-C
//   node scripts/start.mjs --check    # the same, then stops: exit 0 when the cohort
//                                     # appeared and the console's origin may call the Worker
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
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

/**
 * A stand-in for CleverTap's upload API on 127.0.0.1 that refuses everything (400, as
 * CleverTap does for a wrong account), so each upload becomes a dead letter.
 */
async function startRefusingDestination() {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end('{"status":"fail","error":"the npm start stand-in refuses every upload, so the console has dead letters to show"}');
    });
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}/1/upload`, close: () => new Promise((ok) => server.close(ok)) };
}
const refusing = await startRefusingDestination();
// The console is served on PAGE_PORT, another origin than the Worker's: it may call the
// operators' routes from there, as 127.0.0.1 or as localhost.
const consoleOrigins = [`http://127.0.0.1:${PAGE_PORT}`, `http://localhost:${PAGE_PORT}`];
const demoVars = {
  CONSOLE_ORIGINS: consoleOrigins.join(","),
  CLEVERTAP_ACCOUNT_ID: "demo",
  CLEVERTAP_PASSCODE: "demo",
  CLEVERTAP_UPLOAD_URL: refusing.url,
};

const wrangler = spawn(
  process.execPath,
  [
    join(root, "node_modules/wrangler/bin/wrangler.js"), "dev", "-c", "worker/wrangler.toml", "--ip", "127.0.0.1", "--port", String(WORKER_PORT), "--persist-to", persist, "--show-interactive-dev-session=false",
    ...Object.entries(demoVars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ],
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
  await refusing.close();
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
  const cohortUrl = `${origin}/cohorts/${summary.cohort.cohortId}`;
  // The refused uploads become dead letters once the outbox has tried each one.
  let cohort = await (await fetch(cohortUrl, { headers: auth })).json();
  for (const until = Date.now() + 30_000; cohort.outbox.pending > 0 && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 250));
    cohort = await (await fetch(cohortUrl, { headers: auth })).json();
  }
  const sample = await (await fetch(`${cohortUrl}/members?limit=3`, { headers: auth })).json();
  const consoleUrl = `${page.url}www/console.html?worker=${encodeURIComponent(origin)}`;
  console.log(`
cohort-sync is running locally:
  webhook     POST ${origin}/webhook   (HTTP Basic: ${vars.WEBHOOK_USERNAME} / ${vars.WEBHOOK_PASSWORD}, from worker/.dev.vars)
  cohort      GET  ${origin}/cohorts/${summary.cohort.cohortId} → ${JSON.stringify(cohort)}
  members     GET  ${origin}/cohorts/${summary.cohort.cohortId}/members?limit=3 → ${JSON.stringify(sample)}
  validator   ${page.url}www/index.html
  console     ${consoleUrl}
              (the operator's console, pointed at this Worker: sign in with the credentials above)
  clevertap   ${refusing.url} (a stand-in that refuses every upload: ${cohort.outbox.dead} dead letters to see in the console)
  storage     ${persist}/ (delete it to start empty)
  try         curl -u ${vars.WEBHOOK_USERNAME}:${vars.WEBHOOK_PASSWORD} ${origin}/cohorts/${summary.cohort.cohortId}
              npx cohort-sync replay --url ${origin}/webhook --user ${vars.WEBHOOK_USERNAME} --password ${vars.WEBHOOK_PASSWORD} pkg/scenarios/seed-example.json
`);
  if (check) {
    // The console's origin may read the operators' routes (CONSOLE_ORIGINS reached the Worker).
    const cors = (await fetch(`${origin}/cohorts`, { headers: { ...auth, origin: consoleOrigins[0] } })).headers.get("access-control-allow-origin");
    // Dead letters are counted, not required: on storage kept from an earlier run they may
    // have been dropped in the console already (the test starts from empty storage).
    const ok = summary.verdict === "completed" && cohort.size === summary.members && cors === consoleOrigins[0];
    console.log(
      `start --check: ${ok ? "OK" : "FAILED"}: the Worker holds ${cohort.size} members, the scenario expects ${summary.members}; ` +
        `${cohort.outbox.dead} dead letters; the console's origin ${cors === consoleOrigins[0] ? "is" : "is NOT"} allowed`,
    );
    await stop(ok ? 0 : 1);
  } else {
    console.log("Ctrl-C stops it.");
  }
} catch (error) {
  console.error(`start: ${error.stack ?? error}\n${log.slice(-3000)}`);
  await stop(1);
}
