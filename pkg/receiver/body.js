// Reading a request body with a ceiling, so a huge or endless body costs no more than
// the limit (Content-Length is checked first; chunked bodies are counted as they come).
//
// A body the routes do not read to the end (refused credentials, a body over the limit)
// is left unread and unlocked, never cancelled: the host reads the rest into nothing
// after the answer has gone out (worker/src/linger.js; node-http.js in Node), so that
// the client, still sending, gets the answer. Cancelling makes workerd close the
// connection as soon as the answer ends; with bytes still arriving the kernel resets
// it, and the reset throws away the answer if the client has not read it yet (under
// `wrangler dev`, whose proxy stands in front of workerd, the same cancel turns into a
// 503, an empty answer, or a stalled next request; docs/design-notes.md, "Refusing a
// body without reading it"). A body read to its end stays locked: that is how the
// host tells the two apart.

export class TooLarge extends Error {}

export async function readLimited(request, max) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > max) throw new TooLarge();
  if (request.body === null) return new Uint8Array(0);
  if (declared !== null) {
    // The common case (Mixpanel sends a Content-Length): one native read. The runtime
    // holds the body to its declared length, so the ceiling still holds.
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > max) throw new TooLarge();
    return bytes;
  }
  const reader = request.body.getReader();
  const parts = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      // Released, not cancelled: the rest is the host's to read into nothing.
      reader.releaseLock();
      throw new TooLarge();
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0];
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}
