//! Bounded reads of input files and standard input.

use crate::diag::InputError;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// The default size limit for a whole input file (case files, scenarios, exports, SimulateCustomPolicy
/// input): 256 MiB. Policy documents have their own, smaller limit (`max_policy_bytes`).
pub const DEFAULT_INPUT_LIMIT: u64 = 256 << 20;

/// Set once standard input has been read: a second `-` in the same run is an error rather than
/// an empty document.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Whether `path` names standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads at most `limit` bytes of `path` (`-`: standard input). A regular file is required: a
/// FIFO, device or directory is refused without being opened. Over the limit is an error naming
/// the limit; no file content ever appears in an error.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let shown = path.display().to_string();
    let mut buf = Vec::new();
    if is_stdin(path) {
        if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
            return Err(InputError::whole(
                "-",
                "standard input was already read in this run: name \"-\" only once",
            ));
        }
        let n = std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| InputError::whole("-", format!("cannot read standard input: {e}")))?;
        if n as u64 > limit {
            return Err(too_large("standard input", limit));
        }
        return Ok(buf);
    }
    let meta = regular_file(path, &shown)?;
    if meta.len() > limit {
        return Err(too_large(&shown, limit));
    }
    let f = std::fs::File::open(path)
        .map_err(|e| InputError::whole(&shown, format!("cannot read file: {}", io_reason(&e))))?;
    let n = f
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| InputError::whole(&shown, format!("cannot read file: {}", io_reason(&e))))?;
    if n as u64 > limit {
        return Err(too_large(&shown, limit));
    }
    Ok(buf)
}

/// Opens `path` (`-`: standard input) for streaming, with the checks of [`read_bytes`] (a
/// regular file; standard input only once) but no size limit: the caller bounds what it holds.
pub fn open_read(path: &Path) -> Result<Box<dyn Read + Send>, InputError> {
    let shown = path.display().to_string();
    if is_stdin(path) {
        if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
            return Err(InputError::whole(
                "-",
                "standard input was already read in this run: name \"-\" only once",
            ));
        }
        return Ok(Box::new(std::io::stdin()));
    }
    regular_file(path, &shown)?;
    let f = std::fs::File::open(path)
        .map_err(|e| InputError::whole(&shown, format!("cannot read file: {}", io_reason(&e))))?;
    Ok(Box::new(f))
}

/// The reason of a read error, worded as in [`read_bytes`] errors.
pub fn read_error(e: &std::io::Error) -> String {
    format!("cannot read file: {}", io_reason(e))
}

/// `read_bytes`, then UTF-8: invalid UTF-8 is located by line and column.
pub fn read_text(path: &Path, limit: u64) -> Result<String, InputError> {
    let bytes = read_bytes(path, limit)?;
    utf8(bytes, &path.display().to_string())
}

/// Decodes UTF-8, locating the first invalid byte by line and column.
pub fn utf8(bytes: Vec<u8>, file: &str) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let pos = crate::json::pos_at(e.as_bytes(), at);
        InputError::at(
            file,
            pos,
            "",
            format!("file is not valid UTF-8 (at byte {at}): iamsim reads UTF-8 JSON"),
        )
    })
}

fn too_large(shown: &str, limit: u64) -> InputError {
    InputError::whole(
        shown,
        format!("input is larger than the limit of {limit} bytes"),
    )
}

/// The OS error without Rust's "(os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// The metadata of `path` when it is a regular file; a directory, FIFO, socket or device is
/// refused before it is opened (opening a FIFO would block).
fn regular_file(path: &Path, shown: &str) -> Result<std::fs::Metadata, InputError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| InputError::whole(shown, format!("cannot read file: {}", io_reason(&e))))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(InputError::whole(
            shown,
            format!("cannot read file: it is {what}"),
        ));
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_zero_fails_at_the_limit_without_reading_on() {
        let e = read_bytes(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{e}");
    }

    #[test]
    fn a_file_over_the_limit_is_an_error_naming_the_limit() {
        let dir = std::env::temp_dir().join(format!("iamsim-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("big.json");
        std::fs::write(&p, vec![b' '; 2000]).unwrap();
        let e = read_bytes(&p, 1000).unwrap_err();
        assert!(e.message.contains("limit of 1000 bytes"), "{e}");
        assert_eq!(read_bytes(&p, 2000).unwrap().len(), 2000);
        let e = read_bytes(&dir, 1000).unwrap_err();
        assert!(e.message.contains("a directory"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_utf8_is_located_by_line_and_column() {
        let e = utf8(b"{\n  \"a\": \"\xff\"}".to_vec(), "f.json").unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (2, 9), "{e}");
    }
}
