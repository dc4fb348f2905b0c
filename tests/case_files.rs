//! Runs the bundled case files and the shared conformance cases through the library.

use iamsim::cases::{collect_files, load_case_file, run_test};
use std::path::{Path, PathBuf};

fn run_dir(dir: &Path) -> (usize, Vec<String>) {
    let files = collect_files(&[dir.to_path_buf()]).expect("list case files");
    assert!(!files.is_empty(), "no case files under {}", dir.display());
    let mut passed = 0;
    let mut failures = Vec::new();
    for f in files {
        let cf = load_case_file(&f).unwrap_or_else(|e| panic!("{e}"));
        for t in &cf.tests {
            let r = run_test(t).unwrap_or_else(|e| panic!("{e}"));
            if r.passed() {
                passed += 1;
            } else {
                failures.push(format!(
                    "{}: {}: expected {}, got {} ({})",
                    f.display(),
                    r.name,
                    r.expect,
                    r.outcome.decision,
                    r.deciding
                ));
            }
        }
    }
    (passed, failures)
}

#[test]
fn bundled_testdata_cases_pass() {
    let (passed, failures) =
        run_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/cases"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(passed >= 30, "only {passed} bundled tests ran");
}

#[test]
fn shared_conformance_cases_pass() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: {} not found; the shared conformance cases are not available here",
            dir.display()
        );
        return;
    }
    let (passed, failures) = run_dir(&dir);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 236, "only {passed} conformance tests ran");
}
