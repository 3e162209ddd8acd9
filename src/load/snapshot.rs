//! The binary snapshot of a [`LoadState`]: what the loader stores between runs (as chunks
//! of these bytes in SQLite or PostgreSQL), versioned, checksummed, and refused whole when
//! anything is wrong.
//!
//! Layout (integers little-endian):
//! ```text
//! "CSLD"  version:u8  count:u64
//! count × (key hash:u64, value:u64)     strictly increasing key hashes
//! checksum:u64                          SipHash-1-3 of everything before it
//! ```
//! A value is the record's 63-bit checksum, its top bit set when the last send failed.
//! Which keys the run saw is not kept: a loaded state is at the start of a run.
//!
//! Why this shape:
//! - Fixed-width entries in key-hash order: the index is written front to back while the
//!   entries are read, with no probing into random memory and no comparisons (order
//!   proves there are no repeats): 10M keys load in 0.46 s natively (half of it the
//!   first touch of 230 MB of fresh memory), 0.3 s in Node. The writer gets that order
//!   from the index itself (homes rise with the hash) and sorts only within each run of
//!   occupied slots. The bytes depend only on the keys and values, never on the history
//!   of the table.
//! - A 64-bit SipHash-1-3 rather than the CRC-32 of cohort snapshots: a 10M-key snapshot
//!   is 160 MB, which the byte-at-a-time CRC takes 0.47 s over and SipHash 0.05 s; and
//!   SipHash is linked already.

use super::state::{LoadState, FORGOTTEN, MAX_KEYS};
use siphasher::sip::SipHasher13;
use std::hash::Hasher;

const MAGIC: &[u8; 4] = b"CSLD";
const VERSION: u8 = 1;
/// Magic, version, count.
const HEADER: usize = 13;
/// The checksum's SipHash keys: "load-sna" / "pshot-ck".
const CHECKSUM_KEYS: (u64, u64) = (0x6c6f_6164_2d73_6e61, 0x7073_686f_742d_636b);

/// Why load state bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadSnapshotError {
    #[error("not a load state snapshot (bad magic bytes)")]
    BadMagic,
    #[error("load state snapshot version {0} is not supported (this build reads version 1)")]
    UnsupportedVersion(u8),
    #[error("the load state snapshot is truncated")]
    Truncated,
    #[error("the load state snapshot's checksum does not match: it is corrupt")]
    ChecksumMismatch,
    /// Bytes that passed the checksum but cannot be a state (what is wrong, as a sentence).
    #[error("{0}")]
    Corrupt(&'static str),
}

impl LoadSnapshotError {
    /// The stable code, the same for every variant (and as for cohort snapshots):
    /// `invalid_snapshot`.
    pub fn code(&self) -> &'static str {
        "invalid_snapshot"
    }

    /// The message without the version number in it (what the wasm binding throws:
    /// formatting the number would link `Display` code worth 200 bytes of gzipped wasm).
    pub fn reason(&self) -> &'static str {
        match self {
            LoadSnapshotError::BadMagic => "not a load state snapshot (bad magic bytes)",
            LoadSnapshotError::UnsupportedVersion(_) => {
                "the load state snapshot's version is not supported (this build reads version 1)"
            }
            LoadSnapshotError::Truncated => "the load state snapshot is truncated",
            LoadSnapshotError::ChecksumMismatch => "the load state snapshot's checksum does not match: it is corrupt",
            LoadSnapshotError::Corrupt(why) => why,
        }
    }
}

/// The checksum a snapshot ends with, of the bytes before it (for tests and the fuzz
/// checks, which write snapshots by hand).
#[cfg(any(test, feature = "fuzzing"))]
pub fn checksum(bytes: &[u8]) -> u64 {
    super::state::sip(CHECKSUM_KEYS, &[bytes])
}

/// The little-endian word at `at` (the caller has checked the length).
fn word(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

impl LoadState {
    /// The whole snapshot in one buffer ([`SnapshotWriter`]'s parts, joined).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = SnapshotWriter::new(self);
        let mut out = Vec::with_capacity(HEADER + 16 * self.len() + 8);
        loop {
            let part = writer.next_part(self, usize::MAX);
            if part.is_empty() {
                return out;
            }
            out.extend_from_slice(&part);
        }
    }

    /// Reads [`LoadState::to_bytes`]: a state at the start of a run, its index sized for
    /// its keys and a quarter more.
    pub fn from_bytes(bytes: &[u8]) -> Result<LoadState, LoadSnapshotError> {
        let mut reader = SnapshotReader::new();
        reader.push(bytes)?;
        reader.finish()
    }
}

