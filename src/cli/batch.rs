//! `iamsim batch --scenario FILE [INPUT.jsonl|-] [-o OUT.jsonl]`: evaluates one request per JSON
//! line against a scenario compiled once, writing one JSON line per input line, in input order.
//!
//! Threads: a reader cuts the input into blocks that end at a line break and counts their lines;
//! workers (one per core) evaluate blocks; the main thread writes the results block by block in
//! input order. A fixed pool of block buffers circulates between them, so memory stays flat
//! however long the input is.

use crate::cli::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::batch::{Batch, Options, Stats, MAX_LINE_BYTES};
use iamsim::cases::{read_json, read_scenario, Fields, PolicyLoader, SCENARIO_FIELDS};
use iamsim::compile::PolicySet;
use iamsim::diag::did_you_mean;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
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
    /// No closing summary on standard error.
    #[arg(short, long)]
    pub quiet: bool,
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
pub fn run(args: &BatchArgs) -> i32 {
    let (set, principal) = match load_scenario(&args.scenario, args.warnings) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let input_name = match &args.input {
        Some(p) if p.as_os_str() != "-" => p.display().to_string(),
        _ => "<stdin>".to_string(),
    };
    let (input, total): (Box<dyn Read + Send>, Option<u64>) = match &args.input {
        Some(p) if p.as_os_str() != "-" => match std::fs::File::open(p) {
            Ok(f) => {
                let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                (Box::new(f), len)
            }
            Err(e) => {
                eprintln!("error: {input_name}:1:1: cannot read file: {e}");
                return EXIT_INPUT;
            }
        },
        _ => (Box::new(std::io::stdin()), None),
    };
    let mut output: Box<dyn Write> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("error: {}: cannot create file: {e}", p.display());
                return EXIT_INPUT;
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let batch = Batch::new(
        &set,
        principal,
        iamsim::cases::now_secs(),
        Options {
            explain: args.explain,
            force_slow: args.slow_path,
        },
    );
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 256);
    let block = args.block_kib.clamp(4, 64 * 1024) * 1024;
    let progress = (std::io::stderr().is_terminal() && !args.quiet).then(|| {
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
    });

    let started = Instant::now();
    let result = pipeline(&batch, input, &mut *output, jobs, block, progress.as_ref());
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    let stats = match result {
        Ok(s) => s,
        Err(Failure::BrokenPipe) => return EXIT_OK, // the reader went away (`| head`): stop quietly
        Err(Failure::Read(e, line)) => {
            eprintln!("error: {input_name}:{line}:1: cannot read input: {e}");
            return EXIT_INPUT;
        }
        Err(Failure::Write(e)) => {
            eprintln!("error: cannot write output: {e}");
            return EXIT_INPUT;
        }
    };
    if let Err(e) = output.flush() {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return EXIT_OK;
        }
        eprintln!("error: cannot write output: {e}");
        return EXIT_INPUT;
    }
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "iamsim batch: {} lines: {} allowed, {} explicitDeny, {} implicitDeny, {} errors; {:.2} s, {:.0} lines/s",
            stats.lines,
            stats.allowed,
            stats.explicit_deny,
            stats.implicit_deny,
            stats.errors,
            secs,
            stats.lines as f64 / secs.max(1e-9)
        );
    }
    if stats.errors > 0 {
        EXIT_FINDING
    } else {
        EXIT_OK
    }
}

