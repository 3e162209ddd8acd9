// The loader's sources (cohort-sync load): rows from files, stdin and databases, streamed.
export { openSource } from "./sources/index.js";
// The lossless JSON parse the sources use (integers past 2^53 - 1 as bigints, depth-limited).
export { parseJson } from "./sources/values.js";