/// Writes a state's snapshot a part at a time, so that a large state is never copied
/// whole (10M keys are 160 MB): each part holds whole runs of the index, the first the
/// header, the last the checksum. The state must not change between parts.
///
/// Entries come in increasing key-hash order, read off the index. Homes rise with the
/// hash, and an entry sits between its home and the next empty slot, so runs of occupied
/// slots hold hash ranges in slot order, each run sorted on its own. The one exception is
/// the run that wraps from the last slot to the first: the entries before the first empty
/// slot that are homed after their slot came round the end, and go with the last run.
pub struct SnapshotWriter {
    hasher: SipHasher13,
    /// The next slot to read; past the end once the last run is written.
    slot: usize,
    wrapped: Vec<(u64, u64)>,
    wrapping: bool,
    /// 0: the header is next; 1: runs; 2: the checksum was written.
    stage: u8,
}

impl SnapshotWriter {
    pub fn new(_state: &LoadState) -> SnapshotWriter {
        SnapshotWriter {
            hasher: SipHasher13::new_with_keys(CHECKSUM_KEYS.0, CHECKSUM_KEYS.1),
            slot: 0,
            wrapped: Vec::new(),
            wrapping: true,
            stage: 0,
        }
    }

    /// The next part, of about `max` bytes (whole runs: a little more, or the checksum's
    /// 8 bytes alone); empty once the snapshot is written.
    pub fn next_part(&mut self, state: &LoadState, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        if self.stage == 0 {
            out.extend_from_slice(MAGIC);
            out.push(VERSION);
            out.extend_from_slice(&(state.len() as u64).to_le_bytes());
            self.stage = 1;
        }
        if self.stage == 1 {
            self.write_runs(state, &mut out, max);
            absorb(&mut self.hasher, &out);
            if self.slot > state.slot_count() {
                out.extend_from_slice(&sum_of(&self.hasher).to_le_bytes());
                self.stage = 2;
            }
            return out;
        }
        out
    }

    /// Writes runs of the index from `self.slot` until `out` holds `max` bytes or the end
    /// (the loop stops only after a run has ended).
    fn write_runs(&mut self, state: &LoadState, out: &mut Vec<u8>, max: usize) {
        let slots = state.slot_count();
        let mut run = Vec::new();
        // One past the last slot counts as empty, ending the last run.
        while self.slot <= slots && out.len() < max {
            let slot = self.slot;
            self.slot += 1;
            let held = if slot < slots { state.slot_entry(slot).map(|entry| state.entry(entry)) } else { None };
            match held {
                Some(held) if self.wrapping && state.home_of(held.0) > slot => self.wrapped.push(held),
                Some(held) => run.push(held),
                None => {
                    self.wrapping = false;
                    if slot == slots {
                        run.append(&mut self.wrapped);
                    }
                    sort_run(&mut run);
                    for (hash, value) in run.drain(..) {
                        if value != FORGOTTEN {
                            out.extend_from_slice(&hash.to_le_bytes());
                            out.extend_from_slice(&value.to_le_bytes());
                        }
                    }
                }
            }
        }
        // `out` grows only as a run ends, so a part never ends inside one.
        debug_assert!(run.is_empty());
    }
}

/// Reads a snapshot a part at a time (however the bytes are cut), building the state as
/// it goes, so that the snapshot is never held whole: the last 8 bytes seen are held back
/// as the checksum until [`SnapshotReader::finish`]. A problem inside the entries is
/// reported only once the checksum has matched, so corrupt bytes read as corrupt whatever
/// the entries happen to say.
pub struct SnapshotReader {
    hasher: SipHasher13,
    /// Bytes not yet read: a header, an entry or the checksum in the making.
    pending: Vec<u8>,
    count: Option<u64>,
    state: LoadState,
    /// Entries given, whether taken or not.
    given: u64,
    last: Option<u64>,
    problem: Option<&'static str>,
}

impl Default for SnapshotReader {
    fn default() -> Self {
        SnapshotReader::new()
    }
}

impl SnapshotReader {
    pub fn new() -> SnapshotReader {
        SnapshotReader {
            hasher: SipHasher13::new_with_keys(CHECKSUM_KEYS.0, CHECKSUM_KEYS.1),
            pending: Vec::new(),
            count: None,
            state: LoadState::new(),
            given: 0,
            last: None,
            problem: None,
        }
    }

