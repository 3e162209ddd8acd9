// The receiver in Node: the host-agnostic parts with the wasm loaded from disk (../node.js).
import "../node.js";

export * from "./index.js";
