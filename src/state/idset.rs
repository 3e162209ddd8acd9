//! An exact set of distinct ids, compact enough for millions.
//!
//! Ids live back to back in one byte arena, each in its compact encoding
//! ([`super::encode`]) behind a one-byte (usually) length; an open-addressing table of
//! u32 entry numbers finds them. A 36-character UUID member costs about 30 bytes (17 in
//! the arena, 4 for its entry, ~8 of table), where a JavaScript `Set` of strings costs
//! over 100. Membership is exact: lookups compare the stored bytes, the hash only
//! chooses where to look.
//!
//! The hash is SipHash-1-3 keyed with a seed (random per state in JavaScript, see
//! `pkg/api.js`), so a sender cannot craft ids that all land in one place. Removed
//! entries leave their bytes in the arena until [`IdSet::compact`].

use super::encode::{decode_into, encode_into};
use siphasher::sip::SipHasher13;
use std::hash::Hasher;

const EMPTY: u32 = 0;
const TOMBSTONE: u32 = u32::MAX;
/// An entry whose id was removed.
const DEAD: u32 = u32::MAX;

#[derive(Clone)]
pub struct IdSet {
    /// Encoded ids, each as `varint length, bytes`.
    arena: Vec<u8>,
    /// Arena offset of each entry's length; `DEAD` once removed.
    entries: Vec<u32>,
    /// `EMPTY`, `TOMBSTONE`, or entry number + 1.
    table: Vec<u32>,
    keys: (u64, u64),
    live: usize,
    tombstones: usize,
    /// Scratch for encoding the id being looked up.
    scratch: Vec<u8>,
}

