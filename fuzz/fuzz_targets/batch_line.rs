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
        // Conditions on every key the request time drives, so time overrides reach the slots.
        let time = r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"Late","Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}},
          {"Sid":"Epoch","Effect":"Deny","Action":"sqs:*","Resource":"*","Condition":{"NumericGreaterThan":{"aws:EpochTime":"1900000000"}}},
          {"Sid":"Fresh","Effect":"Deny","Action":"sns:*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}}]}"#;
        let p = |t: &str| parse_policy_text(t, "p", "p", PolicyKind::Identity, ParseOptions::default()).unwrap().0;
        PolicySet::compile(&Scenario { identity: vec![p(force), p(admin), p(time)], ..Default::default() }).unwrap()
    })
}

/// Time-key lines around the fuzzed text: the first line of `data` as an `aws:CurrentTime` and
/// an `aws:EpochTime` value (as a string, and bare when it could be a number), under presets
/// with and without a token issue time.
fn with_time_lines(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    if let Ok(v) = std::str::from_utf8(first) {
        if !v.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            for (action, preset) in [("sqs:SendMessage", "console-mfa"), ("sns:Publish", "session"), ("kms:Decrypt", "access-keys")] {
                for key in ["aws:CurrentTime", "aws:EpochTime", "AWS:EPOCHTIME"] {
                    out.extend_from_slice(format!("\n{{\"action\":\"{action}\",\"context\":\"{preset}\",\"context_keys\":{{\"{key}\":\"{v}\"}}}}").as_bytes());
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) {
                        out.extend_from_slice(format!("\n{{\"action\":\"{action}\",\"context\":\"{preset}\",\"context_keys\":{{\"{key}\":{v},\"aws:CurrentTime\":null}}}}").as_bytes());
                    }
                }
            }
        }
    }
    out
}

/// Real-traffic shapes around the fuzzed text: its first line as the raw text of a string
/// context value (escapes and all), of a list item, of a key name, and as the value of an
/// unknown field (any JSON, nested objects included).
fn with_traffic_lines(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    if let Ok(v) = std::str::from_utf8(first) {
        for line in [
            format!("{{\"action\":\"s3:GetObject\",\"context\":\"console-mfa\",\"context_keys\":{{\"aws:UserAgent\":\"{v}\",\"aws:MultiFactorAuthPresent\":\"{v}\"}}}}"),
            format!("{{\"action\":\"s3:GetObject\",\"context_keys\":{{\"aws:TagKeys\":[\"{v}\"],\"{v}\":\"x\",\"aws:CurrentTime\":\"{v}\"}}}}"),
            format!("{{\"principal\":\"arn:aws:sts::111122223333:assumed-role/R/s\",\"action\":\"kms:Decrypt\",\"requestParameters\":{v},\"eventID\":\"e1\"}}"),
        ] {
            out.push(b'\n');
            out.extend_from_slice(line.as_bytes());
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let data = &with_traffic_lines(&with_time_lines(data))[..];
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
