//! The checks behind the fuzz targets (`fuzz/fuzz_targets/*.rs`), shared with the plain
//! `cargo test` replay of the fuzz corpus (`tests/fuzz_corpus.rs`), so the two always run
//! the same assertions. Not part of the API: each function takes arbitrary bytes, must
//! never panic on its own, and panics (an assertion) when an invariant is broken.
//!
//! Compiled only outside wasm: nothing here ships in the package.

use crate::args;
use crate::audience::{decode_segment_membership, encode_segment_membership, segment_membership_contains};
use crate::identity::IdentityIndex;
use crate::ingest::{self, ProfileKind, RecordReport};
use crate::json::{JsonWriter, Reader, ToJson};
use crate::load::{snapshot_checksum, LoadState, Outcome, SnapshotReader, SnapshotWriter};
use crate::payload::PageInfo;
use crate::payload::{
    parse_payload, read_page, read_page_ids, validate_payload, validate_payload_with_ids, Action, ValidateOptions,
};
use crate::plan::{plan_sync, PlanOptions};
use crate::problem::{Problem, ProblemCode};
use crate::state::crc::crc32;
use crate::state::{CohortState, PageRef};
use std::collections::{HashMap, HashSet};

/// A target's check of one input.
pub type Check = fn(&[u8]);

/// Every target: its name (the folder under `fuzz/corpus/`) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("payload", check_payload),
    ("apply", check_apply),
    ("cohort_snapshot", check_cohort_snapshot),
    ("identity_snapshot", check_identity_snapshot),
    ("segment_membership", check_segment_membership),
    ("ingest", check_ingest),
    ("args", check_args),
    ("load_snapshot", check_load_snapshot),
];

/// The check of the target called `name`.
pub fn target(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, check)| *check)
}

/// `text` is one JSON document (our writer's output must always be).
fn assert_json(text: &str) {
    let mut r = Reader::new(text.as_bytes(), 0);
    let ok = r.skip_value().is_ok() && r.at_end();
    assert!(ok, "not one JSON document: {text:.200}");
}

fn assert_positions(problems: &[Problem], len: usize) {
    for p in problems {
        if let Some(offset) = p.offset {
            assert!(offset as usize <= len, "{p:?} is past the end ({len} bytes)");
        }
        assert!(p.line.map_or(true, |l| l >= 1) && p.column.map_or(true, |c| c >= 1), "{p:?}");
        assert!(p.path.is_empty() || p.path.starts_with('/'), "not a JSON Pointer: {p:?}");
    }
}

fn unique<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

// ---- payload ------------------------------------------------------------------------

