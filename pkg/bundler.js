// Bundler / generic entry (`browser` and `default` conditions): top-level await of the
// web loader, so that, as in Node, the module is ready on import.
import init from "./web.js";

await init();

export * from "./api.js";