    /// Takes the next bytes of the snapshot. Refuses at once a header that is wrong.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), LoadSnapshotError> {
        self.pending.extend_from_slice(bytes);
        if self.count.is_none() {
            if self.pending.len() < 4 {
                return if MAGIC.starts_with(&self.pending) { Ok(()) } else { Err(LoadSnapshotError::BadMagic) };
            }
            if &self.pending[..4] != MAGIC {
                return Err(LoadSnapshotError::BadMagic);
            }
            match self.pending.get(4) {
                None => return Ok(()),
                Some(&VERSION) => {}
                Some(&version) => return Err(LoadSnapshotError::UnsupportedVersion(version)),
            }
            if self.pending.len() < HEADER {
                return Ok(());
            }
            // Nothing is sized by the count: it is checked only at the end, with the
            // checksum, and the index is sized then by the entries actually read.
            let count = word(&self.pending, 5);
            absorb(&mut self.hasher, &self.pending[..HEADER]);
            self.pending.drain(..HEADER);
            self.count = Some(count);
        }
        // Whole entries, keeping the last 8 bytes back: they may be the checksum.
        let whole = self.pending.len().saturating_sub(8) / 16 * 16;
        absorb(&mut self.hasher, &self.pending[..whole]);
        for at in (0..whole).step_by(16) {
            let (hash, value) = (word(&self.pending, at), word(&self.pending, at + 8));
            self.take(hash, value);
        }
        self.pending.drain(..whole);
        Ok(())
    }

    fn take(&mut self, hash: u64, value: u64) {
        self.given += 1;
        if self.problem.is_some() || self.given > self.count.unwrap_or(0) {
            return;
        }
        if self.last.is_some_and(|last| hash <= last) {
            self.problem = Some("the load state snapshot is corrupt: keys out of order or repeated");
        } else if value == FORGOTTEN {
            self.problem = Some("the load state snapshot is corrupt: a forgotten key");
        } else {
            self.last = Some(hash);
            self.state.push_entry(hash, value);
        }
    }

    /// Bytes held so far (the fuzz checks bound it by the bytes given).
    #[cfg(feature = "fuzzing")]
    pub fn memory_bytes(&self) -> usize {
        self.state.memory_bytes() + self.pending.capacity()
    }

    /// The state, once every byte is in and the checksum matches.
    pub fn finish(mut self) -> Result<LoadState, LoadSnapshotError> {
        if self.count.is_none() || self.pending.len() < 8 {
            return Err(LoadSnapshotError::Truncated);
        }
        let (rest, sum) = self.pending.split_at(self.pending.len() - 8);
        absorb(&mut self.hasher, rest);
        if sum_of(&self.hasher) != word(sum, 0) {
            return Err(LoadSnapshotError::ChecksumMismatch);
        }
        let count = self.count.unwrap_or(0);
        if !rest.is_empty() || self.given != count {
            self.problem = Some("the load state snapshot is corrupt: the key count does not match the entries");
        } else if count > MAX_KEYS as u64 {
            self.problem = Some("the load state snapshot is corrupt: more keys than a state holds");
        }
        if let Some(why) = self.problem {
            return Err(LoadSnapshotError::Corrupt(why));
        }
        self.state.size_index_for(self.state.stored());
        self.state.place_all();
        Ok(self.state)
    }
}

/// Adds bytes to a checksum. One body for every use: SipHash inlined at each cost ~400
/// bytes of gzipped wasm apiece.
#[inline(never)]
fn absorb(hasher: &mut SipHasher13, bytes: &[u8]) {
    hasher.write(bytes);
}

#[inline(never)]
fn sum_of(hasher: &SipHasher13) -> u64 {
    hasher.finish()
}