/// `validate_payload`, `parse_payload`, `read_page`, `read_page_ids` and
/// `CohortState::apply_body` agree on every body: one is valid iff all are, and they
/// read the same fields. A valid page also survives tighter limits exactly at its size,
/// and written back as a webhook body (`plan_sync`) it reads the same.
pub fn check_payload(data: &[u8]) {
    let options = ValidateOptions::default();
    let report = validate_payload(data, &options);
    assert_eq!(report.valid, report.errors.is_empty());
    assert!(report.errors.len() <= 101 && report.warnings.len() <= 101);
    assert_positions(&report.errors, data.len());
    assert_positions(&report.warnings, data.len());
    assert_json(&report.to_json());

    let parsed = parse_payload(data, &options);
    assert_eq!(parsed.is_ok(), report.valid, "parse_payload and validate_payload disagree");
    let read = read_page(data, &options);
    assert_eq!(read.is_ok(), report.valid, "read_page and validate_payload disagree");
    let ids = read_page_ids(data, &options);
    assert_eq!(ids.is_ok(), report.valid, "read_page_ids and validate_payload disagree");
    let applied = CohortState::with_seed(1).apply_body(data, &options);
    assert_eq!(applied.is_ok(), report.valid, "apply_body and validate_payload disagree");
    let (with_ids, listing) = validate_payload_with_ids(data, &options, true);
    let listed = listing.ids;
    assert_eq!(with_ids, report, "validate_payload_with_ids reports otherwise");
    if let Ok(ids) = &ids {
        assert_eq!(listed, ids.ids, "validate_payload_with_ids lists other ids");
        assert_eq!(listing.member_spans.len(), listed.len(), "a span for each member");
        let mut after = 0;
        for &(start, end) in &listing.member_spans {
            assert!(after <= start && start < end && end <= data.len(), "spans in order, inside the body");
            assert!(data[start] == b'{' && data[end - 1] == b'}', "a span is a member object");
            after = end;
        }
        let offsets: Vec<usize> = listing.member_spans.iter().flat_map(|&(a, b)| [a, b]).collect();
        let units = crate::text::utf16_offsets(data, &offsets);
        let text = String::from_utf8_lossy(data);
        for (offset, unit) in offsets.iter().zip(&units) {
            assert_eq!(*unit, text[..*offset].encode_utf16().count(), "UTF-16 offset of byte {offset}");
        }
    } else {
        assert!(listed.is_empty(), "ids listed for an invalid page");
    }

    let page = match parsed {
        Err(parse_report) => {
            assert_eq!(parse_report, report, "parse_payload's report differs from validate_payload's");
            match read {
                Err(crate::payload::PayloadError::InvalidPayload(errors)) => assert_eq!(errors, report.errors),
                Ok(_) => unreachable!(),
            }
            return;
        }
        Ok(page) => page,
    };
    assert_eq!(read.as_ref().ok(), Some(&page));
    assert_eq!(Some(page.action.as_str()), report.action.as_deref());
    assert_eq!(Some(&page.project_id), report.project_id.as_ref());
    assert_eq!(Some(&page.cohort_id), report.cohort_id.as_ref());
    assert_eq!(Some(&page.session_id), report.session_id.as_ref());
    assert_eq!(page.cohort_name, report.cohort_name);
    assert_eq!(page.cohort_description, report.cohort_description);
    assert_eq!(page.page, report.page);
    assert!(page.page.map_or(true, |p| 1 <= p.count && p.count <= p.total && p.total <= 1 << 53));
    assert_eq!(Some(page.members.len()), report.member_count);
    assert!(!page.project_id.is_empty() && !page.cohort_id.is_empty() && !page.session_id.is_empty());
    assert!(page.members.iter().all(|m| !m.distinct_id.is_empty()));
    assert_json(&page.to_json());
    let ids = ids.unwrap();
    assert_eq!(ids.ids.len(), page.members.len());
    for (id, member) in ids.ids.iter().zip(&page.members) {
        assert_eq!(&**id, member.distinct_id.as_bytes());
    }

    // A fresh state takes the page's ids, each once.
    let outcome = applied.unwrap();
    let distinct = unique(page.members.iter().map(|m| m.distinct_id.as_str()));
    match page.action {
        Action::RemoveMembers => assert!(outcome.added.is_empty() && outcome.removed.is_empty() && outcome.size == 0),
        _ => {
            assert_eq!(outcome.added, distinct);
            assert!(outcome.removed.is_empty());
            assert_eq!(outcome.size, distinct.len());
        }
    }

    // Limits exactly at the page's size pass; one less fails for that reason alone.
    let count = page.members.len();
    let exact = ValidateOptions { max_members: count, max_bytes: data.len() };
    assert!(validate_payload(data, &exact).valid, "valid at the defaults but not at its own size");
    if count > 0 {
        let fewer = validate_payload(data, &ValidateOptions { max_members: count - 1, ..exact });
        let codes: Vec<_> = fewer.errors.iter().map(|p| p.code).collect();
        assert_eq!(codes, [ProblemCode::TooManyMembers]);
    }
    let smaller = validate_payload(data, &ValidateOptions { max_bytes: data.len() - 1, ..exact });
    assert_eq!(smaller.errors.iter().map(|p| p.code).collect::<Vec<_>>(), [ProblemCode::BodyTooLarge]);

    // Written back as Mixpanel would send it, the page reads the same (members listed
    // twice are sent once, so only pages without repeats compare whole).
    if distinct.len() == count {
        let options = PlanOptions {
            project_id: page.project_id.clone(),
            cohort_id: page.cohort_id.clone(),
            cohort_name: page.cohort_name.clone(),
            cohort_description: page.cohort_description.clone(),
            session_id: page.session_id.clone(),
            batch_size: count.max(1),
            snapshot_age_ms: None,
        };
        let bodies = plan_sync(None, &page.members, &options).expect("a valid page plans");
        assert_eq!(bodies.len(), 1);
        let again = parse_payload(bodies[0].as_bytes(), &ValidateOptions::default());
        let again = again.unwrap_or_else(|r| panic!("our own body is invalid: {:?}\n{}", r.errors, bodies[0]));
        assert_eq!(again.members, page.members);
        assert_eq!(
            (&again.project_id, &again.cohort_id, &again.session_id, &again.cohort_name, &again.cohort_description),
            (&page.project_id, &page.cohort_id, &page.session_id, &page.cohort_name, &page.cohort_description)
        );
    }
}

