//! The command line's top level: the flags every subcommand shares, and the dispatch to one
//! module per subcommand.

use crate::cli;
use clap::{Parser, Subcommand};

/// iamsim: would AWS allow this request, and why? A local IAM policy evaluation simulator.
#[derive(Debug, Parser)]
#[command(name = "iamsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Also let `{"file": ...}` references in case and scenario files point into DIR
    /// (repeatable). By default they must stay inside the current directory and the
    /// directories of the files named on the command line; `--root /` lifts the limit.
    #[arg(long, global = true, value_name = "DIR")]
    root: Vec<std::path::PathBuf>,
    /// Hide warnings (unknown fields, policy warnings) and batch's closing summary.
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run case files: policies, requests and expected decisions.
    Test(cli::test::TestArgs),
    /// For every way of calling AWS, does MFA enforcement hold? Leaks, lockouts and their causes.
    Mfa(Box<cli::mfa::MfaArgs>),
    /// Decide one request and explain which statements decided it.
    Eval(Box<cli::eval::EvalArgs>),
    /// Validate policy files and report problems with their line and column.
    Lint(cli::lint::LintArgs),
    /// Evaluate an `aws iam simulate-custom-policy` request JSON and print the API's response shape.
    Simulate(cli::simulate::SimulateArgs),
    /// Audit an account export (authorization details + credential report) for MFA gaps.
    Account(Box<cli::account::AccountArgs>),
    /// Replay CloudTrail events through the current policies and a proposed change.
    Replay(Box<cli::replay::ReplayArgs>),
    /// Evaluate JSON-lines requests in bulk against one compiled scenario.
    Batch(cli::batch::BatchArgs),
    /// List the AWS actions an action pattern matches, with their access level.
    Expand(cli::expand::ExpandArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Example:\n  iamsim completions bash > /etc/bash_completion.d/iamsim")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Runs the `iamsim` command line on this process's arguments and returns its exit status
/// (what `main.rs` passes to `std::process::exit`).
pub fn main() -> i32 {
    let cli = Cli::parse();
    cli::set_global(cli::Global {
        roots: cli.root.clone(),
        quiet: cli.quiet,
    });
    let mut out = iamsim::io::Output::stdout();
    let result = match &cli.command {
        Command::Test(a) => cli::test::run(a, &mut out),
        Command::Mfa(a) => cli::mfa::run(a, &mut out),
        Command::Eval(a) => cli::eval::run(a, &mut out),
        Command::Lint(a) => cli::lint::run(a, &mut out),
        Command::Simulate(a) => cli::simulate::run(a, &mut out),
        Command::Account(a) => cli::account::run(a, &mut out),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "iamsim", &mut buf);
            std::io::Write::write_all(&mut out, &buf)
                .map(|_| cli::ExitStatus::Ok)
                .map_err(cli::CliError::from)
        }
        Command::Batch(a) => Ok(cli::batch::run(a)),
        Command::Replay(a) => cli::replay::run(a, &mut out),
        Command::Expand(a) => cli::expand::run(a, &mut out),
    };
    cli::finish(result, &mut out).code()
}
