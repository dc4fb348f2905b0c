//! Reading CloudTrail records from files, directories and standard input.
//!
//! A file is a CloudTrail log file as delivered to S3 (`{"Records": [...]}`), an array of
//! events, a single event, or JSON Lines (one event per line); any of them may be gzipped
//! (`.gz`, or detected by its magic bytes). Directories are walked recursively in name order
//! (directory symlinks are not followed). A JSON file that is not CloudTrail is an error naming
//! it; a malformed record or line is an error record and the run goes on; a truncated gzip file
//! keeps the records read before the damage and is reported.
//!
//! Memory: JSON Lines are streamed, a bounded buffer at a time (a line longer than
//! [`MAX_LINE_BYTES`] is an error record, skipped without being held); a JSON document (a
//! `Records` file, an array, one event) is held whole while its records are handed on, one file
//! at a time. Records go to the evaluating threads in [`Chunk`]s of at most [`CHUNK_RECORDS`]
//! records, a few chunks in flight.

use crate::diag::InputError;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

/// The most a single JSON document (not JSON Lines) may hold once decompressed.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// The longest line of JSON Lines read; a longer one is an error record.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Records per chunk handed to the evaluating threads.
pub const CHUNK_RECORDS: usize = 8192;

/// Bytes of record text per chunk (a chunk is handed on when either limit is reached).
pub const CHUNK_BYTES: usize = 8 << 20;

/// Lists the input files under `paths` (directories recursively, sorted).
pub fn input_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        if crate::io::read::is_stdin(p) || !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let found = crate::io::paths::walk_files(p, &|f| {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".gz")
        })
        .map_err(|e| {
            InputError::whole(
                &p.display().to_string(),
                format!("cannot read directory: {e}"),
            )
        })?;
        if found.is_empty() {
            return Err(InputError::whole(
                &p.display().to_string(),
                "no .json, .jsonl or .gz file here",
            ));
        }
        out.extend(found);
    }
    Ok(out)
}

/// One record of a chunk: where its text is, and where it came from.
#[derive(Debug, Clone)]
pub struct Span {
    /// Index into [`Chunk::files`].
    pub file: u32,
    /// The record's index in its file (0-based).
    pub index: usize,
    /// Byte range of its text in [`Chunk::text`].
    pub start: usize,
    /// End of the range.
    pub end: usize,
    /// Its 1-based line for JSON Lines (0 for a record of a document).
    pub line: usize,
    /// The reader's error for a line that could not be held (too long, not UTF-8).
    pub bad: Option<Box<str>>,
}

/// Records handed to the evaluating threads together.
#[derive(Debug, Default)]
pub struct Chunk {
    /// The files the records come from, as shown.
    pub files: Vec<Arc<str>>,
    /// The records' text, one after the other (UTF-8 is checked by whoever evaluates them).
    pub text: Vec<u8>,
    /// The records, in input order.
    pub spans: Vec<Span>,
}

/// What the reading thread hands on, in input order.
#[derive(Debug)]
pub enum Msg {
    /// Records to evaluate.
    Chunk(Chunk),
    /// A file was damaged (a truncated gzip stream): the records before the damage were sent.
    Damaged(String),
    /// A file cannot be read at all: the run stops here (the records before it were sent).
    Fatal(InputError),
}

/// Fills chunks and hands them on.
struct Chunker<'t> {
    cur: Chunk,
    tx: &'t SyncSender<Msg>,
}

