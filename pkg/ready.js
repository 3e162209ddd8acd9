// Whether the wasm module has been instantiated. Kept apart from api.js so that the
// entry files can flip it without it becoming part of the public API (`export *`).
export const state = { ready: false };
