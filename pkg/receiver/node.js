// The receiver in Node: createReceiver (one SQLite file, node-host.js), its Node http
// adapter, and the host-agnostic parts, with the wasm loaded from disk (../node.js).
import "../node.js";

export * from "./index.js";
export { createReceiver } from "./node-host.js";
export { toNodeListener } from "./node-http.js";
