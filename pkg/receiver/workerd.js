// The receiver in Cloudflare Workers (the `workerd` condition of "cohort-sync/receiver"):
// the host-agnostic parts, with the wasm loaded the way workerd allows (../workerd.js).
import "../workerd.js";

export * from "./index.js";
