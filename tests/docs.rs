//! The examples in README.md and docs/*.md are executed, so they cannot go stale.
//!
//! Every ```` ```console ```` block is a session: lines starting `$ ` are commands (a trailing
//! `\` continues one), the lines after a command are its expected standard output. In the
//! expected text a line `...` stands for any number of lines and `[..]` inside a line for any
//! text; `$ echo $?` checks the previous command's exit status. Commands run with `sh` in the
//! repository root, `iamsim` being the binary under test, `NO_COLOR=1`, stdout not a terminal.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Step {
    command: String,
    expected: Vec<String>,
    line: usize,
}

fn sessions(text: &str) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((_, l)) = lines.next() {
        if l.trim() != "```console" {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        while let Some((n, l)) = lines.next() {
            if l.trim() == "```" {
                break;
            }
            if let Some(cmd) = l.strip_prefix("$ ") {
                let mut command = cmd.to_string();
                while command.ends_with('\\') {
                    command.pop();
                    match lines.next() {
                        Some((_, more)) => command.push_str(more),
                        None => break,
                    }
                }
                steps.push(Step {
                    command,
                    expected: Vec::new(),
                    line: n + 1,
                });
            } else if let Some(s) = steps.last_mut() {
                s.expected.push(l.to_string());
            }
        }
        out.push(steps);
    }
    out
}

/// Whether `actual` matches `pattern` where `[..]` matches any text.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern.trim_end() == actual.trim_end();
    }
    let actual = actual.trim_end();
    let mut rest = actual;
    for (i, p) in parts.iter().enumerate() {
        let p = if i == parts.len() - 1 {
            p.trim_end()
        } else {
            p
        };
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            let Some(at) = rest.find(p) else { return false };
            rest = &rest[at + p.len()..];
        }
    }
    true
}

/// Whether `actual` lines match `expected` with `...` lines matching any run of lines.
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.first() {
        None => actual.is_empty(),
        Some(e) if e.trim() == "..." => {
            (0..=actual.len()).any(|skip| lines_match(&expected[1..], &actual[skip..]))
        }
        Some(e) => {
            !actual.is_empty()
                && line_matches(e, actual[0])
                && lines_match(&expected[1..], &actual[1..])
        }
    }
}

fn doc_files(root: &Path) -> Vec<PathBuf> {
    let mut v = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    v.extend(docs);
    v
}

#[test]
fn console_examples_in_the_docs_produce_what_they_show() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_iamsim"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in doc_files(root) {
        let text = std::fs::read_to_string(&file).unwrap();
        for steps in sessions(&text) {
            let mut last_status = None;
            for s in steps {
                let shown = format!(
                    "{}:{}: $ {}",
                    file.strip_prefix(root).unwrap().display(),
                    s.line,
                    s.command
                );
                if s.command.trim() == "echo $?" {
                    let want = s
                        .expected
                        .first()
                        .map(|x| x.trim().to_string())
                        .unwrap_or_default();
                    let got = last_status.map(|c: i32| c.to_string()).unwrap_or_default();
                    if want != got {
                        failures.push(format!("{shown}\n  expected status {want}, got {got}"));
                    }
                    continue;
                }
                ran += 1;
                let o = Command::new("sh")
                    .arg("-c")
                    .arg(&s.command)
                    .current_dir(root)
                    .env("PATH", &path)
                    .env("NO_COLOR", "1")
                    .output()
                    .unwrap();
                last_status = o.status.code();
                let stdout = String::from_utf8_lossy(&o.stdout).to_string();
                let actual: Vec<&str> = stdout.lines().collect();
                if !lines_match(&s.expected, &actual) {
                    failures.push(format!(
                        "{shown}\n--- expected\n{}\n--- actual\n{stdout}--- stderr\n{}",
                        s.expected.join("\n"),
                        String::from_utf8_lossy(&o.stderr)
                    ));
                }
            }
        }
    }
    assert!(ran >= 8, "only {ran} documented commands found");
    assert!(
        failures.is_empty(),
        "{} stale example(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_matcher_is_strict_where_it_should_be() {
    assert!(line_matches("a [..] c", "a b c"));
    assert!(!line_matches("a [..] c", "a b d"));
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(lines_match(&e(&["x", "...", "z"]), &["x", "y1", "y2", "z"]));
    assert!(!lines_match(&e(&["x", "z"]), &["x", "y", "z"]));
    assert!(!lines_match(&e(&["x"]), &[]));
}
