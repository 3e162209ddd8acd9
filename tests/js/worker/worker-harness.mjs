// Runs the Worker (worker/src) in real workerd through Miniflare, as Wrangler would:
// the installed package resolved through its `workerd` export condition, the wasm as a
// CompiledWasm module, both Durable Objects SQLite-backed and persisted in a folder so
// a test can stop the runtime and start it again on the same storage. Also small HTTP
// destinations on 127.0.0.1 that record what they get and can be told to fail.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
/** worker/ next to tests/ (copied into the scratch project by scripts/test-js.mjs). */
export const workerDir = join(here, "../../../worker");
const projectDir = join(here, "../../..");
const receiverEntry = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).exports["./receiver"].workerd;

const RULES = [
  [/\.m?js$/, "ESModule"],
  [/\.wasm$/, "CompiledWasm"],
];
const typeOf = (file) => RULES.find(([re]) => re.test(file))?.[1];

export const CREDENTIALS = { user: "mixpanel", password: "correct horse battery staple" };
export const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
export const AUTH = basic(CREDENTIALS.user, CREDENTIALS.password);

/** The settings every receiver under test starts with (`vars` add to them), whatever the host. */
export const TEST_SETTINGS = {
  WEBHOOK_USERNAME: CREDENTIALS.user,
  WEBHOOK_PASSWORD: CREDENTIALS.password,
  ALLOW_UNAUTHENTICATED: "false",
  MAX_BODY_BYTES: "10485760",
  ACCEPT_COHORTS: "",
  FORWARD_RETRY_BASE_MS: "50",
  FORWARD_RETRY_MAX_MS: "400",
};

/** A fresh folder for persisted storage. */
export const storageDir = () => mkdtempSync(join(tmpdir(), "cohort-sync-worker-"));

/**
 * Starts the Worker. `vars` are added to (and override) the test defaults; `persist` is
 * the storage folder (reuse it to "restart" the runtime); `hooks` runs the cohort
 * objects with fault hooks (worker-hooks.js) instead of the production ones; `analytics`
 * binds an Analytics Engine dataset as ANALYTICS.
 */
export async function startWorker({ vars = {}, persist = storageDir(), hooks = false, analytics = false } = {}) {
  const srcDir = join(workerDir, "src");
  const sources = readdirSync(srcDir).filter((f) => f.endsWith(".js"));
  const pkgFiles = readdirSync(pkgDir, { recursive: true })
    .filter((f) => !String(f).startsWith("node_modules") && !String(f).startsWith("cli") && typeOf(String(f)))
    .map((f) => join(pkgDir, String(f)));
  // The Worker's structured event lines (pkg/receiver/log.js), parsed, for tests to read;
  // everything else the runtime prints goes to the console as before.
  const events = [];
  const relay = (stream, to) => {
    let rest = "";
    stream.on("data", (chunk) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop();
      for (const line of lines) {
        if (line.startsWith('{"event":')) events.push(JSON.parse(line));
        else to.write(`${line}\n`);
      }
    });
  };
  const mf = new Miniflare({
    handleRuntimeStdio(stdout, stderr) {
      relay(stdout, process.stdout);
      relay(stderr, process.stderr);
    },
    host: "127.0.0.1",
    port: 0,
    cf: false,
    compatibilityDate: "2025-04-01",
    modulesRoot: projectDir,
    modules: [
      // The first module is the main one: its exports are the handler and the objects.
      ...(hooks ? [{ type: "ESModule", path: join(here, "worker-hooks.js") }] : []),
      { type: "ESModule", path: join(srcDir, "index.js") },
      ...sources.filter((f) => f !== "index.js").map((f) => ({ type: "ESModule", path: join(srcDir, f) })),
      // What Wrangler's bundler does for `import "cohort-sync/receiver"`: the `workerd`
      // condition of the package's exports.
      {
        type: "ESModule",
        // workerd resolves a bare specifier next to the importing module.
        path: join(srcDir, "cohort-sync/receiver"),
        contents: `export * from "${relative(join(srcDir, "cohort-sync"), join(pkgDir, receiverEntry)).split(sep).join("/")}";`,
      },
      ...pkgFiles.map((path) => ({ type: typeOf(path), path })),
    ],
    durableObjects: {
      COHORTS: { className: "CohortObject", useSQLite: true },
      PROFILES: { className: "ProfilesObject", useSQLite: true },
      REGISTRY: { className: "RegistryObject", useSQLite: true },
    },
    durableObjectsPersist: persist,
    // The Analytics Engine dataset as Wrangler binds it locally (it keeps nothing).
    ...(analytics ? { analyticsEngineDatasets: { ANALYTICS: { dataset: "cohort_sync" } } } : {}),
    bindings: { ...TEST_SETTINGS, ...vars },
  });
  let url;
  try {
    url = await mf.ready;
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  const origin = url.origin;
  return {
    mf,
    origin,
    persist,
    /** The structured event lines printed so far (`{ event, … }`). */
    events,
    ...client(origin),
    /** Calls a method of a cohort's object directly (fault injection, inspection). */
    async cohort(cohortId) {
      const ns = await mf.getDurableObjectNamespace("COHORTS");
      return ns.get(ns.idFromName(cohortId));
    },
    async profiles() {
      const ns = await mf.getDurableObjectNamespace("PROFILES");
      return ns.get(ns.idFromName("profiles"));
    },
    stop: () => mf.dispose(),
    /** Stops and removes the storage folder. */
    async destroy() {
      await mf.dispose();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/**
 * The Worker as the behaviour suites (tests/js/behaviour/) take a host: `start(options)`
 * starts one (startWorker's options), `storageDir()` gives a fresh folder for its state.
 */
export const worker = { host: "worker", store: "durable-objects", start: startWorker, storageDir };

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A receiver's HTTP side at `origin`, as the tests use it whatever the host: `post` a
 * webhook body (`auth` false for none, a string for a given header) and `get` a route.
 */
export function client(origin) {
  return {
    async post(body, { auth = AUTH, headers = {} } = {}) {
      const res = await fetch(`${origin}/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}), ...headers },
        body,
      });
      const text = await res.text();
      return { status: res.status, text, json: safeJson(text), headers: res.headers };
    },
    async get(path, { auth = AUTH } = {}) {
      const res = await fetch(`${origin}${path}`, { headers: auth ? { authorization: auth } : {} });
      const text = await res.text();
      return { status: res.status, json: safeJson(text), text };
    },
  };
}

/**
 * A destination on 127.0.0.1 that records each request and answers with `answer(req)`
 * (default 200 `{"status":"success"}`); `failNext(n, status)` makes the next n fail.
 */
export async function startRecorder(answer) {
  const received = [];
  let failures = [];
  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    res.on("close", () => inFlight--);
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const fail = failures.shift();
      if (fail !== undefined) {
        res.writeHead(fail, { "content-type": "text/plain" }).end("failing on purpose");
        return;
      }
      received.push({ url: req.url, headers: req.headers, body, json: safeJson(body) });
      const [status, reply] = answer ? answer(req, body) : [200, '{"status":"success","processed":1,"unprocessed":[]}'];
      res.writeHead(status, { "content-type": "application/json" }).end(reply);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    received,
    failNext(n, status = 503) {
      failures = Array(n).fill(status);
    },
    /** Requests received and not yet answered. */
    get inFlight() {
      return inFlight;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Waits until `check()` is truthy (polling), or throws after `ms`. */
export async function eventually(check, ms = 15_000, what = "condition") {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
