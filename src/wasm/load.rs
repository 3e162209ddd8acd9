//! Exports for the loader (src/load): the LoadState class, its snapshot reader, and
//! insertId. A snapshot crosses a part at a time (`snapshotPart`, `LoadStateReader`),
//! so a large state is never copied whole on either side.
//!
//! Rows cross a batch at a time as two byte strings: the keys' UTF-8, each ended by a
//! NUL, and the records' canonical JSON texts, each ended by a line feed (what
//! `pkg/loader/load.js` writes). Outcomes come back as one byte a row (`Outcome` codes),
//! key hashes as a `BigUint64Array`. No object is made per row and nothing is escaped:
//! canonical JSON has no raw line feed (`JSON.stringify` escapes it), and no store keeps
//! U+0000 in a key (the crate refuses it in ids). Records as a JSON list of strings,
//! escaped by `JSON.stringify` and unescaped here, measured 10 times slower. A key
//! holding a NUL or a record holding a line feed shows as counts that differ. A lone
//! surrogate in a key becomes U+FFFD in `TextEncoder`, here as in `insertId`: two keys
//! that differ only there are one key (the second row is a `Duplicate`, reported).

use super::convert::{invalid, snapshot_bytes, BindingError};
use crate::load::{self, key_hash, record_checksum, LoadSnapshotError, LoadState, SnapshotReader, SnapshotWriter};
use wasm_bindgen::prelude::*;

/// The pieces of `bytes`, each ended by `end` (a NUL for keys, a line feed for records).
fn pieces(bytes: &[u8], end: u8) -> Result<Vec<&[u8]>, JsValue> {
    if bytes.last().is_some_and(|&last| last != end) {
        return Err(invalid(if end == 0 {
            "keys must each be ended by a NUL (\\0)"
        } else {
            "records must each be ended by a line feed (\\n)"
        }));
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if b == end {
            pieces.push(&bytes[start..at]);
            start = at + 1;
        }
    }
    Ok(pieces)
}

/// The hashes of keys each ended by a NUL.
fn hashes(keys: &[u8]) -> Result<Vec<u64>, JsValue> {
    Ok(pieces(keys, 0)?.into_iter().map(key_hash).collect())
}

/// The (key hash, record checksum) of each row.
fn rows(keys: &[u8], records: &[u8]) -> Result<Vec<(u64, u64)>, JsValue> {
    let (keys, records) = (hashes(keys)?, pieces(records, b'\n')?);
    if keys.len() != records.len() {
        return Err(invalid("keys and records must be as many (no key may hold a NUL, no record a line feed)"));
    }
    Ok(keys.into_iter().zip(records.into_iter().map(record_checksum)).collect())
}

/// Interleaved (key hash, record checksum) words as pairs; an odd last word is ignored.
fn pairs(words: &[u64]) -> Vec<(u64, u64)> {
    words.chunks_exact(2).map(|pair| (pair[0], pair[1])).collect()
}

fn snapshot_error(error: LoadSnapshotError) -> JsValue {
    BindingError { code: error.code(), message: error.reason().into(), problems: Vec::new() }.into()
}

#[wasm_bindgen]
pub struct LoadStateHandle {
    inner: LoadState,
    /// The snapshot being written by `snapshotPart`, between its first part and its last.
    writer: Option<SnapshotWriter>,
}

/// A snapshot read a part at a time (`push`), then the state (`finish`).
#[wasm_bindgen]
pub struct LoadStateReader {
    inner: Option<SnapshotReader>,
}

#[wasm_bindgen]
impl LoadStateReader {
    #[wasm_bindgen(constructor)]
    pub fn new() -> LoadStateReader {
        LoadStateReader { inner: Some(SnapshotReader::new()) }
    }

