// Node entry: read the .wasm from disk and instantiate it synchronously, so the module
// is ready as soon as `import` returns.
import { readFileSync } from "node:fs";
import { initSync } from "./dist/cohort_sync.js";
import { state } from "./ready.js";

initSync({ module: readFileSync(new URL("./dist/cohort_sync_bg.wasm", import.meta.url)) });
state.ready = true;

export * from "./api.js";