impl IdSet {
    pub fn with_seed(seed: u64) -> Self {
        IdSet {
            arena: Vec::new(),
            entries: Vec::new(),
            table: vec![EMPTY; 16],
            keys: (seed, seed.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15),
            live: 0,
            tombstones: 0,
            scratch: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Entry numbers handed out so far, removed ones included (bit sets indexed by entry
    /// need this many bits).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Bytes held: arena, entries and table (what a cohort costs in memory).
    pub fn memory_bytes(&self) -> usize {
        self.arena.capacity() + 4 * self.entries.capacity() + 4 * self.table.capacity() + self.scratch.capacity()
    }

    fn hash(&self, encoded: &[u8]) -> u64 {
        let mut h = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        h.write(encoded);
        h.finish()
    }

    /// The encoded bytes of a live entry.
    fn encoded(&self, entry: usize) -> Option<&[u8]> {
        let offset = *self.entries.get(entry)?;
        if offset == DEAD {
            return None;
        }
        let (len, start) = read_varint(&self.arena, offset as usize)?;
        self.arena.get(start..start + len as usize)
    }

    /// Where `encoded` sits in the table (`Ok`), or the slot to put it in (`Err`).
    fn probe(&self, encoded: &[u8]) -> Result<usize, usize> {
        let mask = self.table.len() - 1;
        let mut slot = (self.hash(encoded) as usize) & mask;
        let mut free = None;
        loop {
            match self.table[slot] {
                EMPTY => return Err(free.unwrap_or(slot)),
                TOMBSTONE => {
                    free.get_or_insert(slot);
                }
                held => {
                    if self.encoded(held as usize - 1) == Some(encoded) {
                        return Ok(slot);
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The entry number of `id`, if present.
    pub fn find(&self, id: &[u8]) -> Option<usize> {
        let mut encoded = Vec::with_capacity(id.len() + 1);
        encode_into(id, &mut encoded);
        self.probe(&encoded).ok().map(|slot| self.table[slot] as usize - 1)
    }

    pub fn contains(&self, id: &[u8]) -> bool {
        self.find(id).is_some()
    }

    /// Adds `id`; returns its entry number and whether it was new.
    pub fn insert(&mut self, id: &[u8]) -> (usize, bool) {
        let mut encoded = std::mem::take(&mut self.scratch);
        encoded.clear();
        encode_into(id, &mut encoded);
        let result = match self.probe(&encoded) {
            Ok(slot) => (self.table[slot] as usize - 1, false),
            Err(_) => {
                self.grow_if_needed();
                // The table may have been rebuilt: find the free slot again.
                let slot = self.probe(&encoded).err().unwrap_or(0);
                let entry = self.push_entry(&encoded);
                if self.table[slot] == TOMBSTONE {
                    self.tombstones -= 1;
                }
                self.table[slot] = entry as u32 + 1;
                self.live += 1;
                (entry, true)
            }
        };
        self.scratch = encoded;
        result
    }

    fn push_entry(&mut self, encoded: &[u8]) -> usize {
        let offset = self.arena.len() as u32;
        write_varint(&mut self.arena, encoded.len() as u64);
        self.arena.extend_from_slice(encoded);
        self.entries.push(offset);
        self.entries.len() - 1
    }

    /// Removes `id`; returns its (now dead) entry number when it was present.
    pub fn remove(&mut self, id: &[u8]) -> Option<usize> {
        let mut encoded = std::mem::take(&mut self.scratch);
        encoded.clear();
        encode_into(id, &mut encoded);
        let found = self.probe(&encoded).ok();
        self.scratch = encoded;
        let slot = found?;
        Some(self.remove_slot(slot))
    }

    fn remove_slot(&mut self, slot: usize) -> usize {
        let entry = self.table[slot] as usize - 1;
        self.table[slot] = TOMBSTONE;
        self.tombstones += 1;
        self.entries[entry] = DEAD;
        self.live -= 1;
        entry
    }

    /// Removes the live entries for which `keep` says false; returns their ids.
    pub fn remove_where(&mut self, mut keep: impl FnMut(usize) -> bool) -> Vec<Vec<u8>> {
        let mut removed = Vec::new();
        for entry in 0..self.entries.len() {
            if self.entries[entry] == DEAD || keep(entry) {
                continue;
            }
            let Some(encoded) = self.encoded(entry).map(<[u8]>::to_vec) else { continue };
            if let Ok(slot) = self.probe(&encoded) {
                self.remove_slot(slot);
                let mut id = Vec::new();
                decode_into(&encoded, &mut id);
                removed.push(id);
            }
        }
        removed
    }

    /// The id of a live entry.
    pub fn id(&self, entry: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        decode_into(self.encoded(entry)?, &mut out).then_some(out)
    }

    /// Live entries in entry order: `(entry number, encoded id)`.
    pub fn entries(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        (0..self.entries.len()).filter_map(|entry| self.encoded(entry).map(|encoded| (entry, encoded)))
    }

    /// Live ids, decoded, in entry order.
    pub fn ids(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        self.entries().map(|(_, encoded)| {
            let mut id = Vec::new();
            decode_into(encoded, &mut id);
            id
        })
    }

    /// Adds an already encoded id (from a snapshot); false when it is already there.
    pub fn insert_encoded(&mut self, encoded: &[u8]) -> bool {
        if self.probe(encoded).is_ok() {
            return false;
        }
        self.grow_if_needed();
        let slot = self.probe(encoded).err().unwrap_or(0);
        let entry = self.push_entry(encoded);
        if self.table[slot] == TOMBSTONE {
            self.tombstones -= 1;
        }
        self.table[slot] = entry as u32 + 1;
        self.live += 1;
        true
    }

    /// Keeps the table under 70% full (tombstones count: they lengthen probes).
    fn grow_if_needed(&mut self) {
        if (self.live + self.tombstones + 1) * 10 <= self.table.len() * 7 {
            return;
        }
        let wanted = ((self.live + 1) * 2).next_power_of_two().max(16);
        self.rebuild_table(wanted);
    }

    fn rebuild_table(&mut self, capacity: usize) {
        self.table = vec![EMPTY; capacity];
        self.tombstones = 0;
        let mask = capacity - 1;
        for entry in 0..self.entries.len() {
            let Some(encoded) = self.encoded(entry) else { continue };
            let mut slot = (self.hash(encoded) as usize) & mask;
            while self.table[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            self.table[slot] = entry as u32 + 1;
        }
    }

    /// Whether removed entries hold enough of the arena to be worth reclaiming.
    pub fn wants_compaction(&self) -> bool {
        let dead = self.entries.len() - self.live;
        dead > 1024 && dead > self.live
    }

    /// Drops removed entries' bytes; returns, for each old entry number, its new one
    /// (`None` for removed entries), so bit sets over entries can follow.
    pub fn compact(&mut self) -> Vec<Option<usize>> {
        let mut remap = vec![None; self.entries.len()];
        let mut arena = Vec::with_capacity(self.arena.len() / 2);
        let mut entries = Vec::with_capacity(self.live);
        for (entry, slot) in remap.iter_mut().enumerate() {
            let Some(encoded) = self.encoded(entry) else { continue };
            *slot = Some(entries.len());
            entries.push(arena.len() as u32);
            write_varint(&mut arena, encoded.len() as u64);
            arena.extend_from_slice(encoded);
        }
        self.arena = arena;
        self.entries = entries;
        let capacity = ((self.live + 1) * 2).next_power_of_two().max(16);
        self.rebuild_table(capacity);
        remap
    }
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
        assert_eq!(set.insert(b"a"), (0, true));
        assert_eq!(set.insert(b"a"), (0, false));
        assert_eq!(set.insert(b"5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b").1, true);
        assert!(set.contains(b"5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b"));
        assert!(!set.contains(b"5F1C0B7E-0001-4A8E-9C1D-8A7E6F5D4C3B"), "case matters: ids are exact");
        assert_eq!(set.remove(b"a"), Some(0));
        assert_eq!(set.remove(b"a"), None);
        assert_eq!(set.len(), 1);
        assert_eq!(set.insert(b"a"), (2, true), "a new entry after removal");
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
        fn behaves_like_a_hash_set(ops in proptest::collection::vec((any::<bool>(), "[a-c]{0,3}|[0-9]{1,3}"), 0..300), seed in any::<u64>()) {
            let mut ours = IdSet::with_seed(seed);
            let mut theirs = HashSet::new();
            for (add, id) in &ops {
                if *add {
                    prop_assert_eq!(ours.insert(id.as_bytes()).1, theirs.insert(id.clone()));
                } else {
                    prop_assert_eq!(ours.remove(id.as_bytes()).is_some(), theirs.remove(id));
                }
                prop_assert_eq!(ours.len(), theirs.len());
            }
            let mut listed: Vec<String> = ours.ids().map(|id| String::from_utf8(id).unwrap()).collect();
            listed.sort();
            let mut expected: Vec<String> = theirs.iter().cloned().collect();
            expected.sort();
            prop_assert_eq!(&listed, &expected);
            let remap = ours.compact();
            prop_assert_eq!(remap.iter().filter(|r| r.is_some()).count(), expected.len());
            for id in &expected {
                prop_assert!(ours.contains(id.as_bytes()));
            }
        }
    }
}
