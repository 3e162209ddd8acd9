//! What the loader sent last time, in about 23 bytes a key: a map from a key's 64-bit hash
//! to a 63-bit checksum of the record sent for it, plus one status bit, and a bit per
//! key saying whether this run has seen it.
//!
//! Layout, and why:
//! - Entries sit back to back, two words each (key hash, value), in chunks of
//!   [`CHUNK_ENTRIES`] that never move once made. Dense, so no slot is paid for twice: a
//!   table holding the 16-byte entries in its own slots would, at a load of 0.75 or less,
//!   cost 21–43 bytes a key (27 at 10M keys). Chunks rather than one growing `Vec`:
//!   wasm memory never shrinks, and a `Vec` that grows copies itself, old and new alive
//!   together (2.1 times the entries' memory for a moment when it grew by an eighth),
//!   a peak the wasm memory then keeps for good.
//! - An open-addressing index of `u32` slots, linear probing, at most 3/4 full, grown by
//!   half when it would pass that. A slot holds the entry number + 1 (0 is empty) in its low
//!   bits and, in the bits the entry numbers do not need (8 at 10M keys), bits of the key
//!   hash: most probes that pass other keys are rejected without reading their entries,
//!   which at 10M keys are a cache miss each (this halved the time of a plan). A key's
//!   home slot is `(hash >> 32) * slots >> 32`: any slot count works (so a loaded state
//!   is sized to its keys, not to a power of two) and homes rise with the hash, which
//!   lets a snapshot be written in hash order from the index and read back in one
//!   sequential pass (`super::snapshot`).
//! - The seen bits are one `u64` per 64 entries, cleared when a run starts.
//! - A forgotten key keeps its entry and slot, its value set to [`FORGOTTEN`], until the
//!   state is saved (the snapshot leaves it out) or the key comes back. Removing it for
//!   real would mean moving entries in the index and in storage: more code in a wasm
//!   module with a tight size budget, to reclaim memory that the next load reclaims.
//!
//! Both hashes are SipHash-1-3 under constant keys, so they are the same on every run and
//! every host (a state saved by one machine is read by another). They are not secret:
//! the keys and records are the loader's own rows, not input from a sender who could aim
//! them at one slot. Two keys share a 64-bit hash with a chance of about n²/2⁶⁵ (3·10⁻⁶
//! at 10M keys): the later would be planned as a duplicate of the first.

use siphasher::sip::SipHasher13;
use std::hash::Hasher;

/// The key hash's SipHash keys: "load-key" / "cohort-s".
const KEY_KEYS: (u64, u64) = (0x6c6f_6164_2d6b_6579, 0x636f_686f_7274_2d73);
/// The record checksum's: "load-rec" / "checksum".
const RECORD_KEYS: (u64, u64) = (0x6c6f_6164_2d72_6563, 0x6368_6563_6b73_756d);

/// The status bit of a value: set when the last send of the key did not succeed (or has
/// not been confirmed yet), so the next run sends it again.
pub(super) const FAILED: u64 = 1 << 63;
/// The checksum bits of a value.
pub(super) const CHECKSUM: u64 = FAILED - 1;
/// The value of a forgotten key: no stored checksum is all ones ([`checksum_bits`]).
pub(super) const FORGOTTEN: u64 = u64::MAX;

/// The bits a checksum is stored as: its low 63, all ones taken as all ones but the last
/// (so that no value is [`FORGOTTEN`]; as if two records collided, one time in 2⁶³).
pub(super) fn checksum_bits(checksum: u64) -> u64 {
    (checksum & CHECKSUM).min(CHECKSUM - 1)
}

/// Entries a chunk holds (1 MiB of them).
const CHUNK_ENTRIES: usize = 1 << 16;

/// How many lookups [`LoadState::warm`] starts at once.
pub(super) const WARM_GROUP: usize = 64;

/// The fewest index slots.
const MIN_SLOTS: usize = 16;

/// The most keys one state holds: the index's slots must stay countable in a `u32` and
/// its homes computable in a `u64` product. Far past what memory allows (48 GiB of
/// entries; wasm has 4 GiB).
pub const MAX_KEYS: usize = 3 << 30;

/// The 64-bit hash a key is known by.
pub fn key_hash(key: &[u8]) -> u64 {
    sip(KEY_KEYS, &[key])
}

/// The 63-bit checksum of a record's bytes (its canonical JSON text): what tells a
/// changed record from the one sent last time.
pub fn record_checksum(record: &[u8]) -> u64 {
    sip(RECORD_KEYS, &[record]) >> 1
}

