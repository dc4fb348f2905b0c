//! The action catalog: what loading it costs (once per process, on the first lookup) and lint
//! throughput with its checks.
//!
//! ```text
//! cargo bench --bench catalog
//! ```
//!
//! * `catalog/inflate`: inflating the embedded snapshot (miniz_oxide);
//! * `catalog/parse`: indexing the inflated text (what `catalog()` does after inflating: the
//!   header, the global keys and where each service starts);
//! * `catalog/parse-all-services`: that and parsing every service, as `iamsim expand '*'` or a
//!   `*:Describe*` pattern does (a service is otherwise parsed when first asked about);
//! * `catalog/lookup`: one `service:Action` lookup and one did-you-mean on a loaded catalog;
//! * `lint/catalog-checks`: the catalog checks on a 100-statement policy (actions, wildcards,
//!   resources, condition keys, ARN shapes), per policy;
//! * `lint/parse+checks`: validating the same policy and checking it, as `iamsim lint` does.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use iamsim::catalog::{catalog, inflate_embedded, Catalog};
use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};

/// A 100-statement policy mixing literal and wildcard actions, ARNs and service keys.
fn big_policy() -> String {
    let shapes = [
        r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-N","arn:aws:s3:::bucket-N/*"],"Condition":{"StringLike":{"s3:prefix":"home/*"}}}"#,
        r#"{"Effect":"Allow","Action":["ec2:Describe*","ec2:RunInstances","ec2:TerminateInstances"],"Resource":"arn:aws:ec2:us-east-1:111122223333:instance/*","Condition":{"StringEquals":{"ec2:InstanceType":"t3.micro","aws:RequestedRegion":"us-east-1"}}}"#,
        r#"{"Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:ListMFADevices","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#,
        r#"{"Effect":"Allow","Action":["iam:GetUser","iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"}"#,
        r#"{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:*:111122223333:key/*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}"#,
    ];
    let statements: Vec<String> = (0..100)
        .map(|i| shapes[i % shapes.len()].replace("bucket-N", &format!("bucket-{i}")))
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",\n")
    )
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("catalog");
    g.sample_size(30);
    g.bench_function("inflate", |b| b.iter(|| black_box(inflate_embedded())));
    let text: &'static str = Box::leak(
        inflate_embedded()
            .expect("the embedded snapshot inflates")
            .into_boxed_str(),
    );
    g.bench_function("parse", |b| b.iter(|| black_box(Catalog::parse(text))));
    g.bench_function("parse-all-services", |b| {
        b.iter(|| black_box(Catalog::parse(text).action_count()))
    });
    let cat = catalog();
    g.bench_function("lookup", |b| {
        b.iter(|| {
            black_box(cat.action(black_box("s3:GetObject")));
            black_box(cat.suggest_action(black_box("s3:GetObjects")))
        })
    });
    g.finish();

    let text = big_policy();
    let (policy, _) = parse_policy_text(
        &text,
        "big.json",
        "big",
        PolicyKind::Identity,
        ParseOptions::default(),
    )
    .expect("the bench policy is valid");
    let mut g = c.benchmark_group("lint");
    g.throughput(Throughput::Elements(1));
    g.bench_function("catalog-checks", |b| {
        b.iter(|| black_box(iamsim::catalog::lint::check(&policy)))
    });
    g.bench_function("parse+checks", |b| {
        b.iter(|| {
            let (p, w) = parse_policy_text(
                &text,
                "big.json",
                "big",
                PolicyKind::Identity,
                ParseOptions::default(),
            )
            .expect("valid");
            black_box((iamsim::catalog::lint::check(&p), w))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
