//! `iamsim test FILE_OR_DIR...`: runs case files and prints one line per failing test and the
//! closing `N passed, N failed` line (or a JSON / JUnit XML report for CI systems).

use crate::cli::{CmdResult, ExitStatus};
use iamsim::cases::{collect_files, run_files};
use iamsim::io::{term, Output};
use iamsim::report::junit::{junit, JunitCase};
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

/// Runs the subcommand and returns the exit status.
pub fn run(args: &TestArgs, out: &mut Output) -> CmdResult {
    let files = collect_files(&args.paths)?;
    let mut roots = crate::cli::roots();
    for p in &args.paths {
        roots.allow_input(p);
    }
    let run = run_files(&files, &roots, args.filter.as_deref());
    for es in &run.broken {
        crate::cli::print_error(&crate::cli::CliError::Inputs(es.clone()));
    }
    // Unknown fields are shown by default (a misspelt "contxt" silently tests nothing);
    // policy warnings with -w.
    crate::cli::warn_all(
        run.warnings
            .iter()
            .filter(|w| args.warnings || w.contains("unknown field")),
    );
    // Actions the catalog does not know, warned about once per run (never refused: a case
    // may test a new or a made-up action on purpose).
    let mut unknown_actions: Vec<&str> = Vec::new();
    for r in &run.results {
        if let Err(e) = &r.result {
            eprintln!("error: {}: {}: {e}", term(&r.file), term(&r.name));
        }
        let Ok(t) = &r.result else { continue };
        let action = t.action.as_str();
        if !unknown_actions
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action))
        {
            if let Some(w) = iamsim::catalog::lint::unknown_request_action(action) {
                unknown_actions.push(action);
                crate::cli::warn_all([format!("{}:{}: {}: {w}", r.file, r.line, r.name)]);
            }
        }
    }
    let (passed, failed) = (run.passed(), run.failed());
    if run.results.is_empty() && run.broken.is_empty() {
        return Err(format!(
            "no test ran{}: nothing was checked",
            args.filter
                .as_deref()
                .map(|f| format!(" (no test name contains \"{f}\")"))
                .unwrap_or_default()
        )
        .into());
    }
    match args.format {
        Format::Text => text(args, &run, out)?,
        Format::Json => {
            let tests: Vec<serde_json::Value> = run
                .results
                .iter()
                .map(|r| {
                    let ok = r.result.as_ref().ok();
                    serde_json::json!({
                        "file": r.file, "line": r.line, "name": r.name,
                        "expected": r.expected.to_string(),
                        "actual": ok.map(|t| t.outcome.decision.to_string()),
                        "passed": r.passed(),
                        "deciding": match &r.result { Ok(t) => t.deciding.clone(), Err(e) => e.to_string() },
                        "context": ok.and_then(|t| t.failure.as_ref()).map(|f| f.context.clone()),
                    })
                })
                .collect();
            let doc = serde_json::json!({"passed": passed, "failed": failed, "invalid_files": run.broken.len(), "tests": tests});
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
        Format::Junit => {
            let cases: Vec<JunitCase<'_>> = run
                .results
                .iter()
                .map(|r| JunitCase {
                    file: &r.file,
                    name: &r.name,
                    line: r.line,
                    failure: match &r.result {
                        Ok(t) if t.passed() => None,
                        Ok(t) => Some((
                            format!("expected {}, got {}", r.expected, t.outcome.decision),
                            t.deciding.clone(),
                        )),
                        Err(e) => Some((
                            format!("expected {}, got an error", r.expected),
                            e.to_string(),
                        )),
                    },
                })
                .collect();
            out.write_all(junit(&cases).as_bytes())?;
        }
    }
    if args.format == Format::Text {
        writeln!(out, "{passed} passed, {failed} failed")?;
    } else {
        eprintln!("{passed} passed, {failed} failed");
    }
    Ok(
        if !run.broken.is_empty() || run.results.iter().any(|r| r.result.is_err()) {
            ExitStatus::Input
        } else if failed > 0 {
            ExitStatus::Finding
        } else {
            ExitStatus::Ok
        },
    )
}

/// The text report: one line per failure (with the request context and the explanation
/// indented under it), `-v` one line per pass.
fn text(args: &TestArgs, run: &iamsim::cases::Run, out: &mut Output) -> std::io::Result<()> {
    for r in &run.results {
        let Ok(t) = &r.result else { continue };
        if t.passed() {
            if args.verbose {
                writeln!(
                    out,
                    "ok   {}: {}: {}",
                    term(&r.file),
                    term(&r.name),
                    t.outcome.decision
                )?;
            }
            continue;
        }
        writeln!(
            out,
            "FAIL {}:{}: {}: expected {}, got {} ({})",
            term(&r.file),
            r.line,
            term(&r.name),
            t.expect,
            t.outcome.decision,
            term(&t.deciding)
        )?;
        if let Some(f) = &t.failure {
            writeln!(out, "     context: {}", term(&f.context.join(", ")))?;
            for l in f.explanation.lines() {
                writeln!(out, "     {}", term(l))?;
            }
        }
    }
    Ok(())
}
