//! A run of the loader, row by row: what to send, what to skip, what to remove.
//!
//! A run plans every row of the source ([`LoadState::plan`], a batch at a time), sends
//! the rows whose outcome [`Outcome::should_send`], reports each send's result
//! ([`LoadState::mark_sent`] after a 2xx, [`LoadState::mark_failed`] otherwise), then asks
//! which keys the source no longer has ([`LoadState::removed`]) and forgets each once its
//! removal is sent ([`LoadState::forget`]). The state is saved after the run
//! (`to_bytes`).
//!
//! The rules:
//! - A key not known is `New`. It is recorded at once, as not yet sent: if neither
//!   `mark_sent` nor `mark_failed` follows (a crash, an abandoned batch), the next run
//!   sends it again.
//! - A known key whose last send failed is `Retry`, whatever its record: the failed
//!   request may have carried an older record, or none may have landed.
//! - Otherwise the record's checksum against the one last sent: `Changed` or `Unchanged`.
//!   Planning does not change the checksum; only `mark_sent` does, so a changed row whose
//!   send never completed is still `Changed` next run.
//! - A key planned before in the same run is a `Duplicate`: the first row is the one
//!   planned, this one changes nothing and is reported ([`duplicate_problems`]) so that
//!   every row is accounted for. The first rather than the last: a row already sent
//!   cannot be taken back, and the first is the one a run that stops early has seen.
//! - A key known but not planned in this run is removed from the source,
//!   including a key whose sends all failed (a request that timed out may have landed).

use super::state::{checksum_bits, key_hash, record_checksum, LoadState, FAILED, FORGOTTEN, WARM_GROUP};
use crate::problem::{Problem, ProblemCode};

/// What to do with one row. The discriminants are the codes that cross to JavaScript (a
/// byte a row); they are part of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Outcome {
    /// A key not seen before: send.
    New = 0,
    /// A known key whose record differs from the one last sent: send.
    Changed = 1,
    /// A known key with the record last sent: skip.
    Unchanged = 2,
    /// A known key whose last send failed: send, even if the record is unchanged.
    Retry = 3,
    /// A key planned earlier in this run: skip, and report.
    Duplicate = 4,
}

impl Outcome {
    pub const ALL: [Outcome; 5] =
        [Outcome::New, Outcome::Changed, Outcome::Unchanged, Outcome::Retry, Outcome::Duplicate];

    /// The byte code of the outcome (its discriminant).
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Option<Outcome> {
        Outcome::ALL.get(code as usize).copied()
    }

    /// The outcome as users see it (`"unchanged"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::New => "new",
            Outcome::Changed => "changed",
            Outcome::Unchanged => "unchanged",
            Outcome::Retry => "retry",
            Outcome::Duplicate => "duplicate",
        }
    }

    /// Whether the row is to be sent.
    pub fn should_send(self) -> bool {
        matches!(self, Outcome::New | Outcome::Changed | Outcome::Retry)
    }
}

impl LoadState {
    /// Starts a run: no key is seen yet. A state just made or loaded is already at the
    /// start of one.
    pub fn start_run(&mut self) {
        self.clear_seen();
    }

    /// Plans one row: its primary key and its mapped record (canonical JSON text).
    pub fn plan_row(&mut self, key: &[u8], record: &[u8]) -> Outcome {
        self.plan_hashed(key_hash(key), record_checksum(record))
    }

    /// Plans a row known by its [`key_hash`] and [`record_checksum`].
    pub fn plan_hashed(&mut self, key_hash: u64, checksum: u64) -> Outcome {
        let checksum = checksum_bits(checksum);
        let Some((entry, value)) = self.find(key_hash) else {
            let entry = self.insert_new(key_hash, checksum | FAILED);
            self.set_seen(entry);
            return Outcome::New;
        };
        if self.is_seen(entry) {
            return Outcome::Duplicate;
        }
        self.set_seen(entry);
        if value == FORGOTTEN {
            self.revive(entry, checksum | FAILED);
            Outcome::New
        } else if value & FAILED != 0 {
            Outcome::Retry
        } else if value == checksum {
            Outcome::Unchanged
        } else {
            Outcome::Changed
        }
    }

