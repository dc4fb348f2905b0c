//! `iamsim replay` on the bundled synthetic trail (testdata/replay/trail: a delivered log file,
//! a gzipped one and a CloudTrail Lake JSON Lines export): mapping, decisions, the summary.

use std::process::{Command, Output};

fn replay(extra: &[&str]) -> Output {
    let mut args = vec![
        "replay",
        "testdata/replay/trail",
        "--scenario",
        "testdata/replay/scenario.json",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn records(extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["--format", "jsonl"];
    args.extend_from_slice(extra);
    let o = replay(&args);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn by_id<'a>(rs: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    rs.iter()
        .find(|r| r["event_id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn events_map_to_the_iam_request() {
    let rs = records(&[]);
    // S3's renamed operations, Lambda's versioned names, CloudWatch's endpoint name.
    assert_eq!(by_id(&rs, "evt-0001")["action"], "s3:ListAllMyBuckets");
    assert_eq!(by_id(&rs, "evt-0021")["action"], "s3:ListBucket");
    assert_eq!(by_id(&rs, "evt-0021")["resource"], "arn:aws:s3:::reports");
    assert_eq!(by_id(&rs, "evt-0031")["action"], "s3:GetObject");
    assert_eq!(
        by_id(&rs, "evt-0031")["resource"],
        "arn:aws:s3:::artifacts/api.zip"
    );
    assert_eq!(
        by_id(&rs, "evt-0003")["action"],
        "lambda:UpdateFunctionCode"
    );
    assert_eq!(by_id(&rs, "evt-0007")["action"], "cloudwatch:PutMetricData");
    assert_eq!(
        by_id(&rs, "evt-0032")["resource"],
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db"
    );
    // Credential presets from userIdentity.
    assert_eq!(by_id(&rs, "evt-0001")["context"], "access-keys");
    assert_eq!(by_id(&rs, "evt-0002")["context"], "console-mfa");
    assert_eq!(by_id(&rs, "evt-0003")["context"], "role");
    assert_eq!(by_id(&rs, "evt-0004")["context"], "service-mfa");
    assert_eq!(by_id(&rs, "evt-0005")["context"], "console");
    // Observed outcomes from errorCode.
    assert_eq!(by_id(&rs, "evt-0005")["observed"], "denied");
    assert_eq!(by_id(&rs, "evt-0006")["observed"], "denied");
    assert_eq!(by_id(&rs, "evt-0001")["observed"], "allowed");
    // An identity iamsim does not model is unmapped with the reason, never guessed.
    let saml = by_id(&rs, "evt-0011");
    assert_eq!(saml["mapping"], "unmapped");
    assert!(saml["reason"].as_str().unwrap().contains("SAMLUser"));
    assert!(saml.get("baseline").is_none());
    // Every API call of every file (the .json, the .json.gz and the .jsonl) has a record.
    assert_eq!(rs.len(), 12);
}

#[test]
fn an_mfa_scp_breaks_calls_without_mfa_and_nothing_else() {
    let o = replay(&[
        "--with-scp",
        "testdata/policies/scp-deny-without-mfa.json",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let broken: Vec<&str> = v["breakage"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        broken.contains(&"arn:aws:iam::111122223333:user/alice s3:ListAllMyBuckets"),
        "{broken:?}"
    );
    assert!(
        broken.contains(
            &"arn:aws:sts::111122223333:assumed-role/ci-deploy/* lambda:UpdateFunctionCode"
        ),
        "{broken:?}"
    );
    // Calls made with MFA keep working; a call AWS denied today is not "breakage".
    assert!(
        !broken
            .iter()
            .any(|k| k.contains("s3:PutObject") || k.contains("iam:CreateUser")),
        "{broken:?}"
    );
    // The model check names what AWS denied and the scenario allows.
    assert!(v["model_allows_observed_denied"]
        .as_object()
        .unwrap()
        .contains_key("arn:aws:iam::111122223333:user/bob iam:CreateUser"));
    assert_eq!(
        v["console_sign_ins_without_mfa"]["arn:aws:iam::111122223333:user/carol"],
        1
    );
    assert_eq!(
        v["without_mfa_stopped"]["arn:aws:iam::111122223333:user/alice (access-keys)"],
        2
    );
    // Without a change: exit 0 and no "proposed" field.
    let o = replay(&[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(records(&[]).iter().all(|r| r.get("proposed").is_none()));
}

#[test]
fn bad_trails_are_errors_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("iamsim-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"Version":"2012-10-17","Statement":[]}"#).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "replay",
            policy.to_str().unwrap(),
            "--scenario",
            "testdata/replay/scenario.json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("policy.json: this JSON file is not CloudTrail"));
    // A truncated .gz keeps what was read and names the file.
    let full = std::fs::read(
        "testdata/replay/trail/2026/12/111122223333_CloudTrail_us-east-1_20261201T0915Z.json.gz",
    )
    .unwrap();
    let cut = dir.join("cut.json.gz");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "replay",
            cut.to_str().unwrap(),
            "--scenario",
            "testdata/replay/scenario.json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cut.json.gz"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A malformed line in JSON Lines is an error record; the others go on.
    let jl = dir.join("mixed.jsonl");
    let good = std::fs::read_to_string("testdata/replay/trail/lake-export.jsonl").unwrap();
    std::fs::write(&jl, format!("{{\"eventType\": \n{good}")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "replay",
            jl.to_str().unwrap(),
            "--scenario",
            "testdata/replay/scenario.json",
            "--format",
            "jsonl",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.lines().next().unwrap().contains("\"error\""));
}

#[test]
fn with_an_account_export_each_caller_has_its_own_policies() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "replay",
            "testdata/replay/trail",
            "--auth-details",
            "testdata/replay/auth-details.json",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        (o.status.code(), v)
    };
    // Baseline: carol may read only prod/* secrets and does; the SAML caller is unmapped.
    let (code, v) = run(&[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        v["model_denies_observed_allowed"]
            .as_object()
            .unwrap()
            .len(),
        0,
        "{v}"
    );
    // Detaching the CI role's managed policy breaks its deployments, and only those.
    let (code, v) = run(&["--without", "arn:aws:iam::111122223333:policy/CiDeploy"]);
    assert_eq!(code, Some(1));
    let broken: Vec<&str> = v["breakage"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        broken,
        [
            "arn:aws:sts::111122223333:assumed-role/ci-deploy/* lambda:UpdateFunctionCode",
            "arn:aws:sts::111122223333:assumed-role/ci-deploy/* s3:GetObject"
        ]
    );
    // Replacing carol's policy with one for another secret breaks her read.
    let (code, v) = run(&[
        "--replace",
        "arn:aws:iam::111122223333:policy/DbReader=testdata/policies/admin-with-mfa-bool.json",
    ]);
    assert_eq!(code, Some(1), "{v}");
    assert!(
        v["breakage"]
            .as_object()
            .unwrap()
            .contains_key("arn:aws:iam::111122223333:user/carol secretsmanager:GetSecretValue"),
        "{v}"
    );
    let (code, _) = run(&["--without", "arn:aws:iam::111122223333:policy/Nope"]);
    assert_eq!(code, Some(2));
}

/// JSON Lines are read line by line (plain or gzipped alike): byte-order mark, blank lines, CRLF,
/// a line that is not UTF-8 and a line that is not JSON each keep their place and line number.
#[test]
fn json_lines_stream_with_every_line_in_its_place() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("iamsim-replay-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string("testdata/replay/trail/lake-export.jsonl").unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let mut text = Vec::new();
    text.extend_from_slice("\u{feff}\n\n".as_bytes());
    text.extend_from_slice(lines[0].as_bytes());
    text.extend_from_slice(b"\r\n   \n");
    text.extend_from_slice(lines[1].as_bytes());
    text.extend_from_slice(b"\n\xff\xfe{}\n{broken\n");
    text.extend_from_slice(lines[0].replace("evt-0021", "evt-last").as_bytes());
    let plain = dir.join("edge.jsonl");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.join("edge.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&text).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let run = |f: &std::path::Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
            .args([
                "replay",
                f.to_str().unwrap(),
                "--scenario",
                "testdata/replay/scenario.json",
            ])
            .args(["--format", "jsonl"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let recs: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        recs
    };
    for f in [&plain, &gz] {
        let rs = run(f);
        assert_eq!(rs.len(), 5, "{rs:?}");
        let ids: Vec<_> = rs.iter().map(|r| r["index"].as_u64().unwrap()).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);
        assert_eq!(rs[0]["event_id"], "evt-0021");
        assert_eq!(rs[0]["action"], "s3:ListBucket");
        assert!(
            rs[2]["error"]
                .as_str()
                .unwrap()
                .starts_with("line 4: not UTF-8"),
            "{}",
            rs[2]
        );
        assert!(
            rs[3]["error"].as_str().unwrap().starts_with("line 5: "),
            "{}",
            rs[3]
        );
        assert_eq!(rs[4]["event_id"], "evt-last");
    }
}

/// `--with-rcp`: an RCP denying S3 without MFA breaks exactly the S3 calls made without MFA,
/// whether one scenario or the account export decides; a new RCP level keeps RCPFullAWSAccess.
#[test]
fn an_rcp_change_breaks_the_s3_calls_without_mfa() {
    let rcp = "testdata/policies/rcp-deny-s3-without-mfa.json";
    for base in [
        vec!["--scenario", "testdata/replay/scenario.json"],
        vec!["--auth-details", "testdata/replay/auth-details.json"],
    ] {
        let mut args = base.clone();
        args.extend(["--with-rcp", rcp, "--format", "jsonl"]);
        let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
            .arg("replay")
            .arg("testdata/replay/trail")
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let rs: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let broken: Vec<&serde_json::Value> = rs
            .iter()
            .filter(|r| r["baseline"] == "allowed" && r["proposed"] != "allowed")
            .filter(|r| r["observed"] != "denied")
            .collect();
        let mut ids: Vec<&str> = broken
            .iter()
            .map(|r| r["event_id"].as_str().unwrap())
            .collect();
        ids.sort();
        assert_eq!(ids, ["evt-0001", "evt-0021", "evt-0031"], "{base:?}");
        for r in &broken {
            assert!(r["action"].as_str().unwrap().starts_with("s3:"));
            assert_eq!(r["without_mfa"], true);
            assert_eq!(r["proposed"], "explicitDeny");
            assert_eq!(
                r["proposed_statements"][0],
                "testdata/policies/rcp-deny-s3-without-mfa.json#DenyS3WithoutMFA"
            );
        }
        // The S3 call made with MFA and the other services stay allowed (RCPFullAWSAccess).
        assert_eq!(by_id(&rs, "evt-0002")["proposed"], "allowed");
        assert_eq!(by_id(&rs, "evt-0032")["proposed"], "allowed");
    }
    // A level that does not exist is an error naming the flag.
    let o = replay(&["--with-rcp", &format!("3:{rcp}")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--with-rcp"));
}

/// A log file as delivered is streamed event by event: a damaged event is an error record in
/// its place, a file cut short keeps the events before it and is an error naming the file.
#[test]
fn records_files_stream_event_by_event() {
    let dir = std::env::temp_dir().join(format!("iamsim-replay-records-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string("testdata/replay/trail/lake-export.jsonl").unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let run = |name: &str, text: &str| {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        Command::new(env!("CARGO_BIN_EXE_iamsim"))
            .args([
                "replay",
                f.to_str().unwrap(),
                "--scenario",
                "testdata/replay/scenario.json",
            ])
            .args(["--format", "jsonl"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let recs = |o: &Output| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // A damaged event between two good ones.
    let o = run(
        "damaged.json",
        &format!(
            "{{\"Records\": [{}, {{\"eventType\": tru}}, {}]}}",
            lines[0], lines[1]
        ),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rs = recs(&o);
    assert_eq!(rs.len(), 3);
    assert_eq!(rs[0]["event_id"], "evt-0021");
    assert_eq!(rs[1]["index"], 1);
    assert!(rs[1]["error"].is_string(), "{}", rs[1]);
    assert_eq!(rs[2]["index"], 2);
    // Cut short: the first event is kept, the file is named.
    let full = format!("{{\"Records\": [{}, {}]}}", lines[0], lines[1]);
    let o = run("cut.json", &full[..full.len() - lines[1].len() / 2]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cut.json"));
    assert_eq!(recs(&o)[0]["event_id"], "evt-0021");
    // Text after the list, and an empty list.
    let o = run("tail.json", &format!("{{\"Records\": [{}]}} x", lines[0]));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("tail.json"));
    let o = run("empty.json", "{\"Records\": [ ]}\n");
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_records_file_and_json_lines_of_the_same_events_replay_alike() {
    // Events carrying strings with escaped quotes, backslashes and brackets, padded so that the
    // escapes fall at every position of the reader's 64-byte blocks.
    let dir = std::env::temp_dir().join(format!("iamsim-replay-same-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string("testdata/replay/trail/lake-export.jsonl").unwrap();
    let base: Vec<serde_json::Value> = good
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut events = Vec::new();
    for i in 0..200 {
        let mut e = base[i % base.len()].clone();
        e["eventID"] = format!("same-{i}").into();
        let pad = "x".repeat(i % 67);
        e["padding"] = format!("{pad}\\\"}}]{{[\\\\").into();
        e["policy"] = r#"{"Statement":[{"Effect":"Deny","Resource":"*\"]}"}]}"#.into();
        events.push(e);
    }
    let jsonl: String = events.iter().map(|e| format!("{e}\n")).collect();
    let records = serde_json::json!({ "Records": events }).to_string();
    let run = |name: &str, text: &str| {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
            .args(["replay", f.to_str().unwrap()])
            .args(["--scenario", "testdata/replay/scenario.json"])
            .args(["--with-scp", "testdata/policies/scp-deny-without-mfa.json"])
            .args(["--format", "jsonl"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let rs: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let mut r: serde_json::Value = serde_json::from_str(l).unwrap();
                r.as_object_mut().unwrap().remove("file");
                r
            })
            .collect();
        (o.status.code(), rs)
    };
    let (code_lines, from_lines) = run("same.jsonl", &jsonl);
    let (code_records, from_records) = run("same.json", &records);
    assert_eq!(from_lines.len(), 200);
    assert!(from_lines.iter().all(|r| r.get("error").is_none()));
    assert_eq!(code_lines, code_records);
    assert_eq!(from_lines, from_records);
    std::fs::remove_dir_all(&dir).ok();
}
