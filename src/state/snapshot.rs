//! The binary snapshot of a [`CohortState`]: versioned, checksummed, and refused whole
//! when anything is wrong (never half-loaded).
//!
//! Layout (integers are LEB128 varints unless noted):
//! ```text
//! "CSST"  version:u8
//! member count, then each member: length, encoded id          (src/state/encode.rs)
//! full sync: 0 | 1, session id, total pages, page count, pages…, mark bits (one per
//!            member above, in that order, LSB first)
//! history: count, then each: session id, action:u8, closed:u8, total pages,
//!          page count, pages…, body count, bodies… (16 bytes each, LE)
//! crc32 (4 bytes, LE) of everything before it
//! ```
//! A total of 0 pages means pageless (real totals start at 1). Version 1, written before
//! pageless bodies were accepted, has no body counts and is still read.
//! Strings are a length and UTF-8 bytes. A snapshot can be cut into chunks of at most a
//! given size ([`CohortState::to_chunks`]) for stores that cap value sizes (Durable
//! Objects: 2 MB); the chunks concatenated are the snapshot.

use super::crc;
use super::encode::is_canonical;
use super::idset::{read_varint, write_varint, IdSet};
use super::tracker::{FullSync, SeenSession, SyncTracker};
use super::{CohortState, PageSet, REMEMBERED_PAGES, REMEMBERED_SESSIONS};
use crate::payload::Action;
use std::collections::VecDeque;

const MAGIC: &[u8; 4] = b"CSST";
const VERSION: u8 = 2;
/// The version before pageless bodies, still read.
const VERSION_1: u8 = 1;
/// The tracker's own bytes (what the Worker stores beside its tables).
const TRACKER_MAGIC: &[u8; 4] = b"CSTR";
/// Bare id sets (identity indexes) keep their first layout.
const ID_VERSION: u8 = 1;

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
        let tracker = &self.tracker;
        write_full_sync(&mut out, tracker);
        if tracker.full_sync.is_some() {
            out.extend_from_slice(&marks);
        }
        write_history(&mut out, tracker);
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
        let mut r = Cursor::open(MAGIC, bytes, &[VERSION, VERSION_1])?;
        let mut state = CohortState::with_seed(seed);
        let count = r.varint()?;
        // Every member takes at least two bytes: a count past that is corrupt (and must
        // not size an allocation).
        if count > (r.bytes.len() / 2) as u64 {
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
        let full_sync = r.full_sync()?;
        if full_sync.is_some() {
            let bits = r.take(entries.len().div_ceil(8))?;
            if entries.len() % 8 != 0 && bits.last().is_some_and(|&last| last >> (entries.len() % 8) != 0) {
                return Err(SnapshotError::Corrupt("mark bits past the last member"));
            }
            for (i, &entry) in entries.iter().enumerate() {
                if bits[i / 8] & (1 << (i % 8)) != 0 {
                    state.members.mark(entry);
                }
            }
        }
        state.tracker = r.history(full_sync)?;
        if r.at != r.bytes.len() {
            return Err(SnapshotError::Corrupt("bytes after the end"));
        }
        Ok(state)
    }
}

impl SyncTracker {
    /// The tracker alone, in the snapshot's layout: `"CSTR" version full-sync history
    /// crc32` (no members, so no mark bits).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(TRACKER_MAGIC);
        out.push(VERSION);
        write_full_sync(&mut out, self);
        write_history(&mut out, self);
        let crc = crc::crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads [`SyncTracker::to_bytes`]; refused whole on any inconsistency.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let mut r = Cursor::open(TRACKER_MAGIC, bytes, &[VERSION])?;
        let full_sync = r.full_sync()?;
        let tracker = r.history(full_sync)?;
        if r.at != r.bytes.len() {
            return Err(SnapshotError::Corrupt("bytes after the end"));
        }
        Ok(tracker)
    }
}

fn write_full_sync(out: &mut Vec<u8>, tracker: &SyncTracker) {
    match &tracker.full_sync {
        None => out.push(0),
        Some(sync) => {
            out.push(1);
            write_str(out, &sync.session_id);
            write_varint(out, sync.total_pages.unwrap_or(0));
            write_pages(out, &sync.pages);
        }
    }
}