impl Chunker<'_> {
    /// Starts the records of a file.
    fn file(&mut self, shown: &str) -> u32 {
        if self.cur.files.last().map(|f| &**f) != Some(shown) {
            self.cur.files.push(Arc::from(shown));
        }
        (self.cur.files.len() - 1) as u32
    }

    /// Adds a record; `false` when the receiving side has gone.
    fn push(&mut self, shown: &str, index: usize, line: usize, text: Result<&str, String>) -> bool {
        let file = self.file(shown);
        let start = self.cur.text.len();
        let bad = match text {
            Ok(t) => {
                self.cur.text.extend_from_slice(t.as_bytes());
                None
            }
            Err(e) => Some(e.into_boxed_str()),
        };
        self.cur.spans.push(Span {
            file,
            index,
            start,
            end: self.cur.text.len(),
            line,
            bad,
        });
        if self.cur.spans.len() >= CHUNK_RECORDS || self.cur.text.len() >= CHUNK_BYTES {
            return self.flush();
        }
        true
    }

    /// Hands on the records gathered so far; `false` when the receiving side has gone.
    fn flush(&mut self) -> bool {
        if self.cur.spans.is_empty() {
            return true;
        }
        let c = std::mem::take(&mut self.cur);
        self.tx.send(Msg::Chunk(c)).is_ok()
    }

    /// Hands on the records before `at` in the text; what follows (a partial line) starts the
    /// next chunk.
    fn cut(&mut self, at: usize, shown: &str) -> bool {
        let mut next = Chunk {
            files: vec![Arc::from(shown)],
            text: Vec::with_capacity(CHUNK_BYTES + (2 << 20)),
            spans: Vec::with_capacity(CHUNK_RECORDS),
        };
        next.text.extend_from_slice(&self.cur.text[at..]);
        self.cur.text.truncate(at);
        let done = std::mem::replace(&mut self.cur, next);
        done.spans.is_empty() || self.tx.send(Msg::Chunk(done)).is_ok()
    }

    fn send(&mut self, m: Msg) -> bool {
        self.flush() && self.tx.send(m).is_ok()
    }
}

/// The reading thread: every file's records, in order, then nothing (a fatal error stops it).
pub fn read_all(files: &[PathBuf], tx: &SyncSender<Msg>) {
    let mut c = Chunker {
        cur: Chunk::default(),
        tx,
    };
    for f in files {
        let shown = f.display().to_string();
        match read_one(f, &shown, &mut c) {
            Ok(Some(damage)) => {
                if !c.send(Msg::Damaged(damage)) {
                    return;
                }
            }
            Ok(None) => {}
            Err(Stop::Gone) => return,
            Err(Stop::Input(e)) => {
                c.send(Msg::Fatal(e));
                return;
            }
        }
    }
    c.flush();
}

/// Why reading stopped early.
enum Stop {
    /// The receiving side has gone (it stopped on an error).
    Gone,
    /// The file cannot be read.
    Input(InputError),
}

impl From<InputError> for Stop {
    fn from(e: InputError) -> Stop {
        Stop::Input(e)
    }
}

/// A byte source that remembers a gzip stream's damage instead of failing.
struct Source {
    inner: Box<dyn Read + Send>,
    gzip: bool,
    shown: String,
    damage: Option<String>,
}

impl Source {
    /// Reads into `buf`; 0 at the end (or at a gzip stream's damage, then remembered).
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, InputError> {
        if self.damage.is_some() {
            return Ok(0);
        }
        loop {
            match self.inner.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if self.gzip => {
                    self.damage = Some(format!(
                        "{}: the gzip data is truncated or damaged ({e}); the records before it were read",
                        self.shown
                    ));
                    return Ok(0);
                }
                Err(e) => {
                    return Err(InputError::whole(
                        &self.shown,
                        crate::io::read::read_error(&e),
                    ))
                }
            }
        }
    }
}

impl Source {
    /// Appends up to `max` bytes to `v` (no zero-filling); 0 at the end or at the damage.
    fn fill_vec(&mut self, v: &mut Vec<u8>, max: usize) -> Result<usize, InputError> {
        if self.damage.is_some() {
            return Ok(0);
        }
        let before = v.len();
        match (&mut self.inner).take(max as u64).read_to_end(v) {
            Ok(n) => Ok(n),
            Err(e) if self.gzip => {
                self.damage = Some(format!(
                    "{}: the gzip data is truncated or damaged ({e}); the records before it were read",
                    self.shown
                ));
                Ok(v.len() - before)
            }
            Err(e) => Err(InputError::whole(
                &self.shown,
                crate::io::read::read_error(&e),
            )),
        }
    }
}

/// Opens a file, decompressing gzip (recognised by its magic bytes).
fn open(path: &Path, shown: &str) -> Result<Source, InputError> {
    let mut r = crate::io::read::open_read(path)?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match r.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(InputError::whole(shown, crate::io::read::read_error(&e))),
        }
    }
    let head = std::io::Cursor::new(magic[..got].to_vec());
    let joined = head.chain(r);
    let gzip = got == 2 && magic == [0x1f, 0x8b];
    let inner: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(
            std::io::BufReader::with_capacity(256 * 1024, joined),
        ))
    } else {
        Box::new(joined)
    };
    Ok(Source {
        inner,
        gzip,
        shown: shown.to_string(),
        damage: None,
    })
}

