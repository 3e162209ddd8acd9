// The hostile-input cases of the webhook against the Worker under `wrangler dev` (what
// `npm start` runs), where a dev-only middleware and a proxy stand in front of the
// Worker: refused and oversized bodies, sent over raw sockets and with fetch, each
// followed by an authenticated read whose time is measured. tests/js/hostile/ runs the
// same kind of cases in Miniflare (npm test); this is their wrangler-dev counterpart.
//   node scripts/hostile-wrangler.mjs                  # 3 rounds of every case
//   node scripts/hostile-wrangler.mjs --rounds 5 --only "10 MiB"
//   node scripts/hostile-wrangler.mjs --origin http://127.0.0.1:8787 --user U --password P
//                                                      # against a Worker already running
//   node scripts/hostile-wrangler.mjs --suite          # npm test's hostile-HTTP suite
//                                                      # (tests/js/hostile/) under wrangler dev
// Prints, per case and round, the status, the body's shape, the time to the answer and
// the time of the next request; exits 1 when any case got a 5xx or a status other than
// its own, an answer not in Mixpanel's failure shape, or a next request slower than 2 s.
// Needs the package built (`node scripts/build.mjs`). Talks only to 127.0.0.1.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MiB = 1024 * 1024;
const LIMIT = 10 * MiB; // MAX_BODY_BYTES in worker/wrangler.toml
const NEXT_LIMIT_MS = 2000;

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    origin: { type: "string" },
    user: { type: "string", default: "hostile" },
    password: { type: "string", default: "hostile-password" },
    // How long one answer is waited for. A stall under wrangler dev's proxy lasts until the
    // client gives up, so any bound shows it; a longer one only makes that plainer.
    "timeout-ms": { type: "string", default: "15000" },
    verbose: { type: "boolean", default: false },
    suite: { type: "boolean", default: false },
  },
});
if (args.suite) {
  // The suite's own credentials (tests/js/worker/worker-harness.mjs, TEST_SETTINGS).
  const { CREDENTIALS: suite } = await import("../tests/js/worker/worker-harness.mjs");
  args.user = suite.user;
  args.password = suite.password;
}
const rounds = Math.min(Math.max(Number(args.rounds) || 1, 1), 50);
const timeoutMs = Math.min(Math.max(Number(args["timeout-ms"]) || 15_000, 1000), 300_000);
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const AUTH = basic(args.user, args.password);
const CREDENTIALS = {
  good: AUTH,
  wrong: basic(args.user, "wrong password"),
  missing: null,
  malformed: "Basic !!!",
};

/**
 * The cases, a plain array: each a POST /webhook. `auth` a key of CREDENTIALS; `size` the
 * body's bytes (filler, not JSON; 1 KiB is a small page, 300 KiB about a 1000-member
 * one); `transfer` "length" (Content-Length) or "chunked"; `connection` "keep-alive" or
 * "close"; `via` "socket" (node:net) or "fetch"; `status` the answer due. Refused
 * credentials are answered before a byte of the body is read (401); with the right
 * ones, a body over the limit is 413 and any other filler 400.
 */
const SIZES = [["0 B", 0], ["1 KiB", 1024], ["300 KiB", 300 * 1024], ["5 MiB", 5 * MiB], ["10 MiB + 1", LIMIT + 1]];
const CASES = [];
for (const auth of ["wrong", "missing", "malformed", "good"]) {
  for (const [sizeName, size] of SIZES) {
    const status = auth !== "good" ? 401 : size > LIMIT ? 413 : 400;
    for (const transfer of ["length", "chunked"]) {
      for (const connection of ["keep-alive", "close"]) {
        CASES.push({ name: `${auth} credentials, ${sizeName}, ${transfer}, ${connection}, socket`, auth, size, transfer, connection, via: "socket", status });
      }
      CASES.push({ name: `${auth} credentials, ${sizeName}, ${transfer}, fetch`, auth, size, transfer, connection: "keep-alive", via: "fetch", status });
    }
  }
}

