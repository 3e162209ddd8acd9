//! An exact set of distinct ids, compact enough for millions.
//!
//! Ids live back to back in a byte arena, each record `flags, varint length, encoded
//! id` ([`super::encode`]: a UUID takes 17 bytes). The arena is a list of chunks of at
//! most 1 MiB rather than one `Vec`: wasm memory never shrinks, so the moment a single
//! `Vec` doubles (old and new copies alive together) would stay in a Worker's footprint
//! for good; chunks keep that overshoot under a megabyte. An open-addressing table of u64
//! slots finds them: the high half of a slot is the top 32 bits of the id's hash (a
//! fingerprint: most mismatches are rejected without touching the arena, and the table
//! can be rebuilt without hashing again), the low half the record's arena offset + 1.
//! A lookup costs two memory accesses: the slot, then the record. A 36-character UUID
//! member costs about 35 bytes, where a JavaScript `Set` of strings costs over 100.
//!
//! Membership is exact: a lookup compares the stored bytes; the hash only chooses where
//! to look. The hash is SipHash-1-3 keyed with a seed (random per state in JavaScript,
//! see `pkg/api.js`), so a sender cannot craft ids that all land in one place.
//!
//! A record is named by its arena offset ([`Entry`]), stable until [`IdSet::compact`].
//! Each record has a mark bit for the full-sync sweep; removed records stay in the arena,
//! flagged dead, until compaction.

use super::encode::{decode_into, encode_into};
use siphasher::sip::SipHasher13;
use std::hash::Hasher;

/// A record's place: chunk number in the high 12 bits, offset in the chunk below.
pub type Entry = u32;

const CHUNK_BITS: u32 = 20;
const CHUNK_BYTES: usize = 1 << CHUNK_BITS;
const OFFSET_MASK: u32 = (1 << CHUNK_BITS) - 1;

const EMPTY: u64 = 0;
const TOMBSTONE: u64 = u64::MAX;
const DEAD: u8 = 1;
const MARKED: u8 = 2;

#[derive(Clone)]
pub struct IdSet {
    chunks: Vec<Vec<u8>>,
    table: Vec<u64>,
    keys: (u64, u64),
    live: usize,
    tombstones: usize,
    records: usize,
    scratch: Vec<u8>,
}