// ---- apply --------------------------------------------------------------------------

/// Ids of many shapes (each encoding of `state::encode`, and near misses of them).
const POOL: [&str; 20] = [
    "a",
    "b",
    "é😀",
    "5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b",
    "5F1C0B7E-0001-4A8E-9C1D-8A7E6F5D4C3B",
    "5f1c0b7e-0001-4A8E-9c1d-8a7e6f5d4c3b",
    "0",
    "123",
    "0123",
    "9999999999999999999",
    "12345678901234567890",
    "18446744073709551616",
    "deadbeef",
    "DEADBEEF",
    "deadbee",
    "user@example.com",
    // A control character (NUL itself is refused in bodies: payload/ids.rs).
    "\u{1}",
    "-1",
    "a\"b\\c\n",
    "x",
];

/// A reader of op bytes that yields zeros once they run out.
struct Ops<'a> {
    data: &'a [u8],
    at: usize,
}

impl Ops<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    fn done(&self) -> bool {
        self.at >= self.data.len()
    }
}

#[derive(Clone, Debug)]
struct Page {
    action: Action,
    session: String,
    /// `None`: a pageless page.
    page: Option<PageInfo>,
    ids: Vec<String>,
    as_body: bool,
}

fn page_body(page: &Page) -> String {
    let mut w = JsonWriter::new();
    w.begin_object().field("action", &page.action).key("parameters").begin_object();
    w.field("mixpanel_project_id", "p").field("mixpanel_cohort_id", "c").field("mixpanel_session_id", &page.session);
    if let Some(info) = page.page {
        w.key("page_info")
            .begin_object()
            .field("page_count", &info.count)
            .field("total_pages", &info.total)
            .end_object();
    }
    w.key("members").begin_array();
    for id in &page.ids {
        w.begin_object().field("mixpanel_distinct_id", id).end_object();
    }
    w.end_array().end_object().end_object();
    w.finish()
}

fn apply_page(state: &mut CohortState, page: &Page) -> crate::state::ApplyOutcome {
    if page.as_body {
        let options = ValidateOptions { max_members: usize::MAX, ..ValidateOptions::default() };
        state.apply_body(page_body(page).as_bytes(), &options).expect("a body we wrote is valid")
    } else {
        state.apply(PageRef {
            action: page.action,
            session_id: &page.session,
            page: page.page,
            ids: page.ids.iter().map(|id| id.as_bytes()),
        })
    }
}

fn members_of(state: &CohortState) -> Vec<String> {
    state.members().collect()
}

/// The invariants of a state on its own.
fn check_state(state: &CohortState) {
    let members = members_of(state);
    assert_eq!(members.len(), state.size(), "size is not the number of members");
    assert_eq!(unique(members.iter().map(String::as_str)).len(), members.len(), "a member is listed twice");
    for id in &members {
        assert!(state.has(id), "{id:?} is listed but not found");
    }
    let bytes = state.to_bytes();
    let restored = CohortState::from_bytes(&bytes, 0x5eed).expect("our own snapshot loads");
    assert_eq!(restored.to_bytes(), bytes, "the snapshot does not round-trip");
    assert_eq!(members_of(&restored), members);
    assert_eq!(restored.pending_session(), state.pending_session());
}

