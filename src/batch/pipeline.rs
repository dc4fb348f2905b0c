//! The bulk pipeline behind `iamsim batch`, callable from a library: [`run`] reads JSON lines
//! from any [`Read`], evaluates them on worker threads and writes one result line per input line,
//! in input order, to any [`Write`].
//!
//! Threads: a reader cuts the input into blocks that end at a line break and counts their lines;
//! workers evaluate blocks; the calling thread writes the results block by block in input order.
//! A fixed pool of block buffers circulates between them, so memory stays flat however long the
//! input is.
//!
//! ```
//! use iamsim::batch::pipeline::{run, PipelineOptions};
//! use iamsim::compile::{PolicySet, Scenario};
//! use iamsim::context::Principal;
//! use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
//!
//! let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
//! let (p, _) = parse_policy_text(text, "p.json", "p", PolicyKind::Identity, ParseOptions::default()).unwrap();
//! let set = PolicySet::compile(&Scenario { identity: vec![p], ..Default::default() }).unwrap();
//! let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
//! let input = &b"{\"action\":\"s3:GetObject\"}\n{\"action\":\"ec2:RunInstances\"}\n"[..];
//! let mut out = Vec::new();
//! let summary = run(input, &mut out, &set, &alice, &PipelineOptions::default(), &mut |_| {}).unwrap();
//! assert_eq!(summary.stats.lines, 2);
//! assert_eq!(String::from_utf8(out).unwrap(),
//!     "{\"line\":1,\"decision\":\"allowed\",\"statement\":\"p#0\"}\n{\"line\":2,\"decision\":\"implicitDeny\",\"missing\":\"identity\"}\n");
//! ```

use super::{Batch, Options, Stats, MAX_LINE_BYTES};
use crate::compile::PolicySet;
use crate::context::Principal;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Lines are handed to workers in blocks of about this many bytes.
    pub block_bytes: usize,
    /// Add the full explanation of every decision (much slower).
    pub explain: bool,
    /// Evaluate every line through the full path (the reference for benchmarks and tests).
    pub force_slow: bool,
    /// The request time (epoch seconds) of lines that do not set `aws:CurrentTime` or
    /// `aws:EpochTime`; `None` takes the clock when the run starts.
    pub now: Option<i64>,
}

impl Default for PipelineOptions {
    fn default() -> PipelineOptions {
        PipelineOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            block_bytes: 512 * 1024,
            explain: false,
            force_slow: false,
            now: None,
        }
    }
}

/// Progress of a run, reported after each block written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Input bytes whose results have been written.
    pub bytes: u64,
    /// Result lines written.
    pub lines: u64,
}

/// What a finished run counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines, decisions and errors.
    pub stats: Stats,
}

/// Why a run stopped before the end of its input.
#[derive(Debug)]
pub enum BatchError {
    /// The input could not be read; `line` is the first line not read.
    Read {
        /// The error from the reader.
        source: std::io::Error,
        /// The 1-based number of the line being read.
        line: u64,
    },
    /// The output could not be written (a [`std::io::ErrorKind::BrokenPipe`] means the reader
    /// of the output went away, as with `| head`).
    Write(std::io::Error),
}

impl BatchError {
    /// True when the output's reader went away: a quiet end for a command-line tool.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, BatchError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Read { source, line } => {
                write!(f, "cannot read input at line {line}: {source}")
            }
            BatchError::Write(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BatchError::Read { source, .. } => Some(source),
            BatchError::Write(e) => Some(e),
        }
    }
}

/// Evaluates every line of `input` against `set` (the caller being `principal` unless a line
/// names its own) and writes one result line per input line to `output`, in input order, then
/// flushes it. `progress` is called on the calling thread after each block written.
pub fn run<R: Read + Send, W: Write + ?Sized>(
    input: R,
    output: &mut W,
    set: &PolicySet,
    principal: &Principal,
    opts: &PipelineOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, BatchError> {
    let batch = Batch::new(
        set,
        principal.clone(),
        opts.now.unwrap_or_else(crate::cases::now_secs),
        Options {
            explain: opts.explain,
            force_slow: opts.force_slow,
        },
    );
    let jobs = opts.jobs.clamp(1, 256);
    let block = opts.block_bytes.max(1);
    let stats = pipeline(&batch, input, output, jobs, block, progress)?;
    output.flush().map_err(BatchError::Write)?;
    Ok(Summary { stats })
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

fn pipeline<R: Read + Send, W: Write + ?Sized>(
    batch: &Batch<'_>,
    input: R,
    output: &mut W,
    jobs: usize,
    block: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<Stats, BatchError> {
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
            Some((source, line)) => Err(BatchError::Read { source, line }),
            None => Ok(stats),
        }
    })
}

