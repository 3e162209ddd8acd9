//! The binary snapshot of a [`CohortState`]: versioned, checksummed, and refused whole
//! when anything is wrong (never half-loaded).
//!
//! Layout (integers are LEB128 varints unless noted):
//! ```text
//! "CSST"  version:u8
//! member count, then each member: length, encoded id          (src/state/encode.rs)
//! full sync: 0 | 1, session id, total pages, page count, pages…, mark bits (one per
//!            member above, in that order, LSB first)
//! history: count, then each: session id, action:u8, replaced:u8, total pages,
//!          page count, pages…
//! crc32 (4 bytes, LE) of everything before it
//! ```
//! Strings are a length and UTF-8 bytes. A snapshot can be cut into chunks of at most a
//! given size ([`CohortState::to_chunks`]) for stores that cap value sizes (Durable
//! Objects: 2 MB); the chunks concatenated are the snapshot.

use super::crc;
use super::encode::is_canonical;
use super::idset::{read_varint, write_varint, IdSet};
use super::{CohortState, FullSync, PageSet, SeenSession, REMEMBERED_PAGES, REMEMBERED_SESSIONS};
use crate::payload::Action;
use std::collections::VecDeque;

const MAGIC: &[u8; 4] = b"CSST";
const VERSION: u8 = 1;

/// Why snapshot bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a cohort-sync snapshot (bad magic bytes)")]
    BadMagic,
    #[error("snapshot version {0} is not supported (this build reads version {VERSION})")]
    UnsupportedVersion(u8),
    #[error("the snapshot is truncated")]
    Truncated,
    #[error("the snapshot's checksum does not match: it is corrupt")]
    ChecksumMismatch,
    #[error("the snapshot is corrupt: {0}")]
    Corrupt(&'static str),
}

impl SnapshotError {
    /// The stable code, the same for every variant: `invalid_snapshot`.
    pub fn code(&self) -> &'static str {
        "invalid_snapshot"
    }
}

