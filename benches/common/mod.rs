//! Shared set-up of the benches: loading the bundled scenarios and building requests.

use iamsim::cases::{read_json, read_scenario, Fields, PolicyLoader, ScenarioSpec};
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reads a scenario file of `testdata/batch/` (not compiled).
pub fn scenario(name: &str) -> ScenarioSpec {
    let path = root().join("testdata/batch").join(name);
    let j = read_json(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut loader = PolicyLoader::default();
    read_scenario(
        &Fields {
            own: &j,
            defaults: None,
        },
        &path.display().to_string(),
        path.parent().unwrap_or(Path::new(".")),
        &mut loader,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// `n` generated request lines (as `iamsim batch` reads them).
pub fn request_lines(n: usize, seed: u64) -> Vec<String> {
    let mut r = crate::workload::Rng::new(seed);
    (0..n)
        .map(|_| {
            let mut s = String::new();
            crate::workload::request_line(&mut r, &mut s);
            s.pop(); // the line break
            s
        })
        .collect()
}
