//! Parsing and deciding one JSON line as `iamsim batch` does (`Worker::line`).
//!
//! ```text
//! cargo bench --bench jsonl
//! ```
//!
//! Lines are generated (a dozen context keys each); one iteration handles 64 different lines
//! (time per iteration / 64 = time per line). `reference-full-path` forces every line through the
//! positioned JSON reader and a freshly built request context, as a one-off evaluation does.

#[allow(dead_code)]
#[path = "../examples/gen/workload.rs"]
mod workload;

#[allow(dead_code)]
mod common;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use iamsim::batch::{Batch, Options, Stats};
use iamsim::compile::PolicySet;

fn bench_set(c: &mut Criterion, name: &str, file: &str) {
    let spec = common::scenario(file);
    let set = PolicySet::compile(&spec.scenario).unwrap();
    let lines = common::request_lines(64, 5);
    let mut g = c.benchmark_group(name);
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

fn jsonl(c: &mut Criterion) {
    bench_set(c, "jsonl-small", "mfa-scenario.json");
    bench_set(c, "jsonl-large", "large-scenario.json");
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = jsonl
}
criterion_main!(benches);