/// Whitespace as `str::trim` sees it, for the ASCII bytes that matter here.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Where the text starts once byte-order marks and whitespace are skipped.
fn content_start(buf: &[u8]) -> usize {
    let mut i = 0;
    while buf[i..].starts_with("\u{feff}".as_bytes()) {
        i += 3;
    }
    while i < buf.len() && is_ws(buf[i]) {
        i += 1;
    }
    i
}

/// Reads one file into the chunker: JSON Lines streamed, a document whole. Returns the file's
/// damage (a truncated gzip stream), if any.
fn read_one(path: &Path, shown: &str, c: &mut Chunker<'_>) -> Result<Option<String>, Stop> {
    let mut src = open(path, shown)?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    // Read until the first line is whole and something follows it (JSON Lines), or to the end.
    let mut block = vec![0u8; 1 << 20];
    // Bytes already searched for the first line break (each block is searched once: a log file
    // as delivered has none, and is read up to MAX_LINE_BYTES before that is known).
    let mut searched = 0usize;
    let mut first_nl: Option<usize> = None;
    let lines_at = loop {
        let start = content_start(&buf);
        if first_nl.is_none() {
            let from = searched.max(start);
            first_nl = memchr::memchr(b'\n', &buf[from..]).map(|i| from + i);
            searched = buf.len();
        }
        if let Some(nl) = first_nl {
            if buf[nl..].iter().any(|&b| !is_ws(b)) {
                let first = std::str::from_utf8(&buf[start..nl]).map(str::trim);
                let is_json = first.is_ok_and(|f| serde_json::from_str::<IgnoredAny>(f).is_ok());
                break is_json.then_some(start);
            }
        } else if buf.len() > MAX_LINE_BYTES {
            break None;
        }
        let n = src.fill(&mut block)?;
        if n == 0 {
            break None;
        }
        buf.extend_from_slice(&block[..n]);
    };
    if let Some(start) = lines_at {
        buf.drain(..start);
        drop(block);
        stream_lines(&mut src, buf, shown, c)?;
        return Ok(src.damage);
    }
    // A log file as delivered (`{"Records": [`) or an array of events: streamed record by
    // record.
    let start = content_start(&buf);
    if let Some(at) = list_start(&buf[start..]) {
        let log_file = buf[start] == b'{';
        drop(block);
        stream_list(&mut src, buf, start + at, shown, log_file, c)?;
        return Ok(src.damage);
    }
    // Another whole document: the rest of the file, within the limit.
    loop {
        if buf.len() as u64 > MAX_FILE_BYTES {
            let msg = if src.gzip {
                format!("decompresses to more than {MAX_FILE_BYTES} bytes")
            } else {
                format!("input is larger than the limit of {MAX_FILE_BYTES} bytes")
            };
            return Err(InputError::whole(shown, msg).into());
        }
        let n = src.fill(&mut block)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&block[..n]);
    }
    drop(block);
    document(&buf, shown, c)?;
    Ok(src.damage)
}

/// Streams JSON Lines: `head` starts at line 1; the rest comes from `src`. The file is read
/// straight into the chunk's text and cut into lines there (no copy but a partial last line).
fn stream_lines(
    src: &mut Source,
    head: Vec<u8>,
    shown: &str,
    c: &mut Chunker<'_>,
) -> Result<(), Stop> {
    let mut file = c.file(shown);
    let mut pos = c.cur.text.len();
    c.cur.text.extend_from_slice(&head);
    drop(head);
    let mut line = 0usize;
    let mut index = 0usize;
    // Bytes of an over-long line being skipped (it is not held).
    let mut skipping: Option<usize> = None;
    loop {
        // Every whole line read so far.
        while let Some(nl) = memchr::memchr(b'\n', &c.cur.text[pos..]).map(|i| pos + i) {
            line += 1;
            if let Some(len) = skipping.take() {
                let msg = too_long(line, len + (nl - pos));
                c.cur.spans.push(bad_span(file, index, pos, line, msg));
                index += 1;
            } else if let Some((a, b)) = non_blank(&c.cur.text[pos..nl]) {
                c.cur.spans.push(Span {
                    file,
                    index,
                    start: pos + a,
                    end: pos + b,
                    line,
                    bad: None,
                });
                index += 1;
            }
            pos = nl + 1;
        }
        // A full chunk goes on; the partial line starts the next one.
        if c.cur.spans.len() >= CHUNK_RECORDS || pos >= CHUNK_BYTES {
            if !c.cut(pos, shown) {
                return Err(Stop::Gone);
            }
            file = 0;
            pos = 0;
        }
        // An over-long partial line is dropped and only counted.
        if c.cur.text.len() - pos > MAX_LINE_BYTES {
            *skipping.get_or_insert(0) += c.cur.text.len() - pos;
            c.cur.text.truncate(pos);
        }
        if src.fill_vec(&mut c.cur.text, 1 << 20)? == 0 {
            break;
        }
    }
    // The last line, without a line break.
    let end = c.cur.text.len();
    if let Some(len) = skipping {
        line += 1;
        c.cur.spans.push(bad_span(
            file,
            index,
            pos,
            line,
            too_long(line, len + end - pos),
        ));
    } else if let Some((a, b)) = non_blank(&c.cur.text[pos..end]) {
        c.cur.spans.push(Span {
            file,
            index,
            start: pos + a,
            end: pos + b,
            line: line + 1,
            bad: None,
        });
    }
    Ok(())
}

