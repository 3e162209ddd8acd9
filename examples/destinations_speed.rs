//! Quick native timing of the destination builders on a 1000-member page:
//! `cargo run --release --example destinations_speed`.
use cohort_sync::identity::{match_members, IdentityIndex, IdentityRule};
use cohort_sync::plan::{plan_sync, PlanOptions};
use cohort_sync::{read_page, Member, ValidateOptions};

fn main() {
    let members: Vec<Member> = (0..1000)
        .map(|i| {
            let mut m = Member::with_id(format!("5f1c0b7e-{i:04x}-4a8e-9c1d-8a7e6f5d4c3b"));
            m.email = Some(format!("user{i}@customers.example.com"));
            m.phone_number = Some("+14155550000".into());
            m
        })
        .collect();
    let options = PlanOptions {
        project_id: "1".into(),
        cohort_id: "9".into(),
        cohort_name: Some("P".into()),
        cohort_description: None,
        session_id: "s".into(),
        batch_size: 1000,
        snapshot_age_ms: None,
    };
    let body = plan_sync(None, &members, &options).unwrap().remove(0);
    let index = IdentityIndex::with_seed(1);
    let time = |label: &str, f: &mut dyn FnMut()| {
        let t = std::time::Instant::now();
        for _ in 0..200 {
            f();
        }
        println!("{label}: {:.3} ms", t.elapsed().as_secs_f64() * 1e3 / 200.0);
    };
    let page = read_page(body.as_bytes(), &ValidateOptions::default()).unwrap();
    time("read_page", &mut || drop(read_page(body.as_bytes(), &ValidateOptions::default()).unwrap()));
    time("clevertap_uploads", &mut || drop(cohort_sync::destinations::clevertap_uploads(&page, 1)));
    time("match_members", &mut || drop(match_members(&page, &index, &IdentityRule::CleverTap)));
}
