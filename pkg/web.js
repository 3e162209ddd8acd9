// Browser entry without a bundler: `await init()` once before calling anything. The
// `new URL(..., import.meta.url)` form is also what bundlers recognise as an asset.
import load from "./dist/cohort_sync.js";
import { state } from "./ready.js";

let loading = null;

/**
 * Load the wasm module. Idempotent: later calls return the same promise. `input` may be
 * a URL, Request, Response, BufferSource or WebAssembly.Module; by default the .wasm next
 * to this file is fetched.
 */
export default function init(input) {
  loading ??= load({ module_or_path: input ?? new URL("./dist/cohort_sync_bg.wasm", import.meta.url) })
    .then(() => {
      state.ready = true;
    })
    .catch((error) => {
      loading = null; // let a later call try again (e.g. after a network failure)
      throw error;
    });
  return loading;
}

export * from "./api.js";
