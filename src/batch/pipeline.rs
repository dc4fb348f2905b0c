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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Lines are handed to workers in blocks of about this many bytes.
    pub block_bytes: usize,
    /// A line longer than this (in bytes, before its `\n`) is reported as an error line
    /// without being held in memory.
    pub max_line_bytes: usize,
    /// Add the full explanation of every decision (much slower).
    pub explain: bool,
    /// Evaluate every line through the full path (the reference for benchmarks and tests).
    pub force_slow: bool,
    /// Whole lines are evaluated and their results written (and the output flushed) at the
    /// latest this long after they were read, even when a block is not full: a live producer
    /// (`tail -f`) sees its results without waiting for half a megabyte of input.
    pub idle_flush: Duration,
    /// When set (by a signal handler, another thread), the run stops at a block boundary: the
    /// results already written are whole lines, the output is flushed, and [`run`] returns a
    /// [`Summary`] with `interrupted` set.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The request time (epoch seconds) of lines that do not set `aws:CurrentTime` or
    /// `aws:EpochTime`; `None` takes the clock when the run starts.
    pub now: Option<i64>,
}

impl Default for PipelineOptions {
    fn default() -> PipelineOptions {
        PipelineOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            block_bytes: 512 * 1024,
            max_line_bytes: MAX_LINE_BYTES,
            explain: false,
            force_slow: false,
            idle_flush: Duration::from_millis(100),
            cancel: None,
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
    /// Lines, decisions and errors (of the lines whose results were written).
    pub stats: Stats,
    /// The run was cancelled ([`PipelineOptions::cancel`]) before the end of its input.
    pub interrupted: bool,
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
pub fn run<R: Read + Send + 'static, W: Write + ?Sized>(
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
        opts.now.unwrap_or_else(crate::scenario::now_secs),
        Options {
            explain: opts.explain,
            force_slow: opts.force_slow,
        },
    );
    let (stats, interrupted) = pipeline(&batch, input, output, opts, progress)?;
    output.flush().map_err(BatchError::Write)?;
    Ok(Summary { stats, interrupted })
}

/// A block of whole lines, with the buffers that travel with it.
struct Job {
    seq: u64,
    first_line: u64,
    data: Vec<u8>,
    out: Vec<u8>,
    /// A line over the line limit that was skipped rather than buffered: its length. Such a job
    /// carries no data.
    oversized: Option<u64>,
    stats: Stats,
}

/// What the reader reports when it stops.
struct ReadEnd {
    error: Option<(std::io::Error, u64)>,
}

/// Shared by the threads of one run.
struct Control {
    /// Set when the writer stops (the end, or a write failure): the reader stops too.
    stop: AtomicBool,
    /// The caller's cancellation flag.
    cancel: Option<Arc<AtomicBool>>,
    /// Whole lines are handed on at the latest this long after they were read.
    idle_flush: Duration,
}

fn pipeline<R: Read + Send + 'static, W: Write + ?Sized>(
    batch: &Batch<'_>,
    input: R,
    output: &mut W,
    opts: &PipelineOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Stats, bool), BatchError> {
    let jobs = opts.jobs.clamp(1, 256);
    let block = opts.block_bytes.max(1);
    let max_line = opts.max_line_bytes.max(1);
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
    let control = Control {
        stop: AtomicBool::new(false),
        cancel: opts.cancel.clone(),
        idle_flush: opts.idle_flush,
    };
    let chunks = spawn_raw_reader(input, block.clamp(1, READ_BYTES))
        .map_err(|source| BatchError::Read { source, line: 1 })?;

    std::thread::scope(|scope| {
        let control = &control;
        let reader =
            scope.spawn(move || read_blocks(chunks, block, max_line, control, free_rx, work_tx));
        for _ in 0..jobs {
            let rx = Arc::clone(&work_rx);
            let tx = done_tx.clone();
            scope.spawn(move || evaluate_blocks(batch, max_line, control, rx, tx));
        }
        drop(done_tx);
        let written = write_blocks(output, done_rx, free_tx, control, progress);
        // On a write failure the channels above are dropped here and the stop flag is set, so
        // the reader and the workers stop (the thread blocked reading the input, if any, is
        // left to end on its own when its read returns).
        control.stop.store(true, Ordering::Relaxed);
        let end = reader.join().unwrap_or(ReadEnd { error: None });
        let (stats, interrupted) = written?;
        match end.error {
            Some((source, line)) if !interrupted => Err(BatchError::Read { source, line }),
            _ => Ok((stats, interrupted)),
        }
    })
}

