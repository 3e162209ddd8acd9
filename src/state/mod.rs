//! One cohort's membership on the receiving side, exact across pages, retries, replays,
//! restarts from the top and restarts of the receiver (SPEC.md §1).
//!
//! - `add_members` / `remove_members` pages apply at once.
//! - `members` pages of one session add as they arrive, in any order; each member seen
//!   is marked. When every page 1..total of the session has arrived, members of the
//!   state that no page of the session listed are removed (the sweep).
//! - A page already applied (same session, action and page number) changes nothing and
//!   reports `duplicate`. A `members` page of a new session replaces an unfinished
//!   session (the sender restarted from the top); pages of the replaced session that
//!   arrive late are stale and change nothing.
//! - Replays are recognised for the last [`REMEMBERED_SESSIONS`] sessions, and up to
//!   [`REMEMBERED_PAGES`] pages of each: the bound on what the state remembers besides
//!   its members.

pub(crate) mod crc;
mod encode;
mod idset;
mod snapshot;

pub use idset::IdSet;
pub use snapshot::{read_snapshot_ids, snapshot_ids, SnapshotError};

use crate::json::{JsonWriter, ToJson};
use crate::payload::{read_page_ids, Action, CohortPage, PayloadError, ValidateOptions};
use std::collections::VecDeque;

/// How many sessions' page numbers are kept to recognise replays.
pub const REMEMBERED_SESSIONS: usize = 64;
/// How many page numbers of one session are kept (a 10M-member full sync has 10 000).
pub const REMEMBERED_PAGES: usize = 20_000;

/// Page numbers, sorted. A sorted `Vec` rather than a `BTreeSet`: pages mostly arrive in
/// order (appends), the bound above keeps inserts cheap, and it saves ~5 KB of wasm.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PageSet(Vec<u64>);

impl PageSet {
    pub(crate) fn insert(&mut self, page: u64) -> bool {
        match self.0.binary_search(&page) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, page);
                true
            }
        }
    }

    pub(crate) fn contains(&self, page: &u64) -> bool {
        self.0.binary_search(page).is_ok()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &u64> {
        self.0.iter()
    }
}

/// One page, as the state needs it: which call it is and which ids it lists.
#[derive(Debug, Clone, Copy)]
pub struct PageRef<'a, I> {
    pub action: Action,
    pub session_id: &'a str,
    pub page: u64,
    pub total_pages: u64,
    pub ids: I,
}

/// What applying a page changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Ids that joined, in page order (real changes only).
    pub added: Vec<String>,
    /// Ids that left (for a `members` page, the sweep when its session completed).
    pub removed: Vec<String>,
    /// The page was applied before (or belongs to a replaced session): nothing changed.
    pub duplicate: bool,
    /// This page completed a full-sync session (its sweep ran).
    pub session_complete: bool,
    pub size: usize,
}

impl ToJson for ApplyOutcome {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object()
            .field("added", &self.added)
            .field("removed", &self.removed)
            .field("duplicate", &self.duplicate)
            .field("sessionComplete", &self.session_complete)
            .field("size", &self.size)
            .end_object();
    }
}

/// The unfinished full sync: its pages so far. (The members its pages listed carry a
/// mark in the id set.)
#[derive(Clone, Debug, PartialEq, Eq)]
struct FullSync {
    session_id: String,
    total_pages: u64,
    pages: PageSet,
}

/// The pages seen of one session and action.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SeenSession {
    session_id: String,
    action: Action,
    /// The page count its pages gave: a page of the same session with another count is
    /// a restart by the sender, not a replay.
    total_pages: u64,
    pages: PageSet,
    /// A `members` session replaced by a newer one before it completed.
    replaced: bool,
}

#[derive(Clone)]
pub struct CohortState {
    members: IdSet,
    full_sync: Option<FullSync>,
    /// Most recent last.
    history: VecDeque<SeenSession>,
}

impl CohortState {
    /// An empty state whose hash table is keyed with `seed` (give each state a random
    /// one where senders may be hostile).
    pub fn with_seed(seed: u64) -> Self {
        CohortState { members: IdSet::with_seed(seed), full_sync: None, history: VecDeque::new() }
    }

    pub fn size(&self) -> usize {
        self.members.len()
    }

    pub fn has(&self, distinct_id: &str) -> bool {
        self.members.contains(distinct_id.as_bytes())
    }

