// The receiver behind Node's http server, or as Express-style middleware: a Node request
// becomes a Web-standard Request (its body streamed, not buffered here: the routes read
// it with their own ceiling) and the Response is written back, streamed too.
import { isReceiverPath, refuseMethod } from "./routes.js";

/** The methods the Fetch standard forbids: `new Request` throws on them, so they are answered without one. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** A Host header's syntax (RFC 3986 host, then an optional port): nothing that could add a path, query or userinfo to the URL. */
const HOST_FIELD = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

/**
 * Answers up to this size are sent whole, with a Content-Length, when the request body is
 * still arriving (the refusals: 401, 413, 404…); a longer one (members.ndjson) is streamed.
 */
const WHOLE_ANSWER_BYTES = 64 * 1024;

/**
 * How long the rest of a request body the answer did not need is read into nothing
 * before the connection is cut: in all, and without a byte arriving. An endless or
 * stalled body cannot hold the socket longer.
 */
const LINGER_MS = 20_000;
const LINGER_IDLE_MS = 5_000;

/**
 * `(req, res, next?)` for `http.createServer` or `app.use(…)`. With `next`, requests
 * outside the receiver's routes go on to it. Mount it before any body parser: the
 * webhook reads the body as sent (a parsed body is gone; a raw Buffer body is used).
 */
export function toNodeListener(receiver) {
  return async (req, res, next) => {
    const passOn = typeof next === "function";
    let drop = () => req.resume();
    try {
      if (passOn && !isReceiverPath(pathOf(req.url) ?? "")) return next();
      const body = bodyOf(req);
      drop = body.drop;
      const response = await answer(receiver, req, body.stream);
      await writeResponse(response, req, res, drop);
    } catch (error) {
      if (passOn) return next(error);
      console.error("cohort-sync: answering a request failed", error?.stack ?? error);
      await writeFailure(req, res, drop);
    }
  };
}

/** The receiver's answer; the host's own when the request cannot become a Request. */
async function answer(receiver, req, stream) {
  const url = urlOf(req);
  if (url instanceof Response) return url;
  if (FORBIDDEN_METHODS.has(req.method.toUpperCase())) return refuseMethod(req.method, url.href);
  return receiver.fetch(toRequest(req, url, stream));
}

/**
 * The request's URL, or a 400 answer. A path (origin-form) is on the origin the Host
 * header names, or on localhost without one; an absolute URL (absolute-form) is taken as
 * sent and its Host ignored (RFC 9112, section 3.2). A malformed or repeated Host is
 * refused, as that section asks: the routes only use the path, but never guess a URL.
 */
function urlOf(req) {
  const target = req.url ?? "";
  if (!target.startsWith("/")) {
    return absoluteUrl(target) ?? badRequest("the request-target is neither a path nor an absolute http(s) URL");
  }
  const hosts = headerValues(req, "host");
  if (hosts.length > 1) return badRequest("bad Host header: more than one");
  const host = hosts[0] || "localhost";
  // Built by concatenation, so that a target such as `//other/webhook` stays a path.
  const url = HOST_FIELD.test(host) ? parseUrl(`http://${host}${target}`) : null;
  return url ?? badRequest("bad Host header: expected host[:port]");
}

/** The path a request-target names, or null (`*`, or not a URL). */
function pathOf(target = "") {
  return (target.startsWith("/") ? parseUrl(`http://localhost${target}`) : absoluteUrl(target))?.pathname ?? null;
}

/** An absolute http(s) request-target as a URL without credentials (a Request refuses them), or null. */
function absoluteUrl(target) {
  const url = parseUrl(target);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) return null;
  url.username = "";
  url.password = "";
  return url;
}

function parseUrl(text) {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function badRequest(message) {
  return new Response(JSON.stringify({ error: { message, code: 400 } }), { status: 400, headers: { "content-type": "application/json" } });
}

/** Every value of header `name` as sent, one per line of the request. */
function headerValues(req, name) {
  if (!req.rawHeaders) return [].concat(req.headers[name] ?? []);
  const values = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === name) values.push(req.rawHeaders[i + 1]);
  }
  return values;
}

function toRequest(req, url, stream) {
  const init = { method: req.method, headers: headersOf(req) };
  if (Buffer.isBuffer(req.body)) init.body = req.body;
  else if (stream !== null) {
    init.body = stream;
    init.duplex = "half";
  }
  return new Request(url, init);
}

/**
 * The request's headers, every line of them: Node's `req.headers` keeps only the first
 * of some repeated headers (Authorization among them), where the Worker joins them with
 * ", " (a repeated Authorization is then refused as malformed, here as there).
 */
function headersOf(req) {
  const headers = new Headers();
  if (req.rawHeaders) {
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    return headers;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of [].concat(value)) headers.append(name, one);
  }
  return headers;
}

