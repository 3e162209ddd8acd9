//! The sender's side: the request bodies Mixpanel would send for one sync
//! (docs/domain.md, "The sender's behaviour").
//!
//! A full `members` sync when there is no snapshot or it is older than 3 days; otherwise
//! `add_members` pages then `remove_members` pages, each action's pages numbered from 1.
//! This is also our test driver: every receiver must converge when fed these bodies in
//! any order, with repeats and restarts.

use crate::diff::diff_members;
use crate::json::{JsonWriter, ToJson};
use crate::payload::{Action, Member, Properties};

/// Mixpanel keeps the last successful sync's snapshot this long; an older one means a
/// full sync.
pub const SNAPSHOT_LIFETIME_MS: u64 = 3 * 24 * 60 * 60 * 1000;

/// Members per page Mixpanel sends.
pub const DEFAULT_BATCH_SIZE: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    pub project_id: String,
    pub cohort_id: String,
    pub cohort_name: Option<String>,
    pub cohort_description: Option<String>,
    pub session_id: String,
    pub batch_size: usize,
    /// Age of the last successful snapshot; past [`SNAPSHOT_LIFETIME_MS`] it has expired.
    pub snapshot_age_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{0} must be a non-empty string")]
    MissingOption(&'static str),
    #[error("batchSize must be at least 1")]
    BadBatchSize,
}

impl PlanError {
    pub fn code(&self) -> &'static str {
        "invalid_argument"
    }
}

/// The bodies (JSON text) of one sync from `previous` (the ids of the last successful
/// snapshot, or `None`) to `current`.
pub fn plan_sync(
    previous: Option<&[String]>,
    current: &[Member],
    options: &PlanOptions,
) -> Result<Vec<String>, PlanError> {
    for (name, value) in
        [("projectId", &options.project_id), ("cohortId", &options.cohort_id), ("sessionId", &options.session_id)]
    {
        if value.is_empty() {
            return Err(PlanError::MissingOption(name));
        }
    }
    if options.batch_size == 0 {
        return Err(PlanError::BadBatchSize);
    }
    let expired = options.snapshot_age_ms.is_some_and(|age| age > SNAPSHOT_LIFETIME_MS);
    let Some(previous) = previous.filter(|_| !expired) else {
        let members = first_of_each(current);
        return Ok(pages(Action::Members, &members, options));
    };
    let diff =
        diff_members(previous.iter().map(String::as_str), current.iter().map(|m| m.distinct_id.as_str()), 0x00c0_4a57);
    // Added members keep every field they have; removed ones are known by id only.
    let mut added: Vec<&Member> = Vec::with_capacity(diff.added.len());
    let mut wanted = diff.added.iter().peekable();
    for member in first_of_each(current) {
        if wanted.peek().is_some_and(|id| **id == member.distinct_id) {
            added.push(member);
            wanted.next();
        }
    }
    let removed: Vec<Member> = diff.removed.into_iter().map(Member::with_id).collect();
    let mut bodies = pages(Action::AddMembers, &added, options);
    bodies.extend(pages(Action::RemoveMembers, &removed.iter().collect::<Vec<_>>(), options));
    Ok(bodies)
}

/// Each distinct id once, at its first place.
fn first_of_each(members: &[Member]) -> Vec<&Member> {
    let ids: Vec<&[u8]> = members.iter().map(|m| m.distinct_id.as_bytes()).collect();
    let mut repeated = vec![false; members.len()];
    for (later, _) in crate::repeats::find_repeats(&ids) {
        repeated[later] = true;
    }
    members.iter().zip(repeated).filter(|(_, r)| !r).map(|(m, _)| m).collect()
}

/// One action's pages: at least one (empty when there is nothing to send).
fn pages(action: Action, members: &[&Member], options: &PlanOptions) -> Vec<String> {
    let total = members.len().div_ceil(options.batch_size).max(1);
    (0..total)
        .map(|k| {
            let batch = members.iter().skip(k * options.batch_size).take(options.batch_size);
            let mut w = JsonWriter::with_capacity(256 + 160 * options.batch_size.min(members.len()));
            w.begin_object().field("action", &action).key("parameters").begin_object();
            w.field("mixpanel_project_id", &options.project_id)
                .field("mixpanel_cohort_id", &options.cohort_id)
                .field("mixpanel_cohort_name", &options.cohort_name)
                .field("mixpanel_cohort_description", &options.cohort_description)
                .field("mixpanel_session_id", &options.session_id);
            w.key("page_info").begin_object().field("total_pages", &total).field("page_count", &(k + 1)).end_object();
            w.key("members").begin_array();
            for member in batch {
                WebhookMember(member).write_json(&mut w);
            }
            w.end_array().end_object().end_object();
            w.finish()
        })
        .collect()
}

/// A member as Mixpanel sends it: the default fields it has, then its exported
/// properties (a property named like a default field is left out: it would repeat a key).
struct WebhookMember<'a>(&'a Member);

impl ToJson for WebhookMember<'_> {
    fn write_json(&self, w: &mut JsonWriter) {
        let m = self.0;
        w.begin_object();
        for (key, value) in [("email", &m.email), ("first_name", &m.first_name), ("last_name", &m.last_name)] {
            if let Some(value) = value {
                w.field(key, value);
            }
        }
        w.field("mixpanel_distinct_id", &m.distinct_id);
        if let Some(phone) = &m.phone_number {
            w.field("phone_number", phone);
        }
        for (key, value) in m.properties.iter() {
            if !["email", "first_name", "last_name", "mixpanel_distinct_id", "phone_number"].contains(&key) {
                w.key(key).raw(value);
            }
        }
        w.end_object();
    }
}

impl Member {
    /// A member known only by its distinct id.
    pub fn with_id(distinct_id: String) -> Member {
        Member {
            distinct_id,
            email: None,
            first_name: None,
            last_name: None,
            phone_number: None,
            properties: Properties::new(),
        }
    }
}
