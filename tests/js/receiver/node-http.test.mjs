// The Node host's HTTP edge (node-http.js) against hostile input, on a real server on
// 127.0.0.1 spoken to over raw sockets where the framing matters: methods a Request
// cannot carry, malformed Host headers and request-targets, repeated headers, and
// refusals answered while the client is still sending its body (a lingering close).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { planSync } from "cohort-sync";
import { createReceiver } from "cohort-sync/receiver";

const T = { timeout: 60_000 };
const MiB = 1024 * 1024;
const USER = "mixpanel";
const PASSWORD = "s3cret";
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const AUTH = basic(USER, PASSWORD);
const WRONG = basic(USER, "nope");

const tmp = mkdtempSync(join(tmpdir(), "cohort-sync-node-http-"));
let receiver;
let server;
let port;
const print = console.log;

before(async () => {
  // The receiver's event lines ({"event":…}) are left out of the test output.
  console.log = (...args) => {
    if (!(args.length === 1 && typeof args[0] === "string" && args[0].startsWith('{"event":'))) print(...args);
  };
  receiver = createReceiver({
    db: join(tmp, "cohorts.db"),
    settings: { WEBHOOK_USERNAME: USER, WEBHOOK_PASSWORD: PASSWORD, MAX_BODY_BYTES: String(10 * MiB) },
  });
  await receiver.ready();
  server = createServer(receiver.nodeHandler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = server.address().port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await receiver.close();
  rmSync(tmp, { recursive: true, force: true });
  console.log = print;
});

/** Rejects when `promise` takes longer than `ms`. */
function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * A raw connection to the server: `send(bytes)`, `response()` (the next HTTP/1.1
 * response, parsed once all of it has arrived) and `closed` ("end" for the server's
 * FIN, "error ECONNRESET" or the like for a reset).
 */
function connection({ paused = false } = {}) {
  const socket = connect(port, "127.0.0.1");
  if (paused) socket.pause();
  let received = Buffer.alloc(0);
  let wake = () => {};
  let ending = null;
  socket.on("data", (data) => {
    received = Buffer.concat([received, data]);
    wake();
  });
  socket.on("end", () => (ending ??= "end"));
  socket.on("error", (error) => (ending ??= `error ${error.code}`));
  const closed = new Promise((resolve) => socket.on("close", () => {
    wake();
    resolve(ending ?? "close");
  }));
  return {
    socket,
    closed,
    send: (bytes) => new Promise((resolve) => socket.write(bytes, () => resolve())),
    async response() {
      for (;;) {
        const parsed = parseResponse(received);
        if (parsed !== null) {
          received = parsed.rest;
          return parsed.response;
        }
        if (socket.destroyed) throw new Error(`the connection closed (${ending ?? "close"}) before a whole answer; got ${JSON.stringify(received.toString("latin1").slice(0, 200))}`);
        await new Promise((resolve) => (wake = resolve));
      }
    },
  };
}

/** The first HTTP/1.1 response in `bytes` (Content-Length or chunked), or null until all of it is there. */
function parseResponse(bytes) {
  const headEnd = bytes.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const [statusLine, ...lines] = bytes.subarray(0, headEnd).toString("latin1").split("\r\n");
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(" ")[1]);
  let at = headEnd + 4;
  const done = (body) => ({ response: { status, headers, body: body.toString() }, rest: bytes.subarray(at) });
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    if (bytes.length < at + length) return null;
    at += length;
    return done(bytes.subarray(at - length, at));
  }
  if (!/chunked/i.test(headers["transfer-encoding"] ?? "")) return done(Buffer.alloc(0));
  const parts = [];
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) return null;
    const size = parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (bytes.length < lineEnd + 2 + size + 2) return null;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
    if (size === 0) return done(Buffer.concat(parts));
  }
}

/** Sends `head` (and `body`) on a fresh connection and resolves with the answer. */
async function exchange(head, body = "") {
  const c = connection();
  try {
    await c.send(Buffer.concat([Buffer.from(head.replaceAll("\n", "\r\n")), Buffer.from(body)]));
    return await within(5_000, c.response(), "answer");
  } finally {
    c.socket.destroy();
  }
}

const errorOf = (response) => JSON.parse(response.body).error;

/** A cohort page the webhook takes. */
const page = (cohortId, ids) => planSync(null, ids, { projectId: "1", cohortId, cohortName: cohortId, sessionId: `${cohortId}-s1`, batchSize: ids.length })[0];

test("TRACE, which a Request cannot carry, is answered 405 with Allow on a route and 404 elsewhere", T, async () => {
  const expected = { "/webhook": "POST", "/cohorts": "GET", "/cohorts/c1": "GET, DELETE", "/cohorts/c1/members": "GET" };
  for (const [path, allow] of Object.entries(expected)) {
    const r = await exchange(`TRACE ${path} HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n`);
    assert.equal(r.status, 405, `TRACE ${path}: ${r.body}`);
    assert.equal(r.headers.allow, allow);
    assert.equal(errorOf(r).code, 405);
  }
  const nowhere = await exchange("TRACE /nowhere HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n");
  assert.equal(nowhere.status, 404, nowhere.body);
  assert.equal(errorOf(nowhere).code, 404);
});

