//! The rulebook of a cohort's sync: which pages change membership and how, decided from
//! the pages alone (session, action, page number or content). It holds no members, so
//! every store asks it: [`CohortState`](super::CohortState) in memory, and the Worker,
//! which keeps the tracker's bytes beside its SQL tables and asks the wasm build of this
//! same code about each page.
//!
//! The rules (docs/rules.md states them for users):
//! - `add_members` / `remove_members` pages apply once; a page seen before changes nothing.
//! - `members` pages of one session list the full membership. Numbered pages (with
//!   `page_info`) complete the session when every page 1..total has arrived; then members
//!   no page listed leave (the sweep).
//! - A `members` page of a new session replaces an unfinished numbered one (the sender
//!   restarted from the top); late pages of the replaced session change nothing. A
//!   session resent with another page count starts over.
//! - Pageless bodies (no `page_info`, as the real sender sends them) are told apart by
//!   their content: the same body again is a replay, a different one is another part. A
//!   pageless `members` session never sweeps by itself, because nothing says it is whole;
//!   it is complete when the sender moves on to a session not seen before (Mixpanel sends
//!   one sync of a cohort at a time), and its sweep runs then, before that page applies.
//! - The last [`REMEMBERED_SESSIONS`] sessions and [`REMEMBERED_PAGES`] pages of each are
//!   remembered for replays; the full sync under way keeps its own page count, so
//!   forgetting old sessions never stops it completing.

use super::PageSet;
use crate::payload::Action;
use serde::Serialize;
use std::collections::VecDeque;

/// How many sessions' pages are kept to recognise replays.
pub const REMEMBERED_SESSIONS: usize = 64;
/// How many page numbers (or pageless bodies) of one session are kept (a 10M-member full
/// sync has 10 000 pages).
pub const REMEMBERED_PAGES: usize = 20_000;

/// Where a page stands in its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePlace {
    /// `page_info` said page `page` of `total`.
    Numbered { page: u64, total: u64 },
    /// No `page_info`: the body is known by a 128-bit hash of its action and ids
    /// ([`fingerprint`]).
    Pageless { fingerprint: u128 },
}

impl PagePlace {
    /// The page count the session was given; `None` for pageless bodies.
    fn total(self) -> Option<u64> {
        match self {
            PagePlace::Numbered { total, .. } => Some(total),
            PagePlace::Pageless { .. } => None,
        }
    }
}

/// The content key of a pageless body: its action and its ids, in order, hashed twice
/// with SipHash-1-3 under two constant key pairs (so that every host computes the same key
/// for the same body) into 128 bits. Two 64-bit hashes rather than siphasher's 128-bit
/// variant: the id sets already link the 64-bit one.
pub fn fingerprint<'i>(action: Action, ids: impl IntoIterator<Item = &'i [u8]>) -> u128 {
    use siphasher::sip::SipHasher13;
    use std::hash::Hasher;
    let mut high = SipHasher13::new_with_keys(0x636f_686f_7274_2d73, 0x796e_632d_7061_6765);
    let mut low = SipHasher13::new_with_keys(0x7061_6765_6c65_7373, 0x626f_6479_2d6b_6579);
    for hasher in [&mut high, &mut low] {
        hasher.write_u8(action as u8);
    }
    for id in ids {
        for hasher in [&mut high, &mut low] {
            hasher.write_u64(id.len() as u64);
            hasher.write(id);
        }
    }
    (high.finish() as u128) << 64 | low.finish() as u128
}

/// A fingerprint as 32 lowercase hex digits: how it crosses to JavaScript (a `u128`
/// has no exact JavaScript number).
pub fn fingerprint_hex(key: u128) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..32).rev().map(|i| DIGITS[(key >> (i * 4)) as usize & 15] as char).collect()
}

/// The inverse of [`fingerprint_hex`]; `None` for anything but 32 hex digits.
pub fn parse_fingerprint_hex(hex: &str) -> Option<u128> {
    if hex.len() != 32 {
        return None;
    }
    hex.bytes().try_fold(0u128, |key, b| Some(key << 4 | (b as char).to_digit(16)? as u128))
}

