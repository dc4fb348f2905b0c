//! The replay loop as a library: which policies decide each event ([`Resolver`]), the
//! per-thread [`Worker`] that reads, maps and evaluates records, and [`replay_files`], which
//! reads the input on one thread and evaluates it on `jobs` others, the results handed back in
//! input order.
//!
//! Speed: a record is read into a typed view that borrows from its text (`serde_json::Value`
//! only for odd records); each caller's principal, policy sets and bound request context (per
//! policy set and preset) are computed once per thread and reused, so an event costs one parse,
//! a few slot writes and one evaluation per policy set.

use super::event::{self, EvKey, Event, EventKind, MappedEvent, Mapping, Observed};
use super::{bump, source, Summary};
use crate::compile::{KeyId, PolicySet, Slots};
use crate::context::{CtxValue, Preset, Principal};
use crate::diag::InputError;
use crate::eval::{Decision, Outcome, Request};
use crate::values::Wildcard;
use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::sync::Arc;

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

/// Callers (and parsed ARNs) a worker keeps before starting its caches afresh: memory follows
/// the number of distinct callers only up to this.
const MAX_CACHED: usize = 8192;

/// A policy set a worker holds for a caller.
#[derive(Clone)]
enum SetRef<'r> {
    Borrowed(&'r PolicySet),
    Shared(Arc<PolicySet>),
}

impl SetRef<'_> {
    fn get(&self) -> &PolicySet {
        match self {
            SetRef::Borrowed(s) => s,
            SetRef::Shared(s) => s,
        }
    }
}

/// What a worker keeps per policy set: statement labels and the ids of the keys it writes.
struct SetInfo {
    /// `policy#Sid` per statement id.
    labels: Vec<String>,
    /// The same, JSON-quoted.
    labels_json: Vec<String>,
    /// Ids of the keys events set, by [`EvKey::index`].
    ev: [Option<KeyId>; 10],
    epoch: Option<KeyId>,
    token: Option<KeyId>,
}

impl SetInfo {
    fn new(set: &PolicySet) -> SetInfo {
        let labels: Vec<String> = (0..set.statement_count() as u32)
            .map(|id| crate::report::statement_ref(set, id).label)
            .collect();
        let labels_json = labels
            .iter()
            .map(|l| {
                let mut v = Vec::new();
                json_str(&mut v, l);
                String::from_utf8(v).unwrap_or_default()
            })
            .collect();
        let id = |k: &str| set.keys().id(&k.to_ascii_lowercase());
        SetInfo {
            labels,
            labels_json,
            ev: EvKey::ALL.map(|k| id(k.name())),
            epoch: id("aws:EpochTime"),
            token: id("aws:TokenIssueTime"),
        }
    }
}

/// A caller's policy sets and bound contexts, per worker.
struct CallerEntry<'r> {
    base: Result<SetRef<'r>, String>,
    prop: Option<SetRef<'r>>,
    /// The context bound for (baseline or proposed, preset), the request time still to write.
    tmpls: Vec<(bool, Preset, Slots)>,
}

/// Reads, maps and evaluates records; one per thread, its caches kept across chunks.
pub struct Worker<'r> {
    resolver: &'r Resolver,
    /// The request time of events without a readable `eventTime`.
    now: i64,
    principals: FxHashMap<String, Result<Arc<Principal>, String>>,
    callers: FxHashMap<String, CallerEntry<'r>>,
    sets: FxHashMap<usize, SetInfo>,
    work: Slots,
    key: String,
}

/// One decision: the outcome and the set's address (for its labels).
struct Decided {
    outcome: Outcome,
    set: usize,
}

