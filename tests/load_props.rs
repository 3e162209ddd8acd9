//! Property tests of the loader's state: any sequence of runs plans exactly as a plain
//! `HashMap` of what was sent would; snapshots round-trip and refuse any flipped byte;
//! insert ids always fit Mixpanel's rule; and the memory figure per key.

use cohort_sync::load::{insert_id, key_hash, record_checksum, row_hashes, LoadState, Outcome};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// The rules of `src/load/plan.rs`, written the obvious way: key → (record last sent or
/// planned, whether the last send failed or is unconfirmed), and the keys seen this run.
#[derive(Default)]
struct Model {
    sent: HashMap<String, (String, bool)>,
    seen: HashSet<String>,
}

impl Model {
    fn plan(&mut self, key: &str, record: &str) -> Outcome {
        if !self.seen.insert(key.to_string()) {
            return Outcome::Duplicate;
        }
        match self.sent.get(key) {
            None => {
                self.sent.insert(key.to_string(), (record.to_string(), true));
                Outcome::New
            }
            Some((_, true)) => Outcome::Retry,
            Some((last, false)) if last == record => Outcome::Unchanged,
            Some(_) => Outcome::Changed,
        }
    }

    fn removed(&self) -> HashSet<String> {
        self.sent.keys().filter(|key| !self.seen.contains(*key)).cloned().collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Fate {
    Sent,
    Failed,
    /// Neither reported (an abandoned batch).
    Unmarked,
}

#[derive(Debug, Clone)]
struct Run {
    /// (key, record, what becomes of its send): few keys and records, so that repeats,
    /// unchanged rows and keys missing from a run are common.
    rows: Vec<(u8, u8, Fate)>,
    /// Keys marked failed out of the blue (some unknown).
    failed: Vec<u8>,
    /// Sends recorded before the run plans (a journal replayed after a crash).
    replayed: Vec<(u8, u8)>,
    /// Which removed keys (in sorted order) are forgotten.
    forget: Vec<bool>,
    /// Keys forgotten whatever their state (some planned in this run, some unknown).
    drop: Vec<u8>,
    /// Rows planned after the forgetting, still in the same run.
    late: Vec<(u8, u8)>,
    /// Save and load the state after the run.
    reload: bool,
}

fn run() -> impl Strategy<Value = Run> {
    let fate = prop_oneof![6 => Just(Fate::Sent), 2 => Just(Fate::Failed), 1 => Just(Fate::Unmarked)];
    (
        proptest::collection::vec((0u8..40, 0u8..3, fate), 0..60),
        proptest::collection::vec(0u8..50, 0..3),
        proptest::collection::vec((0u8..50, 0u8..3), 0..4),
        proptest::collection::vec(any::<bool>(), 0..40),
        proptest::collection::vec(0u8..50, 0..3),
        proptest::collection::vec((0u8..40, 0u8..3), 0..6),
        any::<bool>(),
    )
        .prop_map(|(rows, failed, replayed, forget, drop, late, reload)| Run {
            rows,
            failed,
            replayed,
            forget,
            drop,
            late,
            reload,
        })
}

fn key(k: u8) -> String {
    format!("row-{k}")
}

fn record(k: u8, r: u8) -> String {
    format!("{{\"key\":{k},\"v\":{r}}}")
}

/// Every key the model knows is in the state with its checksum and status, and nothing else.
fn same_contents(state: &LoadState, model: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(state.len(), model.sent.len());
    for (k, (rec, failed)) in &model.sent {
        let status = state.status(key_hash(k.as_bytes()));
        prop_assert!(status.is_some(), "{} is missing", k);
        let status = status.unwrap();
        prop_assert_eq!(status.checksum, record_checksum(rec.as_bytes()));
        prop_assert_eq!(status.failed, *failed);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_of_runs_plans_as_a_hash_map_would(runs in proptest::collection::vec(run(), 1..8)) {
        let mut state = LoadState::new();
        let mut model = Model::default();
        for run in runs {
            state.start_run();
            model.seen.clear();
            for &(k, r) in &run.replayed {
                state.mark_sent(key_hash(key(k).as_bytes()), record_checksum(record(k, r).as_bytes()));
                model.sent.insert(key(k), (record(k, r), false));
            }
            for &(k, r, fate) in &run.rows {
                let (key, record) = (key(k), record(k, r));
                let outcome = state.plan_row(key.as_bytes(), record.as_bytes());
                prop_assert_eq!(outcome, model.plan(&key, &record), "row {} {}", key, record);
                if !outcome.should_send() {
                    continue;
                }
                match fate {
                    Fate::Sent => {
                        state.mark_sent(key_hash(key.as_bytes()), record_checksum(record.as_bytes()));
                        model.sent.insert(key, (record, false));
                    }
                    Fate::Failed => {
                        prop_assert!(state.mark_failed(key_hash(key.as_bytes())));
                        model.sent.get_mut(&key).unwrap().1 = true;
                    }
                    Fate::Unmarked => {}
                }
            }
            for &k in &run.failed {
                let known = model.sent.get_mut(&key(k)).map(|entry| entry.1 = true).is_some();
                prop_assert_eq!(state.mark_failed(key_hash(key(k).as_bytes())), known);
            }
            let removed: HashSet<u64> = state.removed().into_iter().collect();
            let mut expected: Vec<String> = model.removed().into_iter().collect();
            expected.sort();
            prop_assert_eq!(&removed, &expected.iter().map(|k| key_hash(k.as_bytes())).collect::<HashSet<u64>>());
            for (k, forget) in expected.iter().zip(run.forget.iter().chain(std::iter::repeat(&false))) {
                if *forget {
                    prop_assert!(state.forget(key_hash(k.as_bytes())));
                    model.sent.remove(k);
                }
            }
            prop_assert!(!state.forget(key_hash(b"never a key")));
            for &k in &run.drop {
                let known = model.sent.remove(&key(k)).is_some();
                model.seen.remove(&key(k));
                prop_assert_eq!(state.forget(key_hash(key(k).as_bytes())), known);
            }
            for &(k, r) in &run.late {
                let (key, record) = (key(k), record(k, r));
                prop_assert_eq!(state.plan_row(key.as_bytes(), record.as_bytes()), model.plan(&key, &record));
            }
            // Forgetting moves entries: who was seen must move with them.
            let left: HashSet<u64> = model.removed().iter().map(|k| key_hash(k.as_bytes())).collect();
            prop_assert_eq!(state.removed().into_iter().collect::<HashSet<u64>>(), left);
            same_contents(&state, &model)?;
            if run.reload {
                let bytes = state.to_bytes();
                state = LoadState::from_bytes(&bytes).unwrap();
                prop_assert_eq!(state.to_bytes(), bytes);
                same_contents(&state, &model)?;
            }
        }
    }

    #[test]
    fn snapshots_round_trip_and_refuse_any_flipped_byte(
        keys in proptest::collection::vec((any::<u64>(), any::<u64>(), any::<bool>()), 0..40),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut state = LoadState::new();
        for &(hash, checksum, failed) in &keys {
            state.mark_sent(hash, checksum);
            if failed {
                state.mark_failed(hash);
            }
        }
        let bytes = state.to_bytes();
        let loaded = LoadState::from_bytes(&bytes).unwrap();
        prop_assert_eq!(loaded.len(), state.len());
        for &(hash, _, _) in &keys {
            prop_assert_eq!(loaded.status(hash).map(|s| (s.checksum, s.failed)), state.status(hash).map(|s| (s.checksum, s.failed)));
        }
        let mut flipped = bytes.clone();
        let at = at.index(flipped.len());
        flipped[at] ^= flip;
        prop_assert!(LoadState::from_bytes(&flipped).is_err(), "byte {} flipped by {:#x} was accepted", at, flip);
    }

    #[test]
    fn any_bytes_are_refused_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(LoadState::from_bytes(&body).is_err());
        let mut framed = b"CSLD\x01".to_vec();
        framed.extend_from_slice(&body);
        prop_assert!(LoadState::from_bytes(&framed).is_err());
    }

    #[test]
    fn insert_ids_fit_mixpanels_rule_and_tell_keys_apart(event in "\\PC{0,20}", a in "\\PC{0,30}", b in "\\PC{0,30}") {
        let id = insert_id(&event, &a);
        prop_assert!((1..=36).contains(&id.len()) && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'), "{}", id);
        prop_assert_eq!(insert_id(&event, &a), id.clone());
        if a != b {
            prop_assert_ne!(insert_id(&event, &b), id);
        }
    }
}

#[test]
fn every_single_flipped_byte_of_a_small_snapshot_is_refused() {
    let mut state = LoadState::new();
    for i in 0..30u32 {
        let key = i.to_string();
        state.plan_row(key.as_bytes(), b"{}");
        if i % 3 != 0 {
            state.mark_sent(key_hash(key.as_bytes()), record_checksum(b"{}"));
        }
    }
    let bytes = state.to_bytes();
    for at in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xFF] {
            let mut flipped = bytes.clone();
            flipped[at] ^= flip;
            assert!(LoadState::from_bytes(&flipped).is_err(), "byte {at} ^ {flip:#x}");
        }
        assert!(LoadState::from_bytes(&bytes[..at]).is_err(), "cut at {at}");
    }
}

/// Bytes a key: the state as the first run builds it (the index doubled on the way) and
/// as every later run loads it (sized to its keys).
fn bytes_per_key(keys: u64) -> (f64, f64) {
    let mut state = LoadState::new();
    let mut text = String::new();
    for i in 0..keys {
        text.clear();
        text.push_str("customer-");
        text.push_str(&i.to_string());
        state.plan_row(text.as_bytes(), b"{}");
    }
    let built = state.memory_bytes() as f64 / keys as f64;
    let loaded = LoadState::from_bytes(&state.to_bytes()).unwrap();
    assert_eq!(loaded.len() as u64, keys);
    (built, loaded.memory_bytes() as f64 / keys as f64)
}

#[test]
fn a_million_keys_take_at_most_24_bytes_each() {
    let (built, loaded) = bytes_per_key(1_000_000);
    println!("1M keys: {built:.1} B/key as built by a first run, {loaded:.1} B/key loaded");
    assert!(loaded <= 24.0, "{loaded}");
    // Growing from empty, the index may be doubled just before: 16 B of entry, at most
    // 4/0.375 B of index, a partly filled chunk and the seen bits.
    assert!(built <= 27.5, "{built}");
}

/// One batch of rows of the 10M test: keys `customer-<i>` and ~210-byte event records,
/// `version` changing the records of rows with `i % 100 == 3`.
fn batch(rows: std::ops::Range<u64>, version: u64) -> (Vec<String>, Vec<String>) {
    let keys: Vec<String> =
        rows.clone().filter(|i| i % 100 != 7 || version == 0).map(|i| format!("customer-{i}")).collect();
    let records = keys
        .iter()
        .map(|key| {
            let i: u64 = key["customer-".len()..].parse().unwrap_or(0);
            let amount = i % 997 + if i % 100 == 3 { version } else { 0 };
            format!(
                "{{\"event\":\"Purchase\",\"properties\":{{\"$insert_id\":\"{}\",\"distinct_id\":\"{key}\",\"time\":1733500000000,\"amount\":{amount},\"currency\":\"EUR\",\"sku\":\"SKU-000123\",\"store\":\"Berlin Mitte\"}}}}",
                insert_id("Purchase", key)
            )
        })
        .collect();
    (keys, records)
}

/// A run over `rows` in batches of 2000 as the loader makes them: plan, then mark every
/// row to send as sent. Returns the outcome counts and the time in `plan` and in marking
/// (building the rows is not counted).
fn timed_run(state: &mut LoadState, rows: std::ops::Range<u64>, version: u64) -> ([usize; 5], f64, f64) {
    let (mut counts, mut planning, mut marking) = ([0usize; 5], 0.0, 0.0);
    state.start_run();
    for first in rows.clone().step_by(2000) {
        let (keys, records) = batch(first..(first + 2000).min(rows.end), version);
        let started = Instant::now();
        let outcomes = state.plan(keys.iter().map(|k| k.as_bytes()).zip(records.iter().map(|r| r.as_bytes())));
        planning += started.elapsed().as_secs_f64();
        let started = Instant::now();
        let sent = outcomes.iter().zip(keys.iter().zip(&records)).filter(|(o, _)| o.should_send()).map(|(_, row)| row);
        state.mark_all_sent(&row_hashes(sent.map(|(k, r)| (k.as_bytes(), r.as_bytes()))));
        marking += started.elapsed().as_secs_f64();
        for outcome in outcomes {
            counts[outcome.code() as usize] += 1;
        }
    }
    (counts, planning, marking)
}

/// The 10M figures (run with `cargo test --release --test load_props -- --ignored --nocapture`).
#[test]
#[ignore]
fn ten_million_keys_memory_and_speed() {
    const KEYS: u64 = 10_000_000;
    let mut state = LoadState::new();
    let (_, plan_first, mark_first) = timed_run(&mut state, 0..KEYS, 0);
    let built = state.memory_bytes() as f64 / KEYS as f64;
    let started = Instant::now();
    let bytes = state.to_bytes();
    let save = started.elapsed();
    drop(state);
    let started = Instant::now();
    let mut state = LoadState::from_bytes(&bytes).unwrap();
    let load = started.elapsed();
    let loaded = state.memory_bytes() as f64 / KEYS as f64;
    let started = Instant::now();
    let again = state.to_bytes();
    let save_loaded = started.elapsed();
    assert!(again == bytes);

    // Run two: 1% changed, 1% gone, 1% new.
    let (counts, plan_second, mark_second) = timed_run(&mut state, 0..KEYS + KEYS / 100, 1);
    let started = Instant::now();
    let removed = state.removed();
    let removed_time = started.elapsed();
    let ns = |seconds: f64, rows: u64| seconds * 1e9 / rows as f64;
    println!(
        "10M keys: {built:.1} B/key as built, {loaded:.1} B/key loaded; snapshot {} MB; to_bytes {save:?} (built), \
         {save_loaded:?} (loaded); from_bytes {load:?}",
        bytes.len() / 1_000_000
    );
    println!(
        "plan: first run {:.0} ns/row (mark_all_sent {:.0}), second run {:.0} ns/row (mark_all_sent {:.0}), \
         hashing ~210-byte records included; second run {:?}; removed() {removed_time:?} for {}",
        ns(plan_first, KEYS),
        ns(mark_first, KEYS),
        ns(plan_second, KEYS),
        ns(mark_second, KEYS),
        Outcome::ALL.iter().zip(counts).map(|(o, n)| format!("{} {n}", o.as_str())).collect::<Vec<_>>(),
        removed.len()
    );
    assert!(loaded <= 24.0, "{loaded}");
    assert_eq!(removed.len() as u64, KEYS / 100);
    // New: 10M..10.1M but the 1% gone; changed: 1%; unchanged: the rest of the first 10M.
    assert_eq!(counts, [99_000, 100_000, 9_800_000, 0, 0]);
}
