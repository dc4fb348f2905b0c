//! Loading a case file is linear in the number of tests (the duplicate-name check used to be
//! quadratic: 40,000 tests took 8 s). Loads files of 10,000 and 40,000 tests; the time per test
//! must stay flat between the two, and is compared with serde_json parsing the same text as a
//! reference.
//!
//! ```text
//! cargo bench --bench cases
//! ```

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::Path;

fn case_file(n: usize) -> String {
    let mut s = String::from(
        r#"{"defaults": {"identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]}, "tests": ["#,
    );
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"name": "test {i}", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/{i}", "expect": "allowed"}}"#
        ));
    }
    s.push_str("]}");
    s
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("case-file");
    g.sample_size(10);
    for n in [10_000usize, 40_000] {
        let text = case_file(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("load", n), &text, |b, t| {
            b.iter(|| iamsim::cases::load_case_text(black_box(t), Path::new("bench.json")).unwrap())
        });
        g.bench_with_input(
            BenchmarkId::new("reference-serde_json", n),
            &text,
            |b, t| b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(t)).unwrap()),
        );
    }
    g.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
