//! The one writer for a subcommand's results.
//!
//! Every subcommand writes through an [`Output`], and `main` treats its errors once: a closed
//! pipe (`iamsim ... | head -1`) ends the process quietly with status 0, as ripgrep does; any
//! other write error (a full disk, a closed descriptor) is an error message and status 2 — never
//! a panic, and never a success with the report lost. The writer buffers, so the last write
//! error can surface only at [`Output::finish`], which `main` calls and checks.
//!
//! Text written through an `Output` is filtered for the terminal unless it was opened raw: a
//! control character that came from an input file (a test name with an ESC sequence) is written
//! as `\u{1b}`, so it cannot clear the screen. The only escape sequences let through are the SGR
//! colour codes iamsim itself writes, and only when colour is on.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File(BufWriter<File>),
    Memory(Vec<u8>),
}

/// Standard output or an output file, with colour decided once and terminal-safe text.
pub struct Output {
    sink: Sink,
    colour: bool,
    filter: bool,
    /// Bytes of an escape sequence (or a UTF-8 lead byte) split across two writes.
    pending: Vec<u8>,
    scratch: Vec<u8>,
}

/// Whether colour should be used on a stream: it is a terminal, `NO_COLOR` is unset or empty,
/// and `TERM` is not `dumb`. The one place this is decided.
pub fn colour_for(is_terminal: bool) -> bool {
    is_terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

impl Output {
    /// Standard output, filtered, coloured when it is a terminal (see `colour_for`).
    pub fn stdout() -> Output {
        let colour = colour_for(io::stdout().is_terminal());
        Output::new(
            Sink::Stdout(BufWriter::with_capacity(64 << 10, io::stdout())),
            colour,
        )
    }

    /// An in-memory output (tests and library callers).
    pub fn memory() -> Output {
        Output::new(Sink::Memory(Vec::new()), false)
    }

    /// Creates `path` for writing, refusing it when it is one of `inputs` (same device and
    /// inode): `batch -o in.jsonl in.jsonl` would otherwise truncate its own input.
    pub fn create(path: &Path, inputs: &[&Path]) -> Result<Output, String> {
        if let Some(same) = inputs.iter().find(|i| same_file(path, i)) {
            return Err(format!(
                "the output file {} is the input {}: writing it would destroy the input",
                path.display(),
                same.display()
            ));
        }
        let f = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Output::new(
            Sink::File(BufWriter::with_capacity(64 << 10, f)),
            false,
        ))
    }

    fn new(sink: Sink, colour: bool) -> Output {
        Output {
            sink,
            colour,
            filter: true,
            pending: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// No terminal filtering (JSON Lines in bulk, where serde already escapes controls).
    pub fn raw(mut self) -> Output {
        self.filter = false;
        self
    }

    /// Writes `buf` without the terminal filter: for text that is terminal-safe already (JSON
    /// whose strings escape every control character, as `replay --format jsonl` writes it).
    pub fn write_unfiltered(&mut self, buf: &[u8]) -> io::Result<()> {
        if !self.pending.is_empty() {
            return io::Write::write_all(self, buf);
        }
        self.sink_write(buf)
    }

    /// The width text should fit: `requested` (a `--width` flag) if given, else the terminal's
    /// width when this is a terminal, else unlimited (a file or a pipe gets unwrapped lines).
    pub fn width(&self, requested: Option<usize>) -> usize {
        if let Some(w) = requested {
            return w.max(40);
        }
        match &self.sink {
            Sink::Stdout(_) if io::stdout().is_terminal() => terminal_size::terminal_size()
                .map(|(w, _)| w.0 as usize)
                .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
                .unwrap_or(100)
                .max(40),
            _ => usize::MAX,
        }
    }

    /// Whether text should be coloured.
    pub fn colour(&self) -> bool {
        self.colour
    }

    /// What was written to a [`Output::memory`] output.
    pub fn memory_text(&self) -> String {
        match &self.sink {
            Sink::Memory(v) => String::from_utf8_lossy(v).into_owned(),
            _ => String::new(),
        }
    }

    /// Flushes everything; the error, if any, is the one `main` reports.
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let p = std::mem::take(&mut self.pending);
            let mut out = Vec::new();
            for b in p {
                escape_byte(b, &mut out);
            }
            self.sink_write(&out)?;
        }
        self.flush()
    }

    fn sink_write(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.write_all(buf),
            Sink::File(w) => w.write_all(buf),
            Sink::Memory(v) => {
                v.extend_from_slice(buf);
                Ok(())
            }
        }
    }

    /// Runs the terminal filter over `buf` (with any pending bytes in front) into `scratch`.
    fn filtered(&mut self, buf: &[u8]) {
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(buf);
        let out = &mut self.scratch;
        out.clear();
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match b {
                b'\n' | b'\t' => out.push(b),
                0x1b => {
                    // Let through `ESC [ digits;digits m` (colour) when colour is on.
                    let mut j = i + 1;
                    if j >= input.len() {
                        self.pending.extend_from_slice(&input[i..]);
                        break;
                    }
                    let mut ok = false;
                    if self.colour && input[j] == b'[' {
                        j += 1;
                        while j < input.len() && (input[j].is_ascii_digit() || input[j] == b';') {
                            j += 1;
                        }
                        if j >= input.len() && j - i < 32 {
                            self.pending.extend_from_slice(&input[i..]);
                            break;
                        }
                        ok = j < input.len() && input[j] == b'm';
                    }
                    if ok {
                        out.extend_from_slice(&input[i..=j]);
                        i = j + 1;
                        continue;
                    }
                    escape_byte(b, out);
                }
                0x00..=0x1f | 0x7f => escape_byte(b, out),
                0xc2 => {
                    // U+0080..U+009F (C1 controls, CSI among them) are C2 80..C2 9F in UTF-8.
                    match input.get(i + 1) {
                        None => {
                            self.pending.push(b);
                            break;
                        }
                        Some(&n) if (0x80..=0x9f).contains(&n) => {
                            out.extend_from_slice(format!("\\u{{{n:x}}}").as_bytes());
                            i += 2;
                            continue;
                        }
                        Some(_) => out.push(b),
                    }
                }
                _ => out.push(b),
            }
            i += 1;
        }
    }
}

