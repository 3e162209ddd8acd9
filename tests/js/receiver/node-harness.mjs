// Runs the receiver in Node as `createReceiver` users do: a real http server on
// 127.0.0.1 with the receiver on a SQLite file in a temporary folder, or on a database
// of its own in a throwaway PostgreSQL cluster (one per test file, started on first
// use), with the shape of the Worker's harness (tests/js/worker/worker-harness.mjs), so
// the behaviour suites (tests/js/behaviour/) run against it unchanged. Stopping closes
// the server and the receiver; starting again on the same folder (or database) is a
// restart on the same state.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createReceiver } from "cohort-sync/receiver";
import { TEST_SETTINGS, client } from "../worker/worker-harness.mjs";

// The store when a caller names none. Tests always name theirs (nodeReceiver below);
// bench/worker.bench.mjs picks PostgreSQL by setting RECEIVER_STORE=postgres.
const DEFAULT_STORE = process.env.RECEIVER_STORE === "postgres" ? "postgres" : "sqlite";

let cluster = null;
let databases = 0;

/** The PostgreSQL cluster of this test file, started on first use and stopped at exit. */
export async function postgresCluster() {
  cluster ??= import(pathToFileURL(join(repositoryRoot(), "scripts/pg-cluster.mjs")).href).then(async ({ startCluster }) => {
    // Stopped when the test file's process exits (pg-cluster.mjs sees to that).
    // (Benches ask for fsync, as a production server has it.)
    return startCluster({ fsync: process.env.RECEIVER_PG_FSYNC === "on" });
  });
  return cluster;
}

/** The repository: COHORT_SYNC_ROOT, or the nearest folder above this file with scripts/pg-cluster.mjs (the scratch project is inside it). */
function repositoryRoot() {
  if (process.env.COHORT_SYNC_ROOT) return resolve(process.env.COHORT_SYNC_ROOT);
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "scripts/pg-cluster.mjs"))) return dir;
    if (dirname(dir) === dir) throw new Error("no folder above this file holds scripts/pg-cluster.mjs (set COHORT_SYNC_ROOT)");
  }
}

/** A fresh place for a receiver's state on `store`: a folder (SQLite), or the name of a database to create (PostgreSQL). */
export const storageDir = (store = DEFAULT_STORE) => (store === "postgres" ? `pg:receiver_${process.pid}_${++databases}` : mkdtempSync(join(tmpdir(), "cohort-sync-receiver-")));

/** The connection string of `persist`'s database (created on first use). */
export async function databaseUrl(persist) {
  const { url } = await postgresCluster();
  const name = persist.slice(3);
  const pg = createRequire(import.meta.url)("pg");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rows.length === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const at = new URL(url);
  at.pathname = `/${name}`;
  return at.toString();
}

/**
 * Starts a receiver. `vars` are the Worker's settings (added to the test defaults);
 * `persist` the folder of its SQLite file or the name of its PostgreSQL database (a
 * fresh one on `store` when not given). The Worker's fault hooks have no Node
 * counterpart; `analytics` is accepted and ignored (the Worker's local dataset keeps
 * nothing either).
 */
export async function startNodeReceiver({ vars = {}, store = DEFAULT_STORE, persist = storageDir(store), hooks = false } = {}) {
  if (hooks) throw new Error("fault hooks are the Worker harness's (worker-hooks.js)");
  const settings = { ...TEST_SETTINGS, ALARM_POLL_MS: "200", ...vars };
  const receiver = persist.startsWith("pg:")
    ? createReceiver({ postgres: await databaseUrl(persist), settings })
    : createReceiver({ db: join(persist, "cohorts.db"), settings });
  await receiver.ready();
  const server = createServer(receiver.nodeHandler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const events = captureEvents();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await receiver.close();
    events.release();
  };
  return {
    receiver,
    origin,
    persist,
    events: events.list,
    ...client(origin),
    /** A cohort's handle (the Cohort's methods, as the Worker's harness gives its object's). */
    async cohort(cohortId) {
      return receiver.cohort(cohortId);
    },
    async profiles() {
      return receiver.profiles();
    },
    stop,
    async destroy() {
      await stop();
      if (!persist.startsWith("pg:")) rmSync(persist, { recursive: true, force: true });
    },
  };
}

/**
 * The Node receiver on `store` ("sqlite" or "postgres") as the behaviour suites
 * (tests/js/behaviour/) take a host: `start(options)` starts one (startNodeReceiver's
 * options), `storageDir()` gives a fresh place for its state.
 */
export function nodeReceiver(store) {
  if (store !== "sqlite" && store !== "postgres") throw new Error(`no such store: ${store}`);
  return {
    host: "node",
    store,
    start: (options = {}) => startNodeReceiver({ ...options, store }),
    storageDir: () => storageDir(store),
  };
}

/**
 * The receiver's structured event lines (`{"event":…}` on console.log), parsed, kept
 * for the tests and left out of the output, as the Worker's harness does with
 * workerd's output. Other lines print as before.
 */
function captureEvents() {
  const list = [];
  const print = console.log;
  console.log = (...args) => {
    if (args.length === 1 && typeof args[0] === "string" && args[0].startsWith('{"event":')) list.push(JSON.parse(args[0]));
    else print(...args);
  };
  return { list, release: () => void (console.log === print || (console.log = print)) };
}