    /// Plans rows in order: one outcome each. Faster than row by row at millions of keys
    /// (see [`LoadState::plan_hashes`]).
    pub fn plan<K, R>(&mut self, rows: impl IntoIterator<Item = (K, R)>) -> Vec<Outcome>
    where
        K: AsRef<[u8]>,
        R: AsRef<[u8]>,
    {
        self.plan_hashes(&row_hashes(rows))
    }

    /// Plans rows known by their ([`key_hash`], [`record_checksum`]). Faster than row by
    /// row at millions of keys: the lookups of a group of rows are started together, so
    /// that their cache misses overlap (`LoadState::warm`; 244 against ~600 ns a row at
    /// 10M keys natively, 440 against ~800 in Node).
    pub fn plan_hashes(&mut self, rows: &[(u64, u64)]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(rows.len());
        for group in rows.chunks(WARM_GROUP) {
            self.warm(group);
            for &(key, checksum) in group {
                outcomes.push(self.plan_hashed(key, checksum));
            }
        }
        outcomes
    }

    /// Records a send that succeeded (a 2xx): `checksum` is what the key now holds in
    /// Mixpanel. A key not known is added. Neither counts as seen in this run: sends
    /// replayed from a journal before a run plans (after a crash) must not make that
    /// run's rows duplicates, and a key sent but not planned is gone from the source.
    pub fn mark_sent(&mut self, key_hash: u64, checksum: u64) {
        let value = checksum_bits(checksum);
        match self.find(key_hash) {
            Some((entry, FORGOTTEN)) => self.revive(entry, value),
            Some((entry, _)) => self.set_value(entry, value),
            None => {
                self.insert_new(key_hash, value);
            }
        }
    }

    /// [`LoadState::mark_sent`] for rows known by their ([`key_hash`],
    /// [`record_checksum`]).
    pub fn mark_all_sent(&mut self, rows: &[(u64, u64)]) {
        for &(key, checksum) in rows {
            self.mark_sent(key, checksum);
        }
    }

    /// Records a send that failed: the key is sent again next run (`Retry`). The checksum
    /// last sent is kept, since what Mixpanel holds is unknown. False when the key is not
    /// known (nothing is recorded: the next run finds it `New` and sends it anyway).
    pub fn mark_failed(&mut self, key_hash: u64) -> bool {
        match self.find(key_hash) {
            Some((entry, value)) if value != FORGOTTEN => {
                self.set_value(entry, value | FAILED);
                true
            }
            _ => false,
        }
    }

    /// Whether `key_hash` is known, and if so whether its last send failed.
    pub fn status(&self, key_hash: u64) -> Option<KeyStatus> {
        let (entry, value) = self.find(key_hash)?;
        (value != FORGOTTEN).then(|| KeyStatus {
            checksum: value & !FAILED,
            failed: value & FAILED != 0,
            seen: self.is_seen(entry),
        })
    }

    /// The keys known but not planned in this run (gone from the source), by
    /// hash, in storage order. Each stays known until [`LoadState::forget`].
    pub fn removed(&self) -> Vec<u64> {
        let mut removed = Vec::new();
        let stored = self.stored();
        // A word of seen bits at a time: at the end of a run nearly every bit is set.
        for word in 0..stored.div_ceil(64) {
            let first = word * 64;
            let live = if stored - first >= 64 { u64::MAX } else { (1u64 << (stored - first)) - 1 };
            let mut unseen = !self.seen_word(word) & live;
            while unseen != 0 {
                let (hash, value) = self.entry(first + unseen.trailing_zeros() as usize);
                if value != FORGOTTEN {
                    removed.push(hash);
                }
                unseen &= unseen - 1;
            }
        }
        removed
    }

    /// Drops a key (its removal was sent); false when it was not known. A row with it
    /// later, even in this run, is `New`.
    pub fn forget(&mut self, key_hash: u64) -> bool {
        match self.find(key_hash) {
            Some((entry, value)) if value != FORGOTTEN => {
                self.forget_entry(entry);
                true
            }
            _ => false,
        }
    }
}