fn write_history(out: &mut Vec<u8>, tracker: &SyncTracker) {
    write_varint(out, tracker.history.len() as u64);
    for seen in &tracker.history {
        write_str(out, &seen.session_id);
        out.push(action_byte(seen.action));
        out.push(seen.closed as u8);
        write_varint(out, seen.total_pages.unwrap_or(0));
        write_pages(out, &seen.pages);
        write_varint(out, seen.bodies.len() as u64);
        for body in &seen.bodies {
            out.extend_from_slice(&body.to_le_bytes());
        }
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
    version: u8,
}

impl<'a> Cursor<'a> {
    /// The body of `magic`-framed bytes of one of `versions` (`magic, version, body,
    /// crc32 of all before it`), checked, with the cursor after the version byte.
    fn open(magic: &[u8; 4], bytes: &'a [u8], versions: &[u8]) -> Result<Cursor<'a>, SnapshotError> {
        if bytes.len() < 4 || &bytes[..4] != magic {
            return Err(if magic.starts_with(bytes) { SnapshotError::Truncated } else { SnapshotError::BadMagic });
        }
        let version = *bytes.get(4).ok_or(SnapshotError::Truncated)?;
        if !versions.contains(&version) {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        if bytes.len() < 4 + 1 + 4 {
            return Err(SnapshotError::Truncated);
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc::crc32(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
            return Err(SnapshotError::ChecksumMismatch);
        }
        Ok(Cursor { bytes: body, at: 5, version })
    }

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

    /// The full sync under way (its marks, if any, follow it in a cohort snapshot).
    fn full_sync(&mut self) -> Result<Option<FullSync>, SnapshotError> {
        match self.byte()? {
            0 => Ok(None),
            1 => {
                let session_id = self.string()?;
                let total_pages = self.total()?;
                // A full sync's pages are not capped like the history's (a sync of more
                // than REMEMBERED_PAGES pages is still under way): any count that fits.
                let pages = self.pages(self.bytes.len())?;
                match total_pages {
                    // Every page of it arrived: it would have been swept, not kept.
                    Some(total) if pages.len() as u64 >= total => {
                        Err(SnapshotError::Corrupt("the full sync under way has all its pages"))
                    }
                    None if pages.len() > 0 => Err(SnapshotError::Corrupt("a pageless full sync with page numbers")),
                    _ => Ok(Some(FullSync { session_id, total_pages, pages })),
                }
            }
            _ => Err(SnapshotError::Corrupt("bad full-sync flag")),
        }
    }

    /// A page count; 0 is pageless (version 2 only).
    fn total(&mut self) -> Result<Option<u64>, SnapshotError> {
        match self.varint()? {
            0 if self.version == VERSION_1 => Err(SnapshotError::Corrupt("a page count of 0")),
            0 => Ok(None),
            total => Ok(Some(total)),
        }
    }

    /// The remembered sessions, with the full sync read before them.
    fn history(&mut self, full_sync: Option<FullSync>) -> Result<SyncTracker, SnapshotError> {
        let sessions = self.varint()?;
        if sessions > REMEMBERED_SESSIONS as u64 {
            return Err(SnapshotError::Corrupt("too many remembered sessions"));
        }
        let mut history = VecDeque::new();
        for _ in 0..sessions {
            let session_id = self.string()?;
            let action = match self.byte()? {
                0 => Action::Members,
                1 => Action::AddMembers,
                2 => Action::RemoveMembers,
                _ => return Err(SnapshotError::Corrupt("bad action")),
            };
            let closed = match self.byte()? {
                0 => false,
                // Only a full sync is ever closed, and never the one under way.
                1 if action == Action::Members
                    && full_sync.as_ref().map_or(true, |sync| sync.session_id != session_id) =>
                {
                    true
                }
                _ => return Err(SnapshotError::Corrupt("bad flag")),
            };
            let total_pages = self.total()?;
            let pages = self.pages(REMEMBERED_PAGES)?;
            let bodies = if self.version == VERSION_1 { Vec::new() } else { self.bodies()? };
            if total_pages.is_none() && pages.len() > 0 || total_pages.is_some() && !bodies.is_empty() {
                return Err(SnapshotError::Corrupt("pages and pageless bodies mixed in one session"));
            }
            if pages.len() + bodies.len() > REMEMBERED_PAGES {
                return Err(SnapshotError::Corrupt("too many remembered pages"));
            }
            // One entry per session and action (`remember` keeps it so).
            if history.iter().any(|s: &SeenSession| s.session_id == session_id && s.action == action) {
                return Err(SnapshotError::Corrupt("a session is remembered twice"));
            }
            history.push_back(SeenSession { session_id, action, total_pages, pages, bodies, closed });
        }
        Ok(SyncTracker { full_sync, history })
    }

    /// Pageless bodies' fingerprints, strictly increasing.
    fn bodies(&mut self) -> Result<Vec<u128>, SnapshotError> {
        let count = self.varint()?;
        if count > REMEMBERED_PAGES as u64 {
            return Err(SnapshotError::Corrupt("too many remembered pages"));
        }
        let mut bodies: Vec<u128> = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let raw = self.take(16)?;
            let mut le = [0u8; 16];
            le.copy_from_slice(raw);
            let body = u128::from_le_bytes(le);
            if bodies.last().is_some_and(|&last| body <= last) {
                return Err(SnapshotError::Corrupt("pageless bodies out of order or repeated"));
            }
            bodies.push(body);
        }
        Ok(bodies)
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
    out.push(ID_VERSION);
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
    let mut r = Cursor::open(magic, bytes, &[ID_VERSION])?;
    let count = r.varint()?;
    if count > (r.bytes.len() / 2) as u64 {
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
    if r.at != r.bytes.len() {
        return Err(SnapshotError::Corrupt("bytes after the end"));
    }
    Ok(set)
}
