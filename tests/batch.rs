//! `iamsim batch` end to end: the built binary on files and standard input.

#[allow(dead_code)]
#[path = "../examples/gen/workload.rs"]
mod workload;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mfa_scenario() -> PathBuf {
    root().join("testdata/batch/mfa-scenario.json")
}

/// Runs `iamsim batch` with `args`, feeding `stdin` when given.
fn batch(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .arg("batch")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run iamsim");
    if let Some(input) = stdin {
        let mut si = child.stdin.take().unwrap();
        let input = input.to_vec();
        // Write from a thread so a full stdout pipe cannot deadlock the test.
        std::thread::spawn(move || {
            let _ = si.write_all(&input);
        });
    }
    child.wait_with_output().expect("wait for iamsim")
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(o.stdout.clone())
        .expect("output is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn stdin_run(input: &[u8]) -> (Output, Vec<serde_json::Value>) {
    let s = mfa_scenario();
    let o = batch(&["--scenario", s.to_str().unwrap(), "-"], Some(input));
    let l = lines(&o);
    (o, l)
}

fn assert_numbered(out: &[serde_json::Value], n: usize) {
    assert_eq!(out.len(), n, "one output line per input line");
    for (i, l) in out.iter().enumerate() {
        assert_eq!(l["line"], (i + 1) as u64, "output in input order: {l}");
    }
}

#[test]
fn bundled_requests_get_one_line_each_in_order() {
    let s = mfa_scenario();
    let input = root().join("testdata/batch/requests.jsonl");
    let o = batch(
        &["--scenario", s.to_str().unwrap(), input.to_str().unwrap()],
        None,
    );
    let out = lines(&o);
    let text = std::fs::read_to_string(&input).unwrap();
    assert!(
        !text.ends_with('\n'),
        "the bundled file ends without a line break"
    );
    assert_numbered(&out, text.split('\n').count());
    assert_eq!(out[0]["decision"], "explicitDeny");
    assert!(out[0]["statement"]
        .as_str()
        .unwrap()
        .ends_with("force-mfa.json#DenyAllExceptListedIfNoMFA"));
    assert_eq!(out[1]["decision"], "allowed");
    assert!(out[1]["statement"]
        .as_str()
        .unwrap()
        .ends_with("admin.json#AdministratorAccess"));
    assert_eq!(out[12]["rule"], "get-caller-identity");
    assert_eq!(out[17]["decision"], "implicitDeny");
    assert_eq!(out[17]["missing"], "session");
    assert!(out[17].get("statement").is_none());
    assert!(out[18]["error"].as_str().unwrap().contains("empty line"));
    assert!(out[19]["error"]
        .as_str()
        .unwrap()
        .contains("did you mean \"console-mfa\""));
    // The truncated last line, without a line break, is a line too.
    assert!(out[21]["error"].as_str().unwrap().contains("end of input"));
    assert_eq!(o.status.code(), Some(1), "error lines make the status 1");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("22 lines"), "{err}");
    assert!(err.contains("4 errors"), "{err}");
}