/// The policy sets for `caller`, resolved once per worker.
fn entry<'a, 'r>(
    resolver: &'r Resolver,
    callers: &'a mut FxHashMap<String, CallerEntry<'r>>,
    caller: &str,
) -> &'a mut CallerEntry<'r> {
    if !callers.contains_key(caller) {
        // Bounded: many distinct callers (session names) start the cache afresh.
        if callers.len() >= MAX_CACHED {
            callers.clear();
        }
        let (base, prop) = match resolver {
            // The proposed set for this caller: the first pattern naming it, else the
            // general one.
            Resolver::Scenario(baseline, proposed) => {
                let set = proposed
                    .patterns
                    .iter()
                    .find(|(w, _)| w.matches(caller))
                    .map(|(_, s)| s)
                    .or(proposed.all.as_ref());
                (Ok(SetRef::Borrowed(baseline)), set.map(SetRef::Borrowed))
            }
            // The caller's own policies, compiled once per principal.
            Resolver::Export(base, prop) => {
                let p = prop
                    .as_ref()
                    .and_then(|p| p.set_for(caller).ok())
                    .map(SetRef::Shared);
                (base.set_for(caller).map(SetRef::Shared), p)
            }
        };
        let e = CallerEntry {
            base,
            prop,
            tmpls: Vec::new(),
        };
        callers.insert(caller.to_string(), e);
    }
    callers.get_mut(caller).expect("inserted above")
}

impl<'r> Worker<'r> {
    /// A worker for `resolver`; `now` (epoch seconds) is the time of events without one.
    pub fn new(resolver: &'r Resolver, now: i64) -> Worker<'r> {
        Worker {
            resolver,
            now,
            principals: FxHashMap::default(),
            callers: FxHashMap::default(),
            sets: FxHashMap::default(),
            work: Slots { values: Vec::new() },
            key: String::new(),
        }
    }

    /// The policy sets for `caller`, resolved once.
    fn entry(&mut self, caller: &str) -> &mut CallerEntry<'r> {
        entry(self.resolver, &mut self.callers, caller)
    }

    /// Evaluates the call `e` under the caller's baseline (`proposed == false`) or proposed set.
    fn decide(
        &mut self,
        caller: &str,
        proposed: bool,
        e: &MappedEvent<'_>,
        p: &Principal,
    ) -> Option<Decided> {
        let now = self.now;
        let entry = entry(self.resolver, &mut self.callers, caller);
        let set = if proposed {
            entry.prop.clone()?
        } else {
            entry.base.clone().ok()?
        };
        let set = set.get();
        let addr = set as *const PolicySet as usize;
        // The principal's context for this preset, bound once (the time is written below).
        let ti = match entry
            .tmpls
            .iter()
            .position(|(pr, ps, _)| *pr == proposed && *ps == e.preset)
        {
            Some(i) => i,
            None => {
                let slots = set.bind(&set.principal_context(p, e.preset, 0));
                entry.tmpls.push((proposed, e.preset, slots));
                entry.tmpls.len() - 1
            }
        };
        let tmpl = &entry.tmpls[ti].2;
        let info = self.sets.entry(addr).or_insert_with(|| SetInfo::new(set));
        let w = &mut self.work.values;
        w.clone_from(&tmpl.values);
        // The request time: the event's, else the run's clock (as `request_context_at`).
        let time = e
            .keys
            .iter()
            .find(|(k, _)| *k == EvKey::CurrentTime)
            .map(|(_, t)| *t);
        let at = time
            .and_then(crate::scenario::request::time_override_secs)
            .unwrap_or(now);
        let put = |w: &mut Vec<Option<CtxValue>>, id: Option<KeyId>, v: &dyn Fn() -> CtxValue| {
            if let Some(id) = id {
                w[id as usize] = Some(v());
            }
        };
        put(w, info.ev[EvKey::CurrentTime.index()], &|| {
            CtxValue::One(crate::values::format_date(at))
        });
        put(w, info.epoch, &|| CtxValue::One(at.to_string()));
        if let Some(id) = info.token {
            if w[id as usize].is_some() {
                w[id as usize] = Some(CtxValue::One(crate::values::format_date(
                    at - crate::context::PRESET_SESSION_AGE_SECS,
                )));
            }
        }
        // The resource-derived keys, then the event's keys on top.
        let ids = set.resource_key_ids();
        if !ids.is_empty() {
            let rk = set.resource_keys(p, &e.resource);
            if let Some(a) = rk.account {
                put(w, ids.account, &|| CtxValue::One(a.to_string()));
            }
            if let Some((oid, path)) = rk.org {
                put(w, ids.org_id, &|| CtxValue::One(oid.to_string()));
                put(w, ids.org_paths, &|| CtxValue::Many(vec![path.to_string()]));
            }
        }
        for (k, v) in &e.keys {
            put(w, info.ev[k.index()], &|| {
                if k.many() {
                    CtxValue::Many(vec![v.to_string()])
                } else {
                    CtxValue::One(v.to_string())
                }
            });
        }
        let req = Request {
            principal: p,
            action: &e.action,
            resource: &e.resource,
            preset: e.preset,
        };
        let outcome = set.evaluate(&req, &self.work);
        Some(Decided { outcome, set: addr })
    }

