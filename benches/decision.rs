//! One decision on a compiled policy set, and compiling the large set.
//!
//! ```text
//! cargo bench --bench decision
//! ```
//!
//! * `small/*`: the force-MFA policy beside an admin grant (`testdata/batch/mfa-scenario.json`);
//! * `large/*`: 20 identity policies of 10 statements, a boundary, two SCP levels
//!   (`testdata/batch/large-scenario.json`), over 64 generated requests with a dozen context
//!   keys each (time per iteration / 64 = time per decision);
//! * `*/reference-*`: the same decisions without the compiled graph's shortcuts: walking every
//!   statement (`PolicySet::trace`, no action index), and compiling the set for each request as
//!   a one-off evaluation does;
//! * `compile/large`: compiling the large set.

#[allow(dead_code)]
#[path = "../examples/gen/workload.rs"]
mod workload;

#[allow(dead_code)]
mod common;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use iamsim::cases::{read_context_keys, request_context_at, RequestSpec};
use iamsim::compile::{PolicySet, Slots};
use iamsim::context::{Preset, Principal};
use iamsim::eval::Request;

const NOW: i64 = 1_750_000_000;

/// Requests parsed from generated lines, with their contexts bound to `set`.
fn requests(set: &PolicySet, principal: &Principal, n: usize) -> Vec<(RequestSpec, Slots)> {
    common::request_lines(n, 11)
        .iter()
        .map(|l| {
            let j = iamsim::json::parse(l).unwrap();
            let spec = RequestSpec {
                action: j.get("action").unwrap().as_str().unwrap().to_string(),
                resource: j.get("resource").unwrap().as_str().unwrap().to_string(),
                preset: Preset::parse(j.get("context").unwrap().as_str().unwrap()).unwrap(),
                keys: read_context_keys(j.get("context_keys").unwrap(), "").unwrap(),
            };
            let ctx = request_context_at(set, principal, &spec, NOW);
            let slots = set.bind(&ctx);
            (spec, slots)
        })
        .collect()
}

fn req<'a>(p: &'a Principal, s: &'a RequestSpec) -> Request<'a> {
    Request {
        principal: p,
        action: &s.action,
        resource: &s.resource,
        preset: s.preset,
    }
}

fn small(c: &mut Criterion) {
    let spec = common::scenario("mfa-scenario.json");
    let set = PolicySet::compile(&spec.scenario).unwrap();
    let p = &spec.principal;
    let mk = |action: &str, preset| {
        let s = RequestSpec {
            action: action.into(),
            resource: "*".into(),
            preset,
            keys: vec![],
        };
        let slots = set.bind(&request_context_at(&set, p, &s, NOW));
        (s, slots)
    };
    let allowed = mk("s3:ListAllMyBuckets", Preset::ConsoleMfa);
    let denied = mk("s3:ListAllMyBuckets", Preset::AccessKeys);
    let mut g = c.benchmark_group("small");
    g.bench_function("allowed", |b| {
        b.iter(|| set.evaluate(black_box(&req(p, &allowed.0)), black_box(&allowed.1)))
    });
    g.bench_function("explicitDeny", |b| {
        b.iter(|| set.evaluate(black_box(&req(p, &denied.0)), black_box(&denied.1)))
    });
    g.bench_function("reference-walk-every-statement", |b| {
        b.iter(|| set.trace(black_box(&req(p, &allowed.0)), black_box(&allowed.1)))
    });
    g.bench_function("reference-compile-per-request", |b| {
        b.iter(|| {
            let set = PolicySet::compile(black_box(&spec.scenario)).unwrap();
            set.evaluate(&req(p, &allowed.0), &allowed.1)
        })
    });
    g.finish();
}

fn large(c: &mut Criterion) {
    let spec = common::scenario("large-scenario.json");
    let set = PolicySet::compile(&spec.scenario).unwrap();
    let p = &spec.principal;
    let reqs = requests(&set, p, 64);
    let mut g = c.benchmark_group("large");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.bench_function("64-decisions", |b| {
        b.iter(|| {
            for (s, slots) in &reqs {
                black_box(set.evaluate(black_box(&req(p, s)), slots));
            }
        })
    });
    g.bench_function("reference-walk-every-statement-64", |b| {
        b.iter(|| {
            for (s, slots) in &reqs {
                black_box(set.trace(black_box(&req(p, s)), slots));
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("compile");
    g.bench_function("large", |b| {
        b.iter(|| PolicySet::compile(black_box(&spec.scenario)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = small, large
}
criterion_main!(benches);
