//! The `iamsim` binary: the command line lives in the library (`iamsim::cli_main`), so that
//! the binary is glue and the library's internals can stay private to it.

fn main() {
    std::process::exit(iamsim::cli_main());
}
