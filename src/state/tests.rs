use super::*;
use crate::payload::{Member, ValidateOptions};
use crate::plan::{plan_sync, PlanOptions};
use proptest::prelude::*;

fn options(session: &str) -> PlanOptions {
    PlanOptions {
        project_id: "p".into(),
        cohort_id: "c".into(),
        cohort_name: Some("Cohort".into()),
        cohort_description: None,
        session_id: session.into(),
        batch_size: 2,
        snapshot_age_ms: None,
    }
}

fn members(ids: &[&str]) -> Vec<Member> {
    ids.iter().map(|id| Member::with_id(id.to_string())).collect()
}

fn apply(state: &mut CohortState, body: &str) -> ApplyOutcome {
    state.apply_body(body.as_bytes(), &ValidateOptions::default()).expect("planned bodies are valid")
}

fn sorted(state: &CohortState) -> Vec<String> {
    let mut ids: Vec<String> = state.members().collect();
    ids.sort();
    ids
}

#[test]
fn a_full_sync_sweeps_only_when_every_page_arrived() {
    let mut state = CohortState::with_seed(2);
    for (page, id) in ["old1", "old2", "a"].iter().enumerate() {
        let page = page as u64 + 1;
        state.apply(PageRef {
            action: Action::AddMembers,
            session_id: "x",
            page: Some(crate::payload::PageInfo { count: page, total: 3 }),
            ids: [id.as_bytes()],
        });
    }
    let bodies = plan_sync(None, &members(&["a", "b", "c", "d", "e"]), &options("full")).unwrap();
    assert_eq!(bodies.len(), 3);
    // Out of order, with a replay in the middle.
    let third = apply(&mut state, &bodies[2]);
    assert_eq!((third.added.clone(), third.session_complete), (vec!["e".to_string()], false));
    assert!(apply(&mut state, &bodies[2]).duplicate);
    assert!(!apply(&mut state, &bodies[0]).session_complete);
    assert_eq!(state.pending_session(), Some("full"));
    assert!(state.has("old1"), "no sweep before the last page");
    let last = apply(&mut state, &bodies[1]);
    assert!(last.session_complete);
    assert_eq!(last.removed, ["old1", "old2"]);
    assert_eq!(sorted(&state), ["a", "b", "c", "d", "e"]);
    // Late replays of the finished session change nothing.
    for body in &bodies {
        assert!(apply(&mut state, body).duplicate);
    }
}

#[test]
fn a_restart_from_the_top_replaces_the_unfinished_session() {
    let mut state = CohortState::with_seed(3);
    apply(&mut state, &plan_sync(None, &members(&["gone"]), &options("s0")).unwrap()[0]);
    let first_try = plan_sync(None, &members(&["a", "b", "c"]), &options("try1")).unwrap();
    assert_eq!(first_try.len(), 2);
    apply(&mut state, &first_try[0]);
    assert_eq!(state.pending_session(), Some("try1"));
    let second_try = plan_sync(None, &members(&["a", "c"]), &PlanOptions { batch_size: 1, ..options("try2") }).unwrap();
    assert_eq!(second_try.len(), 2);
    apply(&mut state, &second_try[0]);
    assert_eq!(state.pending_session(), Some("try2"), "the new session replaced the unfinished one");
    // A late page of the abandoned attempt is stale; a replay of the new one a duplicate.
    assert!(apply(&mut state, &first_try[1]).duplicate);
    assert!(apply(&mut state, &second_try[0]).duplicate);
    assert_eq!(state.pending_session(), Some("try2"));
    let out = apply(&mut state, &second_try[1]);
    assert!(out.session_complete);
    assert_eq!(sorted(&state), ["a", "c"]);
    let mut removed = out.removed.clone();
    removed.sort();
    assert_eq!(removed, ["b", "gone"]);
}

