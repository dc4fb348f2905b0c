//! Runs the built `iamsim mfa` on each testdata/mfa scenario and checks the verdicts, the named
//! causes (rule ids and statements) and the exit status.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run iamsim")
}

/// Runs a scenario with `--format json`; returns the report and the exit status.
fn audit(scenario: &str) -> (Value, i32) {
    let path = format!("testdata/mfa/{scenario}");
    let out = run(&["mfa", "--scenario", &path, "--format", "json"]);
    let code = out.status.code().expect("exit code");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{scenario}: not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["exit_status"], code, "{scenario}: exit_status field");
    (v, code)
}

fn status(v: &Value, check: &str) -> String {
    v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["check"] == check)
        .unwrap_or_else(|| panic!("no verdict {check}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn findings<'a>(v: &'a Value, rule_id: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule_id)
        .collect()
}

fn actions(f: &Value) -> Vec<String> {
    f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["context"].as_str().unwrap(),
                c["action"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn force_mfa_current_holds_and_warns_about_change_password() {
    let (v, code) = audit("force-mfa.json");
    assert_eq!(code, 0);
    for c in [
        "console",
        "long-term-keys",
        "sts-sessions",
        "forward-access",
        "enrolment",
    ] {
        assert_eq!(status(&v, c), "holds", "{c}");
    }
    let w = findings(&v, "MFA201");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["kind"], "warning");
    assert_eq!(w[0]["statement"]["sid"], "DenyAllExceptListedIfNoMFA");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["kind"] == "warning"));
}

#[test]
fn bool_instead_of_bool_if_exists_leaks_long_term_keys_only() {
    let (v, code) = audit("force-mfa-bool.json");
    assert_eq!(code, 1);
    assert_eq!(status(&v, "console"), "holds");
    assert_eq!(status(&v, "long-term-keys"), "leak");
    assert_eq!(status(&v, "sts-sessions"), "holds");
    assert_eq!(status(&v, "enrolment"), "holds");
    let f = findings(&v, "MFA001");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["statement"]["sid"], "DenyAllExceptListedIfNoMFA");
    assert!(f[0]["cause"]
        .as_str()
        .unwrap()
        .contains("Bool (not BoolIfExists)"));
    assert!(actions(f[0]).iter().all(|a| a.starts_with("access-keys ")));
}

#[test]
fn blanket_bool_deny_leaks_keys_and_locks_out_enrolment() {
    let (v, code) = audit("deny-bool.json");
    assert_eq!(code, 1);
    assert_eq!(status(&v, "long-term-keys"), "leak");
    assert_eq!(status(&v, "enrolment"), "lockout");
    assert_eq!(findings(&v, "MFA001").len(), 1);
    let lock = findings(&v, "MFA101");
    let denied: Vec<String> = lock.iter().flat_map(|f| actions(f)).collect();
    for a in [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:ListMFADevices",
        "iam:ResyncMFADevice",
    ] {
        assert!(
            denied.contains(&format!("console {a}")),
            "{a} in {denied:?}"
        );
    }
    assert!(lock
        .iter()
        .all(|f| f["statement"]["sid"] == "DenyWithoutMFA"));
}

#[test]
fn blanket_bool_if_exists_deny_enforces_but_locks_out_enrolment() {
    let (v, code) = audit("deny-boolifexists.json");
    assert_eq!(code, 1);
    for c in ["console", "long-term-keys", "sts-sessions"] {
        assert_eq!(status(&v, c), "holds", "{c}");
    }
    assert_eq!(status(&v, "enrolment"), "lockout");
    assert_eq!(findings(&v, "MFA101").len(), 4);
    assert!(findings(&v, "MFA001").is_empty());
}

#[test]
fn allow_condition_overridden_by_unconditioned_admin_leaks_everywhere() {
    let (v, code) = audit("admin-mfa-bool-plus-admin.json");
    assert_eq!(code, 1);
    for c in ["console", "long-term-keys", "sts-sessions"] {
        assert_eq!(status(&v, c), "leak", "{c}");
    }
    let f = findings(&v, "MFA002");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["statement"]["sid"], "AdministratorAccess");
    assert_eq!(f[0]["related"][0]["sid"], "AdminWithMFA");
}

