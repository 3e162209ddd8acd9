//! Quick native timing of validate_payload on a realistic 1000-member page:
//! `cargo run --release --example validate_speed`. The published figures come from
//! bench/ (wasm in Node, side by side with JSON.parse); this is for quick loops.
use cohort_sync::{validate_payload, ValidateOptions};

fn main() {
    let mut members = Vec::new();
    for i in 0..1000 {
        members.push(serde_json::json!({
            "email": format!("user{i}@example.com"),
            "mixpanel_distinct_id": format!("5f1c0b7e-{i:04x}-4a8e-9c1d-8a7e6f5d4c3b"),
            "first_name": "Ada", "last_name": "Lovelace", "phone_number": "+44-20-7946-0958",
            "$CleverTap_user_id": format!("ct-{i}"), "plan": "pro",
        }));
    }
    let body = serde_json::to_vec(&serde_json::json!({ "action": "members", "parameters": {
        "mixpanel_project_id": "2195193", "mixpanel_cohort_id": "1234567", "mixpanel_cohort_name": "Power users",
        "mixpanel_cohort_description": "d", "mixpanel_session_id": "s", "page_info": { "total_pages": 3, "page_count": 1 },
        "members": members } })).unwrap();
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(2000);
    let started = std::time::Instant::now();
    for _ in 0..runs {
        assert!(validate_payload(std::hint::black_box(&body), &ValidateOptions::default()).valid);
    }
    let per = started.elapsed().as_secs_f64() / runs as f64;
    println!("{} bytes: {:.1} µs per page, {:.0} MB/s", body.len(), per * 1e6, body.len() as f64 / per / 1e6);
}
