//! Any bytes as a case file: loading and running every test must not panic.
#![no_main]
use iamsim::cases::{load_case_text, run_test};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cf) = load_case_text(text, std::path::Path::new("/nonexistent/fuzz.json")) {
            for t in &cf.tests {
                let _ = run_test(t);
            }
        }
    }
});
