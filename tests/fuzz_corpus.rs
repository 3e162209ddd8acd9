//! Replays the fuzz corpus (`fuzz/corpus/<target>/*`, minimised by `scripts/fuzz.sh`,
//! and `fuzz/regressions/<target>/*`, the inputs of past findings) through the same checks the fuzz targets run (`cohort_sync::fuzz_checks`), under
//! plain `cargo test`: no nightly, no cargo-fuzz. Every input the fuzzer kept for its
//! coverage, and every crash it found (added to the corpus once fixed), stays checked.

use cohort_sync::fuzz_checks::{target, TARGETS};
use std::path::Path;

/// Runs every input of `name`'s corpus and regressions through its check; a test per
/// target, so they run in parallel and a failure names its target.
fn replay(name: &str) {
    let check = target(name).expect("a target of TARGETS");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let dir = root.join("corpus").join(name);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run fuzz/make_corpus.sh)", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    assert!(!files.is_empty(), "no corpus for target {name}");
    // Inputs of past findings: kept whole, outside what `cargo fuzz cmin` rewrites.
    if let Ok(found) = std::fs::read_dir(root.join("regressions").join(name)) {
        files.extend(found.map(|entry| entry.expect("regression entry").path()));
    }
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("corpus file");
        if std::panic::catch_unwind(|| check(&bytes)).is_err() {
            failures.push(path.display().to_string());
        }
    }
    assert!(failures.is_empty(), "{} of {} inputs failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

#[test]
fn payload() {
    replay("payload");
}

#[test]
fn apply() {
    replay("apply");
}

#[test]
fn cohort_snapshot() {
    replay("cohort_snapshot");
}

#[test]
fn identity_snapshot() {
    replay("identity_snapshot");
}

#[test]
fn segment_membership() {
    replay("segment_membership");
}

#[test]
fn ingest() {
    replay("ingest");
}

#[test]
fn args() {
    replay("args");
}

#[test]
fn load_snapshot() {
    replay("load_snapshot");
}

#[test]
fn every_corpus_folder_is_a_target() {
    for folder in ["fuzz/corpus", "fuzz/regressions"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        for entry in std::fs::read_dir(&root).expect("corpus folder") {
            let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
            assert!(target(&name).is_some(), "{folder}/{name} belongs to no target in fuzz_checks::TARGETS");
        }
    }
    let fuzz_targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let this_file = include_str!("fuzz_corpus.rs");
    for (name, _) in TARGETS {
        assert!(fuzz_targets.join(format!("{name}.rs")).is_file(), "target {name} has no fuzz/fuzz_targets/{name}.rs");
        assert!(this_file.contains(&format!("replay(\"{name}\")")), "target {name} is not replayed here");
    }
}
