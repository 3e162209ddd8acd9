//! Writes the seed corpus of the fuzz targets: `cargo run --example fuzz_corpus -- fuzz/corpus`
//! (what `fuzz/make_corpus.sh` does). Seeds are named by content, so running it again
//! adds nothing twice; `scripts/fuzz.sh` minimises the corpus after each run.
use cohort_sync::identity::IdentityIndex;
use cohort_sync::payload::Member;
use cohort_sync::{plan_sync, CohortState, PageRef, PlanOptions};
use cohort_sync::{Action, ValidateOptions};
use std::path::{Path, PathBuf};

/// The fuzzers' largest input (scripts/fuzz.sh passes the same `-max_len`).
const MAX_LEN: usize = 4 * 1024;

fn write(root: &Path, target: &str, bytes: &[u8]) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).expect("corpus folder");
    // FNV-1a of the content: a stable name, the same seed never stored twice.
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    std::fs::write(dir.join(format!("seed-{hash:016x}")), bytes).expect("write seed");
}

fn options(session: &str, batch_size: usize) -> PlanOptions {
    PlanOptions {
        project_id: "2345678".into(),
        cohort_id: "98765".into(),
        cohort_name: Some("Power users".into()),
        cohort_description: None,
        session_id: session.into(),
        batch_size,
        snapshot_age_ms: None,
    }
}

fn ids(list: &[&str]) -> Vec<Member> {
    list.iter().map(|id| Member::with_id(id.to_string())).collect()
}

