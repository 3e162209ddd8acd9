// Reading a request body with a ceiling, so a huge or endless body costs no more than
// the limit (Content-Length is checked first; chunked bodies are counted as they come).

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
      await reader.cancel();
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