impl Control {
    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.cancelled()
    }
}

/// A piece of input from the thread that reads it.
enum Chunk {
    /// A buffer and how many of its bytes were read.
    Data(Vec<u8>, usize),
    End,
    Failed(std::io::Error),
}

/// Buffers circulating between the raw reader and the block reader.
const RAW_CHUNKS: usize = 4;

/// Starts the thread that only reads the input, so the block reader can wait for input with a
/// timeout (a `read` cannot be given one). The thread is not joined: when the run ends while it
/// is blocked in `read` (a live producer, an interrupt), it ends when that read returns.
fn spawn_raw_reader<R: Read + Send + 'static>(
    mut input: R,
    size: usize,
) -> std::io::Result<(Receiver<Chunk>, SyncSender<Vec<u8>>)> {
    let (tx, rx) = sync_channel::<Chunk>(RAW_CHUNKS);
    let (back_tx, back_rx) = sync_channel::<Vec<u8>>(RAW_CHUNKS);
    for _ in 0..RAW_CHUNKS {
        let _ = back_tx.send(vec![0u8; size]);
    }
    std::thread::Builder::new()
        .name("iamsim-batch-input".into())
        .spawn(move || loop {
            let Ok(mut buf) = back_rx.recv() else {
                return;
            };
            buf.resize(size, 0);
            let msg = match read_retrying(&mut input, &mut buf) {
                Ok(0) => Chunk::End,
                Ok(n) => Chunk::Data(buf, n),
                Err(e) => Chunk::Failed(e),
            };
            let last = !matches!(msg, Chunk::Data(..));
            if tx.send(msg).is_err() || last {
                return;
            }
        })?;
    Ok((rx, back_tx))
}

/// A worker looks at the stop flag after about this many bytes of lines.
const PIECE_BYTES: usize = 32 * 1024;

/// How often a waiting thread looks at the stop flag.
const TICK: Duration = Duration::from_millis(100);

/// Cuts the input into blocks of whole lines and hands them on: a block when it is full, and
/// whatever whole lines are held once they have waited `idle_flush` (a live producer sees its
/// results without waiting for a full block).
fn read_blocks(
    (chunks, back): (Receiver<Chunk>, SyncSender<Vec<u8>>),
    block: usize,
    max_line: usize,
    control: &Control,
    free: Receiver<Job>,
    work: SyncSender<Job>,
) -> ReadEnd {
    let mut sink = JobSink {
        free,
        work,
        shell: None,
        seq: 0,
        next_line: 1,
    };
    let mut cutter = Cutter::new(block, max_line);
    let mut held_since: Option<Instant> = None;
    let stopped = ReadEnd { error: None };
    loop {
        if control.stopping() {
            return stopped;
        }
        let wait = held_since.map_or(TICK, |t| {
            control.idle_flush.saturating_sub(t.elapsed()).min(TICK)
        });
        match chunks.recv_timeout(wait) {
            Ok(Chunk::Data(buf, n)) => {
                let fed = cutter.feed(&buf[..n], &mut sink);
                let _ = back.try_send(buf);
                if fed.is_none() {
                    return stopped; // the writer stopped
                }
            }
            Ok(Chunk::End) => {
                let _ = cutter.finish(&mut sink);
                return stopped;
            }
            Ok(Chunk::Failed(e)) => {
                // The lines read before the failure still get their results.
                let _ = cutter.hand_on_whole_lines(&mut sink);
                return ReadEnd {
                    error: Some((e, sink.next_line)),
                };
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                let _ = cutter.hand_on_whole_lines(&mut sink);
                let e = std::io::Error::other("the input reader thread stopped");
                return ReadEnd {
                    error: Some((e, sink.next_line)),
                };
            }
        }
        if cutter.has_whole_lines() {
            let t = *held_since.get_or_insert_with(Instant::now);
            if t.elapsed() >= control.idle_flush {
                if cutter.hand_on_whole_lines(&mut sink).is_none() {
                    return stopped;
                }
                held_since = None;
            }
        } else {
            held_since = None;
        }
    }
}