/// The (key hash, record checksum) of each row.
pub fn row_hashes<K, R>(rows: impl IntoIterator<Item = (K, R)>) -> Vec<(u64, u64)>
where
    K: AsRef<[u8]>,
    R: AsRef<[u8]>,
{
    rows.into_iter().map(|(key, record)| (key_hash(key.as_ref()), record_checksum(record.as_ref()))).collect()
}

/// What the state holds for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStatus {
    /// The checksum of the record last sent (or, for a key never confirmed, planned).
    pub checksum: u64,
    /// The last send failed or was never confirmed.
    pub failed: bool,
    /// Planned in this run.
    pub seen: bool,
}

/// A `duplicate_key` problem for each `Duplicate` among `outcomes`, its path the row's
/// number (`/12`) counted from `first_row` (the batch's first row in the run).
pub fn duplicate_problems(outcomes: &[Outcome], first_row: usize) -> Vec<Problem> {
    outcomes
        .iter()
        .enumerate()
        .filter(|(_, outcome)| **outcome == Outcome::Duplicate)
        .map(|(i, _)| {
            Problem::new(
                ProblemCode::DuplicateKey,
                format!("/{}", first_row + i),
                "this row's key was given before in this run: the first row with it is the one sent",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    fn run(state: &mut LoadState, rows: &[(&str, &str)]) -> Vec<Outcome> {
        state.start_run();
        let outcomes = state.plan(rows.iter().map(|(k, r)| (k.as_bytes(), r.as_bytes())));
        for ((key, record), outcome) in rows.iter().zip(&outcomes) {
            if outcome.should_send() {
                state.mark_sent(key_hash(key.as_bytes()), record_checksum(record.as_bytes()));
            }
        }
        outcomes
    }

    #[test]
    fn a_second_run_sends_only_what_changed() {
        let mut state = LoadState::new();
        assert_eq!(run(&mut state, &[("1", "{\"a\":1}"), ("2", "{\"a\":2}"), ("3", "{}")]), [New, New, New]);
        assert_eq!(state.removed().len(), 0);
        assert_eq!(run(&mut state, &[("2", "{\"a\":2}"), ("1", "{\"a\":9}"), ("4", "{}")]), [Unchanged, Changed, New]);
        assert_eq!(state.removed(), [key_hash(b"3")]);
        assert!(state.forget(key_hash(b"3")));
        assert!(!state.forget(key_hash(b"3")));
        assert_eq!(state.len(), 3);
    }

    #[test]
    fn a_failed_send_is_retried_even_when_unchanged() {
        let mut state = LoadState::new();
        run(&mut state, &[("1", "r1"), ("2", "r2")]);
        state.start_run();
        assert_eq!(state.plan_row(b"1", b"r1-new"), Changed);
        assert!(state.mark_failed(key_hash(b"1")));
        assert!(!state.mark_failed(key_hash(b"unknown")));
        let status = state.status(key_hash(b"1")).unwrap();
        assert_eq!((status.checksum, status.failed), (record_checksum(b"r1"), true), "the old checksum is kept");
        assert_eq!(run(&mut state, &[("1", "r1"), ("2", "r2")]), [Retry, Unchanged]);
        assert_eq!(run(&mut state, &[("1", "r1"), ("2", "r2")]), [Unchanged, Unchanged]);
    }

    #[test]
    fn batches_plan_and_mark_as_rows_one_by_one_do() {
        let rows: Vec<(String, String)> = (0..300).map(|i| (format!("k{}", i % 250), format!("r{}", i % 7))).collect();
        let (mut batched, mut single) = (LoadState::new(), LoadState::new());
        for round in 0..3 {
            batched.start_run();
            single.start_run();
            let subset = &rows[round * 20..];
            let outcomes = batched.plan(subset.iter().map(|(k, r)| (k.as_bytes(), r.as_bytes())));
            let one_by_one: Vec<Outcome> =
                subset.iter().map(|(k, r)| single.plan_row(k.as_bytes(), r.as_bytes())).collect();
            assert_eq!(outcomes, one_by_one);
            let sent = subset.iter().step_by(2);
            batched.mark_all_sent(&row_hashes(sent.clone().map(|(k, r)| (k.as_bytes(), r.as_bytes()))));
            for (k, r) in sent {
                single.mark_sent(key_hash(k.as_bytes()), record_checksum(r.as_bytes()));
            }
            assert_eq!(batched.to_bytes(), single.to_bytes());
        }
    }

    #[test]
    fn a_new_key_never_confirmed_is_sent_again() {
        let mut state = LoadState::new();
        assert_eq!(state.plan_row(b"k", b"r"), New);
        state.start_run();
        assert_eq!(state.plan_row(b"k", b"r"), Retry);
    }

    #[test]
    fn the_first_row_of_a_key_is_planned_and_later_ones_reported() {
        let mut state = LoadState::new();
        let outcomes = run(&mut state, &[("a", "1"), ("b", "1"), ("a", "2"), ("a", "1")]);
        assert_eq!(outcomes, [New, New, Duplicate, Duplicate]);
        assert_eq!(state.status(key_hash(b"a")).unwrap().checksum, record_checksum(b"1"));
        let problems = duplicate_problems(&outcomes, 100);
        assert_eq!(problems.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(), ["/102", "/103"]);
        assert!(problems.iter().all(|p| p.code == ProblemCode::DuplicateKey));
        // Across batches of one run too; a new run forgets.
        state.start_run();
        assert_eq!(state.plan_row(b"a", b"1"), Unchanged);
        assert_eq!(state.plan_row(b"a", b"1"), Duplicate);
    }

    #[test]
    fn a_forgotten_key_that_comes_back_is_new() {
        let mut state = LoadState::new();
        run(&mut state, &[("a", "1"), ("b", "1")]);
        assert_eq!(run(&mut state, &[("b", "1")]), [Unchanged]);
        assert!(state.forget(key_hash(b"a")));
        assert!(!state.forget(key_hash(b"a")));
        assert!(!state.mark_failed(key_hash(b"a")));
        assert_eq!((state.len(), state.removed(), state.status(key_hash(b"a"))), (1, vec![], None));
        // Forgetting a key planned in this run clears its row too.
        assert!(state.forget(key_hash(b"b")));
        assert_eq!(state.plan_row(b"b", b"1"), New);
        state.mark_sent(key_hash(b"a"), record_checksum(b"2"));
        assert_eq!(state.len(), 2);
        assert_eq!(state.removed(), [key_hash(b"a")], "sent, but not planned in this run");
        assert_eq!(run(&mut state, &[("a", "2"), ("b", "1")]), [Unchanged, Retry]);
        assert!(state.forget(key_hash(b"a")));
        let loaded = LoadState::from_bytes(&state.to_bytes()).unwrap();
        assert_eq!((loaded.len(), loaded.stored()), (1, 1), "the snapshot leaves forgotten keys out");
    }

    #[test]
    fn removed_lists_every_unseen_key_across_seen_words() {
        let mut state = LoadState::new();
        let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
        run(&mut state, &keys.iter().map(|k| (k.as_str(), "r")).collect::<Vec<_>>());
        let kept: Vec<(&str, &str)> = keys.iter().filter(|k| k.len() % 2 == 0).map(|k| (k.as_str(), "r")).collect();
        run(&mut state, &kept);
        let mut removed = state.removed();
        let mut expected: Vec<u64> = keys.iter().filter(|k| k.len() % 2 == 1).map(|k| key_hash(k.as_bytes())).collect();
        removed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(removed, expected);
        for hash in expected {
            assert!(state.forget(hash));
        }
        assert_eq!(state.removed().len(), 0);
        assert_eq!(state.len(), kept.len());
    }

    #[test]
    fn codes_are_stable() {
        for (code, outcome) in Outcome::ALL.iter().enumerate() {
            assert_eq!(outcome.code() as usize, code);
            assert_eq!(Outcome::from_code(code as u8), Some(*outcome));
        }
        assert_eq!(Outcome::from_code(5), None);
        assert_eq!(Outcome::ALL.map(Outcome::as_str), ["new", "changed", "unchanged", "retry", "duplicate"]);
    }
}
