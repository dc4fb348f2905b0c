//! `iamsim test FILE_OR_DIR...`: runs case files and prints one line per failing test and the
//! closing `N passed, N failed` line (or a JSON / JUnit XML report for CI systems).

use crate::cli::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::cases::{collect_files, load_case_file, run_test};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `iamsim test`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim test testdata/cases/\n  iamsim test --format junit testdata/cases/ > results.xml\n\nExit status: 0 all passed, 1 a test failed, 2 a file could not be read or is invalid."
)]
pub struct TestArgs {
    /// Case files or directories (every case file below a directory).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print every test, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
    /// Show warnings about the policies and case files.
    #[arg(short, long)]
    pub warnings: bool,
    /// Output format: text (failure lines and the closing count), json, or junit (XML).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Output formats of `iamsim test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per failure and `N passed, N failed`.
    Text,
    /// A JSON report.
    Json,
    /// JUnit XML, one testsuite per case file.
    Junit,
}

struct Outcome {
    file: String,
    name: String,
    line: u32,
    expected: String,
    actual: Option<String>,
    detail: String,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Runs the subcommand and returns the exit status.
pub fn run(args: &TestArgs) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let files = match collect_files(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let text = args.format == Format::Text;
    let mut results: Vec<Outcome> = Vec::new();
    let mut broken = 0usize;
    for f in &files {
        let file = f.display().to_string();
        let cf = match load_case_file(f) {
            Ok(cf) => cf,
            Err(e) => {
                eprintln!("error: {e}");
                broken += 1;
                continue;
            }
        };
        if args.warnings {
            for w in &cf.warnings {
                eprintln!("warning: {w}");
            }
        }
        for t in &cf.tests {
            match run_test(t) {
                Ok(r) => {
                    let o = Outcome {
                        file: file.clone(),
                        name: r.name.clone(),
                        line: t.pos.line,
                        expected: r.expect.to_string(),
                        actual: Some(r.outcome.decision.to_string()),
                        detail: r.deciding.clone(),
                    };
                    if text {
                        if !r.passed() {
                            let _ = writeln!(
                                out,
                                "FAIL {file}:{}: {}: expected {}, got {} ({})",
                                t.pos.line, r.name, r.expect, r.outcome.decision, r.deciding
                            );
                        } else if args.verbose {
                            let _ =
                                writeln!(out, "ok   {file}: {}: {}", r.name, r.outcome.decision);
                        }
                    }
                    results.push(o);
                }
                Err(e) => {
                    eprintln!("error: {file}: {}: {e}", t.name);
                    broken += 1;
                    results.push(Outcome {
                        file: file.clone(),
                        name: t.name.clone(),
                        line: t.pos.line,
                        expected: t.expect.to_string(),
                        actual: None,
                        detail: e.to_string(),
                    });
                }
            }
        }
    }
    let passed = results
        .iter()
        .filter(|o| o.actual.as_deref() == Some(o.expected.as_str()))
        .count();
    let failed = results.len() - passed;
    match args.format {
        Format::Text => {}
        Format::Json => {
            let tests: Vec<serde_json::Value> = results
                .iter()
                .map(|o| {
                    serde_json::json!({
                        "file": o.file, "line": o.line, "name": o.name, "expected": o.expected,
                        "actual": o.actual, "passed": o.actual.as_deref() == Some(o.expected.as_str()),
                        "deciding": o.detail,
                    })
                })
                .collect();
            let doc = serde_json::json!({"passed": passed, "failed": failed, "invalid_files": broken, "tests": tests});
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
        Format::Junit => {
            let mut xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"iamsim\" tests=\"{}\" failures=\"{failed}\">\n", results.len());
            let mut files_seen: Vec<&str> = results.iter().map(|o| o.file.as_str()).collect();
            files_seen.dedup();
            for file in files_seen {
                let cases: Vec<&Outcome> = results.iter().filter(|o| o.file == file).collect();
                let fails = cases
                    .iter()
                    .filter(|o| o.actual.as_deref() != Some(o.expected.as_str()))
                    .count();
                xml.push_str(&format!(
                    "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">\n",
                    xml_escape(file),
                    cases.len()
                ));
                for o in cases {
                    xml.push_str(&format!(
                        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                        xml_escape(file),
                        xml_escape(&o.name),
                        xml_escape(file),
                        o.line
                    ));
                    if o.actual.as_deref() == Some(o.expected.as_str()) {
                        xml.push_str("/>\n");
                    } else {
                        let msg = format!(
                            "expected {}, got {}",
                            o.expected,
                            o.actual.as_deref().unwrap_or("an error")
                        );
                        xml.push_str(&format!(
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                            xml_escape(&msg),
                            xml_escape(&o.detail)
                        ));
                    }
                }
                xml.push_str("  </testsuite>\n");
            }
            xml.push_str("</testsuites>\n");
            let _ = out.write_all(xml.as_bytes());
        }
    }
    if text {
        let _ = writeln!(out, "{passed} passed, {failed} failed");
    } else {
        eprintln!("{passed} passed, {failed} failed");
    }
    if broken > 0 {
        EXIT_INPUT
    } else if failed > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    }
}
