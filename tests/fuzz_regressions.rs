//! What fuzzing found (`fuzz/`, `scripts/fuzz.sh`; fuzz/README.md lists each finding),
//! kept as plain tests. The inputs the fuzzers found are also in the replayed corpus
//! (tests/fuzz_corpus.rs); these say what each one means.

use cohort_sync::fuzz_checks::{check_cohort_snapshot, check_identity_snapshot, with_crc};
use cohort_sync::identity::IdentityIndex;
use cohort_sync::{Action, CohortState, PageRef, SnapshotError};

/// A snapshot from its bytes before the checksum (the checksum is added).
fn sealed(body: &[u8]) -> Vec<u8> {
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(&[0; 4]);
    with_crc(&bytes).expect("long enough")
}

fn refused(bytes: &[u8], why: &'static str) {
    assert_eq!(CohortState::from_bytes(bytes, 1).err(), Some(SnapshotError::Corrupt(why)), "{bytes:?}");
    check_cohort_snapshot(bytes);
}

const HEAD: &[u8] = b"CSST\x01";

fn snapshot(parts: &[&[u8]]) -> Vec<u8> {
    sealed(&[HEAD, &parts.concat()].concat())
}

/// Found by the `cohort_snapshot` target (in its first thousand runs): a remembered
/// session listing page 2 twice loaded (as one page 2) and wrote back other bytes; a
/// snapshot is now refused unless its page numbers are strictly increasing.
#[test]
fn a_page_listed_twice_is_refused() {
    let found: &[u8] = &[
        67, 83, 83, 84, 1, 2, 2, 0, 120, 2, 0, 122, 0, 4, 3, 97, 45, 49, 1, 0, 1, 1, 1, 3, 109, 45, 49, 0, 1, 3, 1, 2,
        3, 109, 45, 50, 0, 0, 1, 2, 2, 2, 3, 114, 45, 49, 2, 0, 1, 1, 126, 83, 247, 11, 129,
    ];
    refused(&with_crc(found).unwrap(), "page numbers out of order or repeated");
    // Out of order is the same fault: history of one add_members session, pages 2 then 1.
    refused(&snapshot(&[&[0, 0, 1], &[1, b's', 1, 0, 2, 2, 2, 1]]), "page numbers out of order or repeated");
}

/// Found while fixing the above (the same class: accepted, but not what `to_bytes`
/// writes): a number written in more bytes than needed (`80 00` for 0).
#[test]
fn a_number_not_in_its_shortest_form_is_refused() {
    refused(&snapshot(&[&[0x80, 0x00], &[0, 0]]), "a number is not in its shortest form");
    let index = sealed(b"CSII\x01\x81\x00\x02\x00a");
    assert!(IdentityIndex::from_bytes(&index, 1).is_err());
    check_identity_snapshot(&index);
    // The shortest form loads.
    assert!(IdentityIndex::from_bytes(&sealed(b"CSII\x01\x01\x02\x00a"), 1).is_ok());
}

/// Mark bits past the last member were ignored on load (and dropped on write).
#[test]
fn mark_bits_past_the_last_member_are_refused() {
    // One member "a"; a full sync "s" of 2 pages, page 1 in; marks 0b10 (no member 1).
    refused(&snapshot(&[&[1, 2, 0, b'a'], &[1, 1, b's', 2, 1, 1, 0b10], &[0]]), "mark bits past the last member");
    assert!(CohortState::from_bytes(&snapshot(&[&[1, 2, 0, b'a'], &[1, 1, b's', 2, 1, 1, 0b01], &[0]]), 1).is_ok());
}

/// Inconsistent states `apply` can never produce: one session remembered twice, an
/// add_members session marked replaced, a full sync under way with every page in.
#[test]
fn inconsistent_histories_are_refused() {
    let add_s: &[u8] = &[1, b's', 1, 0, 1, 1, 1];
    refused(&snapshot(&[&[0, 0, 2], add_s, add_s]), "a session is remembered twice");
    refused(&snapshot(&[&[0, 0, 1], &[1, b's', 1, 1, 1, 1, 1]]), "bad flag");
    refused(&snapshot(&[&[0], &[1, 1, b's', 1, 1, 1], &[0]]), "the full sync under way has all its pages");
    // The full sync under way is never the replaced one.
    refused(&snapshot(&[&[0], &[1, 1, b's', 2, 1, 1], &[1, 1, b's', 0, 1, 2, 1, 1]]), "bad flag");
}

/// Found by review while fixing the above: the reader capped a full sync's pages at the
/// history's bound (20 000), so the snapshot of a sync of more pages, still under way,
/// could not be loaded again.
#[test]
fn a_full_sync_past_twenty_thousand_pages_round_trips() {
    let mut state = CohortState::with_seed(1);
    for page in 1..=20_001 {
        state.apply(PageRef {
            action: Action::Members,
            session_id: "big",
            page: Some(cohort_sync::PageInfo { count: page, total: 30_000 }),
            ids: [&b"a"[..]],
        });
    }
    assert_eq!(state.pending_session(), Some("big"));
    let bytes = state.to_bytes();
    let restored = CohortState::from_bytes(&bytes, 2).expect("our own snapshot loads");
    assert_eq!(restored.to_bytes(), bytes);
}

/// Found by review while writing the `args` target's invariant (every record of an
/// upload is delivered, retried or failed, once): a CleverTap answer listing more
/// unprocessed entries without an echoed record than records were sent made
/// `read_clevertap_response` report more failed records than the upload held
/// (`delivered` saturated at 0, `failed` held one `null` per extra entry).
#[test]
fn a_clevertap_answer_cannot_fail_more_records_than_were_sent() {
    let records = vec![r#"{"a":1}"#.to_string(), r#"{"b":2}"#.to_string()];
    let body = br#"{"status":"partial","unprocessed":[1,1,1]}"#;
    let outcome = cohort_sync::destinations::read_clevertap_response(&records, 200, body);
    assert_eq!(outcome.delivered + outcome.retry.len() + outcome.failed.len(), records.len(), "{outcome:?}");
    cohort_sync::fuzz_checks::check_args(body);
}

#[test]
fn a_clevertap_answer_with_echoes_after_unechoed_entries_still_counts_each_record_once() {
    let records = vec![r#"{"a":1}"#.to_string(), r#"{"b":2}"#.to_string()];
    let body = br#"{"status":"partial","unprocessed":[{"code":1},{"code":2},{"code":3,"record":{"a":1}}]}"#;
    let outcome = cohort_sync::destinations::read_clevertap_response(&records, 200, body);
    assert_eq!(outcome.delivered + outcome.retry.len() + outcome.failed.len(), records.len(), "{outcome:?}");
}

/// Found by the `identity_snapshot` target (~480 000 runs): an index snapshot holding the
/// empty string loaded, and `has("")` then answered true, although `add("")` refuses it
/// (an empty string is no identity). Such a snapshot is refused.
#[test]
fn an_index_snapshot_holding_the_empty_identity_is_refused() {
    let found: &[u8] =
        &[0x43, 0x53, 0x49, 0x49, 0x01, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x31, 0x0a, 0xbe];
    check_identity_snapshot(found);
    // One id, the empty one (raw tag 0, no bytes).
    let bytes = sealed(b"CSII\x01\x01\x01\x00");
    assert_eq!(IdentityIndex::from_bytes(&bytes, 1).err(), Some(SnapshotError::Corrupt("an identity is empty")));
    let mut index = IdentityIndex::with_seed(1);
    assert!(!index.add(""));
    assert!(IdentityIndex::from_bytes(&index.to_bytes(), 1).is_ok());
}
