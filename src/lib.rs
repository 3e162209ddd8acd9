//! cohort-sync: Mixpanel Cohort Sync without a native server.
//!
//! The core is plain Rust with no wasm in it, one module per concept; `wasm` is the thin
//! binding layer for JavaScript, compiled only for `wasm32`.

pub mod json;
pub mod payload;
pub mod problem;
mod repeats;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use payload::{
    classify_status, parse_payload, read_page, retry_delays, validate_payload, webhook_response, Action, CohortPage,
    Member, PageInfo, PayloadError, SenderReaction, ValidateOptions, ValidationReport, WebhookError, WebhookResponse,
};
pub use problem::{Problem, ProblemCode};