/// What a store must do with one page, in this order: `sweep_first`, then (unless
/// `duplicate`) `start_listing`, apply the action (marking joiners and known members as
/// listed when `mark`), then `sweep_after`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// A pageless full sync ended (the sender moved on): members it did not list leave
    /// before this page applies.
    pub sweep_first: bool,
    /// The page was applied before, or belongs to a replaced or finished session:
    /// nothing else changes.
    pub duplicate: bool,
    /// A full sync starts (or starts over): forget who earlier pages listed.
    pub start_listing: bool,
    /// The page's ids count as listed by the full sync under way.
    pub mark: bool,
    /// This page completes a numbered full sync: members no page listed leave.
    pub sweep_after: bool,
}

impl Decision {
    /// The decision for a cohort that holds a page it could not apply (a dead page: the
    /// store failed it for good). A full sync still ends, but its end removes no one:
    /// a member it did not list may be in the dead page, and no member is removed on
    /// evidence that may be incomplete. The next full sync without a dead page sweeps.
    pub fn without_sweeps(self) -> Decision {
        Decision { sweep_first: false, sweep_after: false, ..self }
    }
}

/// One remembered session (and action), for reports.
pub struct SessionView<'a> {
    seen: &'a SeenSession,
    pending: bool,
}

/// How many missing page numbers a report lists at most.
const MISSING_LISTED: usize = 20;

impl<'a> SessionView<'a> {
    pub fn session_id(&self) -> &str {
        &self.seen.session_id
    }

    /// `complete` (every page, or a pageless full sync the sender moved on from),
    /// `waiting` (a full sync under way with pages missing), `open` (a pageless full sync
    /// not yet over, or a session with pages missing), `replaced` (a full sync a newer
    /// one replaced before it was whole).
    pub fn status(&self) -> &'static str {
        let seen = self.seen;
        match seen.total_pages {
            Some(total) if seen.pages.len() as u64 >= total => "complete",
            Some(_) if self.pending => "waiting",
            Some(_) if seen.closed => "replaced",
            None if seen.closed => "complete",
            _ => "open",
        }
    }

    /// Up to [`MISSING_LISTED`] page numbers not received, for numbered sessions.
    pub fn missing_pages(&self) -> Vec<u64> {
        let Some(total) = self.seen.total_pages else { return Vec::new() };
        let mut missing = Vec::new();
        let mut next = 1;
        for &page in self.seen.pages.iter().chain(std::iter::once(&(total + 1))) {
            while next < page && missing.len() < MISSING_LISTED {
                missing.push(next);
                next += 1;
            }
            if missing.len() == MISSING_LISTED {
                break;
            }
            next = page + 1;
        }
        missing
    }

    /// What an operator sees of the session.
    pub fn report(&self) -> SessionReport<'a> {
        let seen = self.seen;
        SessionReport {
            session_id: &seen.session_id,
            action: seen.action,
            total_pages: seen.total_pages,
            pages_received: seen.pages.len() + seen.bodies.len(),
            missing_pages: self.missing_pages(),
            status: self.status(),
        }
    }
}

/// A remembered session as reported (`SyncTracker.sessions()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionReport<'a> {
    pub session_id: &'a str,
    pub action: Action,
    /// `None`: pageless.
    pub total_pages: Option<u64>,
    pub pages_received: usize,
    /// Up to [`MISSING_LISTED`] page numbers not received.
    pub missing_pages: Vec<u64>,
    pub status: &'static str,
}

/// The full sync under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FullSync {
    pub(crate) session_id: String,
    /// `None`: pageless, complete only when a new session begins.
    pub(crate) total_pages: Option<u64>,
    pub(crate) pages: PageSet,
}

/// The pages seen of one session and action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeenSession {
    pub(crate) session_id: String,
    pub(crate) action: Action,
    /// The page count its pages gave (`None`: pageless): a page of the same session with
    /// another count is a restart by the sender, not a replay.
    pub(crate) total_pages: Option<u64>,
    pub(crate) pages: PageSet,
    /// Pageless bodies seen, by fingerprint, sorted.
    pub(crate) bodies: Vec<u128>,
    /// A `members` session that is over without being whole (replaced by a newer one) or
    /// whose end was inferred (pageless): its late pages change nothing.
    pub(crate) closed: bool,
}

impl SeenSession {
    fn has(&self, place: PagePlace) -> bool {
        match place {
            PagePlace::Numbered { page, .. } => self.pages.contains(&page),
            PagePlace::Pageless { fingerprint } => self.bodies.binary_search(&fingerprint).is_ok(),
        }
    }