    /// The next bytes: a typed array, DataView or ArrayBuffer.
    pub fn push(&mut self, bytes: JsValue) -> Result<(), JsValue> {
        let bytes = snapshot_bytes(&bytes, "bytes")?;
        let reader = self.inner.as_mut().ok_or_else(|| invalid("this reader has finished"))?;
        reader.push(&bytes).map_err(snapshot_error)
    }

    pub fn finish(&mut self) -> Result<LoadStateHandle, JsValue> {
        let reader = self.inner.take().ok_or_else(|| invalid("this reader has finished"))?;
        Ok(LoadStateHandle { inner: reader.finish().map_err(snapshot_error)?, writer: None })
    }
}

impl Default for LoadStateReader {
    fn default() -> Self {
        LoadStateReader::new()
    }
}

#[wasm_bindgen]
impl LoadStateHandle {
    #[wasm_bindgen(constructor)]
    pub fn new() -> LoadStateHandle {
        LoadStateHandle { inner: LoadState::new(), writer: None }
    }

    /// The snapshot's next part of about `max_bytes`; empty once it is written whole (the
    /// next call starts it again). The state must not change between the first part and
    /// the empty one.
    #[wasm_bindgen(js_name = snapshotPart)]
    pub fn snapshot_part(&mut self, max_bytes: f64) -> Vec<u8> {
        let writer = self.writer.get_or_insert_with(|| SnapshotWriter::new(&self.inner));
        let part = writer.next_part(&self.inner, max_bytes.max(1.0) as usize);
        if part.is_empty() {
            self.writer = None;
        }
        part
    }

    /// One outcome code a row: 0 new, 1 changed, 2 unchanged, 3 retry, 4 duplicate.
    /// `rows`: each row's (key hash, record checksum), as [`Self::row_hashes`] gives them.
    pub fn plan(&mut self, rows: &[u64]) -> Vec<u8> {
        let outcomes = self.inner.plan_hashes(&pairs(rows));
        outcomes.into_iter().map(|outcome| outcome.code()).collect()
    }

    /// Records the rows (key hash, record checksum pairs) a 2xx took.
    #[wasm_bindgen(js_name = markSent)]
    pub fn mark_sent(&mut self, rows: &[u64]) {
        self.inner.mark_all_sent(&pairs(rows));
    }

    /// Keys (by hash) whose send failed for now; how many were known (an unknown key is
    /// left for the next run's `New`).
    #[wasm_bindgen(js_name = markFailed)]
    pub fn mark_failed(&mut self, hashes: &[u64]) -> f64 {
        hashes.iter().filter(|&&hash| self.inner.mark_failed(hash)).count() as f64
    }

    /// Each row's key hash and record checksum, one after the other: what `plan`,
    /// `markSent` and the loader's journal take, so a row's bytes are hashed once.
    #[wasm_bindgen(js_name = rowHashes)]
    pub fn row_hashes(keys: &[u8], records: &[u8]) -> Result<Vec<u64>, JsValue> {
        Ok(rows(keys, records)?.into_iter().flat_map(|(key, checksum)| [key, checksum]).collect())
    }

    /// The hashes of the keys known but not planned in this run.
    pub fn removed(&self) -> Vec<u64> {
        self.inner.removed()
    }

    /// Drops keys by hash (their removals were sent); returns how many were known.
    pub fn forget(&mut self, hashes: &[u64]) -> f64 {
        hashes.iter().filter(|&&hash| self.inner.forget(hash)).count() as f64
    }

    /// The hashes `removed` names keys by, for keys each ended by a NUL.
    #[wasm_bindgen(js_name = keyHashes)]
    pub fn key_hashes(keys: &[u8]) -> Result<Vec<u64>, JsValue> {
        hashes(keys)
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.inner.len() as f64
    }

    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        self.inner.memory_bytes() as f64
    }
}

/// `event` and `key` as `&str`: a lone surrogate becomes U+FFFD, as in `plan`'s keys.
#[wasm_bindgen(js_name = insertId)]
pub fn insert_id(event: &str, key: &str) -> String {
    load::insert_id(event, key)
}