/// Applies one page to the state (and to its twin, keyed with another seed, which must
/// answer the same), checking what the outcome claims against `model` (the membership
/// as the outcomes so far describe it); then the same page again, which must be a
/// duplicate. Ids the page touches are looked up; the whole membership is compared with
/// the model at checkpoints ([`checkpoint`]), which keeps long op lists fast.
fn step(state: &mut CohortState, twin: &mut CohortState, model: &mut HashSet<String>, page: &Page) {
    let outcome = apply_page(state, page);
    assert_eq!(apply_page(twin, page), outcome, "the hash seed changed an outcome");
    assert_eq!(outcome.size, state.size());
    if outcome.duplicate {
        assert!(outcome.added.is_empty() && outcome.removed.is_empty() && !outcome.session_complete);
    }
    assert_eq!(unique(outcome.added.iter().map(String::as_str)).len(), outcome.added.len());
    assert_eq!(unique(outcome.removed.iter().map(String::as_str)).len(), outcome.removed.len());
    let listed: HashSet<&str> = page.ids.iter().map(String::as_str).collect();
    for id in &outcome.added {
        assert!(model.insert(id.clone()), "{id:?} was added but was already a member");
        assert!(listed.contains(id.as_str()), "{id:?} was added but the page does not list it");
    }
    for id in &outcome.removed {
        assert!(model.remove(id), "{id:?} was removed but was not a member");
    }
    assert_eq!(model.len(), state.size(), "added/removed do not explain the change in size");
    for id in listed.iter().copied().chain(outcome.removed.iter().map(String::as_str)) {
        assert_eq!(state.has(id), model.contains(id), "{id:?}: added/removed do not explain the change");
    }
    match page.action {
        Action::AddMembers | Action::Members if !outcome.duplicate => {
            assert!(listed.iter().all(|id| model.contains(*id)), "a listed member is missing after its page")
        }
        Action::RemoveMembers if !outcome.duplicate => {
            assert!(listed.iter().all(|id| !model.contains(*id)) && outcome.added.is_empty())
        }
        _ => {}
    }
    if outcome.session_complete {
        // A full sync ended; the page itself may start the next one.
        let pending = state.pending_session();
        assert!(pending.is_none() || (page.action == Action::Members && pending == Some(page.session.as_str())));
    }
    let again = apply_page(state, page);
    assert!(again.duplicate, "a page applied twice was not a duplicate: {page:?}");
    assert_eq!(apply_page(twin, page), again);
}

/// The whole membership equals the model, and the twin (another seed) writes the same
/// snapshot: snapshots do not depend on the hash seed.
fn checkpoint(state: &CohortState, twin: &CohortState, model: &HashSet<String>) {
    let members: HashSet<String> = members_of(state).into_iter().collect();
    assert_eq!(&members, model, "the membership is not what the outcomes said");
    assert!(state.to_bytes() == twin.to_bytes(), "the twin (another seed) diverged");
}

/// Reads the next op's page from the input.
fn next_page(ops: &mut Ops, op: u8, bulk: &mut u32) -> Page {
    match op {
        0..=2 => {
            let action = [Action::Members, Action::AddMembers, Action::RemoveMembers][op as usize];
            let x = ops.byte();
            let total = ((x >> 2) & 3) as u64 + 1;
            let count = ((x >> 4) & 3) as u64 % total + 1;
            let y = ops.byte();
            let ids = (0..y % 6)
                .map(|_| {
                    let pick = ops.byte();
                    if pick >= 0xF0 {
                        // An id from the input itself (up to 8 bytes, as text).
                        let len = (pick & 7) as usize + 1;
                        let bytes: Vec<u8> = (0..len).map(|_| ops.byte()).collect();
                        // A body naming NUL is refused (payload/ids.rs); U+0001 stands in,
                        // so the page applies both as a body and as a PageRef.
                        String::from_utf8_lossy(&bytes).replace('\0', "\u{1}")
                    } else {
                        POOL[pick as usize % POOL.len()].to_string()
                    }
                })
                .collect();
            // One page in four has no page_info, as the real sender sends them.
            let page = (x & 0xC0 != 0xC0).then_some(PageInfo { count, total });
            Page { action, session: format!("s{}", x & 3), page, ids, as_body: y & 0x80 != 0 }
        }
        _ => {
            // Many ids at once under a session of their own: tombstones, table growth,
            // history past its bound; two bulk removals of the most (558 ids each, the
            // same ids every time) leave over 1024 dead records: compaction.
            let z = ops.byte();
            *bulk += 1;
            let n = (z & 0x1F) as usize * if z & 0x20 != 0 { 18 } else { 2 };
            let ids = (0..n).map(|i| if i % 3 == 0 { format!("n{i}") } else { i.to_string() }).collect();
            let action = if z & 0x80 == 0 { Action::AddMembers } else { Action::RemoveMembers };
            let page = Some(PageInfo { count: 1, total: 1 });
            Page { action, session: format!("bulk-{bulk}"), page, ids, as_body: z & 0x40 != 0 }
        }
    }
}

