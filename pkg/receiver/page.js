// A logged page as the receiver applies it. The page log holds the body as it was sent;
// applying it reads that body once in the wasm (`LoggedPage`), which gives each part of
// the receiver what it needs in the form it takes: the tracker its head, the store the
// distinct ids as the JSON array texts its SQL binds and each member's text as sent, and
// the destinations their requests, built from the page the wasm holds for the members
// that changed (docs/design-notes.md, "A page's path through the receiver").
//
// `LoggedPage` is the receiver's own and not part of the package's API (api.js), so this
// file is where it is called and its results are decoded.
import { LoggedPage } from "../dist/cohort_sync.js";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The longest member (JSON characters) kept whole for the destinations. */
const MAX_KEPT_MEMBER_CHARS = 100_000;
/** Longer strings (and keys) are dropped from a member over that. */
const MAX_KEPT_VALUE_CHARS = 1024;

export class ReadPage {
  /**
   * Reads `body` (the bytes as sent: a Uint8Array or an ArrayBuffer, as SQL gives it
   * back). `partChars`: the most characters of ids the store binds as one value;
   * `texts`: whether members are kept as their text (forwarding on).
   */
  constructor(body, { partChars, texts }) {
    const bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
    this.handle = new LoggedPage(bytes, partChars);
    const [head, fingerprint, spans, ...parts] = this.handle.parts();
    /**
     * The page without its members, as parsePayload gives it (`{ action, projectId,
     * cohortId, cohortName, sessionId, page, … }`), and a pageless page's `fingerprint`.
     */
    this.head = { ...JSON.parse(head), fingerprint };
    /** The distinct ids in page order, as `{ json, count }`: JSON array texts the store binds. */
    this.ids = [];
    for (let i = 0; i < parts.length; i += 2) this.ids.push({ json: parts[i], count: parts[i + 1] });
    this.spans = spans;
    this.text = texts ? decoder.decode(bytes) : null;
  }

  /**
   * Member `i` as the store keeps it: its text as sent, or, over MAX_KEPT_MEMBER_CHARS,
   * what keptMember keeps, the id first; null when members are not kept as text.
   */
  kept(i, id) {
    if (this.text === null) return null;
    const text = this.text.slice(this.spans[2 * i], this.spans[2 * i + 1]);
    return text.length <= MAX_KEPT_MEMBER_CHARS ? text : keptMember({ mixpanel_distinct_id: id, ...JSON.parse(text) });
  }

  /**
   * The destinations' requests (`forwardingRequests`' result) for a change of this
   * page's cohort (`remove`: members who left). `members`: `[id, data, i]`, `i` the
   * member's place in this page when the page lists it, `data` its text as the store
   * kept it (null when only the id was). A member the page lists and the store kept
   * whole is read from the page the wasm holds; any other from what the store kept, as
   * the member that joined was.
   */
  requests(remove, members, options) {
    const { spans } = this;
    const places = new Int32Array(members.length);
    // The others as the store kept them, their texts (or ids) one after another, UTF-8.
    const kept = [];
    let chars = 0;
    members.forEach(([id, data, i], k) => {
      if (i !== undefined && spans[2 * i + 1] - spans[2 * i] <= MAX_KEPT_MEMBER_CHARS) {
        places[k] = i;
      } else {
        places[k] = data === null ? -2 : -1;
        kept.push(data ?? id);
        chars += (data ?? id).length;
      }
    });
    const bytes = new Uint8Array(chars * 3);
    const keptSpans = new Uint32Array(2 * kept.length);
    let at = 0;
    kept.forEach((text, k) => {
      keptSpans[2 * k] = at;
      at += encoder.encodeInto(text, bytes.subarray(at)).written;
      keptSpans[2 * k + 1] = at;
    });
    return this.handle.requests(remove, places, bytes.subarray(0, at), keptSpans, options);
  }

  free() {
    this.handle.free();
  }
}

/**
 * The member as kept for forwarding. Destinations read ids, email and phone: short
 * values. A member larger than SQLite takes in one value (~2 MB; the body may be 10 MiB)
 * would make its page fail for ever, and hold back every page after it, so a member
 * over MAX_KEPT_MEMBER_CHARS keeps only its short values, and past that only its short
 * top-level fields.
 */
export function keptMember(m) {
  const whole = JSON.stringify(m);
  if (whole.length <= MAX_KEPT_MEMBER_CHARS) return whole;
  const short = JSON.stringify(m, (key, value) =>
    key.length > MAX_KEPT_VALUE_CHARS || (typeof value === "string" && value.length > MAX_KEPT_VALUE_CHARS) ? undefined : value,
  );
  if (short.length <= MAX_KEPT_MEMBER_CHARS) return short;
  const fields = [];
  let length = 0;
  for (const [key, value] of Object.entries(m)) {
    if (key.length > MAX_KEPT_VALUE_CHARS || (value !== null && typeof value === "object")) continue;
    if (typeof value === "string" && value.length > MAX_KEPT_VALUE_CHARS) continue;
    length += key.length + String(value).length + 8;
    if (length > MAX_KEPT_MEMBER_CHARS) break;
    fields.push([key, value]);
  }
  return JSON.stringify(Object.fromEntries(fields));
}
