// The thin adapter between the wasm-bindgen glue and users: the ONLY place where results
// are decoded and errors are mapped. No domain logic lives here; every decision is made
// in Rust. Each wasm export returns a JSON string, or throws a JSON string
// `{"code","message","problems"}`.
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

// A string thrown by Rust is the JSON of the error; anything else is a failure of the
// module itself (a trap, stack overflow, out of memory) or of the generated glue
// (wrong JS type for an argument), and must still reach users as a CohortSyncError.
function toError(thrown) {
  if (typeof thrown === "string") {
    try {
      const e = JSON.parse(thrown);
      if (e && typeof e.code === "string") {
        return new CohortSyncError(e.code, String(e.message ?? e.code), e.problems);
      }
    } catch {
      // Not JSON: fall through and keep the text as the message.
    }
    return new CohortSyncError("internal_error", thrown);
  }
  if (thrown instanceof CohortSyncError) return thrown;
  if (thrown instanceof TypeError) {
    return new CohortSyncError("invalid_argument", thrown.message, [], { cause: thrown });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new CohortSyncError("internal_error", `cohort-sync failed internally: ${message}`, [], { cause: thrown });
}

function call(fn, ...args) {
  if (!state.ready) {
    throw new CohortSyncError(
      "not_initialized",
      'the wasm module is not loaded yet: await init() from "cohort-sync/web" first',
    );
  }
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
  return call(wasm.validatePayload, body, options);
}

export function parsePayload(body, options) {
  return call(wasm.parsePayload, body, options);
}

export function webhookResponse(action, error) {
  return call(wasm.webhookResponse, action, error);
}

export function classifyStatus(status) {
  return call(wasm.classifyStatus, status);
}

export function retryDelays() {
  return call(wasm.retryDelays);
}

// ---- Membership -------------------------------------------------------------------

// Calls whose result is not JSON text (bytes, booleans, numbers, handles).
function callRaw(fn, ...args) {
  if (!state.ready) return call(fn, ...args); // throws not_initialized
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
    this.#handle?.free();
    this.#handle = null;
  }

  #live() {
    if (!this.#handle) throw new CohortSyncError("invalid_argument", "this CohortState was freed");
    return this.#handle;
  }
}
