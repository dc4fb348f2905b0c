//! Command-line subcommands, one module each; `main.rs` only dispatches.

pub mod account;
pub mod batch;
pub mod eval;
pub mod lint;
pub mod mfa;
pub mod scenario_args;
pub mod simulate;
pub mod test;

/// Exit status: success (allowed / all tests passed / nothing found).
pub const EXIT_OK: i32 = 0;
/// Exit status: a denial, a failed test, or a finding.
pub const EXIT_FINDING: i32 = 1;
/// Exit status: unreadable or invalid input.
pub const EXIT_INPUT: i32 = 2;
