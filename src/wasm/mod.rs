//! The thin binding layer: converts JavaScript values, calls the core, converts back.
//!
//! Large results cross as JSON text, which the package's `api.js` turns into plain
//! objects with `JSON.parse` (one crossing, fast, and immune to `__proto__` keys); small
//! ones (a reply, a decision) as plain objects made by serde-wasm-bindgen
//! (`convert::value`). Every failure is thrown as a `CohortSyncError`
//! (`convert::BindingError`, the class registered by `api.js`). No domain logic lives here.

mod alloc;
mod audience;
mod convert;
mod destinations;
mod identity;
mod ingest;
mod load;
mod membership;
mod payload;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    #[cfg(feature = "panic-hook")]
    console_error_panic_hook::set_once();
}

/// Single-threaded wasm and the only allocator: sound here (Cargo.toml says why talc,
/// alloc.rs why our own growth step).
#[global_allocator]
static ALLOCATOR: alloc::Allocator = unsafe { alloc::allocator() };