#[test]
fn mfa_only_admin_enforces_but_requires_mfa_to_enrol() {
    let (v, code) = audit("admin-mfa-bool.json");
    assert_eq!(code, 1);
    assert_eq!(status(&v, "console"), "holds");
    assert_eq!(status(&v, "long-term-keys"), "holds");
    assert_eq!(status(&v, "enrolment"), "lockout");
    let f = findings(&v, "MFA105");
    assert_eq!(f.len(), 4);
    assert!(f.iter().all(|x| x["statement"]["sid"] == "AdminWithMFA"));
}

#[test]
fn pre_2022_force_mfa_denies_a_device_not_named_after_the_user() {
    let (v, code) = audit("force-mfa-pre-2022.json");
    assert_eq!(code, 1);
    assert_eq!(status(&v, "enrolment"), "lockout");
    let f = findings(&v, "MFA103");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["statement"]["sid"], "AllowManageOwnVirtualMFADevice");
    let res: Vec<&str> = f[0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["resource"].as_str().unwrap())
        .collect();
    assert_eq!(res, ["arn:aws:iam::111122223333:mfa/alice-phone"]);
}

#[test]
fn user_path_breaks_user_scoped_enrolment_grants() {
    let (v, code) = audit("force-mfa-user-path.json");
    assert_eq!(code, 1);
    let f = findings(&v, "MFA104");
    let acts: Vec<String> = f.iter().flat_map(|x| actions(x)).collect();
    assert_eq!(
        acts,
        [
            "console iam:EnableMFADevice",
            "console iam:ListMFADevices",
            "console iam:ResyncMFADevice"
        ]
    );
    assert!(f
        .iter()
        .all(|x| x["statement"]["sid"] == "AllowManageOwnUserMFA"));
    // The device itself (mfa/*) can still be created.
    assert!(findings(&v, "MFA102").is_empty() && findings(&v, "MFA103").is_empty());
}

#[test]
fn user_resource_instead_of_mfa_resource_locks_out_device_creation() {
    let (v, code) = audit("create-mfa-on-user-resource.json");
    assert_eq!(code, 1);
    let f = findings(&v, "MFA102");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["statement"]["sid"], "AllowCreateDeviceWrongResource");
    assert!(actions(f[0])
        .iter()
        .all(|a| a == "console iam:CreateVirtualMFADevice"));
}

#[test]
fn knowledge_center_policy_holds_exempts_fas_and_named_actions() {
    let (v, code) = audit("kc-cli-mfa.json");
    assert_eq!(code, 0);
    assert_eq!(status(&v, "console"), "holds");
    assert_eq!(status(&v, "long-term-keys"), "holds");
    assert_eq!(status(&v, "forward-access"), "holds");
    let service = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["context"] == "service")
        .unwrap();
    assert!(service["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "sensitive")
        .all(|c| c["decision"] == "allowed"));
    let ex = findings(&v, "MFA203");
    assert_eq!(ex.len(), 1);
    assert!(actions(ex[0]).contains(&"console iam:ListUsers".to_string()));
    assert_eq!(
        findings(&v, "MFA202").len(),
        1,
        "GetUser is not in the KC NotAction list"
    );
}

#[test]
fn scp_deny_does_not_cover_the_management_account_and_hits_automation() {
    let (v, code) = audit("scp-deny-without-mfa.json");
    // Exit 1 for the enrolment lockout below, not for the management-account what-if.
    assert_eq!(code, 1);
    assert_eq!(status(&v, "console"), "holds");
    assert_eq!(status(&v, "long-term-keys"), "holds");
    // In a member account the management-account rows are information (what-if rows).
    assert_eq!(status(&v, "scp-coverage"), "holds");
    let f = findings(&v, "MFA004");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["kind"], "warning");
    assert_eq!(f[0]["statement"]["layer"], "scp[1]");
    assert!(actions(f[0]).iter().all(|a| a.starts_with("mgmt:")));
    let auto = findings(&v, "MFA204");
    assert_eq!(auto.len(), 1);
    assert_eq!(auto[0]["kind"], "warning");
    assert_eq!(status(&v, "enrolment"), "lockout");
    assert!(findings(&v, "MFA101")
        .iter()
        .all(|x| x["statement"]["sid"] == "DenyAllWithoutMFA"));
}

