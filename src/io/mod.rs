//! The one way iamsim reads and writes files.
//!
//! * [`read`]: bounded reads — at most the limit plus one byte is ever read, so `/dev/zero` or a
//!   huge file fails fast instead of filling memory; FIFOs, devices and directories are refused
//!   before they are opened (opening a FIFO blocks until a writer appears); `-` is standard
//!   input, which can be read once per process.
//! * [`paths`]: `{"file": ...}` references resolve relative to the file that names them and must
//!   stay inside the allowed roots (the current directory, the directories of the inputs named on
//!   the command line, and any `--root`), after symlinks are resolved.
//! * [`output`]: the one writer behind every subcommand's standard output or `-o FILE`: text
//!   echoed from input is made safe for a terminal, colour is decided once, an output file that
//!   is one of the inputs is refused.
//!
//! Errors never echo the contents of a file that could not be read.

pub mod escape;
pub mod output;
pub mod paths;
pub mod read;

pub use escape::{term, xml};
pub use output::Output;
pub use paths::Roots;
pub use read::{read_text, DEFAULT_INPUT_LIMIT};
