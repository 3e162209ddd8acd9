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
