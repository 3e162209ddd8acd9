// `npm start` (scripts/start.mjs) when a port it needs is taken: it must stop before it
// starts or sends anything, name the port and the setting, and say how to choose another
// (WORKER_PORT, PAGE_PORT). The squatter is a plain HTTP server that records every
// request: it must receive none (no poll, no webhook with the demo credentials, no read).
// No wrangler dev is started here, so this runs in seconds.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { freePort, repoRoot } from "../lib/start.mjs";

const T = { timeout: 60_000 };

/** A plain HTTP server on 127.0.0.1 that answers 200 to anything and records each request. */
async function squatter() {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`.trim());
    req.resume();
    res.end("not a Worker");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

const persist = mkdtempSync(join(tmpdir(), "cohort-sync-start-ports-"));
after(() => rmSync(persist, { recursive: true, force: true }));

/** Runs start.mjs asynchronously (the squatter must keep answering meanwhile). */
function start(env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["scripts/start.mjs", "--check"], {
      cwd: repoRoot(),
      env: { ...process.env, START_PERSIST: persist, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

test("the Worker's port taken by another server: exit 1 naming the port and WORKER_PORT/PAGE_PORT; the server got no request", T, async () => {
  const taken = await squatter();
  try {
    const pagePort = await freePort();
    const r = await start({ WORKER_PORT: String(taken.port), PAGE_PORT: String(pagePort) });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^start: port ${taken.port} on 127\\.0\\.0\\.1, the Worker's \\(WORKER_PORT\\), is taken by another program\\. Nothing was started or sent\\.\\n`));
    assert.match(r.stderr, /\nStop that program, or choose other ports with WORKER_PORT and PAGE_PORT, for example:\n {2}WORKER_PORT=(\d+) npm start\n$/);
    const suggested = Number(/WORKER_PORT=(\d+) npm start/.exec(r.stderr)[1]);
    assert.notEqual(suggested, taken.port);
    assert.notEqual(suggested, pagePort);
    assert.equal(r.stdout, "", "no wrangler output, no replay");
    assert.deepEqual(taken.requests, [], "the server on the port received nothing");
    assert.ok(r.ms < 20_000, `it stops at once, without starting wrangler dev (${r.ms.toFixed(0)} ms)`);
    assert.deepEqual(readdirSync(persist), [], "no storage written");
  } finally {
    await taken.close();
  }
});

test("the pages' port taken: the same, naming PAGE_PORT; nothing is left listening on the Worker's port", T, async () => {
  const taken = await squatter();
  try {
    const workerPort = await freePort();
    const r = await start({ WORKER_PORT: String(workerPort), PAGE_PORT: String(taken.port) });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^start: port ${taken.port} on 127\\.0\\.0\\.1, the pages' \\(PAGE_PORT\\), is taken by another program\\.`));
    assert.match(r.stderr, /\n {2}PAGE_PORT=\d+ npm start\n$/);
    assert.deepEqual(taken.requests, []);
    // The Worker's port is free again: nothing was started on it.
    const probe = createTcpServer();
    await new Promise((resolve, reject) => probe.once("error", reject).listen(workerPort, "127.0.0.1", resolve));
    await new Promise((resolve) => probe.close(resolve));
  } finally {
    await taken.close();
  }
});

test("both taken: one message for both; a port that is no port, or the same port twice, is said plainly", T, async () => {
  const [a, b] = [await squatter(), await squatter()];
  try {
    const r = await start({ WORKER_PORT: String(a.port), PAGE_PORT: String(b.port) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`port ${a.port} on 127\\.0\\.0\\.1, the Worker's \\(WORKER_PORT\\), is taken by another program; port ${b.port} on 127\\.0\\.0\\.1, the pages' \\(PAGE_PORT\\), is taken by another program\\.`));
    assert.match(r.stderr, /\n {2}WORKER_PORT=\d+ PAGE_PORT=\d+ npm start\n$/);
    assert.deepEqual([...a.requests, ...b.requests], []);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  const bad = await start({ WORKER_PORT: "eighty", PAGE_PORT: String(await freePort()) });
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'start: WORKER_PORT must be a port number from 1 to 65535, got "eighty"\n');
  const port = await freePort();
  const same = await start({ WORKER_PORT: String(port), PAGE_PORT: String(port) });
  assert.equal(same.code, 1);
  assert.equal(same.stderr, `start: WORKER_PORT and PAGE_PORT are both ${port}: the Worker and the pages need a port each\n`);
});
