// The receiver in Bun and in Deno, run for real with their binaries (root dev
// dependencies): runtime-server.mjs served by each, on a SQLite file (the runtime's own
// SQLite: bun:sqlite, node:sqlite) and on PostgreSQL (pg), with the package imported
// from the scratch project's node_modules as users have it. Each case posts a two-page
// full sync over HTTP, reads the members, restarts the process on the same state and
// reads them again, then posts a smaller full sync and checks its sweep.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { planSync } from "cohort-sync";
import { databaseUrl } from "./node-harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const project = join(here, "../../.."); // the scratch project: its node_modules holds cohort-sync
const serverScript = join(here, "runtime-server.mjs");
const sqliteScript = join(here, "runtime-sqlite.mjs");
const USER = "mixpanel";
const PASSWORD = "correct horse battery staple";
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
const START_MS = 30_000;

/** `node_modules/.bin/<name>` in the nearest folder above the scratch project that has it (the repository's). */
function binary(name) {
  for (let dir = project; ; dir = dirname(dir)) {
    const path = join(dir, "node_modules/.bin", name);
    if (existsSync(path)) return path;
    if (dirname(dir) === dir) throw new Error(`no node_modules/.bin/${name} above ${project}: npm ci at the repository's root installs it`);
  }
}

/**
 * Each runtime's command line for `script`. Deno gets the narrowest permissions that
 * run it: the network on 127.0.0.1 (its server, PostgreSQL), reading the project (the
 * package's .wasm) and the state folder, writing the state folder (the SQLite file, its
 * -wal and -shm), and the variables the script and pg read (pg reads the PG* ones for
 * whatever the connection string leaves out). Its node_modules is the project's as npm
 * installed it (`manual`), and no deno.lock is written there.
 */
const RUNTIMES = {
  bun: (script) => [binary("bun"), ["--no-install", script]],
  deno: (script, { state = null } = {}) => [
    binary("deno"),
    [
      "run",
      "--no-prompt",
      "--no-lock",
      "--node-modules-dir=manual",
      ...(state === null
        ? [`--allow-read=${project}`]
        : [
            "--allow-net=127.0.0.1",
            `--allow-read=${project},${state}`,
            `--allow-write=${state}`,
            "--allow-env=WEBHOOK_USERNAME,WEBHOOK_PASSWORD,RECEIVER_DB,RECEIVER_POSTGRES,PG*",
          ]),
      script,
    ],
  ],
};

const running = new Set();
after(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts `runtime` on the server script; resolves to `{ origin, stop() }` once it prints its URL. */
async function start(runtime, { state, store }) {
  const [command, args] = RUNTIMES[runtime](serverScript, { state });
  const env = { ...process.env, WEBHOOK_USERNAME: USER, WEBHOOK_PASSWORD: PASSWORD };
  delete env.RECEIVER_DB;
  delete env.RECEIVER_POSTGRES;
  Object.assign(env, store); // one of the two
  const child = spawn(command, args, { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => (running.delete(child), resolve(code ?? signal))));
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} printed no URL in ${START_MS} ms:\n${output}`)), START_MS);
    const fail = (why) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} ${why}:\n${output}`));
    };
    child.on("error", (error) => fail(`did not start (${error.message})`));
    exited.then((code) => fail(`exited (${code}) before printing its URL`));
    const read = (chunk) => {
      output += chunk;
      const found = /^listening on (http:\/\/\S+)$/m.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout.setEncoding("utf8").on("data", read);
    child.stderr.setEncoding("utf8").on("data", read);
  });
  return {
    origin,
    output: () => output,
    /** SIGTERM: the script closes its server and the receiver and exits 0. */
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      assert.equal(code, 0, `${runtime} exited with ${code}:\n${output}`);
    },
  };
}

