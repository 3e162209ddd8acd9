// Type declarations for the `cohort-sync` package (every entry: node, workerd, bundler
// and web share these). Shapes follow the public contract in the repository's docs/api.md.
// They are kept by area in types/; this file is the package's one list of them. A type
// file imports what its {@link}s name too, so that editors resolve the links.

export * from "./types/errors.js";
export * from "./types/payload.js";
export * from "./types/reply.js";
export * from "./types/membership.js";
export * from "./types/state.js";
export * from "./types/identity.js";
export * from "./types/destinations.js";
export * from "./types/audience.js";
export * from "./types/ingest.js";
export * from "./types/load.js";