/// Interprets the input as a sequence of small operations on a cohort (pages of three
/// actions over four sessions of up to four pages, bulk pages, snapshots, chunked
/// snapshots) and checks every outcome.
pub fn check_apply(data: &[u8]) {
    let mut ops = Ops { data, at: 0 };
    let mut state = CohortState::with_seed(0x0123_4567_89ab_cdef);
    let mut twin = CohortState::with_seed(42);
    let mut model = HashSet::new();
    let mut bulk = 0;
    let mut steps = 0;
    while !ops.done() && steps < 64 {
        steps += 1;
        let op = ops.byte() % 6;
        match op {
            0..=2 | 5 => {
                let page = next_page(&mut ops, op, &mut bulk);
                step(&mut state, &mut twin, &mut model, &page);
                if steps % 8 == 0 {
                    checkpoint(&state, &twin, &model);
                }
            }
            3 => {
                // Restart of the receiver: the twin continues from the snapshot.
                check_state(&state);
                twin = CohortState::from_bytes(&state.to_bytes(), steps as u64).expect("our snapshot loads");
            }
            _ => {
                let size = ops.byte() as usize % 40 + 1;
                let chunks = state.to_chunks(size);
                assert!(chunks.iter().all(|c| c.len() <= size && !c.is_empty()));
                twin = CohortState::from_chunks(&chunks, 7).expect("our chunks load");
                assert_eq!(twin.to_bytes(), state.to_bytes());
            }
        }
    }
    checkpoint(&state, &twin, &model);
    check_state(&state);
}

// ---- snapshots ----------------------------------------------------------------------

/// `bytes` with its last four bytes replaced by the CRC-32 of the rest, so that the
/// fuzzer's mutations reach the reader past the checksum.
pub fn with_crc(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < 9 {
        return None;
    }
    let body = &bytes[..bytes.len() - 4];
    let mut out = body.to_vec();
    out.extend_from_slice(&crc32(body).to_le_bytes());
    Some(out)
}

/// `CohortState::from_bytes` never panics; what it accepts is exactly what `to_bytes`
/// writes back (nothing half-read, nothing silently dropped), and the loaded state is a
/// working one.
pub fn check_cohort_snapshot(data: &[u8]) {
    for bytes in std::iter::once(data.to_vec()).chain(with_crc(data)) {
        let Ok(state) = CohortState::from_bytes(&bytes, 9) else { continue };
        if bytes[4] == 1 {
            // Version 1 is read, and written back as the current version.
            let current = state.to_bytes();
            let reloaded = CohortState::from_bytes(&current, 9).expect("an upgraded snapshot loads");
            assert_eq!(reloaded.to_bytes(), current, "an upgraded snapshot does not round-trip");
            assert_eq!(members_of(&reloaded), members_of(&state));
            check_state(&state);
            continue;
        }
        assert_eq!(state.to_bytes(), bytes, "a snapshot loaded but does not write back the same");
        let chunks: Vec<&[u8]> = bytes.chunks(3).collect();
        assert_eq!(CohortState::from_chunks(&chunks, 10).map(|s| s.to_bytes()).ok(), Some(bytes.clone()));
        check_state(&state);
        // It keeps working: a few pages on top (reusing the input as ops).
        let mut state = state;
        let mut twin = CohortState::from_bytes(&bytes, 11).expect("loads twice");
        let mut ops = Ops { data: &data[data.len().saturating_sub(24)..], at: 0 };
        let mut bulk = 0;
        let mut model: HashSet<String> = members_of(&state).into_iter().collect();
        for _ in 0..4 {
            let op = ops.byte() % 3;
            let page = next_page(&mut ops, op, &mut bulk);
            step(&mut state, &mut twin, &mut model, &page);
        }
        checkpoint(&state, &twin, &model);
        check_state(&state);
    }
}

/// `IdentityIndex::from_bytes` never panics; what it accepts writes back the same.
pub fn check_identity_snapshot(data: &[u8]) {
    for bytes in std::iter::once(data.to_vec()).chain(with_crc(data)) {
        let Ok(index) = IdentityIndex::from_bytes(&bytes, 3) else { continue };
        assert_eq!(index.to_bytes(), bytes, "an index loaded but does not write back the same");
        let again = IdentityIndex::from_bytes(&index.to_bytes(), 4).expect("our own index loads");
        assert_eq!(again.size(), index.size());
        assert!(!index.has(""), "the empty string is no identity");
    }
    // Built from the input's lines, an index round-trips.
    let mut index = IdentityIndex::with_seed(5);
    let mut model = HashSet::new();
    for line in String::from_utf8_lossy(data).split('\n') {
        assert_eq!(index.add(line), !line.is_empty() && model.insert(line.to_string()));
    }
    assert_eq!(index.size(), model.len());
    let restored = IdentityIndex::from_bytes(&index.to_bytes(), 6).expect("our own index loads");
    assert_eq!(restored.to_bytes(), index.to_bytes());
    assert!(model.iter().all(|id| restored.has(id)));
}

