//! cohort-sync: Mixpanel Cohort Sync without a native server.
//!
//! The core is plain Rust with no wasm in it, one module per concept; `wasm` is the thin
//! binding layer for JavaScript, compiled only for `wasm32`.

pub mod args;
pub mod audience;
pub mod destinations;
pub mod diff;
/// The checks of the fuzz targets and of `tests/fuzz_corpus.rs` (not API).
#[doc(hidden)]
#[cfg(feature = "fuzzing")]
pub mod fuzz_checks;
pub mod identity;
pub mod ingest;
pub mod json;
pub mod load;
pub mod payload;
pub mod plan;
pub mod problem;
mod repeats;
pub mod state;
mod text;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use diff::{diff_members, MemberDiff};
pub use payload::{
    classify_status, parse_page_head, parse_payload, read_page, retry_delays, validate_payload, webhook_response,
    Action, CohortPage, Fill, Member, MemberField, PageInfo, PayloadError, SenderReaction, ValidateOptions,
    ValidationReport, WebhookError, WebhookResponse,
};
pub use plan::{plan_sync, PlanError, PlanOptions};
pub use problem::{Problem, ProblemCode};
pub use state::{ApplyOutcome, CohortState, PageRef, SnapshotError};
