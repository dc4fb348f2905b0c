//! The MFA anti-patterns of `iamsim lint` (src/mfa/lint.rs): each fixture under
//! testdata/lint/mfa/ reports its rule at the offending condition, the MFA audit names the same
//! rule for the same policy, and AWS's documented force-MFA policies report none.

use std::process::{Command, Output};

fn iamsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run iamsim")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

/// (code, line, column) of every MFA finding `iamsim lint --format json` reports for `file`.
fn mfa_findings(file: &str) -> Vec<(String, u64, u64)> {
    let o = iamsim(&["lint", "--format", "json", file]);
    assert_eq!(o.status.code(), Some(0), "{file}: warnings only");
    json(&o)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with("MFA"))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The rule ids `iamsim mfa` reports for one identity policy of alice.
fn audit_rules(file: &str, actions: &[&str]) -> Vec<String> {
    let mut args = vec![
        "mfa",
        "--principal",
        "arn:aws:iam::111122223333:user/alice",
        "--identity",
        file,
        "--format",
        "json",
    ];
    for a in actions {
        args.extend(["--action", a]);
    }
    let v = json(&iamsim(&args));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

fn f(code: &str, line: u64, column: u64) -> (String, u64, u64) {
    (code.to_string(), line, column)
}

#[test]
fn bool_in_a_deny_is_mfa001_at_the_condition_key() {
    let file = "testdata/lint/mfa/deny-bool.json";
    assert_eq!(mfa_findings(file), [f("MFA001", 24, 18)]);
    assert!(audit_rules(file, &[]).contains(&"MFA001".to_string()));
}

#[test]
fn an_mfa_allow_beside_an_unconditioned_allow_is_mfa002() {
    let file = "testdata/lint/mfa/allow-overridden.json";
    assert_eq!(mfa_findings(file), [f("MFA002", 9, 30)]);
    let o = iamsim(&["lint", file]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(
            "statement ReadEverything (line 11) allows s3:GetObject without any condition"
        ),
        "{text}"
    );
    assert_eq!(
        audit_rules(file, &["s3:GetObject=arn:aws:s3:::reports/q3.csv"]),
        ["MFA002"]
    );
}

#[test]
fn a_deny_without_enrolment_exemptions_is_a_lockout() {
    let file = "testdata/lint/mfa/lockout.json";
    let found = mfa_findings(file);
    assert_eq!(found, [f("MFA101", 9, 38)]);
    let o = iamsim(&["lint", "--format", "json", file]);
    let msg = json(&o)["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    // ListMFADevices is exempted by name; the other three steps are denied.
    assert!(msg.contains("iam:CreateVirtualMFADevice, iam:EnableMFADevice, iam:ResyncMFADevice to a user without MFA"), "{msg}");
    assert!(audit_rules(file, &[]).contains(&"MFA101".to_string()));
}

#[test]
fn null_only_denies_and_if_exists_allows_are_mfa006_and_mfa007() {
    let file = "testdata/lint/mfa/weak-conditions.json";
    assert_eq!(
        mfa_findings(file),
        [f("MFA006", 9, 30), f("MFA007", 16, 38)]
    );
}

#[test]
fn aws_documented_force_mfa_policies_have_no_mfa_finding() {
    // AWS's self-service force-MFA policy (BoolIfExists, enrolment exempted by NotAction),
    // the Knowledge Center CLI variant, and an Allow with Bool true alone.
    for file in [
        "testdata/policies/force-mfa.json",
        "testdata/policies/kc-cli-mfa.json",
        "testdata/policies/admin-with-mfa-bool.json",
        "testdata/policies/force-mfa-pre-2022.json",
    ] {
        assert_eq!(mfa_findings(file), [], "{file}");
    }
}

#[test]
fn mfa_findings_are_in_sarif_and_can_be_allowed() {
    let file = "testdata/lint/mfa/deny-bool.json";
    let v = json(&iamsim(&["lint", "--format", "sarif", file]));
    let results = v["runs"][0]["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "MFA001").unwrap();
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(24), Some(18))
    );
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .contains("help: Use \"BoolIfExists\""));
    // --deny-warnings fails on it; --allow MFA001 silences it.
    assert_eq!(
        iamsim(&["lint", "--deny-warnings", file]).status.code(),
        Some(1)
    );
    let o = iamsim(&["lint", "--deny-warnings", "--allow", "MFA001", file]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