#[test]
fn role_session_mfa_depends_on_the_ambiguous_setting_and_shows_both() {
    let (v, code) = audit("role-session.json");
    assert_eq!(code, 0);
    assert_eq!(status(&v, "console"), "not-applicable");
    assert_eq!(status(&v, "sts-sessions"), "holds");
    assert_eq!(status(&v, "role-session-mfa"), "depends");
    let rows: Vec<&Value> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["context"] == "role-mfa")
        .collect();
    assert_eq!(rows.len(), 2);
    let decision = |setting: bool| {
        rows.iter()
            .find(|r| r["role_session_mfa_from_assume_role_params"] == setting)
            .unwrap()["cells"][0]["decision"]
            .clone()
    };
    assert_eq!(decision(false), "explicitDeny");
    assert_eq!(decision(true), "allowed");
    assert_eq!(findings(&v, "MFA205")[0]["kind"], "warning");
}

#[test]
fn sarif_has_one_result_per_leak_or_lockout_located_at_the_statement() {
    let out = run(&[
        "mfa",
        "--scenario",
        "testdata/mfa/deny-bool.json",
        "--format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "1 leak + 4 lockouts");
    let leak = results.iter().find(|r| r["ruleId"] == "MFA001").unwrap();
    let loc = &leak["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "testdata/policies/deny-without-mfa-bool.json"
    );
    assert_eq!(loc["region"]["startLine"], 4);
    assert_eq!(loc["region"]["startColumn"], 5);
    let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let idx = leak["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "MFA001");
}

#[test]
fn text_output_has_the_matrix_verdicts_and_no_colour_when_piped() {
    let out = run(&["mfa", "--scenario", "testdata/mfa/force-mfa-bool.json"]);
    assert_eq!(out.status.code(), Some(1));
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(
        !t.contains('\x1b'),
        "no escape codes when stdout is not a terminal"
    );
    for s in [
        "console-mfa",
        "access-keys",
        "long-term keys enforced",
        "LEAK MFA001",
        "result: MFA enforcement fails",
    ] {
        assert!(t.contains(s), "missing {s:?} in\n{t}");
    }
}

#[test]
fn flags_build_the_same_scenario_as_a_file() {
    let out = run(&[
        "mfa",
        "--identity",
        "testdata/policies/admin.json",
        "--scp-level",
        "testdata/policies/full-aws-access.json",
        "--scp-level",
        "testdata/policies/full-aws-access.json,testdata/policies/scp-deny-without-mfa.json",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status(&v, "scp-coverage"), "holds");
    assert_eq!(findings(&v, "MFA004").len(), 1);
    // As the management account the same SCP does not apply: now it is a real leak.
    let mgmt = run(&[
        "mfa",
        "--identity",
        "testdata/policies/admin.json",
        "--scp-level",
        "testdata/policies/full-aws-access.json",
        "--scp-level",
        "testdata/policies/full-aws-access.json,testdata/policies/scp-deny-without-mfa.json",
        "--management-account",
        "--format",
        "json",
    ]);
    assert_eq!(mgmt.status.code(), Some(1));
    let m: Value = serde_json::from_slice(&mgmt.stdout).unwrap();
    assert_eq!(findings(&m, "MFA004")[0]["kind"], "leak");
}

#[test]
fn identity_globs_and_action_wildcards_expand() {
    let out = run(&[
        "mfa",
        "--identity",
        "testdata/policies/force-mfa.json",
        "--identity",
        "testdata/policies/adm*.json",
        "--action",
        "iam:*MFADevice*",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let probes: Vec<&str> = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["action"].as_str().unwrap())
        .collect();
    assert!(
        probes.contains(&"iam:CreateVirtualMFADevice")
            && probes.contains(&"iam:DeactivateMFADevice"),
        "{probes:?}"
    );
    assert!(!probes.contains(&"s3:GetObject"));
    // admin*.json matched admin.json and admin-with-mfa-bool.json: no leak, deny still applies.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn literal_action_that_matches_nothing_is_evaluated_on_the_given_resource() {
    let out = run(&[
        "mfa",
        "--identity",
        "testdata/policies/deny-without-mfa-bool.json",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "dynamodb:GetItem=arn:aws:dynamodb:us-east-1:111122223333:table/Books",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["probes"][0]["resource"],
        "arn:aws:dynamodb:us-east-1:111122223333:table/Books"
    );
    assert_eq!(findings(&v, "MFA001").len(), 1);
}

#[test]
fn bad_input_exits_2_with_file_line_column() {
    let dir = std::env::temp_dir().join(format!("iamsim-mfa-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"principal\": \"arn:aws:iam::111122223333:user/alice\",\n  \"identity_policies\": [{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\"}]}]\n}\n").unwrap();
    let out = run(&["mfa", "--scenario", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json:3:"), "{err}");
    let out = run(&["mfa", "--scenario", "testdata/mfa/does-not-exist.json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "mfa",
        "--identity",
        "testdata/policies/admin.json",
        "--principal",
        "arn:aws:sts::111122223333:federated-user/bob",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FederatedUser"));
    let out = run(&["mfa", "--identity", "testdata/nothing/*.json"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_verdict_that_holds_explains_every_allowed_sensitive_action() {
    let out = run(&["mfa", "--scenario", "testdata/mfa/kc-cli-mfa.json"]);
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    let console = t.lines().find(|l| l.contains("console enforced")).unwrap();
    assert!(console.contains("holds"), "{console}");
    assert!(
        console.contains("iam:ListUsers: exempted on purpose by the MFA deny's NotAction"),
        "{console}"
    );
    // No role-session columns here: no (doc)/(obs) legend either.
    assert!(!t.contains("(doc)/(obs)"), "{t}");
    let role = run(&["mfa", "--scenario", "testdata/mfa/role-session.json"]);
    assert!(String::from_utf8_lossy(&role.stdout).contains("(doc)/(obs)"));
}

#[test]
fn an_action_pattern_that_matches_no_probe_is_refused() {
    let out = run(&[
        "mfa",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "ec2:Nothing*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"ec2:Nothing*\" matches none"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_absurdly_long_action_name_is_elided_not_a_panic() {
    // A format width above 65,535 used to panic while padding the table.
    let action = format!("s3:{}", "A".repeat(70_000));
    let out = run(&[
        "mfa",
        "--identity",
        "testdata/policies/force-mfa.json",
        "--action",
        &action,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{:?} {err}",
        out.status
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("s3:AAAA"))
        .unwrap_or_else(|| panic!("no row for the action:\n{}", &text[..text.len().min(2000)]));
    assert!(row.contains('…'), "{row}");
    assert!(row.chars().count() < 1000, "the table row is not stretched");
}

#[test]
fn the_matrix_fits_the_width_in_blocks_of_columns() {
    let out = run(&[
        "mfa",
        "--scenario",
        "testdata/mfa/force-mfa.json",
        "--width",
        "80",
    ]);
    let t = String::from_utf8_lossy(&out.stdout).to_string();
    let matrix: Vec<&str> = t
        .lines()
        .take_while(|l| !l.starts_with("allow[n]"))
        .filter(|l| l.contains("allow[") || l.contains("DENY["))
        .collect();
    assert!(!matrix.is_empty());
    assert!(matrix.iter().all(|l| l.chars().count() <= 80), "{t}");
    // Every context still has its column, in some block.
    for ctx in [
        "console",
        "console-mfa",
        "access-keys",
        "session",
        "session-mfa",
        "service",
        "service-mfa",
    ] {
        assert!(
            t.lines().any(|l| l.split_whitespace().any(|w| w == ctx)),
            "{ctx} missing:\n{t}"
        );
    }
    // In a pipe without --width: one block, as before.
    let wide = run(&["mfa", "--scenario", "testdata/mfa/force-mfa.json"]);
    let w = String::from_utf8_lossy(&wide.stdout);
    assert!(w
        .lines()
        .any(|l| l.contains("console") && l.contains("service-mfa")));
}
