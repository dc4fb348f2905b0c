//! `iamsim batch --scenario FILE [INPUT.jsonl|-] [-o OUT.jsonl]`: evaluates one request per JSON
//! line against a scenario compiled once, writing one JSON line per input line, in input order.
//!
//! The pipeline itself (reader, workers, ordered writer) is the library's
//! [`iamsim::batch::run`]; this module parses the arguments, loads the scenario, draws the
//! progress bar and prints the summary.

use crate::cli::ExitStatus;
use iamsim::batch::{BatchError, PipelineOptions};
use iamsim::compile::PolicySet;
use iamsim::io::Output;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `iamsim batch`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each input line is a JSON object with the request fields of a case file: \"action\", \"resource\", \
\"context\" (a preset name), \"context_keys\", and optionally \"principal\" overriding the scenario's.
Each output line is {\"line\":N,\"decision\":\"allowed|explicitDeny|implicitDeny\",\"statement\":\"policy#Sid\"} \
(\"statement\" absent when none decided; \"statements\" lists all when several did; \"missing\" names the \
layer without an allow; \"rule\" a service rule), or {\"line\":N,\"error\":\"...\"} for a line that cannot \
be evaluated. Every input line gets exactly one output line, in input order.

Example:
  iamsim batch --scenario testdata/batch/mfa-scenario.json testdata/batch/requests.jsonl

Exit status: 0 every line was decided, 1 some lines were errors (each reported in the output),
2 the scenario file is invalid or the input or output cannot be read or written.")]
pub struct BatchArgs {
    /// The scenario: a JSON object with the scenario fields of a case file (principal,
    /// identity_policies, permissions_boundary, scps, ...).
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,
    /// The requests, one JSON object per line; `-` or nothing reads standard input.
    #[arg(value_name = "INPUT.jsonl")]
    pub input: Option<PathBuf>,
    /// Write the results here instead of standard output.
    #[arg(short, long, value_name = "OUT.jsonl")]
    pub output: Option<PathBuf>,
    /// Add the full explanation of every decision (much slower).
    #[arg(long)]
    pub explain: bool,
    /// Worker threads (default: one per core).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Show warnings about the scenario's policies.
    #[arg(short, long)]
    pub warnings: bool,
    /// Block size in KiB (lines are handed to workers in blocks of about this size).
    #[arg(long, default_value_t = 512, hide = true)]
    pub block_kib: usize,
    /// Evaluate every line through the full (slow) path: the reference for benchmarks.
    #[arg(long, hide = true)]
    pub slow_path: bool,
}

/// Runs the subcommand and returns the exit status.
pub fn run(args: &BatchArgs) -> ExitStatus {
    let quiet = crate::cli::quiet();
    let (set, principal) = match load_scenario(&args.scenario, args.warnings) {
        Ok(x) => x,
        Err(e) => {
            crate::cli::print_error(&e);
            return ExitStatus::Input;
        }
    };
    let (input, total, input_name) = match open_input(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::Input;
        }
    };
    // JSON Lines need no terminal filter (serde escapes control characters); `-o` naming the
    // input is refused before the input is truncated.
    let mut output = match open_output(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitStatus::Input;
        }
    };
    let signals = Interrupts::install();
    let opts = pipeline_options(args, signals.as_ref().map(|s| Arc::clone(&s.flag)));
    let bar = (std::io::stderr().is_terminal() && !quiet).then(|| progress_bar(total));

    let started = Instant::now();
    let result = iamsim::batch::run(input, &mut output, &set, &principal, &opts, &mut |p| {
        if let Some(b) = &bar {
            b.set_position(p.bytes);
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let stats = match result {
        Ok(s) if s.interrupted => {
            // Every result written is a whole line and the output was flushed.
            if !quiet {
                eprintln!(
                    "iamsim batch: interrupted after {} lines (results written up to there are complete)",
                    s.stats.lines
                );
            }
            return ExitStatus::Signal(
                signals.map_or(2, |s| s.signal.load(Ordering::Relaxed) as i32),
            );
        }
        Ok(s) => s.stats,
        Err(e) if e.is_broken_pipe() => return ExitStatus::Ok, // the reader went away (`| head`): stop quietly
        Err(BatchError::Read { source, line }) => {
            eprintln!("error: {input_name}:{line}:1: cannot read input: {source}");
            return ExitStatus::Input;
        }
        Err(e @ BatchError::Write(_)) => {
            eprintln!("error: {e}");
            return ExitStatus::Input;
        }
    };
    match output.finish() {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitStatus::Ok,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            return ExitStatus::Input;
        }
    }
    if !quiet {
        print_summary(&stats, started.elapsed().as_secs_f64());
    }
    if stats.errors > 0 {
        ExitStatus::Finding
    } else {
        ExitStatus::Ok
    }
}

/// The input stream, its length when it is a regular file (for the progress bar), and its name
/// for messages; a directory or an unopenable file is an error (a named pipe is a fine input).
#[allow(clippy::type_complexity)]
fn open_input(args: &BatchArgs) -> Result<(Box<dyn Read + Send>, Option<u64>, String), String> {
    let name = match &args.input {
        Some(p) if p.as_os_str() != "-" => p.display().to_string(),
        _ => "<stdin>".to_string(),
    };
    match &args.input {
        Some(p) if p.is_dir() => Err(format!("{name}: cannot read file: it is a directory")),
        Some(p) if p.as_os_str() != "-" => match std::fs::File::open(p) {
            Ok(f) => {
                let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                Ok((Box::new(f), len, name))
            }
            Err(e) => Err(format!("{name}: cannot read file: {e}")),
        },
        _ => Ok((Box::new(std::io::stdin()), None, name)),
    }
}

/// Standard output or `-o FILE` (refused when it is the input or the scenario), unfiltered.
fn open_output(args: &BatchArgs) -> Result<Output, String> {
    let inputs: Vec<&Path> = args
        .input
        .iter()
        .map(PathBuf::as_path)
        .chain([args.scenario.as_path()])
        .collect();
    match &args.output {
        Some(p) => Output::create(p, &inputs)
            .map(Output::raw)
            .map_err(|e| e.to_string()),
        None => Ok(Output::stdout().raw()),
    }
}

/// The pipeline's options from the flags (threads default to the machine's cores).
fn pipeline_options(args: &BatchArgs, cancel: Option<Arc<AtomicBool>>) -> PipelineOptions {
    PipelineOptions {
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        block_bytes: args.block_kib.clamp(4, 64 * 1024) * 1024,
        max_line_bytes: iamsim::batch::MAX_LINE_BYTES,
        explain: args.explain,
        force_slow: args.slow_path,
        idle_flush: std::time::Duration::from_millis(100),
        cancel,
        now: None,
    }
}

/// The closing summary on standard error.
fn print_summary(stats: &iamsim::batch::Stats, secs: f64) {
    eprintln!(
        "iamsim batch: {} lines: {} allowed, {} explicitDeny, {} implicitDeny, {} errors; {} on the full path; {:.2} s, {:.0} lines/s",
        stats.lines,
        stats.allowed,
        stats.explicit_deny,
        stats.implicit_deny,
        stats.errors,
        stats.slow_path,
        secs,
        stats.lines as f64 / secs.max(1e-9)
    );
}

/// Reads and compiles the scenario file through the one scenario builder (unknown fields warn
/// the same way as everywhere; `-w` adds the policy warnings).
fn load_scenario(
    path: &Path,
    warnings: bool,
) -> Result<(PolicySet, iamsim::context::Principal), crate::cli::CliError> {
    let mut b = crate::cli::builder();
    b.file(path)?;
    let built = b.build()?;
    crate::cli::warn_all(&built.notes);
    if warnings {
        crate::cli::warn_all(&built.policy_warnings);
    }
    let set =
        PolicySet::compile(&built.spec.scenario).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((set, built.spec.principal))
}

/// The progress bar on standard error: bytes of a file of known size, or a spinner.
fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bytes} read, {binary_bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    bar
}

/// SIGINT and SIGTERM during a run: instead of dying in the middle of a result line, the run
/// stops at a block boundary with every written line whole, and the status is 128 + the
/// signal (130, 143). A second signal ends the process at once.
struct Interrupts {
    flag: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Interrupts {
    #[cfg(unix)]
    fn install() -> Option<Interrupts> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let flag = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in [SIGINT, SIGTERM] {
            // The conditional shutdown goes first: it fires only if the flag is already set.
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&flag))
                .ok()?;
            signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize).ok()?;
            signal_hook::flag::register(sig, Arc::clone(&flag)).ok()?;
        }
        Some(Interrupts { flag, signal })
    }

    #[cfg(not(unix))]
    fn install() -> Option<Interrupts> {
        None
    }
}
