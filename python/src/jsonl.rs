//! The one adapter between the Python module and `iamsim::batch` (which is being reworked on
//! another branch): every bulk path of the module — `evaluate_jsonl` and the Arrow path —
//! goes through [`evaluate`], so re-pointing it at a new batch API is a change here only.

use iamsim::batch::{Batch, Options, Stats};
use iamsim::Engine;

/// Evaluates JSON lines as `iamsim batch` does, returning its output bytes (one line per
/// input line, numbered from 1).
pub fn evaluate(engine: &Engine, data: &[u8]) -> Vec<u8> {
    let batch = Batch::new(
        engine.policy_set(),
        engine.scenario().principal.clone(),
        iamsim::scenario::now_secs(),
        Options::default(),
    );
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    let mut stats = Stats::default();
    batch.worker().chunk(1, data, &mut out, &mut stats);
    out
}
