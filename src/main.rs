//! The `iamsim` command line: dispatches to one module per subcommand.

mod cli;

use clap::{Parser, Subcommand};

/// iamsim: would AWS allow this request, and why? A local IAM policy evaluation simulator.
#[derive(Debug, Parser)]
#[command(name = "iamsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Evaluate JSON-lines requests in bulk against one compiled scenario.
    Batch(cli::batch::BatchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Example:\n  iamsim completions bash > /etc/bash_completion.d/iamsim")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Test(a) => cli::test::run(a),
        Command::Mfa(a) => cli::mfa::run(a),
        Command::Eval(a) => cli::eval::run(a),
        Command::Lint(a) => cli::lint::run(a),
        Command::Simulate(a) => cli::simulate::run(a),
        Command::Account(a) => cli::account::run(a),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "iamsim",
                &mut std::io::stdout(),
            );
            0
        }
        Command::Batch(a) => cli::batch::run(a),
    };
    std::process::exit(code);
}
