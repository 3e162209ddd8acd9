// A throwaway PostgreSQL cluster: its own data folder in a fresh temporary directory,
// its own server on a free port, one database, gone again on stop(). The receiver's
// PostgreSQL tests and benches run on a real server, never a mock, so what they measure
// and check is what PostgreSQL does (locking, transactions, fsync, type coercion).
//
//   node scripts/pg-cluster.mjs        starts one, prints its url; Ctrl+C stops it
//
// It uses the binaries of Debian's postgresql package (scripts/setup.sh installs it),
// never the package's own cluster or service. The server listens on 127.0.0.1 only,
// with its Unix socket inside the temporary directory, and trusts every local
// connection: fine for a throwaway cluster nobody else can reach, wrong for anything
// else. The server refuses to run as root, so as root it runs as the `postgres` user.
//
// fsync is on unless the caller turns it off: tests turn it off for speed; benches keep
// it on, so their figures include what durability costs.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const DATABASE = "cohort_sync";
const START_ATTEMPTS = 5;

// The newest installed server: Debian installs each major version side by side under
// /usr/lib/postgresql/<version>/bin.
function findBin() {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(base, v, "bin/postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(`pg-cluster: no PostgreSQL server found (no ${base}/*/bin/postgres); run \`bash scripts/setup.sh\`, which installs Debian's postgresql package`);
  }
  return join(base, versions[0], "bin");
}

const asRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

// The server's own tools run as the `postgres` user when we are root (initdb and the
// server refuse root); the client tools (createdb) connect over TCP and run as we are.
function serverCommand(bin, tool, args) {
  return asRoot() ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]] : [join(bin, tool), args];
}

// Connection settings in our environment (PGHOST, PGPORT, PGDATABASE, …) would point the
// tools elsewhere; every setting they need is given on the command line.
function cleanEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("PG")) delete env[key];
  return env;
}

function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    // stdin closed; the server pg_ctl leaves behind writes to the log file, not to our
    // pipes, so they close when pg_ctl exits.
    const child = spawn(cmd, args, { cwd, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (error) => resolve({ code: -1, output: `${output}${error.message}\n` }));
    child.on("close", (code, signal) => resolve({ code: code ?? signal, output }));
  });
}

const tail = (text, lines = 20) => text.trimEnd().split("\n").slice(-lines).join("\n");

// The log written since `from` (a byte offset), so a retry reads only its own attempt.
function readLog(path, from = 0) {
  if (!existsSync(path)) return "";
  const size = statSync(path).size;
  if (size <= from) return "";
  const buffer = Buffer.alloc(size - from);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, from);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

const logSize = (path) => (existsSync(path) ? statSync(path).size : 0);

// A port nothing listens on right now. Another process may take it before the server
// binds it, so a start that cannot bind is retried on another port.
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

// Clusters not stopped yet. When the process exits without stopping one (a failing
// test, an uncaught error), the 'exit' handler stops it: pg_ctl detaches the server from
// our process group, so nothing else would.
const running = new Set();

function onExit() {
  for (const cluster of running) cluster.stopSync();
}

// Ctrl+C or a kill ends a process without 'exit' when nothing listens for the signal.
// Then we stop the clusters and raise the signal again, so the process still ends by it.
// When something else listens (node:test's runner, the CLI below), it decides; if it
// exits, 'exit' stops the clusters.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];
function onSignal(signal) {
  if (process.listenerCount(signal) > 1) return;
  onExit();
  unwatch();
  process.kill(process.pid, signal);
}