    fn insert(&mut self, place: PagePlace) {
        if self.pages.len() + self.bodies.len() >= REMEMBERED_PAGES {
            return;
        }
        match place {
            PagePlace::Numbered { page, .. } => {
                self.pages.insert(page);
            }
            PagePlace::Pageless { fingerprint } => {
                if let Err(at) = self.bodies.binary_search(&fingerprint) {
                    self.bodies.insert(at, fingerprint);
                }
            }
        }
    }
}

/// The sessions and pages a cohort has seen, and the full sync under way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncTracker {
    pub(crate) full_sync: Option<FullSync>,
    /// Most recent last.
    pub(crate) history: VecDeque<SeenSession>,
}

impl SyncTracker {
    pub fn new() -> Self {
        SyncTracker::default()
    }

    /// The session of the unfinished full sync, if one is under way.
    pub fn pending_session(&self) -> Option<&str> {
        self.full_sync.as_ref().map(|s| s.session_id.as_str())
    }

    /// The page count of the full sync under way; `None` when there is none or it is
    /// pageless (its end is inferred, not counted).
    pub fn pending_total_pages(&self) -> Option<u64> {
        self.full_sync.as_ref().and_then(|s| s.total_pages)
    }

    /// The remembered sessions, most recent first, as an operator sees them.
    pub fn sessions(&self) -> impl Iterator<Item = SessionView<'_>> {
        self.history.iter().rev().map(move |seen| SessionView { seen, pending: self.is_pending(seen) })
    }

    fn is_pending(&self, seen: &SeenSession) -> bool {
        seen.action == Action::Members && self.full_sync.as_ref().is_some_and(|sync| sync.session_id == seen.session_id)
    }

    /// Decides what one page does, and records it.
    pub fn observe(&mut self, action: Action, session_id: &str, place: PagePlace) -> Decision {
        let mut decision = Decision::default();
        let total = place.total();
        let new_session = !self.history.iter().any(|s| s.session_id == session_id);
        if new_session && self.full_sync.as_ref().is_some_and(|s| s.total_pages.is_none() && s.session_id != session_id)
        {
            self.close_pageless();
            decision.sweep_first = true;
        }
        // The sender changed the page count of the session under way: it started over,
        // so its pages count afresh (checked before the replay check for that reason).
        let restarted = self.full_sync.as_ref().is_some_and(|s| s.session_id == session_id && s.total_pages != total);
        if action == Action::Members && restarted {
            decision.start_listing |= self.start_or_join(session_id, total);
        }
        // Likewise a finished (or add/remove) session sent again with another page count.
        let recount = self
            .history
            .iter()
            .rposition(|s| s.session_id == session_id && s.action == action && !s.closed && s.total_pages != total);
        if let Some(at) = recount {
            self.history.remove(at);
        }
        if self.seen(session_id, action).is_some_and(|s| s.closed || s.has(place)) {
            decision.duplicate = true;
            return decision;
        }
        if action == Action::Members {
            decision.start_listing |= self.start_or_join(session_id, total);
        }
        decision.mark = action != Action::RemoveMembers && self.full_sync.is_some();
        if let (Action::Members, PagePlace::Numbered { page, .. }) = (action, place) {
            if let Some(sync) = &mut self.full_sync {
                sync.pages.insert(page);
                if sync.total_pages.is_some_and(|total| sync.pages.len() as u64 >= total) {
                    self.full_sync = None;
                    decision.sweep_after = true;
                }
            }
        }
        self.remember(session_id, action, place);
        decision
    }

    fn seen(&self, session_id: &str, action: Action) -> Option<&SeenSession> {
        self.history.iter().rev().find(|s| s.session_id == session_id && s.action == action)
    }

    fn remember(&mut self, session_id: &str, action: Action, place: PagePlace) {
        let at = self.history.iter().rposition(|s| s.session_id == session_id && s.action == action);
        let mut entry = match at.and_then(|at| self.history.remove(at)) {
            Some(entry) => entry,
            None => SeenSession {
                session_id: session_id.to_string(),
                action,
                total_pages: place.total(),
                pages: PageSet::default(),
                bodies: Vec::new(),
                closed: false,
            },
        };
        entry.insert(place);
        self.history.push_back(entry);
        while self.history.len() > REMEMBERED_SESSIONS {
            self.history.pop_front();
        }
    }

    /// The pageless full sync under way is over: late bodies of it change nothing.
    fn close_pageless(&mut self) {
        if let Some(sync) = self.full_sync.take() {
            self.close(&sync.session_id);
        }
    }

    fn close(&mut self, session_id: &str) {
        for seen in self.history.iter_mut().filter(|s| s.session_id == session_id && s.action == Action::Members) {
            seen.closed = true;
        }
    }

    /// Makes `session_id` the full sync under way: a new one replaces an unfinished one
    /// (whose late pages are then stale), and a changed page count restarts it. True when
    /// a listing starts (earlier marks must be forgotten).
    fn start_or_join(&mut self, session_id: &str, total_pages: Option<u64>) -> bool {
        if let Some(sync) = &self.full_sync {
            if sync.session_id == session_id && sync.total_pages == total_pages {
                return false;
            }
            if sync.session_id != session_id {
                let replaced = sync.session_id.clone();
                self.close(&replaced);
            }
        }
        self.full_sync = Some(FullSync { session_id: session_id.to_string(), total_pages, pages: PageSet::default() });
        // A restarted session's earlier pages no longer count as applied.
        if let Some(at) = self.history.iter().position(|s| s.session_id == session_id && s.action == Action::Members) {
            self.history.remove(at);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_cross_as_hex_and_back() {
        for key in [0u128, 1, u128::MAX, 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210] {
            assert_eq!(parse_fingerprint_hex(&fingerprint_hex(key)), Some(key));
        }
        assert_eq!(parse_fingerprint_hex("xyz"), None);
        assert_eq!(parse_fingerprint_hex(&"g".repeat(32)), None);
    }

    #[test]
    fn sessions_say_what_arrived_and_what_is_missing() {
        let mut tracker = SyncTracker::new();
        let numbered = |page, total| PagePlace::Numbered { page, total };
        tracker.observe(Action::Members, "old", numbered(1, 2));
        tracker.observe(Action::Members, "full", numbered(3, 30));
        tracker.observe(Action::Members, "full", numbered(1, 30));
        tracker.observe(Action::AddMembers, "d", numbered(1, 1));
        tracker.observe(Action::Members, "pageless", PagePlace::Pageless { fingerprint: 7 });
        let views: Vec<(String, &str, Vec<u64>)> =
            tracker.sessions().map(|v| (v.session_id().to_string(), v.status(), v.missing_pages())).collect();
        let missing: Vec<u64> = [2].into_iter().chain(4..=22).collect();
        assert_eq!(
            views,
            [
                ("pageless".to_string(), "open", vec![]),
                ("d".to_string(), "complete", vec![]),
                ("full".to_string(), "replaced", missing),
                ("old".to_string(), "replaced", vec![2]),
            ]
        );
        tracker.observe(Action::AddMembers, "next", numbered(1, 1));
        assert_eq!(tracker.sessions().find(|v| v.session_id() == "pageless").unwrap().status(), "complete");
        let report = tracker.sessions().find(|v| v.session_id() == "old").unwrap().report();
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"sessionId":"old","action":"members","totalPages":2,"pagesReceived":1,"missingPages":[2],"status":"replaced"}"#
        );
    }

    #[test]
    fn a_held_sweep_still_ends_the_full_sync() {
        let mut tracker = SyncTracker::new();
        tracker.observe(Action::Members, "pageless", PagePlace::Pageless { fingerprint: 1 });
        let next = tracker.observe(Action::Members, "next", PagePlace::Numbered { page: 1, total: 1 });
        assert!(next.sweep_first && next.sweep_after);
        let held = next.without_sweeps();
        assert!(!held.sweep_first && !held.sweep_after && held.start_listing && held.mark && !held.duplicate);
        assert_eq!(tracker.pending_session(), None);
    }

    #[test]
    fn decisions_serialize_with_camel_case_keys_in_order() {
        let decision = SyncTracker::new().observe(Action::Members, "s", PagePlace::Numbered { page: 1, total: 1 });
        assert_eq!(
            serde_json::to_string(&decision).unwrap(),
            r#"{"sweepFirst":false,"duplicate":false,"startListing":true,"mark":true,"sweepAfter":true}"#
        );
    }

    #[test]
    fn fingerprints_depend_on_the_action_and_every_id_in_order() {
        let key = |action, ids: &[&str]| fingerprint(action, ids.iter().map(|id| id.as_bytes()));
        let base = key(Action::Members, &["a", "b"]);
        assert_eq!(base, key(Action::Members, &["a", "b"]));
        for other in [
            key(Action::AddMembers, &["a", "b"]),
            key(Action::Members, &["b", "a"]),
            key(Action::Members, &["ab"]),
            key(Action::Members, &["a", "b", ""]),
        ] {
            assert_ne!(base, other);
        }
    }
}
