// The thin adapter between the wasm-bindgen glue and users: the ONLY place where results
// are decoded. No domain logic lives here; every decision is made in Rust. A wasm export
// returns JSON text (large results: `call` parses it), a plain object made by
// serde-wasm-bindgen (small results), bytes, a boolean or a number (`callRaw` passes
// those on), or throws a CohortSyncError (the class below, which the wasm is given on
// first use).
import * as wasm from "./dist/cohort_sync.js";
import { state } from "./ready.js";

/** Misuse or undecodable input. `code` is a stable snake_case identifier. */
export class CohortSyncError extends Error {
  constructor(code, message, problems = [], options) {
    super(message, options);
    this.name = "CohortSyncError";
    this.code = code;
    this.problems = Array.isArray(problems) ? problems : [];
  }
}

// The wasm throws CohortSyncError itself (the class is registered with it on first use,
// below). Anything else is a failure of the module (a trap, stack overflow, out of
// memory) or of the generated glue (wrong JS type for an argument), and must still reach
// users as a CohortSyncError.
function toError(thrown) {
  if (thrown instanceof CohortSyncError) return thrown;
  if (thrown instanceof TypeError) {
    return new CohortSyncError("invalid_argument", thrown.message, [], { cause: thrown });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new CohortSyncError("internal_error", `cohort-sync failed internally: ${message}`, [], { cause: thrown });
}

let errorClassRegistered = false;

/** Throws not_initialized before the module is loaded; registers the error class once after. */
function ready() {
  if (!state.ready) {
    throw new CohortSyncError(
      "not_initialized",
      'the wasm module is not loaded yet: await init() from "cohort-sync/web" first',
    );
  }
  if (!errorClassRegistered) {
    wasm.setErrorClass(CohortSyncError);
    errorClassRegistered = true;
  }
}

function call(fn, ...args) {
  ready();
  let out;
  try {
    out = fn(...args);
  } catch (thrown) {
    const error = toError(thrown);
    Error.captureStackTrace?.(error, call); // the stack starts at the user's call
    throw error;
  }
  return JSON.parse(out);
}

export function validatePayload(body, options) {
  return call(wasm.validatePayload, asBytes(body), options);
}

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

// A string body crosses into the wasm as its UTF-8 bytes: wasm-bindgen copies strings a
// character at a time (0.6 ms for a 271 KB page; TextEncoder takes 0.05 ms). A string
// with a lone surrogate crosses as it is, for the wasm to refuse (TextEncoder would make
// it U+FFFD, a different id).
function asBytes(body) {
  return typeof body === "string" && body.isWellFormed?.() ? utf8Encoder.encode(body) : body;
}

// The wasm validates the body and reads its envelope; V8 builds the member objects from
// the body as sent, and the wasm says which typed fields Mixpanel's reserved properties
// fill. So no member crosses out of the wasm (docs/design-notes.md, "parsePayload: the
// wasm checks, V8 builds"); a differential test holds this to members built in wasm.
export function parsePayload(body, options) {
  const { page, sources, fills, texts } = call(wasm.parsePayloadHead, asBytes(body), options);
  // An object body has its members built in the wasm; so do all bodies while someone has
  // made a key of Object.prototype enumerable, which `for...in` below would see.
  if (fills === null) return page;
  if (prototypeHasEnumerableKeys()) return call(wasm.parsePayload, body, options);
  let sent;
  try {
    const text = typeof body === "string" ? body : utf8.decode(body);
    sent = JSON.parse(text).parameters.members;
  } catch {
    // Text V8 reads otherwise than the wasm (a string with a byte order mark), or bytes
    // TextDecoder refuses (a shared buffer): the wasm builds the members itself.
    return call(wasm.parsePayload, body, options);
  }
  const members = (page.members = sent.map(memberAsSent));
  for (let i = 0; i < fills.length; i += 2) {
    const member = members[fills[i]];
    const [field, key] = sources[fills[i + 1]];
    member[field] = member.properties[key];
  }
  for (const [index, field, text] of texts) members[index][field] = text;
  return page;
}

function prototypeHasEnumerableKeys() {
  for (const _ in {}) return true;
  return false;
}

// A member object as sent, with its documented keys as typed fields and every other key
// in `properties`. A loop rather than rest properties (`{ email, ...properties }`): 0.05 ms
// less a 1000-member page. "__proto__" is defined, not assigned, so it stays a plain key.
function memberAsSent(sent) {
  const properties = {};
  let distinctId, email = null, firstName = null, lastName = null, phoneNumber = null;
  for (const key in sent) {
    const value = sent[key];
    switch (key) {
      case "mixpanel_distinct_id": distinctId = value; break;
      case "email": email = value; break;
      case "first_name": firstName = value; break;
      case "last_name": lastName = value; break;
      case "phone_number": phoneNumber = value; break;
      case "__proto__":
        Object.defineProperty(properties, key, { value, enumerable: true, writable: true, configurable: true });
        break;
      default: properties[key] = value;
    }
  }
  return { distinctId, email, firstName, lastName, phoneNumber, properties };
}

export function webhookResponse(action, error) {
  return callRaw(wasm.webhookResponse, action, error);
}

export function classifyStatus(status) {
  return callRaw(wasm.classifyStatus, status);
}

export function retryDelays() {
  return callRaw(wasm.retryDelays);
}

export function checkId(id, kind) {
  return callRaw(wasm.checkId, id, kind);
}

// ---- Membership -------------------------------------------------------------------

// Calls whose result is not JSON text (plain objects, bytes, booleans, numbers, handles).
function callRaw(fn, ...args) {
  ready();
  try {
    return fn(...args);
  } catch (thrown) {
    const error = toError(thrown);
    Error.captureStackTrace?.(error, callRaw);
    throw error;
  }
}

// A random 64-bit key (two u32) for each id set's hash table, so that a sender cannot
// pick ids that all collide. Every runtime we load in has crypto.getRandomValues.
function seed() {
  return Array.from(globalThis.crypto.getRandomValues(new Uint32Array(2)));
}

// The loader's rows cross as typed arrays: hashes as a BigUint64Array, keys and records
// as UTF-8 bytes. Anything else is refused here, by name: wasm-bindgen copies any
// array-like into wasm memory, so a string reached it as characters, each a wrong byte
// (keys) or refused by BigInt as "internal" (hashes).
function hashArray(value, name) {
  if (isTyped(value, "BigUint64Array")) return value;
  throw new CohortSyncError("invalid_argument", `${name} must be a BigUint64Array (LoadState.rowHashes or keyHashes), got ${typeName(value)}`);
}

function bytesArray(value, name) {
  if (isTyped(value, "Uint8Array")) return value;
  throw new CohortSyncError("invalid_argument", `${name} must be UTF-8 bytes (a Uint8Array, each key ended by NUL, each record by a line feed), got ${typeName(value)}`);
}

// By tag, not instanceof: a typed array made in another realm (a vm context, a test
// sandbox) is one all the same. A Buffer's tag is "Uint8Array".
function isTyped(value, tag) {
  return ArrayBuffer.isView(value) && value[Symbol.toStringTag] === tag;
}

function typeName(value) {
  return value === null ? "null" : (value?.constructor?.name ?? typeof value);
}

// A list argument crosses into wasm as the UTF-8 bytes of one JSON text: one crossing
// instead of one per id, and TextEncoder's native copy rather than wasm-bindgen's
// character-by-character string passing (which took 14% of a 1M-id diff). Any iterable
// is accepted; a bare string is refused (it would iterate characters).
const encoder = new TextEncoder();
function jsonList(value, name) {
  if (value === null || value === undefined || typeof value === "string" || typeof value[Symbol.iterator] !== "function") {
    const got = value === null ? "null" : typeof value;
    throw new CohortSyncError("invalid_argument", `${name} must be an array or another iterable, got ${got}`);
  }
  let text;
  try {
    text = JSON.stringify(Array.isArray(value) ? value : Array.from(value));
  } catch (cause) {
    // The caller's iterator or toJSON threw, or a BigInt/cycle cannot be written.
    throw new CohortSyncError("invalid_argument", `${name} could not be read: ${cause?.message ?? cause}`, [], { cause });
  }
  return encoder.encode(text);
}

export function diffMembers(previous, current) {
  return call(() => wasm.diffMembers(jsonList(previous, "previous"), jsonList(current, "current"), ...seed()));
}

export function planSync(previous, current, options) {
  return call(() =>
    wasm.planSync(previous == null ? undefined : jsonList(previous, "previous"), jsonList(current, "current"), options),
  );
}

const INTERNAL = Symbol("CohortState handle");

/** One cohort's membership on the receiving side (see index.d.ts). */
export class CohortState {
  #handle;

  constructor(token, handle) {
    this.#handle = token === INTERNAL ? handle : callRaw(() => new wasm.CohortStateHandle(...seed()));
  }

  static fromBytes(bytes) {
    return new CohortState(INTERNAL, callRaw(() => wasm.CohortStateHandle.fromBytes(bytes, ...seed())));
  }

  static fromChunks(chunks) {
    return new CohortState(INTERNAL, callRaw(() => wasm.CohortStateHandle.fromChunks(chunks, ...seed())));
  }

  apply(pageOrBody, options) {
    return call(() => this.#live().apply(pageOrBody, options));
  }

  has(distinctId) {
    return callRaw(() => this.#live().has(distinctId));
  }

  get size() {
    return callRaw(() => this.#live().size);
  }

  members() {
    return call(() => this.#live().members());
  }

  toBytes() {
    return callRaw(() => this.#live().toBytes());
  }

  toChunks(chunkBytes) {
    return callRaw(() => this.#live().toChunks(chunkBytes));
  }

  /** Bytes of wasm memory the membership holds. */
  get memoryBytes() {
    return callRaw(() => this.#live().memoryBytes());
  }

  /** The session of an unfinished full sync, or null. */
  get pendingSession() {
    return callRaw(() => this.#live().pendingSession() ?? null);
  }

  /** Releases the wasm memory now (it is also released when the object is collected). */
  free() {
    // Forgotten first: free() from inside one of its own calls (an options getter) fails
    // in wasm-bindgen after the glue has already zeroed its pointer.
    const handle = this.#handle;
    this.#handle = null;
    callRaw(() => handle?.free());
  }

  #live() {
    if (!this.#handle) throw new CohortSyncError("invalid_argument", "this CohortState was freed");
    return this.#handle;
  }
}

/**
 * The rulebook of a cohort's sync without the members: for stores that keep members
 * themselves (the Worker keeps them in SQL). Its state crosses as bytes (see index.d.ts).
 */
export class SyncTracker {
  #handle;

  constructor(token, handle) {
    this.#handle = token === INTERNAL ? handle : callRaw(() => new wasm.SyncTrackerHandle());
  }

  static fromBytes(bytes) {
    return new SyncTracker(INTERNAL, callRaw(() => wasm.SyncTrackerHandle.fromBytes(bytes)));
  }

  toBytes() {
    return callRaw(() => this.#live().toBytes());
  }

  /** `{ action, sessionId, page: { count, total } | null, fingerprint? }` → the decision. */
  observe(page) {
    if (page === null || typeof page !== "object") {
      return callRaw(() => {
        throw new CohortSyncError("invalid_argument", `observe takes { action, sessionId, page, fingerprint }, got ${page === null ? "null" : typeof page}`);
      });
    }
    const { action, sessionId, page: numbers, fingerprint, holdSweeps = false } = page;
    return callRaw(() => this.#live().observe(action, sessionId, numbers?.count ?? null, numbers?.total ?? null, fingerprint, holdSweeps === true));
  }

  /** The session of an unfinished full sync, or null. */
  get pendingSession() {
    return callRaw(() => this.#live().pendingSession() ?? null);
  }

  /** The remembered sessions, most recent first (see index.d.ts `SyncSession`). */
  sessions() {
    return callRaw(() => this.#live().sessions());
  }

  /** The page count of the unfinished full sync; null when none, or when it is pageless. */
  get pendingTotalPages() {
    return callRaw(() => this.#live().pendingTotalPages() ?? null);
  }

  free() {
    const handle = this.#handle;
    this.#handle = null;
    callRaw(() => handle?.free());
  }

  #live() {
    if (!this.#handle) throw new CohortSyncError("invalid_argument", "this SyncTracker was freed");
    return this.#handle;
  }
}

/**
 * What a load sent last time, kept compactly in the wasm (a key hash and a record
 * checksum a key): each run plans its rows against it and marks what Mixpanel took.
 * Rows cross a batch at a time: `keys` the keys' UTF-8 each ended by NUL, `records` the
 * records' JSON each ended by a line feed (docs/loading.md, "How a run is planned").
 */
export class LoadState {
  #handle;

  constructor(token, handle) {
    this.#handle = token === INTERNAL ? handle : callRaw(() => new wasm.LoadStateHandle());
  }

  static fromBytes(bytes) {
    const reader = LoadState.reader();
    reader.push(bytes);
    return reader.finish();
  }

  /**
   * A snapshot read a part at a time, however its bytes are cut: `push(bytes)` each
   * part, then `finish()` gives the LoadState (throws `invalid_snapshot` for bad bytes).
   */
  static reader() {
    const handle = callRaw(() => new wasm.LoadStateReader());
    let done = false;
    const end = () => {
      done = true;
      handle.free();
    };
    return {
      push(bytes) {
        if (done) throw new CohortSyncError("invalid_argument", "this reader has finished");
        try {
          callRaw(() => handle.push(bytes));
        } catch (error) {
          end();
          throw error;
        }
      },
      finish() {
        if (done) throw new CohortSyncError("invalid_argument", "this reader has finished");
        try {
          return new LoadState(INTERNAL, callRaw(() => handle.finish()));
        } finally {
          end();
        }
      },
    };
  }

  toBytes() {
    const parts = [...this.toParts()];
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return bytes;
  }

  /**
   * The snapshot in parts of about `maxBytes` (whole runs; the first holds the header,
   * the last the checksum), joined they are `toBytes()`: a state of 10M keys (160 MB)
   * is never copied whole. The state must not change until the last part is taken.
   */
  *toParts(maxBytes = 2 * 1024 * 1024) {
    let done = false;
    try {
      for (;;) {
        const part = callRaw(() => this.#live().snapshotPart(maxBytes));
        if (part.length === 0) {
          done = true;
          return;
        }
        yield part;
      }
    } finally {
      // Left early: the rest is read off, so that the next snapshot starts at its header.
      while (!done && this.#handle && callRaw(() => this.#handle.snapshotPart(maxBytes)).length > 0);
    }
  }

  /**
   * One outcome code a row: 0 new, 1 changed, 2 unchanged, 3 retry, 4 duplicate. Rows
   * are keys (each ended by NUL) and records (each ended by a line feed), or the
   * BigUint64Array `LoadState.rowHashes` made of them.
   */
  plan(keys, records) {
    const rows = records === undefined ? hashArray(keys, "rows") : LoadState.rowHashes(keys, records);
    return callRaw(() => this.#live().plan(rows));
  }

  /** Records rows a 2xx took: keys and records, or their `rowHashes`. */
  markSent(keys, records) {
    const rows = records === undefined ? hashArray(keys, "rows") : LoadState.rowHashes(keys, records);
    callRaw(() => this.#live().markSent(rows));
  }

  /**
   * Keys whose send failed for now (each ended by NUL, or a BigUint64Array of their
   * `keyHashes`): sent again next run. Returns how many were known.
   */
  markFailed(keys) {
    const hashes = isTyped(keys, "BigUint64Array") ? keys : LoadState.keyHashes(bytesArray(keys, "keys"));
    return callRaw(() => this.#live().markFailed(hashes));
  }

  /**
   * Each row's key hash and record checksum, one after the other (a BigUint64Array of
   * twice the rows): hashed once, then planned, marked and journalled as they are.
   */
  static rowHashes(keys, records) {
    bytesArray(keys, "keys");
    bytesArray(records, "records");
    return callRaw(() => wasm.LoadStateHandle.rowHashes(keys, records));
  }

  /** The hashes of keys known but not planned in this run (BigUint64Array). */
  removed() {
    return callRaw(() => this.#live().removed());
  }

  forget(hashes) {
    return callRaw(() => this.#live().forget(hashArray(hashes, "hashes")));
  }

  /** The hashes `removed()` names keys by. */
  static keyHashes(keys) {
    bytesArray(keys, "keys");
    return callRaw(() => wasm.LoadStateHandle.keyHashes(keys));
  }

  get size() {
    return callRaw(() => this.#live().size);
  }

  memoryBytes() {
    return callRaw(() => this.#live().memoryBytes());
  }

  free() {
    const handle = this.#handle;
    this.#handle = null;
    callRaw(() => handle?.free());
  }

  #live() {
    if (!this.#handle) throw new CohortSyncError("invalid_argument", "this LoadState was freed");
    return this.#handle;
  }
}

/** A stable `$insert_id` for a row without one: 36 characters of [0-9a-f-], from the event and the row's key. */
export function insertId(event, key) {
  return callRaw(wasm.insertId, event, key);
}

// ---- Identity, destinations, audiences, ingestion ---------------------------------

// One value as JSON bytes (member objects, uploads, lists of objects).
function jsonValue(value, name) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new CohortSyncError("invalid_argument", `${name} could not be read: ${cause?.message ?? cause}`, [], { cause });
  }
  if (text === undefined) throw new CohortSyncError("invalid_argument", `${name} is missing`);
  return encoder.encode(text);
}

// Records given as an array (or iterable), JSON array text, NDJSON text, or their bytes.
function records(value, name) {
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  return jsonList(value, name);
}

export function resolveIdentity(member, rule) {
  if (member === null || typeof member !== "object") {
    return call(() => {
      throw new CohortSyncError("invalid_argument", `member must be an object, got ${member === null ? "null" : typeof member}`);
    });
  }
  return callRaw(() => wasm.resolveIdentity(jsonValue([member], "member"), rule));
}

/** The identities a destination already knows (see index.d.ts). */
export class IdentityIndex {
  #handle;

  constructor(ids, token, handle) {
    if (token === INTERNAL) {
      this.#handle = handle;
      return;
    }
    this.#handle = callRaw(() => new wasm.IdentityIndexHandle(...seed()));
    if (ids !== undefined && ids !== null) callRaw(() => this.#handle.addAll(jsonList(ids, "ids")));
  }

  static fromBytes(bytes) {
    return new IdentityIndex(null, INTERNAL, callRaw(() => wasm.IdentityIndexHandle.fromBytes(bytes, ...seed())));
  }

  add(id) {
    return callRaw(() => this.#live().add(id));
  }

  has(id) {
    return callRaw(() => this.#live().has(id));
  }

  get size() {
    return callRaw(() => this.#live().size);
  }

  get memoryBytes() {
    return callRaw(() => this.#live().memoryBytes());
  }

  toBytes() {
    return callRaw(() => this.#live().toBytes());
  }

  free() {
    // Forgotten first: free() from inside one of its own calls (an options getter) fails
    // in wasm-bindgen after the glue has already zeroed its pointer.
    const handle = this.#handle;
    this.#handle = null;
    callRaw(() => handle?.free());
  }

  /** @internal used by matchMembers */
  static handleOf(index) {
    if (!(index instanceof IdentityIndex)) throw new CohortSyncError("invalid_argument", "index must be an IdentityIndex");
    return index.#live();
  }

  #live() {
    if (!this.#handle) throw new CohortSyncError("invalid_argument", "this IdentityIndex was freed");
    return this.#handle;
  }
}

export function matchMembers(page, index, rule) {
  return call(() => IdentityIndex.handleOf(index).matchMembers(page, rule));
}

export function cleverTapUploads(page, options) {
  return callRaw(wasm.cleverTapUploads, asBytes(page), options);
}

export function readCleverTapResponse(upload, status, body) {
  // An upload as sent (JSON text or bytes, from `format: "json"`) or as an object.
  // Inside call(): `instanceof` throws for a revoked Proxy, which must still reach users as a CohortSyncError.
  return call(() => {
    const sent = typeof upload === "string" ? encoder.encode(upload) : upload instanceof Uint8Array ? upload : jsonValue(upload, "upload");
    return wasm.readCleverTapResponse(sent, status, body);
  });
}

export function brazeCohortChanges(page, options) {
  const { requests, skipped } = call(() => wasm.brazeCohortChanges(asBytes(page), options));
  // The array the contract names, carrying the members that could not be sent.
  return Object.defineProperty(requests, "skipped", { value: skipped, enumerable: false });
}

export function forwardingRequests(page, options) {
  return callRaw(wasm.forwardingRequests, asBytes(page), options);
}

export function encodeSegmentMembership(ids) {
  return call(() => wasm.encodeSegmentMembership(jsonList(ids, "ids")));
}

export function decodeSegmentMembership(value) {
  return call(() => wasm.decodeSegmentMembership(value));
}

export function segmentMembershipContains(value, id) {
  return callRaw(() => wasm.segmentMembershipContains(value, id));
}

export function audienceProperties(audiences, options) {
  return callRaw(() => wasm.audienceProperties(jsonList(audiences, "audiences"), options));
}

export function engageBatches(updates, options) {
  return call(() => wasm.engageBatches(jsonList(updates, "updates"), options));
}

export function segmentMembershipUpdates(users, options) {
  return call(() => wasm.segmentMembershipUpdates(jsonList(users, "users"), options));
}

export function engageUrl(region) {
  return call(() => wasm.engageUrl(region));
}

export function validateEvents(events, options) {
  return call(() => wasm.validateEvents(records(events, "events"), options));
}

export function validateProfiles(updates, kind, options) {
  return call(() => wasm.validateProfiles(records(updates, "updates"), kind, options));
}

export function importBatches(events) {
  return call(() => wasm.importBatches(records(events, "events")));
}

export function isMtuExempt(eventName) {
  return callRaw(() => wasm.isMtuExempt(eventName));
}
