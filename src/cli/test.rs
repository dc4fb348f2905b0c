//! `iamsim test FILE_OR_DIR...`: runs case files and prints one line per failing test and the
//! closing `N passed, N failed` line.

use crate::cli::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::cases::{collect_files, load_case_file, run_test};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `iamsim test`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim test testdata/cases/\n\nExit status: 0 all passed, 1 a test failed, 2 a file could not be read or is invalid."
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
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for f in &files {
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
                Ok(r) if r.passed() => {
                    passed += 1;
                    if args.verbose {
                        let _ = writeln!(
                            out,
                            "ok   {}: {}: {}",
                            f.display(),
                            r.name,
                            r.outcome.decision
                        );
                    }
                }
                Ok(r) => {
                    failed += 1;
                    let _ = writeln!(
                        out,
                        "FAIL {}:{}: {}: expected {}, got {} ({})",
                        f.display(),
                        t.pos.line,
                        r.name,
                        r.expect,
                        r.outcome.decision,
                        r.deciding
                    );
                }
                Err(e) => {
                    eprintln!("error: {}: {}: {e}", f.display(), t.name);
                    broken += 1;
                }
            }
        }
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    if broken > 0 {
        EXIT_INPUT
    } else if failed > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    }
}