    /// The members, in the order they joined (ids that left and came back go last).
    pub fn members(&self) -> impl Iterator<Item = String> + '_ {
        self.members.ids().map(|id| String::from_utf8_lossy(&id).into_owned())
    }

    /// Bytes of memory the membership holds.
    pub fn memory_bytes(&self) -> usize {
        self.members.memory_bytes()
    }

    /// The session of the unfinished full sync, if one is under way.
    pub fn pending_session(&self) -> Option<&str> {
        self.full_sync.as_ref().map(|s| s.session_id.as_str())
    }

    fn seen(&self, session_id: &str, action: Action) -> Option<&SeenSession> {
        self.history.iter().rev().find(|s| s.session_id == session_id && s.action == action)
    }

    fn remember(&mut self, session_id: &str, action: Action, page: u64, total_pages: u64) {
        let at = self.history.iter().rposition(|s| s.session_id == session_id && s.action == action);
        let mut entry = match at.and_then(|at| self.history.remove(at)) {
            Some(entry) => entry,
            None => SeenSession {
                session_id: session_id.to_string(),
                action,
                total_pages,
                pages: PageSet::default(),
                replaced: false,
            },
        };
        if entry.pages.len() < REMEMBERED_PAGES {
            entry.pages.insert(page);
        }
        self.history.push_back(entry);
        while self.history.len() > REMEMBERED_SESSIONS {
            self.history.pop_front();
        }
    }

    /// Applies one page. `ids` are the page's distinct ids, in order.
    pub fn apply<'i, I>(&mut self, page: PageRef<'_, I>) -> ApplyOutcome
    where
        I: IntoIterator<Item = &'i [u8]>,
    {
        let mut outcome = ApplyOutcome::default();
        // The sender changed the page count of the session under way: it started over,
        // so its pages count afresh (checked before the replay check for that reason).
        let restarted = self
            .full_sync
            .as_ref()
            .is_some_and(|s| s.session_id == page.session_id && s.total_pages != page.total_pages);
        if page.action == Action::Members && restarted {
            self.start_or_join(page.session_id, page.total_pages);
        }
        // Likewise a finished (or add/remove) session sent again with another page count.
        let recount = self.history.iter().rposition(|s| {
            s.session_id == page.session_id
                && s.action == page.action
                && !s.replaced
                && s.total_pages != page.total_pages
        });
        if let Some(at) = recount {
            self.history.remove(at);
        }
        let seen = self.seen(page.session_id, page.action);
        if seen.is_some_and(|s| s.replaced || s.pages.contains(&page.page)) {
            outcome.duplicate = true;
            outcome.size = self.size();
            return outcome;
        }
        match page.action {
            Action::AddMembers => self.add_listed(page.ids, &mut outcome),
            Action::RemoveMembers => {
                for id in page.ids {
                    if self.members.remove(id) {
                        outcome.removed.push(String::from_utf8_lossy(id).into_owned());
                    }
                }
            }
            Action::Members => {
                self.start_or_join(page.session_id, page.total_pages);
                self.add_listed(page.ids, &mut outcome);
                if let Some(sync) = &mut self.full_sync {
                    sync.pages.insert(page.page);
                }
                if self.full_sync.as_ref().is_some_and(|s| s.pages.len() as u64 >= s.total_pages) {
                    outcome.removed = self.sweep();
                    outcome.session_complete = true;
                }
            }
        }
        self.remember(page.session_id, page.action, page.page, page.total_pages);
        if self.members.wants_compaction() {
            self.members.compact();
        }
        outcome.size = self.size();
        outcome
    }

    /// Adds a page's ids (marking them for the sweep while a full sync is under way).
    fn add_listed<'i>(&mut self, ids: impl IntoIterator<Item = &'i [u8]>, outcome: &mut ApplyOutcome) {
        for id in ids {
            let (entry, inserted) = self.members.insert(id);
            if self.full_sync.is_some() {
                self.members.mark(entry);
            }
            if inserted {
                outcome.added.push(String::from_utf8_lossy(id).into_owned());
            }
        }
    }

    /// Validates a raw webhook body and applies it (the fast path: ids are read in place,
    /// no member objects are built).
    pub fn apply_body(&mut self, body: &[u8], options: &ValidateOptions) -> Result<ApplyOutcome, PayloadError> {
        let page = read_page_ids(body, options).map_err(|report| PayloadError::InvalidPayload(report.errors))?;
        Ok(self.apply(PageRef {
            action: page.action,
            session_id: &page.session_id,
            page: page.page.count,
            total_pages: page.page.total,
            ids: page.ids.iter().map(|id| &**id),
        }))
    }

    /// Applies a page already read with `parse_payload`.
    pub fn apply_page(&mut self, page: &CohortPage) -> ApplyOutcome {
        self.apply(PageRef {
            action: page.action,
            session_id: &page.session_id,
            page: page.page.count,
            total_pages: page.page.total,
            ids: page.members.iter().map(|m| m.distinct_id.as_bytes()),
        })
    }

    /// Makes `session_id` the full sync under way: a new one replaces an unfinished one
    /// (whose late pages are then stale), and a changed page total restarts it.
    fn start_or_join(&mut self, session_id: &str, total_pages: u64) {
        if let Some(sync) = &self.full_sync {
            if sync.session_id == session_id && sync.total_pages == total_pages {
                return;
            }
            if sync.session_id != session_id {
                let replaced = sync.session_id.clone();
                for seen in self.history.iter_mut().filter(|s| s.session_id == replaced && s.action == Action::Members)
                {
                    seen.replaced = true;
                }
            }
        }
        self.full_sync = Some(FullSync { session_id: session_id.to_string(), total_pages, pages: PageSet::default() });
        self.members.clear_marks();
        // A restarted session's earlier pages no longer count as applied.
        if let Some(at) = self.history.iter().position(|s| s.session_id == session_id && s.action == Action::Members) {
            self.history.remove(at);
        }
    }

    /// Ends the full sync: members no page of it listed leave.
    fn sweep(&mut self) -> Vec<String> {
        if self.full_sync.take().is_none() {
            return Vec::new();
        }
        let removed = self.members.remove_unmarked();
        removed.into_iter().map(|id| String::from_utf8_lossy(&id).into_owned()).collect()
    }
}

#[cfg(test)]
mod tests;
