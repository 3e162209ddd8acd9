// HTTP Basic authentication for the webhook and the read API: fail closed, compare in
// constant time, refuse malformed headers.

import { settingsOf } from "./settings.js";

const encoder = new TextEncoder();

/**
 * What the settings (settings.js) allow: `{ kind: "basic", user, password }`, `{ kind:
 * "open" }` (only when asked for by name) or `{ kind: "closed" }`.
 */
export function authMode(settings) {
  return settingsOf(settings).auth;
}

/**
 * `null` when the request may pass, else why not (a sentence for the 401 answer).
 * Both sides are hashed before comparing so that neither the length nor the first
 * differing byte of the secret shows in the time taken.
 */
export async function refusal(request, settings) {
  const mode = settings.auth;
  if (mode.kind === "open") return null;
  if (mode.kind === "closed") {
    return "the webhook has no credentials configured (set WEBHOOK_USERNAME and WEBHOOK_PASSWORD)";
  }
  const header = request.headers.get("authorization");
  if (header === null) return "missing HTTP Basic credentials";
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!match) return "malformed Authorization header: expected Basic <base64 of user:password>";
  let decoded;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0)));
  } catch {
    return "malformed Authorization header: the credentials are not base64 of UTF-8 text";
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return "malformed Authorization header: no ':' between user and password";
  const [given, expected] = await Promise.all([
    digest(`${decoded.slice(0, colon)}\u0000${decoded.slice(colon + 1)}`),
    digest(`${mode.user}\u0000${mode.password}`),
  ]);
  return equalInConstantTime(given, expected) ? null : "wrong credentials";
}

async function digest(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

function equalInConstantTime(a, b) {
  // workerd has crypto.subtle.timingSafeEqual; the loop is the same idea elsewhere.
  if (typeof crypto.subtle.timingSafeEqual === "function") return crypto.subtle.timingSafeEqual(a, b);
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
