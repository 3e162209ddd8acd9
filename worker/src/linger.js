// Answering a request whose body the routes did not read to the end (a refusal: 401, 413,
// 404, 405): the answer goes out at once, whole and with its length, and the response
// ends only once the rest of the body has been read into nothing. workerd closes a
// connection whose request body is left unread or cancelled as soon as the answer ends;
// with the client still sending, the kernel then resets the connection, and the reset
// throws away the answer if the client has not read it yet. Under `wrangler dev` the
// same reset reaches wrangler's proxy in front of the Worker, which turns it into a 503
// ("Your worker restarted mid-request") or an answer with its body cut off.
// docs/design-notes.md ("Refusing a body without reading it") has the measurements.

/** Answers up to this size are sent whole, with a Content-Length; a longer one is streamed. */
const WHOLE_ANSWER_BYTES = 64 * 1024;

/**
 * How long the rest of a body is read into nothing before the connection is cut: in all,
 * and without a byte arriving (the Node host's lingering close has the same bounds). An
 * endless or stalled body cannot hold the request longer.
 */
const LINGER_MS = 20_000;
const LINGER_IDLE_MS = 5_000;

/** Whether the routes left `request`'s body for the host: there is one and nothing holds it. */
export function bodyLeft(request) {
  return request.body !== null && !request.body.locked;
}

/** `response`, sent at once, kept open until the rest of `body` has been read (or the bounds passed). */
export async function answerWhileDraining(body, response, ctx) {
  // The first read starts now, before the answer is returned: the body counts as used from
  // here on, so wrangler dev's middleware that drains unused bodies before letting the
  // answer out leaves this one alone.
  const drained = drain(body.getReader());
  ctx.waitUntil(drained);
  if (response.body === null) return response;
  const reader = response.body.getReader();
  const first = [];
  let length = 0;
  let whole = false;
  while (length <= WHOLE_ANSWER_BYTES) {
    const { done, value } = await reader.read();
    if (done) {
      whole = true;
      break;
    }
    first.push(value);
    length += value.byteLength;
  }
  // A known length tells the client the answer is complete while the response is still open.
  const { readable, writable } = whole ? new FixedLengthStream(length) : new IdentityTransformStream();
  const writer = writable.getWriter();
  ctx.waitUntil(
    (async () => {
      try {
        for (const chunk of first) await writer.write(chunk);
        for (let next = whole ? { done: true } : await reader.read(); !next.done; next = await reader.read()) await writer.write(next.value);
        await drained;
        await writer.close();
      } catch (error) {
        await writer.abort(error).catch(() => {});
      }
    })(),
  );
  return new Response(readable, response);
}

/** Reads `reader` to its end into nothing; past the bounds, cancels it. Never rejects. */
async function drain(reader) {
  const started = Date.now();
  try {
    for (;;) {
      const left = LINGER_MS - (Date.now() - started);
      if (left <= 0) break;
      let timer;
      const idle = new Promise((resolve) => {
        timer = setTimeout(resolve, Math.min(left, LINGER_IDLE_MS), null);
      });
      const next = await Promise.race([reader.read(), idle]);
      clearTimeout(timer);
      if (next === null) break;
      if (next.done) return;
    }
    await reader.cancel();
  } catch {
    // The client went away (or the body failed): nothing left to read.
  }
}