// ---- audiences ----------------------------------------------------------------------

/// `decode_segment_membership` never panics; what it decodes encodes back (to the same
/// text when no id repeats), and `segment_membership_contains` agrees with it. Lists cut
/// from the input encode and decode back, repeats dropped.
pub fn check_segment_membership(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(ids) = decode_segment_membership(&text) {
        let distinct = unique(ids.iter().map(String::as_str));
        let encoded = encode_segment_membership(ids.iter().map(String::as_str)).expect("decoded ids encode");
        if distinct.len() == ids.len() {
            assert_eq!(encoded, text, "decode then encode changed the text");
        }
        assert_eq!(decode_segment_membership(&encoded).unwrap(), distinct);
        for id in &ids {
            assert!(segment_membership_contains(&text, id), "{id:?} decoded from {text:?} but not contained");
        }
    }
    let list: Vec<&str> = text.split('\n').collect();
    match encode_segment_membership(list.iter().copied()) {
        Ok(encoded) => {
            let distinct = unique(list.iter().copied());
            assert_eq!(decode_segment_membership(&encoded).expect("our encoding decodes"), distinct);
            for id in &distinct {
                assert!(segment_membership_contains(&encoded, id));
            }
        }
        Err(_) => assert!(list.iter().any(|id| id.is_empty() || id.contains('\'') || id.contains(','))),
    }
}

// ---- ingestion ----------------------------------------------------------------------

fn check_record_report(report: &RecordReport, spans: &Result<Vec<(usize, usize)>, ingest::RecordProblem>) {
    assert_json(&report.to_json());
    match spans {
        Err(problem) => {
            assert_eq!((report.valid, report.invalid), (0, 0));
            assert_eq!(report.problems, std::slice::from_ref(problem));
        }
        Ok(spans) => {
            assert_eq!(report.valid + report.invalid, spans.len());
            assert_eq!(report.invalid_indexes.len(), report.invalid);
            assert!(report.invalid_indexes.windows(2).all(|w| w[0] < w[1]));
            assert!(report.invalid_indexes.iter().all(|&i| i < spans.len()));
            for p in &report.problems {
                match p.index {
                    Some(i) => {
                        assert!(i < spans.len());
                        if !p.warning {
                            assert!(report.invalid_indexes.contains(&i), "an error on a record counted valid");
                        }
                    }
                    None => assert!(p.warning, "a list-level error after the list was read: {p:?}"),
                }
            }
            for &i in &report.invalid_indexes {
                assert!(report.problems.iter().any(|p| p.index == Some(i) && !p.warning), "invalid for no reason");
            }
        }
    }
}

/// Event and profile validation and `/import` batching agree on the records of any text,
/// and batching keeps each record once, in order, within Mixpanel's limits.
pub fn check_ingest(data: &[u8]) {
    let spans = ingest::split_records(data);
    if let Ok(spans) = &spans {
        assert!(spans.iter().all(|&(from, to)| from < to && to <= data.len()));
        assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
    }
    for now in [0, 1_763_800_000_000, u64::MAX] {
        check_record_report(&ingest::validate_events(data, now), &spans);
    }
    for token in [None, Some("t")] {
        check_record_report(&ingest::validate_profiles(data, ProfileKind::User, token), &spans);
        check_record_report(&ingest::validate_profiles(data, ProfileKind::Group, token), &spans);
    }
    match (ingest::import_batches(data), &spans) {
        (Ok(bodies), Ok(spans)) => {
            let mut records = Vec::new();
            for body in &bodies {
                assert!(body.len() <= ingest::MAX_REQUEST_BYTES);
                let inner = ingest::split_records(body.as_bytes()).expect("our body is a JSON array");
                assert!(!inner.is_empty() && inner.len() <= ingest::MAX_EVENTS_PER_REQUEST);
                assert!(body.starts_with('['));
                records.extend(inner.into_iter().map(|(from, to)| body[from..to].to_string()));
            }
            let expected: Vec<String> =
                spans.iter().map(|&(from, to)| String::from_utf8_lossy(&data[from..to]).into_owned()).collect();
            assert_eq!(records, expected, "import_batches lost, repeated or changed a record");
        }
        (Err(problem), Err(split)) => assert_eq!(&problem, split),
        (Err(problem), Ok(_)) => assert_eq!(problem.code, "event_too_large"),
        (Ok(_), Err(_)) => panic!("import_batches took text split_records refused"),
    }
}

