// HTTP/1.1 over a bare TCP socket, for the cases where framing is the point: duplicate
// headers, a bad Host, TRACE, bodies sent in full after the server has answered,
// chunked bodies with bad sizes, connections that stall. fetch would normalise or refuse
// all of these before a byte left the machine.
import { connect } from "node:net";

const CRLF = "\r\n";

/**
 * The bytes of a request head: `method path HTTP/1.1`, then `headers` in the given order
 * (an array of [name, value] pairs, so a header may repeat). `Host` is added first
 * unless the pairs carry one (or `host: false`).
 */
export function head(origin, method, path, headers = [], { host = true } = {}) {
  const { host: hostPort } = new URL(origin);
  const lines = [`${method} ${path} HTTP/1.1`];
  if (host && !headers.some(([name]) => name.toLowerCase() === "host")) lines.push(`Host: ${hostPort}`);
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return Buffer.from(lines.join(CRLF) + CRLF + CRLF, "latin1");
}

/** `body` as chunked transfer coding, `size` bytes a chunk, with the last chunk and trailer. */
export function chunked(body, size = 64 * 1024) {
  const parts = [];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}${CRLF}`), piece, Buffer.from(CRLF));
  }
  parts.push(Buffer.from(`0${CRLF}${CRLF}`));
  return parts;
}

/**
 * Writes `parts` (Buffers or strings, in order, waiting for the socket to drain) on a new
 * connection to `origin` and reads one answer. Resolves, never rejects, to
 * `{ status, headers, body, text, json, ms, closed, timedOut, writeError, sentAll }`:
 * `status` null when no complete answer came; `ms` the time to the complete answer (or
 * to the end, without one); `headers` lower-cased names to arrays of values. Writing
 * goes on after the answer has come (a body "sent in full"); a write the peer refuses
 * (EPIPE, ECONNRESET) stops the writing and is recorded, and what was read before it
 * still counts. `timeoutMs` bounds the whole exchange.
 */
export function exchange(origin, parts, { timeoutMs = 5000 } = {}) {
  const { hostname, port } = new URL(origin);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = Buffer.alloc(0);
    let answer = null;
    let answeredMs = null;
    let writing = true;
    let writeError = null;
    let sentAll = false;
    let closed = false;
    let settled = false;
    const finish = (timedOut = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (answer === null) answer = parseAnswer(received, true);
      socket.destroy();
      const ms = answeredMs ?? performance.now() - started;
      resolve({ ...(answer ?? { status: null, headers: {}, body: received, text: received.toString("latin1"), json: undefined }), ms, closed, timedOut, writeError, sentAll });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    const maybeDone = () => {
      if (answer !== null && !writing) finish();
    };
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (answer === null) {
        answer = parseAnswer(received, false);
        if (answer !== null) answeredMs = performance.now() - started;
      }
      maybeDone();
    });
    socket.on("error", (error) => {
      writeError ??= error.code ?? String(error);
      writing = false;
    });
    socket.on("close", () => {
      closed = true;
      writing = false;
      finish();
    });
    socket.on("connect", async () => {
      try {
        for (const part of parts) {
          if (!writing || socket.destroyed) break;
          if (!socket.write(part)) {
            await new Promise((ok) => {
              const done = () => {
                socket.off("drain", done);
                socket.off("close", done);
                ok();
              };
              socket.on("drain", done);
              socket.on("close", done);
            });
          }
        }
        sentAll = writing && !socket.destroyed;
      } catch (error) {
        writeError ??= error.code ?? String(error);
      }
      writing = false;
      maybeDone();
    });
  });
}

/**
 * Opens `n` connections that each send `bytes` (a request head announcing a body) and
 * then nothing. Resolves once all are connected and written; `close()` ends them.
 */
export async function stall(origin, n, bytes) {
  const { hostname, port } = new URL(origin);
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes, () => resolve(socket)));
      socket.on("error", () => resolve(socket));
    })),
  );
  return { sockets, close: () => sockets.forEach((socket) => socket.destroy()) };
}

/**
 * The first final answer in `buffer`, or null while it is incomplete (`atEnd`: the
 * connection is over, so a body without a length ends here). 1xx answers are skipped.
 */
function parseAnswer(buffer, atEnd) {
  let at = 0;
  for (;;) {
    const end = buffer.indexOf("\r\n\r\n", at);
    if (end < 0) return null;
    const lines = buffer.subarray(at, end).toString("latin1").split(CRLF);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!status) return null;
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    const code = Number(status[1]);
    const bodyAt = end + 4;
    if (code >= 100 && code < 200) {
      at = bodyAt;
      continue;
    }
    let body;
    if (/chunked/i.test(headers["transfer-encoding"]?.join(",") ?? "")) {
      body = unchunk(buffer.subarray(bodyAt));
      if (body === null) return atEnd ? shaped(code, headers, buffer.subarray(bodyAt)) : null;
    } else if (headers["content-length"]) {
      const length = Number(headers["content-length"][0]);
      if (buffer.length - bodyAt < length) return atEnd ? shaped(code, headers, buffer.subarray(bodyAt)) : null;
      body = buffer.subarray(bodyAt, bodyAt + length);
    } else if (code === 204 || code === 304) {
      body = Buffer.alloc(0);
    } else {
      if (!atEnd) return null;
      body = buffer.subarray(bodyAt);
    }
    return shaped(code, headers, body);
  }
}

function shaped(status, headers, body) {
  const text = body.toString("utf8");
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, body, text, json };
}

/** A chunked body decoded, or null while its last chunk has not come. */
function unchunk(buffer) {
  const parts = [];
  let at = 0;
  for (;;) {
    const line = buffer.indexOf(CRLF, at);
    if (line < 0) return null;
    const size = parseInt(buffer.subarray(at, line).toString("latin1").split(";")[0], 16);
    if (!Number.isFinite(size)) return null;
    const start = line + 2;
    if (size === 0) return Buffer.concat(parts);
    if (buffer.length < start + size + 2) return null;
    parts.push(buffer.subarray(start, start + size));
    at = start + size + 2;
  }
}
