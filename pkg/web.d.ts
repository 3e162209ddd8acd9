// `cohort-sync/web`: the same API, plus the loader to await once before any call.
export * from "./index.js";

/** What {@link init} can load the module from; by default the .wasm next to the package's web.js. */
export type InitInput =
  | string
  | URL
  | Request
  | Response
  | BufferSource
  | WebAssembly.Module
  | Promise<Request | Response | BufferSource | WebAssembly.Module>;

/**
 * Fetch and instantiate the wasm module. Await it once before calling anything else
 * (calls before that throw `CohortSyncError` with code `not_initialized`). Idempotent.
 */
export default function init(input?: InitInput): Promise<void>;