/// Bytes asked of the input per read.
const READ_BYTES: usize = 256 * 1024;

/// Where the [`Cutter`] hands its blocks: `None` from any method means "stop".
trait Sink {
    /// An empty buffer for the next block.
    fn buffer(&mut self) -> Option<Vec<u8>>;
    /// A block of whole lines, each ending in `\n` except the input's last line.
    fn lines(&mut self, data: Vec<u8>) -> Option<()>;
    /// A line of `len` bytes (without its `\n`) over the line limit, which was skipped.
    fn oversized(&mut self, len: u64) -> Option<()>;
}

/// Cuts a byte stream into blocks of whole lines of about `block` bytes. A line longer than
/// `max_line` bytes (before its `\n`) is never held in memory: it is skipped to its end and
/// reported by its length, in its place among the other lines.
///
/// Invariant: `data[..line_start]` holds whole lines (each ending in `\n`) not yet handed on,
/// `data[line_start..]` the start of the current line, at most `max_line` bytes; while
/// `skipping` is set the current line is over-long and its bytes are only counted.
#[derive(Debug)]
struct Cutter {
    block: usize,
    max_line: usize,
    data: Vec<u8>,
    line_start: usize,
    skipping: Option<u64>,
}

impl Cutter {
    fn new(block: usize, max_line: usize) -> Cutter {
        Cutter {
            block: block.max(1),
            max_line: max_line.max(1),
            data: Vec::new(),
            line_start: 0,
            skipping: None,
        }
    }

    /// Takes the next piece of input.
    fn feed(&mut self, mut rest: &[u8], sink: &mut impl Sink) -> Option<()> {
        while !rest.is_empty() {
            if let Some(len) = self.skipping {
                match memchr::memchr(b'\n', rest) {
                    None => {
                        self.skipping = Some(len + rest.len() as u64);
                        return Some(());
                    }
                    Some(i) => {
                        self.skipping = None;
                        self.hand_on_whole_lines(sink)?;
                        sink.oversized(len + i as u64)?;
                        rest = &rest[i + 1..];
                        continue;
                    }
                }
            }
            // Bytes of the current line held before `rest[pos..]`.
            let mut held = self.data.len() - self.line_start;
            if held + rest.len() <= self.max_line {
                // The common case: no line here can be over-long, only the last break matters.
                let len = self.data.len();
                self.data.extend_from_slice(rest);
                if let Some(i) = memchr::memrchr(b'\n', rest) {
                    self.line_start = len + i + 1;
                    if self.line_start >= self.block {
                        self.hand_on_whole_lines(sink)?;
                    }
                }
                return Some(());
            }
            let mut pos = 0;
            let mut over = None;
            for nl in memchr::memchr_iter(b'\n', rest) {
                let len = held + (nl - pos);
                if len > self.max_line {
                    over = Some((len, nl + 1));
                    break;
                }
                held = 0;
                pos = nl + 1;
            }
            // `rest[..pos]` ends whole lines within the limit (completing the held start of a
            // line when `pos > 0`).
            self.keep_whole(&rest[..pos]);
            match over {
                Some((len, resume)) => {
                    // Drop the held start of the over-long line, if it began before `rest`.
                    self.data.truncate(self.line_start);
                    self.hand_on_whole_lines(sink)?;
                    sink.oversized(len as u64)?;
                    rest = &rest[resume..];
                }
                None => {
                    let tail = &rest[pos..];
                    if held + tail.len() > self.max_line {
                        self.data.truncate(self.line_start);
                        self.skipping = Some((held + tail.len()) as u64);
                    } else {
                        self.data.extend_from_slice(tail);
                        if self.line_start >= self.block {
                            self.hand_on_whole_lines(sink)?;
                        }
                    }
                    return Some(());
                }
            }
        }
        Some(())
    }

