// A members list's cursor: the last id of the page before, as base64url of its UTF-8.
// Only a cursor this API could have given out is taken: canonical base64url (no
// padding, nothing a decoder would skip) of UTF-8 text that could be a member id
// (`checkId`, the webhook's rule), so a made-up cursor gets 400 and never reaches a store.
import { checkId } from "../api.js";

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The cursor standing for `id`. */
export function encodeCursor(id) {
  let binary = "";
  for (const byte of encoder.encode(id)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The member id `cursor` stands for, or null when this API could not have given it out. */
export function decodeCursor(cursor) {
  // A member id is at most 1024 characters, at most 4 bytes each: 5462 base64 digits.
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > 5462 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let id;
  try {
    id = decoder.decode(Uint8Array.from(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  if (encodeCursor(id) !== cursor) return null;
  return checkId(id, "member") === null ? id : null;
}
