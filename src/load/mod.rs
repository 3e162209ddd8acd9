//! The loader's memory: moves rows (from files and databases) into Mixpanel and, on each
//! later run, sends only what changed.
//!
//! For each row the JavaScript side gives a primary key (text) and the mapped Mixpanel
//! record as canonical JSON text. The core keeps, compactly, what was sent last time
//! ([`LoadState`]: a key's hash → the sent record's checksum and whether the send failed),
//! plans each run row by row ([`Outcome`]), lists the keys the source no longer has, and
//! saves itself between runs as checksummed bytes. [`insert_id`] gives each row the
//! `$insert_id` that makes a resend harmless.

mod insert_id;
mod plan;
mod snapshot;
mod state;

pub use insert_id::{insert_id, write_insert_id, INSERT_ID_LEN};
pub use plan::{duplicate_problems, row_hashes, KeyStatus, Outcome};
#[cfg(feature = "fuzzing")]
pub use snapshot::checksum as snapshot_checksum;
pub use snapshot::{LoadSnapshotError, SnapshotReader, SnapshotWriter};
pub use state::{key_hash, record_checksum, LoadState, MAX_KEYS};