fn bad_span(file: u32, index: usize, at: usize, line: usize, msg: String) -> Span {
    Span {
        file,
        index,
        start: at,
        end: at,
        line,
        bad: Some(msg.into_boxed_str()),
    }
}

/// The line without surrounding whitespace as `str::trim` sees it, or `None` for a blank line.
fn non_blank(raw: &[u8]) -> Option<(usize, usize)> {
    let a = raw.iter().position(|&b| !is_ws(b))?;
    let b = raw.len() - raw.iter().rev().position(|&b| !is_ws(b)).unwrap_or(0);
    // Other Unicode whitespace at an end: only `str::trim` can tell.
    if raw[a] >= 0x80 || raw[b - 1] >= 0x80 {
        if let Ok(t) = std::str::from_utf8(&raw[a..b]) {
            if t.trim().is_empty() {
                return None;
            }
        }
    }
    Some((a, b))
}

/// Where the list of events starts (just after its `[`) when `text` opens a log file as
/// delivered (`{"Records": [`, `"Records"` its first key) or an array.
fn list_start(text: &[u8]) -> Option<usize> {
    let ws = |mut i: usize| {
        while i < text.len() && is_ws(text[i]) {
            i += 1;
        }
        i
    };
    match text.first()? {
        b'[' => Some(1),
        b'{' => {
            let i = ws(1);
            let i = text[i..].starts_with(b"\"Records\"").then_some(i + 9)?;
            let i = ws(i);
            let i = (text.get(i) == Some(&b':')).then_some(ws(i + 1))?;
            (text.get(i) == Some(&b'[')).then_some(i + 1)
        }
        _ => None,
    }
}

/// Where the string whose contents start at `j` ends (just after its closing quote).
fn string_end(b: &[u8], mut j: usize) -> Option<usize> {
    loop {
        let k = j + memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[k] == b'"' {
            return Some(k + 1);
        }
        j = k + 2;
    }
}

/// Where the JSON value starting at `b[i]` ends, or `None` when `b` stops before its end. Only
/// the structure is followed (strings, nesting); the evaluating thread parses the value.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b[i] {
        b'"' => string_end(b, i + 1),
        b'{' | b'[' => nested_end(b, i),
        _ => b[i..]
            .iter()
            .position(|&c| matches!(c, b',' | b']' | b'}') || is_ws(c))
            .map(|n| i + n),
    }
}

/// Where the object or array opening at `b[i]` ends (just after its closing bracket), or `None`
/// when `b` stops first. Brackets of either kind count alike, and a backslash in a string hides
/// the byte after it. The text is classified 64 bytes at a time into bit masks of the bytes
/// that matter (`"`, `\`, opening and closing brackets). A block without a backslash (nearly
/// all of CloudTrail) is settled with a prefix XOR of its quotes, which marks the string bytes
/// at once, so only the brackets outside strings are visited; a block with one is walked byte
/// that matters by byte that matters.
fn nested_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    // A backslash was the last byte of the previous block: the first of this one is hidden.
    let mut hide_first = false;
    let mut base = i;
    while base < b.len() {
        let block = &b[base..b.len().min(base + 64)];
        let mut m = match <&[u8; 64]>::try_from(block) {
            Ok(full) => masks(full),
            Err(_) => masks_scalar(block),
        };
        if hide_first {
            m = m.without(1);
            hide_first = false;
        }
        let found = if m.backslash == 0 {
            // Bit k of `inside`: byte k is in a string (its opening quote included).
            let mut inside = prefix_xor(m.quote);
            if in_str {
                inside = !inside;
            }
            in_str ^= m.quote.count_ones() % 2 == 1;
            brackets(&mut depth, m.open & !inside, m.close & !inside)
        } else {
            walk(&mut depth, &mut in_str, &mut hide_first, &m)
        };
        if let Some(k) = found {
            return Some(base + k + 1);
        }
        base += 64;
    }
    None
}

