//! Wildcard matching on adversarial patterns (`values::wildcard`), each beside a reference
//! measured in the same run: a plain `memchr::memmem` search of the pattern's longest literal
//! over the same text, i.e. the least any matcher must do.
//!
//! ```text
//! cargo bench --bench wildcard
//! ```
//!
//! * `star-a…ab`: `arn:aws:s3:::*aaa…ab*c*` (5,014 characters) against a 100,000-character
//!   resource of `a`s (no match: the worst case for a leftmost-placement matcher without a linear
//!   substring search);
//! * `question-60-end` / `question-200-end`: `*???…?b` (60 / 200 `?`) against 100,000 `a`s: the
//!   last segment has a fixed length, so it is compared in place at the end;
//! * `question-60-floating` / `question-200-floating`: `*???…?b*`: a Shift-And scan of the whole
//!   text, one 64-bit word per character / four;
//! * `stringlike-long`: a `StringLike` value `*a?a?a…?b*` (1,001 characters: 16 Shift-And
//!   words) against a 100,000-character context value `abab…`, where every other position is
//!   a partial match;
//! * `stringlike-typical`: `arn:aws:iam::*:role/*-????-admin*` against a 60-character ARN
//!   (reference: `str::starts_with` of the literal prefix).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use iamsim::compile::Wildcard;
use memchr::memmem;

fn pair(c: &mut Criterion, name: &str, pattern: &str, text: &str, literal: &str, expect: bool) {
    let w = Wildcard::new(pattern);
    assert_eq!(w.matches(text), expect, "{name}");
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("wildcard", |b| {
        b.iter(|| black_box(&w).matches(black_box(text)))
    });
    let f = memmem::Finder::new(literal.as_bytes());
    g.bench_function("reference-memmem", |b| {
        b.iter(|| black_box(f.find(black_box(text.as_bytes()))))
    });
    g.finish();
}

fn wildcard(c: &mut Criterion) {
    let run = format!("{}b", "a".repeat(4996));
    let p = format!("arn:aws:s3:::*{run}*c*");
    assert_eq!(p.chars().count(), 5014);
    let text = format!("arn:aws:s3:::{}", "a".repeat(100_000 - 13));
    pair(c, "star-a…ab", &p, &text, &run, false);

    let aaa = "a".repeat(100_000);
    for q in [60, 200] {
        // Anchored at the end: compared in place.
        let p = format!("*{}b", "?".repeat(q));
        pair(c, &format!("question-{q}-end"), &p, &aaa, "b", false);
        // Floating: a Shift-And scan over the whole text.
        let p = format!("*{}b*", "?".repeat(q));
        pair(c, &format!("question-{q}-floating"), &p, &aaa, "b", false);
    }

    let p = format!("*{}b*", "a?".repeat(500));
    let value: String = "ab".repeat(50_000);
    pair(c, "stringlike-long", &p, &value, "aa", false);

    let w = Wildcard::new("arn:aws:iam::*:role/*-????-admin*");
    let arn = "arn:aws:iam::111122223333:role/platform/team-prod-admin-ops";
    assert!(w.matches(arn));
    let mut g = c.benchmark_group("stringlike-typical");
    g.bench_function("wildcard", |b| {
        b.iter(|| black_box(&w).matches(black_box(arn)))
    });
    g.bench_function("reference-starts-with", |b| {
        b.iter(|| black_box(arn).starts_with(black_box("arn:aws:iam::")))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(2));
    targets = wildcard
}
criterion_main!(benches);
