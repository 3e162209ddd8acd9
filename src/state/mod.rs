//! One cohort's membership on the receiving side, exact across pages, retries, replays,
//! restarts from the top and restarts of the receiver (docs/rules.md).
//!
//! - `add_members` / `remove_members` pages apply at once.
//! - `members` pages of one session add as they arrive, in any order; each member seen
//!   is marked. When every page 1..total of the session has arrived, members of the
//!   state that no page of the session listed are removed (the sweep).
//! - Which page does what (replays, restarts, pageless bodies, when a full sync is
//!   complete) is decided by the [`SyncTracker`], the one rulebook every store asks; this
//!   type carries its decisions out on an in-memory id set.

pub(crate) mod crc;
mod encode;
mod idset;
mod snapshot;
mod tracker;

pub use idset::IdSet;
pub use snapshot::{read_snapshot_ids, snapshot_ids, SnapshotError};
pub use tracker::{
    fingerprint, fingerprint_hex, parse_fingerprint_hex, Decision, PagePlace, SessionReport, SessionView, SyncTracker,
    REMEMBERED_PAGES, REMEMBERED_SESSIONS,
};

use crate::json::{JsonWriter, ToJson};
use crate::payload::{read_page_ids, Action, CohortPage, PayloadError, ValidateOptions};

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
    /// `page_info` as sent; `None` for a pageless body.
    pub page: Option<crate::payload::PageInfo>,
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

#[derive(Clone)]
pub struct CohortState {
    members: IdSet,
    tracker: SyncTracker,
}

impl CohortState {
    /// An empty state whose hash table is keyed with `seed` (give each state a random
    /// one where senders may be hostile).
    pub fn with_seed(seed: u64) -> Self {
        CohortState { members: IdSet::with_seed(seed), tracker: SyncTracker::new() }
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
        self.tracker.pending_session()
    }

    /// The rulebook's record of sessions and pages.
    pub fn tracker(&self) -> &SyncTracker {
        &self.tracker
    }

    /// Applies one page. `ids` are the page's distinct ids, in order.
    pub fn apply<'i, I>(&mut self, page: PageRef<'_, I>) -> ApplyOutcome
    where
        I: IntoIterator<Item = &'i [u8]>,
    {
        // One body for every kind of id list (gathering 1000 pointers costs little; a
        // copy of the rules per caller cost ~4 KB of wasm).
        let ids: Vec<&[u8]> = page.ids.into_iter().collect();
        self.apply_ids(PageRef { action: page.action, session_id: page.session_id, page: page.page, ids: &ids })
    }

    #[inline(never)]
    fn apply_ids(&mut self, page: PageRef<'_, &[&[u8]]>) -> ApplyOutcome {
        let mut outcome = ApplyOutcome::default();
        let place = match page.page {
            Some(info) => PagePlace::Numbered { page: info.count, total: info.total },
            None => PagePlace::Pageless { fingerprint: fingerprint(page.action, page.ids.iter().copied()) },
        };
        let decision = self.tracker.observe(page.action, page.session_id, place);
        if decision.sweep_first {
            outcome.removed = self.sweep();
            outcome.session_complete = true;
        }
        if decision.duplicate {
            outcome.duplicate = true;
            outcome.size = self.size();
            return outcome;
        }
        if decision.start_listing {
            self.members.clear_marks();
        }
        match page.action {
            Action::AddMembers | Action::Members => {
                self.add_listed(page.ids.iter().copied(), decision.mark, &mut outcome)
            }
            Action::RemoveMembers => {
                for &id in page.ids {
                    if self.members.remove(id) {
                        outcome.removed.push(String::from_utf8_lossy(id).into_owned());
                    }
                }
            }
        }
        if decision.sweep_after {
            outcome.removed.extend(self.sweep());
            outcome.session_complete = true;
        }
        if decision.sweep_first && !outcome.added.is_empty() && !outcome.removed.is_empty() {
            // Swept out by the sync that ended, listed again by this page: no change. Each
            // list is free of repeats, so the repeats across both are the ids in both.
            let both: Vec<&[u8]> = outcome.removed.iter().chain(&outcome.added).map(|id| id.as_bytes()).collect();
            let mut back = vec![false; both.len()];
            for (later, first) in crate::repeats::find_repeats(&both) {
                back[later] = true;
                back[first] = true;
            }
            let (gone, joined) = back.split_at(outcome.removed.len());
            let mut keep = gone.iter().map(|b| !b);
            outcome.removed.retain(|_| keep.next().unwrap_or(true));
            let mut keep = joined.iter().map(|b| !b);
            outcome.added.retain(|_| keep.next().unwrap_or(true));
        }
        if self.members.wants_compaction() {
            self.members.compact();
        }
        outcome.size = self.size();
        outcome
    }

    /// Adds a page's ids (marking them for the sweep while a full sync is under way).
    fn add_listed<'i>(&mut self, ids: impl IntoIterator<Item = &'i [u8]>, mark: bool, outcome: &mut ApplyOutcome) {
        for id in ids {
            let (entry, inserted) = self.members.insert(id);
            if mark {
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
            page: page.page,
            ids: page.ids.iter().map(|id| &**id),
        }))
    }

    /// Applies a page already read with `parse_payload`.
    pub fn apply_page(&mut self, page: &CohortPage) -> ApplyOutcome {
        self.apply(PageRef {
            action: page.action,
            session_id: &page.session_id,
            page: page.page,
            ids: page.members.iter().map(|m| m.distinct_id.as_bytes()),
        })
    }

    /// Ends the full sync: members no page of it listed leave.
    fn sweep(&mut self) -> Vec<String> {
        let removed = self.members.remove_unmarked();
        removed.into_iter().map(|id| String::from_utf8_lossy(&id).into_owned()).collect()
    }
}

#[cfg(test)]
mod tests;
