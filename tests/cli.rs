//! Integration tests of the `iamsim` binary: each subcommand on files in testdata/, asserting
//! output and exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

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
fn test_subcommand_runs_bundled_cases_and_prints_closing_line() {
    let o = iamsim(&["test", "testdata/cases"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let last = stdout(&o).lines().last().unwrap_or("").to_string();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
}

#[test]
fn test_subcommand_reports_failures_with_exit_1() {
    let dir = std::env::temp_dir().join(format!("iamsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("fail.json");
    std::fs::write(&f, r#"{"tests":[{"name":"wrong","identity_policies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}],"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","expect":"implicitDeny"}]}"#).unwrap();
    let o = iamsim(&["test", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL") && out.contains("wrong: expected implicitDeny, got allowed"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("0 passed, 1 failed"), "{out}");
}

#[test]
fn test_subcommand_invalid_file_names_line_and_column_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("iamsim-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.json");
    std::fs::write(&f, "{\"tests\": [\n  {\"name\": \"x\", \"action\": \"s3:GetObject\", \"context\": \"consol\", \"expect\": \"allowed\"}\n]}").unwrap();
    let o = iamsim(&["test", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.json:2:") && err.contains("unknown context preset \"consol\""),
        "{err}"
    );
}

#[test]
fn eval_explains_an_explicit_deny_with_file_and_line() {
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/force-mfa.json",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "s3:ListAllMyBuckets",
        "--context",
        "access-keys",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("decision: explicitDeny"), "{out}");
    assert!(
        out.contains(
            "force-mfa.json#DenyAllExceptListedIfNoMFA (testdata/policies/force-mfa.json:34:5)"
        ),
        "{out}"
    );
    assert!(out.contains("key absent, IfExists applied"), "{out}");
}

#[test]
fn eval_allowed_exits_0_and_json_is_parseable() {
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/force-mfa.json",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "s3:ListAllMyBuckets",
        "--context",
        "console-mfa",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["explanation"]["decision"], "allowed");
    assert_eq!(v["context_keys"]["aws:MultiFactorAuthPresent"], "true");
}

#[test]
fn eval_repeated_key_becomes_multivalued() {
    let dir = std::env::temp_dir().join(format!("iamsim-cli-mv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("p.json");
    std::fs::write(&p, r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Dept","Owner"]}}}}"#).unwrap();
    let p = p.to_str().unwrap();
    let ok = iamsim(&[
        "eval",
        "--identity",
        p,
        "-a",
        "ec2:CreateTags",
        "-k",
        "aws:TagKeys=Dept",
        "-k",
        "aws:TagKeys=Owner",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let no = iamsim(&[
        "eval",
        "--identity",
        p,
        "-a",
        "ec2:CreateTags",
        "-k",
        "aws:TagKeys=Dept",
        "-k",
        "aws:TagKeys=Cost",
    ]);
    assert_eq!(no.status.code(), Some(1));
}

#[test]
fn eval_scenario_file_and_bad_inputs() {
    let o = iamsim(&[
        "eval",
        "--scenario",
        "testdata/simulate/missing.json",
        "-a",
        "s3:GetObject",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read file"), "{}", stderr(&o));
    let o = iamsim(&["eval", "-a", "s3:GetObject", "--context", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'nope' for '--context")
            && stderr(&o).contains("console-mfa"),
        "{}",
        stderr(&o)
    );
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/lint/broken.json",
        "-a",
        "s3:GetObject",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("broken.json:6:7: unknown element \"Efect\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn lint_reports_errors_with_caret_and_suggestion() {
    let o = iamsim(&["lint", "testdata/lint/broken.json"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("error[invalid-policy-element]: unknown element \"Efect\""),
        "{out}"
    );
    assert!(out.contains("--> testdata/lint/broken.json:6:7"), "{out}");
    assert!(
        out.contains("6 |       \"Efect\": \"Allow\",\n  |       ^"),
        "{out}"
    );
    assert!(
        out.contains("help: did you mean \"BoolIfExists\"?"),
        "{out}"
    );
    assert!(out.contains("3 errors"), "{out}");
}

#[test]
fn lint_warnings_pass_unless_denied() {
    let o = iamsim(&["lint", "testdata/lint/warnings.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("warning[missing-qualifier]"));
    let o = iamsim(&["lint", "--deny-warnings", "testdata/lint/warnings.json"]);
    assert_eq!(o.status.code(), Some(1));
    let o = iamsim(&["lint", "--format", "json", "testdata/lint/warnings.json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"], 0);
    assert!(v["warnings"].as_u64().unwrap() >= 3);
}

#[test]
fn lint_reads_stdin_and_unreadable_files_exit_2() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(["lint", "--kind", "scp", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#)
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("missing-version"), "{}", stdout(&o));
    let o = iamsim(&["lint", "testdata/does-not-exist.json"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn simulate_prints_the_api_response_shape() {
    let o = iamsim(&[
        "simulate",
        "--cli-input-json",
        "testdata/simulate/request.json",
    ]);
    // Exit 0 on a successful simulation whatever the decisions, as the AWS CLI does...
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // ...and 1 with --fail-on-deny, for gating (the request has a denied result).
    let gated = iamsim(&[
        "simulate",
        "--fail-on-deny",
        "--cli-input-json",
        "file://testdata/simulate/request.json",
    ]);
    assert_eq!(gated.status.code(), Some(1), "{}", stderr(&gated));
    assert_eq!(gated.stdout, o.stdout);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = v["EvaluationResults"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["EvalActionName"], "s3:ListAllMyBuckets");
    assert_eq!(r[0]["EvalDecision"], "allowed");
    assert_eq!(
        r[0]["MatchedStatements"][0]["SourcePolicyId"],
        "PolicyInputList.1"
    );
    assert_eq!(r[0]["MatchedStatements"][0]["StartPosition"]["Line"], 1);
    assert_eq!(r[2]["EvalActionName"], "ec2:DescribeInstances");
    assert_eq!(r[2]["EvalDecision"], "implicitDeny");
    assert_eq!(
        r[2]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"],
        false
    );
}

#[test]
fn simulate_rejects_unknown_context_key_type() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(["simulate", "--cli-input-json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(br#"{"PolicyInputList":[],"ActionNames":["s3:GetObject"],"ContextEntries":[{"ContextKeyName":"k","ContextKeyValues":["v"],"ContextKeyType":"text"}]}"#).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown ContextKeyType \"text\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn completions_and_help_are_available() {
    let o = iamsim(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("iamsim"));
    for sub in ["test", "eval", "lint", "simulate"] {
        let o = iamsim(&[sub, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        assert!(
            stdout(&o).contains("Example:"),
            "{sub} --help has no example"
        );
    }
}

#[test]
fn hostile_inputs_are_refused_with_file_line_and_limit() {
    let dir = std::env::temp_dir().join(format!("iamsim-cli-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let deep = dir.join("deep.json");
    std::fs::write(&deep, format!("{{\"Statement\": {}", "[".repeat(100_000))).unwrap();
    let o = iamsim(&[
        "eval",
        "--identity",
        deep.to_str().unwrap(),
        "-a",
        "s3:GetObject",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("deep.json:1:")
            && stderr(&o).contains("nesting deeper than the limit of 64"),
        "{}",
        stderr(&o)
    );
    let o = iamsim(&[
        "eval",
        "--setting",
        "max_statements=1",
        "--identity",
        "testdata/policies/force-mfa.json",
        "-a",
        "s3:GetObject",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("force-mfa.json:3:") && stderr(&o).contains("max_statements"),
        "{}",
        stderr(&o)
    );
    // A depth limit beyond what the reader's stack can take is refused, never a crash (exit 134).
    let deep20k = dir.join("deep20k.json");
    std::fs::write(
        &deep20k,
        format!(
            "{{\"Statement\": {}{}}}",
            "[".repeat(20_000),
            "]".repeat(20_000)
        ),
    )
    .unwrap();
    for (setting, message) in [
        ("max_json_depth=100000", "max_json_depth is at most 256"),
        ("max_json_depth=256", "nesting deeper than the limit of 256"),
    ] {
        let o = iamsim(&[
            "eval",
            "--setting",
            setting,
            "--identity",
            deep20k.to_str().unwrap(),
            "-a",
            "s3:GetObject",
        ]);
        assert_eq!(o.status.code(), Some(2), "{setting}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{setting}: {}", stderr(&o));
    }
    let bad_utf8 = dir.join("latin1.json");
    std::fs::write(&bad_utf8, b"{\"Statement\": \"\xff\"}").unwrap();
    let o = iamsim(&["lint", bad_utf8.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not valid UTF-8"), "{}", stderr(&o));
}

#[test]
fn adversarial_wildcard_pattern_is_answered_correctly() {
    let dir = std::env::temp_dir().join(format!("iamsim-cli-wild-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("p.json");
    let pattern = format!("arn:aws:s3:::{}b", "a*".repeat(2500));
    std::fs::write(&p, format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{pattern}"}}}}"#)).unwrap();
    let long = format!("arn:aws:s3:::{}", "a".repeat(5000));
    let o = iamsim(&[
        "eval",
        "--identity",
        p.to_str().unwrap(),
        "-a",
        "s3:GetObject",
        "-r",
        &long,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = iamsim(&[
        "eval",
        "--identity",
        p.to_str().unwrap(),
        "-a",
        "s3:GetObject",
        "-r",
        &format!("{long}b"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn test_subcommand_writes_junit_and_json_reports() {
    let o = iamsim(&["test", "--format", "junit", "testdata/cases"]);
    assert_eq!(o.status.code(), Some(0));
    let xml = stdout(&o);
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<testsuite name=\"testdata/cases/mfa-force-mfa.json\""),
        "{xml}"
    );
    assert!(xml.contains("failures=\"0\""));
    let o = iamsim(&["test", "--format", "json", "testdata/cases"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["failed"], 0);
    assert!(v["passed"].as_u64().unwrap() >= 30);
    assert_eq!(v["tests"][0]["passed"], true);
}

#[test]
fn eval_names_the_setting_that_influenced_the_decision() {
    let dir = std::env::temp_dir().join(format!("iamsim-cli-set-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("p.json");
    std::fs::write(&p, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}"#).unwrap();
    let args = [
        "eval",
        "--identity",
        p.to_str().unwrap(),
        "-a",
        "s3:GetObject",
        "-r",
        "arn:aws:s3:::b/k",
        "-k",
        "s3:ExistingObjectTag/Team=red",
        "--format",
        "json",
    ];
    let o = iamsim(&args);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["explanation"]["decision"], "explicitDeny");
    assert!(
        v["explanation"]["settings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "negated_op_matches_unresolved_variable"),
        "{v}"
    );
    let mut flipped = args.to_vec();
    flipped.extend(["--setting", "negated_op_matches_unresolved_variable=false"]);
    let o = iamsim(&flipped);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn dash_reads_a_policy_from_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "eval",
            "--identity",
            "-",
            "-a",
            "s3:GetObject",
            "-r",
            "arn:aws:s3:::b/k",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(br#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("decision: allowed"));
}

#[test]
fn eval_names_the_aws_managed_policy_service_rule() {
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "iam:CreatePolicyVersion",
        "--resource",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("decision: implicitDeny"), "{out}");
    assert!(
        out.contains(
            "AWS managed policies (arn:aws:iam::aws:policy/...) cannot be edited or deleted"
        ),
        "{out}"
    );
    assert!(
        out.contains("rule:     aws-managed-policy-read-only"),
        "{out}"
    );
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "iam:CreatePolicyVersion",
        "--resource",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["explanation"]["service_rule"],
        "aws-managed-policy-read-only"
    );
}

#[test]
fn eval_context_carries_the_resource_account_from_the_arn() {
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/admin.json",
        "--action",
        "sqs:SendMessage",
        "--resource",
        "arn:aws:sqs:us-east-1:444455556666:q",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["context_keys"]["aws:ResourceAccount"], "444455556666");
    // Another account's queue: cross-account, so the identity allow alone is not enough.
    assert_eq!(v["explanation"]["decision"], "implicitDeny");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn eval_and_test_name_the_statement_whose_not_action_excludes_the_action() {
    // PowerUserAccess allows everything but iam:*, organizations:* and account:*.
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/policies/power-user-access.json",
        "--action",
        "iam:CreateUser",
        "--resource",
        "arn:aws:iam::111122223333:user/bob",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("decision: implicitDeny"), "{out}");
    assert!(
        out.contains("statements whose NotAction excludes the action:\n  excluded testdata/policies/power-user-access.json#0 (testdata/policies/power-user-access.json:4:5) [identity Allow]"),
        "{out}"
    );
    assert!(
        out.contains("iam:CreateUser is excluded by NotAction [iam:*, organizations:*, account:*] (it matches \"iam:*\"): this Allow does not cover it"),
        "{out}"
    );

    let dir = std::env::temp_dir().join(format!("iamsim-cli-notaction-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("power-user.json");
    std::fs::write(
        &f,
        r#"{"tests":[
          {"name":"power users create users","identity_policies":[{"Version":"2012-10-17","Statement":{"Sid":"NotIam","Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}}],
           "action":"iam:CreateUser","resource":"arn:aws:iam::111122223333:user/bob","expect":"allowed"},
          {"name":"no secrets","identity_policies":[{"Version":"2012-10-17","Statement":{"Sid":"NotSecret","Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}}],
           "action":"s3:GetObject","resource":"arn:aws:s3:::secret/k","expect":"allowed"}]}"#,
    )
    .unwrap();
    let o = iamsim(&["test", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("power users create users: expected allowed, got implicitDeny (")
            && out.contains("; identity_policies[0]#NotIam: iam:CreateUser is excluded by NotAction [iam:*, organizations:*, account:*] (it matches \"iam:*\"): this Allow does not cover it)"),
        "{out}"
    );
    assert!(
        out.contains("; identity_policies[0]#NotSecret: resource arn:aws:s3:::secret/k is excluded by NotResource [arn:aws:s3:::secret/*] (it matches \"arn:aws:s3:::secret/*\"))"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn simulate_reports_the_resource_types_arn_format_and_the_arn_per_resource() {
    let o = iamsim(&[
        "simulate",
        "--cli-input-json",
        "testdata/simulate/resources.json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = v["EvaluationResults"].as_array().unwrap();
    let got: Vec<(&str, &str, &str)> = r
        .iter()
        .map(|r| {
            let specific = r["ResourceSpecificResults"].as_array().unwrap();
            assert_eq!(specific.len(), 1, "{r}");
            (
                r["EvalActionName"].as_str().unwrap(),
                r["EvalResourceName"].as_str().unwrap(),
                specific[0]["EvalResourceName"].as_str().unwrap(),
            )
        })
        .collect();
    let (object, bucket) = ("arn:aws:s3:::reports/2024/q1.csv", "arn:aws:s3:::reports");
    assert_eq!(
        got,
        [
            (
                "s3:GetObject",
                "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
                object
            ),
            // A bucket is no resource of GetObject: the name as given.
            ("s3:GetObject", bucket, bucket),
            // An object is no resource of ListBucket.
            ("s3:ListBucket", object, object),
            (
                "s3:ListBucket",
                "arn:${Partition}:s3:::${BucketName}",
                bucket
            ),
        ]
    );
    // Without ResourceArns the resource is `*` in both places.
    let o = iamsim(&[
        "simulate",
        "--cli-input-json",
        "testdata/simulate/request.json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let first = &v["EvaluationResults"][0];
    assert_eq!(first["EvalResourceName"], "*");
    assert_eq!(first["ResourceSpecificResults"][0]["EvalResourceName"], "*");
}

#[test]
fn eval_with_no_policies_warns_that_everything_is_denied() {
    let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(["eval", "--action", "s3:GetObject"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the scenario has no policies"), "{err}");
    // -q hides it; a scenario with a policy never shows it.
    let q = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(["-q", "eval", "--action", "s3:GetObject"])
        .output()
        .unwrap();
    assert!(
        q.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&q.stderr)
    );
    let p = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "eval",
            "--identity",
            "testdata/policies/admin.json",
            "--action",
            "s3:GetObject",
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&p.stderr).contains("no policies"));
}

#[test]
fn simulate_takes_the_request_file_without_the_flag_too() {
    let with_flag = iamsim(&[
        "simulate",
        "--cli-input-json",
        "testdata/simulate/request.json",
    ]);
    let positional = iamsim(&["simulate", "testdata/simulate/request.json"]);
    assert_eq!(positional.status.code(), Some(0), "{}", stderr(&positional));
    assert_eq!(positional.stdout, with_flag.stdout);
    assert!(stdout(&positional).contains("\"EvaluationResults\""));
    // Both at once is ambiguous: refused.
    let both = iamsim(&["simulate", "a.json", "--cli-input-json", "b.json"]);
    assert_eq!(both.status.code(), Some(2));
}
