//! Bulk evaluation: one compiled [`PolicySet`], many requests as JSON lines (`iamsim batch`).
//!
//! Each input line is a JSON object with the request fields of a case file (`action`, `resource`,
//! `context`, `context_keys`) and optionally `principal`, which overrides the scenario's caller.
//! Each line yields exactly one output line, `{"line":N,"decision":...,"statement":...}` or
//! `{"line":N,"error":...}`.
//!
//! The per-line work is kept small:
//! * a request context per (principal, preset) is built and bound once
//!   ([`PolicySet::principal_context`] + [`PolicySet::bind`]) and kept as a template `Slots`;
//!   the keys that depend on the line's resource (`aws:ResourceAccount`) are written into the
//!   working copy per line, only when a policy refers to them;
//! * a line is read by a scanner that borrows from the input (strings with escapes are
//!   decoded into a side buffer); `context_keys` whose lower-cased name no policy refers to
//!   are skipped (they cannot change the decision), the others are written straight into a
//!   working copy of the template, and only the slots a line touched are restored for the
//!   next line; unknown fields of any JSON type are skipped, checked as the full reader checks
//!   them (duplicate keys at any depth are refused);
//! * a line overriding `aws:CurrentTime` or `aws:EpochTime` stays on the fast path: the keys
//!   the request time drives (both time keys, `aws:TokenIssueTime`) are recomputed from the
//!   first override, as [`request_context_at`] does, and only those a policy refers to;
//! * anything else (escapes in the request fields, nested context values, duplicate fields,
//!   errors) takes the full path: the positioned JSON reader, [`read_request`] and
//!   [`request_context_at`], exactly as
//!   `iamsim test` reads a case. Both paths give the same output for the same line.

use crate::compile::{KeyId, PolicySet, Slots};
use crate::context::{CtxValue, Principal, PRESETS};
use crate::diag::InputError;
use crate::eval::{Decision, Missing, Outcome, Request};
use crate::scenario::{read_request, request_context_at, Fields};
use rustc_hash::FxHashMap;

pub mod pipeline;
mod row;

pub use pipeline::{run, BatchError, PipelineOptions, Progress, Summary};
pub use row::Row;

/// Lines longer than this are reported as errors without being parsed (the JSON reader's limit).
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// At most this many distinct `principal` overrides are cached per worker before the cache is
/// cleared (memory stays bounded however many callers the input names).
const MAX_CACHED_PRINCIPALS: usize = 4096;

/// Counts of one run (or one chunk of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines read.
    pub lines: u64,
    /// Lines decided `allowed`.
    pub allowed: u64,
    /// Lines decided `explicitDeny`.
    pub explicit_deny: u64,
    /// Lines decided `implicitDeny`.
    pub implicit_deny: u64,
    /// Lines that could not be evaluated (reported as `{"line":N,"error":...}`).
    pub errors: u64,
    /// Lines that took the full (slow) path.
    pub slow_path: u64,
}

impl Stats {
    /// Adds another count.
    pub fn add(&mut self, o: &Stats) {
        self.lines += o.lines;
        self.allowed += o.allowed;
        self.explicit_deny += o.explicit_deny;
        self.implicit_deny += o.implicit_deny;
        self.errors += o.errors;
        self.slow_path += o.slow_path;
    }

    fn count(&mut self, d: Decision) {
        match d {
            Decision::Allowed => self.allowed += 1,
            Decision::ExplicitDeny => self.explicit_deny += 1,
            Decision::ImplicitDeny => self.implicit_deny += 1,
        }
    }
}

/// Run-wide options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Add the full explanation (`report::explain`) to every decided line.
    pub explain: bool,
    /// Take the full path for every line (the reference the fast path is checked against).
    pub force_slow: bool,
}

/// The shared, read-only part of a bulk run: the compiled set, the default caller, the clock and
/// the statement labels pre-rendered as JSON strings.
#[derive(Debug)]
pub struct Batch<'s> {
    set: &'s PolicySet,
    principal: Principal,
    principal_text: String,
    now: i64,
    options: Options,
    /// `"policy#Sid"` per statement id, JSON-quoted.
    labels: Vec<String>,
    /// `policy#Sid` per statement id.
    plain_labels: Vec<String>,
    /// The interned ids of the keys the request time drives: `aws:CurrentTime`,
    /// `aws:EpochTime`, `aws:TokenIssueTime`.
    time_ids: [Option<KeyId>; 3],
    /// The bound context of the scenario's principal with the first preset: every worker's
    /// `work` equals it outside its `dirty` ids, and each template lists where it differs.
    base: Slots,
}

impl<'s> Batch<'s> {
    /// Prepares a run over `set` for the scenario's `principal`; `now` (epoch seconds) is the
    /// request time of every line that does not override `aws:CurrentTime`/`aws:EpochTime`.
    pub fn new(set: &'s PolicySet, principal: Principal, now: i64, options: Options) -> Batch<'s> {
        let plain_labels: Vec<String> = (0..set.statement_count() as u32)
            .map(|id| crate::report::statement_ref(set, id).label)
            .collect();
        let labels = plain_labels.iter().map(|l| json_string(l)).collect();
        let id = |k: &str| set.keys().id(k);
        let time_ids = [
            id("aws:currenttime"),
            id("aws:epochtime"),
            id("aws:tokenissuetime"),
        ];
        let base = set.bind(&set.principal_context(&principal, PRESETS[0].0, now));
        Batch {
            set,
            time_ids,
            base,
            principal_text: principal.arn.clone(),
            principal,
            now,
            options,
            labels,
            plain_labels,
        }
    }

    /// The label of a statement of an outcome (`policy#Sid`, or `policy#index` without a
    /// Sid), as the `statement` field of an output line gives it.
    pub fn statement_label(&self, id: u32) -> &str {
        self.plain_labels
            .get(id as usize)
            .map_or("", String::as_str)
    }

    /// Per-thread scratch state for evaluating lines.
    pub fn worker(&self) -> Worker<'_, 's> {
        let n = self.set.keys().len();
        Worker {
            batch: self,
            tmpls: vec![Template::new(self.principal.clone())],
            by_principal: FxHashMap::default(),
            work: self.base.clone(),
            spare: vec![Spare::default(); n],
            dirty: Vec::with_capacity(16),
            entries: Vec::with_capacity(16),
            items: Vec::with_capacity(16),
            classes: Vec::with_capacity(16),
            dec: String::new(),
            row_buf: String::new(),
            names: Vec::with_capacity(16),
            lower: String::with_capacity(64),
            known: FxHashMap::default(),
            seen_at: Vec::new(),
            known_names: Vec::new(),
            memo: Vec::new(),
            line_no: 0,
            warnings: FxHashMap::default(),
        }
    }
}

/// The per-(principal, preset) bound contexts of one caller.
#[derive(Debug)]
struct Template {
    principal: Principal,
    slots: [Option<Box<Bound>>; PRESETS.len()],
}

/// A bound context and the ids where it differs from [`Batch::base`]: switching the working
/// context to it costs those ids, not every interned key.
#[derive(Debug)]
struct Bound {
    slots: Slots,
    diff: Box<[KeyId]>,
}

impl Template {
    fn new(principal: Principal) -> Template {
        Template {
            principal,
            slots: Default::default(),
        }
    }
}

/// A `context_keys` member found by the scanner: byte ranges into the line.
#[derive(Debug, Clone, Copy)]
struct KeyEntry {
    key: (u32, u32),
    value: FastValue,
}

#[derive(Debug, Clone, Copy)]
enum FastValue {
    /// A single value (string contents, number text, `true`/`false`).
    One(u32, u32),
    /// A list: `items[from..to]`.
    Many(u32, u32),
    /// `null`: remove the key.
    Remove,
}

/// What a `context_keys` name means to the policy set.
#[derive(Debug, Clone, Copy)]
enum KeyClass {
    /// No policy refers to it: it cannot change the decision.
    Skip,
    /// `aws:CurrentTime` or `aws:EpochTime`, interned or not.
    Time(Option<KeyId>),
    /// An interned key.
    Id(KeyId),
}

/// The fields of a line as the scanner found them (byte ranges into the line).
#[derive(Debug, Default)]
struct Scanned {
    action: Option<(u32, u32)>,
    resource: Option<(u32, u32)>,
    context: Option<(u32, u32)>,
    principal: Option<(u32, u32)>,
}

/// Evaluates lines; one per thread.
#[derive(Debug)]
pub struct Worker<'b, 's> {
    batch: &'b Batch<'s>,
    tmpls: Vec<Template>,
    by_principal: FxHashMap<String, usize>,
    /// The working context: equal to [`Batch::base`] except at the ids in `dirty`.
    work: Slots,
    /// Strings kept from slots reset to absent, reused when the slot is set again.
    spare: Vec<Spare>,
    dirty: Vec<KeyId>,
    entries: Vec<KeyEntry>,
    items: Vec<(u32, u32)>,
    /// What each of `entries` means to the set.
    classes: Vec<KeyClass>,
    /// The line's strings that had escapes, decoded (see [`resolve`]).
    dec: String,
    /// A [`Row`]'s fields and keys, one after the other.
    row_buf: String,
    /// The scanner's member names of skipped objects.
    names: Vec<(u32, u32)>,
    lower: String,
    /// Per distinct `context_keys` name (as decoded, case kept): what it means to the set and
    /// a dense index into `seen_at` (bounded by [`MAX_KNOWN_KEYS`]).
    known: FxHashMap<Box<str>, (KeyClass, u32)>,
    /// Per index of `known`: the last line (`line_no`) that gave the key, so a key given twice
    /// in one line is found without comparing the line's keys pairwise.
    seen_at: Vec<u64>,
    /// The names of `known` (and their classes) by index, and per position in `context_keys` the index of the
    /// name last seen there: lines tend to repeat their keys in order, so most names are
    /// recognised by one comparison, without hashing.
    known_names: Vec<(Box<str>, KeyClass)>,
    memo: Vec<u32>,
    line_no: u64,
    /// Per distinct action: the JSON-quoted warning when the catalog does not know it (the
    /// catalog is asked once per action, not per line).
    warnings: FxHashMap<Box<str>, Option<Box<str>>>,
}

/// At most this many distinct actions are remembered per worker (a run of unique made-up
/// actions stays bounded in memory; beyond it each is looked up, which is still correct).
const MAX_REMEMBERED_ACTIONS: usize = 100_000;

/// At most this many distinct `context_keys` names are remembered per worker; a line with a
/// name beyond them is classified by a key-table look-up and checked for duplicates pairwise.
const MAX_KNOWN_KEYS: usize = 4096;

impl Worker<'_, '_> {
    /// The `"warning"` of a line requesting `action` (JSON-quoted), if the catalog does not
    /// know the action: "s3:GetObjects is not an AWS action ...; did you mean s3:GetObject?".
    fn action_warning(&mut self, action: &str) -> Option<Box<str>> {
        if let Some(w) = self.warnings.get(action) {
            return w.clone();
        }
        let w: Option<Box<str>> = crate::catalog::lint::unknown_request_action(action)
            .map(|m| json_string(&m).into_boxed_str());
        if self.warnings.len() < MAX_REMEMBERED_ACTIONS {
            self.warnings.insert(action.into(), w.clone());
        }
        w
    }
}

impl Worker<'_, '_> {
    /// Evaluates every line of `chunk` (lines end with `\n`; a last piece without one is a line
    /// too), appending one output line per input line to `out`. `first_line` is the 1-based
    /// number of the chunk's first line. Returns the number of lines evaluated.
    pub fn chunk(
        &mut self,
        first_line: u64,
        chunk: &[u8],
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> u64 {
        let mut n = first_line;
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            self.line(n, &chunk[start..nl], out, stats);
            n += 1;
            start = nl + 1;
        }
        if start < chunk.len() {
            self.line(n, &chunk[start..], out, stats);
            n += 1;
        }
        n - first_line
    }