    /// Appends `whole`, which ends at a line break (or is empty); a non-empty `whole` completes
    /// the held start of the current line, an empty one leaves it as it is.
    /// True when whole lines are held that were not handed on yet.
    fn has_whole_lines(&self) -> bool {
        self.line_start > 0
    }

    fn keep_whole(&mut self, whole: &[u8]) {
        if !whole.is_empty() {
            self.data.extend_from_slice(whole);
            self.line_start = self.data.len();
        }
    }

    /// Hands on the whole lines held, keeping the start of the current line.
    fn hand_on_whole_lines(&mut self, sink: &mut impl Sink) -> Option<()> {
        if self.line_start == 0 {
            return Some(());
        }
        let mut next = sink.buffer()?;
        next.clear();
        next.extend_from_slice(&self.data[self.line_start..]);
        self.data.truncate(self.line_start);
        let full = std::mem::replace(&mut self.data, next);
        self.line_start = 0;
        sink.lines(full)
    }

    /// The end of the input: hands on everything held, the last line even without a `\n`.
    fn finish(&mut self, sink: &mut impl Sink) -> Option<()> {
        match self.skipping.take() {
            Some(len) => {
                self.hand_on_whole_lines(sink)?;
                sink.oversized(len)
            }
            None => {
                self.line_start = self.data.len();
                self.hand_on_whole_lines(sink)
            }
        }
    }
}

/// The pipeline's [`Sink`]: numbers blocks and lines and sends them to the workers in jobs
/// taken from the pool.
struct JobSink {
    free: Receiver<Job>,
    work: SyncSender<Job>,
    /// A job whose data buffer went to the cutter.
    shell: Option<Job>,
    seq: u64,
    next_line: u64,
}

impl JobSink {
    fn send(&mut self, mut job: Job) -> Option<()> {
        let mut lines = memchr::memchr_iter(b'\n', &job.data).count() as u64;
        if job.data.last().is_some_and(|&b| b != b'\n') {
            lines += 1; // the last line of the input, without a line break
        }
        if job.oversized.is_some() {
            lines += 1;
        }
        job.seq = self.seq;
        job.first_line = self.next_line;
        self.seq += 1;
        self.next_line += lines;
        self.work.send(job).ok()
    }
}

impl Sink for JobSink {
    fn buffer(&mut self) -> Option<Vec<u8>> {
        let mut job = self.free.recv().ok()?;
        let data = std::mem::take(&mut job.data);
        self.shell = Some(job);
        Some(data)
    }

    fn lines(&mut self, data: Vec<u8>) -> Option<()> {
        let mut job = match self.shell.take() {
            Some(j) => j,
            None => self.free.recv().ok()?,
        };
        job.data = data;
        job.oversized = None;
        self.send(job)
    }

    fn oversized(&mut self, len: u64) -> Option<()> {
        let mut job = self.free.recv().ok()?;
        job.data.clear();
        job.oversized = Some(len);
        self.send(job)
    }
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
fn evaluate_blocks(
    batch: &Batch<'_>,
    max_line: usize,
    control: &Control,
    work: Arc<Mutex<Receiver<Job>>>,
    done: SyncSender<Job>,
) {
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
            w.oversized_line(first, len, max_line, &mut job.out, &mut stats);
            first += 1;
        }
        // In pieces of whole lines, so a cancelled run does not wait for a whole block (with
        // `explain`, a block can take seconds).
        let mut rest = &job.data[..];
        while !rest.is_empty() {
            if control.stopping() {
                return;
            }
            let piece = match rest
                .get(PIECE_BYTES..)
                .and_then(|t| memchr::memchr(b'\n', t))
            {
                Some(i) => PIECE_BYTES + i + 1,
                None => rest.len(),
            };
            first += w.chunk(first, &rest[..piece], &mut job.out, &mut stats);
            rest = &rest[piece..];
        }
        job.stats = stats;
        if done.send(job).is_err() {
            return;
        }
    }
}