impl IdSet {
    pub fn with_seed(seed: u64) -> Self {
        IdSet {
            chunks: Vec::new(),
            table: vec![EMPTY; 16],
            keys: (seed, seed.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15),
            live: 0,
            tombstones: 0,
            records: 0,
            scratch: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Bytes held: arena and table (what a cohort costs in memory).
    pub fn memory_bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>() + 8 * self.table.capacity() + self.scratch.capacity()
    }

    fn fingerprint(&self, encoded: &[u8]) -> u32 {
        let mut h = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        h.write(encoded);
        (h.finish() >> 32) as u32
    }

    /// `(flags, encoded id, offset after the record in its chunk)` of a record.
    fn record(&self, entry: Entry) -> Option<(u8, &[u8], usize)> {
        let chunk = self.chunks.get((entry >> CHUNK_BITS) as usize)?;
        let at = (entry & OFFSET_MASK) as usize;
        let flags = *chunk.get(at)?;
        let (len, start) = read_varint(chunk, at + 1)?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        Some((flags, chunk.get(start..end)?, end))
    }

    fn flags_mut(&mut self, entry: Entry) -> Option<&mut u8> {
        self.chunks.get_mut((entry >> CHUNK_BITS) as usize)?.get_mut((entry & OFFSET_MASK) as usize)
    }

    /// Appends a record; returns its entry.
    fn push_record(&mut self, encoded: &[u8]) -> Entry {
        let size = 1 + varint_len(encoded.len() as u64) + encoded.len();
        let fits = self.chunks.last().is_some_and(|c| c.len() + size <= CHUNK_BYTES);
        if !fits {
            // Chunks start small (a cohort of ten should not cost a megabyte) and grow
            // by doubling up to CHUNK_BYTES; a record bigger than that gets a chunk alone.
            let previous = self.chunks.last().map_or(0, Vec::capacity);
            self.chunks.push(Vec::with_capacity(size.max((previous * 2).clamp(4096, CHUNK_BYTES))));
        }
        let index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[index];
        let at = chunk.len();
        chunk.push(0);
        write_varint(chunk, encoded.len() as u64);
        chunk.extend_from_slice(encoded);
        (index as u32) << CHUNK_BITS | at as u32
    }

    /// Where `encoded` sits in the table (`Ok`), or the slot to put it in (`Err`).
    fn probe(&self, encoded: &[u8], fingerprint: u32) -> Result<usize, usize> {
        let mask = self.table.len() - 1;
        let mut slot = fingerprint as usize & mask;
        let mut free = None;
        loop {
            match self.table[slot] {
                EMPTY => return Err(free.unwrap_or(slot)),
                TOMBSTONE => {
                    free.get_or_insert(slot);
                }
                held if (held >> 32) as u32 == fingerprint => {
                    let entry = (held as u32).wrapping_sub(1);
                    if self.record(entry).is_some_and(|(_, stored, _)| stored == encoded) {
                        return Ok(slot);
                    }
                }
                _ => {}
            }
            slot = (slot + 1) & mask;
        }
    }

    fn entry_at(&self, slot: usize) -> Entry {
        (self.table[slot] as u32).wrapping_sub(1)
    }

    /// The record of `id`, if present.
    pub fn find(&self, id: &[u8]) -> Option<Entry> {
        let mut encoded = Vec::with_capacity(id.len() + 1);
        encode_into(id, &mut encoded);
        let fingerprint = self.fingerprint(&encoded);
        self.probe(&encoded, fingerprint).ok().map(|slot| self.entry_at(slot))
    }

    pub fn contains(&self, id: &[u8]) -> bool {
        self.find(id).is_some()
    }

    /// Adds `id`; returns its record and whether it was new.
    pub fn insert(&mut self, id: &[u8]) -> (Entry, bool) {
        let mut encoded = std::mem::take(&mut self.scratch);
        encoded.clear();
        encode_into(id, &mut encoded);
        let result = self.insert_encoded_inner(&encoded);
        self.scratch = encoded;
        result
    }

    fn insert_encoded_inner(&mut self, encoded: &[u8]) -> (Entry, bool) {
        let fingerprint = self.fingerprint(encoded);
        let slot = match self.probe(encoded, fingerprint) {
            Ok(slot) => return (self.entry_at(slot), false),
            Err(slot) if self.has_room() => slot,
            Err(_) => {
                self.grow();
                self.probe(encoded, fingerprint).err().unwrap_or(0)
            }
        };
        let entry = self.push_record(encoded);
        if self.table[slot] == TOMBSTONE {
            self.tombstones -= 1;
        }
        self.table[slot] = (fingerprint as u64) << 32 | (entry as u64 + 1);
        self.live += 1;
        self.records += 1;
        (entry, true)
    }

    /// Adds an already encoded id (from a snapshot); false when it is already there.
    pub fn insert_encoded(&mut self, encoded: &[u8]) -> Option<Entry> {
        match self.insert_encoded_inner(encoded) {
            (entry, true) => Some(entry),
            _ => None,
        }
    }

    /// Removes `id`; true when it was present.
    pub fn remove(&mut self, id: &[u8]) -> bool {
        let mut encoded = std::mem::take(&mut self.scratch);
        encoded.clear();
        encode_into(id, &mut encoded);
        let fingerprint = self.fingerprint(&encoded);
        let found = self.probe(&encoded, fingerprint).ok();
        self.scratch = encoded;
        match found {
            Some(slot) => {
                self.remove_slot(slot);
                true
            }
            None => false,
        }
    }

    fn remove_slot(&mut self, slot: usize) {
        let entry = self.entry_at(slot);
        self.table[slot] = TOMBSTONE;
        self.tombstones += 1;
        if let Some(flags) = self.flags_mut(entry) {
            *flags |= DEAD;
        }
        self.live -= 1;
    }

    pub fn mark(&mut self, entry: Entry) {
        if let Some(flags) = self.flags_mut(entry) {
            *flags |= MARKED;
        }
    }

    pub fn is_marked(&self, entry: Entry) -> bool {
        self.record(entry).is_some_and(|(flags, _, _)| flags & MARKED != 0)
    }

    /// Clears every mark (a new full sync starts).
    pub fn clear_marks(&mut self) {
        for chunk in &mut self.chunks {
            let mut at = 0;
            while at < chunk.len() {
                chunk[at] &= !MARKED;
                match read_varint(chunk, at + 1) {
                    Some((len, start)) => at = start.saturating_add(len as usize),
                    None => break,
                }
            }
        }
    }

    /// Every record, dead ones included, in the order written: `(entry, flags, encoded)`.
    fn records(&self) -> impl Iterator<Item = (Entry, u8, &[u8])> + '_ {
        let (mut chunk, mut at) = (0usize, 0usize);
        std::iter::from_fn(move || loop {
            let entry = (chunk as u32) << CHUNK_BITS | at as u32;
            match self.chunks.get(chunk) {
                None => return None,
                Some(c) if at >= c.len() => {
                    chunk += 1;
                    at = 0;
                }
                Some(_) => {
                    let (flags, encoded, next) = self.record(entry)?;
                    at = next;
                    return Some((entry, flags, encoded));
                }
            }
        })
    }