    /// Appends the error line for a line of `len` bytes that was longer than `limit` and so was
    /// not read.
    pub fn oversized_line(
        &mut self,
        n: u64,
        len: u64,
        limit: usize,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        stats.lines += 1;
        error_line(out, stats, n, &too_long(len, limit));
    }

    /// Evaluates one line (without its `\n`) and appends one output line to `out`.
    pub fn line(&mut self, n: u64, line: &[u8], out: &mut Vec<u8>, stats: &mut Stats) {
        stats.lines += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_LINE_BYTES {
            return error_line(out, stats, n, &too_long(line.len() as u64, MAX_LINE_BYTES));
        }
        let text = match std::str::from_utf8(line) {
            Ok(t) => t,
            Err(e) => {
                return error_line(
                    out,
                    stats,
                    n,
                    &format!("line is not valid UTF-8 (at byte {})", e.valid_up_to() + 1),
                )
            }
        };
        if text.trim_matches([' ', '\t']).is_empty() {
            return error_line(out, stats, n, "empty line: expected a JSON object");
        }
        if !self.batch.options.force_slow && self.fast(n, text, out, stats) {
            return;
        }
        stats.slow_path += 1;
        self.slow(n, text, out, stats);
    }

    /// The full path: the positioned JSON reader and the case-file request reader.
    fn slow(&mut self, n: u64, text: &str, out: &mut Vec<u8>, stats: &mut Stats) {
        let b = self.batch;
        let j = match crate::json::parse(text) {
            Ok(j) => j,
            Err(e) => {
                return error_line(
                    out,
                    stats,
                    n,
                    &format!("column {}: {}", e.pos.col, e.message),
                )
            }
        };
        if j.as_object().is_none() {
            return error_line(
                out,
                stats,
                n,
                &format!("a line must be a JSON object, found {}", j.type_name()),
            );
        }
        // A key given twice: the first would win silently (`"action"` twice tests something
        // else than it says).
        if let Err(e) = crate::scenario::reject_duplicate_keys(&j, "") {
            let at = if e.path.is_empty() {
                String::new()
            } else {
                format!(" (at {})", e.path)
            };
            return error_line(
                out,
                stats,
                n,
                &format!("column {}: {}{at}", e.pos.col, e.message),
            );
        }
        let own;
        let principal = match j.get("principal") {
            None => &b.principal,
            Some(v) => {
                let parsed = match v.as_str() {
                    Some(s) => Principal::parse(s).map_err(|e| e.0),
                    None => Err(format!(
                        "\"principal\" must be a string, found {}",
                        v.type_name()
                    )),
                };
                match parsed {
                    Ok(p) => {
                        own = p;
                        &own
                    }
                    Err(m) => {
                        return error_line(
                            out,
                            stats,
                            n,
                            &format!("column {}: {m} (at principal)", v.pos.col),
                        )
                    }
                }
            }
        };
        let req = match read_request(
            &Fields {
                own: &j,
                defaults: None,
            },
            "",
        ) {
            Ok(r) => r,
            Err(e) => return error_line(out, stats, n, &input_error(&e)),
        };
        let ctx = request_context_at(b.set, principal, &req, b.now);
        let slots = b.set.bind(&ctx);
        let r = Request {
            principal,
            action: &req.action,
            resource: &req.resource,
            preset: req.preset,
        };
        let o = b.set.evaluate(&r, &slots);
        stats.count(o.decision);
        let warning = self.action_warning(&req.action);
        b.write_outcome(out, n, &o, &r, &slots, warning.as_deref());
    }

    /// The fast path; `false` when the line needs the full path (nothing written then).
    fn fast(&mut self, n: u64, text: &str, out: &mut Vec<u8>, stats: &mut Stats) -> bool {
        let mut f = Scanned::default();
        self.entries.clear();
        self.items.clear();
        // The decoded strings travel outside `self` while the line is handled (they are
        // borrowed by every field and key while `self` is written).
        let mut dec = std::mem::take(&mut self.dec);
        dec.clear();
        let ok = scan(
            text.as_bytes(),
            &mut f,
            &mut self.entries,
            &mut self.items,
            &mut dec,
            &mut self.names,
        )
        .is_some()
            && self.fast_scanned(n, text, &dec, &f, out, stats);
        self.dec = dec;
        ok
    }

