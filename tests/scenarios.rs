//! The shared membership scenarios (tests/scenarios/membership/*.json), through the core's
//! `CohortState`: every step's outcome and the membership after it. The package and the
//! Worker run the same files (tests/js/package/scenarios.test.mjs,
//! tests/js/worker/scenarios.test.mjs).

use cohort_sync::{CohortState, ValidateOptions};
use serde_json::{json, Value};
use std::path::Path;

/// A step's page as the webhook body the sender would send.
pub fn body(page: &Value) -> String {
    let mut parameters = json!({
        "mixpanel_project_id": "1",
        "mixpanel_cohort_id": "scenario",
        "mixpanel_session_id": page["session"],
        "members": page["ids"].as_array().unwrap().iter().map(|id| json!({ "mixpanel_distinct_id": id })).collect::<Vec<_>>(),
    });
    if let Some(count) = page.get("count") {
        parameters["page_info"] = json!({ "page_count": count, "total_pages": page["total"] });
    }
    json!({ "action": page["action"], "parameters": parameters }).to_string()
}

fn sorted(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    out.sort();
    out
}

#[test]
fn every_shared_scenario_holds_in_the_core() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/membership");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    assert!(files.len() >= 5, "scenarios went missing: {}", files.len());
    for file in files {
        let scenario: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut state = CohortState::with_seed(7);
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let at = format!("{} step {}", file.file_name().unwrap().to_string_lossy(), i + 1);
            let outcome = state.apply_body(body(&step["page"]).as_bytes(), &ValidateOptions::default()).expect(&at);
            let expect = &step["expect"];
            let added: Vec<&str> = expect["added"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(outcome.added, added, "{at}: added");
            let mut removed = outcome.removed.clone();
            removed.sort();
            assert_eq!(removed, sorted(&expect["removed"]), "{at}: removed");
            assert_eq!(outcome.duplicate, expect["duplicate"].as_bool().unwrap(), "{at}: duplicate");
            assert_eq!(outcome.session_complete, expect["sessionComplete"].as_bool().unwrap(), "{at}: sessionComplete");
            let mut members: Vec<String> = state.members().collect();
            members.sort();
            assert_eq!(members, sorted(&expect["members"]), "{at}: members");
            assert_eq!(state.pending_session(), expect["pending"].as_str(), "{at}: pending");
        }
    }
}