    /// Removes the live records that are not marked; returns their ids.
    pub fn remove_unmarked(&mut self) -> Vec<Vec<u8>> {
        let doomed: Vec<Entry> =
            self.records().filter(|(_, flags, _)| flags & (DEAD | MARKED) == 0).map(|(entry, _, _)| entry).collect();
        let mut removed = Vec::with_capacity(doomed.len());
        let mut encoded = Vec::new();
        for entry in doomed {
            let Some((_, stored, _)) = self.record(entry) else { continue };
            encoded.clear();
            encoded.extend_from_slice(stored);
            let fingerprint = self.fingerprint(&encoded);
            if let Ok(slot) = self.probe(&encoded, fingerprint) {
                self.remove_slot(slot);
            }
            let mut id = Vec::new();
            decode_into(&encoded, &mut id);
            removed.push(id);
        }
        removed
    }

    /// Live records in arena order (the order ids joined): `(entry, encoded id)`.
    pub fn entries(&self) -> impl Iterator<Item = (Entry, &[u8])> + '_ {
        self.records().filter(|(_, flags, _)| flags & DEAD == 0).map(|(entry, _, encoded)| (entry, encoded))
    }

    /// Live ids, decoded, in the order they joined.
    pub fn ids(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.entries().map(|(_, encoded)| {
            let mut id = Vec::new();
            decode_into(encoded, &mut id);
            id
        })
    }

    /// Whether another record fits under 70% load (tombstones count: they lengthen
    /// probes).
    fn has_room(&self) -> bool {
        (self.live + self.tombstones + 1) * 10 <= self.table.len() * 7
    }

    fn grow(&mut self) {
        let wanted = ((self.live + 1) * 2).next_power_of_two().max(16);
        self.rebuild_table(wanted);
    }

    /// Refills a table of `capacity` slots from the old one's live slots (their
    /// fingerprints place them: no hashing again).
    fn rebuild_table(&mut self, capacity: usize) {
        let old = std::mem::replace(&mut self.table, vec![EMPTY; capacity]);
        self.tombstones = 0;
        let mask = capacity - 1;
        for held in old.into_iter().filter(|&h| h != EMPTY && h != TOMBSTONE) {
            let mut slot = (held >> 32) as usize & mask;
            while self.table[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            self.table[slot] = held;
        }
    }

    /// Whether removed records hold enough of the arena to be worth reclaiming.
    pub fn wants_compaction(&self) -> bool {
        let dead = self.records - self.live;
        dead > 1024 && dead > self.live
    }

    /// Drops removed records' bytes. Entries change: callers holding them must not.
    pub fn compact(&mut self) {
        let old = std::mem::take(&mut self.chunks);
        let keys = self.keys;
        let mut fresh = IdSet::with_seed(0);
        fresh.keys = keys;
        let view = IdSet { chunks: old, ..IdSet::with_seed(0) };
        for (entry, encoded) in view.entries() {
            if let Some(new_entry) = fresh.insert_encoded(encoded) {
                if view.is_marked(entry) {
                    fresh.mark(new_entry);
                }
            }
        }
        fresh.scratch = std::mem::take(&mut self.scratch);
        *self = fresh;
    }
}

