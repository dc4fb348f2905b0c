//! Every example in docs/lint.md is executed: each ```json lint=CODE block is linted (validation
//! and the catalog checks, as `iamsim lint` does) and must report CODE; each ```console block's
//! `$ iamsim ...` command is run and every output line it shows (but `...`) must be printed.

use iamsim::policy::quota::guess_kind;
use iamsim::policy::{ParseOptions, PolicyKind};
use std::process::Command;

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/lint.md")).unwrap()
}

/// (info string, body) of each fenced block.
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if let Some(info) = l.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push((info.trim().to_string(), body.join("\n")));
        }
    }
    out
}

fn codes_of(body: &str, tags: &[&str]) -> Vec<&'static str> {
    let text = if tags.contains(&"doc") {
        body.to_string()
    } else {
        format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
    };
    let kind = match tags.iter().find_map(|t| t.strip_prefix("kind=")) {
        Some("identity") => PolicyKind::Identity,
        Some("resource") => PolicyKind::Resource,
        Some("scp") => PolicyKind::Scp,
        Some("rcp") => PolicyKind::Rcp,
        Some(k) => panic!("unknown kind {k}"),
        None => guess_kind(&text),
    };
    let opts = ParseOptions {
        scp_legacy: tags.contains(&"legacy"),
        ..Default::default()
    };
    // Everything `iamsim lint` runs: validation, catalog, lint-only rules, MFA anti-patterns.
    let diags = iamsim::mfa::lint::lint_document(&text, "doc.json", Some(kind), opts, false);
    diags.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn every_json_example_reports_its_code() {
    let text = doc();
    let mut checked = Vec::new();
    let mut wrong: Vec<String> = Vec::new();
    for (info, body) in blocks(&text) {
        let mut words = info.split_whitespace();
        if words.next() != Some("json") {
            continue;
        }
        let tags: Vec<&str> = words.collect();
        let Some(code) = tags.iter().find_map(|t| t.strip_prefix("lint=")) else {
            continue;
        };
        let got = codes_of(&body, &tags);
        if !got.contains(&code) {
            wrong.push(format!("{code}: the example reports {got:?}\n{body}"));
        }
        checked.push(code.to_string());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every code with a section has its example (or says why it has none).
    for section in text.split("\n### `").skip(1) {
        let code = section.split('`').next().unwrap();
        assert!(
            checked.iter().any(|c| c == code)
                || section.contains("No example")
                || code == "unreadable-file",
            "{code} has no example"
        );
    }
    // Every code iamsim can report has its section (and, but for the few that say why not,
    // its example): the enum is the one list, so a new code cannot ship undocumented.
    for code in iamsim::diag::Code::ALL {
        let name = code.as_str();
        assert!(
            text.contains(&format!("\n### `{name}`")),
            "code {name} has no section in docs/lint.md"
        );
    }
    for rule in iamsim::mfa::lint::RULES {
        assert!(
            checked.iter().any(|c| c == rule.id()),
            "MFA lint code {} is not documented",
            rule.id()
        );
    }
    assert!(checked.len() >= 60, "{} examples", checked.len());
}

/// Splits a command line as a POSIX shell would for the simple quoting the docs use.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Runs each console block of `text` whose command starts with `prefix`; how many ran.
fn run_console_blocks(text: &str, prefix: &str) -> usize {
    let mut ran = 0;
    for (info, body) in blocks(text) {
        if info != "console" {
            continue;
        }
        let mut lines = body.lines();
        let Some(cmd) = lines.next().and_then(|l| l.strip_prefix("$ iamsim ")) else {
            continue;
        };
        if !cmd.starts_with(prefix) {
            continue;
        }
        let o = Command::new(env!("CARGO_BIN_EXE_iamsim"))
            .args(words(cmd))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let printed: Vec<&str> = out.lines().map(str::trim_end).collect();
        for want in lines.filter(|l| l.trim() != "..." && !l.trim().is_empty()) {
            assert!(
                printed.contains(&want.trim_end()),
                "`{cmd}` did not print {want:?}:\n{out}"
            );
        }
        ran += 1;
    }
    ran
}

#[test]
fn every_console_example_prints_what_it_shows() {
    let ran = run_console_blocks(&doc(), "");
    assert!(ran >= 3, "{ran} console examples");
}

#[test]
fn the_readme_expand_example_prints_what_it_shows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert_eq!(run_console_blocks(&readme, "expand "), 1);
}
