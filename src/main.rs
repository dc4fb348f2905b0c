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
    /// Evaluate JSON-lines requests in bulk against one compiled scenario.
    Batch(cli::batch::BatchArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Test(a) => cli::test::run(a),
        Command::Batch(a) => cli::batch::run(a),
    };
    std::process::exit(code);
}