function watch(cluster) {
  if (running.size === 0) {
    process.on("exit", onExit);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  running.add(cluster);
}

function unwatch(cluster) {
  if (cluster) running.delete(cluster);
  if (cluster && running.size > 0) return;
  running.clear();
  process.off("exit", onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/**
 * Starts a throwaway PostgreSQL cluster on 127.0.0.1 with a database `cohort_sync`.
 * Resolves to `{ url, port, dir, database, stop }`; `stop()` shuts the server down and
 * removes `dir` (idempotent). `fsync: false` trades durability for speed (tests only).
 */
export async function startCluster({ fsync = true } = {}) {
  const bin = findBin();
  if (asRoot() && spawnSync("id", ["-u", "postgres"], { stdio: "ignore" }).status !== 0) {
    throw new Error("pg-cluster: running as root, but there is no `postgres` user to run the server as (PostgreSQL refuses root); run `bash scripts/setup.sh`, which installs Debian's postgresql package and its user");
  }
  const dir = mkdtempSync(join(tmpdir(), "cohort-sync-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "log");
  const pgCtl = (...args) => serverCommand(bin, "pg_ctl", ["-D", data, ...args]);

  let port;
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    const [cmd, args] = pgCtl("-m", "immediate", "-w", "stop");
    if (existsSync(join(data, "postmaster.pid"))) spawnSync(cmd, args, { cwd: dir, env: cleanEnv(), stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  };
  const cluster = { stopSync };
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (stopped) return;
      const r = await run(...pgCtl("-m", "fast", "-w", "-t", "60", "stop"), dir);
      // A fast stop that failed leaves the server up: the immediate one still ends it.
      const message = r.code === 0 ? null : `pg-cluster: pg_ctl stop failed (exit ${r.code}):\n${tail(r.output)}\n--- ${log}:\n${tail(readLog(log))}`;
      stopSync();
      unwatch(cluster);
      if (message) throw new Error(message);
    })());

  // Watched from here on: whatever fails below, the exit handler or fail() cleans up.
  watch(cluster);
  const fail = (message) => {
    stopSync();
    unwatch(cluster);
    return new Error(message);
  };

  if (asRoot()) {
    const r = spawnSync("chown", ["-R", "postgres:", dir], { encoding: "utf8" });
    if (r.status !== 0) throw fail(`pg-cluster: chown -R postgres: ${dir} failed: ${r.stderr || r.error?.message}`);
  }

  // --no-sync: a throwaway cluster's initdb need not wait for the disk (the server's
  // own fsync setting still holds once it runs). C locale and UTF8: the same sorting and
  // encoding on every machine.
  const init = await run(...serverCommand(bin, "initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]), dir);
  if (init.code !== 0) throw fail(`pg-cluster: initdb failed (exit ${init.code}):\n${tail(init.output)}`);

  let lastError = "";
  for (let attempt = 1; attempt <= START_ATTEMPTS && port === undefined; attempt++) {
    const candidate = await freePort();
    const from = logSize(log);
    const options = [`-k "${dir}"`, `-p ${candidate}`, "-c listen_addresses=127.0.0.1", `-c fsync=${fsync ? "on" : "off"}`, "-c max_connections=100"].join(" ");
    const r = await run(...pgCtl("-o", options, "-l", log, "-w", "-t", "60", "start"), dir);
    if (r.code === 0) {
      port = candidate;
      break;
    }
    const attemptLog = readLog(log, from);
    lastError = `pg-cluster: pg_ctl start failed (exit ${r.code}, port ${candidate}, attempt ${attempt}):\n${tail(r.output)}\n--- ${log}:\n${tail(attemptLog)}`;
    // A server still starting when pg_ctl gave up would hold the data folder.
    if (existsSync(join(data, "postmaster.pid"))) spawnSync(...pgCtl("-m", "immediate", "-w", "stop"), { cwd: dir, env: cleanEnv(), stdio: "ignore" });
    // Only a port taken meanwhile is worth another try; anything else fails the same way.
    if (!/could not bind|Address already in use|could not create any TCP\/IP sockets/.test(attemptLog)) break;
  }
  if (port === undefined) throw fail(lastError);

  const created = await run(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", DATABASE], dir);
  if (created.code !== 0) throw fail(`pg-cluster: createdb ${DATABASE} failed (exit ${created.code}):\n${tail(created.output)}\n--- ${log}:\n${tail(readLog(log))}`);

  return { url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`, port, dir, database: DATABASE, stop };
}

// Run as a script: a cluster to point a receiver at by hand, until Ctrl+C.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  let cluster;
  try {
    cluster = await startCluster();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  console.log(`${cluster.url}\n(data in ${cluster.dir}; Ctrl+C stops the server and deletes it)`);
  const keepAlive = setInterval(() => {}, 1 << 30);
  const shutdown = async () => {
    clearInterval(keepAlive);
    try {
      await cluster.stop();
    } catch (error) {
      console.error(error.message);
      process.exit(1);
    }
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
