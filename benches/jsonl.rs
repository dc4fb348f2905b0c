//! Parsing and deciding one JSON line as `iamsim batch` does (`Worker::line`).
//!
//! ```text
//! cargo bench --bench jsonl
//! ```
//!
//! Lines are generated: `gen` lines (a dozen context keys each) and `traffic` lines (shaped like
//! CloudTrail events: per-line principals, a time key on every line, escapes, unknown fields);
//! one iteration handles 64 different lines (time per iteration / 64 = time per line).
//! `reference-full-path` forces every line through the positioned JSON reader and a freshly
//! built request context, as a one-off evaluation does; `reference-validate-only` does nothing
//! but validate each line with serde_json (`IgnoredAny`), the floor issue 14 measures against.

#[allow(dead_code)]
#[path = "../examples/gen/workload.rs"]
mod workload;

#[allow(dead_code)]
mod common;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use iamsim::batch::{Batch, Options, Stats};
use iamsim::compile::PolicySet;

fn bench_set(c: &mut Criterion, name: &str, file: &str, lines: &[String]) {
    let spec = common::scenario(file);
    let set = PolicySet::compile(&spec.scenario).unwrap();
    let mut g = c.benchmark_group(name);
    g.bench_function("reference-validate-only-64", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter(|l| serde_json::from_str::<serde::de::IgnoredAny>(black_box(l)).is_ok())
                .count()
        })
    });
    g.throughput(Throughput::Elements(lines.len() as u64));
    for (label, force_slow) in [("64-lines", false), ("reference-full-path-64", true)] {
        let batch = Batch::new(
            &set,
            spec.principal.clone(),
            1_750_000_000,
            Options {
                explain: false,
                force_slow,
            },
        );
        let mut w = batch.worker();
        let mut out = Vec::with_capacity(1 << 16);
        let mut stats = Stats::default();
        g.bench_function(label, |b| {
            b.iter(|| {
                out.clear();
                for (i, l) in lines.iter().enumerate() {
                    w.line(i as u64 + 1, black_box(l.as_bytes()), &mut out, &mut stats);
                }
                black_box(out.len())
            })
        });
    }
    g.finish();
}

/// `n` lines shaped like CloudTrail events (`gen traffic`).
fn traffic_lines(n: usize) -> Vec<String> {
    let mut r = workload::Rng::new(5);
    (0..n as u64)
        .map(|i| {
            let mut s = String::new();
            workload::traffic_line(&mut r, i, &mut s);
            s.pop(); // the line break
            s
        })
        .collect()
}

fn jsonl(c: &mut Criterion) {
    let gen = common::request_lines(64, 5);
    let traffic = traffic_lines(64);
    bench_set(c, "jsonl-small", "mfa-scenario.json", &gen);
    bench_set(c, "jsonl-large", "large-scenario.json", &gen);
    bench_set(c, "jsonl-traffic-small", "mfa-scenario.json", &traffic);
    bench_set(c, "jsonl-traffic-large", "large-scenario.json", &traffic);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = jsonl
}
criterion_main!(benches);