#[test]
fn a_session_whose_page_total_changes_starts_over() {
    let mut state = CohortState::with_seed(6);
    let three = |page: u64, ids: &'static [&'static str]| PageRef {
        action: Action::Members,
        session_id: "s",
        page: Some(crate::payload::PageInfo { count: page, total: 3 }),
        ids: ids.iter().map(|s| s.as_bytes()),
    };
    state.apply(three(1, &["a"]));
    state.apply(three(2, &["b"]));
    // The sender now says 2 pages: the session starts over, so page 1 counts again.
    let again = state.apply(PageRef {
        action: Action::Members,
        session_id: "s",
        page: Some(crate::payload::PageInfo { count: 1, total: 2 }),
        ids: [b"a".as_slice()],
    });
    assert!(!again.duplicate && !again.session_complete);
    let done = state.apply(PageRef {
        action: Action::Members,
        session_id: "s",
        page: Some(crate::payload::PageInfo { count: 2, total: 2 }),
        ids: [b"c".as_slice()],
    });
    assert!(done.session_complete);
    assert_eq!(done.removed, ["b"]);
    assert_eq!(sorted(&state), ["a", "c"]);
}

#[test]
fn snapshots_round_trip_mid_session_and_refuse_corruption() {
    let mut state = CohortState::with_seed(4);
    let ids: Vec<String> = (0..500).map(|i| format!("{i:08x}-0000-4000-8000-000000000000")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let bodies = plan_sync(None, &members(&refs), &PlanOptions { batch_size: 100, ..options("s") }).unwrap();
    for body in &bodies[..3] {
        apply(&mut state, body);
    }
    let bytes = state.to_bytes();
    let mut restored = CohortState::from_bytes(&bytes, 99).unwrap();
    assert_eq!(restored.to_bytes(), bytes, "the snapshot does not depend on the seed");
    assert_eq!(CohortState::from_chunks(&state.to_chunks(1000), 5).unwrap().to_bytes(), bytes);
    assert!(state.to_chunks(1000).iter().all(|c| c.len() <= 1000));
    // The restored state finishes the session exactly like the original.
    for body in &bodies[3..] {
        let a = apply(&mut state, body);
        let b = apply(&mut restored, body);
        assert_eq!(a, b);
    }
    assert!(restored.pending_session().is_none());
    assert_eq!(sorted(&restored), sorted(&state));
    // Corruption anywhere is refused, never half-loaded.
    let bytes = state.to_bytes();
    for at in [0, 3, 4, 5, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x41;
        assert!(CohortState::from_bytes(&bad, 1).is_err(), "flip at {at}");
    }
    for len in [0, 3, 5, 8, bytes.len() - 1] {
        assert!(CohortState::from_bytes(&bytes[..len], 1).is_err(), "cut at {len}");
    }
    assert_eq!(CohortState::from_bytes(b"nope", 1).err(), Some(SnapshotError::BadMagic));
}

#[test]
fn a_million_uuid_members_cost_a_fraction_of_a_js_set() {
    let mut state = CohortState::with_seed(5);
    let ids: Vec<String> = (0..1_000_000u64)
        .map(|i| {
            format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                i * 2654435761 % (1 << 32),
                i % 65536,
                i % 4096,
                (i * 7) % 4096,
                i * 31
            )
        })
        .collect();
    for chunk in ids.chunks(1000) {
        state.apply(PageRef {
            action: Action::AddMembers,
            session_id: "s",
            page: Some(crate::payload::PageInfo { count: 1, total: 1 }),
            ids: chunk.iter().map(|s| s.as_bytes()),
        });
        state.tracker.history.clear(); // every chunk is "page 1": keep them all applying
    }
    assert_eq!(state.size(), 1_000_000);
    let per_member = state.memory_bytes() as f64 / 1e6;
    // A JS Set of 1M such strings: ~137 MB peak (docs/design-notes.md,
    // "Membership memory"); we want a fraction.
    assert!(per_member < 50.0, "{per_member:.1} bytes per member");
    assert!(state.to_bytes().len() < 20_000_000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whatever the delivery (shuffled, repeated, cut short and restarted from the top
    /// under a new session), a state holding `previous` ends holding `current`.
    #[test]
    fn planned_syncs_converge(
        previous in proptest::collection::btree_set("[a-h][0-9]?", 0..25),
        current in proptest::collection::vec("[a-h][0-9]?", 0..25),
        full in any::<bool>(),
        batch in 1usize..6,
        order in any::<prop::sample::Index>(),
        repeats in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        seed in any::<u64>(),
    ) {
        let previous: Vec<String> = previous.into_iter().collect();
        let mut state = CohortState::with_seed(seed);
        // Start from `previous`, delivered as a completed full sync.
        for body in plan_sync(None, &members(&previous.iter().map(String::as_str).collect::<Vec<_>>()), &options("start")).unwrap() {
            apply(&mut state, &body);
        }
        prop_assert_eq!(sorted(&state), previous.clone());
        let current_members = members(&current.iter().map(String::as_str).collect::<Vec<_>>());
        let plan = |session: &str| {
            let prev = if full { None } else { Some(previous.as_slice()) };
            plan_sync(prev, &current_members, &PlanOptions { batch_size: batch, ..options(session) }).unwrap()
        };
        let shuffle = |mut bodies: Vec<String>| {
            if !bodies.is_empty() {
                let k = order.index(bodies.len());
                bodies.rotate_left(k);
                let n = bodies.len();
                if n > 2 { bodies.swap(0, n - 1); }
            }
            bodies
        };
        // A first attempt cut short (the receiver then fails; the sender restarts).
        if let Some(cut) = cut {
            let first = plan("attempt-1");
            let upto = cut.index(first.len());
            for body in &first[..upto] {
                apply(&mut state, body);
            }
        }
        let mut delivery = shuffle(plan("attempt-2"));
        for r in &repeats {
            if !delivery.is_empty() {
                let dup = delivery[r.index(delivery.len())].clone();
                delivery.push(dup);
            }
        }
        for body in &delivery {
            apply(&mut state, body);
        }
        let mut expected: Vec<String> = current.clone();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(sorted(&state), expected);
        prop_assert!(state.pending_session().is_none());
        // And the snapshot holds exactly that.
        let restored = CohortState::from_bytes(&state.to_bytes(), seed ^ 1).unwrap();
        prop_assert_eq!(sorted(&restored), sorted(&state));
    }

    #[test]
    fn from_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = CohortState::from_bytes(&bytes, 1);
        let mut framed = b"CSST\x01".to_vec();
        framed.extend_from_slice(&bytes);
        let crc = crate::state::crc::crc32(&framed);
        framed.extend_from_slice(&crc.to_le_bytes());
        // Well framed and checksummed, arbitrary inside: refused or loaded, never a panic.
        if let Ok(state) = CohortState::from_bytes(&framed, 1) {
            let again = CohortState::from_bytes(&state.to_bytes(), 2).unwrap();
            prop_assert_eq!(sorted(&again), sorted(&state));
        }
    }
}

#[test]
fn a_finished_session_sent_again_with_another_page_count_is_a_restart() {
    let mut state = CohortState::with_seed(8);
    let page = |page: u64, total: u64, ids: &'static [&'static str]| PageRef {
        action: Action::Members,
        session_id: "S",
        page: Some(crate::payload::PageInfo { count: page, total: total }),
        ids: ids.iter().map(|s| s.as_bytes()),
    };
    assert!(state.apply(page(1, 1, &["a", "b"])).session_complete);
    // The same session again, now in two pages: not a replay of page 1 of 1.
    let first = state.apply(page(1, 2, &["a", "c"]));
    assert!(!first.duplicate);
    assert_eq!(first.added, ["c"]);
    let second = state.apply(page(2, 2, &["d"]));
    assert!(second.session_complete);
    assert_eq!(second.removed, ["b"]);
    assert_eq!(sorted(&state), ["a", "c", "d"]);
    // And a true replay of it still is one.
    assert!(state.apply(page(2, 2, &["d"])).duplicate);
}

