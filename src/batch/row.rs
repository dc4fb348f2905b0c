//! The hot path as an API: a request written field by field and key by key straight into a
//! [`Worker`]'s bound slots, for callers that hold the fields already (columns of an Arrow
//! batch, a replayed event) and would otherwise render a JSON line only for it to be read
//! again.

//! A [`Row`] is decided by the same steps as a line on `iamsim batch`'s fast path (the bound
//! template of the caller and preset, the keys a policy reads written into a working copy,
//! the time keys recomputed from a time override), so it gets the same decision. What the
//! fast path hands to the full path (a principal that does not parse, an unknown preset, an
//! action that is not `service:Action`, a time key that is not a date, a key given twice,
//! `context_keys` JSON outside the scanner's subset) makes [`Row::decide`] return `None`: the
//! caller then renders the request as a JSON line for [`Worker::line`], which words the error
//! exactly as `iamsim batch` does.

use super::{context_keys, Cursor, FastValue, KeyEntry, Scanned, Worker, DECODED};
use crate::eval::Outcome;

/// A request being written into a worker's slots ([`Worker::row`]); [`Row::decide`] decides
/// it. Field setters given twice keep the last value; keys given twice make the request one
/// for the full path (as a key twice in `context_keys` is an error there).
///
/// ```
/// use iamsim::{Batch, BatchOptions, Decision, Engine};
/// let engine = Engine::from_file("testdata/mfa/force-mfa.json")?;
/// let batch = Batch::new(engine.policy_set(), engine.scenario().principal.clone(),
///                        1_750_000_000, BatchOptions::default());
/// let mut worker = batch.worker();
/// let mut row = worker.row();
/// row.action("s3:ListAllMyBuckets").context("access-keys")
///     .key("aws:SourceIp", "203.0.113.7")
///     .keys_json(r#"{"aws:CurrentTime": "2026-01-01T00:00:00Z", "aws:TagKeys": ["env"]}"#);
/// let v = row.decide().expect("a well-formed request");
/// assert_eq!(v.decision, Decision::ExplicitDeny);
/// assert!(batch.statement_label(v.statements[0]).ends_with("force-mfa.json#DenyAllExceptListedIfNoMFA"));
/// # Ok::<(), iamsim::Error>(())
/// ```
#[derive(Debug)]
pub struct Row<'w, 'b, 's> {
    w: &'w mut Worker<'b, 's>,
    f: Scanned,
    /// False once something was given that the fast path does not take.
    plain: bool,
}

impl<'b, 's> Worker<'b, 's> {
    /// Starts a request written field by field (see [`Row`]).
    pub fn row(&mut self) -> Row<'_, 'b, 's> {
        self.entries.clear();
        self.items.clear();
        self.dec.clear();
        self.row_buf.clear();
        Row {
            w: self,
            f: Scanned::default(),
            plain: true,
        }
    }
}

impl Row<'_, '_, '_> {
    /// Copies `v` into the row's text; its range there.
    fn put(&mut self, v: &str) -> (u32, u32) {
        let buf = &mut self.w.row_buf;
        let a = buf.len();
        buf.push_str(v);
        if buf.len() >= DECODED as usize {
            self.plain = false;
            return (0, 0);
        }
        (a as u32, buf.len() as u32)
    }

    /// The action (`service:Action`); required.
    pub fn action(&mut self, v: &str) -> &mut Self {
        self.f.action = Some(self.put(v));
        self
    }

    /// The resource ARN (`*` when not given).
    pub fn resource(&mut self, v: &str) -> &mut Self {
        self.f.resource = Some(self.put(v));
        self
    }

    /// The context preset by name (`console-mfa`, ...; the first preset when not given).
    pub fn context(&mut self, v: &str) -> &mut Self {
        self.f.context = Some(self.put(v));
        self
    }

    /// The caller's ARN, overriding the scenario's principal.
    pub fn principal(&mut self, v: &str) -> &mut Self {
        self.f.principal = Some(self.put(v));
        self
    }

    /// A single-valued context key (the value as `context_keys` gives it in a line: text,
    /// number text, `true`/`false`).
    pub fn key(&mut self, name: &str, value: &str) -> &mut Self {
        let key = self.put(name);
        let (a, b) = self.put(value);
        self.w.entries.push(KeyEntry {
            key,
            value: FastValue::One(a, b),
        });
        self
    }

    /// A multivalued context key.
    pub fn key_values<'v>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = &'v str>,
    ) -> &mut Self {
        let key = self.put(name);
        let from = self.w.items.len() as u32;
        for v in values {
            let r = self.put(v);
            self.w.items.push(r);
        }
        let to = self.w.items.len() as u32;
        self.w.entries.push(KeyEntry {
            key,
            value: FastValue::Many(from, to),
        });
        self
    }

    /// Removes a key the preset or the principal sets (`null` in `context_keys`).
    pub fn remove_key(&mut self, name: &str) -> &mut Self {
        let key = self.put(name);
        self.w.entries.push(KeyEntry {
            key,
            value: FastValue::Remove,
        });
        self
    }

    /// The keys of a `context_keys` JSON object (`{"aws:SourceIp": "...", ...}`), read by the
    /// batch scanner; text it does not take (nested values, malformed JSON) makes the request
    /// one for the full path.
    pub fn keys_json(&mut self, text: &str) -> &mut Self {
        let start = self.put(text).0 as usize;
        if !self.plain {
            return self;
        }
        let w = &mut *self.w;
        let bytes = w.row_buf.as_bytes();
        let mut c = Cursor {
            b: bytes,
            i: start,
            dec: &mut w.dec,
            names: &mut w.names,
        };
        c.ws();
        let ok = context_keys(&mut c, &mut w.entries, &mut w.items).is_some() && {
            c.ws();
            c.i == bytes.len()
        };
        if !ok || w.dec.len() >= DECODED as usize {
            self.plain = false;
        }
        self
    }

    /// Decides the request; `None` when it needs the full path (see the module docs). The
    /// statement ids of the outcome name statements through [`super::Batch::statement_label`].
    pub fn decide(&mut self) -> Option<Outcome> {
        if !self.plain {
            return None;
        }
        let w = &mut *self.w;
        // The row's text and decoded strings travel outside the worker while it decides.
        let text = std::mem::take(&mut w.row_buf);
        let dec = std::mem::take(&mut w.dec);
        let mut outcome = None;
        w.decide(&text, &dec, &self.f, |_, o, _, _| outcome = Some(o.clone()));
        w.row_buf = text;
        w.dec = dec;
        outcome
    }
}
