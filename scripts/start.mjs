// `npm start` after the build: runs the Worker locally with `wrangler dev` on 127.0.0.1
// (storage persisted under .wrangler-state/), serves the validator page and the
// operator's console, replays a sample sync into the Worker so a cohort appears, and
// prints where everything is. Forwarding to CleverTap is on, pointed at a stand-in on
// 127.0.0.1 that refuses every upload, so the console has real dead letters to show.
//   node scripts/start.mjs            # stays up until Ctrl-C
//   node scripts/start.mjs --check    # the same, then stops: exit 0 when the cohort
//                                     # appeared and the console's origin may call the Worker
// WORKER_PORT (8787) and PAGE_PORT (8788) choose the ports on 127.0.0.1.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatSummary, replay } from "cohort-sync/replay";
import { startStaticServer } from "./serve.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const DEMO = { user: "demo", password: "demo-password" };

/** Stops before anything is started or written, with `message` on stderr. */
function refuse(message) {
  console.error(`start: ${message}`);
  process.exit(1);
}

/** The port in the environment variable `name`, or `fallback`; anything else stops. */
function portSetting(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) refuse(`${name} must be a port number from 1 to 65535, got ${JSON.stringify(text)}`);
  return port;
}

const WORKER_PORT = portSetting("WORKER_PORT", 8787);
const PAGE_PORT = portSetting("PAGE_PORT", 8788);
if (WORKER_PORT === PAGE_PORT) refuse(`WORKER_PORT and PAGE_PORT are both ${WORKER_PORT}: the Worker and the pages need a port each`);
const origin = `http://127.0.0.1:${WORKER_PORT}`;

/** Whether a listener can bind 127.0.0.1:`port` now: "free", "taken" (EADDRINUSE), or the error's code. */
function probePort(port) {
  return new Promise((resolve) => {
    const server = createTcpServer();
    server.once("error", (error) => resolve(error.code === "EADDRINUSE" ? "taken" : (error.code ?? String(error))));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve("free")));
  });
}

/** A free port near `from` to suggest, other than `avoid`; null when none is found. */
async function freePortNear(from, avoid) {
  for (let port = from + 10; port < from + 40 && port <= 65535; port++) {
    if (!avoid.includes(port) && (await probePort(port)) === "free") return port;
  }
  return null;
}

// Both ports are checked before anything is started or sent: a server already on the
// Worker's port would be polled, sent the demo credentials in a webhook and a read, and
// its answers taken for the Worker's.
{
  const ports = { WORKER_PORT: [WORKER_PORT, "the Worker's"], PAGE_PORT: [PAGE_PORT, "the pages'"] };
  const problems = [];
  for (const [name, [port, what]] of Object.entries(ports)) {
    const state = await probePort(port);
    if (state === "taken") problems.push({ name, port, line: `port ${port} on 127.0.0.1, ${what} (${name}), is taken by another program` });
    else if (state !== "free") problems.push({ name, port, line: `port ${port} on 127.0.0.1, ${what} (${name}), cannot be used: ${state}` });
  }
  if (problems.length) {
    const used = [WORKER_PORT, PAGE_PORT];
    const choice = [];
    for (const p of problems) {
      const other = await freePortNear(p.port, [...used, ...choice.map((c) => c.port)]);
      choice.push({ name: p.name, port: other ?? p.port + 10 });
    }
    refuse(
      `${problems.map((p) => p.line).join("; ")}. Nothing was started or sent.\n` +
        `Stop that program, or choose other ports with WORKER_PORT and PAGE_PORT, for example:\n` +
        `  ${choice.map((c) => `${c.name}=${c.port}`).join(" ")} npm start`,
    );
  }
}
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

/**
 * Waits until our Worker answers: a request without credentials refused with the
 * receiver's own challenge (realm "cohort-sync"). Until then nothing with credentials is
 * sent, so a server that took the port after the check above gets no demo password.
 */
async function waitForWorker() {
  const until = Date.now() + 120_000;
  let other = null; // the last answer that was not our Worker's
  while (Date.now() < until) {
    try {
      const r = await fetch(`${origin}/cohorts/none`);
      await r.body?.cancel();
      const challenge = r.headers.get("www-authenticate") ?? "";
      if (r.status === 401 && challenge.includes('realm="cohort-sync"')) return;
      other = `HTTP ${r.status}${challenge ? ` (${challenge})` : ""}`;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    other
      ? `something other than the Worker answers on ${origin} (${other}); choose another port with WORKER_PORT`
      : `the Worker did not answer on ${origin} within 2 minutes`,
  );
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
