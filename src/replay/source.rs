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
        let mut found = Vec::new();
        walk(p, &mut found).map_err(|e| {
            InputError::whole(
                &p.display().to_string(),
                format!("cannot read directory: {e}"),
            )
        })?;
        found.sort();
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

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        let ft = e.file_type()?;
        if ft.is_dir() {
            walk(&p, out)?;
        } else if ft.is_file() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".gz") {
                out.push(p);
            }
        }
    }
    Ok(())
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

/// Splits a file's text into records: `Err(message)` for a record that is not valid JSON.
pub fn records(bytes: &[u8], shown: &str) -> Result<Vec<Result<Value, String>>, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        InputError::whole(
            shown,
            format!("not UTF-8 text (at byte {})", e.valid_up_to()),
        )
    })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    // A whole document: a log file, an array, or one event.
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return match v {
            Value::Object(ref o) if o.get("Records").is_some() => match o.get("Records") {
                Some(Value::Array(items)) => Ok(items.iter().cloned().map(Ok).collect()),
                _ => Err(InputError::whole(shown, "\"Records\" must be a list of CloudTrail events")),
            },
            Value::Object(ref o) if o.contains_key("eventVersion") || o.contains_key("eventName") => Ok(vec![Ok(v)]),
            Value::Array(items) => Ok(items.into_iter().map(Ok).collect()),
            _ => Err(InputError::whole(
                shown,
                "this JSON file is not CloudTrail: expected {\"Records\": [...]} as delivered to S3, an event, or JSON Lines of events",
            )),
        };
    }
    // JSON Lines: one event per line.
    let mut out = Vec::new();
    for (n, line) in trimmed.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        out.push(serde_json::from_str::<Value>(l).map_err(|e| format!("line {}: {e}", n + 1)));
    }
    if out.iter().all(Result::is_err) {
        return Err(InputError::whole(
            shown,
            "neither a JSON document nor JSON Lines: not CloudTrail",
        ));
    }
    Ok(out)
}
