//! Reading CloudTrail records from files, directories and standard input.
//!
//! A file is a CloudTrail log file as delivered to S3 (`{"Records": [...]}`), an array of
//! events, a single event, or JSON Lines (one event per line); any of them may be gzipped
//! (`.gz`, or detected by its magic bytes). Directories are walked recursively in name order
//! (directory symlinks are not followed). A JSON file that is not CloudTrail is an error naming
//! it; a malformed record or line is an error record and the run goes on; a truncated gzip file
//! keeps the records read before the damage and is reported.

use crate::diag::InputError;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most a single input file may hold once decompressed.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

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

/// Reads one file's bytes, decompressing gzip. A truncated or damaged gzip stream returns the
/// bytes before the damage and the error.
pub fn read_file(path: &Path) -> Result<(Vec<u8>, Option<String>), InputError> {
    let shown = path.display().to_string();
    let raw = crate::io::read_bytes(path, MAX_FILE_BYTES)?;
    if raw.len() < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
        return Ok((raw, None));
    }
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(&raw[..]).take(MAX_FILE_BYTES + 1);
    match dec.read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > MAX_FILE_BYTES => Err(InputError::whole(&shown, format!("decompresses to more than {MAX_FILE_BYTES} bytes"))),
        Ok(_) => Ok((out, None)),
        Err(e) => Ok((out, Some(format!("{shown}: the gzip data is truncated or damaged ({e}); the records before it were read")))),
    }
}

/// The records of one file: a whole document's events, or JSON Lines parsed one line at a time
/// (so memory holds one event, not the file's worth of parsed events).
pub enum Records<'a> {
    /// A log file, an array or one event.
    Doc(std::vec::IntoIter<Value>),
    /// JSON Lines: the remaining text and the next line number.
    Lines(std::iter::Enumerate<std::str::Lines<'a>>),
}

/// One record before parsing: JSON Lines are parsed by whoever evaluates them (in parallel).
pub enum RawRecord<'a> {
    /// Already parsed (from a whole document).
    Parsed(Value),
    /// One line of JSON Lines and its 1-based number.
    Line(usize, &'a str),
}

impl RawRecord<'_> {
    /// The record's JSON, or why it is not JSON.
    pub fn parse(self) -> Result<Value, String> {
        match self {
            RawRecord::Parsed(v) => Ok(v),
            RawRecord::Line(n, l) => {
                serde_json::from_str::<Value>(l).map_err(|e| format!("line {n}: {e}"))
            }
        }
    }
}

impl<'a> Records<'a> {
    /// The next record, unparsed.
    pub fn next_raw(&mut self) -> Option<RawRecord<'a>> {
        match self {
            Records::Doc(it) => it.next().map(RawRecord::Parsed),
            Records::Lines(it) => loop {
                let (n, line) = it.next()?;
                let l = line.trim();
                if !l.is_empty() {
                    return Some(RawRecord::Line(n + 1, l));
                }
            },
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Value, String>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Records::Doc(it) => it.next().map(Ok),
            Records::Lines(it) => loop {
                let (n, line) = it.next()?;
                let l = line.trim();
                if !l.is_empty() {
                    return Some(
                        serde_json::from_str::<Value>(l)
                            .map_err(|e| format!("line {}: {e}", n + 1)),
                    );
                }
            },
        }
    }
}

/// Splits a file's text into records: `Err(message)` for a record that is not valid JSON. A
/// JSON document that is not CloudTrail is an error naming the file.
pub fn records<'a>(bytes: &'a [u8], shown: &str) -> Result<Records<'a>, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        InputError::whole(
            shown,
            format!("not UTF-8 text (at byte {})", e.valid_up_to()),
        )
    })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Ok(Records::Doc(Vec::new().into_iter()));
    }
    // JSON Lines when the first line is a complete object and more lines follow.
    let first = trimmed.lines().next().unwrap_or("");
    let multi_line = trimmed.len() > first.len();
    if multi_line && serde_json::from_str::<serde::de::IgnoredAny>(first.trim()).is_ok() {
        return Ok(Records::Lines(trimmed.lines().enumerate()));
    }
    // A whole document: a log file, an array, or one event.
    let v: Value = match serde_json::from_str(trimmed) {
        Ok(v) => v,
        // Several lines that are not one document: JSON Lines whose first line is damaged
        // (each bad line becomes an error record).
        Err(_)
            if multi_line
                && trimmed
                    .lines()
                    .any(|l| serde_json::from_str::<serde::de::IgnoredAny>(l.trim()).is_ok()) =>
        {
            return Ok(Records::Lines(trimmed.lines().enumerate()));
        }
        Err(e) => {
            return Err(InputError::whole(
                shown,
                format!("neither a JSON document nor JSON Lines ({e}): not CloudTrail"),
            ))
        }
    };
    match v {
        Value::Object(mut o) if o.contains_key("Records") => match o.remove("Records") {
            Some(Value::Array(items)) => Ok(Records::Doc(items.into_iter())),
            _ => Err(InputError::whole(shown, "\"Records\" must be a list of CloudTrail events")),
        },
        Value::Object(ref o) if o.contains_key("eventVersion") || o.contains_key("eventName") => {
            Ok(Records::Doc(vec![v].into_iter()))
        }
        Value::Array(items) => Ok(Records::Doc(items.into_iter())),
        _ => Err(InputError::whole(
            shown,
            "this JSON file is not CloudTrail: expected {\"Records\": [...]} as delivered to S3, an event, or JSON Lines of events",
        )),
    }
}
