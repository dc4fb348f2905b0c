//! Command-line subcommands, one module each; `app.rs` dispatches. Each `run` returns
//! `Result<ExitStatus, CliError>` and writes through the one [`Output`]; `main` prints errors and
//! handles a closed pipe in one place.

pub mod account;
pub mod app;
pub mod batch;
pub mod eval;
pub mod expand;
pub mod lint;
pub mod mfa;
pub mod replay;
pub mod scenario_args;
pub mod simulate;
pub mod test;

use iamsim::diag::InputError;
use iamsim::io::{Output, Roots};
use iamsim::scenario::ScenarioBuilder;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The process exit status, the same three for every subcommand (each `--help` says which
/// outcome is which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Success: allowed, all tests passed, nothing found.
    Ok,
    /// A denial, a failed test, or a finding.
    Finding,
    /// Unreadable or invalid input, or output that could not be written.
    Input,
    /// Stopped by this signal (SIGINT, SIGTERM) after writing whole results: 128 + the
    /// signal's number, the shell's convention.
    Signal(i32),
}

impl ExitStatus {
    /// The number the process exits with.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Finding => 1,
            ExitStatus::Input => 2,
            ExitStatus::Signal(n) => 128 + n,
        }
    }
}

/// What a subcommand returns: its exit status, or an error `main` prints (exit 2).
pub type CmdResult = Result<ExitStatus, CliError>;

/// Why a subcommand could not finish.
#[derive(Debug)]
pub enum CliError {
    /// Bad input, with its position.
    Input(InputError),
    /// Several problems in the input, all reported.
    Inputs(Vec<InputError>),
    /// Writing the results failed (a closed pipe ends quietly; anything else is an error).
    Output(std::io::Error),
    /// Another problem, already worded.
    Message(String),
}

impl From<InputError> for CliError {
    fn from(e: InputError) -> Self {
        CliError::Input(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Output(e)
    }
}

impl From<String> for CliError {
    fn from(e: String) -> Self {
        CliError::Message(e)
    }
}

/// Options every subcommand shares (set once by `main`).
#[derive(Debug, Default, Clone)]
pub struct Global {
    /// Extra directories `{"file"}` references may point into.
    pub roots: Vec<PathBuf>,
    /// Hide warnings (and `batch`'s closing summary).
    pub quiet: bool,
}

static GLOBAL: OnceLock<Global> = OnceLock::new();

/// Records the global options.
pub fn set_global(g: Global) {
    let _ = GLOBAL.set(g);
}

fn global() -> Global {
    GLOBAL.get().cloned().unwrap_or_default()
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    global().quiet
}

/// The reference roots: the current directory and every `--root`.
pub fn roots() -> Roots {
    let mut r = Roots::current_dir();
    for d in global().roots {
        r.allow_dir(&d);
    }
    r
}

/// A scenario builder with the command line's roots.
pub fn builder() -> ScenarioBuilder {
    ScenarioBuilder::with_roots(roots())
}

/// Prints warnings about the input (unknown fields and the like) unless `-q` was given.
pub fn warn_all<I: IntoIterator<Item = S>, S: std::fmt::Display>(notes: I) {
    if global().quiet {
        return;
    }
    for n in notes {
        eprintln!("warning: {}", iamsim::io::term(&n.to_string()));
    }
}

/// Prints an error the one way: `error: file:line:col: message (at path)`, followed for a
/// positioned error in a readable file by the source line, windowed around the column, with a
/// caret under it (a minified one-line policy still shows where).
pub fn print_error(e: &CliError) {
    match e {
        CliError::Input(e) => print_input_error(e),
        CliError::Inputs(es) => es.iter().for_each(print_input_error),
        CliError::Output(e) => eprintln!("error: cannot write the output: {e}"),
        CliError::Message(m) => eprintln!("error: {}", iamsim::io::term(m)),
    }
}

fn print_input_error(e: &InputError) {
    eprintln!("error: {e}");
    let excerpt = source_of(e)
        .map(|text| iamsim::diag::source_excerpt(&text, e.pos.line, e.pos.col, &|t| t.to_string()))
        .unwrap_or_default();
    eprint!("{excerpt}");
}

/// The text of the file a positioned error points into, read again (bounded, regular files
/// only, through the same reader as the input was); none for standard input, which cannot be
/// read twice, for command-line values and for errors about a whole file.
fn source_of(e: &InputError) -> Option<String> {
    let path = std::path::Path::new(&e.file);
    if e.pos.line == 0 || iamsim::io::read::is_stdin(path) || !path.is_file() {
        return None;
    }
    iamsim::io::read_text(path, iamsim::io::DEFAULT_INPUT_LIMIT).ok()
}

/// Runs a subcommand against standard output, then flushes; returns the process exit status.
/// A closed pipe (`| head -1`) is not an error: the reader has what it wanted.
pub fn finish(result: CmdResult, out: &mut Output) -> ExitStatus {
    let flushed = out.finish();
    let result = match (result, flushed) {
        (Ok(code), Ok(())) => Ok(code),
        (Ok(_), Err(e)) => Err(CliError::Output(e)),
        (Err(e), _) => Err(e),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Ok,
        Err(e) => {
            print_error(&e);
            ExitStatus::Input
        }
    }
}