/// Bit `k` of the result: the XOR of bits `0..=k` of `x`.
fn prefix_xor(mut x: u64) -> u64 {
    for s in [1, 2, 4, 8, 16, 32] {
        x ^= x << s;
    }
    x
}

/// Counts the brackets of a block (all outside strings) in order; the position of the one that
/// closes the value, if any.
fn brackets(depth: &mut usize, mut open: u64, mut close: u64) -> Option<usize> {
    while open | close != 0 {
        let (o, c) = (open.trailing_zeros(), close.trailing_zeros());
        if o < c {
            *depth += 1;
            open &= open - 1;
        } else {
            *depth -= 1;
            if *depth == 0 {
                return Some(c as usize);
            }
            close &= close - 1;
        }
    }
    None
}

/// Walks a block with a backslash, byte that matters by byte that matters; the position of the
/// bracket that closes the value, if any.
fn walk(depth: &mut usize, in_str: &mut bool, hide_first: &mut bool, m: &Masks) -> Option<usize> {
    let mut all = m.quote | m.backslash | m.open | m.close;
    while all != 0 {
        let k = all.trailing_zeros() as usize;
        let bit = 1u64 << k;
        all &= all - 1;
        if *in_str {
            if m.quote & bit != 0 {
                *in_str = false;
            } else if m.backslash & bit != 0 {
                if k == 63 {
                    *hide_first = true;
                } else {
                    all &= !(bit << 1);
                }
            }
        } else if m.quote & bit != 0 {
            *in_str = true;
        } else if m.open & bit != 0 {
            *depth += 1;
        } else if m.close & bit != 0 {
            *depth -= 1;
            if *depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// Which bytes of a block (bit `k` for byte `k`) are quotes, backslashes, `{` or `[`, `}` or `]`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

impl Masks {
    /// The masks without the bits of `hidden`.
    fn without(self, hidden: u64) -> Masks {
        Masks {
            quote: self.quote & !hidden,
            backslash: self.backslash & !hidden,
            open: self.open & !hidden,
            close: self.close & !hidden,
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn masks(block: &[u8; 64]) -> Masks {
    // SAFETY: SSE2 is part of the x86_64 baseline, and every load reads 16 bytes inside `block`.
    unsafe { masks_sse2(block) }
}

/// [`masks`] with SSE2: `c | 0x20` folds `[` onto `{` and `]` onto `}`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn masks_sse2(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::*;
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let open = _mm_set1_epi8(b'{' as i8);
    let close = _mm_set1_epi8(b'}' as i8);
    let fold = _mm_set1_epi8(0x20);
    let mut m = Masks {
        quote: 0,
        backslash: 0,
        open: 0,
        close: 0,
    };
    for lane in 0..4 {
        let v = _mm_loadu_si128(block.as_ptr().add(lane * 16) as *const __m128i);
        let f = _mm_or_si128(v, fold);
        let bits = |x: __m128i| (_mm_movemask_epi8(x) as u32 as u64 & 0xffff) << (lane * 16);
        m.quote |= bits(_mm_cmpeq_epi8(v, quote));
        m.backslash |= bits(_mm_cmpeq_epi8(v, backslash));
        m.open |= bits(_mm_cmpeq_epi8(f, open));
        m.close |= bits(_mm_cmpeq_epi8(f, close));
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
fn masks(block: &[u8; 64]) -> Masks {
    masks_scalar(block)
}

/// [`masks`] a byte at a time (the last, short block, and other architectures).
fn masks_scalar(block: &[u8]) -> Masks {
    let mut m = Masks {
        quote: 0,
        backslash: 0,
        open: 0,
        close: 0,
    };
    for (k, &c) in block.iter().enumerate() {
        let bit = 1u64 << k;
        match c {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'[' => m.open |= bit,
            b'}' | b']' => m.close |= bit,
            _ => {}
        }
    }
    m
}

/// Streams the events of a list: `buf[skip..]` starts just after its `[`; each event's text goes
/// to a chunk as it is read, so a log file of any size is held a chunk at a time. A damaged
/// event is an error record (the evaluating thread parses it); a list that ends early (a
/// truncated file) keeps the events before and is an error naming the file.
fn stream_list(
    src: &mut Source,
    buf: Vec<u8>,
    skip: usize,
    shown: &str,
    log_file: bool,
    c: &mut Chunker<'_>,
) -> Result<(), Stop> {
    let mut file = c.file(shown);
    // The text read so far becomes the chunk's when the chunk is empty (no copy of what was
    // read to tell a log file from JSON Lines, up to MAX_LINE_BYTES).
    let mut pos = if c.cur.text.is_empty() {
        c.cur.text = buf;
        skip
    } else {
        let pos = c.cur.text.len();
        c.cur.text.extend_from_slice(&buf[skip..]);
        pos
    };
    let mut index = 0usize;
    // After `[` or `,` an event is expected; after an event, `,` or `]`.
    let mut want_event = true;
    let mut eof = false;
    let closed = loop {
        let t = &c.cur.text;
        while pos < t.len() && is_ws(t[pos]) {
            pos += 1;
        }
        if pos < t.len() {
            let b = t[pos];
            if want_event && b == b']' && index == 0 {
                break Some(pos + 1);
            }
            if !want_event {
                match b {
                    b',' => {
                        want_event = true;
                        pos += 1;
                        continue;
                    }
                    b']' => break Some(pos + 1),
                    _ => break None,
                }
            }
            if matches!(b, b',' | b']' | b'}') {
                break None;
            }
            // A whole event, or at the end of the file its last (damaged) part.
            let end = match value_end(t, pos) {
                Some(e) => Some(e),
                None if eof => Some(t.len()),
                None => None,
            };
            if let Some(end) = end {
                c.cur.spans.push(Span {
                    file,
                    index,
                    start: pos,
                    end,
                    line: 0,
                    bad: None,
                });
                index += 1;
                pos = end;
                want_event = false;
                if eof && end == c.cur.text.len() {
                    break None;
                }
                continue;
            }
        } else if eof {
            break None;
        }
        // A full chunk goes on; the partial event starts the next one.
        if c.cur.spans.len() >= CHUNK_RECORDS || pos >= CHUNK_BYTES {
            if !c.cut(pos, shown) {
                return Err(Stop::Gone);
            }
            file = 0;
            pos = 0;
        }
        if c.cur.text.len() - pos > MAX_LINE_BYTES {
            return Err(InputError::whole(
                shown,
                format!("event {index} of the list is longer than {MAX_LINE_BYTES} bytes"),
            )
            .into());
        }
        if src.fill_vec(&mut c.cur.text, 1 << 20)? == 0 {
            eof = true;
        }
    };
    // What follows the list: the log file's closing brace (or nothing, for an array).
    match closed {
        Some(after) => after_list(src, c, after, shown, log_file),
        None if src.damage.is_some() => Ok(()),
        None => Err(InputError::whole(
            shown,
            format!("the list of events is damaged or ends early after {index} event(s); the events before were read"),
        )
        .into()),
    }
}

/// Checks what follows a list of events (from `after` in the chunk's text, then the file): the
/// log file's closing brace, or nothing for an array.
fn after_list(
    src: &mut Source,
    c: &mut Chunker<'_>,
    after: usize,
    shown: &str,
    log_file: bool,
) -> Result<(), Stop> {
    let mut rest = c.cur.text[after..].to_vec();
    c.cur.text.truncate(after);
    while rest.len() <= MAX_LINE_BYTES && src.fill_vec(&mut rest, 1 << 20)? > 0 {}
    let rest = std::str::from_utf8(&rest).unwrap_or("?").trim();
    let expected = if log_file { "}" } else { "" };
    if rest != expected && src.damage.is_none() {
        return Err(InputError::whole(
            shown,
            "unexpected text after the list of events: not CloudTrail as delivered",
        )
        .into());
    }
    Ok(())
}

fn too_long(line: usize, len: usize) -> String {
    format!("line {line}: the line is longer than {MAX_LINE_BYTES} bytes ({len})")
}

/// One line of JSON Lines (without its `\n`): blank lines are skipped (but counted).
fn one_line(
    raw: &[u8],
    shown: &str,
    line: &mut usize,
    index: &mut usize,
    c: &mut Chunker<'_>,
) -> bool {
    *line += 1;
    let text = match std::str::from_utf8(raw) {
        Ok(t) => Ok(t.trim()),
        Err(e) => Err(format!(
            "line {}: not UTF-8 text (at byte {})",
            *line,
            e.valid_up_to()
        )),
    };
    if text == Ok("") {
        return true;
    }
    let ok = c.push(shown, *index, *line, text);
    *index += 1;
    ok
}

/// `"Records"`: the list of events, or something else.
enum RecordsField<'a> {
    List(Vec<&'a RawValue>),
    NotList,
}

impl<'de: 'a, 'a> Deserialize<'de> for RecordsField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RecordsField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(r) = s.next_element::<&'de RawValue>()? {
                    v.push(r);
                }
                Ok(RecordsField::List(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(RecordsField::NotList)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(RecordsField::NotList)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(RecordsField::NotList)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(RecordsField::NotList)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(RecordsField::NotList)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(RecordsField::NotList)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RecordsField::NotList)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The top of a JSON document that is an object: a log file, or one event.
#[derive(Deserialize)]
struct TopObject<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<RecordsField<'a>>,
    #[serde(rename = "eventVersion", default)]
    event_version: Option<IgnoredAny>,
    #[serde(rename = "eventName", default)]
    event_name: Option<IgnoredAny>,
}

/// The records of a whole document (or JSON Lines whose first line is damaged).
fn document(bytes: &[u8], shown: &str, c: &mut Chunker<'_>) -> Result<(), Stop> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        InputError::whole(
            shown,
            format!("not UTF-8 text (at byte {})", e.valid_up_to()),
        )
    })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Ok(());
    }
    let first = trimmed.lines().next().unwrap_or("");
    let multi_line = trimmed.len() > first.len();
    let not_cloudtrail = || -> Stop {
        InputError::whole(
            shown,
            "this JSON file is not CloudTrail: expected {\"Records\": [...]} as delivered to S3, an event, or JSON Lines of events",
        )
        .into()
    };
    // One pass over the document: the events stay text, each parsed by whoever evaluates it.
    let items: Result<Vec<&RawValue>, serde_json::Error> = match trimmed.as_bytes()[0] {
        b'[' => serde_json::from_str::<Vec<&RawValue>>(trimmed),
        b'{' => match serde_json::from_str::<TopObject>(trimmed) {
            Ok(TopObject {
                records: Some(RecordsField::List(items)),
                ..
            }) => Ok(items),
            Ok(TopObject {
                records: Some(RecordsField::NotList),
                ..
            }) => {
                return Err(InputError::whole(
                    shown,
                    "\"Records\" must be a list of CloudTrail events",
                )
                .into())
            }
            Ok(TopObject {
                event_version,
                event_name,
                ..
            }) => {
                if event_version.is_none() && event_name.is_none() {
                    return Err(not_cloudtrail());
                }
                return push_all(c, shown, &[trimmed]);
            }
            // A key given twice, or not JSON at all: what `Value` says decides.
            Err(e) => match serde_json::from_str::<serde_json::Value>(trimmed) {
                Ok(v) => return value_document(v, shown, c),
                Err(_) => Err(e),
            },
        },
        _ => serde_json::from_str::<IgnoredAny>(trimmed).map(|_| Vec::new()),
    };
    match items {
        Ok(items) if matches!(trimmed.as_bytes()[0], b'[' | b'{') => {
            let texts: Vec<&str> = items.iter().map(|r| r.get()).collect();
            push_all(c, shown, &texts)
        }
        Ok(_) => Err(not_cloudtrail()),
        // Several lines that are not one document: JSON Lines whose first line is damaged
        // (each bad line becomes an error record).
        Err(_)
            if multi_line
                && trimmed
                    .lines()
                    .any(|l| serde_json::from_str::<IgnoredAny>(l.trim()).is_ok()) =>
        {
            let mut line = 0;
            let mut index = 0;
            for l in trimmed.split('\n') {
                if !one_line(l.as_bytes(), shown, &mut line, &mut index, c) {
                    return Err(Stop::Gone);
                }
            }
            Ok(())
        }
        Err(e) => Err(InputError::whole(
            shown,
            format!("neither a JSON document nor JSON Lines ({e}): not CloudTrail"),
        )
        .into()),
    }
}

/// A document the one-pass reader refused but `Value` reads (a key given twice: the last one
/// wins, as before).
fn value_document(v: serde_json::Value, shown: &str, c: &mut Chunker<'_>) -> Result<(), Stop> {
    use serde_json::Value;
    let items = match v {
        Value::Object(mut o) if o.contains_key("Records") => match o.remove("Records") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(InputError::whole(
                    shown,
                    "\"Records\" must be a list of CloudTrail events",
                )
                .into())
            }
        },
        Value::Object(ref o) if o.contains_key("eventVersion") || o.contains_key("eventName") => {
            vec![v]
        }
        _ => {
            return Err(InputError::whole(
                shown,
                "this JSON file is not CloudTrail: expected {\"Records\": [...]} as delivered to S3, an event, or JSON Lines of events",
            )
            .into())
        }
    };
    let texts: Vec<String> = items.iter().map(|v| v.to_string()).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    push_all(c, shown, &refs)
}