const post = async (origin, body) => {
  const res = await fetch(`${origin}/webhook`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/json" }, body });
  return { status: res.status, text: await res.text() };
};

/** Every member of the cohort, following the cursor. */
async function members(origin, cohortId) {
  const ids = [];
  let cursor = null;
  do {
    const url = new URL(`${origin}/cohorts/${cohortId}/members`);
    url.searchParams.set("limit", "4");
    if (cursor !== null) url.searchParams.set("cursor", cursor);
    const res = await fetch(url, { headers: { authorization: AUTH } });
    assert.equal(res.status, 200, `GET ${url.pathname}: ${res.status}`);
    const page = await res.json();
    ids.push(...page.members);
    cursor = page.cursor;
  } while (cursor !== null);
  return ids.sort();
}

const sync = (ids, sessionId) => planSync(null, ids, { projectId: "1", cohortId: "rt", cohortName: "Runtimes", sessionId, batchSize: 5 });

async function lifecycle(runtime, storeName) {
  const state = mkdtempSync(join(tmpdir(), `cohort-sync-${runtime}-`));
  try {
    const store =
      storeName === "sqlite" ? { RECEIVER_DB: join(state, "cohorts.db") } : { RECEIVER_POSTGRES: await databaseUrl(`pg:runtime_${runtime}_${process.pid}`) };
    const everyone = Array.from({ length: 8 }, (_, i) => `user-${i}`);
    const staying = everyone.filter((id) => id !== "user-2" && id !== "user-5");

    let receiver = await start(runtime, { state, store });
    try {
      const pages = sync(everyone, "s1");
      assert.equal(pages.length, 2, "a two-page sync");
      for (const body of pages) assert.equal((await post(receiver.origin, body)).status, 200);
      assert.deepEqual(await members(receiver.origin, "rt"), everyone);
    } finally {
      await receiver.stop();
    }

    // Another process on the same file or database: what was answered 200 is there.
    receiver = await start(runtime, { state, store });
    try {
      assert.deepEqual(await members(receiver.origin, "rt"), everyone, "after a restart");
      const again = sync(staying, "s2");
      assert.equal(again.length, 2);
      for (const body of again) assert.equal((await post(receiver.origin, body)).status, 200);
      // The page that completed the new session swept out the members it did not list.
      assert.deepEqual(await members(receiver.origin, "rt"), staying);
      const gone = await fetch(`${receiver.origin}/cohorts/rt/members/user-2`, { headers: { authorization: AUTH } });
      assert.equal(gone.status, 404);
      const info = await (await fetch(`${receiver.origin}/cohorts/rt`, { headers: { authorization: AUTH } })).json();
      assert.equal(info.size, staying.length);
      assert.equal(info.sessionId, "s2");
    } finally {
      await receiver.stop();
    }
    if (storeName === "sqlite") assert.ok(existsSync(join(state, "cohorts.db")), "the SQLite file is where it was named");
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

/** Runs `script` in `runtime` to its end: its output, and how it exited. */
function run(runtime, script) {
  const [command, args] = RUNTIMES[runtime](script);
  const child = spawn(command, args, { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

for (const runtime of Object.keys(RUNTIMES)) {
  test(`${runtime}: its own SQLite as the store uses it (statements, nested transactions, BLOBs), and a database opened by the caller`, async () => {
    const { code, stdout, stderr } = await run(runtime, sqliteScript);
    assert.equal(code, 0, `${runtime} exited with ${code}:\n${stdout}${stderr}`);
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)), {
      reader: [false, true, true, false],
      rows: [1, 3],
      changes: 2,
      missing: "undefined",
      blob: [true, [0, 1, 255]],
      statuses: [200, 200],
      members: ["a", "b", "c"],
      leftOpen: 3,
    });
  });
  for (const storeName of ["sqlite", "postgres"]) {
    test(`${runtime} on ${storeName === "sqlite" ? "a SQLite file (its own SQLite)" : "PostgreSQL"}: a two-page sync, a restart, a sweep`, () => lifecycle(runtime, storeName));
  }
}