    fn first_label(&self, d: &Decided) -> Option<&str> {
        let info = self.sets.get(&d.set)?;
        let id = *d.outcome.statements.first()?;
        info.labels.get(id as usize).map(String::as_str)
    }

    /// Reads, maps and evaluates one record into `summary`, appending its JSON Lines record to
    /// `out` (with `jsonl`).
    ///
    /// Kept whole: one event through the pipeline (map, evaluate, model check, MFA view,
    /// change), every step feeding the summary.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        file_json: &str,
        index: usize,
        line: usize,
        text: Result<&str, &str>,
        summary: &mut Summary,
        out: Option<&mut Vec<u8>>,
    ) {
        summary.events += 1;
        let mut fallback = None;
        let parsed = match text {
            Ok(t) => Event::parse(t, &mut fallback).map_err(|e| {
                if line > 0 {
                    format!("line {line}: {e}")
                } else {
                    e
                }
            }),
            Err(e) => Err(e.to_string()),
        };
        let ev = match parsed {
            Ok(Some(ev)) => ev,
            Ok(None) => {
                summary.errors += 1;
                return;
            }
            Err(msg) => {
                summary.errors += 1;
                if let Some(out) = out {
                    error_record(out, file_json, index, &msg);
                }
                return;
            }
        };
        let principals = &mut self.principals;
        let mut parse = |arn: &str| -> Result<Arc<Principal>, String> {
            if let Some(p) = principals.get(arn) {
                return p.clone();
            }
            let p = event::parse_principal(arn);
            if principals.len() >= MAX_CACHED {
                principals.clear();
            }
            principals.insert(arn.to_string(), p.clone());
            p
        };
        // Sign-ins and other event types are counted; API calls go on.
        let Some(e) = count_non_call(summary, event::map_event(&ev, &mut parse)) else {
            return;
        };
        let caller = ev.caller_arn();
        let mut mapping = e.mapping;
        let mut reason: Option<String> = e.reason.clone();
        let mut base = None;
        let mut prop = None;
        match e
            .principal
            .as_ref()
            .filter(|_| e.mapping != Mapping::Unmapped)
        {
            None => {
                let why = e.reason.clone().unwrap_or_else(|| "unknown".into());
                *summary.unmapped.entry(why).or_default() += 1;
            }
            Some(p) => match self.entry(caller).base.as_ref().err().cloned() {
                // A caller the account export does not hold.
                Some(why) => {
                    mapping = Mapping::Unmapped;
                    reason = Some(why.clone());
                    *summary.unmapped.entry(why).or_default() += 1;
                }
                None => {
                    match e.mapping {
                        Mapping::Exact => summary.exact += 1,
                        _ => summary.approximate += 1,
                    }
                    base = self.decide(caller, false, &e, p);
                    prop = self.decide(caller, true, &e, p);
                    if let Some(b) = &base {
                        self.tally(summary, &e, b, prop.as_ref());
                    }
                }
            },
        }
        if let Some(out) = out {
            self.write_record(
                out,
                file_json,
                index,
                &e,
                mapping,
                reason.as_deref(),
                base.as_ref(),
                prop.as_ref(),
            );
        }
    }

    /// The summary's view of one evaluated call: model check, MFA view, breakage, new access.
    fn tally(
        &mut self,
        summary: &mut Summary,
        e: &MappedEvent<'_>,
        base: &Decided,
        prop: Option<&Decided>,
    ) {
        // Group role sessions by role: build-812 and build-813 are the same automation.
        let label = e.principal_label;
        let key = &mut self.key;
        key.clear();
        match label.find(":assumed-role/") {
            Some(i) => {
                let rest = &label[i + ":assumed-role/".len()..];
                let role = rest.split('/').next().unwrap_or(rest);
                key.push_str(&label[..i]);
                key.push_str(":assumed-role/");
                key.push_str(role);
                key.push_str("/*");
            }
            None => key.push_str(label),
        }
        let group_len = key.len();
        key.push(' ');
        key.push_str(&e.action);
        let key = std::mem::take(&mut self.key);
        let base_label = self.first_label(base).map(str::to_string);
        // Model check: does the baseline agree with what AWS decided?
        let allowed = base.outcome.decision == Decision::Allowed;
        match (e.observed, allowed) {
            (Observed::Allowed, false) => bump(
                &mut summary.model_denies_observed_allowed,
                &key,
                e.event_id,
                base_label.as_deref(),
            ),
            (Observed::Denied, true) => bump(
                &mut summary.model_allows_observed_denied,
                &key,
                e.event_id,
                base_label.as_deref(),
            ),
            _ => {}
        }
        let who = format!("{} ({})", &key[..group_len], e.preset.name());
        if e.without_mfa && e.observed != Observed::Denied {
            *summary.without_mfa.entry(who.clone()).or_default() += 1;
        }
        if let Some(p) = prop {
            let will = p.outcome.decision == Decision::Allowed;
            let prop_label = self.first_label(p).map(str::to_string);
            // Breakage is what works today: allowed by the baseline and not denied by AWS.
            if allowed && !will && e.observed != Observed::Denied {
                bump(
                    &mut summary.breakage,
                    &key,
                    e.event_id,
                    prop_label.as_deref(),
                );
                if e.without_mfa {
                    *summary.without_mfa_stopped.entry(who).or_default() += 1;
                }
            } else if !allowed && will {
                bump(
                    &mut summary.new_access,
                    &key,
                    e.event_id,
                    prop_label.as_deref(),
                );
            }
        }
        self.key = key;
    }

    /// Appends one call's JSON Lines record (the fields of `docs/replay.md`, in that order).
    #[allow(clippy::too_many_arguments)]
    fn write_record(
        &self,
        out: &mut Vec<u8>,
        file_json: &str,
        index: usize,
        e: &MappedEvent<'_>,
        mapping: Mapping,
        reason: Option<&str>,
        base: Option<&Decided>,
        prop: Option<&Decided>,
    ) {
        let s = json_str;
        out.extend_from_slice(b"{\"file\":");
        out.extend_from_slice(file_json.as_bytes());
        out.extend_from_slice(b",\"index\":");
        out.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
        out.extend_from_slice(b",\"event_id\":");
        s(out, e.event_id);
        out.extend_from_slice(b",\"event_time\":");
        s(out, e.event_time);
        out.extend_from_slice(b",\"principal\":");
        s(out, e.principal_label);
        out.extend_from_slice(b",\"context\":");
        s(out, e.preset.name());
        out.extend_from_slice(b",\"action\":");
        s(out, &e.action);
        out.extend_from_slice(b",\"resource\":");
        s(out, &e.resource);
        out.extend_from_slice(b",\"mapping\":");
        let _ = serde_json::to_writer(&mut *out, &mapping);
        if let Some(r) = reason {
            out.extend_from_slice(b",\"reason\":");
            s(out, r);
        }
        out.extend_from_slice(b",\"observed\":");
        let _ = serde_json::to_writer(&mut *out, &e.observed);
        for (name, d) in [("baseline", base), ("proposed", prop)] {
            if let Some(d) = d {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\":");
                let _ = serde_json::to_writer(&mut *out, &d.outcome.decision);
            }
        }
        for (name, d) in [("baseline_statements", base), ("proposed_statements", prop)] {
            let Some(d) = d.filter(|d| !d.outcome.statements.is_empty()) else {
                continue;
            };
            let info = self.sets.get(&d.set);
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":[");
            for (i, id) in d.outcome.statements.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let l = info.and_then(|x| x.labels_json.get(*id as usize));
                out.extend_from_slice(l.map_or("\"\"", String::as_str).as_bytes());
            }
            out.push(b']');
        }
        out.extend_from_slice(b",\"without_mfa\":");
        out.extend_from_slice(if e.without_mfa { b"true" } else { b"false" });
        out.extend_from_slice(b"}\n");
    }
}