fn escape_byte(b: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes());
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if !self.filter {
            return self.sink_write(buf);
        }
        self.filtered(buf);
        let out = std::mem::take(&mut self.scratch);
        let r = self.sink_write(&out);
        self.scratch = out;
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::File(w) => w.flush(),
            Sink::Memory(_) => Ok(()),
        }
    }
}

/// Whether two paths name the same existing file (same device and inode).
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if crate::io::read::is_stdin(a) || crate::io::read::is_stdin(b) {
        return false;
    }
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escape_sequence_from_input_is_written_as_text() {
        let mut o = Output::memory();
        writeln!(o, "FAIL x: a\u{1b}[2Jb \u{1b}]0;title\u{7}").unwrap();
        o.finish().unwrap();
        assert_eq!(
            o.memory_text(),
            "FAIL x: a\\u{1b}[2Jb \\u{1b}]0;title\\u{7}\n"
        );
    }

    #[test]
    fn colour_codes_pass_only_when_colour_is_on_even_split_across_writes() {
        let mut o = Output::memory();
        o.colour = true;
        o.write_all(b"\x1b[1").unwrap();
        o.write_all(b";31mred\x1b[0m \x1b[2J\n").unwrap();
        o.finish().unwrap();
        assert_eq!(o.memory_text(), "\x1b[1;31mred\x1b[0m \\u{1b}[2J\n");
    }

    #[test]
    fn c1_controls_are_escaped_and_other_text_kept() {
        let mut o = Output::memory();
        o.write_all("é\u{9b}2J ü".as_bytes()).unwrap();
        o.finish().unwrap();
        assert_eq!(o.memory_text(), "é\\u{9b}2J ü");
    }

    #[test]
    fn an_output_file_equal_to_an_input_is_refused() {
        let p = std::env::temp_dir().join(format!("iamsim-same-{}.jsonl", std::process::id()));
        std::fs::write(&p, "{}\n").unwrap();
        let e = Output::create(&p, &[&p]).err().unwrap();
        assert!(e.contains("would destroy the input"), "{e}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{}\n");
        std::fs::remove_file(&p).unwrap();
    }
}
