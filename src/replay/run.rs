//! The replay loop as a library: which policies decide each event ([`Resolver`]), and one file's
//! records parsed, mapped and evaluated on every core in chunks, the results handed back in
//! input order.

use super::{source, Summary};
use crate::compile::PolicySet;
use crate::values::Wildcard;

/// Where each event's policies come from.
pub enum Resolver {
    /// One scenario for every caller.
    Scenario(Box<PolicySet>, Box<Proposed>),
    /// Each caller's own policies from an account export.
    Export(
        Box<super::ExportPolicies>,
        Option<Box<super::ExportPolicies>>,
    ),
}

/// The proposed policy sets: one for every caller, and one per caller pattern.
pub struct Proposed {
    /// The set for callers no pattern names (`None`: no change proposed).
    pub all: Option<PolicySet>,
    /// Sets for callers whose ARN matches a pattern (the first match applies).
    pub patterns: Vec<(Wildcard, PolicySet)>,
}

/// Records per chunk handed to the workers.
pub const CHUNK: usize = 8192;

/// Parses, maps and evaluates one part of a chunk: its summary and its JSON Lines output.
fn work(
    resolver: &Resolver,
    shown: &str,
    part: Vec<(usize, super::source::RawRecord<'_>)>,
    jsonl: bool,
) -> (Summary, String) {
    let mut summary = Summary::default();
    let mut text = String::new();
    for (index, raw) in part {
        let rec = raw.parse();
        let caller = rec
            .as_ref()
            .ok()
            .and_then(|v| v.pointer("/userIdentity/arn"))
            .and_then(|a| a.as_str())
            .unwrap_or("")
            .to_string();
        let record = rec.as_ref().map_err(String::as_str);
        let result = match resolver {
            // The proposed set for this caller: the first pattern naming it, else the general one.
            Resolver::Scenario(baseline, proposed) => {
                let set = proposed
                    .patterns
                    .iter()
                    .find(|(w, _)| w.matches(&caller))
                    .map(|(_, s)| s)
                    .or(proposed.all.as_ref());
                summary.record_with(baseline, set, shown, index, record)
            }
            // The caller's own policies, compiled once per principal.
            Resolver::Export(base, prop) => {
                let p = prop.as_ref().and_then(|p| p.set_for(&caller).ok());
                let b = base.set_for(&caller);
                let sets = b
                    .as_ref()
                    .map(|b| (&**b, p.as_deref()))
                    .map_err(Clone::clone);
                summary.record_sets(sets, shown, index, record)
            }
        };
        if !jsonl {
            continue;
        }
        match (result, &rec) {
            (Some(r), _) => text.push_str(&serde_json::to_string(&r).unwrap_or_default()),
            (None, Err(e)) => text.push_str(
                &serde_json::json!({"file": shown, "index": index, "error": e}).to_string(),
            ),
            (None, Ok(_)) => continue,
        }
        text.push('\n');
    }
    (summary, text)
}

/// Replays one file's records: each chunk is split across `jobs` threads, the parts' summaries are
/// merged into `summary` in input order and their JSON Lines (with `jsonl`) passed to `emit`.
pub fn replay_file(
    resolver: &Resolver,
    shown: &str,
    mut records: source::Records<'_>,
    jobs: usize,
    jsonl: bool,
    summary: &mut Summary,
    emit: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let jobs = jobs.max(1);
    let mut index = 0usize;
    // Records go to the workers in chunks; each part of a chunk is parsed, mapped and
    // evaluated on its own thread, and the parts are written back in input order.
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            match records.next_raw() {
                Some(r) => {
                    chunk.push((index, r));
                    index += 1;
                }
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        let per = chunk.len().div_ceil(jobs);
        let mut parts: Vec<Vec<(usize, super::source::RawRecord<'_>)>> = Vec::new();
        let mut it = chunk.into_iter().peekable();
        while it.peek().is_some() {
            parts.push(it.by_ref().take(per).collect());
        }
        let outputs: Vec<(Summary, String)> = std::thread::scope(|sc| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|part| sc.spawn(move || work(resolver, shown, part, jsonl)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (part, text) in outputs {
            summary.merge(part);
            emit(&text)?;
        }
    }
    Ok(())
}
