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
}

fn main() {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Test(a) => cli::test::run(a),
        Command::Mfa(a) => cli::mfa::run(a),
    };
    std::process::exit(code);
}
