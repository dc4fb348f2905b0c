//! Fuzzed condition operator, key, policy value and request value through the compiled
//! condition program: parsing, variable substitution and comparison must not panic or hang.
#![no_main]
use iamsim::compile::{PolicySet, Scenario};
use iamsim::context::{build_context, CtxValue, Preset, Principal};
use iamsim::eval::Request;
use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(5, '\n');
    let (Some(op), Some(key), Some(pv), Some(rv)) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return };
    let resource = parts.next().unwrap_or("*");
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": [resource, "*"],
                       "Condition": {op: {key: [pv, "${aws:username}", pv.replace('*', "${*}")]}}}]
    });
    let Ok((p, _)) = parse_policy_text(&policy.to_string(), "f", "f", PolicyKind::Identity, ParseOptions::default()) else { return };
    let set = PolicySet::compile(&Scenario { identity: vec![p], ..Default::default() }).unwrap();
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut ctx = build_context(&principal, Preset::Console, set.settings(), 0);
    ctx.set(key, CtxValue::One(rv.to_string()));
    let req = Request { principal: &principal, action: "s3:GetObject", resource: rv, preset: Preset::Console };
    let slots = set.bind(&ctx);
    let o = set.evaluate(&req, &slots);
    let _ = iamsim::report::explain(&set, &req, &slots, &o);
    ctx.set(key, CtxValue::Many(vec![rv.to_string(), pv.to_string()]));
    let _ = set.evaluate(&req, &set.bind(&ctx));
});