/// Sorts a run of entries by key hash. Insertion sort: runs are short (a few entries on
/// average at a load of 3/4 at most), and the standard sort cost 3 KB of wasm.
fn sort_run(run: &mut [(u64, u64)]) {
    for i in 1..run.len() {
        let mut j = i;
        while j > 0 && run[j - 1].0 > run[j].0 {
            run.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{key_hash, record_checksum, Outcome};

    fn state(keys: impl IntoIterator<Item = u64>) -> LoadState {
        let mut state = LoadState::new();
        for key in keys {
            let key = key.to_string();
            state.plan_row(key.as_bytes(), b"{}");
            if key.len() % 2 == 0 {
                state.mark_sent(key_hash(key.as_bytes()), record_checksum(key.as_bytes()));
            }
        }
        state
    }

    fn contents(state: &LoadState) -> Vec<(u64, u64)> {
        let mut all: Vec<(u64, u64)> = state.entries().collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn a_header_asking_for_billions_of_keys_sizes_nothing() {
        // The count is checked only with the checksum, at the end: a corrupt or hostile
        // header must not size an allocation (in wasm, one past memory traps).
        for count in [1u64 << 30, MAX_KEYS as u64, u64::MAX] {
            let mut header = MAGIC.to_vec();
            header.push(VERSION);
            header.extend_from_slice(&count.to_le_bytes());
            let mut reader = SnapshotReader::new();
            reader.push(&header).unwrap();
            reader.push(&[7; 40]).unwrap();
            // The two entries given take one chunk of storage (1 MiB); an index for the
            // count would take gigabytes.
            assert!(reader.state.memory_bytes() < 2 << 20, "{count}: {} bytes", reader.state.memory_bytes());
            assert_eq!(reader.finish().err(), Some(LoadSnapshotError::ChecksumMismatch));
        }
    }

    #[test]
    fn round_trips_in_hash_order_whatever_the_history() {
        for n in [0, 1, 11, 12, 13, 1000, 40_000] {
            let original = state(0..n);
            let bytes = original.to_bytes();
            assert_eq!(bytes.len(), HEADER + 16 * n as usize + 8);
            let loaded = LoadState::from_bytes(&bytes).unwrap();
            assert_eq!(contents(&loaded), contents(&original));
            assert_eq!(loaded.to_bytes(), bytes, "the same keys, the same bytes");
            // Built in another order, with keys added and removed on the way.
            let mut other = state((0..n + 50).rev());
            for key in n..n + 50 {
                assert!(other.forget(key_hash(key.to_string().as_bytes())));
            }
            assert_eq!(other.to_bytes(), bytes);
        }
    }

    #[test]
    fn a_loaded_state_starts_a_run_and_keeps_statuses() {
        let mut original = LoadState::new();
        original.plan_row(b"sent", b"r");
        original.mark_sent(key_hash(b"sent"), record_checksum(b"r"));
        original.plan_row(b"failed", b"r");
        let mut loaded = LoadState::from_bytes(&original.to_bytes()).unwrap();
        assert_eq!(loaded.removed().len(), 2, "nothing is seen yet");
        assert_eq!(loaded.plan_row(b"sent", b"r"), Outcome::Unchanged);
        assert_eq!(loaded.plan_row(b"failed", b"r"), Outcome::Retry);
        assert_eq!(loaded.plan_row(b"other", b"r"), Outcome::New);
    }

    #[test]
    fn entries_homed_at_the_end_wrap_and_still_come_out_sorted() {
        let mut original = LoadState::new();
        for hash in (0..12).map(|i| u64::MAX - i).chain(0..3) {
            original.mark_sent(hash, 1);
        }
        let bytes = original.to_bytes();
        let loaded = LoadState::from_bytes(&bytes).unwrap();
        assert_eq!(contents(&loaded), contents(&original));
    }

    #[test]
    fn bad_bytes_are_refused_with_a_reason() {
        let good = state(0..20).to_bytes();
        assert_eq!(LoadState::from_bytes(b"").err(), Some(LoadSnapshotError::Truncated));
        assert_eq!(LoadState::from_bytes(b"CSL").err(), Some(LoadSnapshotError::Truncated));
        assert_eq!(LoadState::from_bytes(b"CSST\x02").err(), Some(LoadSnapshotError::BadMagic));
        assert_eq!(LoadState::from_bytes(b"CSLD\x07").err(), Some(LoadSnapshotError::UnsupportedVersion(7)));
        assert_eq!(LoadState::from_bytes(&good[..20]).err(), Some(LoadSnapshotError::Truncated));
        assert_eq!(LoadState::from_bytes(&good[..good.len() - 1]).err(), Some(LoadSnapshotError::ChecksumMismatch));
        // Well checksummed, wrong inside.
        let resealed = |body: &[u8]| {
            let mut bytes = body.to_vec();
            let sum = checksum(&bytes);
            bytes.extend_from_slice(&sum.to_le_bytes());
            LoadState::from_bytes(&bytes).err()
        };
        let body = &good[..good.len() - 8];
        assert_eq!(
            resealed(&body[..body.len() - 16]),
            Some(LoadSnapshotError::Corrupt(
                "the load state snapshot is corrupt: the key count does not match the entries"
            ))
        );
        assert_eq!(
            resealed(&body[..body.len() - 1]),
            Some(LoadSnapshotError::Corrupt(
                "the load state snapshot is corrupt: the key count does not match the entries"
            ))
        );
        let mut swapped = body.to_vec();
        let (first, second) = swapped[HEADER..HEADER + 32].split_at_mut(16);
        first.swap_with_slice(second);
        assert_eq!(
            resealed(&swapped),
            Some(LoadSnapshotError::Corrupt("the load state snapshot is corrupt: keys out of order or repeated"))
        );
        let mut repeated = body.to_vec();
        repeated.copy_within(HEADER..HEADER + 16, HEADER + 16);
        assert_eq!(
            resealed(&repeated),
            Some(LoadSnapshotError::Corrupt("the load state snapshot is corrupt: keys out of order or repeated"))
        );
        let mut huge = b"CSLD\x01".to_vec();
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            resealed(&huge),
            Some(LoadSnapshotError::Corrupt(
                "the load state snapshot is corrupt: the key count does not match the entries"
            ))
        );
        assert_eq!(LoadSnapshotError::Truncated.code(), "invalid_snapshot");
        for error in [LoadSnapshotError::BadMagic, LoadSnapshotError::Truncated, LoadSnapshotError::ChecksumMismatch] {
            assert_eq!(error.reason(), error.to_string());
        }
        assert_eq!(
            LoadSnapshotError::UnsupportedVersion(7).to_string(),
            "load state snapshot version 7 is not supported (this build reads version 1)"
        );
    }

    /// The parts of a snapshot written at most `max` bytes apart (whole runs each).
    fn parts(state: &LoadState, max: usize) -> Vec<Vec<u8>> {
        let mut writer = SnapshotWriter::new(state);
        std::iter::from_fn(|| Some(writer.next_part(state, max)).filter(|part| !part.is_empty())).collect()
    }

    /// Reads `bytes` cut into pieces of `size` bytes.
    fn read_in_pieces(bytes: &[u8], size: usize) -> Result<LoadState, LoadSnapshotError> {
        let mut reader = SnapshotReader::new();
        for piece in bytes.chunks(size.max(1)) {
            reader.push(piece)?;
        }
        reader.finish()
    }

    #[test]
    fn written_in_parts_it_is_the_same_bytes_and_reads_back_from_any_cut() {
        for n in [0, 1, 13, 1000, 40_000] {
            let original = state(0..n);
            let whole = original.to_bytes();
            for max in [1, 16, 100, 4096, 1 << 20] {
                let parts = parts(&original, max);
                assert_eq!(parts.concat(), whole, "{n} keys in parts of {max}");
                if max >= 4096 && n >= 1000 {
                    assert!(parts.iter().all(|part| part.len() < max + 16 * 64), "parts of about {max} bytes");
                }
            }
            for size in [1, 7, 16, 17, 1000] {
                let loaded = read_in_pieces(&whole, size).unwrap();
                assert_eq!(contents(&loaded), contents(&original));
            }
        }
    }

    proptest::proptest! {
        /// Bytes cut anywhere read as they read whole: the same state or the same refusal.
        #[test]
        fn any_cut_reads_as_the_whole(
            n in 0u64..300,
            damage in proptest::option::of((0usize..5000, proptest::prelude::any::<u8>())),
            cut in 1usize..64,
        ) {
            let mut bytes = state(0..n).to_bytes();
            if let Some((at, byte)) = damage {
                let len = bytes.len();
                bytes[at % len] ^= byte | 1;
            }
            let whole = LoadState::from_bytes(&bytes).map(|state| contents(&state));
            let pieces = read_in_pieces(&bytes, cut).map(|state| contents(&state));
            proptest::prop_assert_eq!(whole, pieces);
        }

        /// Whatever entries sit behind a good header and checksum, loading refuses them
        /// or gives a state that writes the same bytes back.
        #[test]
        fn sealed_entries_load_exactly_or_are_refused(
            words in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..40),
            sorted in proptest::prelude::any::<bool>(),
            extra in 0usize..16,
        ) {
            let mut pairs: Vec<(u64, u64)> = words.chunks_exact(2).map(|w| (w[0], w[1])).collect();
            if sorted {
                pairs.sort_unstable();
            }
            let mut bytes = b"CSLD\x01".to_vec();
            bytes.extend_from_slice(&(pairs.len() as u64).to_le_bytes());
            for (hash, value) in &pairs {
                bytes.extend_from_slice(&hash.to_le_bytes());
                bytes.extend_from_slice(&value.to_le_bytes());
            }
            bytes.extend(std::iter::repeat(7).take(extra));
            let sum = checksum(&bytes);
            bytes.extend_from_slice(&sum.to_le_bytes());
            match LoadState::from_bytes(&bytes) {
                Ok(state) => proptest::prop_assert_eq!(state.to_bytes(), bytes),
                Err(error) => proptest::prop_assert!(matches!(error, LoadSnapshotError::Corrupt(_))),
            }
        }
    }
}