impl CohortState {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.members.memory_bytes() / 2 + 64);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        write_varint(&mut out, self.members.len() as u64);
        let mut marks = Vec::with_capacity(self.members.len().div_ceil(8));
        for (i, (entry, encoded)) in self.members.entries().enumerate() {
            write_varint(&mut out, encoded.len() as u64);
            out.extend_from_slice(encoded);
            if i % 8 == 0 {
                marks.push(0u8);
            }
            if self.members.is_marked(entry) {
                if let Some(last) = marks.last_mut() {
                    *last |= 1 << (i % 8);
                }
            }
        }
        match &self.full_sync {
            None => out.push(0),
            Some(sync) => {
                out.push(1);
                write_str(&mut out, &sync.session_id);
                write_varint(&mut out, sync.total_pages);
                write_pages(&mut out, &sync.pages);
                out.extend_from_slice(&marks);
            }
        }
        write_varint(&mut out, self.history.len() as u64);
        for seen in &self.history {
            write_str(&mut out, &seen.session_id);
            out.push(action_byte(seen.action));
            out.push(seen.replaced as u8);
            write_varint(&mut out, seen.total_pages);
            write_pages(&mut out, &seen.pages);
        }
        let crc = crc::crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// The snapshot cut into pieces of at most `chunk_bytes` (at least 1).
    pub fn to_chunks(&self, chunk_bytes: usize) -> Vec<Vec<u8>> {
        self.to_bytes().chunks(chunk_bytes.max(1)).map(<[u8]>::to_vec).collect()
    }

    pub fn from_chunks<C: AsRef<[u8]>>(chunks: &[C], seed: u64) -> Result<Self, SnapshotError> {
        let bytes: Vec<u8> = chunks.iter().flat_map(|c| c.as_ref().iter().copied()).collect();
        CohortState::from_bytes(&bytes, seed)
    }

    /// Reads a snapshot; `seed` keys the rebuilt hash table (it is not stored).
    pub fn from_bytes(bytes: &[u8], seed: u64) -> Result<Self, SnapshotError> {
        if bytes.len() < MAGIC.len() || &bytes[..4] != MAGIC {
            return Err(if MAGIC.starts_with(bytes) { SnapshotError::Truncated } else { SnapshotError::BadMagic });
        }
        let version = *bytes.get(4).ok_or(SnapshotError::Truncated)?;
        if version != VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        if bytes.len() < 4 + 1 + 4 {
            return Err(SnapshotError::Truncated);
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc::crc32(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
            return Err(SnapshotError::ChecksumMismatch);
        }
        let mut r = Cursor { bytes: body, at: 5 };
        let mut state = CohortState::with_seed(seed);
        let count = r.varint()?;
        // Every member takes at least two bytes: a count past that is corrupt (and must
        // not size an allocation).
        if count > (body.len() / 2) as u64 {
            return Err(SnapshotError::Corrupt("member count past the end"));
        }
        let mut entries = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let encoded = r.bytes()?;
            if !is_canonical(encoded) {
                return Err(SnapshotError::Corrupt("an id is not in its canonical encoding"));
            }
            // Ids come from JSON strings: text that is not UTF-8 was never an id.
            if encoded.first() == Some(&0) && std::str::from_utf8(&encoded[1..]).is_err() {
                return Err(SnapshotError::Corrupt("an id is not UTF-8"));
            }
            entries.push(state.members.insert_encoded(encoded).ok_or(SnapshotError::Corrupt("an id is listed twice"))?);
        }
        match r.byte()? {
            0 => {}
            1 => {
                let session_id = r.string()?;
                let total_pages = r.varint()?;
                // A full sync's pages are not capped like the history's (a sync of more
                // than REMEMBERED_PAGES pages is still under way): any count that fits.
                let pages = r.pages(body.len())?;
                // Every page of it arrived: it would have been swept, not kept.
                if pages.len() as u64 >= total_pages {
                    return Err(SnapshotError::Corrupt("the full sync under way has all its pages"));
                }
                let bits = r.take(entries.len().div_ceil(8))?;
                if entries.len() % 8 != 0 && bits.last().is_some_and(|&last| last >> (entries.len() % 8) != 0) {
                    return Err(SnapshotError::Corrupt("mark bits past the last member"));
                }
                for (i, &entry) in entries.iter().enumerate() {
                    if bits[i / 8] & (1 << (i % 8)) != 0 {
                        state.members.mark(entry);
                    }
                }
                state.full_sync = Some(FullSync { session_id, total_pages, pages });
            }
            _ => return Err(SnapshotError::Corrupt("bad full-sync flag")),
        }
        let sessions = r.varint()?;
        if sessions > REMEMBERED_SESSIONS as u64 {
            return Err(SnapshotError::Corrupt("too many remembered sessions"));
        }
        let mut history = VecDeque::new();
        for _ in 0..sessions {
            let session_id = r.string()?;
            let action = match r.byte()? {
                0 => Action::Members,
                1 => Action::AddMembers,
                2 => Action::RemoveMembers,
                _ => return Err(SnapshotError::Corrupt("bad action")),
            };
            let replaced = match r.byte()? {
                0 => false,
                // Only a full sync is ever replaced, and never the one under way.
                1 if action == Action::Members
                    && state.full_sync.as_ref().map_or(true, |sync| sync.session_id != session_id) =>
                {
                    true
                }
                _ => return Err(SnapshotError::Corrupt("bad flag")),
            };
            let total_pages = r.varint()?;
            let pages = r.pages(REMEMBERED_PAGES)?;
            // One entry per session and action (`remember` keeps it so).
            if history.iter().any(|s: &SeenSession| s.session_id == session_id && s.action == action) {
                return Err(SnapshotError::Corrupt("a session is remembered twice"));
            }
            history.push_back(SeenSession { session_id, action, total_pages, pages, replaced });
        }
        if r.at != body.len() {
            return Err(SnapshotError::Corrupt("bytes after the end"));
        }
        state.history = history;
        Ok(state)
    }
}