/// Reads and compiles the scenario file.
fn load_scenario(
    path: &Path,
    warnings: bool,
) -> Result<(PolicySet, iamsim::context::Principal), String> {
    let file = path.display().to_string();
    let j = read_json(path).map_err(|e| e.to_string())?;
    let Some(members) = j.as_object() else {
        return Err(format!(
            "{file}:{}: a scenario file must be a JSON object with scenario fields (principal, identity_policies, ...), found {}",
            j.pos,
            j.type_name()
        ));
    };
    for m in members {
        if !SCENARIO_FIELDS.contains(&m.key.as_str()) {
            let hint = did_you_mean(&m.key, SCENARIO_FIELDS.iter().copied())
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            eprintln!(
                "warning: {file}:{}: unknown scenario field \"{}\" is ignored{hint}",
                m.key_pos, m.key
            );
        }
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loader = PolicyLoader::default();
    let spec = read_scenario(
        &Fields {
            own: &j,
            defaults: None,
        },
        &file,
        &base,
        &mut loader,
    )
    .map_err(|e| e.to_string())?;
    if warnings {
        for w in &loader.warnings {
            eprintln!("warning: {w}");
        }
    }
    let set = PolicySet::compile(&spec.scenario).map_err(|e| format!("{file}:{}: {e}", j.pos))?;
    Ok((set, spec.principal))
}

enum Failure {
    BrokenPipe,
    Read(std::io::Error, u64),
    Write(std::io::Error),
}

/// A block of whole lines, with the buffers that travel with it.
struct Job {
    seq: u64,
    first_line: u64,
    data: Vec<u8>,
    out: Vec<u8>,
    /// A line longer than [`MAX_LINE_BYTES`] that was skipped rather than buffered: its length.
    oversized: Option<u64>,
    stats: Stats,
}

/// What the reader reports when it stops.
struct ReadEnd {
    error: Option<(std::io::Error, u64)>,
}

fn pipeline(
    batch: &Batch<'_>,
    input: Box<dyn Read + Send>,
    output: &mut dyn Write,
    jobs: usize,
    block: usize,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Stats, Failure> {
    let in_flight = jobs * 3;
    let (free_tx, free_rx) = sync_channel::<Job>(in_flight);
    for _ in 0..in_flight {
        let _ = free_tx.send(Job {
            seq: 0,
            first_line: 1,
            data: Vec::with_capacity(block + 4096),
            out: Vec::with_capacity(block / 4),
            oversized: None,
            stats: Stats::default(),
        });
    }
    let (work_tx, work_rx) = sync_channel::<Job>(in_flight);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = sync_channel::<Job>(in_flight);

    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_blocks(input, block, free_rx, work_tx));
        for _ in 0..jobs {
            let rx = Arc::clone(&work_rx);
            let tx = done_tx.clone();
            scope.spawn(move || evaluate_blocks(batch, rx, tx));
        }
        drop(done_tx);
        let written = write_blocks(output, done_rx, free_tx, progress);
        // On a write failure the channels above are dropped here, so the reader and the
        // workers see closed channels and stop.
        let end = reader.join().unwrap_or(ReadEnd { error: None });
        let stats = written?;
        match end.error {
            Some((e, line)) => Err(Failure::Read(e, line)),
            None => Ok(stats),
        }
    })
}