/// Appends `v` as a JSON string that is also safe on a terminal: serde_json's escapes, plus
/// DEL and the C1 controls (U+0080 to U+009F, CSI among them) as `\u00XX`, so the JSON Lines
/// output needs no terminal filter.
pub fn json_str(out: &mut Vec<u8>, v: &str) {
    let b = v.as_bytes();
    let special = |c: u8| c < 0x20 || c == b'"' || c == b'\\' || c == 0x7f || c == 0xc2;
    out.push(b'"');
    let mut from = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !special(c) {
            i += 1;
            continue;
        }
        // U+0080..U+009F are C2 80..C2 9F; other C2 sequences are printable.
        let code = match c {
            0xc2 if (0x80..=0x9f).contains(&b.get(i + 1).copied().unwrap_or(0)) => Some(b[i + 1]),
            0xc2 => None,
            _ => Some(c),
        };
        let Some(code) = code else {
            i += 1;
            continue;
        };
        out.extend_from_slice(&b[from..i]);
        match code {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(code >> 4) as usize]);
                out.push(HEX[(code & 15) as usize]);
            }
        }
        i += if c == 0xc2 { 2 } else { 1 };
        from = i;
    }
    out.extend_from_slice(&b[from..]);
    out.push(b'"');
}

/// Counts a sign-in or another event type in `summary`; an API call is handed back.
fn count_non_call<'e>(summary: &mut Summary, kind: EventKind<'e>) -> Option<Box<MappedEvent<'e>>> {
    match kind {
        EventKind::Other(t) => {
            *summary.skipped.entry(t.to_string()).or_default() += 1;
            None
        }
        EventKind::SignIn {
            principal,
            mfa_used,
            success,
        } => {
            if success && !mfa_used {
                *summary
                    .console_sign_ins_without_mfa
                    .entry(principal.to_string())
                    .or_default() += 1;
            }
            *summary
                .skipped
                .entry("AwsConsoleSignIn".into())
                .or_default() += 1;
            None
        }
        EventKind::Call(e) => Some(e),
    }
}

