//! `iamsim test FILE_OR_DIR...`: runs case files and prints one line per failing test and the
//! closing `N passed, N failed` line (or a JSON / JUnit XML report for CI systems).

use crate::cli::{CmdResult, EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::cases::{collect_files, load_case_all, run_test};
use iamsim::io::{term, xml, Output};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `iamsim test`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim test testdata/cases/\n  iamsim test --format junit testdata/cases/ > results.xml\n\nExit status: 0 all passed, 1 a test failed, 2 a file could not be read or is invalid."
)]
pub struct TestArgs {
    /// Case files or directories (every case file below a directory); `-` reads one case file
    /// from standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Print every test, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
    /// Also show warnings about the policies (warnings about the case files are always shown,
    /// unless --quiet).
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

/// Runs the subcommand and returns the exit status.
pub fn run(args: &TestArgs, out: &mut Output) -> CmdResult {
    let files = collect_files(&args.paths)?;
    let mut roots = crate::cli::roots();
    for p in &args.paths {
        roots.allow_input(p);
    }
    let filter = args.filter.as_deref().map(str::to_lowercase);
    let text = args.format == Format::Text;
    let mut results: Vec<Outcome> = Vec::new();
    let mut broken = 0usize;
    // Actions the catalog does not know, warned about once per run (never refused: a case
    // may test a new or a made-up action on purpose).
    let mut unknown_actions: Vec<String> = Vec::new();
    for f in &files {
        let file = f.display().to_string();
        let loaded = iamsim::cases::read_text(f)
            .map_err(|e| vec![e])
            .and_then(|text| load_case_all(&text, f, &roots));
        let cf = match loaded {
            Ok(cf) => cf,
            Err(es) => {
                crate::cli::print_error(&crate::cli::CliError::Inputs(es));
                broken += 1;
                continue;
            }
        };
        // Unknown fields are shown by default (a misspelt "contxt" silently tests nothing);
        // policy warnings with -w.
        crate::cli::warn_all(
            cf.warnings
                .iter()
                .filter(|w| args.warnings || w.contains("unknown field")),
        );
        for t in &cf.tests {
            if filter
                .as_deref()
                .is_some_and(|f| !t.name.to_lowercase().contains(f))
            {
                continue;
            }
            let action = &t.request.action;
            if !unknown_actions
                .iter()
                .any(|a| a.eq_ignore_ascii_case(action))
            {
                if let Some(w) = iamsim::catalog::lint::unknown_request_action(action) {
                    unknown_actions.push(action.clone());
                    crate::cli::warn_all([format!("{}:{}: {}: {w}", file, t.pos.line, t.name)]);
                }
            }
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
                            writeln!(
                                out,
                                "FAIL {}:{}: {}: expected {}, got {} ({})",
                                term(&file),
                                t.pos.line,
                                term(&r.name),
                                r.expect,
                                r.outcome.decision,
                                term(&r.deciding)
                            )?;
                        } else if args.verbose {
                            writeln!(
                                out,
                                "ok   {}: {}: {}",
                                term(&file),
                                term(&r.name),
                                r.outcome.decision
                            )?;
                        }
                    }
                    results.push(o);
                }
                Err(e) => {
                    eprintln!("error: {}: {}: {e}", term(&file), term(&t.name));
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
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
        Format::Junit => {
            let mut doc = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"iamsim\" tests=\"{}\" failures=\"{failed}\">\n", results.len());
            let mut files_seen: Vec<&str> = results.iter().map(|o| o.file.as_str()).collect();
            files_seen.dedup();
            for file in files_seen {
                let cases: Vec<&Outcome> = results.iter().filter(|o| o.file == file).collect();
                let fails = cases
                    .iter()
                    .filter(|o| o.actual.as_deref() != Some(o.expected.as_str()))
                    .count();
                doc.push_str(&format!(
                    "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">\n",
                    xml(file),
                    cases.len()
                ));
                for o in cases {
                    doc.push_str(&format!(
                        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                        xml(file),
                        xml(&o.name),
                        xml(file),
                        o.line
                    ));
                    if o.actual.as_deref() == Some(o.expected.as_str()) {
                        doc.push_str("/>\n");
                    } else {
                        let msg = format!(
                            "expected {}, got {}",
                            o.expected,
                            o.actual.as_deref().unwrap_or("an error")
                        );
                        doc.push_str(&format!(
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                            xml(&msg),
                            xml(&o.detail)
                        ));
                    }
                }
                doc.push_str("  </testsuite>\n");
            }
            doc.push_str("</testsuites>\n");
            out.write_all(doc.as_bytes())?;
        }
    }
    if results.is_empty() && broken == 0 {
        return Err(format!(
            "no test ran{}: nothing was checked",
            args.filter
                .as_deref()
                .map(|f| format!(" (no test name contains \"{f}\")"))
                .unwrap_or_default()
        )
        .into());
    }
    if text {
        writeln!(out, "{passed} passed, {failed} failed")?;
    } else {
        eprintln!("{passed} passed, {failed} failed");
    }
    Ok(if broken > 0 {
        EXIT_INPUT
    } else if failed > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    })
}
