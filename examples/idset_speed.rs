//! Quick native timing of the membership engine: `cargo run --release --example idset_speed`.
use cohort_sync::state::IdSet;
use cohort_sync::{diff_members, CohortState, PageRef};

fn main() {
    let n: u64 = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let ids: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                (i * 2654435761) % (1 << 32),
                i % 65536,
                i % 4096,
                (i * 7) % 4096,
                i * 31
            )
        })
        .collect();
    let t = std::time::Instant::now();
    let mut set = IdSet::with_seed(1);
    for id in &ids {
        set.insert(id.as_bytes());
    }
    println!(
        "IdSet insert: {:.0} ns per id, {:.1} bytes per id",
        t.elapsed().as_nanos() as f64 / n as f64,
        set.memory_bytes() as f64 / n as f64
    );
    let t = std::time::Instant::now();
    let hits = ids.iter().filter(|id| set.contains(id.as_bytes())).count();
    println!("IdSet contains: {:.0} ns per id ({hits})", t.elapsed().as_nanos() as f64 / n as f64);
    let t = std::time::Instant::now();
    let mut state = CohortState::with_seed(2);
    for (k, chunk) in ids.chunks(1000).enumerate() {
        state.apply(PageRef {
            action: cohort_sync::Action::Members,
            session_id: "s",
            page: Some(cohort_sync::PageInfo { count: k as u64 + 1, total: n / 1000 }),
            ids: chunk.iter().map(|s| s.as_bytes()),
        });
    }
    println!("CohortState.apply: {:.0} ns per id, size {}", t.elapsed().as_nanos() as f64 / n as f64, state.size());
    let t = std::time::Instant::now();
    let d = diff_members(ids.iter().map(String::as_str), ids.iter().skip(10_000).map(String::as_str), 3);
    println!("diff_members 1M x 1M: {:.0} ms ({} removed)", t.elapsed().as_millis(), d.removed.len());
}
