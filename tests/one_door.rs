//! The I/O and scenario rules that hold for every subcommand (issue "one door"): bounded reads,
//! no FIFOs or devices, `{"file"}` references confined, a closed pipe ends quietly, a full disk
//! is an error, input names cannot drive the terminal, and the scenario is read the same way
//! everywhere.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_iamsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

fn iamsim(args: &[&str]) -> Output {
    bin().args(args).output().expect("run iamsim")
}

fn iamsim_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run iamsim")
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iamsim-door-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const ALLOW_S3: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

#[test]
fn a_file_reference_to_dev_zero_fails_at_once_without_growing() {
    let d = tmp("zero");
    std::fs::write(
        d.join("c.json"),
        r#"{"tests":[{"name":"t","identity_policies":[{"file":"/dev/zero"}],"action":"s3:GetObject","expect":"allowed"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d, &["test", "--root", "/", "c.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("not a regular file"), "{}", err(&o));
}

#[test]
fn a_fifo_is_refused_instead_of_hanging() {
    let d = tmp("fifo");
    let fifo = d.join("p.json");
    let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    let o = iamsim(&[
        "eval",
        "--identity",
        fifo.to_str().unwrap(),
        "-a",
        "s3:GetObject",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("not a regular file"), "{}", err(&o));
}

#[test]
fn references_outside_the_tree_are_refused_and_nothing_of_them_is_echoed() {
    let d = tmp("outside");
    std::fs::create_dir_all(d.join("cases")).unwrap();
    std::fs::write(d.join("secret.json"), r#"{"password": "hunter2"}"#).unwrap();
    std::fs::write(
        d.join("cases/c.json"),
        r#"{"tests":[{"name":"t","identity_policies":[{"file":"../secret.json"}],"action":"s3:GetObject","expect":"allowed"}]}"#,
    )
    .unwrap();
    std::os::unix::fs::symlink(d.join("secret.json"), d.join("cases/link.json")).unwrap();
    // Run from cases/: the parent directory is outside.
    let o = iamsim_in(&d.join("cases"), &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("outside the directories"), "{}", err(&o));
    assert!(!err(&o).contains("hunter2") && !err(&o).contains("password"));
    // /etc/passwd, absolute.
    std::fs::write(
        d.join("cases/c.json"),
        r#"{"tests":[{"name":"t","identity_policies":[{"file":"/etc/passwd"}],"action":"s3:GetObject","expect":"allowed"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d.join("cases"), &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("outside"), "{}", err(&o));
    assert!(!err(&o).contains("root:"), "{}", err(&o));
    // --root widens it explicitly.
    std::fs::write(
        d.join("cases/c.json"),
        r#"{"tests":[{"name":"t","identity_policies":[{"file":"../secret.json"}],"action":"s3:GetObject","expect":"allowed"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d.join("cases"), &["test", "--root", "..", "c.json"]);
    assert!(!err(&o).contains("outside"), "{}", err(&o));
}

#[test]
fn the_bundled_relative_references_keep_working_from_the_repository() {
    let o = iamsim(&["test", "testdata/cases/"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn a_closed_pipe_ends_quietly_in_every_subcommand() {
    let runs: &[&[&str]] = &[
        &[
            "eval",
            "--identity",
            "testdata/policies/admin.json",
            "-a",
            "s3:GetObject",
        ],
        &["lint", "testdata/lint/warnings.json"],
        &[
            "simulate",
            "--cli-input-json",
            "testdata/simulate/request.json",
        ],
        &[
            "account",
            "--auth-details",
            "testdata/account/auth-details.json",
        ],
        &["completions", "bash"],
        &["test", "-v", "testdata/cases/"],
        &["mfa", "--scenario", "testdata/mfa/force-mfa.json"],
        &[
            "batch",
            "--scenario",
            "testdata/batch/mfa-scenario.json",
            "testdata/batch/requests.jsonl",
        ],
        &[
            "replay",
            "testdata/replay/trail",
            "--scenario",
            "testdata/replay/scenario.json",
            "--format",
            "jsonl",
        ],
        &["expand", "s3:*"],
    ];
    for args in runs {
        let mut child = bin()
            .args(*args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe (as `| head -c1` does).
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        let _ = stdout.read(&mut one);
        drop(stdout);
        let o = child.wait_with_output().unwrap();
        assert_ne!(o.status.code(), Some(101), "{args:?} panicked: {}", err(&o));
        assert!(!err(&o).contains("panicked"), "{args:?}: {}", err(&o));
    }
}

#[test]
fn a_full_disk_is_an_error_never_a_silent_success() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let runs: &[&[&str]] = &[
        &["test", "--format", "junit", "testdata/cases/"],
        &[
            "eval",
            "--identity",
            "testdata/policies/admin.json",
            "-a",
            "s3:GetObject",
        ],
        &["lint", "testdata/lint/warnings.json"],
        &[
            "account",
            "--auth-details",
            "testdata/account/auth-details.json",
        ],
    ];
    for args in runs {
        let o = bin()
            .args(*args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(
            err(&o).contains("cannot write the output"),
            "{args:?}: {}",
            err(&o)
        );
    }
}

#[test]
fn an_escape_sequence_in_a_test_name_is_shown_not_executed() {
    let d = tmp("esc");
    let name = "clear\u{1b}[2Jscreen & <b>";
    let case = serde_json::json!({"tests": [{"name": name, "identity_policies": [serde_json::from_str::<serde_json::Value>(ALLOW_S3).unwrap()], "action": "s3:GetObject", "expect": "implicitDeny"}]});
    std::fs::write(d.join("c.json"), case.to_string()).unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!o.stdout.contains(&0x1b), "{}", out(&o));
    assert!(out(&o).contains("clear\\u{1b}[2Jscreen"), "{}", out(&o));
    let o = iamsim_in(&d, &["test", "--format", "junit", "c.json"]);
    let xml = out(&o);
    assert!(
        !xml.contains('\u{1b}') && xml.contains("&amp; &lt;b&gt;"),
        "{xml}"
    );
}

#[test]
fn duplicate_keys_in_a_case_file_are_errors_with_both_positions() {
    let d = tmp("dup");
    std::fs::write(
        d.join("c.json"),
        "{\"tests\":[],\n \"tests\":[{\"name\":\"t\",\"action\":\"s3:GetObject\",\"expect\":\"allowed\"}]}",
    )
    .unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("c.json:2:2: duplicate key \"tests\" (first at 1:2)"),
        "{}",
        err(&o)
    );
    std::fs::write(
        d.join("c.json"),
        r#"{"tests":[{"name":"t","action":"s3:GetObject","expect":"allowed","expect":"implicitDeny"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("duplicate key \"expect\""), "{}", err(&o));
}

#[test]
fn a_run_that_checks_nothing_is_an_error() {
    let d = tmp("empty");
    std::fs::write(d.join("policy.json"), ALLOW_S3).unwrap();
    let o = iamsim_in(&d, &["test", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(err(&o).contains("no case file"), "{}", err(&o));
    std::fs::write(d.join("c.json"), r#"{"tests":[]}"#).unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("\"tests\" is empty"), "{}", err(&o));
}

#[test]
fn directory_symlink_loops_are_not_followed() {
    let d = tmp("loop");
    std::fs::create_dir_all(d.join("a")).unwrap();
    std::fs::write(
        d.join("a/c.json"),
        r#"{"tests":[{"name":"t","action":"s3:GetObject","expect":"implicitDeny"}]}"#,
    )
    .unwrap();
    std::os::unix::fs::symlink(&d, d.join("a/up")).unwrap();
    std::os::unix::fs::symlink(d.join("a"), d.join("a/self")).unwrap();
    let o = iamsim_in(&d, &["test", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o).lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn a_scenario_on_standard_input_is_read_once() {
    let scenario = std::fs::read("testdata/mfa/force-mfa.json").unwrap();
    // The scenario references policies relative to its own directory; standard input has none,
    // so inline a self-contained one.
    let _ = scenario;
    let inline = format!(r#"{{"identity_policies":[{ALLOW_S3}],"actions":["s3:GetObject"]}}"#);
    let o = with_stdin(
        &["mfa", "--scenario", "-", "--format", "json"],
        inline.as_bytes(),
    );
    assert_ne!(o.status.code(), Some(2), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    assert!(v.is_object());
}

#[test]
fn unknown_scenario_fields_warn_the_same_way_everywhere() {
    let d = tmp("unknown");
    std::fs::write(
        d.join("s.json"),
        format!(r#"{{"identity_polices":[{ALLOW_S3}]}}"#),
    )
    .unwrap();
    let want =
        "unknown field \"identity_polices\" is ignored (did you mean \"identity_policies\"?)";
    for args in [
        vec!["eval", "--scenario", "s.json", "-a", "s3:GetObject"],
        vec!["mfa", "--scenario", "s.json"],
    ] {
        let o = iamsim_in(&d, &args);
        assert!(err(&o).contains(want), "{args:?}: {}", err(&o));
        let mut quiet = args.clone();
        quiet.push("--quiet");
        let o = iamsim_in(&d, &quiet);
        assert!(!err(&o).contains("unknown field"), "{quiet:?}: {}", err(&o));
    }
}

#[test]
fn scp_levels_are_trimmed_and_an_empty_level_is_refused_everywhere() {
    let admin = "testdata/policies/admin.json";
    let full = "testdata/policies/full-aws-access.json";
    let spaced = format!("{full}, {full}");
    let o = iamsim(&[
        "eval",
        "--identity",
        admin,
        "--scp-level",
        &spaced,
        "-a",
        "s3:GetObject",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    for args in [
        vec![
            "eval",
            "--identity",
            admin,
            "--scp-level",
            ",",
            "-a",
            "s3:GetObject",
        ],
        vec![
            "account",
            "--auth-details",
            "testdata/account/auth-details.json",
            "--scp-level",
            ",",
        ],
    ] {
        let o = iamsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            err(&o).contains("a level needs at least one"),
            "{}",
            err(&o)
        );
    }
    let mut many = vec![
        "account",
        "--auth-details",
        "testdata/account/auth-details.json",
    ];
    for _ in 0..17 {
        many.extend(["--scp-level", full]);
    }
    let o = iamsim(&many);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("17 levels given"), "{}", err(&o));
}

#[test]
fn a_case_file_given_as_a_scenario_is_an_error_naming_tests() {
    let o = iamsim(&["mfa", "--scenario", "testdata/cases/mfa-force-mfa.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("(at tests)") && err(&o).contains("iamsim test"),
        "{}",
        err(&o)
    );
}

#[test]
fn an_account_audit_of_something_that_is_not_an_export_fails() {
    let d = tmp("notexport");
    for (name, text) in [
        ("policy.json", ALLOW_S3),
        ("empty.json", "{}"),
        ("lower.json", r#"{"userDetailList": []}"#),
        ("object.json", r#"{"UserDetailList": {"UserName": "a"}}"#),
    ] {
        std::fs::write(d.join(name), text).unwrap();
        let o = iamsim_in(&d, &["account", "--auth-details", name]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}{}", out(&o), err(&o));
    }
    let o = iamsim_in(&d, &["account", "--auth-details", "lower.json"]);
    assert!(
        err(&o).contains("did you mean \"UserDetailList\""),
        "{}",
        err(&o)
    );
}

#[test]
fn errors_without_a_position_show_none() {
    let o = iamsim(&[
        "eval",
        "--identity",
        "testdata/nope.json",
        "-a",
        "s3:GetObject",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("error: testdata/nope.json: cannot read file: no such file"),
        "{}",
        err(&o)
    );
    let o = iamsim(&["eval", "--setting", "nonsense", "-a", "s3:GetObject"]);
    assert!(err(&o).starts_with("error: --setting: "), "{}", err(&o));
}

#[test]
fn simulate_refuses_wrong_types_with_their_json_path() {
    let base = r#""PolicyInputList":["{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"],"ActionNames":["s3:GetObject"]"#;
    for (extra, path) in [
        (r#","CallerArn":5"#, "(at CallerArn)"),
        (r#","ContextPreset":7"#, "(at ContextPreset)"),
        (r#","ResourceOwner":true"#, "(at ResourceOwner)"),
        (r#","ManagementAccount":"yes""#, "(at ManagementAccount)"),
        (r#","ActionNames":["a:b"]"#, "duplicate key \"ActionNames\""),
        (
            r#","ContextEntries":[{"ContextKeyName":"aws:CurrentTime","ContextKeyValues":["garbage"]}]"#,
            "must be a date",
        ),
    ] {
        let o = iamsim(&[
            "simulate",
            "--cli-input-json",
            &format!("{{{base}{extra}}}"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{extra}: {}", out(&o));
        assert!(err(&o).contains(path), "{extra}: {}", err(&o));
    }
    let o = iamsim(&["simulate", "--cli-input-json", &format!("{{{base}}}")]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["IsTruncated"], false);
    let m = &v["EvaluationResults"][0]["MatchedStatements"][0];
    assert_eq!(m["SourcePolicyType"], "none");
}

#[test]
fn a_resource_account_given_as_a_number_is_an_error() {
    let d = tmp("acctnum");
    std::fs::write(
        d.join("c.json"),
        r#"{"tests":[{"name":"t","resource_account":246813579024,"action":"s3:GetObject","expect":"implicitDeny"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("leading zeros matter"), "{}", err(&o));
}

#[test]
fn every_problem_of_a_case_file_is_reported_in_one_run() {
    let d = tmp("allerrs");
    std::fs::write(
        d.join("c.json"),
        r#"{"tests":[
  {"name":"a","action":"s3:GetObject","expect":"allow"},
  {"name":"b","action":"s3:GetObject","contxt":"console","expect":"implicitDeny"},
  {"name":"c","action":"nope","expect":"implicitDeny"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(2));
    let e = err(&o);
    assert!(
        e.contains("found \"allow\" (did you mean \"allowed\"?)"),
        "{e}"
    );
    assert!(e.contains("must be service:Action"), "{e}");
    let o = iamsim_in(&d, &["test", "--filter", "zzz", "c.json"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_unknown_test_field_warns_by_default() {
    let d = tmp("contxt");
    std::fs::write(
        d.join("c.json"),
        r#"{"tests":[{"name":"b","action":"s3:GetObject","contxt":"console","expect":"implicitDeny"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        err(&o).contains(
            "unknown field \"contxt\" in tests[0] is ignored (did you mean \"context\"?)"
        ),
        "{}",
        err(&o)
    );
    let o = iamsim_in(&d, &["test", "--quiet", "c.json"]);
    assert!(!err(&o).contains("contxt"));
}

#[test]
fn lint_counts_unreadable_files_and_caps_repeated_warnings() {
    let o = iamsim(&["lint", "--format", "json", "testdata/does-not-exist.json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"], 1);
    let d = tmp("lintrep");
    let stmts: Vec<String> = (0..50)
        .map(|i| format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"StringEquals":{{"aws:TagKeys":"a"}}}}}}"#))
        .collect();
    std::fs::write(
        d.join("p.json"),
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            stmts.join(",")
        ),
    )
    .unwrap();
    let o = iamsim_in(&d, &["lint", "p.json"]);
    let text = out(&o);
    assert!(text.matches("warning[").count() <= 3, "{text}");
    assert!(text.contains("47 more"), "{text}");
    // The one-line file is shown windowed, not whole.
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
}

#[test]
fn lint_warns_on_values_iam_accepts_leniently() {
    let o = iamsim(&["lint", "--format", "json", "testdata/lint/lenient.json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    for want in [
        "nested-variable",
        "unknown-variable",
        "lenient-date-value",
        "lenient-numeric-value",
    ] {
        assert!(codes.contains(&want), "{want} missing from {codes:?}");
    }
    assert_eq!(
        codes.iter().filter(|c| **c == "lenient-date-value").count(),
        2
    );
    // Null on a multivalued key tests presence: no missing-qualifier warning.
    assert!(!codes.contains(&"missing-qualifier"), "{codes:?}");
}

#[test]
fn organization_flags_set_the_org_keys() {
    let base = [
        "eval",
        "--identity",
        "testdata/policies/allow-in-org.json",
        "-a",
        "s3:GetObject",
    ];
    let o = iamsim(&base);
    assert_eq!(
        o.status.code(),
        Some(1),
        "not in an organization: no aws:PrincipalOrgID"
    );
    let mut with = base.to_vec();
    with.extend([
        "--org-id",
        "o-a1b2c3d4e5",
        "--org-account",
        "111122223333=o-a1b2c3d4e5/r-ab12/",
    ]);
    let o = iamsim(&with);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let mut bad = base.to_vec();
    bad.extend([
        "--org-id",
        "o-a1b2c3d4e5",
        "--org-account",
        "111122223333=r-ab12/",
    ]);
    let o = iamsim(&bad);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("must start with the organization id"),
        "{}",
        err(&o)
    );
}

#[test]
fn a_failing_test_shows_its_context_and_the_condition_reasons() {
    let d = tmp("failctx");
    std::fs::write(
        d.join("c.json"),
        r#"{"tests":[{"name":"mfa console","identity_policies":[{"Version":"2012-10-17","Statement":[{"Sid":"NeedMfa","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}],"action":"s3:GetObject","context":"console","expect":"allowed"}]}"#,
    )
    .unwrap();
    let o = iamsim_in(&d, &["test", "c.json"]);
    assert_eq!(o.status.code(), Some(1));
    let t = out(&o);
    assert!(
        t.contains("context: ") && t.contains("aws:MultiFactorAuthPresent=false"),
        "{t}"
    );
    assert!(
        t.contains("NeedMfa") && t.contains("Bool {\"aws:MultiFactorAuthPresent\": \"true\"}"),
        "{t}"
    );
    let o = iamsim_in(&d, &["test", "--format", "json", "c.json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["tests"][0]["context"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "aws:MultiFactorAuthPresent=false"));
}

#[test]
fn first_contact_mistakes_get_a_hint() {
    let d = tmp("hints");
    std::fs::write(
        d.join("curly.json"),
        "{\n  \u{201c}Version\u{201d}: \"2012-10-17\"}",
    )
    .unwrap();
    std::fs::write(
        d.join("p.yaml"),
        "Version: \"2012-10-17\"\nStatement:\n  - Effect: Allow\n",
    )
    .unwrap();
    let o = iamsim_in(
        &d,
        &["eval", "--identity", "curly.json", "-a", "s3:GetObject"],
    );
    assert!(
        err(&o).contains("curly.json:2:3") && err(&o).contains("curly quote"),
        "{}",
        err(&o)
    );
    let o = iamsim_in(&d, &["lint", "curly.json"]);
    assert!(
        out(&o).contains("help: this is a curly quote"),
        "{}",
        out(&o)
    );
    let o = iamsim_in(&d, &["eval", "--identity", "p.yaml", "-a", "s3:GetObject"]);
    assert!(
        err(&o).contains("iamsim reads JSON, and this looks like YAML"),
        "{}",
        err(&o)
    );
    let o = iamsim_in(&d, &["eval", "-a", "s3:GetObject", "--context", "consle"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("console-mfa"), "{}", err(&o));
}

#[test]
fn malformed_principals_and_padded_values_are_reported() {
    let o = iamsim(&["lint", "--format", "json", "testdata/lint/principals.json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ds = v["diagnostics"].as_array().unwrap();
    let msgs: Vec<String> = ds
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |code: &str, text: &str| msgs.iter().any(|m| m.starts_with(code) && m.contains(text));
    assert!(has("invalid-principal", "O12345678912"), "{msgs:#?}");
    assert!(has("invalid-principal", "no resource part"), "{msgs:#?}");
    assert!(has("invalid-principal", "not a s3 resource"), "{msgs:#?}");
    assert!(
        has("invalid-principal", "a string \"Principal\" must be \"*\""),
        "{msgs:#?}"
    );
    assert!(has("whitespace-in-value", "\"ec2:* \""), "{msgs:#?}");
    // A root ARN and a unique id (a deleted principal) are fine.
    assert!(
        !msgs
            .iter()
            .any(|m| m.contains("111122223333:root\" is not") || m.contains("AIDAJQ")),
        "{msgs:#?}"
    );
    assert!(
        !msgs.iter().any(|m| m.starts_with("json-syntax-error")),
        "{msgs:#?}"
    );
}

#[test]
fn simulate_refuses_a_product_above_its_limit_before_evaluating() {
    let actions: Vec<String> = (0..1001).map(|i| format!("\"s3:A{i}\"")).collect();
    let resources: Vec<String> = (0..1000)
        .map(|i| format!("\"arn:aws:s3:::b/{i}\""))
        .collect();
    let req = format!(
        r#"{{"PolicyInputList":["{{\"Version\":\"2012-10-17\",\"Statement\":{{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}}}"],"ActionNames":[{}],"ResourceArns":[{}]}}"#,
        actions.join(","),
        resources.join(",")
    );
    let o = with_stdin(&["simulate", "--cli-input-json", "-"], req.as_bytes());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("1001 actions × 1000 resources"),
        "{}",
        err(&o)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn export_lists_of_the_wrong_shape_and_duplicate_keys_are_errors() {
    let d = tmp("exportshape");
    for (name, text, want) in [
        (
            "groups.json",
            r#"{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a","GroupList":[{"GroupName":"g"}]}]}"#,
            "GroupList[0]",
        ),
        (
            "attached.json",
            r#"{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a","AttachedManagedPolicies":{"PolicyArn":"x"}}]}"#,
            "AttachedManagedPolicies",
        ),
        (
            "dup.json",
            r#"{"UserDetailList":[],"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a"}]}"#,
            "duplicate key \"UserDetailList\"",
        ),
    ] {
        std::fs::write(d.join(name), text).unwrap();
        let o = iamsim_in(&d, &["account", "--auth-details", name]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", out(&o));
        assert!(err(&o).contains(want), "{name}: {}", err(&o));
    }
}

#[test]
fn a_time_key_that_is_not_a_date_is_an_error_not_now() {
    let o = iamsim(&[
        "eval",
        "-a",
        "s3:GetObject",
        "--key",
        "aws:CurrentTime=garbage",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("aws:CurrentTime must be a date"),
        "{}",
        err(&o)
    );
}

#[test]
fn a_lone_cr_ends_a_line_for_positions() {
    let d = tmp("cr");
    std::fs::write(d.join("p.json"), "{\r\"Version\": \"2012-10-17\",\r\"Statement\": [\r{\"Effect\": \"Alow\", \"Action\": \"*\", \"Resource\": \"*\"}]}").unwrap();
    let o = iamsim_in(&d, &["lint", "p.json"]);
    assert!(out(&o).contains("p.json:4:"), "{}", out(&o));
}

#[test]
fn a_case_file_on_standard_input_runs() {
    let case = br#"{"tests":[{"name":"stdin","action":"s3:GetObject","expect":"implicitDeny"}]}"#;
    let o = with_stdin(&["test", "-"], case);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o).lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn an_export_mixing_accounts_says_so_and_builds_device_arns_in_each_users_account() {
    let d = tmp("mixed");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
    let export = format!(
        r#"{{"UserDetailList":[
        {{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a","UserPolicyList":[{{"PolicyName":"p","PolicyDocument":{doc}}}]}},
        {{"UserName":"b","Arn":"arn:aws:iam::444455556666:user/b","UserPolicyList":[{{"PolicyName":"p","PolicyDocument":{doc}}}]}}]}}"#
    );
    std::fs::write(d.join("e.json"), export).unwrap();
    let o = iamsim_in(
        &d,
        &["account", "--auth-details", "e.json", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("mixes principals of 2 accounts")),
        "{v}"
    );
    let b_lockout = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "b" && f["kind"] == "enrolment-lockout")
        .expect("b cannot enrol");
    assert!(
        b_lockout["message"]
            .as_str()
            .unwrap()
            .contains("arn:aws:iam::444455556666:mfa/b"),
        "{b_lockout}"
    );
}

#[test]
fn a_positioned_error_shows_its_source_line_with_a_caret_in_every_subcommand() {
    let d = tmp("snippet");
    // A minified one-line policy, 6 KB wide, with a bad Effect far to the right.
    let filler: String = (0..200)
        .map(|i| format!(r#"{{"Effect":"Allow","Action":"s3:Get{i}","Resource":"*"}},"#))
        .collect();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{filler}{{"Effect":"Alow","Action":"s3:*","Resource":"*"}}]}}"#
    );
    std::fs::write(d.join("p.json"), &policy).unwrap();
    let scenario = r#"{"identity_policies": [{"file": "p.json"}]}"#;
    std::fs::write(d.join("s.json"), scenario).unwrap();
    for args in [
        vec!["eval", "--scenario", "s.json", "--action", "s3:GetObject"],
        vec!["mfa", "--scenario", "s.json"],
        vec!["batch", "--scenario", "s.json", "/dev/null"],
    ] {
        let o = iamsim_in(&d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        let e = err(&o);
        let lines: Vec<&str> = e.lines().collect();
        let src = lines
            .iter()
            .find(|l| l.starts_with("1 | "))
            .unwrap_or_else(|| panic!("{args:?}: no source line in {e}"));
        assert!(src.chars().count() < 120, "{args:?}: not windowed: {src}");
        let caret = lines.iter().find(|l| l.trim_end().ends_with('^')).unwrap();
        let at = caret.chars().count() - 1;
        let under: String = src.chars().skip(at).take(6).collect();
        assert_eq!(
            under, "\"Alow\"",
            "{args:?}: caret not under the value: {e}"
        );
    }
    // Standard input cannot be read twice: the message stands alone, and nothing hangs.
    let o = with_stdin(
        &["eval", "--scenario", "-", "--action", "s3:GetObject"],
        br#"{"identity_policies": [{"Version":"2012-10-17","Statement":[{"Effect":"Alow"}]}]}"#,
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("error: -:1:"), "{}", err(&o));
    assert!(!err(&o).contains("1 | "), "{}", err(&o));
}
