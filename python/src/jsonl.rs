//! The adapter between the Python module and `iamsim::batch`: every bulk path of the module —
//! `evaluate_jsonl` and the Arrow path — runs on a [`batch`] made here.

use iamsim::batch::{Batch, Options, Stats};
use iamsim::Engine;

/// A bulk run over the engine's set, as `iamsim batch` makes one (its clock read now).
pub fn batch(engine: &Engine) -> Batch<'_> {
    Batch::new(
        engine.policy_set(),
        engine.scenario().principal.clone(),
        iamsim::scenario::now_secs(),
        Options::default(),
    )
}

/// Evaluates JSON lines as `iamsim batch` does, returning its output bytes (one line per
/// input line, numbered from 1).
pub fn evaluate(engine: &Engine, data: &[u8]) -> Vec<u8> {
    let batch = batch(engine);
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    let mut stats = Stats::default();
    batch.worker().chunk(1, data, &mut out, &mut stats);
    out
}