/// The error record of a record that is not JSON.
fn error_record(out: &mut Vec<u8>, file_json: &str, index: usize, msg: &str) {
    out.extend_from_slice(b"{\"error\":");
    json_str(out, msg);
    out.extend_from_slice(b",\"file\":");
    out.extend_from_slice(file_json.as_bytes());
    out.extend_from_slice(b",\"index\":");
    out.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
    out.extend_from_slice(b"}\n");
}

/// Evaluates one part of a chunk: its summary and its JSON Lines output.
fn work(
    w: &mut Worker<'_>,
    chunk: &source::Chunk,
    spans: &[source::Span],
    jsonl: bool,
) -> (Summary, Vec<u8>) {
    let mut summary = Summary::default();
    let mut out = Vec::new();
    let files: Vec<String> = chunk
        .files
        .iter()
        .map(|f| {
            let mut v = Vec::new();
            json_str(&mut v, f);
            String::from_utf8(v).unwrap_or_default()
        })
        .collect();
    for s in spans {
        let owned;
        let text = match &s.bad {
            Some(b) => Err(&**b),
            None => match std::str::from_utf8(&chunk.text[s.start..s.end]) {
                Ok(t) => Ok(t.trim()),
                Err(e) => {
                    owned = format!(
                        "line {}: not UTF-8 text (at byte {})",
                        s.line,
                        e.valid_up_to()
                    );
                    Err(owned.as_str())
                }
            },
        };
        let f = s.file as usize;
        w.record(
            &files[f],
            s.index,
            s.line,
            text,
            &mut summary,
            jsonl.then_some(&mut out),
        );
    }
    (summary, out)
}

/// Parts of a chunk per worker: the workers take parts as they finish, so one that the reading
/// thread (or another process) slows down holds the others up by one small part at most.
const PARTS_PER_WORKER: usize = 8;

/// A part's summary and JSON Lines.
type PartOut = (Summary, Vec<u8>);

