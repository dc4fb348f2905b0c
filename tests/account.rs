//! `iamsim account` on the bundled synthetic export: exactly which users and roles are flagged,
//! and why.

use std::process::{Command, Output};

fn run(extra: &[&str]) -> Output {
    let mut args = vec![
        "account",
        "--auth-details",
        "testdata/account/auth-details.json",
        "--auth-details",
        "testdata/account/auth-details-page2.json",
        "--credential-report",
        "testdata/account/credential-report.csv",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn findings() -> Vec<serde_json::Value> {
    let o = run(&["--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"].as_array().unwrap().clone()
}

fn flagged(kind: &str) -> Vec<String> {
    let mut v: Vec<String> = findings()
        .iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn users_acting_without_mfa_are_exactly_those_without_an_effective_deny() {
    // alice, bob, trent: AWS's force-MFA policy via the Admins group; dave: console covered by
    // Bool. A user with an MFA device must use it at console sign-in (IAM User Guide), so only
    // the long-term keys of erin and frank (who have devices) can act without it.
    assert_eq!(
        flagged("acts-without-mfa"),
        ["carol", "erin", "frank", "grace"]
    );
    for f in findings() {
        if f["kind"] == "acts-without-mfa" && (f["name"] == "erin" || f["name"] == "frank") {
            assert_eq!(f["context"], "access-keys", "{f}");
        }
    }
}

#[test]
fn bool_instead_of_boolifexists_is_named_as_the_cause_for_long_term_keys() {
    let carol = findings()
        .into_iter()
        .find(|f| f["name"] == "carol" && f["kind"] == "acts-without-mfa")
        .unwrap();
    assert_eq!(carol["context"], "access-keys");
    let fix = carol["fix"].as_str().unwrap();
    assert!(
        fix.contains("RequireMFA#DenyWithoutMFA") && fix.contains("use BoolIfExists"),
        "{fix}"
    );
    assert_eq!(
        carol["statement"]["label"],
        "arn:aws:iam::111122223333:policy/DeveloperAccess#PowerUser"
    );
}

#[test]
fn mfa_condition_only_on_an_allow_is_named_as_the_cause() {
    let frank = findings()
        .into_iter()
        .find(|f| f["name"] == "frank" && f["kind"] == "acts-without-mfa")
        .unwrap();
    assert!(
        frank["fix"]
            .as_str()
            .unwrap()
            .contains("requires MFA only on an Allow"),
        "{}",
        frank["fix"]
    );
}

#[test]
fn enrolment_lockouts_name_the_mistake() {
    assert_eq!(
        flagged("enrolment-lockout"),
        ["grace", "heidi", "ivan", "judy"]
    );
    let all = findings();
    let ivan = all
        .iter()
        .find(|f| f["name"] == "ivan" && f["kind"] == "enrolment-lockout")
        .unwrap();
    // Pre-2022 mfa/${aws:username}: a device named otherwise is denied.
    assert!(
        ivan["message"]
            .as_str()
            .unwrap()
            .contains("mfa/ivan-authenticator"),
        "{}",
        ivan["message"]
    );
    let grace = all
        .iter()
        .find(|f| f["name"] == "grace" && f["kind"] == "enrolment-lockout")
        .unwrap();
    assert!(grace["message"]
        .as_str()
        .unwrap()
        .contains("permissions boundary does not allow it"));
}

#[test]
fn roles_assumable_without_mfa_that_grant_sensitive_actions_are_bypasses() {
    // BreakGlass requires Bool MFA true in its trust policy; app-server trusts a service only.
    assert_eq!(
        flagged("role-assumable-without-mfa"),
        ["DeployRole", "LegacyAdmin"]
    );
}

#[test]
fn cis_1_10_is_reported_separately_from_policy_enforcement() {
    assert_eq!(
        flagged("cis-1.10-console-without-mfa"),
        ["bob", "grace", "heidi", "ivan"]
    );
    assert_eq!(flagged("mfa-active-not-enforced"), ["erin", "frank"]);
    // mallory has neither a password nor an active key: no finding, named in the summary.
    let o = run(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["without_credentials"], serde_json::json!(["mallory"]));
    assert!(!findings().iter().any(|f| f["name"] == "mallory"));
}

#[test]
fn quirks_are_reported_as_notes_not_failures() {
    let o = run(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("DeletedPolicy") && err.contains("ghost-group"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("12 users, 5 roles audited"));
}

#[test]
fn sarif_has_one_result_per_finding_located_at_the_statement() {
    let o = run(&["--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings().len());
    let carol = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("user carol")
        })
        .unwrap();
    assert_eq!(
        carol["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "testdata/account/auth-details.json"
    );
    assert!(
        carol["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            > 1
    );
}

#[test]
fn bad_inputs_exit_2_with_position() {
    let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "account",
            "--auth-details",
            "testdata/lint/broken.json",
            "--credential-report",
            "testdata/policies/admin.json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "account",
            "--auth-details",
            "testdata/account/auth-details.json",
            "--credential-report",
            "testdata/policies/admin.json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("admin.json:1:1: not a credential report"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn an_empty_credential_report_is_accepted() {
    let dir = std::env::temp_dir().join(format!("iamsim-acct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("empty.csv");
    std::fs::write(&f, "").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "account",
            "--auth-details",
            "testdata/account/auth-details.json",
            "--credential-report",
            f.to_str().unwrap(),
            "--format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.is_empty() || !err.contains("error"), "{err}");
}

fn account_on(dir: &std::path::Path, export: &str, extra: &[&str]) -> Output {
    let f = dir.join("export.json");
    std::fs::write(&f, export).unwrap();
    let mut args = vec![
        "account",
        "--auth-details",
        f.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

const ADMIN_DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[test]
fn a_user_whose_arn_does_not_parse_is_not_counted_as_audited_and_fails_the_run() {
    let dir = std::env::temp_dir().join(format!("iamsim-acct-arn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let export = format!(
        r#"{{"UserDetailList":[{{"UserName":"ok","Arn":"arn:aws:iam::111122223333:user/ok","UserPolicyList":[{{"PolicyName":"a","PolicyDocument":{ADMIN_DOC}}}]}},{{"UserName":"bad","Arn":"not-an-arn"}}]}}"#
    );
    let o = account_on(&dir, &export, &[]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["users"], 1);
    assert_eq!(v["skipped"].as_array().unwrap().len(), 1);
}

#[test]
fn role_trusts_are_judged_with_the_caller_they_really_have() {
    let dir = std::env::temp_dir().join(format!("iamsim-acct-roles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let role = |name: &str, trust: &str| {
        format!(
            r#"{{"RoleName":"{name}","Arn":"arn:aws:iam::111122223333:role/{name}","AssumeRolePolicyDocument":{trust},"RolePolicyList":[{{"PolicyName":"a","PolicyDocument":{ADMIN_DOC}}}]}}"#
        )
    };
    let t = |principal: &str, cond: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"{cond}}}]}}"#
        )
    };
    let export = format!(
        r#"{{"RoleDetailList":[{},{},{},{}]}}"#,
        role(
            "ByRole",
            &t(r#"{"AWS":"arn:aws:iam::111122223333:role/Ci"}"#, "")
        ),
        role(
            "ByAccount",
            &t(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, "")
        ),
        role("ByService", &t(r#"{"Service":"ec2.amazonaws.com"}"#, "")),
        role(
            "ByVendor",
            &t(
                r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
                r#","Condition":{"StringEquals":{"sts:ExternalId":"x"}}"#
            )
        ),
    );
    let o = account_on(&dir, &export, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    let msg = |name: &str| {
        f.iter()
            .find(|x| x["name"] == name)
            .map(|x| x["message"].as_str().unwrap().to_string())
    };
    assert!(msg("ByRole")
        .unwrap()
        .contains("sessions of role arn:aws:iam::111122223333:role/Ci (role)"));
    assert!(msg("ByAccount")
        .unwrap()
        .contains("any principal of account 111122223333"));
    assert!(!msg("ByAccount").unwrap().contains("any-user"));
    assert!(
        msg("ByService").is_none(),
        "a role only a service can assume is no bypass"
    );
    let vendor = msg("ByVendor").unwrap();
    assert!(
        vendor.contains("cross-account") && vendor.contains("ExternalId"),
        "{vendor}"
    );
    // Severity ranks what the role allows: admin includes IAM writes.
    assert!(f.iter().all(|x| x["severity"] == "high"));
}

#[test]
fn a_missing_policy_or_group_shared_by_many_users_is_one_note_that_counts_them() {
    // 40 users attach the same deleted policy and sit in the same missing group; their group
    // "Dev" (present) attaches another missing policy. One note each, not 40 or 80.
    let dir = std::env::temp_dir().join(format!("iamsim-acct-notes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let users: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"UserName":"u{i}","Arn":"arn:aws:iam::111122223333:user/u{i}","GroupList":["ghost","Dev"],"AttachedManagedPolicies":[{{"PolicyName":"Gone","PolicyArn":"arn:aws:iam::111122223333:policy/Gone"}}],"UserPolicyList":[{{"PolicyName":"a","PolicyDocument":{ADMIN_DOC}}}]}}"#
            )
        })
        .collect();
    let export = format!(
        r#"{{"UserDetailList":[{}],"GroupDetailList":[{{"GroupName":"Dev","Arn":"arn:aws:iam::111122223333:group/Dev","AttachedManagedPolicies":[{{"PolicyName":"Old","PolicyArn":"arn:aws:iam::111122223333:policy/Old"}}]}}]}}"#,
        users.join(",")
    );
    let o = account_on(&dir, &export, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["users"], 40);
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let about = |what: &str| notes.iter().filter(|n| n.contains(what)).count();
    assert_eq!(about("policy/Gone"), 1, "{notes:#?}");
    assert_eq!(about("group ghost"), 1, "{notes:#?}");
    assert_eq!(about("policy/Old"), 1, "{notes:#?}");
    let gone = notes.iter().find(|n| n.contains("policy/Gone")).unwrap();
    assert!(
        gone.contains("user u0, user u1") && gone.ends_with("and 35 more"),
        "{gone}"
    );
    // The group's missing policy is noted for the group, once, not per member.
    let old = notes.iter().find(|n| n.contains("policy/Old")).unwrap();
    assert!(old.ends_with("left out for group Dev"), "{old}");
}