/// Reads the input into blocks that end at a line break (the last one may not) and hands them
/// on. A line longer than [`MAX_LINE_BYTES`] is not buffered: it is skipped and handed on as a
/// job of its own that only records its length.
fn read_blocks<R: Read>(
    mut input: R,
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

fn read_retrying<R: Read>(input: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
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
fn write_blocks<W: Write + ?Sized>(
    output: &mut W,
    done: Receiver<Job>,
    free: SyncSender<Job>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Stats, BatchError> {
    let mut pending: BTreeMap<u64, Job> = BTreeMap::new();
    let mut next = 0u64;
    let mut stats = Stats::default();
    let mut p = Progress::default();
    for job in done {
        pending.insert(job.seq, job);
        while let Some(job) = pending.remove(&next) {
            output.write_all(&job.out).map_err(BatchError::Write)?;
            stats.add(&job.stats);
            p.bytes += job.data.len() as u64 + job.oversized.unwrap_or(0);
            p.lines = stats.lines;
            progress(p);
            next += 1;
            let _ = free.send(job);
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Scenario;
    use crate::policy::{parse_policy_text, ParseOptions, PolicyKind};

    pub(super) fn set() -> PolicySet {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let (p, _) = parse_policy_text(
            text,
            "p.json",
            "p",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap();
        PolicySet::compile(&Scenario {
            identity: vec![p],
            ..Default::default()
        })
        .unwrap()
    }

    pub(super) fn alice() -> Principal {
        Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap()
    }

    /// Yields its text, then fails.
    struct FailingReader(&'static [u8]);

    impl Read for FailingReader {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    struct FailingWriter(std::io::ErrorKind);

    impl Write for FailingWriter {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn read_and_write_errors_are_kept_apart() {
        let (set, p) = (set(), alice());
        let opts = PipelineOptions::default();
        let mut out = Vec::new();
        let input = FailingReader(b"{\"action\":\"s3:GetObject\"}\n{\"action\":");
        match run(input, &mut out, &set, &p, &opts, &mut |_| {}) {
            Err(BatchError::Read { line, source }) => {
                assert_eq!(line, 1, "nothing was handed on before the failure");
                assert_eq!(source.to_string(), "disk on fire");
            }
            other => panic!("{other:?}"),
        }
        let input = &b"{\"action\":\"s3:GetObject\"}\n"[..];
        let mut w = FailingWriter(std::io::ErrorKind::BrokenPipe);
        let e = run(input, &mut w, &set, &p, &opts, &mut |_| {}).unwrap_err();
        assert!(e.is_broken_pipe(), "{e:?}");
        let mut w = FailingWriter(std::io::ErrorKind::StorageFull);
        let e = run(input, &mut w, &set, &p, &opts, &mut |_| {}).unwrap_err();
        assert!(
            matches!(e, BatchError::Write(_)) && !e.is_broken_pipe(),
            "{e:?}"
        );
    }

    #[test]
    fn progress_reports_every_byte_and_line() {
        let (set, p) = (set(), alice());
        let line = "{\"action\":\"s3:GetObject\"}\n";
        let input = line.repeat(1000);
        let opts = PipelineOptions {
            block_bytes: 1000,
            jobs: 2,
            ..Default::default()
        };
        let mut last = Progress::default();
        let mut calls = 0;
        let mut out = Vec::new();
        let s = run(input.as_bytes(), &mut out, &set, &p, &opts, &mut |pr| {
            assert!(pr.bytes > last.bytes && pr.lines > last.lines);
            last = pr;
            calls += 1;
        })
        .unwrap();
        assert_eq!(s.stats.lines, 1000);
        assert_eq!(s.stats.allowed, 1000);
        assert_eq!(last.bytes, input.len() as u64);
        assert_eq!(last.lines, 1000);
        assert!(calls > 10, "one report per block: {calls}");
    }
}