fn varint_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

pub fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A LEB128 value at `at`: `(value, offset after it)`; `None` when truncated or longer
/// than a u64.
pub fn read_varint(bytes: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        value |= ((byte & 0x7F) as u64) << shift;
        if byte & 0x80 == 0 {
            return Some((value, at));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn insert_find_remove() {
        let mut set = IdSet::with_seed(7);
        let (a, new) = set.insert(b"a");
        assert!(new);
        assert_eq!(set.insert(b"a"), (a, false));
        assert!(set.insert(b"5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b").1);
        assert!(set.contains(b"5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b"));
        assert!(!set.contains(b"5F1C0B7E-0001-4A8E-9C1D-8A7E6F5D4C3B"), "case matters: ids are exact");
        assert!(set.remove(b"a"));
        assert!(!set.remove(b"a"));
        assert_eq!(set.len(), 1);
        let (again, new) = set.insert(b"a");
        assert!(new && again != a, "a new record after removal");
        assert_eq!(set.ids().collect::<Vec<_>>(), [b"5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b".to_vec(), b"a".to_vec()]);
    }

    #[test]
    fn marks_and_the_sweep() {
        let mut set = IdSet::with_seed(3);
        for id in ["a", "b", "c", "d"] {
            set.insert(id.as_bytes());
        }
        for id in ["b", "d"] {
            let entry = set.find(id.as_bytes()).unwrap();
            set.mark(entry);
        }
        let mut gone = set.remove_unmarked();
        gone.sort();
        assert_eq!(gone, [b"a".to_vec(), b"c".to_vec()]);
        assert_eq!(set.len(), 2);
        set.clear_marks();
        assert!(!set.is_marked(set.find(b"b").unwrap()));
    }

    #[test]
    fn a_hundred_thousand_uuids_stay_compact() {
        let mut set = IdSet::with_seed(1);
        for i in 0..100_000u32 {
            set.insert(format!("{:08x}-0000-4000-8000-{:012x}", i, i as u64 * 7919).as_bytes());
        }
        assert_eq!(set.len(), 100_000);
        let per_member = set.memory_bytes() as f64 / 100_000.0;
        assert!(per_member < 48.0, "{per_member} bytes per member");
    }

    proptest! {
        #[test]
        fn behaves_like_a_hash_set(ops in proptest::collection::vec((0u8..3, "[a-c]{0,3}|[0-9]{1,3}"), 0..300), seed in any::<u64>()) {
            let mut ours = IdSet::with_seed(seed);
            let mut theirs = HashSet::new();
            for (op, id) in &ops {
                match op {
                    0 => prop_assert_eq!(ours.insert(id.as_bytes()).1, theirs.insert(id.clone())),
                    1 => prop_assert_eq!(ours.remove(id.as_bytes()), theirs.remove(id)),
                    _ => {
                        let before = ours.len();
                        ours.compact();
                        prop_assert_eq!(ours.len(), before);
                    }
                }
                prop_assert_eq!(ours.len(), theirs.len());
            }
            let mut listed: Vec<String> = ours.ids().map(|id| String::from_utf8(id).unwrap()).collect();
            listed.sort();
            let mut expected: Vec<String> = theirs.iter().cloned().collect();
            expected.sort();
            prop_assert_eq!(&listed, &expected);
            for id in &expected {
                prop_assert!(ours.contains(id.as_bytes()));
            }
        }
    }
}