test("a malformed or repeated Host header is answered 400 in JSON, never 500", T, async () => {
  for (const host of ["[", "a:99999", "%", "a/b", "user@a", "a b"]) {
    const r = await exchange(`POST /webhook HTTP/1.1\nHost: ${host}\nAuthorization: ${AUTH}\nContent-Length: 2\nConnection: close\n\n{}`);
    assert.equal(r.status, 400, `Host: ${host}: ${r.body}`);
    assert.equal(r.headers["content-type"], "application/json");
    assert.match(errorOf(r).message, /bad Host header/);
    assert.equal(errorOf(r).code, 400);
  }
  const two = await exchange(`GET /cohorts HTTP/1.1\nHost: 127.0.0.1\nHost: example.test\nAuthorization: ${AUTH}\nConnection: close\n\n`);
  assert.equal(two.status, 400, two.body);
  assert.match(errorOf(two).message, /bad Host header/);
  // Well-formed ones, with a port or as an IPv6 literal, are not the receiver's business.
  for (const host of ["example.test:8080", "[::1]:1", "xn--bcher-kva.example"]) {
    const r = await exchange(`GET /cohorts HTTP/1.1\nHost: ${host}\nAuthorization: ${AUTH}\nConnection: close\n\n`);
    assert.equal(r.status, 200, `Host: ${host}: ${r.body}`);
  }
});

test("a request-target that is not a path is answered by its URL's path, or 400; never 500", T, async () => {
  // Absolute-form: the URL's own host counts (and credentials in it are dropped), not Host.
  const absolute = await exchange(`GET http://user:pw@example.test/cohorts HTTP/1.1\nHost: [\nAuthorization: ${AUTH}\nConnection: close\n\n`);
  assert.equal(absolute.status, 200, absolute.body);
  const refused = await exchange("POST http://example.test/webhook HTTP/1.1\nHost: example.test\nContent-Length: 2\nConnection: close\n\n{}");
  assert.equal(refused.status, 401, refused.body);
  for (const target of ["*", "ftp://example.test/webhook"]) {
    const r = await exchange(`OPTIONS ${target} HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n`);
    assert.equal(r.status, 400, `${target}: ${r.body}`);
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(errorOf(r).code, 400);
  }
  // A path that starts with "//" stays a path (it names no host).
  const slashes = await exchange(`GET //example.test/cohorts HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${AUTH}\nConnection: close\n\n`);
  assert.equal(slashes.status, 404, slashes.body);
});

test("a repeated Authorization header is refused as malformed, as the Worker refuses it", T, async () => {
  const body = page("twice", ["a", "b"]);
  for (const [first, second] of [[AUTH, WRONG], [AUTH, AUTH], [WRONG, AUTH]]) {
    const r = await exchange(`POST /webhook HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${first}\nAuthorization: ${second}\nContent-Type: application/json\nContent-Length: ${Buffer.byteLength(body)}\nConnection: close\n\n`, body);
    assert.equal(r.status, 401, r.body);
    assert.match(errorOf(r).message, /malformed Authorization header/);
  }
  const read = await exchange(`GET /cohorts HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${AUTH}\nAuthorization: ${WRONG}\nConnection: close\n\n`);
  assert.equal(read.status, 401, read.body);
  // Other repeated headers are joined too, and the webhook does not mind them.
  const joined = await exchange(`POST /webhook HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${AUTH}\nContent-Type: application/json\nContent-Type: application/json\nX-Extra: 1\nX-Extra: 2\nContent-Length: ${Buffer.byteLength(body)}\nConnection: close\n\n`, body);
  assert.equal(joined.status, 200, joined.body);
  // Two Content-Lengths never reach the receiver: Node's parser refuses them.
  const lengths = await exchange(`POST /webhook HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${AUTH}\nContent-Length: ${Buffer.byteLength(body)}\nContent-Length: ${Buffer.byteLength(body)}\nConnection: close\n\n`, body);
  assert.equal(lengths.status, 400);
});

/** The head of a POST whose body is `length` bytes (or chunked, without a length). */
const postHead = ({ path = "/webhook", auth, length, close }) =>
  Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth ? `Authorization: ${auth}\r\n` : ""}` +
      `${length === undefined ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`}\r\n${close ? "Connection: close\r\n" : ""}\r\n`,
  );
const chunk = (bytes) => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

test("a refusal reaches the client before it has finished sending, and the rest is read before the socket closes (Connection: close)", T, async () => {
  const body = Buffer.alloc(5 * MiB, 0x61);
  const c = connection();
  await c.send(Buffer.concat([postHead({ auth: WRONG, length: body.length, close: true }), body.subarray(0, 64 * 1024)]));
  const r = await within(5_000, c.response(), "401 while the body is still being sent");
  assert.equal(r.status, 401, r.body);
  assert.equal(r.headers["content-length"], String(Buffer.byteLength(r.body)));
  assert.match(errorOf(r).message, /wrong credentials/);
  await within(10_000, c.send(body.subarray(64 * 1024)), "rest of the body sent");
  assert.equal(await within(10_000, c.closed, "close"), "end");
});

