//! Any bytes as a block of JSON lines through `iamsim batch`'s worker: it must not panic, must
//! produce exactly one output line per input line, and the fast line scanner must give
//! byte-identical output to the full path.
#![no_main]
use iamsim::batch::{Batch, Options, Stats};
use iamsim::compile::{PolicySet, Scenario};
use iamsim::context::Principal;
use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn set() -> &'static PolicySet {
    static SET: OnceLock<PolicySet> = OnceLock::new();
    SET.get_or_init(|| {
        let force = include_str!("../../testdata/policies/force-mfa.json");
        let admin = include_str!("../../testdata/policies/admin.json");
        let p = |t: &str| parse_policy_text(t, "p", "p", PolicyKind::Identity, ParseOptions::default()).unwrap().0;
        PolicySet::compile(&Scenario { identity: vec![p(force), p(admin)], ..Default::default() }).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut outs = Vec::new();
    for force_slow in [false, true] {
        let batch = Batch::new(set(), principal.clone(), 1_700_000_000, Options { explain: false, force_slow });
        let mut w = batch.worker();
        let mut out = Vec::new();
        let mut stats = Stats::default();
        w.chunk(1, data, &mut out, &mut stats);
        outs.push(out);
    }
    let expected_lines = if data.is_empty() { 0 } else { data.split(|b| *b == b'\n').count() - usize::from(data.ends_with(b"\n")) };
    assert_eq!(outs[0].iter().filter(|b| **b == b'\n').count(), expected_lines, "one output line per input line");
    assert_eq!(outs[0], outs[1], "fast and full paths disagree");
});