/// Reads the input into blocks that end at a line break (the last one may not) and hands them
/// on. A line longer than [`MAX_LINE_BYTES`] is not buffered: it is skipped and handed on as a
/// job of its own that only records its length.
fn read_blocks(
    mut input: Box<dyn Read + Send>,
    block: usize,
    free: Receiver<Job>,
    work: SyncSender<Job>,
) -> ReadEnd {
    let mut carry: Vec<u8> = Vec::new();
    let mut seq = 0u64;
    let mut next_line = 1u64;
    let mut eof = false;
    let failed = |e, line| ReadEnd {
        error: Some((e, line)),
    };
    loop {
        let Ok(mut job) = free.recv() else {
            return ReadEnd { error: None }; // the writer stopped
        };
        job.data.clear();
        job.data.append(&mut carry);
        job.oversized = None;
        // `carry` holds the start of a line: no line break before what is read now.
        let mut last_nl: Option<usize> = None;
        while !eof {
            if job.data.len() >= block && last_nl.is_some() {
                break;
            }
            if last_nl.is_none() && job.data.len() > MAX_LINE_BYTES {
                break;
            }
            let len = job.data.len();
            let want = if len < block { block - len } else { block };
            job.data.resize(len + want, 0);
            match read_retrying(&mut input, &mut job.data[len..]) {
                Ok(0) => {
                    job.data.truncate(len);
                    eof = true;
                }
                Ok(n) => {
                    job.data.truncate(len + n);
                    if let Some(i) = memchr::memrchr(b'\n', &job.data[len..]) {
                        last_nl = Some(len + i);
                    }
                }
                Err(e) => return failed(e, next_line),
            }
        }
        if eof {
            if !job.data.is_empty() && send(&work, job, &mut seq, &mut next_line).is_err() {
                return ReadEnd { error: None };
            }
            return ReadEnd { error: None };
        }
        match last_nl {
            Some(i) => {
                carry.extend_from_slice(&job.data[i + 1..]);
                job.data.truncate(i + 1);
            }
            None => {
                // The start of an over-long line: skip to its end.
                let mut len = job.data.len() as u64;
                job.data.clear();
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match read_retrying(&mut input, &mut buf) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => match memchr::memchr(b'\n', &buf[..n]) {
                            Some(i) => {
                                len += i as u64;
                                carry.extend_from_slice(&buf[i + 1..n]);
                                break;
                            }
                            None => len += n as u64,
                        },
                        Err(e) => return failed(e, next_line),
                    }
                }
                job.oversized = Some(len);
            }
        }
        if send(&work, job, &mut seq, &mut next_line).is_err() {
            return ReadEnd { error: None };
        }
        if eof && carry.is_empty() {
            return ReadEnd { error: None };
        }
    }
}

/// Numbers the block's lines and hands it to the workers.
fn send(
    work: &SyncSender<Job>,
    mut job: Job,
    seq: &mut u64,
    next_line: &mut u64,
) -> Result<(), ()> {
    let mut lines = memchr::memchr_iter(b'\n', &job.data).count() as u64;
    if job.data.last().is_some_and(|&b| b != b'\n') {
        lines += 1; // the last line of the input, without a line break
    }
    if job.oversized.is_some() {
        lines += 1;
    }
    job.seq = *seq;
    job.first_line = *next_line;
    *seq += 1;
    *next_line += lines;
    work.send(job).map_err(|_| ())
}

fn read_retrying(input: &mut Box<dyn Read + Send>, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// A worker: evaluates blocks until the reader is done.
fn evaluate_blocks(batch: &Batch<'_>, work: Arc<Mutex<Receiver<Job>>>, done: SyncSender<Job>) {
    let mut w = batch.worker();
    loop {
        let next = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(mut job) = next else {
            return;
        };
        job.out.clear();
        let mut stats = Stats::default();
        let mut first = job.first_line;
        if let Some(len) = job.oversized {
            w.oversized_line(first, len, &mut job.out, &mut stats);
            first += 1;
        }
        w.chunk(first, &job.data, &mut job.out, &mut stats);
        job.stats = stats;
        if done.send(job).is_err() {
            return;
        }
    }
}

/// Writes finished blocks in input order and returns their buffers to the reader.
fn write_blocks(
    output: &mut dyn Write,
    done: Receiver<Job>,
    free: SyncSender<Job>,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Stats, Failure> {
    let mut pending: BTreeMap<u64, Job> = BTreeMap::new();
    let mut next = 0u64;
    let mut stats = Stats::default();
    for job in done {
        pending.insert(job.seq, job);
        while let Some(job) = pending.remove(&next) {
            if let Err(e) = output.write_all(&job.out) {
                return Err(if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Failure::BrokenPipe
                } else {
                    Failure::Write(e)
                });
            }
            stats.add(&job.stats);
            if let Some(p) = progress {
                p.inc(job.data.len() as u64 + job.oversized.unwrap_or(0));
            }
            next += 1;
            let _ = free.send(job);
        }
    }
    Ok(stats)
}
