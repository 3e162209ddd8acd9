#![no_main]
//! See fuzz/README.md; the checks live in cohort_sync::fuzz_checks (shared with
//! tests/fuzz_corpus.rs).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cohort_sync::fuzz_checks::check_load_snapshot(data));