// ---- arguments from JavaScript -------------------------------------------------------

/// The readers of JSON arguments (`args`, what `api.js` hands the wasm) never
/// panic, and what they read is consistent; CleverTap's answers (any bytes) are read
/// without losing a record.
pub fn check_args(data: &[u8]) {
    if let Ok(list) = args::read_string_list(data) {
        let mut w = JsonWriter::new();
        w.begin_array();
        for id in &list {
            w.string(id);
        }
        w.end_array();
        let text = w.finish();
        let again = args::read_string_list(text.as_bytes()).expect("our list reads");
        assert_eq!(again, list);
        // diff_members against the list's two halves.
        let (previous, current) = list.split_at(list.len() / 2);
        let diff = crate::diff::diff_members(previous.iter().map(|s| &**s), current.iter().map(|s| &**s), 1);
        let prev: HashSet<&str> = previous.iter().map(|s| &**s).collect();
        let cur: HashSet<&str> = current.iter().map(|s| &**s).collect();
        assert_eq!(diff.added, unique(current.iter().map(|s| &**s).filter(|id| !prev.contains(id))));
        assert_eq!(diff.removed, unique(previous.iter().map(|s| &**s).filter(|id| !cur.contains(id))));
    }
    if let Ok(members) = args::read_member_list(data) {
        assert!(members.iter().all(|m| !m.distinct_id.is_empty()));
    }
    if let Ok(list) = args::read_text_list(data) {
        let _ = encode_segment_membership(list.iter().map(String::as_str));
    }
    if let Ok(page) = args::read_page_argument(data) {
        assert!(page.page.map_or(true, |p| 1 <= p.count && p.count <= p.total) && !page.session_id.is_empty());
        let mut state = CohortState::with_seed(2);
        let outcome = state.apply_page(&page);
        assert_eq!(outcome.size, state.size());
        check_state(&state);
        assert_json(
            &crate::destinations::braze_cohort_changes(&page, &crate::identity::IdentityRule::CleverTap).to_json(),
        );
        for body in crate::destinations::clevertap_uploads(&page, 1_763_800_000) {
            assert_json(&body);
        }
    }
    if let Ok(audiences) = args::read_audiences(data) {
        for per_audience in [false, true] {
            if let Ok(props) = crate::audience::audience_properties(&audiences, per_audience) {
                assert!(props.flags.len() <= audiences.len());
            }
        }
    }
    if let Ok(updates) = args::read_profile_updates(data) {
        if let Ok(bodies) = crate::audience::engage_batches(&updates, "t", 2) {
            bodies.iter().for_each(|b| assert_json(b));
        }
    }
    let records = args::read_upload_records(data).unwrap_or_else(|_| vec!["{\"a\":1}".into(), "{\"b\":2}".into()]);
    for status in [200, 206, 400, 429, 503] {
        let outcome = crate::destinations::read_clevertap_response(&records, status, data);
        assert_eq!(
            outcome.delivered + outcome.retry.len() + outcome.failed.len(),
            records.len(),
            "records lost or counted twice (HTTP {status})"
        );
        assert_json(&outcome.to_json());
    }
}

// ---- the loader's state ---------------------------------------------------------------

/// `bytes` with their last 8 bytes replaced by the load snapshot checksum of the rest, so
/// that mutations get past the checksum to the entries.
fn with_load_checksum(bytes: &[u8]) -> Option<Vec<u8>> {
    let body = bytes.get(..bytes.len().checked_sub(8)?)?;
    let mut out = body.to_vec();
    out.extend_from_slice(&snapshot_checksum(body).to_le_bytes());
    Some(out)
}

/// A load state's bytes as read back, one entry (key hash, value) a key, in order.
fn load_entries(bytes: &[u8]) -> Vec<(u64, u64)> {
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    (13..bytes.len() - 8).step_by(16).map(|at| (word(at), word(at + 8))).collect()
}

