//! Quick native timing of validate_events on 2000 events: `cargo run --release --example events_speed`.
fn main() {
    let events: Vec<String> = (0..2000)
        .map(|i| format!(r#"{{"event":"Page Viewed","properties":{{"time":1763790000,"distinct_id":"5f1c0b7e-{i:04x}-4a8e-9c1d-8a7e6f5d4c3b","$insert_id":"ins-{i}","$browser":"Chrome","$current_url":"https://example.com/pricing?ref={i}","plan":"pro","items":3}}}}"#))
        .collect();
    let text = format!("[{}]", events.join(","));
    let runs = 300;
    let t = std::time::Instant::now();
    for _ in 0..runs {
        assert_eq!(cohort_sync::ingest::validate_events(text.as_bytes(), 1_763_800_000_000).valid, 2000);
    }
    let per = t.elapsed().as_secs_f64() / runs as f64;
    println!("{} KB: {:.3} ms, {:.0} MB/s", text.len() / 1024, per * 1e3, text.len() as f64 / per / 1e6);
}
