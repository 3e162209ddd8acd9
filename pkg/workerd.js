// Cloudflare Workers / workerd entry: the runtime compiles imported .wasm files ahead of
// time (a CompiledWasm module gives a WebAssembly.Module), and code generation at request
// time is forbidden, so instantiate synchronously at import.
import wasm from "./dist/cohort_sync_bg.wasm";
import { initSync } from "./dist/cohort_sync.js";
import { state } from "./ready.js";

initSync({ module: wasm });
state.ready = true;

export * from "./api.js";
