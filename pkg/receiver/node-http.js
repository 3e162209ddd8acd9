// The receiver behind Node's http server, or as Express-style middleware: a Node request
// becomes a Web-standard Request (its body streamed, not buffered here: the routes read
// it with their own ceiling) and the Response is written back, streamed too.
import { isReceiverPath } from "./routes.js";

/**
 * `(req, res, next?)` for `http.createServer` or `app.use(…)`. With `next`, requests
 * outside the receiver's routes go on to it. Mount it before any body parser: the
 * webhook reads the body as sent (a parsed body is gone; a raw Buffer body is used).
 */
export function toNodeListener(receiver) {
  return async (req, res, next) => {
    try {
      const url = new URL(req.url, `http://${req.headers.host || "localhost"}`);
      if (typeof next === "function" && !isReceiverPath(url.pathname)) return next();
      const response = await receiver.fetch(toRequest(req, url));
      await writeResponse(response, res);
    } catch (error) {
      if (typeof next === "function") return next(error);
      console.error("cohort-sync: answering a request failed", error?.stack ?? error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end();
    }
  };
}

function toRequest(req, url) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of [].concat(value)) headers.append(name, one);
  }
  const init = { method: req.method, headers };
  if (req.method !== "GET" && req.method !== "HEAD") {
    if (Buffer.isBuffer(req.body)) init.body = req.body;
    else if (!req.readableEnded) {
      init.body = bodyStream(req);
      init.duplex = "half";
    }
  }
  return new Request(url, init);
}

/**
 * The request body as a ReadableStream. Cancelling it (a refused or oversized body)
 * reads the rest into nothing instead of destroying the socket, so the answer still
 * reaches the client.
 */
function bodyStream(req) {
  let cancelled = false;
  return new ReadableStream({
    start(controller) {
      req.on("data", (chunk) => {
        if (cancelled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (controller.desiredSize <= 0) req.pause();
      });
      req.on("end", () => {
        if (!cancelled) controller.close();
      });
      req.on("error", (error) => {
        if (!cancelled) controller.error(error);
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      cancelled = true;
      req.resume();
    },
  }, { highWaterMark: 4 });
}

async function writeResponse(response, res) {
  const headers = {};
  for (const [name, value] of response.headers) headers[name] = value;
  res.writeHead(response.status, headers);
  if (response.body === null) return void res.end();
  const reader = response.body.getReader();
  // A client that goes away stops the stream (the members' NDJSON reads as it is sent).
  let gone = false;
  res.on("close", () => {
    gone = true;
    reader.cancel().catch(() => {});
  });
  for (;;) {
    const { done, value } = await reader.read();
    if (done || gone) break;
    if (!res.write(value)) await drainedOrClosed(res);
  }
  res.end();
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
