//! Mixpanel's Cohort Sync webhook: what a call carries, how to check it, how to answer.

mod ids;
mod logged;
mod model;
mod response;
mod validate;

pub use ids::{id_problem, IdKind, MAX_ID_CHARS, MAX_KEY_CHARS};
pub use logged::{fingerprint, LoggedPage};
pub use model::*;
pub use response::*;
pub use validate::{
    parse_page_head, parse_payload, read_members, read_page_ids, validate_payload, validate_payload_with_ids, PageIds,
    PageListing, LONG_ID_CHARS,
};

/// Why a webhook body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body is not a valid Cohort Sync call; `errors` says why.
    #[error("invalid payload: {}", summary(.0))]
    InvalidPayload(Vec<crate::problem::Problem>),
}

impl PayloadError {
    pub fn code(&self) -> &'static str {
        match self {
            PayloadError::InvalidPayload(_) => "invalid_payload",
        }
    }
}

fn summary(problems: &[crate::problem::Problem]) -> String {
    match problems.first() {
        Some(first) if problems.len() > 1 => {
            format!("{} at \"{}\" (and {} more)", first.message, first.path, problems.len() - 1)
        }
        Some(first) => format!("{} at \"{}\"", first.message, first.path),
        None => "no details".into(),
    }
}

/// Reads a webhook body into a [`CohortPage`], or says why it cannot.
pub fn read_page(body: &[u8], options: &ValidateOptions) -> Result<CohortPage, PayloadError> {
    parse_payload(body, options).map_err(|report| PayloadError::InvalidPayload(report.errors))
}