/** A member of the cohort the script syncs first, so the next request is a real read. */
const COHORT = "hostile-c1";
const MEMBER = "m-1";
const READ_PATH = `/cohorts/${COHORT}/members/${MEMBER}`;
const seedPage = JSON.stringify({
  action: "add_members",
  parameters: {
    mixpanel_project_id: "1",
    mixpanel_cohort_id: COHORT,
    mixpanel_cohort_name: "Hostile",
    mixpanel_session_id: "hostile-seed",
    page_info: { page_count: 1, total_pages: 1 },
    members: [{ mixpanel_distinct_id: MEMBER }, { mixpanel_distinct_id: "m-2" }],
  },
});

// ---- HTTP/1.1 on a bare socket -------------------------------------------------------

/** A parsed answer from the front of `buf`, `{ answer, rest }`, or null while incomplete. */
function parseAnswer(buf, ended) {
  for (;;) {
    const end = buf.indexOf("\r\n\r\n");
    if (end < 0) return null;
    const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let at = end + 4;
    if (status >= 100 && status < 200) {
      buf = buf.subarray(at);
      continue;
    }
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const parts = [];
      for (;;) {
        const lineEnd = buf.indexOf("\r\n", at);
        if (lineEnd < 0) return null;
        const size = parseInt(buf.subarray(at, lineEnd).toString("latin1"), 16);
        if (size === 0) {
          // The last chunk, then trailers (usually none) up to an empty line.
          if (buf.length < lineEnd + 4) return null;
          if (buf[lineEnd + 2] === 13 && buf[lineEnd + 3] === 10) at = lineEnd + 4;
          else {
            const trailerEnd = buf.indexOf("\r\n\r\n", lineEnd + 2);
            if (trailerEnd < 0) return null;
            at = trailerEnd + 4;
          }
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) return null;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      return { answer: { status, headers, body: Buffer.concat(parts) }, rest: buf.subarray(at) };
    }
    if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (buf.length < at + length) return null;
      return { answer: { status, headers, body: buf.subarray(at, at + length) }, rest: buf.subarray(at + length) };
    }
    if (!ended) return null;
    return { answer: { status, headers, body: buf.subarray(at) }, rest: Buffer.alloc(0) };
  }
}

/** A connection that reads answers in order and writes with backpressure. */
class Connection {
  constructor(port) {
    this.socket = connect({ host: "127.0.0.1", port });
    this.buf = Buffer.alloc(0);
    this.waiters = [];
    this.closed = false;
    this.error = null;
    this.socket.on("data", (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.pump();
    });
    this.socket.on("error", (error) => {
      this.error ??= error.code ?? String(error);
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.pump();
    });
  }

  pump() {
    while (this.waiters.length > 0) {
      const parsed = parseAnswer(this.buf, this.closed);
      if (parsed === null) {
        if (this.closed) for (const waiter of this.waiters.splice(0)) waiter(null);
        return;
      }
      this.buf = parsed.rest;
      this.waiters.shift()(parsed.answer);
    }
  }

  /** The next answer; null when the connection ended first, "timeout" when `ms` passed. */
  answer(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve("timeout");
      }, ms);
      const done = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      this.waiters.push(done);
      this.pump();
    });
  }

  /**
   * Writes `data`; false once the peer has refused it (closed or reset) or has not taken
   * it within the timeout (a server that stops reading must not hold the run).
   */
  write(data) {
    if (this.closed || this.socket.destroyed || this.error) return Promise.resolve(false);
    return new Promise((resolve) => {
      const ok = this.socket.write(data, (error) => {
        if (error) resolve(false);
      });
      if (ok) resolve(true);
      else {
        const done = (taken) => {
          clearTimeout(timer);
          this.socket.off("drain", drained);
          this.socket.off("close", drained);
          resolve(taken && !this.closed && !this.error);
        };
        const drained = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        this.socket.on("drain", drained);
        this.socket.on("close", drained);
      }
    });
  }

  close() {
    this.socket.destroy();
  }
}