/// Writes finished blocks in input order and returns their buffers to the reader; stops at a
/// block boundary when the run is cancelled (the flag is looked at between blocks and every
/// [`TICK`] while waiting). Returns the counts and whether the run was cancelled.
fn write_blocks<W: Write + ?Sized>(
    output: &mut W,
    done: Receiver<Job>,
    free: SyncSender<Job>,
    control: &Control,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Stats, bool), BatchError> {
    let mut pending: BTreeMap<u64, Job> = BTreeMap::new();
    let mut next = 0u64;
    let mut stats = Stats::default();
    let mut p = Progress::default();
    let mut unflushed = false;
    loop {
        if control.cancelled() {
            return Ok((stats, true));
        }
        let job = match done.try_recv() {
            Ok(job) => job,
            Err(TryRecvError::Empty) => {
                // Nothing more is ready: let what was written reach the reader now.
                if unflushed {
                    output.flush().map_err(BatchError::Write)?;
                    unflushed = false;
                }
                match done.recv_timeout(TICK) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        pending.insert(job.seq, job);
        while let Some(job) = pending.remove(&next) {
            if control.cancelled() {
                return Ok((stats, true));
            }
            output.write_all(&job.out).map_err(BatchError::Write)?;
            unflushed = true;
            stats.add(&job.stats);
            p.bytes += job.data.len() as u64 + job.oversized.unwrap_or(0);
            p.lines = stats.lines;
            progress(p);
            next += 1;
            let _ = free.send(job);
        }
    }
    // The reader and the workers also watch the flag: when they stop first, the channel closes
    // before this loop sees the flag, and the run was still interrupted.
    Ok((stats, control.cancelled()))
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
                assert_eq!(line, 2, "the line being read when the input failed");
                assert_eq!(source.to_string(), "disk on fire");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"line\":1,\"decision\":\"allowed\",\"statement\":\"p#S3\"}\n",
            "the whole line read before the failure still gets its result"
        );
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
        let reader = std::io::Cursor::new(input.clone().into_bytes());
        let s = run(reader, &mut out, &set, &p, &opts, &mut |pr| {
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

    #[derive(Debug, PartialEq, Eq)]
    enum Piece {
        Line(Vec<u8>),
        Oversized(u64),
    }

    /// Collects what the cutter hands on, checking the shape of each block.
    #[derive(Default)]
    struct VecSink {
        pieces: Vec<Piece>,
        blocks: Vec<usize>,
        ended: bool,
    }

    impl Sink for VecSink {
        fn buffer(&mut self) -> Option<Vec<u8>> {
            Some(Vec::new())
        }
        fn lines(&mut self, data: Vec<u8>) -> Option<()> {
            assert!(!data.is_empty(), "an empty block");
            assert!(
                !self.ended,
                "a block after the input's unterminated last line"
            );
            self.blocks.push(data.len());
            let mut parts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            if data.ends_with(b"\n") {
                parts.pop();
            } else {
                self.ended = true;
            }
            self.pieces
                .extend(parts.into_iter().map(|l| Piece::Line(l.to_vec())));
            Some(())
        }
        fn oversized(&mut self, len: u64) -> Option<()> {
            self.pieces.push(Piece::Oversized(len));
            Some(())
        }
    }

    /// Hands out its text in reads of the given sizes, in turn.
    struct Chunked {
        text: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        turn: usize,
    }

    impl Read for Chunked {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let want = self.sizes[self.turn % self.sizes.len()].max(1);
            self.turn += 1;
            let n = want.min(buf.len()).min(self.text.len() - self.at);
            buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// A line of exactly `len` bytes: a request when there is room for one, else filler (an
    /// error line, but still one line).
    fn line_of(len: usize) -> Vec<u8> {
        let head = b"{\"action\":\"s3:GetObject\",\"resource\":\"";
        if len < head.len() + 2 {
            return vec![b'#'; len];
        }
        let mut l = head.to_vec();
        l.resize(len - 2, b'x');
        l.extend_from_slice(b"\"}");
        l
    }

    /// The input and, per line, what must come out: the line's bytes or its over-long length.
    fn input_of(
        lens: &[usize],
        max_line: usize,
        crlf: bool,
        final_nl: bool,
    ) -> (Vec<u8>, Vec<Piece>) {
        let mut text = Vec::new();
        let mut expect = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            let last = i + 1 == lens.len();
            let mut l = line_of(len);
            if crlf && (!last || final_nl) {
                l.push(b'\r');
            }
            text.extend_from_slice(&l);
            if !last || final_nl {
                text.push(b'\n');
            }
            expect.push(if l.len() > max_line {
                Piece::Oversized(l.len() as u64)
            } else {
                Piece::Line(l)
            });
        }
        (text, expect)
    }

    fn cut(text: &[u8], block: usize, max_line: usize, sizes: &[usize]) -> VecSink {
        let mut c = Cutter::new(block, max_line);
        let mut sink = VecSink::default();
        let (mut at, mut turn) = (0, 0);
        while at < text.len() {
            let n = sizes[turn % sizes.len()].clamp(1, text.len() - at);
            turn += 1;
            c.feed(&text[at..at + n], &mut sink).unwrap();
            at += n;
        }
        c.finish(&mut sink).unwrap();
        sink
    }

    /// Runs the whole pipeline and checks one numbered result per line, an error record exactly
    /// for the over-long ones.
    fn check_pipeline(
        text: Vec<u8>,
        expect: &[Piece],
        block: usize,
        max_line: usize,
        sizes: Vec<usize>,
    ) {
        let (set, p) = (set(), alice());
        let opts = PipelineOptions {
            jobs: 2,
            block_bytes: block,
            max_line_bytes: max_line,
            ..Default::default()
        };
        let input = Chunked {
            text,
            at: 0,
            sizes,
            turn: 0,
        };
        let mut out = Vec::new();
        let s = run(input, &mut out, &set, &p, &opts, &mut |_| {}).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines.len(),
            expect.len(),
            "one output line per input line:\n{out}"
        );
        assert_eq!(s.stats.lines, expect.len() as u64);
        let limit = format!("longer than the limit of {max_line} bytes");
        for (i, (l, e)) in lines.iter().zip(expect).enumerate() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["line"], (i + 1) as u64, "numbered in order: {l}");
            match e {
                Piece::Oversized(len) => {
                    let m = v["error"].as_str().unwrap_or_default();
                    assert!(
                        m.contains(&limit) && m.contains(&format!("line is {len} bytes")),
                        "{l}"
                    );
                }
                Piece::Line(_) => assert!(!l.contains("longer than the limit"), "{l}"),
            }
        }
    }

    #[test]
    fn lines_after_an_over_long_line_survive_a_second_over_long_line() {
        // The regression: whole lines carried past an over-long line were dropped (and the
        // later results relabelled) when the next line was over-long too.
        let lens = [100, 45, 45, 100, 45];
        let (text, expect) = input_of(&lens, 60, false, true);
        let sink = cut(&text, 4096, 60, &[4096]);
        assert_eq!(sink.pieces, expect);
        check_pipeline(text, &expect, 4096, 60, vec![4096]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        #[test]
        fn block_reader_gives_one_piece_per_line_in_order(
            max_line in 40usize..=90,
            block in 1usize..=300,
            shape in proptest::collection::vec((0u8..4, -4i32..=4), 0..24),
            sizes in proptest::collection::vec(1usize..=160, 1..6),
            crlf: bool,
            final_nl: bool,
        ) {
            let mut lens: Vec<usize> = shape
                .iter()
                .map(|&(kind, d)| {
                    let base = match kind {
                        0 | 1 => max_line as i32,
                        2 => block as i32,
                        _ => 0,
                    };
                    (base + d).max(0) as usize
                })
                .collect();
            if !final_nl {
                if let Some(l) = lens.last_mut() {
                    *l = (*l).max(1); // an empty unterminated last line is no line
                }
            }
            let (text, expect) = input_of(&lens, max_line, crlf, final_nl);
            let sink = cut(&text, block, max_line, &sizes);
            proptest::prop_assert_eq!(&sink.pieces, &expect);
            let biggest = sizes.iter().max().unwrap();
            for &b in &sink.blocks {
                proptest::prop_assert!(b <= block + biggest + max_line + 2, "a block of {} bytes", b);
            }
            check_pipeline(text, &expect, block, max_line, sizes);
        }
    }
}