/// SipHash-1-3 under `keys` of `parts` one after another: the one body every hash of the
/// loader goes through (a copy inlined at each use cost ~400 bytes of wasm apiece).
#[inline(never)]
pub(super) fn sip(keys: (u64, u64), parts: &[&[u8]]) -> u64 {
    let mut h = SipHasher13::new_with_keys(keys.0, keys.1);
    for part in parts {
        h.write(part);
    }
    h.finish()
}

#[derive(Clone, Default)]
pub struct LoadState {
    /// Entries, two words each: key hash, then value (checksum | [`FAILED`] or
    /// [`FORGOTTEN`]), [`CHUNK_ENTRIES`] a chunk, each chunk's capacity exact.
    chunks: Vec<Vec<u64>>,
    stored: usize,
    forgotten: usize,
    /// Slot → fingerprint bits (`fingerprint`) | entry number + 1; 0 is empty.
    index: Vec<u32>,
    /// The bits of a slot that hold hash bits rather than the entry number.
    fingerprint: u32,
    /// One bit per entry: planned during this run.
    seen: Vec<u64>,
}

impl LoadState {
    /// An empty state.
    pub fn new() -> Self {
        let mut state = LoadState {
            chunks: Vec::new(),
            stored: 0,
            forgotten: 0,
            index: Vec::new(),
            fingerprint: 0,
            seen: Vec::new(),
        };
        state.size_index_for(0);
        state
    }

    /// An empty index that holds `keys` keys and a quarter more before it grows (what a
    /// loaded state is given: a run may add keys without the index growing). Only for a
    /// count of keys that memory already holds (the entries'), never one read from bytes
    /// not yet checked: a snapshot's header could ask for billions.
    pub(super) fn size_index_for(&mut self, keys: usize) {
        // In u64: on wasm32 the product passes usize::MAX long before MAX_KEYS.
        let keys = keys.min(MAX_KEYS) as u64;
        let slots = ((keys + keys / 4) * 4).div_ceil(3).max(MIN_SLOTS as u64);
        self.resize_index(usize::try_from(slots).unwrap_or(usize::MAX));
    }

    /// An empty index of `slots` slots, its slots split between entry numbers up to the
    /// most it holds (3/4 of them) and hash bits.
    fn resize_index(&mut self, slots: usize) {
        self.index = vec![0; slots];
        let entry_bits = u64::BITS - (slots as u64 * 3 / 4).leading_zeros();
        self.fingerprint = u32::MAX.checked_shl(entry_bits).unwrap_or(0);
    }

    /// The entry a slot names, `None` when it is empty.
    #[inline]
    pub(super) fn slot_entry(&self, slot: usize) -> Option<usize> {
        (self.index[slot] & !self.fingerprint).checked_sub(1).map(|entry| entry as usize)
    }

    pub(super) fn slot_count(&self) -> usize {
        self.index.len()
    }