/// A page without `page_info`, as the real sender sends it.
fn pageless(state: &mut CohortState, action: Action, session: &str, ids: &[&str]) -> ApplyOutcome {
    state.apply(PageRef { action, session_id: session, page: None, ids: ids.iter().map(|id| id.as_bytes()) })
}

fn sorted_out(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn a_replay_of_an_older_session_does_not_end_a_pageless_full_sync() {
    let mut state = CohortState::with_seed(8);
    pageless(&mut state, Action::AddMembers, "d0", &["old"]);
    pageless(&mut state, Action::Members, "full", &["a"]);
    let replay = pageless(&mut state, Action::AddMembers, "d0", &["old"]);
    assert!(replay.duplicate && replay.removed.is_empty());
    assert_eq!(state.pending_session(), Some("full"));
    // A new full sync ends it too (the sender sends one sync at a time).
    let next = pageless(&mut state, Action::Members, "full-2", &["a", "n"]);
    assert_eq!(sorted_out(next.removed), ["old"]);
    assert_eq!(state.pending_session(), Some("full-2"));
}

#[test]
fn pageless_diffs_apply_each_different_body_once() {
    let mut state = CohortState::with_seed(9);
    assert_eq!(pageless(&mut state, Action::AddMembers, "d", &["a", "b"]).added, ["a", "b"]);
    assert!(pageless(&mut state, Action::AddMembers, "d", &["a", "b"]).duplicate);
    assert_eq!(pageless(&mut state, Action::AddMembers, "d", &["c"]).added, ["c"]);
    assert_eq!(pageless(&mut state, Action::RemoveMembers, "d", &["a"]).removed, ["a"]);
    assert!(pageless(&mut state, Action::RemoveMembers, "d", &["a"]).duplicate);
    assert_eq!(pageless(&mut state, Action::RemoveMembers, "d", &["b"]).removed, ["b"]);
    assert_eq!(sorted(&state), ["c"]);
}

#[test]
fn a_numbered_full_sync_is_not_ended_by_a_new_session() {
    let mut state = CohortState::with_seed(10);
    pageless(&mut state, Action::AddMembers, "d0", &["old"]);
    let one = crate::payload::PageInfo { count: 1, total: 2 };
    state.apply(PageRef { action: Action::Members, session_id: "f", page: Some(one), ids: [&b"a"[..]] });
    let diff = pageless(&mut state, Action::AddMembers, "d1", &["x"]);
    assert!(diff.removed.is_empty(), "a numbered sync with a page missing is known unfinished");
    assert_eq!(state.pending_session(), Some("f"));
}

#[test]
fn the_tracker_and_the_state_round_trip_through_bytes_with_pageless_sessions() {
    let mut state = CohortState::with_seed(11);
    pageless(&mut state, Action::AddMembers, "d0", &["old", "a"]);
    pageless(&mut state, Action::Members, "full", &["a"]);
    let tracker = SyncTracker::from_bytes(&state.tracker().to_bytes()).expect("its own bytes load");
    assert_eq!(&tracker, state.tracker());
    let mut loaded = CohortState::from_bytes(&state.to_bytes(), 3).expect("its own bytes load");
    assert_eq!(loaded.tracker(), state.tracker());
    assert!(pageless(&mut loaded, Action::Members, "full", &["a"]).duplicate, "replays are still known after loading");
    assert_eq!(pageless(&mut loaded, Action::AddMembers, "d1", &[]).removed, ["old"], "marks survive loading");
    let mut bytes = state.tracker().to_bytes();
    let last = bytes.len() - 5;
    bytes[last] ^= 1;
    assert!(SyncTracker::from_bytes(&bytes).is_err());
}

#[test]
fn snapshots_of_version_1_still_load() {
    // A version-1 snapshot (written before pageless bodies): one member "a", a numbered
    // full sync "f" under way with page 1 of 2 (a marked), history f/members page 1.
    let mut v1 = b"CSST\x01".to_vec();
    v1.extend_from_slice(&[1, 2, 0, b'a']); // one member: raw "a"
    v1.extend_from_slice(&[1, 1, b'f', 2, 1, 1, 1]); // full sync f, total 2, pages [1], marks 0b1
    v1.extend_from_slice(&[1, 1, b'f', 0, 0, 2, 1, 1]); // history: f, members, open, total 2, [1]
    let crc = crate::state::crc::crc32(&v1);
    v1.extend_from_slice(&crc.to_le_bytes());
    let mut state = CohortState::from_bytes(&v1, 1).expect("version 1 loads");
    assert_eq!(state.pending_session(), Some("f"));
    let two = crate::payload::PageInfo { count: 2, total: 2 };
    let out = state.apply(PageRef { action: Action::Members, session_id: "f", page: Some(two), ids: [&b"b"[..]] });
    assert!(out.session_complete && out.removed.is_empty());
    assert_eq!(sorted(&state), ["a", "b"]);
}

#[test]
fn a_member_swept_out_and_listed_again_by_the_same_page_is_no_change() {
    let mut state = CohortState::with_seed(12);
    pageless(&mut state, Action::AddMembers, "d0", &["old", "gone"]);
    pageless(&mut state, Action::Members, "full", &["a"]);
    let next = pageless(&mut state, Action::AddMembers, "d1", &["old", "new"]);
    assert_eq!(
        (next.removed, next.added, next.session_complete),
        (vec!["gone".to_string()], vec!["new".to_string()], true)
    );
    assert_eq!(sorted(&state), ["a", "new", "old"]);
}