    /// The fast path after a successful scan; `dec` holds the strings that had escapes.
    fn fast_scanned(
        &mut self,
        n: u64,
        text: &str,
        dec: &str,
        f: &Scanned,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> bool {
        // An action the catalog does not know is decided with a warning (asked once per
        // distinct action, so this is a hash lookup).
        let warning = f
            .action
            .and_then(|r| self.action_warning(resolve(text, dec, r)));
        self.decide(text, dec, f, |b, o, r, slots| {
            stats.count(o.decision);
            b.write_outcome(out, n, o, r, slots, warning.as_deref());
        })
    }

    /// Decides the request whose fields and keys the scanner (or a [`Row`]) found in `text`
    /// (and `dec`), and hands the outcome to `done`; `false` when the request needs the full
    /// path (`done` is not called then).
    fn decide(
        &mut self,
        text: &str,
        dec: &str,
        f: &Scanned,
        done: impl FnOnce(&Batch<'_>, &Outcome, &Request<'_>, &Slots),
    ) -> bool {
        let s = |r: (u32, u32)| resolve(text, dec, r);
        let Some(action) = f.action.map(s) else {
            return false;
        };
        if action != "*" && action.bytes().filter(|&c| c == b':').count() != 1 {
            return false;
        }
        let resource = f.resource.map(s).unwrap_or("*");
        let preset_ix = match f.context.map(s) {
            None => 0,
            Some(name) => match PRESETS.iter().position(|(_, p)| *p == name) {
                Some(i) => i,
                None => return false,
            },
        };
        let t = match f.principal.map(s) {
            None => 0,
            Some(p) => match self.principal_index(p) {
                Some(t) => t,
                None => return false,
            },
        };
        // What each key means, once per line; a remembered key seen earlier on this line is
        // a duplicate (the full path words the error).
        self.classes.clear();
        self.line_no += 1;
        let mut all_remembered = true;
        for i in 0..self.entries.len() {
            let (c, ix) = self.classify(i, s(self.entries[i].key));
            match ix {
                Some(ix) if self.seen_at[ix] == self.line_no => return false,
                Some(ix) => self.seen_at[ix] = self.line_no,
                None => all_remembered = false,
            }
            self.classes.push(c);
        }
        // Names beyond the remembered ones are compared pairwise.
        if !all_remembered && self.has_duplicate_key(text, dec) {
            return false;
        }
        // A time override: the request time is the first one (else the run's clock); one that
        // is not a date is an error the full path words.
        let Some(time) = self.time_override(text, dec) else {
            return false;
        };
        let b = self.batch;
        // A line that writes no slot (no key it gives, no key of its resource or its time is
        // interned) is evaluated on the bound template itself: nothing to copy or restore.
        let writes = !b.set.resource_key_ids().is_empty()
            || self
                .classes
                .iter()
                .any(|c| matches!(c, KeyClass::Id(_) | KeyClass::Time(Some(_))))
            || (time.is_some() && b.time_ids.iter().any(Option::is_some));
        if !writes {
            let tmpl = &mut self.tmpls[t];
            let slots =
                &template_slots(b, &tmpl.principal, (preset_ix, &mut tmpl.slots[preset_ix])).slots;
            let r = Request {
                principal: &tmpl.principal,
                action,
                resource,
                preset: PRESETS[preset_ix].0,
            };
            let o = b.set.evaluate(&r, slots);
            done(b, &o, &r, slots);
            return true;
        }
        self.prepare(t, preset_ix);
        self.resource_keys(t, resource);
        if let Some((line_now, given)) = time {
            self.set_time_keys(line_now.unwrap_or(b.now), given);
        }
        self.write_overrides(text, dec);
        let principal = &self.tmpls[t].principal;
        let r = Request {
            principal,
            action,
            resource,
            preset: PRESETS[preset_ix].0,
        };
        let o = b.set.evaluate(&r, &self.work);
        done(b, &o, &r, &self.work);
        true
    }

    /// A key given twice in `context_keys` is an error the full path words (the decoded key
    /// text is compared, as the JSON reader does; few keys are compared pairwise, many through
    /// a set).
    fn has_duplicate_key(&self, text: &str, dec: &str) -> bool {
        let s = |r: (u32, u32)| resolve(text, dec, r);
        let e = &self.entries;
        if e.len() <= 1 {
            false
        } else if e.len() <= 16 {
            e.iter()
                .enumerate()
                .any(|(i, a)| e[..i].iter().any(|b| s(a.key) == s(b.key)))
        } else {
            let mut seen = rustc_hash::FxHashSet::default();
            e.iter().any(|k| !seen.insert(s(k.key)))
        }
    }

    /// The line's time override, from the classified entries: `Some(None)` when there is none,
    /// `Some(Some((secs, given)))` with the first override's time (`None` when every one is
    /// `null`) and which of the interned time keys (`[aws:CurrentTime, aws:EpochTime]`) the
    /// line sets itself; `None` when a time value is not one date (the full path's error).
    #[allow(clippy::type_complexity)]
    fn time_override(&self, text: &str, dec: &str) -> Option<Option<(Option<i64>, [bool; 2])>> {
        let [current, epoch, _] = self.batch.time_ids;
        let mut found: Option<(Option<i64>, [bool; 2])> = None;
        for (e, c) in self.entries.iter().zip(&self.classes) {
            let KeyClass::Time(id) = *c else { continue };
            let (now, given) = found.get_or_insert((None, [false; 2]));
            match e.value {
                FastValue::One(a, b) => {
                    let secs =
                        crate::scenario::request::time_override_secs(resolve(text, dec, (a, b)))?;
                    now.get_or_insert(secs);
                }
                FastValue::Remove => {}
                FastValue::Many(..) => return None,
            }
            if id.is_some() {
                given[0] |= id == current;
                given[1] |= id == epoch;
            }
        }
        Some(found)
    }

    /// Writes the line's `context_keys` into `work` (marking each slot dirty).
    fn write_overrides(&mut self, text: &str, dec: &str) {
        let s = |r: (u32, u32)| resolve(text, dec, r);
        for i in 0..self.entries.len() {
            let e = self.entries[i];
            let id = match self.classes[i] {
                KeyClass::Skip | KeyClass::Time(None) => continue,
                KeyClass::Id(id) | KeyClass::Time(Some(id)) => id,
            };
            let slot = &mut self.work.values[id as usize];
            self.dirty.push(id);
            match e.value {
                FastValue::One(a, b) => set_one(slot, s((a, b)), &mut self.spare[id as usize].one),
                FastValue::Many(a, b) => {
                    // Reuse the list (and its strings) already in the slot or kept spare.
                    let spare = &mut self.spare[id as usize];
                    let mut vs = match slot.take() {
                        Some(CtxValue::Many(v)) => v,
                        other => {
                            spare.keep(other);
                            std::mem::take(&mut spare.many)
                        }
                    };
                    let items = &self.items[a as usize..b as usize];
                    vs.truncate(items.len());
                    for (j, &r) in items.iter().enumerate() {
                        match vs.get_mut(j) {
                            Some(v) => {
                                v.clear();
                                v.push_str(s(r));
                            }
                            None => vs.push(s(r).to_string()),
                        }
                    }
                    *slot = Some(CtxValue::Many(vs));
                }
                FastValue::Remove => self.spare[id as usize].keep(slot.take()),
            }
        }
    }

    /// What a `context_keys` name means to this set, and its index in `seen_at` when it is
    /// remembered (one hash look-up of the name as given; no lower-casing once it is known).
    fn classify(&mut self, pos: usize, raw: &str) -> (KeyClass, Option<usize>) {
        // The name last seen at this position, then any remembered name.
        if let Some(&ix) = self.memo.get(pos) {
            let (name, c) = &self.known_names[ix as usize];
            if **name == *raw {
                return (*c, Some(ix as usize));
            }
        }
        if let Some(&(c, ix)) = self.known.get(raw) {
            self.remember_at(pos, ix);
            return (c, Some(ix as usize));
        }
        self.lower.clear();
        self.lower.push_str(raw);
        self.lower.make_ascii_lowercase();
        let id = self.batch.set.keys().id(&self.lower);
        let c = if self.lower == "aws:currenttime" || self.lower == "aws:epochtime" {
            KeyClass::Time(id)
        } else {
            match id {
                Some(id) => KeyClass::Id(id),
                None => KeyClass::Skip,
            }
        };
        if self.known.len() >= MAX_KNOWN_KEYS {
            return (c, None);
        }
        let ix = self.seen_at.len();
        self.known.insert(raw.into(), (c, ix as u32));
        self.known_names.push((raw.into(), c));
        self.seen_at.push(0);
        self.remember_at(pos, ix as u32);
        (c, Some(ix))
    }

    /// Notes that position `pos` of `context_keys` held the remembered name `ix`.
    fn remember_at(&mut self, pos: usize, ix: u32) {
        if pos < self.memo.len() {
            self.memo[pos] = ix;
        } else if pos == self.memo.len() && pos < 64 {
            self.memo.push(ix);
        }
    }

    /// Sets the keys the request time drives to what [`build_context`] gives for `now`: both
    /// time keys, and `aws:TokenIssueTime` where the preset sets it. Only interned keys are
    /// written, and not the time keys the line sets itself (`given`: its override wins).
    fn set_time_keys(&mut self, now: i64, given: [bool; 2]) {
        let b = self.batch;
        let [current, epoch, issued] = b.time_ids;
        let issued = issued.filter(|&id| now != b.now && self.work.values[id as usize].is_some());
        let writes = [
            (current.filter(|_| !given[0]), 0),
            (epoch.filter(|_| !given[1]), 1),
            (issued, 2),
        ];
        for (id, what) in writes {
            let Some(id) = id else { continue };
            self.dirty.push(id);
            let i = id as usize;
            let slot = &mut self.work.values[i];
            if !matches!(slot, Some(CtxValue::One(_))) {
                *slot = Some(CtxValue::One(std::mem::take(&mut self.spare[i].one)));
            }
            let Some(CtxValue::One(d)) = slot else {
                continue;
            };
            d.clear();
            match what {
                0 => crate::values::write_date(now, d),
                1 => d.push_str(itoa::Buffer::new().format(now)),
                _ => crate::values::write_date(now - crate::context::PRESET_SESSION_AGE_SECS, d),
            }
        }
    }

    /// The template index of a `principal` override; `None` when it does not parse.
    fn principal_index(&mut self, p: &str) -> Option<usize> {
        if p == self.batch.principal_text {
            return Some(0);
        }
        if let Some(&i) = self.by_principal.get(p) {
            return Some(i);
        }
        let parsed = Principal::parse(p).ok()?;
        if self.by_principal.len() >= MAX_CACHED_PRINCIPALS {
            self.by_principal.clear();
            self.tmpls.truncate(1);
        }
        self.tmpls.push(Template::new(parsed));
        let i = self.tmpls.len() - 1;
        self.by_principal.insert(p.to_string(), i);
        Some(i)
    }

    /// Writes the keys derived from the requested resource (`aws:ResourceAccount`,
    /// `aws:ResourceOrgID`, `aws:ResourceOrgPaths`) into `work`,
    /// as the full path's [`PolicySet::context`] puts them in the context before the overrides.
    /// Only keys a policy refers to are written, and only when their value changes: they are
    /// the one exception to "`work` equals the template outside `dirty`" (every line sets them
    /// right after [`Worker::prepare`], and an override of one marks it dirty as usual).
    #[inline]
    fn resource_keys(&mut self, t: usize, resource: &str) {
        let set = self.batch.set;
        let ids = set.resource_key_ids();
        if ids.is_empty() {
            return;
        }
        let k = set.resource_keys(&self.tmpls[t].principal, resource);
        if let Some(id) = ids.account {
            let i = id as usize;
            match k.account {
                Some(a) => set_one(&mut self.work.values[i], a, &mut self.spare[i].one),
                None => {
                    self.spare[i].keep(self.work.values[i].take());
                }
            }
        }
        if let Some(id) = ids.org_id {
            let i = id as usize;
            match k.org {
                Some((org, _)) => set_one(&mut self.work.values[i], org, &mut self.spare[i].one),
                None => {
                    self.spare[i].keep(self.work.values[i].take());
                }
            }
        }
        if let Some(id) = ids.org_paths {
            let slot = &mut self.work.values[id as usize];
            match k.org {
                Some((_, path)) => match slot {
                    Some(CtxValue::Many(v)) if v.len() == 1 && v[0] == path => {}
                    _ => *slot = Some(CtxValue::Many(vec![path.to_string()])),
                },
                None => *slot = None,
            }
        }
    }

    /// Makes `work` equal to the bound context of template `t` with preset `p`: the ids the
    /// last line changed go back to the base context, then the template's own differences
    /// from it are written (and marked dirty for the next line).
    fn prepare(&mut self, t: usize, p: usize) {
        let b = self.batch;
        for id in self.dirty.drain(..) {
            let i = id as usize;
            assign(
                &mut self.work.values[i],
                &b.base.values[i],
                &mut self.spare[i],
            );
        }
        let tmpl = &mut self.tmpls[t];
        let src = template_slots(b, &tmpl.principal, (p, &mut tmpl.slots[p]));
        for &id in src.diff.iter() {
            let i = id as usize;
            assign(
                &mut self.work.values[i],
                &src.slots.values[i],
                &mut self.spare[i],
            );
            self.dirty.push(id);
        }
    }
}

/// The bound context of `principal` with preset `p`, built on first use.
fn template_slots<'t>(
    b: &Batch<'_>,
    principal: &Principal,
    (p, slot): (usize, &'t mut Option<Box<Bound>>),
) -> &'t Bound {
    slot.get_or_insert_with(|| {
        let ctx = b.set.principal_context(principal, PRESETS[p].0, b.now);
        let slots = b.set.bind(&ctx);
        // Where it differs from the base context (the only ids `prepare` has to write).
        let diff = (0..slots.values.len())
            .filter(|&i| slots.values[i] != b.base.values[i])
            .map(|i| i as KeyId)
            .collect();
        Box::new(Bound { slots, diff })
    })
}

/// Sets a single value, reusing the string already in the slot or the spare one.
#[inline]
fn set_one(slot: &mut Option<CtxValue>, v: &str, spare: &mut String) {
    match slot {
        Some(CtxValue::One(d)) => {
            if d != v {
                d.clear();
                d.push_str(v);
            }
        }
        _ => {
            let mut d = std::mem::take(spare);
            d.clear();
            d.push_str(v);
            *slot = Some(CtxValue::One(d));
        }
    }
}

/// `*dst = src.clone()`, reusing the string allocations already there.
fn assign(dst: &mut Option<CtxValue>, src: &Option<CtxValue>, spare: &mut Spare) {
    match (dst.as_mut(), src) {
        (Some(CtxValue::One(d)), Some(CtxValue::One(s))) => {
            // Callers' templates share many values (account, preset keys): compare first.
            if d != s {
                d.clear();
                d.push_str(s);
            }
        }
        (Some(CtxValue::Many(d)), Some(CtxValue::Many(s))) => d.clone_from(s),
        (None, None) => {}
        (_, None) => spare.keep(dst.take()),
        (_, Some(v)) => {
            spare.keep(dst.take());
            *dst = Some(match v {
                CtxValue::One(s) => {
                    let mut d = std::mem::take(&mut spare.one);
                    d.clear();
                    d.push_str(s);
                    CtxValue::One(d)
                }
                CtxValue::Many(s) => {
                    let mut d = std::mem::take(&mut spare.many);
                    d.clone_from(s);
                    CtxValue::Many(d)
                }
            });
        }
    }
}

/// The allocations of a slot's last value, kept while the slot is absent and reused when it
/// is set again (a line's list value does not allocate once the worker is warm).
#[derive(Debug, Default, Clone)]
struct Spare {
    one: String,
    many: Vec<String>,
}

impl Spare {
    fn keep(&mut self, v: Option<CtxValue>) {
        match v {
            Some(CtxValue::One(d)) => self.one = d,
            Some(CtxValue::Many(d)) => self.many = d,
            None => {}
        }
    }
}

impl Batch<'_> {
    /// Writes a line's output; `warning` is JSON-quoted text (an action the catalog does not
    /// know).
    fn write_outcome(
        &self,
        out: &mut Vec<u8>,
        n: u64,
        o: &Outcome,
        r: &Request<'_>,
        ctx: &Slots,
        warning: Option<&str>,
    ) {
        out.extend_from_slice(b"{\"line\":");
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        out.extend_from_slice(b",\"decision\":\"");
        out.extend_from_slice(o.decision.as_str().as_bytes());
        out.push(b'"');
        if let Some(&first) = o.statements.first() {
            out.extend_from_slice(b",\"statement\":");
            out.extend_from_slice(self.labels[first as usize].as_bytes());
            if o.statements.len() > 1 {
                out.extend_from_slice(b",\"statements\":[");
                for (i, id) in o.statements.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(self.labels[*id as usize].as_bytes());
                }
                out.push(b']');
            }
        }
        if let Some(m) = o.missing {
            out.extend_from_slice(b",\"missing\":\"");
            match m {
                Missing::Identity => out.extend_from_slice(b"identity"),
                Missing::Boundary => out.extend_from_slice(b"boundary"),
                Missing::Session => out.extend_from_slice(b"session"),
                Missing::Scp(l) | Missing::Rcp(l) => {
                    out.extend_from_slice(if matches!(m, Missing::Scp(_)) {
                        b"scp["
                    } else {
                        b"rcp["
                    });
                    out.extend_from_slice(itoa::Buffer::new().format(l).as_bytes());
                    out.push(b']');
                }
                Missing::ResourceCrossAccount => out.extend_from_slice(b"resourceCrossAccount"),
                Missing::TrustPolicy => out.extend_from_slice(b"trustPolicy"),
                Missing::KeyPolicy => out.extend_from_slice(b"keyPolicy"),
                Missing::ResourcePolicy => out.extend_from_slice(b"resourcePolicy"),
            }
            out.push(b'"');
        }
        if let Some(rule) = o.rule {
            out.extend_from_slice(b",\"rule\":");
            // Serialising a unit variant into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, &rule);
        }
        if let Some(w) = warning {
            out.extend_from_slice(b",\"warning\":");
            out.extend_from_slice(w.as_bytes());
        }
        if self.options.explain {
            out.extend_from_slice(b",\"explanation\":");
            let e = crate::report::explain(self.set, r, ctx, o);
            let _ = serde_json::to_writer(&mut *out, &e);
        }
        out.extend_from_slice(b"}\n");
    }
}

