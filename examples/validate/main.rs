//! The reference for `docs/benchmarks.md`: a pass that does nothing but validate every line of
//! a JSON Lines file with serde_json (`IgnoredAny`), on as many threads as `iamsim` uses, so the
//! cost iamsim adds over parsing is visible.
//!
//! ```text
//! cargo run --release --example validate -- FILE.jsonl
//! ```

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: validate FILE.jsonl");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = lines.len().div_ceil(jobs.max(1)).max(1);
    let valid: usize = std::thread::scope(|s| {
        let hs: Vec<_> = lines
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter(|l| serde_json::from_str::<serde::de::IgnoredAny>(l).is_ok())
                        .count()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    println!("{valid} of {} lines are JSON", lines.len());
}
