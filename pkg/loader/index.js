// "cohort-sync/loader": rows from files and databases into Mixpanel (docs/loading.md).
// Node only: the sources read files and databases, and the state is a SQLite file.
export { load } from "./load.js";
export { openSource } from "./sources.js";
export { checkMapping, createMapper, RowProblem } from "./mapping.js";
export { AuthError, REGIONS } from "./send.js";