const head = (port, method, path, headers) =>
  Buffer.from([`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...headers.map(([n, v]) => `${n}: ${v}`)].join("\r\n") + "\r\n\r\n", "latin1");

const FILLER = Buffer.alloc(256 * 1024, "x");

/** The body's parts, 256 KiB at a time, framed for `transfer`. */
function* bodyParts(size, transfer) {
  for (let at = 0; at < size; at += FILLER.length) {
    const piece = FILLER.subarray(0, Math.min(FILLER.length, size - at));
    if (transfer === "chunked") yield Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]);
    else yield piece;
  }
  if (transfer === "chunked") yield Buffer.from("0\r\n\r\n");
}

/** What an answer's body is: "mixpanel <code>", "empty", "json", or the start of its text. */
function shapeOf(body) {
  if (!body || body.length === 0) return "empty";
  const text = body.toString("utf8");
  try {
    const value = JSON.parse(text);
    if (value && "action" in value && value.status === "failure" && value.error && typeof value.error.message === "string") return `mixpanel ${value.error.code}`;
    return "json";
  } catch {
    return `text ${JSON.stringify(text.slice(0, 60))}`;
  }
}

/** An authenticated read on `conn` (a new connection unless given): `{ status, ms }`. */
async function readOnSocket(port, conn = null) {
  const own = conn === null;
  conn ??= new Connection(port);
  const started = performance.now();
  const ok = await conn.write(head(port, "GET", READ_PATH, [["Authorization", AUTH]]));
  const answer = ok ? await conn.answer(timeoutMs) : null;
  const ms = performance.now() - started;
  if (own) conn.close();
  return { status: answer === "timeout" ? "timeout" : answer?.status ?? "closed", ms };
}

/** One case over a raw socket, then the next request (on the same connection when it is open). */
async function runSocketCase(port, c) {
  const conn = new Connection(port);
  const headers = [["Content-Type", "application/json"]];
  if (CREDENTIALS[c.auth]) headers.push(["Authorization", CREDENTIALS[c.auth]]);
  headers.push(c.transfer === "chunked" ? ["Transfer-Encoding", "chunked"] : ["Content-Length", String(c.size)]);
  if (c.connection === "close") headers.push(["Connection", "close"]);
  const started = performance.now();
  const answered = conn.answer(timeoutMs).then((answer) => ({ answer, ms: performance.now() - started }));
  let sent = 0;
  let whole = await conn.write(head(port, "POST", "/webhook", headers));
  // The whole body goes out, as an ordinary client sends it, unless the server stops it.
  if (whole) {
    for (const part of bodyParts(c.size, c.transfer)) {
      if (!(await conn.write(part))) {
        whole = false;
        break;
      }
      sent += part.length;
    }
  }
  const { answer, ms } = await answered;
  const result = {
    status: answer === "timeout" ? "timeout" : answer?.status ?? "closed",
    shape: answer && answer !== "timeout" ? shapeOf(answer.body) : "-",
    ms,
    sent: whole ? "all" : `${(sent / MiB).toFixed(1)} MiB`,
  };
  // Give a server that closes after its answer the moment it needs to, then ask again.
  await new Promise((r) => setTimeout(r, 20));
  if (c.connection === "keep-alive" && !conn.closed && answer && answer !== "timeout" && answer.headers.connection?.toLowerCase() !== "close") {
    result.sameConn = await readOnSocket(port, conn);
  }
  conn.close();
  result.newConn = await readOnSocket(port);
  return result;
}

/** One case with fetch (undici's pool, as most clients), then the next request with fetch. */
async function runFetchCase(origin, c) {
  const headers = { "content-type": "application/json" };
  if (CREDENTIALS[c.auth]) headers.authorization = CREDENTIALS[c.auth];
  const init = { method: "POST", headers, signal: AbortSignal.timeout(timeoutMs) };
  if (c.transfer === "length") init.body = Buffer.alloc(c.size, "x");
  else {
    const parts = bodyParts(c.size, "length");
    init.body = new ReadableStream({
      pull(controller) {
        const { value, done } = parts.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value));
      },
    });
    init.duplex = "half";
  }
  const started = performance.now();
  const result = {};
  try {
    const response = await fetch(`${origin}/webhook`, init);
    const body = Buffer.from(await response.arrayBuffer());
    Object.assign(result, { status: response.status, shape: shapeOf(body), ms: performance.now() - started, sent: "-" });
  } catch (error) {
    Object.assign(result, { status: error.name === "TimeoutError" ? "timeout" : `error ${error.cause?.code ?? error.cause?.message ?? error.message}`, shape: "-", ms: performance.now() - started, sent: "-" });
  }
  const readStarted = performance.now();
  try {
    const r = await fetch(`${origin}${READ_PATH}`, { headers: { authorization: AUTH }, signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    result.sameConn = { status: r.status, ms: performance.now() - readStarted };
  } catch (error) {
    result.sameConn = { status: error.name === "TimeoutError" ? "timeout" : `error ${error.cause?.code ?? error.message}`, ms: performance.now() - readStarted };
  }
  return result;
}

/** What is wrong with a case's result, or null. */
function verdict(c, r) {
  const wrong = [];
  if (r.status !== c.status) wrong.push(`status ${r.status}, not ${c.status}`);
  if (r.shape !== `mixpanel ${c.status}`) wrong.push(`body ${r.shape}`);
  for (const [which, next] of [["same connection", r.sameConn], ["new connection", r.newConn]]) {
    if (!next) continue;
    if (next.status !== 200) wrong.push(`next read (${which}) ${next.status}`);
    if (next.ms > NEXT_LIMIT_MS) wrong.push(`next read (${which}) took ${Math.round(next.ms)} ms`);
  }
  return wrong.length > 0 ? wrong.join("; ") : null;
}

// ---- wrangler dev --------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `wrangler dev` for worker/ on a free port, with the script's credentials and its own storage. */
async function startWrangler() {
  const [port, inspector] = [await freePort(), await freePort()];
  const persist = mkdtempSync(join(tmpdir(), "cohort-sync-hostile-wrangler-"));
  const child = spawn(
    process.execPath,
    [
      join(root, "node_modules/wrangler/bin/wrangler.js"), "dev", "-c", "worker/wrangler.toml", "--ip", "127.0.0.1", "--port", String(port),
      "--inspector-port", String(inspector), "--persist-to", persist, "--show-interactive-dev-session=false",
      "--var", `WEBHOOK_USERNAME:${args.user}`, "--var", `WEBHOOK_PASSWORD:${args.password}`,
    ],
    {
      cwd: root,
      // No metrics, no update check (the banner's), and no fetch of the Request.cf object
      // from workers.cloudflare.com: the run talks to 127.0.0.1 only.
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  const keep = (chunk) => {
    log = (log + chunk).slice(-200_000);
    if (args.verbose) process.stderr.write(chunk.toString().replace(/^(?=.)/gm, "[wrangler] "));
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = null;
  child.on("exit", (code) => (exited = code));
  const origin = `http://127.0.0.1:${port}`;
  const until = Date.now() + 120_000;
  for (;;) {
    if (exited !== null) throw new Error(`wrangler dev exited (${exited}):\n${log.slice(-3000)}`);
    if (Date.now() > until) throw new Error(`wrangler dev did not answer on ${origin} within 2 minutes:\n${log.slice(-3000)}`);
    try {
      const r = await fetch(`${origin}/cohorts/none`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 401) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    origin,
    port,
    persist,
    log: () => log,
    async stop() {
      if (exited === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (exited === null) child.kill("SIGKILL");
      }
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/**
 * npm test's hostile-HTTP suite (tests/js/hostile/wrangler-dev.mjs: every row of
 * cases.mjs, with its checks of the answer, its time, the store's files and the next
 * request) against the Worker under `wrangler dev`; resolves to the runner's exit code.
 */
async function runSuite() {
  const server = await startWrangler();
  try {
    const child = spawn(process.execPath, ["--test", "--test-reporter=spec", join(root, "tests/js/hostile/wrangler-dev.mjs")], {
      cwd: root,
      env: { ...process.env, HOSTILE_ORIGIN: server.origin, HOSTILE_PERSIST: server.persist },
      stdio: "inherit",
    });
    return await new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  } finally {
    await server.stop();
  }
}

// ---- the run -------------------------------------------------------------------------

const fmt = (ms) => (typeof ms === "number" ? `${Math.round(ms)} ms` : "-");
const nextText = (n) => (n ? `${n.status} in ${fmt(n.ms)}` : "-");

if (args.suite) process.exit(await runSuite());

const server = args.origin ? { origin: args.origin, port: Number(new URL(args.origin).port), stop: async () => {}, log: () => "" } : await startWrangler();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(130);
  });
}
let failures = 0;
const table = new Map();
try {
  const seeded = await fetch(`${server.origin}/webhook`, { method: "POST", headers: { authorization: AUTH, "content-type": "application/json" }, body: seedPage, signal: AbortSignal.timeout(timeoutMs) });
  if (seeded.status !== 200) throw new Error(`the seed page got ${seeded.status}: ${await seeded.text()}`);
  const check = await readOnSocket(server.port);
  if (check.status !== 200) throw new Error(`the read after the seed page got ${check.status}`);
  const cases = CASES.filter((c) => !args.only || c.name.includes(args.only));
  console.log(`hostile-wrangler: ${cases.length} cases × ${rounds} rounds against ${server.origin}${args.origin ? "" : " (wrangler dev)"}; next read: GET ${READ_PATH}`);
  for (let round = 1; round <= rounds; round++) {
    for (const c of cases) {
      const r = c.via === "socket" ? await runSocketCase(server.port, c) : await runFetchCase(server.origin, c);
      const wrong = verdict(c, r);
      if (wrong) failures++;
      if (!table.has(c.name)) table.set(c.name, []);
      table.get(c.name).push({ ...r, wrong });
      console.log(
        `${wrong ? "FAIL" : "ok  "} r${round} ${c.name.padEnd(52)} ${String(r.status).padEnd(5)} ${r.shape.padEnd(13)} answer ${fmt(r.ms).padStart(8)}  sent ${r.sent.padEnd(8)} ` +
          `next: same conn ${nextText(r.sameConn)}, new conn ${nextText(r.newConn)}${wrong ? `  <- ${wrong}` : ""}`,
      );
    }
  }
} catch (error) {
  console.error(`hostile-wrangler: ${error.stack ?? error}\n${server.log().slice(-3000)}`);
  failures++;
} finally {
  await server.stop();
}

// Per case over the rounds: the slowest answer and the slowest next read.
const worst = (values) => (values.length ? Math.max(...values) : null);
console.log("\nper case, over the rounds: statuses; slowest answer; slowest next read");
for (const [name, results] of table) {
  const statuses = [...new Set(results.map((r) => `${r.status} ${r.shape}`))].join(" | ");
  const next = worst(results.flatMap((r) => [r.sameConn?.ms, r.newConn?.ms].filter((ms) => typeof ms === "number")));
  console.log(`${results.some((r) => r.wrong) ? "FAIL" : "ok  "} ${name.padEnd(52)} ${statuses.padEnd(30)} answer ≤ ${fmt(worst(results.map((r) => r.ms))).padStart(8)}  next ≤ ${fmt(next).padStart(8)}`);
}
console.log(`\nhostile-wrangler: ${failures === 0 ? "OK" : `${failures} failing case runs`}`);
process.exit(failures === 0 ? 0 : 1);