fn error_line(out: &mut Vec<u8>, stats: &mut Stats, n: u64, message: &str) {
    stats.errors += 1;
    out.extend_from_slice(b"{\"line\":");
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b",\"error\":");
    out.extend_from_slice(json_string(message).as_bytes());
    out.extend_from_slice(b"}\n");
}

fn too_long(len: u64, limit: usize) -> String {
    format!("line is {len} bytes, longer than the limit of {limit} bytes")
}

fn input_error(e: &InputError) -> String {
    let mut s = format!("column {}: {}", e.pos.col, e.message);
    if !e.path.is_empty() {
        s.push_str(&format!(" (at {})", e.path));
    }
    s
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into())
}

// ---------------------------------------------------------------------------------------------
// The line scanner. It accepts a subset of JSON on which it agrees with the full reader:
// strings (escapes are decoded into a side buffer), numbers in the JSON grammar, `true`,
// `false`, `null`, flat lists of scalars as context values, unknown fields of any JSON type
// (skipped, nested objects checked for duplicate keys as the full reader does), and the known
// request fields once each. `None` means "not this subset" and sends the line to the full
// path, which reports errors.

const F_ACTION: u8 = 1;
const F_RESOURCE: u8 = 2;
const F_CONTEXT: u8 = 4;
const F_PRINCIPAL: u8 = 8;
const F_KEYS: u8 = 16;

/// Unknown fields nested deeper than this take the full path (the full reader's limit is 64).
const MAX_SKIP_DEPTH: u32 = 32;

/// An object with more members than this (an unknown field's value, or the line itself) takes
/// the full path: duplicate keys are looked for pairwise.
const MAX_SKIP_MEMBERS: usize = 64;

/// The bit that marks a range as one into the decoded buffer (lines are shorter than this).
const DECODED: u32 = 1 << 31;

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    /// Decoded strings that had escapes; a range whose bounds carry [`DECODED`] points here,
    /// see [`resolve`].
    dec: &'a mut String,
    /// Member names of the objects being skipped, for the duplicate-key check (the worker's
    /// buffer, reused from line to line).
    names: &'a mut Vec<(u32, u32)>,
}

/// The text of a range the scanner returned: the line's bytes, or the decoded buffer for a
/// string that had escapes.
#[inline]
fn resolve<'t>(line: &'t str, dec: &'t str, r: (u32, u32)) -> &'t str {
    if r.0 & DECODED != 0 {
        &dec[(r.0 & !DECODED) as usize..(r.1 & !DECODED) as usize]
    } else {
        &line[r.0 as usize..r.1 as usize]
    }
}