test("a client that reads only once it has sent everything still gets the 401 and the 413 (Connection: close)", T, async () => {
  const cases = [
    { what: "5 MiB, wrong password", auth: WRONG, body: Buffer.alloc(5 * MiB, 0x61), status: 401 },
    { what: "10 MiB + 1, wrong password", auth: WRONG, body: Buffer.alloc(10 * MiB + 1, 0x61), status: 401 },
  ];
  for (const { what, auth, body, status } of cases) {
    const c = connection({ paused: true });
    await within(20_000, c.send(Buffer.concat([postHead({ auth, length: body.length, close: true }), body])), `${what}: body sent`);
    c.socket.resume();
    const r = await within(5_000, c.response(), `${what}: answer`);
    assert.equal(r.status, status, `${what}: ${r.body}`);
    assert.equal(await within(5_000, c.closed, "close"), "end", what);
  }
  // Chunked, over the limit, with the right credentials: 413 once the limit is passed.
  const c = connection({ paused: true });
  const parts = [postHead({ auth: AUTH, close: true })];
  for (let sent = 0; sent < 10 * MiB + 1; sent += 256 * 1024) parts.push(chunk(Buffer.alloc(Math.min(256 * 1024, 10 * MiB + 1 - sent), 0x61)));
  parts.push(LAST_CHUNK);
  await within(20_000, c.send(Buffer.concat(parts)), "chunked body sent");
  c.socket.resume();
  const r = await within(5_000, c.response(), "413");
  assert.equal(r.status, 413, r.body);
  assert.equal(await within(5_000, c.closed, "close"), "end");
});

test("on a keep-alive connection a refused body is read to its end and the next request is answered", T, async () => {
  const body = Buffer.alloc(5 * MiB, 0x61);
  const c = connection();
  try {
    for (const [path, auth, status] of [["/webhook", WRONG, 401], ["/nowhere", AUTH, 404], ["/cohorts", AUTH, 405]]) {
      await c.send(Buffer.concat([postHead({ path, auth, length: body.length }), body.subarray(0, 64 * 1024)]));
      const r = await within(5_000, c.response(), `${path}: answer while the body is still being sent`);
      assert.equal(r.status, status, `${path}: ${r.body}`);
      await within(10_000, c.send(body.subarray(64 * 1024)), `${path}: rest of the body sent`);
    }
    await c.send(`GET /cohorts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${AUTH}\r\n\r\n`);
    const next = await within(5_000, c.response(), "the next answer");
    assert.equal(next.status, 200, next.body);
  } finally {
    c.socket.destroy();
  }
});

test("a refused body that never ends, or stalls, holds the connection only for a bounded time", T, async () => {
  // Endless: 16 KiB every 10 ms on a keep-alive connection, for as long as it is open.
  const endless = connection();
  await endless.send(postHead({ auth: WRONG }));
  let sending = true;
  endless.closed.then(() => (sending = false));
  (async () => {
    const piece = chunk(Buffer.alloc(16 * 1024, 0x61));
    while (sending) {
      endless.socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const started = Date.now();
  const r = await within(5_000, endless.response(), "401 to an endless body");
  assert.equal(r.status, 401, r.body);
  await within(30_000, endless.closed, "the endless body cut off");
  sending = false;
  // Not the idle bound (bytes kept coming): the bound on lingering as a whole.
  assert.ok(Date.now() - started >= 10_000, `cut off after ${Date.now() - started} ms, while bytes kept coming`);

  // Stalled: a part of a declared body, then nothing.
  const stalled = connection();
  await stalled.send(Buffer.concat([postHead({ auth: WRONG, length: MiB, close: true }), Buffer.alloc(1000, 0x61)]));
  assert.equal((await within(5_000, stalled.response(), "401 to a stalled body")).status, 401);
  await within(10_000, stalled.closed, "the stalled connection closed");
});

test("a streamed answer (members.ndjson) is still sent chunked, as it is read", T, async () => {
  const ids = Array.from({ length: 50 }, (_, i) => `member-${i}`);
  const body = page("streamed", ids);
  const sync = await exchange(`POST /webhook HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${AUTH}\nContent-Length: ${Buffer.byteLength(body)}\nConnection: close\n\n`, body);
  assert.equal(sync.status, 200, sync.body);
  const members = await exchange(`GET /cohorts/streamed/members.ndjson HTTP/1.1\nHost: 127.0.0.1\nAuthorization: ${AUTH}\nConnection: close\n\n`);
  assert.equal(members.status, 200, members.body);
  assert.equal(members.headers["transfer-encoding"], "chunked");
  assert.equal(members.body.trim().split("\n").length, 50);
});