fn push_all(c: &mut Chunker<'_>, shown: &str, texts: &[&str]) -> Result<(), Stop> {
    for (i, t) in texts.iter().enumerate() {
        if !c.push(shown, i, 0, Ok(t)) {
            return Err(Stop::Gone);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time scan that [`nested_end`] replaced: the reference it must agree with.
    fn nested_end_bytewise(b: &[u8], i: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut j = i;
        while j < b.len() {
            match b[j] {
                b'"' => {
                    j = string_end(b, j + 1)?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j + 1);
                    }
                }
                _ => {}
            }
            j += 1;
        }
        None
    }

    /// Texts from a small alphabet heavy in the bytes that matter, so escapes, brackets and
    /// quotes land on every position of a 64-byte block, including its last byte.
    fn texts() -> Vec<Vec<u8>> {
        // Every other text without backslashes: whole blocks take the prefix-XOR path.
        let alphabets: [&[u8]; 2] = [b"{}[]\"\\|a :,", b"{}[]\"\"|aaaa :,"];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut out = Vec::new();
        for n in 0..3000 {
            let len = 1 + n % 300;
            let mut t = vec![b'{'];
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let alphabet = alphabets[n % 2];
                t.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            out.push(t);
        }
        // A realistic event with an escaped JSON policy inside a string, and one long string.
        let ev = br#"{"eventVersion":"1.08","requestParameters":{"policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Resource\":\"*\\\"\"}]}","tags":[{"k":"v"}]},"x":"}"}"#;
        out.push(ev.to_vec());
        let mut long = b"{\"a\":\"".to_vec();
        long.extend(std::iter::repeat_n(b'x', 200));
        long.extend_from_slice(b"\\\\\"}");
        out.push(long);
        out
    }

    #[test]
    fn nested_end_agrees_with_the_bytewise_scan_on_every_prefix() {
        let mut ended = 0;
        for t in texts() {
            for cut in 1..=t.len() {
                let b = &t[..cut];
                let want = nested_end_bytewise(b, 0);
                assert_eq!(
                    nested_end(b, 0),
                    want,
                    "text {:?}",
                    String::from_utf8_lossy(b)
                );
                ended += usize::from(want.is_some());
            }
            // Started later in a buffer (the block boundaries move).
            let mut shifted = b"  ,".to_vec();
            shifted.extend_from_slice(&t);
            assert_eq!(nested_end(&shifted, 3), nested_end_bytewise(&shifted, 3));
        }
        // The texts exercise values that end, not only ones cut short.
        assert!(ended > 1000, "{ended}");
    }

    #[test]
    fn nested_end_finds_the_event_end_past_an_escaped_policy() {
        let t = texts();
        let ev = &t[t.len() - 2];
        assert_eq!(nested_end(ev, 0), Some(ev.len()));
        let long = &t[t.len() - 1];
        assert_eq!(nested_end(long, 0), Some(long.len()));
        let m = masks_scalar(b"a\"b\\{}[]|z");
        assert_eq!(
            (m.quote, m.backslash, m.open, m.close),
            (0b10, 0b1000, 0b101_0000, 0b1010_0000)
        );
        // Both classifications agree on every byte value, at every position of a block.
        let mut block = [0u8; 64];
        for c in 0..=255u8 {
            for (k, b) in block.iter_mut().enumerate() {
                *b = if k % 3 == 0 {
                    c
                } else {
                    c.wrapping_add(k as u8)
                };
            }
            assert_eq!(masks(&block), masks_scalar(&block), "byte {c}");
        }
    }
}