impl<'a> Cursor<'a> {
    fn new(b: &'a [u8], dec: &'a mut String, names: &'a mut Vec<(u32, u32)>) -> Cursor<'a> {
        names.clear();
        Cursor {
            b,
            i: 0,
            dec,
            names,
        }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// After an item of an object or array: whitespace, then `,` (another item follows:
    /// `Some(true)`, whitespace skipped) or `close` (consumed: `Some(false)`); anything else is
    /// not JSON (`None`).
    #[inline]
    fn next_item(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.i += 1;
                self.ws();
                Some(true)
            }
            c if c == close => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string; returns the range of its contents (in the line, or in `dec` when it had
    /// escapes).
    #[inline]
    fn string(&mut self) -> Option<(u32, u32)> {
        self.eat(b'"')?;
        let start = self.i;
        let b = self.b;
        let mut j = start;
        // Eight bytes at a time: flag bytes that are '"', '\\' or below 0x20. The lowest flag
        // is exact (a borrow only spreads upwards from a flagged byte).
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        while let Some(word) = b.get(j..j + 8) {
            let v = u64::from_le_bytes(word.try_into().ok()?);
            let q = v ^ (ONES * b'"' as u64);
            let e = v ^ (ONES * b'\\' as u64);
            let flags = ((q.wrapping_sub(ONES) & !q)
                | (e.wrapping_sub(ONES) & !e)
                | (v.wrapping_sub(ONES * 0x20) & !v))
                & HIGH;
            if flags != 0 {
                j += (flags.trailing_zeros() / 8) as usize;
                break;
            }
            j += 8;
        }
        while let Some(&c) = b.get(j) {
            if c == b'"' {
                self.i = j + 1;
                return Some((start as u32, j as u32));
            }
            if c == b'\\' {
                return self.escaped(start, j);
            }
            if c < 0x20 {
                return None;
            }
            j += 1;
        }
        None
    }

    /// The rest of a string from its first backslash at `j`, decoded into `dec` as the full
    /// reader decodes it; `None` for what the full reader rejects (bad escapes, lone
    /// surrogates, control characters).
    #[cold]
    fn escaped(&mut self, start: usize, mut j: usize) -> Option<(u32, u32)> {
        let b = self.b;
        let from = self.dec.len();
        // The line is valid UTF-8 and `j` is at an ASCII byte: `b[start..j]` is whole.
        self.dec.push_str(std::str::from_utf8(&b[start..j]).ok()?);
        loop {
            match *b.get(j)? {
                b'"' => {
                    self.i = j + 1;
                    let to = self.dec.len();
                    return Some((from as u32 | DECODED, to as u32 | DECODED));
                }
                b'\\' => {
                    let e = *b.get(j + 1)?;
                    let c = match crate::json::simple_escape(e) {
                        Some(c) => c,
                        None if e == b'u' => {
                            let hi = hex4(b.get(j + 2..j + 6)?)?;
                            j += 4;
                            if (0xD800..0xDC00).contains(&hi) {
                                // A high surrogate must be followed by an escaped low one.
                                if b.get(j + 2..j + 4)? != b"\\u" {
                                    return None;
                                }
                                let lo = hex4(b.get(j + 4..j + 8)?)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                j += 6;
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                            } else {
                                char::from_u32(hi)?
                            }
                        }
                        None => return None,
                    };
                    j += 2;
                    self.dec.push(c);
                }
                0..=0x1f => return None,
                _ => {
                    // A run of plain bytes up to the next quote or backslash.
                    let end = memchr::memchr2(b'"', b'\\', &b[j..]).map_or(b.len(), |k| j + k);
                    let run = &b[j..end];
                    if run.iter().any(|&c| c < 0x20) {
                        return None;
                    }
                    self.dec.push_str(std::str::from_utf8(run).ok()?);
                    j = end;
                }
            }
        }
    }

    /// A number in the JSON grammar; returns its text range.
    fn number(&mut self) -> Option<(u32, u32)> {
        let start = self.i;
        let digits = |c: &mut Cursor<'_>| {
            let s = c.i;
            while matches!(c.peek(), Some(b'0'..=b'9')) {
                c.i += 1;
            }
            c.i > s
        };
        let _ = self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        if self.eat(b'.').is_some() && !digits(self) {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some((start as u32, self.i as u32))
    }

    fn word(&mut self, w: &[u8]) -> Option<(u32, u32)> {
        if self.b[self.i..].starts_with(w) {
            let start = self.i;
            self.i += w.len();
            Some((start as u32, self.i as u32))
        } else {
            None
        }
    }

    /// A scalar that becomes a context value: string contents, number text or a boolean word.
    fn scalar(&mut self) -> Option<(u32, u32)> {
        match self.peek()? {
            b'"' => self.string(),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// The text of a range this cursor returned.
    fn text(&self, r: (u32, u32)) -> &[u8] {
        if r.0 & DECODED != 0 {
            &self.dec.as_bytes()[(r.0 & !DECODED) as usize..(r.1 & !DECODED) as usize]
        } else {
            &self.b[r.0 as usize..r.1 as usize]
        }
    }

    /// Notes a member name of the object whose names start at `names[from..]`; `None` when the
    /// object already has it (the full reader refuses duplicate keys at every depth) or has
    /// too many members to compare.
    fn member_name(&mut self, from: usize, k: (u32, u32)) -> Option<()> {
        if self.names.len() - from >= MAX_SKIP_MEMBERS {
            return None;
        }
        let t = self.text(k);
        if self.names[from..].iter().any(|&o| self.text(o) == t) {
            return None;
        }
        self.names.push(k);
        Some(())
    }

    /// Any JSON value, skipped (an unknown field's): only checked to be what the full reader
    /// accepts.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'{' => {
                if depth >= MAX_SKIP_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                let from = self.names.len();
                loop {
                    let k = self.string()?;
                    self.member_name(from, k)?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    self.skip_value(depth + 1)?;
                    if !self.next_item(b'}')? {
                        self.names.truncate(from);
                        return Some(());
                    }
                }
            }
            b'[' => {
                if depth >= MAX_SKIP_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    if !self.next_item(b']')? {
                        return Some(());
                    }
                }
            }
            b'n' => self.word(b"null").map(|_| ()),
            _ => {
                // A skipped string's decoded text is not needed.
                let mark = self.dec.len();
                self.scalar()?;
                self.dec.truncate(mark);
                Some(())
            }
        }
    }
}

/// Four hex digits of a `\u` escape.
fn hex4(h: &[u8]) -> Option<u32> {
    h.iter()
        .try_fold(0u32, |v, &c| Some(v * 16 + (c as char).to_digit(16)?))
}

fn scan(
    line: &[u8],
    f: &mut Scanned,
    entries: &mut Vec<KeyEntry>,
    items: &mut Vec<(u32, u32)>,
    dec: &mut String,
    names: &mut Vec<(u32, u32)>,
) -> Option<()> {
    if line.len() >= DECODED as usize {
        return None;
    }
    let mut c = Cursor::new(line, dec, names);
    let mut seen = 0u8;
    c.ws();
    c.eat(b'{')?;
    c.ws();
    if c.eat(b'}').is_none() {
        loop {
            let k = c.string()?;
            if k.0 & DECODED != 0 {
                return None; // a field name with escapes
            }
            let key = &line[k.0 as usize..k.1 as usize];
            c.ws();
            c.eat(b':')?;
            c.ws();
            let (bit, slot) = match key {
                b"action" => (F_ACTION, Some(&mut f.action)),
                b"resource" => (F_RESOURCE, Some(&mut f.resource)),
                b"context" => (F_CONTEXT, Some(&mut f.context)),
                b"principal" => (F_PRINCIPAL, Some(&mut f.principal)),
                b"context_keys" => (F_KEYS, None),
                _ => (0, None),
            };
            if bit & seen != 0 {
                return None; // a duplicate field: the full reader refuses it
            }
            seen |= bit;
            match (bit, slot) {
                (0, _) => {
                    // An unknown field is ignored (once: a duplicate is refused).
                    c.member_name(0, k)?;
                    c.skip_value(1)?;
                }
                (F_KEYS, _) => context_keys(&mut c, entries, items)?,
                (_, Some(slot)) => {
                    let v = c.string()?;
                    if v.0 & DECODED != 0 {
                        return None; // escapes in a request field: the full path
                    }
                    *slot = Some(v);
                }
                _ => return None,
            }
            if !c.next_item(b'}')? {
                break;
            }
        }
    }
    c.ws();
    (c.i == line.len()).then_some(())
}

fn context_keys(
    c: &mut Cursor<'_>,
    entries: &mut Vec<KeyEntry>,
    items: &mut Vec<(u32, u32)>,
) -> Option<()> {
    c.eat(b'{')?;
    c.ws();
    if c.eat(b'}').is_some() {
        return Some(());
    }
    loop {
        let key = c.string()?;
        c.ws();
        c.eat(b':')?;
        c.ws();
        let value = match c.peek()? {
            b'n' => {
                c.word(b"null")?;
                FastValue::Remove
            }
            b'[' => {
                c.i += 1;
                c.ws();
                let from = items.len() as u32;
                if c.eat(b']').is_none() {
                    loop {
                        items.push(c.scalar()?);
                        if !c.next_item(b']')? {
                            break;
                        }
                    }
                }
                FastValue::Many(from, items.len() as u32)
            }
            _ => {
                let (a, b) = c.scalar()?;
                FastValue::One(a, b)
            }
        };
        entries.push(KeyEntry { key, value });
        if !c.next_item(b'}')? {
            return Some(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Scenario;
    use crate::policy::{parse_policy_text, ParseOptions, PolicyKind};

    fn set() -> PolicySet {
        let text = r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"Admin","Effect":"Allow","Action":"*","Resource":"*"},
          {"Sid":"NoMfa","Effect":"Deny","NotAction":"iam:*","Resource":"*",
           "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},
          {"Sid":"Ip","Effect":"Deny","Action":"s3:*","Resource":"*",
           "Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8"]},"Bool":{"aws:ViaAWSService":"false"}}},
          {"Sid":"Tags","Effect":"Deny","Action":"ec2:*","Resource":"*",
           "Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["secret"]}}},
          {"Sid":"Old","Effect":"Deny","Action":"kms:*","Resource":"*",
           "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}},
          {"Sid":"Epoch","Effect":"Deny","Action":"sqs:*","Resource":"*",
           "Condition":{"NumericGreaterThan":{"aws:EpochTime":"1900000000"}}},
          {"Sid":"Fresh","Effect":"Deny","Action":"sns:*","Resource":"*",
           "Condition":{"DateLessThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}}]}"#;
        let (p, _) = parse_policy_text(
            text,
            "p.json",
            "p",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap();
        PolicySet::compile(&Scenario {
            identity: vec![p],
            ..Default::default()
        })
        .unwrap()
    }

    fn run(set: &PolicySet, input: &str, force_slow: bool) -> String {
        run_stats(set, input, force_slow).0
    }

    fn run_stats(set: &PolicySet, input: &str, force_slow: bool) -> (String, Stats) {
        let b = Batch::new(
            set,
            Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap(),
            1_700_000_000,
            Options {
                explain: false,
                force_slow,
            },
        );
        let mut w = b.worker();
        let mut out = Vec::new();
        let mut st = Stats::default();
        w.chunk(1, input.as_bytes(), &mut out, &mut st);
        (String::from_utf8(out).unwrap(), st)
    }

    const LINES: &[&str] = &[
        r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":"console-mfa","context_keys":{"aws:SourceIp":"10.1.2.3"}}"#,
        r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":"console-mfa","context_keys":{"AWS:SourceIP":"192.0.2.1"}}"#,
        r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":"console-mfa","context_keys":{"aws:SourceIp":"192.0.2.1","aws:ViaAWSService":true}}"#,
        r#"{"action":"s3:GetObject","context":"access-keys"}"#,
        r#"{"action":"iam:GetUser","context":"access-keys","principal":"arn:aws:sts::111122223333:assumed-role/R/s"}"#,
        r#"{"action":"ec2:RunInstances","context":"console-mfa","context_keys":{"aws:TagKeys":["a","secret"]}}"#,
        r#"{"action":"ec2:RunInstances","context":"console-mfa","context_keys":{"aws:TagKeys":["a", 1, true], "x": null}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:CurrentTime":"2031-01-01T00:00:00Z"}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:MultiFactorAuthPresent":null}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:MultiFactorAuthPresent":false}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","id":17}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","action":"s3:GetObject"}"#,
        r#"{"action":"kms:\u0044ecrypt","context":"console-mfa"}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:SourceIp":1.5e3}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:SourceIp":01}}"#,
        r#"{"action":"kms:Decrypt","context":"nope"}"#,
        r#"{"action":"kms","context":"console"}"#,
        r#"{"action":"sts:GetCallerIdentity"}"#,
        r#"{"action":"kms:Decrypt","principal":"bob"}"#,
        r#"{"action":"kms:Decrypt"} x"#,
        r#"[1]"#,
        r#"{"resource":"*"}"#,
        r#"   {  "action" : "s3:PutObject" , "context" : "console-mfa" , "context_keys" : { "aws:SourceIp" : [ "10.0.0.1" ] } }  "#,
        r#"{"action":"s3:PutObject","context":"console-mfa","context_keys":{"aws:SourceIp":"10.0.0.1"},"context_keys":{}}"#,
        r#"{"action":"s3:PutObject","context":"console-mfa","context_keys":{"aws:SourceIp":{"a":1}}}"#,
        r#"{"action":"s3:PutObject","context":"console-mfa","context_keys":{"aws:SourceIp":"10.0.0.1","aws:sourceip":"1.1.1.1"}}"#,
        // Time overrides (26..): ISO 8601 and epoch, each implying the other and the token age.
        r#"{"action":"sqs:SendMessage","context":"console-mfa","context_keys":{"aws:CurrentTime":"2031-01-01T00:00:00Z"}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:EpochTime":1950000000}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:EpochTime":"1600000000"}}"#,
        r#"{"action":"sns:Publish","context":"console-mfa","context_keys":{"aws:epochtime":1500000000}}"#,
        r#"{"action":"sns:Publish","context":"access-keys","context_keys":{"aws:CurrentTime":"2019-06-01T00:00:00Z"}}"#,
        r#"{"action":"sns:Publish","context":"console-mfa","context_keys":{"AWS:CURRENTTIME":"2019-06-01T12:00:00.5+02:00"}}"#,
        r#"{"action":"sqs:SendMessage","context":"console-mfa","context_keys":{"aws:CurrentTime":"not a date","aws:EpochTime":1950000000}}"#,
        r#"{"action":"sqs:SendMessage","context":"console-mfa","context_keys":{"aws:EpochTime":1950000000,"aws:CurrentTime":"2001-01-01T00:00:00Z"}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:CurrentTime":null}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:CurrentTime":["2031-01-01T00:00:00Z"]}}"#,
        r#"{"action":"kms:Decrypt","context":"console-mfa","context_keys":{"aws:CurrentTime":true}}"#,
        r#"{"action":"sqs:SendMessage","context":"console-mfa","context_keys":{"aws:CurrentTime":"2031-01-01T00:00:00Z","aws:TokenIssueTime":"2031-01-01T00:00:00Z"}}"#,
        r#"{"action":"sqs:SendMessage","context":"console-mfa","context_keys":{"aws:CurrentTime":"2031-01-01"}}"#,
        r#"{"action":"sqs:SendMessage","context":"console-mfa","context_keys":{"aws:EpochTime":-5}}"#,
        // Real-traffic shapes (40..): escapes in context values, list items and key names,
        // unknown fields of every type, principals of every kind, both time keys.
        r#"{"action":"s3:GetObject","context":"console-mfa","context_keys":{"aws:SourceIp":"10.0.0.\u0031","aws:UserAgent":"a\/b \"q\""}}"#,
        r#"{"action":"ec2:RunInstances","context":"console-mfa","context_keys":{"aws:TagKeys":["a","s\u0065cret"]}}"#,
        r#"{"action":"s3:GetObject","context":"console-mfa","context_keys":{"aws:Source\u0049p":"192.0.2.1"}}"#,
        r#"{"action":"s3:GetObject","context":"console-mfa","eventID":"e\u00e91","requestParameters":{"bucketName":"b","key":[1,{"x":null}],"n":{}}, "readOnly":true}"#,
        r#"{"action":"s3:GetObject","id":1,"id":2}"#,
        r#"{"action":"s3:GetObject","meta":{"a":1,"a":2}}"#,
        r#"{"action":"s3:GetObject","meta":{"a":{"b":1},"c":{"b":2}},"n":[[],{}]}"#,
        r#"{"action":"s3:GetObject","meta":"\ud83d"}"#,
        r#"{"action":"sqs:SendMessage","principal":"arn:aws:iam::111122223333:root","context":"access-keys","context_keys":{"aws:EpochTime":1950000000}}"#,
        r#"{"action":"kms:Decrypt","principal":"arn:aws:sts::111122223333:federated-user/carol","context":"console-mfa","context_keys":{"aws:CurrentTime":"2031-01-01T00:00:00Z"}}"#,
        r#"{"action":"sns:Publish","principal":"lambda.amazonaws.com","context":"service","context_keys":{"aws:CurrentTime":"2019-06-01T00:00:00Z"}}"#,
        r#"{"action":"sqs:SendMessage","context":"console-mfa","context_keys":{"aws:EpochTime":1950000000,"aws:CurrentTime":null}}"#,
        r#"{"action":"sns:Publish","context":"console-mfa","context_keys":{"aws:CurrentTime":"2019-06-01T00:00:00Z","aws:currenttime":"2031-01-01T00:00:00Z"}}"#,
        r#"{"action":"s3:GetObject","context":"console-mfa","meta":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
        r#"{"action":"s3:GetObject","context_keys":{"aws:SourceIp":"\u0000"}}"#,
        r#"{"action":"iam:GetUser","principal":"arn:aws:iam::111122223333:user/dev/bob","context":"session-mfa","context_keys":{"aws:EpochTime":"1950000000.5"}}"#,
        // Unknown actions: a "warning" field on both paths.
        r#"{"action":"s3:GetObjects","context":"console-mfa"}"#,
        r#"{"action":"s3:GetObj\u0065cts","context":"console-mfa"}"#,
    ];

    #[test]
    fn fast_and_full_paths_agree_line_by_line() {
        let set = set();
        // Alternate lines in different orders so the slot restoration is exercised.
        let mut input: Vec<&str> = LINES.to_vec();
        input.extend(LINES.iter().rev());
        input.extend(LINES);
        let text = input.join("\n");
        let fast = run(&set, &text, false);
        let slow = run(&set, &text, true);
        for (i, (a, b)) in fast.lines().zip(slow.lines()).enumerate() {
            assert_eq!(a, b, "line {}: {}", i + 1, input[i]);
        }
        assert_eq!(fast.lines().count(), input.len());
    }

    #[test]
    fn missing_key_policy_is_labelled_key_policy_and_missing_trust_policy_trust_policy() {
        let (p, _) = parse_policy_text(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            "p.json",
            "p",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap();
        let set = PolicySet::compile(&Scenario {
            identity: vec![p],
            ..Default::default()
        })
        .unwrap();
        let input = [
            r#"{"action":"kms:Decrypt","resource":"arn:aws:kms:us-east-1:111122223333:key/k1"}"#,
            r#"{"action":"sts:AssumeRole","resource":"arn:aws:iam::111122223333:role/r"}"#,
        ]
        .join("\n");
        for slow in [false, true] {
            let out = run(&set, &input, slow);
            let lines: Vec<&str> = out.lines().collect();
            assert!(
                lines[0].contains(r#""missing":"keyPolicy""#),
                "{}",
                lines[0]
            );
            assert!(
                lines[1].contains(r#""missing":"trustPolicy""#),
                "{}",
                lines[1]
            );
        }
    }

    fn perimeter_set(resource_account: Option<&str>) -> PolicySet {
        let (p, _) = parse_policy_text(
            r#"{"Version":"2012-10-17","Statement":[
              {"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"},
              {"Sid":"Perimeter","Effect":"Deny","Action":"*","Resource":"*",
               "Condition":{"StringNotEqualsIfExists":{"aws:ResourceAccount":"111122223333"}}}]}"#,
            "p.json",
            "p",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap();
        PolicySet::compile(&Scenario {
            identity: vec![p],
            resource_account: resource_account.map(str::to_string),
            ..Default::default()
        })
        .unwrap()
    }

    const RESOURCE_LINES: &[&str] = &[
        r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:111122223333:q"}"#,
        r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:444455556666:q"}"#,
        r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k"}"#,
        r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","principal":"arn:aws:iam::444455556666:user/bob"}"#,
        r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:444455556666:q","context_keys":{"aws:ResourceAccount":"111122223333"}}"#,
        r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:444455556666:q","context_keys":{"aws:resourceaccount":null}}"#,
        r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:444455556666:q","context":"console"}"#,
        r#"{"action":"s3:GetObject","resource":"*","context":"console"}"#,
        r#"{"action":"s3:GetObject","principal":"anonymous"}"#,
    ];

    #[test]
    fn resource_account_key_is_set_per_line_and_fast_and_full_paths_agree() {
        for ra in [None, Some("444455556666")] {
            let set = perimeter_set(ra);
            let mut input: Vec<&str> = RESOURCE_LINES.to_vec();
            input.extend(RESOURCE_LINES.iter().rev());
            input.extend(RESOURCE_LINES);
            let text = input.join("\n");
            let (fast, st) = run_stats(&set, &text, false);
            assert_eq!(st.slow_path, 0);
            let slow = run(&set, &text, true);
            for (i, (a, b)) in fast.lines().zip(slow.lines()).enumerate() {
                assert_eq!(
                    a,
                    b,
                    "resource_account {ra:?}, line {}: {}",
                    i + 1,
                    input[i]
                );
            }
            let d: Vec<bool> = fast
                .lines()
                .take(RESOURCE_LINES.len())
                .map(|l| l.contains("explicitDeny"))
                .collect();
            let expect = match ra {
                // From the ARN, else the caller's account (bob's is 444455556666).
                // A removed key is absent, so the IfExists condition holds.
                None => [false, true, false, true, false, true, true, false, false],
                // The scenario's resource_account wins over the ARN; an override wins over it.
                Some(_) => [true, true, true, true, false, true, true, true, false],
            };
            assert_eq!(d, expect, "resource_account {ra:?}:\n{fast}");
        }
    }

    #[test]
    fn organization_keys_are_set_per_caller_and_resource_and_fast_and_full_paths_agree() {
        let (p, _) = parse_policy_text(
            r#"{"Version":"2012-10-17","Statement":[
              {"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"},
              {"Sid":"OrgCallers","Effect":"Deny","Action":"*","Resource":"*",
               "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}},
              {"Sid":"OrgResources","Effect":"Deny","Action":"*","Resource":"*",
               "Condition":{"StringNotEquals":{"aws:ResourceOrgID":"o-a1b2c3d4e5"}}},
              {"Sid":"SecretOu","Effect":"Deny","Action":"sqs:*","Resource":"*",
               "Condition":{"ForAnyValue:StringLike":{"aws:ResourceOrgPaths":"*/ou-ab12-secret/"}}}]}"#,
            "p.json",
            "p",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap();
        let org = crate::context::Organization {
            id: "o-a1b2c3d4e5".into(),
            accounts: [
                ("111122223333", "o-a1b2c3d4e5/r-ab12/ou-ab12-public/"),
                ("555566667777", "o-a1b2c3d4e5/r-ab12/ou-ab12-secret/"),
                ("444455556666", "o-a1b2c3d4e5/r-ab12/"),
            ]
            .into_iter()
            .map(|(a, p)| (a.to_string(), p.to_string()))
            .collect(),
        };
        let set = PolicySet::compile(&Scenario {
            identity: vec![p],
            organization: Some(org),
            ..Default::default()
        })
        .unwrap();
        let lines = [
            r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:111122223333:q"}"#,
            r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:555566667777:q"}"#,
            r#"{"action":"s3:GetObject","resource":"arn:aws:sqs:us-east-1:555566667777:q"}"#,
            r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:999988887777:q"}"#,
            r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","principal":"arn:aws:iam::999988887777:user/eve"}"#,
            r#"{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","principal":"arn:aws:iam::444455556666:user/bob"}"#,
            r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:555566667777:q","context_keys":{"aws:ResourceOrgPaths":["o-a1b2c3d4e5/r-ab12/"]}}"#,
            r#"{"action":"sqs:SendMessage","resource":"arn:aws:sqs:us-east-1:999988887777:q","context_keys":{"aws:ResourceOrgID":"o-a1b2c3d4e5"}}"#,
        ];
        let mut input: Vec<&str> = lines.to_vec();
        input.extend(lines.iter().rev());
        input.extend(lines);
        let text = input.join("\n");
        let (fast, st) = run_stats(&set, &text, false);
        assert_eq!(st.slow_path, 0);
        let slow = run(&set, &text, true);
        for (i, (a, b)) in fast.lines().zip(slow.lines()).enumerate() {
            assert_eq!(a, b, "line {}: {}", i + 1, input[i]);
        }
        let deciding: Vec<&str> = fast
            .lines()
            .take(lines.len())
            .map(|l| {
                ["All", "OrgCallers", "OrgResources", "SecretOu"]
                    .into_iter()
                    .find(|s| l.contains(&format!("\"p#{s}\"")))
                    .unwrap_or("none")
            })
            .collect();
        assert_eq!(
            deciding,
            // Other accounts' queues are cross-account without a queue policy: "none" means
            // no deny applied (the implicit deny of the missing queue policy).
            [
                "All",
                "SecretOu",
                "none",
                "OrgResources",
                "OrgCallers",
                "All",
                "none",
                "none"
            ],
            "{fast}"
        );
    }

    #[test]
    fn string_scanner_finds_the_first_special_byte() {
        fn decoded(line: &[u8]) -> Option<(usize, String)> {
            let mut it = serde_json::Deserializer::from_slice(line).into_iter::<String>();
            let v = it.next()?.ok()?;
            Some((it.byte_offset(), v))
        }
        fn resolved(line: &[u8], dec: &str, r: (u32, u32)) -> String {
            let text = std::str::from_utf8(line).unwrap_or_default();
            if r.0 & DECODED != 0 {
                resolve(text, dec, r).to_string()
            } else {
                String::from_utf8_lossy(&line[r.0 as usize..r.1 as usize]).into_owned()
            }
        }
        fn naive(b: &[u8]) -> Option<(u32, u32)> {
            if b.first() != Some(&b'"') {
                return None;
            }
            for (j, &c) in b.iter().enumerate().skip(1) {
                if c == b'"' {
                    return Some((1, j as u32));
                }
                if c == b'\\' || c < 0x20 {
                    return None;
                }
            }
            None
        }
        for len in 0..24 {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n', 0x7f, 0xc3, b' '] {
                for at in 0..len {
                    let mut v = vec![b'"'];
                    v.extend((0..len).map(|i| {
                        if i == at {
                            special
                        } else {
                            b'a' + (i % 26) as u8
                        }
                    }));
                    for tail in [&b""[..], b"\"", b"\"\"", b"x\"\\"] {
                        let mut line = v.clone();
                        line.extend_from_slice(tail);
                        let mut dec = String::new();
                        let mut names = Vec::new();
                        let mut c = Cursor::new(&line, &mut dec, &mut names);
                        let got = c.string();
                        if special == b'\\' {
                            // An escape: decoded as serde_json decodes it, or refused.
                            let pos = c.i;
                            let got = got.map(|r| (pos, resolved(&line, &dec, r)));
                            assert_eq!(got, decoded(&line), "{line:?}");
                        } else {
                            assert_eq!(got, naive(&line), "{line:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn escapes_are_decoded_as_the_json_reader_decodes_them() {
        for body in [
            r#""a\/b""#,
            r#""\u00e9t\u00E9 \"q\" \\ \b\f\n\r\t""#,
            r#""\ud83d\ude00 ok""#,
            r#""é\u0041é""#,
            r#""lone \ud83d""#,
            r#""lone \ude00""#,
            r#""high then plain \ud83d\u0041""#,
            r#""bad \x""#,
            r#""short \u12""#,
            r#""hex \u12g4""#,
            "\"ctl \\n\u{1}\"",
            r#""unterminated \n"#,
        ] {
            let line = body.as_bytes();
            let mut dec = String::new();
            let mut names = Vec::new();
            let mut c = Cursor::new(line, &mut dec, &mut names);
            let got = c.string();
            let pos = c.i;
            let got = got.map(|r| (pos, resolve(body, &dec, r).to_string()));
            let mut it = serde_json::Deserializer::from_slice(line).into_iter::<String>();
            let want = it
                .next()
                .and_then(|v| v.ok())
                .map(|v| (it.byte_offset(), v));
            assert_eq!(got, want, "{body}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The fuzz target's real-traffic shapes: any text as the raw text of a string value,
        /// list item, key name and time value, and as an unknown field's value.
        #[test]
        fn fast_and_full_paths_agree_on_any_escapes_and_unknown_fields(
            v in r#"(\\[u"\\/bfnrtx]|[0-9a-fA-F]|[dD][89aAbBcCdDeE]|[{}\[\]:, "n]|null|true|é|\x01)*"#
        ) {
            let set = set();
            let lines = [
                format!(r#"{{"action":"s3:GetObject","context":"console-mfa","context_keys":{{"aws:SourceIp":"{v}","aws:MultiFactorAuthPresent":"{v}"}}}}"#),
                format!(r#"{{"action":"ec2:RunInstances","context_keys":{{"aws:TagKeys":["{v}"],"{v}":"x","aws:CurrentTime":"{v}"}}}}"#),
                format!(r#"{{"principal":"arn:aws:sts::111122223333:assumed-role/R/s","action":"kms:Decrypt","requestParameters":{v},"eventID":"e1"}}"#),
                format!(r#"{{"action":"kms:Decrypt","x":{{"a":[{v}],"b":{{"{v}":1,"c":{v}}}}}}}"#),
            ];
            let text = lines.join("\n");
            proptest::prop_assert_eq!(run(&set, &text, false), run(&set, &text, true));
        }
    }

    /// A line's request through the [`Row`] API, its `context_keys` as JSON text (`json`) or
    /// key by key; `None` when the row needs the full path or the line is not an object of
    /// string fields.
    fn row_outcome(w: &mut Worker<'_, '_>, line: &str, json: bool) -> Option<Option<Outcome>> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let o = v.as_object()?;
        let mut row = w.row();
        for (k, v) in o {
            match (k.as_str(), v) {
                ("action", serde_json::Value::String(s)) => row.action(s),
                ("resource", serde_json::Value::String(s)) => row.resource(s),
                ("context", serde_json::Value::String(s)) => row.context(s),
                ("principal", serde_json::Value::String(s)) => row.principal(s),
                ("context_keys", keys) if json => row.keys_json(&keys.to_string()),
                ("context_keys", serde_json::Value::Object(keys)) => {
                    for (name, v) in keys {
                        let text = |v: &serde_json::Value| match v {
                            serde_json::Value::String(s) => Some(s.clone()),
                            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
                                Some(v.to_string())
                            }
                            _ => None,
                        };
                        match v {
                            serde_json::Value::Null => row.remove_key(name),
                            serde_json::Value::Array(items) => {
                                let items: Option<Vec<String>> = items.iter().map(text).collect();
                                row.key_values(name, items?.iter().map(String::as_str))
                            }
                            v => row.key(name, &text(v)?),
                        };
                    }
                    &mut row
                }
                ("action" | "resource" | "context" | "principal" | "context_keys", _) => {
                    return None
                }
                _ => &mut row,
            };
        }
        Some(row.decide())
    }

    #[test]
    fn rows_written_into_the_slots_decide_as_their_lines_do() {
        let set = set();
        let b = Batch::new(
            &set,
            Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap(),
            1_700_000_000,
            Options::default(),
        );
        let mut w = b.worker();
        let mut decided = 0;
        // Lines in several orders, so the rows meet every slot state the lines leave.
        let mut input: Vec<&str> = LINES.to_vec();
        input.extend(LINES.iter().rev());
        for (i, line) in input.iter().enumerate() {
            let mut out = Vec::new();
            let mut st = Stats::default();
            w.line(1, line.as_bytes(), &mut out, &mut st);
            let want: serde_json::Value = serde_json::from_slice(&out).unwrap();
            for json in [true, false] {
                let Some(got) = row_outcome(&mut w, line, json) else {
                    continue;
                };
                let Some(o) = got else {
                    // The row needs the full path: only where the line took it too (or an
                    // escape the JSON value form does not keep apart), never for a decision
                    // the fast path made.
                    assert!(
                        st.slow_path == 1 || want.get("error").is_some(),
                        "line {i} (json {json}) decided on the fast path but not as a row: {line}"
                    );
                    continue;
                };
                if want.get("error").is_some() {
                    // Only a line giving a field twice (which columns cannot) errs where its
                    // row decides.
                    let twice = crate::json::parse(line)
                        .is_ok_and(|j| crate::scenario::reject_duplicate_keys(&j, "").is_err());
                    assert!(twice, "line {i} is an error but its row decided: {line}");
                    continue;
                }
                decided += 1;
                assert_eq!(want["decision"], o.decision.as_str(), "line {i}: {line}");
                let label = o.statements.first().map(|&id| b.statement_label(id));
                assert_eq!(want["statement"].as_str(), label, "line {i}: {line}");
                let missing = o.missing.map(|m| m.name().into_owned());
                assert_eq!(want["missing"].as_str(), missing.as_deref(), "line {i}");
                assert_eq!(want["rule"].as_str(), o.rule.map(|r| r.name()), "line {i}");
            }
        }
        assert!(decided > 40, "only {decided} rows decided");
    }

    #[test]
    fn a_key_given_twice_is_found_after_lines_that_remembered_it() {
        // The same keys in the same and in other orders, then twice in one line (spelt as
        // given and through an escape), across more lines than positions are remembered.
        let set = set();
        let a = r#""aws:SourceIp":"10.1.2.3""#;
        let b = r#""aws:MultiFactorAuthPresent":"true""#;
        let c = r#""s\u0033:prefix":"x""#;
        let d = r#""s3:prefix":"y""#;
        let keys = [
            format!("{a},{b}"),
            format!("{b},{a}"),
            format!("{a},{b},{a}"),
            format!("{c},{a}"),
            format!("{d},{c}"),
            format!("{a},{d}"),
            format!("{b},{b}"),
        ];
        let input: String = keys
            .iter()
            .map(|k| {
                format!(
                    "{{\"action\":\"s3:GetObject\",\"resource\":\"arn:aws:s3:::b/k\",\"context_keys\":{{{k}}}}}\n"
                )
            })
            .collect::<String>()
            .repeat(3);
        let (fast, st) = run_stats(&set, &input, false);
        assert_eq!(fast, run(&set, &input, true));
        let dup: Vec<usize> = fast
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains("duplicate key"))
            .map(|(i, _)| i % keys.len())
            .collect();
        assert_eq!(dup, [2, 4, 6, 2, 4, 6, 2, 4, 6]);
        // Only the duplicates needed the full path.
        assert_eq!(st.slow_path, 9);
    }

    #[test]
    fn plain_lines_take_the_fast_path() {
        let set = set();
        for (i, l) in LINES.iter().enumerate() {
            let (_, st) = run_stats(&set, l, false);
            // Escapes, duplicates, nested values and every error take the full path; time
            // overrides do not.
            // Escapes in request fields, duplicates (at any depth), nested context values, very
            // deep unknown fields and every error take the full path; time overrides, escapes
            // in context keys and unknown fields of any type do not.
            let slow = [
                11, 12, 14, 15, 16, 18, 19, 20, 21, 23, 24, 32, 35, 36, 44, 45, 47, 53, 57,
            ]
            .contains(&i);
            assert_eq!(st.slow_path, slow as u64, "line {}: {l}", i + 1);
        }
    }

    #[test]
    fn decisions_and_errors() {
        let set = set();
        let out = run(&set, &LINES.join("\n"), false);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"line":1,"decision":"allowed","statement":"p#Admin"}"#
        );
        assert!(lines[1].contains(r#""explicitDeny","statement":"p#Ip""#));
        assert!(lines[3].contains(r#""explicitDeny","statement":"p#NoMfa""#));
        assert!(lines[5].contains(r#""p#Tags""#), "{}", lines[5]);
        assert!(lines[6].contains(r#""allowed""#), "{}", lines[6]);
        assert!(lines[7].contains(r#""p#Old""#), "{}", lines[7]);
        assert!(lines[8].contains(r#""p#NoMfa""#), "{}", lines[8]);
        // A key given twice is an error record, never "the first one wins".
        assert!(lines[11].contains("duplicate key"), "{}", lines[11]);
        assert!(
            lines[15].contains("unknown context preset"),
            "{}",
            lines[15]
        );
        assert!(
            lines[16].contains("must be service:Action"),
            "{}",
            lines[16]
        );
        assert!(
            lines[17].contains(r#""rule":"get-caller-identity""#),
            "{}",
            lines[17]
        );
        assert!(lines[18].contains("invalid principal"), "{}", lines[18]);
        assert!(lines[19].contains("unexpected text"), "{}", lines[19]);
        assert!(lines[20].contains("must be a JSON object"), "{}", lines[20]);
        assert!(
            lines[21].contains("missing \\\"action\\\""),
            "{}",
            lines[21]
        );
        // An action the catalog does not know is decided, with a warning, on both paths.
        for l in [lines[56], lines[57]] {
            assert!(
                l.contains(r#""warning":"s3:GetObjects is not an AWS action"#)
                    && l.ends_with(r#"did you mean s3:GetObject?"}"#),
                "{l}"
            );
        }
        assert!(!lines[0].contains("warning"), "{}", lines[0]);
        // Time overrides drive both time keys and the token's issue time.
        assert!(lines[26].contains(r#""p#Epoch""#), "{}", lines[26]);
        assert!(lines[27].contains(r#""p#Old""#), "{}", lines[27]);
        assert!(lines[28].contains("allowed"), "{}", lines[28]);
        assert!(lines[29].contains(r#""p#Fresh""#), "{}", lines[29]);
        assert!(lines[30].contains("explicitDeny"), "{}", lines[30]);
        assert!(lines[31].contains(r#""p#Fresh""#), "{}", lines[31]);
        // A time value that is not a date is an error, not a silent fall back to another key.
        assert!(
            lines[32].contains(r#""error""#) && lines[32].contains("must be a date"),
            "{}",
            lines[32]
        );
        assert!(lines[33].contains(r#""p#Epoch""#), "{}", lines[33]);
        assert!(lines[37].contains(r#""p#Epoch""#), "{}", lines[37]);
        assert!(lines[38].contains(r#""p#Epoch""#), "{}", lines[38]);
        assert!(lines[39].contains("allowed"), "{}", lines[39]);
        // Escapes are decoded: `s\u0065cret` is `secret`, `Source\u0049p` is `SourceIp`.
        assert!(lines[41].contains(r#""p#Tags""#), "{}", lines[41]);
        assert!(lines[42].contains(r#""p#Ip""#), "{}", lines[42]);
        assert!(lines[44].contains("duplicate key"), "{}", lines[44]);
        assert!(lines[45].contains("duplicate key"), "{}", lines[45]);
        assert!(lines[46].contains(r#""p#NoMfa""#), "{}", lines[46]);
        // The root user is not subject to its account's identity policies.
        assert_eq!(lines[48], r#"{"line":49,"decision":"allowed"}"#);
        assert!(lines[49].contains(r#""p#Old""#), "{}", lines[49]);
    }
}