/**
 * The request body: `stream` for the Request (null when there is none to stream), and
 * `drop()`, which reads the rest into nothing (as cancelling the stream does) rather
 * than destroying the socket, so that the answer still reaches the client.
 */
function bodyOf(req) {
  let dropped = false;
  const drop = () => {
    dropped = true;
    req.resume();
  };
  const hasStream = req.method !== "GET" && req.method !== "HEAD" && !Buffer.isBuffer(req.body) && !req.readableEnded;
  if (!hasStream) return { stream: null, drop };
  const stream = new ReadableStream({
    start(controller) {
      req.on("data", (chunk) => {
        if (dropped) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (controller.desiredSize <= 0) req.pause();
      });
      req.on("end", () => {
        if (!dropped) controller.close();
      });
      req.on("error", (error) => {
        if (!dropped) controller.error(error);
      });
    },
    pull() {
      req.resume();
    },
    cancel: drop,
  }, { highWaterMark: 4 });
  return { stream, drop };
}

/**
 * Writes `response` to `res`. When the answer is ready before the request body has all
 * arrived (a refusal that did not read it), Node would end the answer and, on a
 * `Connection: close` request, close the socket with the client still sending: the
 * unread bytes make the kernel reset the connection, and the reset throws away the
 * answer the client has not read yet. So then the answer goes out at once, whole and
 * with a Content-Length (the client can read it before it has finished sending), the
 * rest of the body is read into nothing (`drop()`), and the answer ends (letting Node
 * close the socket) only once the body has ended: a lingering close, bounded by
 * LINGER_MS.
 */
async function writeResponse(response, req, res, drop) {
  const lingering = !(req.complete || req.readableEnded);
  let drained = null;
  if (lingering) {
    drop();
    drained = requestDrained(req);
  }
  const reader = response.body?.getReader() ?? null;
  const first = lingering ? await readUpTo(reader, WHOLE_ANSWER_BYTES) : { chunks: [], done: reader === null };
  const headers = {};
  for (const [name, value] of response.headers) headers[name] = value;
  if (lingering && first.done && mayHaveContent(response.status)) headers["content-length"] = String(byteLength(first.chunks));
  res.writeHead(response.status, headers);
  for (const chunk of first.chunks) res.write(chunk);
  if (!first.done) await streamTo(reader, res);
  if (lingering && !(await drained)) return void res.destroy();
  res.end();
}

/** A 500 for a failure before the answer began; a cut connection after (an ended answer would pass for complete). */
async function writeFailure(req, res, drop) {
  if (res.headersSent) return void res.destroy();
  try {
    await writeResponse(new Response(null, { status: 500, headers: { "content-type": "text/plain" } }), req, res, drop);
  } catch {
    res.destroy();
  }
}

/** 1xx, 204 and 304 answers have no content, and so no Content-Length (RFC 9110, section 8.6). */
const mayHaveContent = (status) => status >= 200 && status !== 204 && status !== 304;

const byteLength = (chunks) => chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);

/** The first chunks of a body, up to about `limit` bytes, and whether that was all of it. */
async function readUpTo(reader, limit) {
  const chunks = [];
  if (reader === null) return { chunks, done: true };
  let length = 0;
  while (length <= limit) {
    const { done, value } = await reader.read();
    if (done) return { chunks, done: true };
    chunks.push(value);
    length += value.byteLength;
  }
  return { chunks, done: false };
}

/**
 * Resolves true once the request has ended (read into nothing by `drop()`); false when
 * the client goes away, or its body runs on past LINGER_MS, or stalls for LINGER_IDLE_MS.
 */
function requestDrained(req) {
  return new Promise((resolve) => {
    const finish = (ended) => {
      clearTimeout(limit);
      clearTimeout(idle);
      req.off("data", refreshIdle);
      req.off("end", onEnd);
      req.off("close", onClose);
      resolve(ended);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.complete);
    const refreshIdle = () => idle.refresh();
    const limit = setTimeout(() => finish(false), LINGER_MS);
    const idle = setTimeout(() => finish(false), LINGER_IDLE_MS);
    req.on("data", refreshIdle);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}

/** Streams the rest of a body to `res`; a client that goes away stops the stream (the members' NDJSON reads as it is sent). */
async function streamTo(reader, res) {
  let gone = res.destroyed;
  res.on("close", () => {
    gone = true;
    reader.cancel().catch(() => {});
  });
  for (;;) {
    if (gone) return;
    const { done, value } = await reader.read();
    if (done || gone) return;
    if (!res.write(value)) await drainedOrClosed(res);
  }
}

/** Resolves when `res` can take more, or is gone; leaves no listener behind (a 10M-member stream waits thousands of times). */
function drainedOrClosed(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
