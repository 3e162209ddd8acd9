//! Golden tests: every payload in tests/fixtures/payloads/ against its expected report in
//! tests/fixtures/expected/. Regenerate the expected reports with
//! `UPDATE_FIXTURES=1 cargo test --test fixtures` and review the diff before committing.

use cohort_sync::json::ToJson;
use cohort_sync::{parse_payload, validate_payload, ValidateOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/payloads");
    let mut out = Vec::new();
    for dir in ["valid", "invalid"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("fixture folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                out.push((format!("{dir}/{stem}"), path));
            }
        }
    }
    out.sort();
    assert!(out.len() >= 25, "fixtures went missing: {}", out.len());
    out
}

/// The problem code a fixture is named after, where its name is not itself a code.
fn expected_code(name: &str) -> &str {
    match name {
        "page_zero" => "page_out_of_range",
        "null_body" => "not_an_object",
        "trailing_data" => "invalid_json",
        other => other,
    }
}

#[test]
fn reports_match_the_golden_files() {
    let expected_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/expected");
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut mismatches = Vec::new();
    for (name, path) in fixtures() {
        let body = std::fs::read(&path).unwrap();
        let report: Value =
            serde_json::from_str(&validate_payload(&body, &ValidateOptions::default()).to_json()).unwrap();
        let golden = expected_dir.join(format!("{}.json", name.replace('/', "__")));
        if update {
            std::fs::write(&golden, serde_json::to_string_pretty(&report).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Value = serde_json::from_str(
            &std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("no golden report {}", golden.display())),
        )
        .unwrap();
        if want != report {
            mismatches.push(format!("{name}:\n  want {want}\n  got  {report}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn each_fixture_reports_the_code_it_is_named_after() {
    for (name, path) in fixtures() {
        let body = std::fs::read(&path).unwrap();
        let report = validate_payload(&body, &ValidateOptions::default());
        let (dir, stem) = name.split_once('/').unwrap();
        let codes = |list: &[cohort_sync::Problem]| list.iter().map(|p| p.code.as_str()).collect::<Vec<_>>();
        if dir == "valid" {
            assert!(report.valid, "{name}: {:?}", report.errors);
            let warnings = codes(&report.warnings);
            let named_after_a_code = stem.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && ![
                    "members_page",
                    "add_members",
                    "remove_members",
                    "empty_diff",
                    "unicode_and_escapes",
                    "real_sender_members",
                    "real_sender_remove_members",
                ]
                .contains(&stem);
            if named_after_a_code {
                assert!(warnings.contains(&stem), "{name} warns {warnings:?}");
            }
        } else {
            assert!(!report.valid, "{name} should be invalid");
            let errors = codes(&report.errors);
            assert!(errors.contains(&expected_code(stem)), "{name} errors {errors:?}");
        }
        // Every problem points somewhere real: a JSON Pointer, and a line when located.
        for p in report.errors.iter().chain(&report.warnings) {
            assert!(p.path.is_empty() || p.path.starts_with('/'), "{name}: {p:?}");
            assert_eq!(p.line.is_some(), p.offset.is_some(), "{name}: {p:?}");
        }
    }
}

/// parse_payload's members say what serde_json reads in the same bytes.
#[test]
fn parsed_pages_agree_with_serde_json() {
    for (name, path) in fixtures() {
        let body = std::fs::read(&path).unwrap();
        let Ok(page) = parse_payload(&body, &ValidateOptions::default()) else {
            assert!(name.starts_with("invalid/"), "{name} did not parse");
            continue;
        };
        let text = String::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body).to_vec()).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let members = doc["parameters"]["members"].as_array().unwrap();
        assert_eq!(page.members.len(), members.len(), "{name}");
        assert_eq!(page.action.as_str(), doc["action"].as_str().unwrap());
        assert_eq!(page.cohort_id, doc["parameters"]["mixpanel_cohort_id"].as_str().unwrap());
        for (ours, theirs) in page.members.iter().zip(members) {
            let theirs = theirs.as_object().unwrap();
            // The documented key, else Mixpanel's reserved property for the same thing.
            let text = |key: &str, reserved: &str| {
                theirs.get(key).or_else(|| theirs.get(reserved)).and_then(Value::as_str).filter(|t| !t.is_empty())
            };
            assert_eq!(Some(ours.distinct_id.as_str()), text("mixpanel_distinct_id", "$distinct_id"));
            assert_eq!(ours.email.as_deref(), text("email", "$email"));
            assert_eq!(ours.first_name.as_deref(), text("first_name", "$first_name"));
            assert_eq!(ours.phone_number.as_deref(), text("phone_number", "$phone"));
            let known = ["mixpanel_distinct_id", "email", "first_name", "last_name", "phone_number"];
            let others: Vec<_> = theirs.iter().filter(|(k, _)| !known.contains(&k.as_str())).collect();
            assert_eq!(ours.properties.len(), others.len(), "{name}");
            for (key, value) in others {
                let raw = ours.properties.get(key).unwrap_or_else(|| panic!("{name}: no {key}"));
                assert_eq!(&serde_json::from_str::<Value>(raw).unwrap(), value, "{name}: {key}");
            }
        }
    }
}

#[test]
fn body_size_limit_is_checked_before_reading() {
    let body =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/payloads/valid/members_page.json"))
            .unwrap();
    let tight = ValidateOptions { max_bytes: body.len() - 1, ..ValidateOptions::default() };
    let report = validate_payload(&body, &tight);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].code.as_str(), "body_too_large");
    assert_eq!(report.action, None, "nothing is read from an oversized body");
    let exact = ValidateOptions { max_bytes: body.len(), ..ValidateOptions::default() };
    assert!(validate_payload(&body, &exact).valid);
}

#[test]
fn member_limit_is_an_option() {
    let body =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/payloads/valid/members_page.json"))
            .unwrap();
    let report = validate_payload(&body, &ValidateOptions { max_members: 2, ..ValidateOptions::default() });
    assert_eq!(report.errors.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["too_many_members"]);
    assert_eq!(report.member_count, Some(3));
}