#[test]
fn all_good_lines_exit_zero_and_output_file() {
    let dir = std::env::temp_dir().join(format!("iamsim-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.jsonl");
    let output = dir.join("out.jsonl");
    std::fs::write(
        &input,
        "{\"action\":\"s3:GetObject\",\"resource\":\"arn:aws:s3:::b/k\",\"context\":\"console-mfa\"}\n",
    )
    .unwrap();
    let s = mfa_scenario();
    let o = batch(
        &[
            "--scenario",
            s.to_str().unwrap(),
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "--quiet",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(
        written.starts_with("{\"line\":1,\"decision\":\"allowed\""),
        "{written}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_lines_do_not_stop_the_run() {
    let good = br#"{"action":"s3:GetObject","resource":"*","context":"access-keys"}"#;
    let mut input = Vec::new();
    input.extend_from_slice(good);
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"action\":\"s3:Get\xff\xfeObject\"}\n"); // invalid UTF-8
    input.extend_from_slice(b"\n"); // empty line
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"{\"action\": 7}\r\n");
    input.extend_from_slice(b"[\"an array\"]\n");
    input.extend_from_slice(b"{\"action\":\"s3:GetObject\",\"context\":\"console-mfa\"}"); // no \n
    let (o, out) = stdin_run(&input);
    assert_numbered(&out, 7);
    assert_eq!(out[0]["decision"], "explicitDeny");
    assert!(out[1]["error"].as_str().unwrap().contains("UTF-8"));
    assert!(out[2]["error"].as_str().unwrap().contains("empty line"));
    assert!(out[3]["error"].as_str().unwrap().contains("column 1"));
    assert!(out[4]["error"]
        .as_str()
        .unwrap()
        .contains("\"action\" must be a string"));
    assert!(out[5]["error"].as_str().unwrap().contains("JSON object"));
    assert_eq!(out[6]["decision"], "allowed");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn huge_values_and_over_long_lines() {
    let big = "x".repeat(2 * 1024 * 1024);
    let mut input = format!(
        "{{\"action\":\"s3:GetObject\",\"context\":\"console-mfa\",\"context_keys\":{{\"aws:userAgent\":\"{big}\"}}}}\n"
    )
    .into_bytes();
    // Longer than the 16 MiB line limit: reported, not buffered, and the next line still counts.
    input.extend_from_slice(b"{\"action\":\"s3:GetObject\",\"resource\":\"");
    input.extend(std::iter::repeat_n(b'a', 17 * 1024 * 1024));
    input.extend_from_slice(b"\"}\n");
    input.extend_from_slice(b"{\"action\":\"s3:GetObject\",\"context\":\"access-keys\"}\n");
    let (_, out) = stdin_run(&input);
    assert_numbered(&out, 3);
    assert_eq!(out[0]["decision"], "allowed");
    assert!(
        out[1]["error"]
            .as_str()
            .unwrap()
            .contains("longer than the limit"),
        "{}",
        out[1]
    );
    assert_eq!(out[2]["decision"], "explicitDeny");
}

#[test]
fn lines_between_two_over_long_lines_are_kept() {
    // Whole lines read past an over-long line used to be dropped when the next line was
    // over-long too: 5 lines in, 3 out, the later results relabelled.
    let over = |input: &mut Vec<u8>| {
        input.extend_from_slice(b"{\"action\":\"s3:GetObject\",\"resource\":\"");
        input.extend(std::iter::repeat_n(b'a', 17 * 1024 * 1024));
        input.extend_from_slice(b"\"}\n");
    };
    let good = b"{\"action\":\"s3:GetObject\",\"context\":\"access-keys\"}\n";
    let mut input = Vec::new();
    over(&mut input);
    input.extend_from_slice(good);
    input.extend_from_slice(good);
    over(&mut input);
    input.extend_from_slice(good);
    let (_, out) = stdin_run(&input);
    assert_numbered(&out, 5);
    for i in [0, 3] {
        assert!(
            out[i]["error"]
                .as_str()
                .unwrap()
                .contains("longer than the limit"),
            "{}",
            out[i]
        );
    }
    for i in [1, 2, 4] {
        assert_eq!(out[i]["decision"], "explicitDeny", "{}", out[i]);
    }
}

#[test]
fn empty_input_gives_empty_output() {
    let (o, out) = stdin_run(b"");
    assert!(out.is_empty());
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn blocks_and_threads_keep_order_and_match_the_full_path() {
    let mut r = workload::Rng::new(7);
    let mut text = String::new();
    for _ in 0..3000 {
        workload::request_line(&mut r, &mut text);
    }
    let scenario = root().join("testdata/batch/large-scenario.json");
    let sc = scenario.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--scenario", sc, "-q"];
        args.extend_from_slice(extra);
        let o = batch(&args, Some(text.as_bytes()));
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    let small_blocks = run(&["--block-kib", "4", "--jobs", "3"]);
    let one_thread = run(&["--jobs", "1"]);
    let reference = run(&["--slow-path", "--jobs", "1"]);
    assert_eq!(small_blocks, one_thread);
    assert_eq!(small_blocks, reference);
    let out: Vec<serde_json::Value> = String::from_utf8(small_blocks)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_numbered(&out, 3000);
    for d in ["allowed", "explicitDeny", "implicitDeny"] {
        assert!(out.iter().any(|l| l["decision"] == d), "no {d} in the mix");
    }
}

#[test]
fn traffic_and_peer_lines_stay_on_the_fast_path_and_match_the_full_path() {
    // Lines shaped like CloudTrail events (per-line principals of every kind, a time key on
    // every line, escapes, unknown fields) and like the peer simulator's benchmark requests.
    let mut r = workload::Rng::new(3);
    let mut text = String::new();
    for i in 0..2000 {
        workload::traffic_line(&mut r, i, &mut text);
        workload::peer_line(&mut r, i, &mut text);
    }
    for file in ["mfa-scenario.json", "large-scenario.json"] {
        let scenario = root().join("testdata/batch").join(file);
        let sc = scenario.to_str().unwrap();
        let fast = batch(&["--scenario", sc, "--jobs", "2"], Some(text.as_bytes()));
        let err = String::from_utf8_lossy(&fast.stderr);
        assert!(
            err.contains("4000 lines:") && err.contains("; 0 on the full path;"),
            "{file}: {err}"
        );
        let reference = batch(
            &["--scenario", sc, "-q", "--slow-path", "--jobs", "1"],
            Some(text.as_bytes()),
        );
        assert_eq!(fast.status.code(), Some(0), "{file}: {err}");
        assert_eq!(fast.stdout, reference.stdout, "{file}");
        let out = lines(&fast);
        assert_numbered(&out, 4000);
        for d in ["allowed", "explicitDeny", "implicitDeny"] {
            assert!(out.iter().any(|l| l["decision"] == d), "{file}: no {d}");
        }
    }
}

#[test]
fn explain_adds_the_full_explanation() {
    let (_, out) = {
        let s = mfa_scenario();
        let o = batch(
            &["--scenario", s.to_str().unwrap(), "--explain", "-"],
            Some(br#"{"action":"s3:GetObject","resource":"*","context":"access-keys"}"#),
        );
        let l = lines(&o);
        (o, l)
    };
    let e = &out[0]["explanation"];
    assert_eq!(e["decision"], "explicitDeny");
    assert!(e["reason"].as_str().unwrap().contains("explicit deny"));
    assert!(!e["statements"].as_array().unwrap().is_empty());
}

#[test]
fn bad_scenario_file_exits_2_naming_file_line_column() {
    let dir = std::env::temp_dir().join(format!("iamsim-batch-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"principal\": \"arn:aws:iam::111122223333:user/alice\",\n  \"identity_policies\": [,]\n}\n").unwrap();
    let o = batch(&["--scenario", bad.to_str().unwrap()], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{}:3:25", bad.display())), "{err}");
    assert!(o.stdout.is_empty());

    let wrong = dir.join("wrong.json");
    std::fs::write(&wrong, "{\"identity_policies\": [{\"Statement\": [{\"Effect\": \"Maybe\", \"Action\": \"*\", \"Resource\": \"*\"}]}]}").unwrap();
    let o = batch(&["--scenario", wrong.to_str().unwrap()], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{}:1:", wrong.display())), "{err}");

    let o = batch(
        &[
            "--scenario",
            mfa_scenario().to_str().unwrap(),
            dir.join("missing.jsonl").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    // No fake position for a file that cannot be opened.
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.jsonl: cannot read file"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn closed_stdout_ends_quietly() {
    let mut r = workload::Rng::new(3);
    let mut text = String::new();
    for _ in 0..20000 {
        workload::request_line(&mut r, &mut text);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(["batch", "--scenario", mfa_scenario().to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut si = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        let _ = si.write_all(text.as_bytes());
    });
    // Read one line, then close the pipe (as `| head -1` does).
    let mut so = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut so, &mut first).unwrap();
    drop(so);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        o.status.code() == Some(0) || o.status.code().is_none(),
        "{:?}",
        o.status
    );
}

#[test]
fn committed_large_scenario_is_what_the_generator_produces() {
    let committed = std::fs::read_to_string(root().join("testdata/batch/large-scenario.json"))
        .expect("committed scenario");
    assert_eq!(
        committed,
        workload::large_scenario(),
        "regenerate: cargo run --example gen -- scenario > testdata/batch/large-scenario.json"
    );
}

#[test]
fn a_live_producer_sees_results_before_closing_its_input() {
    use std::io::BufRead;
    use std::time::Duration;
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args([
            "batch",
            "-q",
            "--scenario",
            mfa_scenario().to_str().unwrap(),
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut si = child.stdin.take().unwrap();
    let so = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(so).lines() {
            if tx.send(l.unwrap()).is_err() {
                break;
            }
        }
    });
    let line = b"{\"action\":\"s3:GetObject\",\"context\":\"console-mfa\"}\n";
    si.write_all(line).unwrap();
    si.write_all(line).unwrap();
    si.flush().unwrap();
    // The input stays open (as with `tail -f`): the results must come anyway.
    for n in 1..=2 {
        let l = rx
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| panic!("result {n} did not arrive while the input was open"));
        assert!(
            l.starts_with(&format!("{{\"line\":{n},\"decision\":\"allowed\"")),
            "{l}"
        );
    }
    // A line written later arrives too, numbered on.
    si.write_all(line).unwrap();
    si.flush().unwrap();
    let l = rx.recv_timeout(Duration::from_secs(5)).expect("result 3");
    assert!(l.starts_with("{\"line\":3,"), "{l}");
    drop(si);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        rx.recv_timeout(Duration::from_secs(2)).is_err(),
        "no extra output"
    );
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_at_a_line_boundary() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let mut r = workload::Rng::new(11);
    let mut text = String::new();
    for _ in 0..2000 {
        workload::request_line(&mut r, &mut text);
    }
    let scenario = root().join("testdata/batch/large-scenario.json");
    for (sig, code) in [("INT", 130), ("TERM", 143)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_iamsim"))
            .args(["batch", "--explain", "--scenario"])
            .arg(&scenario)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A producer that keeps going until the child is gone.
        let mut si = child.stdin.take().unwrap();
        let feed = text.clone();
        std::thread::spawn(move || {
            for _ in 0..1000 {
                if si.write_all(feed.as_bytes()).is_err() {
                    return;
                }
            }
        });
        let mut so = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let collector = std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(n) = so.read(&mut buf) {
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
                let _ = tx.send(buf[..n].to_vec());
            }
            all
        });
        // Wait for the first results (mid-run), then signal.
        rx.recv_timeout(Duration::from_secs(30))
            .expect("some output before the signal");
        let killed = Command::new("kill")
            .args(["-s", sig, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "SIG{sig}: still running"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = collector.join().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(code), "SIG{sig}: {status:?} {err}");
        assert!(err.contains("interrupted after"), "{err}");
        assert!(
            !out.is_empty() && out.ends_with(b"\n"),
            "SIG{sig}: a truncated last line"
        );
        let text = String::from_utf8(out).unwrap();
        for (i, l) in text.lines().enumerate() {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("SIG{sig}: {e}: {l}"));
            assert_eq!(v["line"], (i + 1) as u64);
            assert!(v.get("explanation").is_some(), "{l}");
        }
    }
}

#[test]
fn an_output_file_that_is_the_input_is_refused_and_the_input_kept() {
    let dir = std::env::temp_dir().join(format!("iamsim-batch-same-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.jsonl");
    let line = "{\"action\":\"s3:GetObject\"}\n";
    std::fs::write(&input, line).unwrap();
    let o = batch(
        &[
            "--scenario",
            mfa_scenario().to_str().unwrap(),
            input.to_str().unwrap(),
            "-o",
            input.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("would destroy the input"));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), line);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_key_given_twice_on_a_line_is_an_error_record() {
    let input = b"{\"action\":\"s3:GetObject\",\"action\":\"iam:CreateUser\"}\n{\"action\":\"s3:GetObject\",\"context_keys\":{\"aws:SourceIp\":\"1.2.3.4\",\"aws:SourceIp\":\"5.6.7.8\"}}\n{\"action\":\"s3:GetObject\"}\n";
    let o = batch(
        &["--scenario", mfa_scenario().to_str().unwrap()],
        Some(input),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].contains("duplicate key \\\"action\\\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("duplicate key \\\"aws:SourceIp\\\""),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("\"decision\""), "{}", lines[2]);
}

#[test]
fn the_summary_says_how_many_lines_took_the_full_path() {
    // Two well-formed lines (fast path) and one with an escape in a value (full path).
    let input = b"{\"action\":\"s3:GetObject\"}\n{\"action\":\"s3:ListAllMyBuckets\",\"context\":\"console\"}\n{\"action\":\"s3:GetObject\",\"resource\":\"arn:aws:s3:::b/\\u0041\"}\n";
    let o = batch(
        &["--scenario", mfa_scenario().to_str().unwrap()],
        Some(input),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("3 lines:") && err.contains("; 1 on the full path;"),
        "{err}"
    );
}

#[test]
fn unknown_actions_get_a_warning_field_and_are_still_decided() {
    let input = concat!(
        r#"{"action":"s3:GetObjects","resource":"arn:aws:s3:::b/k","context":"console-mfa"}"#,
        "\n",
        r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":"console-mfa"}"#,
        "\n",
        // The same misspelling on the full path (an escape) and again on the fast path.
        r#"{"action":"s3:GetObj\u0065cts","resource":"arn:aws:s3:::b/k","context":"console-mfa"}"#,
        "\n",
        r#"{"action":"s3:GetObjects","resource":"arn:aws:s3:::b/k","context":"console-mfa"}"#,
        "\n",
        r#"{"action":"*","context":"console-mfa"}"#,
        "\n",
    );
    let (o, out) = stdin_run(input.as_bytes());
    assert_eq!(o.status.code(), Some(0), "a warning never fails the run");
    assert_numbered(&out, 5);
    for i in [0, 2, 3] {
        let w = out[i]["warning"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", out[i]));
        assert!(w.starts_with("s3:GetObjects is not an AWS action"), "{w}");
        assert!(w.ends_with("did you mean s3:GetObject?"), "{w}");
        // Decided exactly like the known action would be: a misspelt action matches no grant.
        assert!(out[i]["decision"].is_string(), "{}", out[i]);
    }
    for i in [1, 4] {
        assert!(out[i].get("warning").is_none(), "{}", out[i]);
    }
}