    /// How many keys are known.
    pub fn len(&self) -> usize {
        self.stored() - self.forgotten
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries are stored, forgotten ones included.
    pub(super) fn stored(&self) -> usize {
        self.stored
    }

    /// Bytes held by the entries, the index and the seen bits.
    pub fn memory_bytes(&self) -> usize {
        let entries: usize = self.chunks.iter().map(Vec::capacity).sum();
        8 * entries + 4 * self.index.capacity() + 8 * self.seen.capacity()
    }

    /// The slot where `hash`'s probe starts (see the module doc).
    #[inline]
    fn home(&self, hash: u64) -> usize {
        (((hash >> 32) * self.index.len() as u64) >> 32) as usize
    }

    #[inline]
    fn next_slot(&self, slot: usize) -> usize {
        if slot + 1 == self.index.len() {
            0
        } else {
            slot + 1
        }
    }

    /// Entry `entry`'s (key hash, value).
    #[inline]
    pub(super) fn entry(&self, entry: usize) -> (u64, u64) {
        let chunk = &self.chunks[entry / CHUNK_ENTRIES];
        let at = 2 * (entry % CHUNK_ENTRIES);
        (chunk[at], chunk[at + 1])
    }

    #[inline]
    pub(super) fn set_value(&mut self, entry: usize, value: u64) {
        self.chunks[entry / CHUNK_ENTRIES][2 * (entry % CHUNK_ENTRIES) + 1] = value;
    }

    /// Every entry not forgotten, in storage order.
    #[cfg(test)]
    pub(super) fn entries(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        (0..self.stored()).map(|entry| self.entry(entry)).filter(|&(_, value)| value != FORGOTTEN)
    }

    /// The entry of `hash` and its value, if known (forgotten or not).
    #[inline(never)]
    pub(super) fn find(&self, hash: u64) -> Option<(usize, u64)> {
        let entry = self.slot_entry(self.find_slot(hash)?)?;
        Some((entry, self.entry(entry).1))
    }

    fn find_slot(&self, hash: u64) -> Option<usize> {
        let mut slot = self.home(hash);
        let wanted = hash as u32 & self.fingerprint;
        loop {
            match self.index[slot] {
                0 => return None,
                held if held & self.fingerprint == wanted
                    && self.entry((held & !self.fingerprint) as usize - 1).0 == hash =>
                {
                    return Some(slot)
                }
                _ => slot = self.next_slot(slot),
            }
        }
    }

    /// Reads the home slot of each row's key hash and the entry and seen bits it names, for
    /// no other use than to have them read: the rows' loads do not wait for one another,
    /// so the processor overlaps their cache misses (tens at a time) where lookups one
    /// after another wait for each in turn, and the lookups that follow find the lines in
    /// cache. Wasm has no prefetch instruction; plain loads whose results are kept do the
    /// same (a plan of 4M known keys in Node: 440 ns a row, against 720–880 without).
    pub(super) fn warm(&self, rows: &[(u64, u64)]) {
        let mut kept = 0;
        for &(hash, _) in rows {
            let held = self.index[self.home(hash)];
            if let Some(entry) = (held & !self.fingerprint).checked_sub(1) {
                kept ^= self.entry(entry as usize).1 ^ self.seen[entry as usize / 64];
            }
        }
        std::hint::black_box(kept);
    }

    /// Adds an entry for `hash`, which must not be known; returns its number.
    #[inline(never)]
    pub(super) fn insert_new(&mut self, hash: u64, value: u64) -> usize {
        assert!(self.stored() < MAX_KEYS, "a LoadState holds at most 3 << 30 keys");
        if (self.stored() + 1) * 4 > self.index.len() * 3 {
            self.grow_index();
        }
        let entry = self.push_entry(hash, value);
        self.place(hash, entry);
        entry
    }

    /// Appends an entry (unseen) to the storage only.
    pub(super) fn push_entry(&mut self, hash: u64, value: u64) -> usize {
        let entry = self.stored();
        if entry % CHUNK_ENTRIES == 0 {
            self.chunks.push(Vec::with_capacity(2 * CHUNK_ENTRIES));
        }
        let chunk = self.chunks.last_mut().expect("a chunk was just made if none had room");
        chunk.push(hash);
        chunk.push(value);
        self.stored += 1;
        if self.seen.len() * 64 < self.stored() {
            self.seen.push(0);
        }
        entry
    }

    /// Puts `entry` (of `hash`) in the first free slot from its home.
    #[inline]
    fn place(&mut self, hash: u64, entry: usize) {
        let mut slot = self.home(hash);
        while self.index[slot] != 0 {
            slot = self.next_slot(slot);
        }
        self.index[slot] = hash as u32 & self.fingerprint | (entry as u32 + 1);
    }

    /// Places every stored entry in the index (after a load: entries in hash order, so the
    /// index is written front to back).
    pub(super) fn place_all(&mut self) {
        for entry in 0..self.stored() {
            let hash = self.entry(entry).0;
            self.place(hash, entry);
        }
    }

    /// Makes the index half as large again and places every entry anew (no rehashing:
    /// hashes are stored). By a half rather than doubling: old and new are alive together
    /// while it grows, and the wasm memory keeps that peak (13.3 bytes a key, not 16).
    fn grow_index(&mut self) {
        self.resize_index(self.index.len() + self.index.len() / 2);
        self.place_all();
    }

    pub(super) fn is_seen(&self, entry: usize) -> bool {
        self.seen[entry / 64] >> (entry % 64) & 1 == 1
    }

    pub(super) fn set_seen(&mut self, entry: usize) {
        self.seen[entry / 64] |= 1 << (entry % 64);
    }

    /// Seen bits of entries `64 * word ..`.
    pub(super) fn seen_word(&self, word: usize) -> u64 {
        self.seen[word]
    }

    /// Forgets who was seen: a new run starts.
    pub(super) fn clear_seen(&mut self) {
        self.seen.fill(0);
    }

    /// Marks an entry forgotten (see the module doc).
    pub(super) fn forget_entry(&mut self, entry: usize) {
        self.set_value(entry, FORGOTTEN);
        self.seen[entry / 64] &= !(1 << (entry % 64));
        self.forgotten += 1;
    }

    /// Gives a forgotten entry a value again: its key is back.
    pub(super) fn revive(&mut self, entry: usize, value: u64) {
        self.set_value(entry, value);
        self.forgotten -= 1;
    }

    /// The home slot of `hash`, for the snapshot writer.
    pub(super) fn home_of(&self, hash: u64) -> usize {
        self.home(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry is found from its home, and every slot names a live entry once.
    fn check(state: &LoadState) {
        let mut named = vec![false; state.stored()];
        for slot in 0..state.slot_count() {
            if let Some(entry) = state.slot_entry(slot) {
                assert!(entry < state.stored() && !named[entry]);
                named[entry] = true;
            }
        }
        assert!(named.iter().all(|&n| n));
        for entry in 0..state.stored() {
            assert_eq!(state.find(state.entry(entry).0).map(|(found, _)| found), Some(entry));
        }
    }

    #[test]
    fn hashes_are_stable_across_runs_and_hosts() {
        // Fixed values: a change here makes every saved state send everything again.
        assert_eq!(key_hash(b"user-1"), key_hash(b"user-1"));
        assert_ne!(key_hash(b"user-1"), key_hash(b"user-2"));
        assert_eq!(record_checksum(b"{}") >> 63, 0, "63 bits");
        assert_eq!(key_hash(b""), 0xffdf_b6ad_ae98_7f0b);
        assert_eq!(record_checksum(b"{}"), 0x35e2_d1ed_20fd_fe9d);
    }

    #[test]
    fn inserts_grow_the_index_and_every_entry_stays_reachable() {
        let mut state = LoadState::new();
        for i in 0..5000u64 {
            let hash = key_hash(&i.to_le_bytes());
            assert_eq!(state.find(hash), None);
            assert_eq!(state.insert_new(hash, i), i as usize);
        }
        check(&state);
        assert!(state.slot_count() * 3 >= state.len() * 4);
        for i in 0..5000u64 {
            assert_eq!(state.find(key_hash(&i.to_le_bytes())).map(|(_, value)| value), Some(i));
        }
    }

    #[test]
    fn homes_at_the_end_wrap_to_the_first_slots() {
        let mut state = LoadState::new();
        let top: Vec<u64> = (0..10).map(|i| u64::MAX - i).collect();
        for &hash in &top {
            state.insert_new(hash, 0);
        }
        state.insert_new(0, 0);
        check(&state);
        assert!(state.slot_entry(0).is_some_and(|entry| state.entry(entry).0 != 0), "slot 0 holds a wrapped entry");
    }

    #[test]
    fn equal_fingerprints_are_told_apart_by_the_whole_hash() {
        // One low half for all: every slot's hash bits match, only the entries differ.
        let mut state = LoadState::new();
        let hashes: Vec<u64> = (0..300u64).map(|i| i << 52 | 0xABCD_1234).collect();
        for (i, &hash) in hashes.iter().enumerate() {
            assert_eq!(state.find(hash), None);
            state.insert_new(hash, i as u64);
        }
        check(&state);
        for (i, &hash) in hashes.iter().enumerate() {
            assert_eq!(state.find(hash).map(|(_, value)| value), Some(i as u64));
        }
    }

    #[test]
    fn forgotten_entries_keep_their_place_and_come_back() {
        let mut state = LoadState::new();
        let (a, b) = (key_hash(b"a"), key_hash(b"b"));
        state.insert_new(a, 1);
        state.insert_new(b, 2);
        state.set_seen(0);
        state.forget_entry(0);
        assert_eq!((state.len(), state.stored()), (1, 2));
        assert!(!state.is_seen(0), "a forgotten key is not seen");
        assert_eq!(state.find(a), Some((0, FORGOTTEN)));
        state.revive(0, 3);
        assert_eq!((state.len(), state.entry(0).1), (2, 3));
    }

    #[test]
    fn no_checksum_is_stored_as_the_forgotten_value() {
        assert_eq!(checksum_bits(u64::MAX), CHECKSUM - 1);
        assert_eq!(checksum_bits(CHECKSUM - 1), CHECKSUM - 1);
        assert_eq!(checksum_bits(5 | FAILED), 5);
        assert_ne!(checksum_bits(u64::MAX) | FAILED, FORGOTTEN);
    }

    #[test]
    fn entries_fill_chunks_that_never_move() {
        let mut state = LoadState::new();
        let mut first_chunk = None;
        for i in 0..(2 * CHUNK_ENTRIES as u64 + 5) {
            state.insert_new(key_hash(&i.to_le_bytes()), i);
            first_chunk.get_or_insert(state.chunks[0].as_ptr());
            assert_eq!(state.chunks.len(), (i as usize) / CHUNK_ENTRIES + 1);
            assert!(state.chunks.iter().all(|chunk| chunk.capacity() == 2 * CHUNK_ENTRIES));
        }
        assert_eq!(first_chunk, Some(state.chunks[0].as_ptr()), "the first chunk never moved");
        check(&state);
        assert_eq!(
            state.memory_bytes() - 4 * state.index.capacity() - 8 * state.seen.capacity(),
            3 * 16 * CHUNK_ENTRIES
        );
    }
}