fn action_byte(action: Action) -> u8 {
    match action {
        Action::Members => 0,
        Action::AddMembers => 1,
        Action::RemoveMembers => 2,
    }
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    write_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn write_pages(out: &mut Vec<u8>, pages: &PageSet) {
    write_varint(out, pages.len() as u64);
    for &page in pages.iter() {
        write_varint(out, page);
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Result<u8, SnapshotError> {
        let b = *self.bytes.get(self.at).ok_or(SnapshotError::Truncated)?;
        self.at += 1;
        Ok(b)
    }

    /// A LEB128 number in its shortest form (the one `write_varint` writes: any other
    /// would load, then write back different bytes).
    fn varint(&mut self) -> Result<u64, SnapshotError> {
        let (value, next) = read_varint(self.bytes, self.at).ok_or(SnapshotError::Truncated)?;
        let mut shortest = Vec::with_capacity(10);
        write_varint(&mut shortest, value);
        if shortest != self.bytes[self.at..next] {
            return Err(SnapshotError::Corrupt("a number is not in its shortest form"));
        }
        self.at = next;
        Ok(value)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.at.checked_add(len).ok_or(SnapshotError::Truncated)?;
        let out = self.bytes.get(self.at..end).ok_or(SnapshotError::Truncated)?;
        self.at = end;
        Ok(out)
    }

    fn bytes(&mut self) -> Result<&'a [u8], SnapshotError> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| SnapshotError::Truncated)?;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, SnapshotError> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| SnapshotError::Corrupt("a session id is not UTF-8"))
    }

    /// At most `limit` page numbers, strictly increasing (as a `PageSet` writes them: a
    /// page listed twice or out of order would load as something else).
    fn pages(&mut self, limit: usize) -> Result<PageSet, SnapshotError> {
        let count = self.varint()?;
        if count > limit as u64 {
            return Err(SnapshotError::Corrupt("too many remembered pages"));
        }
        let mut pages = PageSet::default();
        let mut last = None;
        for _ in 0..count {
            let page = self.varint()?;
            if last.is_some_and(|last| page <= last) {
                return Err(SnapshotError::Corrupt("page numbers out of order or repeated"));
            }
            last = Some(page);
            pages.insert(page);
        }
        Ok(pages)
    }
}

/// A snapshot of a bare id set (an identity index): `magic, version, count, ids…, crc32`,
/// with the same checks as a cohort's.
pub fn snapshot_ids(magic: &[u8; 4], set: &IdSet) -> Vec<u8> {
    let mut out = Vec::with_capacity(set.memory_bytes() / 2 + 16);
    out.extend_from_slice(magic);
    out.push(VERSION);
    write_varint(&mut out, set.len() as u64);
    for (_, encoded) in set.entries() {
        write_varint(&mut out, encoded.len() as u64);
        out.extend_from_slice(encoded);
    }
    let crc = crc::crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

pub fn read_snapshot_ids(magic: &[u8; 4], bytes: &[u8], seed: u64) -> Result<IdSet, SnapshotError> {
    if bytes.len() < 4 || &bytes[..4] != magic {
        return Err(if magic.starts_with(bytes) { SnapshotError::Truncated } else { SnapshotError::BadMagic });
    }
    match bytes.get(4) {
        None => return Err(SnapshotError::Truncated),
        Some(&VERSION) => {}
        Some(&other) => return Err(SnapshotError::UnsupportedVersion(other)),
    }
    if bytes.len() < 9 {
        return Err(SnapshotError::Truncated);
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc::crc32(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
        return Err(SnapshotError::ChecksumMismatch);
    }
    let mut r = Cursor { bytes: body, at: 5 };
    let count = r.varint()?;
    if count > (body.len() / 2) as u64 {
        return Err(SnapshotError::Corrupt("count past the end"));
    }
    let mut set = IdSet::with_seed(seed);
    for _ in 0..count {
        let encoded = r.bytes()?;
        if !is_canonical(encoded) || (encoded.first() == Some(&0) && std::str::from_utf8(&encoded[1..]).is_err()) {
            return Err(SnapshotError::Corrupt("an id is not in its canonical encoding"));
        }
        set.insert_encoded(encoded).ok_or(SnapshotError::Corrupt("an id is listed twice"))?;
    }
    if r.at != body.len() {
        return Err(SnapshotError::Corrupt("bytes after the end"));
    }
    Ok(set)
}
