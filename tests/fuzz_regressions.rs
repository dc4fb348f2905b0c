//! Inputs the fuzzers found (tests/fuzz_regressions/): each must be handled without a panic,
//! through every reader that fuzz target exercised.

use iamsim::cases::{load_case_text, run_test};
use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};

#[test]
fn fuzzer_findings_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for kind in [
            PolicyKind::Identity,
            PolicyKind::Scp,
            PolicyKind::Rcp,
            PolicyKind::Resource,
        ] {
            let _ = parse_policy_text(&text, "f", "f", kind, ParseOptions::default());
        }
        if let Ok(cf) = load_case_text(&text, &path) {
            for t in &cf.tests {
                let _ = run_test(t);
            }
        }
        n += 1;
    }
    assert!(n >= 1, "no regression inputs found in {}", dir.display());
}

#[test]
fn non_ascii_operator_name_is_reported_as_unknown() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz_regressions/policy_reader-non-ascii-operator.json"),
    )
    .unwrap();
    let err = parse_policy_text(
        &text,
        "f",
        "f",
        PolicyKind::Identity,
        ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.iter().any(|d| d.code == "invalid-condition-operator"),
        "{err:?}"
    );
}