/// Evaluates a chunk on all the workers, in parts taken in turn; the parts' outputs come back
/// in input order.
fn work_parts(workers: &mut [Worker<'_>], chunk: &source::Chunk, jsonl: bool) -> Vec<PartOut> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let per = chunk
        .spans
        .len()
        .div_ceil(workers.len() * PARTS_PER_WORKER)
        .max(64);
    let parts: Vec<&[source::Span]> = chunk.spans.chunks(per).collect();
    let next = AtomicUsize::new(0);
    // Each worker's outputs, tagged with their part's index.
    let done: Vec<Vec<(usize, PartOut)>> = std::thread::scope(|s2| {
        let handles: Vec<_> = workers
            .iter_mut()
            .map(|w| {
                let (parts, next) = (&parts, &next);
                s2.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(part) = parts.get(i) else { break };
                        mine.push((i, work(w, chunk, part, jsonl)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    // Back in input order.
    let mut slots: Vec<Option<PartOut>> = (0..parts.len()).map(|_| None).collect();
    for (i, out) in done.into_iter().flatten() {
        slots[i] = Some(out);
    }
    slots.into_iter().map(Option::unwrap_or_default).collect()
}

/// Why a replay stopped.
#[derive(Debug)]
pub enum ReplayError {
    /// An input cannot be read (the results before it were emitted).
    Input(InputError),
    /// The output cannot be written.
    Io(std::io::Error),
}

/// Replays `files` in order: one thread reads them (JSON Lines streamed), `jobs` threads
/// evaluate each chunk's parts, and the parts' summaries are merged into `summary` in input
/// order and their JSON Lines (with `jsonl`) passed to `emit`; `progress` sees the summary after
/// each chunk. Returns the damage notes of truncated gzip files.
pub fn replay_files(
    resolver: &Resolver,
    files: &[PathBuf],
    jobs: usize,
    jsonl: bool,
    summary: &mut Summary,
    emit: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    progress: &mut dyn FnMut(&Summary),
) -> Result<Vec<String>, ReplayError> {
    let jobs = jobs.max(1);
    let now = crate::scenario::now_secs();
    let mut workers: Vec<Worker<'_>> = (0..jobs).map(|_| Worker::new(resolver, now)).collect();
    let mut damaged = Vec::new();
    std::thread::scope(|sc| {
        // A few chunks in flight: memory stays flat however long the input is.
        let (tx, rx) = std::sync::mpsc::sync_channel::<source::Msg>(2);
        sc.spawn(move || source::read_all(files, &tx));
        for msg in rx {
            let chunk = match msg {
                source::Msg::Chunk(c) => c,
                source::Msg::Damaged(d) => {
                    damaged.push(d);
                    continue;
                }
                source::Msg::Fatal(e) => return Err(ReplayError::Input(e)),
            };
            // Small chunks on this thread; larger ones split across the workers.
            let outputs: Vec<(Summary, Vec<u8>)> = if chunk.spans.len() < 256 || jobs == 1 {
                vec![work(&mut workers[0], &chunk, &chunk.spans, jsonl)]
            } else {
                work_parts(&mut workers, &chunk, jsonl)
            };
            for (part, text) in outputs {
                summary.merge(part);
                emit(&text).map_err(ReplayError::Io)?;
            }
            progress(summary);
        }
        Ok(())
    })?;
    Ok(damaged)
}

#[cfg(test)]
mod tests {
    use super::json_str;

    #[test]
    fn json_strings_are_serde_json_plus_del_and_c1_escaped() {
        let all: String = (0u32..0x2ff).filter_map(char::from_u32).collect();
        for s in [
            all.as_str(),
            "plain",
            "a\"b\\c",
            "é\u{85}\u{9b}[31m\u{7f}x",
            "",
        ] {
            let mut out = Vec::new();
            json_str(&mut out, s);
            let text = String::from_utf8(out).unwrap();
            // It is JSON for the same string, and nothing a terminal acts on is left raw.
            assert_eq!(serde_json::from_str::<String>(&text).unwrap(), s);
            assert!(!text
                .chars()
                .any(|c| c.is_control() || ('\u{80}'..='\u{9f}').contains(&c)));
            // Without DEL and C1 controls it is serde_json's text, byte for byte.
            if !s
                .chars()
                .any(|c| c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c))
            {
                assert_eq!(text, serde_json::to_string(s).unwrap());
            }
        }
    }
}