/// `LoadState::from_bytes` never panics (nor sizes memory by a count it has not
/// checked); what it accepts writes back the same bytes, reads the same in parts of any
/// size, and is a working state: rows planned against it (keys it holds and keys it does
/// not, the input's tail choosing which) get the outcomes a plain map gives, and what is
/// sent or failed then is kept through another save and load.
pub fn check_load_snapshot(data: &[u8]) {
    for bytes in std::iter::once(data.to_vec()).chain(with_load_checksum(data)) {
        let mut parts = SnapshotReader::new();
        let cut = 1 + data.len() % 23;
        let pushed = bytes.chunks(cut).try_for_each(|part| parts.push(part));
        // Memory follows the bytes given (a chunk of entries is 1 MiB), never a count read
        // from them before the checksum vouches for it.
        assert!(parts.memory_bytes() <= (2 << 20) + 24 * bytes.len(), "{} bytes held", parts.memory_bytes());
        let in_parts = pushed.and_then(|()| parts.finish());
        let mut state = match (LoadState::from_bytes(&bytes), in_parts) {
            (Err(whole), Err(cut_up)) => {
                assert_eq!(whole, cut_up, "refused whole and in parts of {cut} for different reasons");
                continue;
            }
            (Ok(state), Ok(again)) => {
                assert_eq!(again.to_bytes(), bytes, "accepted whole, not the same in parts of {cut}");
                state
            }
            (whole, cut_up) => panic!("whole: {:?}, in parts of {cut}: {:?}", whole.err(), cut_up.err()),
        };
        assert_eq!(state.to_bytes(), bytes, "a load state loaded but does not write back the same");
        let mut writer = SnapshotWriter::new(&state);
        let mut written = Vec::new();
        loop {
            let part = writer.next_part(&state, cut);
            if part.is_empty() {
                break;
            }
            written.extend_from_slice(&part);
        }
        assert_eq!(written, bytes, "written in parts of {cut}, not the same bytes");

        // The model: key hash -> (checksum, failed), as the bytes hold them.
        let held = load_entries(&bytes);
        let mut model: HashMap<u64, (u64, bool)> =
            held.iter().map(|&(k, v)| (k, (v & !(1 << 63), v >> 63 == 1))).collect();
        assert_eq!(state.len(), model.len());
        for (&key, &(checksum, failed)) in &model {
            let status = state.status(key).expect("a key the bytes hold is known");
            assert_eq!((status.checksum, status.failed, status.seen), (checksum, failed, false));
        }
        // What the state stores of a checksum: its low 63 bits, all ones taken as all ones but the last.
        let bits = |checksum: u64| (checksum & (u64::MAX >> 1)).min((u64::MAX >> 1) - 1);
        let mut planned = HashSet::new();
        let rows: Vec<(u64, u64)> = data
            .iter()
            .rev()
            .take(12)
            .map(|&b| {
                let key = if b % 2 == 0 && !held.is_empty() {
                    held[b as usize / 2 % held.len()].0
                } else {
                    u64::from(b).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                };
                // The checksum held (unchanged, if it is not failed), or another.
                let checksum = if b % 3 == 0 { model.get(&key).map_or(1, |&(c, _)| c) } else { u64::from(b) << 56 | 1 };
                (key, checksum)
            })
            .collect();
        let outcomes = state.plan_hashes(&rows);
        for (&(key, checksum), &outcome) in rows.iter().zip(&outcomes) {
            let expected = match model.get(&key) {
                _ if planned.contains(&key) => Outcome::Duplicate,
                None => Outcome::New,
                Some(&(_, true)) => Outcome::Retry,
                Some(&(was, false)) if was == bits(checksum) => Outcome::Unchanged,
                Some(_) => Outcome::Changed,
            };
            assert_eq!(outcome, expected, "key {key:x}");
            if planned.insert(key) && !model.contains_key(&key) {
                model.insert(key, (bits(checksum), true));
            }
        }
        let gone: HashSet<u64> = model.keys().copied().filter(|key| !planned.contains(key)).collect();
        assert_eq!(state.removed().into_iter().collect::<HashSet<_>>(), gone);
        for (i, &(key, checksum)) in rows.iter().enumerate() {
            if i % 2 == 0 {
                state.mark_sent(key, checksum);
                model.insert(key, (bits(checksum), false));
            } else if state.mark_failed(key) {
                model.get_mut(&key).expect("a key marked failed is known").1 = true;
            }
        }
        let again = LoadState::from_bytes(&state.to_bytes()).expect("our own bytes load");
        assert_eq!(again.len(), model.len());
        for (&key, &(checksum, failed)) in &model {
            let status = again.status(key).expect("a key sent or planned is kept");
            assert_eq!((status.checksum, status.failed), (checksum, failed), "key {key:x}");
        }
    }
}