fn apply(state: &mut CohortState, action: Action, session: &str, page: u64, total: u64, list: &[&str]) {
    state.apply(PageRef {
        action,
        session_id: session,
        page: Some(cohort_sync::PageInfo { count: page, total }),
        ids: list.iter().map(|id| id.as_bytes()),
    });
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/payloads");
    let shapes = ["u-1", "5f1c0b7e-0001-4a8e-9c1d-8a7e6f5d4c3b", "123456", "deadbeefcafe0001", "é😀", "A"];

    // payload: every fixture (valid and invalid) but the few past the fuzzers' input
    // size (scripts/fuzz.sh: -max_len), and a few planned bodies.
    for dir in ["valid", "invalid"] {
        for entry in std::fs::read_dir(fixtures.join(dir)).expect("fixtures") {
            let body = std::fs::read(entry.expect("entry").path()).expect("fixture");
            if body.len() <= MAX_LEN {
                write(&root, "payload", &body);
            }
        }
    }
    for body in plan_sync(None, &ids(&shapes), &options("s-1", 4)).unwrap() {
        write(&root, "payload", body.as_bytes());
    }
    let previous: Vec<String> = ["A", "gone", "u-1"].iter().map(|s| s.to_string()).collect();
    for body in plan_sync(Some(&previous), &ids(&shapes), &options("s-2", 3)).unwrap() {
        write(&root, "payload", body.as_bytes());
    }

    // apply: op sequences (see fuzz_checks::check_apply for the byte format).
    for ops in [
        &[0u8, 0b0000_0100, 3, 1, 2, 3][..],              // members page 1 of 2, three ids
        &[0, 0b0001_0100, 2, 4, 5, 0, 0b0001_0100, 1, 4], // page 2 of 2 of the session
        &[1, 1, 3, 6, 7, 8, 2, 1, 2, 6, 7],               // add then remove
        &[0, 0, 0x82, 9, 10, 3, 4, 20],                   // as a body; snapshot; chunks
        &[5, 0x3F, 5, 0xBF, 3, 0, 4, 1],                  // bulk add, bulk remove
        &[5, 0x3F, 5, 0xBF, 1, 0, 1, 3, 5, 0x3F, 5, 0xBF, 3], // twice: compaction
        &[0, 4, 2, 0xF3, b'i', b'd', b'-', b'9', 0, 1, 1, 1, 3], // an id from the input
        &[0, 0b0010_1100, 1, 1, 0, 0b0010_1101, 1, 2, 0, 0b0000_1100, 1, 3],
    ] {
        write(&root, "apply", ops);
    }

    // cohort_snapshot: states in each situation a snapshot can hold.
    let mut state = CohortState::with_seed(1);
    write(&root, "cohort_snapshot", &state.to_bytes());
    apply(&mut state, Action::AddMembers, "a-1", 1, 1, &shapes);
    write(&root, "cohort_snapshot", &state.to_bytes());
    apply(&mut state, Action::Members, "m-1", 2, 3, &["u-1", "x"]);
    write(&root, "cohort_snapshot", &state.to_bytes());
    apply(&mut state, Action::Members, "m-2", 1, 2, &["x", "y"]);
    write(&root, "cohort_snapshot", &state.to_bytes());
    apply(&mut state, Action::Members, "m-2", 2, 2, &["z"]);
    apply(&mut state, Action::RemoveMembers, "r-1", 1, 1, &["y"]);
    write(&root, "cohort_snapshot", &state.to_bytes());
    for chunk in state.to_chunks(16) {
        write(&root, "cohort_snapshot", &chunk);
    }

    // identity_snapshot: indexes, and lines to build one from.
    let mut index = IdentityIndex::with_seed(1);
    write(&root, "identity_snapshot", &index.to_bytes());
    for id in shapes {
        index.add(id);
    }
    write(&root, "identity_snapshot", &index.to_bytes());
    write(&root, "identity_snapshot", shapes.join("\n").as_bytes());
    write(&root, "identity_snapshot", &CohortState::with_seed(1).to_bytes());

    // segment_membership.
    for text in ["'11036','11034'", "", "'a'", "'1','1'", "''", "'1' ,'2'", "11036\n11034\n11036", "a'b\nc"] {
        write(&root, "segment_membership", text.as_bytes());
    }

    // ingest: events and profile updates, as arrays and NDJSON.
    let event = r#"{"event":"Signed up","properties":{"time":1763790000,"distinct_id":"u-1","$insert_id":"abc-123","bio":"x"}}"#;
    for text in [
        format!("[{event},{event}]"),
        format!("{event}\n{event}\n"),
        r#"[{"event":"","properties":{"time":"1","distinct_id":"null","$insert_id":"a b"}},1]"#.to_string(),
        r#"{"event":"e","properties":{"time":1763790000.123,"distinct_id":7,"$insert_id":"x"}}"#.to_string(),
        r#"[{"$token":"t","$distinct_id":"u","$set":{"a":1}},{"$distinct_id":"null","$unset":{}}]"#.to_string(),
        r#"[{"$group_key":"company","$group_id":"42","$set":{}},{"$group_key":"company","$delete":""}]"#.to_string(),
        "[1,".to_string(),
    ] {
        write(&root, "ingest", text.as_bytes());
    }

    // args: the JSON forms api.js hands the wasm, and CleverTap answers.
    let page = cohort_sync::parse_payload(
        plan_sync(None, &ids(&shapes), &options("s-3", 10)).unwrap()[0].as_bytes(),
        &ValidateOptions::default(),
    )
    .unwrap();
    use cohort_sync::json::ToJson;
    for text in [
        page.to_json(),
        r#"["a","b","\u00e9","a"]"#.to_string(),
        r#"["id-1",{"distinctId":"id-2","email":"a@b.c","properties":{"plan":"pro","__proto__":1}},{"mixpanel_distinct_id":"id-3","$CleverTap_user_id":"c"}]"#.to_string(),
        r#"[11036,"11034"]"#.to_string(),
        r#"[{"id":"1","name":"A","member":true},{"id":2,"member":false}]"#.to_string(),
        r#"[{"distinctId":"u","properties":{"SegmentMembership":"'1'"}}]"#.to_string(),
        r#"{"d":[{"identity":"u-1","type":"profile"},{"identity":"u-2","type":"profile"}]}"#.to_string(),
        r#"{"status":"partial","processed":1,"unprocessed":[{"status":"fail","code":509,"error":"bad","record":{"a":1}}]}"#.to_string(),
        r#"{"status":"fail","error":"Invalid credentials"}"#.to_string(),
    ] {
        write(&root, "args", text.as_bytes());
    }

    // load_snapshot: the loader's states, empty, small and as large as an input may be,
    // with keys sent, failed, planned but never confirmed, and forgotten.
    use cohort_sync::load::{key_hash, record_checksum, LoadState};
    let mut state = LoadState::new();
    write(&root, "load_snapshot", &state.to_bytes());
    for n in 0..240u32 {
        let key = format!("row-{n}");
        state.plan_row(key.as_bytes(), key.as_bytes());
        match n % 4 {
            0 | 1 => state.mark_sent(key_hash(key.as_bytes()), record_checksum(key.as_bytes())),
            2 => {
                state.mark_failed(key_hash(key.as_bytes()));
            }
            _ => {}
        }
        if n % 37 == 5 {
            state.forget(key_hash(key.as_bytes()));
        }
        if [0, 1, 2, 3, 15, 239].contains(&n) {
            write(&root, "load_snapshot", &state.to_bytes());
        }
    }
    println!("seeds written under {}", root.display());
}
