//! `Scenario.evaluate_batch`: Arrow in, Arrow out, through the Arrow PyCapsule interface
//! (`__arrow_c_stream__` / `__arrow_c_array__`), so pyarrow, Polars, DuckDB and Spark's
//! `mapInArrow` batches all work without copying their columns into Python objects.
//!
//! Each row is written straight into a batch worker's bound slots through the library's hot-path
//! API ([`iamsim::Row`]) and decided by the same fast path as a line of `iamsim batch`; a row
//! that path does not take becomes the JSON line `iamsim batch` would read and goes through the
//! same worker, so errors are worded as the CLI words them. So the decisions are those of
//! `iamsim batch`, row for row.

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::ArrowArrayStreamReader;
pub use arrow_array::RecordBatch;
use arrow_array::{Array, ArrayRef, MapArray, RecordBatchReader, StructArray};
pub use arrow_schema::SchemaRef;
use arrow_schema::{DataType, Field, Schema};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyTuple};
use std::borrow::Cow;
use std::sync::Arc;

/// The request columns read from the input (any may be absent but `action`).
const REQUEST_COLUMNS: [&str; 4] = ["action", "resource", "context", "principal"];
/// The output columns, in order, before the passthrough columns.
pub const OUTPUT_COLUMNS: [&str; 5] = ["decision", "statement", "rule", "missing", "error"];

/// Reads every record batch of an Arrow object (stream preferred: tables and data frames only
/// offer a stream). Keeps the GIL: the producer's callbacks may need it.
pub fn import(obj: &Bound<'_, PyAny>) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    if obj.hasattr("__arrow_c_stream__")? {
        let capsule = obj.call_method0("__arrow_c_stream__")?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let ptr = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
        // SAFETY: the capsule holds an ArrowArrayStream (its name says so); from_raw moves it
        // out and marks the original released, so the capsule's destructor does nothing.
        let reader = unsafe { ArrowArrayStreamReader::from_raw(ptr.as_ptr().cast()) }
            .map_err(|e| PyValueError::new_err(format!("cannot read the Arrow stream: {e}")))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PyValueError::new_err(format!("cannot read the Arrow stream: {e}")))?;
        return Ok((schema, batches));
    }
    if obj.hasattr("__arrow_c_array__")? {
        let pair = obj.call_method0("__arrow_c_array__")?;
        let pair = pair.cast::<PyTuple>()?;
        let schema_capsule = pair.get_item(0)?;
        let array_capsule = pair.get_item(1)?;
        let sp = schema_capsule
            .cast::<PyCapsule>()?
            .pointer_checked(Some(c"arrow_schema"))?;
        let ap = array_capsule
            .cast::<PyCapsule>()?
            .pointer_checked(Some(c"arrow_array"))?;
        // SAFETY: the capsules hold an ArrowSchema (borrowed) and an ArrowArray (moved out).
        let data = unsafe {
            let array = FFI_ArrowArray::from_raw(ap.as_ptr().cast());
            from_ffi(array, &*(sp.as_ptr() as *const FFI_ArrowSchema))
        }
        .map_err(|e| PyValueError::new_err(format!("cannot read the Arrow array: {e}")))?;
        if !matches!(data.data_type(), DataType::Struct(_)) {
            return Err(PyTypeError::new_err(format!(
                "evaluate_batch needs a record batch (a struct array), found {}",
                data.data_type()
            )));
        }
        let batch = RecordBatch::from(StructArray::from(data));
        return Ok((batch.schema(), vec![batch]));
    }
    Err(PyTypeError::new_err(format!(
        "evaluate_batch needs an Arrow object (__arrow_c_stream__ or __arrow_c_array__: a pyarrow \
         RecordBatch or Table, a Polars DataFrame, a DuckDB result...), not {}",
        obj.get_type().name()?
    )))
}

/// A string column of any of Arrow's string layouts.
enum Strings<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Dict(Vec<usize>, Box<Strings<'a>>, &'a dyn Array),
}

impl<'a> Strings<'a> {
    fn of(name: &str, a: &'a dyn Array) -> Result<Strings<'a>, String> {
        Ok(match a.data_type() {
            DataType::Utf8 => Strings::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Strings::Large(a.as_string::<i64>()),
            DataType::Utf8View => Strings::View(a.as_string_view()),
            DataType::Dictionary(_, _) => {
                let d = a.as_any_dictionary();
                Strings::Dict(
                    d.normalized_keys(),
                    Box::new(Strings::of(name, d.values().as_ref())?),
                    d.keys(),
                )
            }
            other => {
                return Err(format!(
                    "column \"{name}\" must be strings (utf8, large_utf8, string_view or a dictionary of them), found {other}"
                ))
            }
        })
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Dict(keys, values, k) => {
                if k.is_valid(i) {
                    values.get(keys[i])
                } else {
                    None
                }
            }
        }
    }
}

/// `context_keys`: JSON text per row, or `map<string, list<string> | string>`.
enum Keys<'a> {
    Json(Strings<'a>),
    Map(&'a MapArray, Strings<'a>, MapValues<'a>),
}

enum MapValues<'a> {
    One(Strings<'a>),
    List(&'a arrow_array::ListArray, Strings<'a>),
    LargeList(&'a arrow_array::LargeListArray, Strings<'a>),
}

impl<'a> Keys<'a> {
    fn of(a: &'a dyn Array) -> Result<Keys<'a>, String> {
        let bad = || {
            format!(
                "column \"context_keys\" must be JSON text or map<string, list<string>>, found {}",
                a.data_type()
            )
        };
        if let DataType::Map(_, _) = a.data_type() {
            let m = a.as_map();
            let keys = Strings::of("context_keys (map keys)", m.keys().as_ref())?;
            let v = m.values().as_ref();
            let values = match v.data_type() {
                DataType::List(_) => {
                    let l = v.as_list::<i32>();
                    MapValues::List(
                        l,
                        Strings::of("context_keys (map values)", l.values().as_ref())?,
                    )
                }
                DataType::LargeList(_) => {
                    let l = v.as_list::<i64>();
                    MapValues::LargeList(
                        l,
                        Strings::of("context_keys (map values)", l.values().as_ref())?,
                    )
                }
                _ => {
                    MapValues::One(Strings::of("context_keys (map values)", v).map_err(|_| bad())?)
                }
            };
            return Ok(Keys::Map(m, keys, values));
        }
        Strings::of("context_keys", a)
            .map(Keys::Json)
            .map_err(|_| bad())
    }

    /// Appends `,"context_keys":{...}` for row `i` (nothing for a null). JSON text that is not
    /// exactly one JSON value is the row's error: spliced into the line as it is, text such as
    /// `{}, "principal": "..."` would set other fields of the request.
    fn write(&self, i: usize, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Keys::Json(s) => {
                if let Some(t) = s.get(i).filter(|t| !t.trim().is_empty()) {
                    if !one_object(t) {
                        return Err(format!(
                            "context_keys is not a JSON object: {:?}",
                            t.chars().take(80).collect::<String>()
                        ));
                    }
                    out.extend_from_slice(b",\"context_keys\":");
                    // One row is one line: raw line breaks (only whitespace in valid JSON)
                    // become spaces.
                    out.extend(
                        t.bytes()
                            .map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
                    );
                }
            }
            Keys::Map(m, keys, values) => {
                if m.is_null(i) {
                    return Ok(());
                }
                out.extend_from_slice(b",\"context_keys\":{");
                let (from, to) = (
                    m.value_offsets()[i] as usize,
                    m.value_offsets()[i + 1] as usize,
                );
                for j in from..to {
                    if j > from {
                        out.push(b',');
                    }
                    string(out, keys.get(j));
                    out.push(b':');
                    match values {
                        MapValues::One(s) => string(out, s.get(j)),
                        MapValues::List(l, s) => list(out, l.is_valid(j), l.value_offsets(), j, s),
                        MapValues::LargeList(l, s) => {
                            list(out, l.is_valid(j), l.value_offsets(), j, s)
                        }
                    }
                }
                out.push(b'}');
            }
        }
        Ok(())
    }
}

/// Whether `t` is lexically one JSON object: it starts with `{` and the brace that closes it
/// is its last non-blank character (strings skipped). What is inside is left to the batch
/// reader, which reports a malformed line as an error; this check only guarantees the text
/// cannot close the request object and add fields of its own.
fn one_object(t: &str) -> bool {
    let b = t.trim_ascii().as_bytes();
    if b.first() != Some(&b'{') {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &c) in b.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i == b.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

fn list<O: Copy + TryInto<usize>>(
    out: &mut Vec<u8>,
    valid: bool,
    offsets: &[O],
    j: usize,
    s: &Strings<'_>,
) {
    if !valid {
        out.extend_from_slice(b"null");
        return;
    }
    let at = |k: usize| offsets[k].try_into().unwrap_or(0);
    out.push(b'[');
    for k in at(j)..at(j + 1) {
        if k > at(j) {
            out.push(b',');
        }
        string(out, s.get(k));
    }
    out.push(b']');
}

/// A JSON string (or `null`).
fn string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            let _ = serde_json::to_writer(&mut *out, s);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// One output line of the batch worker.
#[derive(serde::Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    decision: Option<Cow<'a, str>>,
    #[serde(borrow)]
    statement: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rule: Option<Cow<'a, str>>,
    #[serde(borrow)]
    missing: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
}

/// Checks the columns and the passthrough names before any row is evaluated.
pub fn check(schema: &Schema, passthrough: &[String]) -> Result<(), String> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if !names.contains(&"action") {
        return Err(format!(
            "evaluate_batch needs an \"action\" column; the input has {names:?}"
        ));
    }
    for p in passthrough {
        if !names.contains(&p.as_str()) {
            return Err(format!(
                "passthrough column \"{p}\" is not in the input; it has {names:?}"
            ));
        }
        if OUTPUT_COLUMNS.contains(&p.as_str()) {
            return Err(format!(
                "passthrough column \"{p}\" has the name of an output column; rename it first"
            ));
        }
    }
    Ok(())
}

/// The output schema for an input schema.
pub fn output_schema(input: &Schema, passthrough: &[String]) -> SchemaRef {
    let mut fields: Vec<Field> = OUTPUT_COLUMNS
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, true))
        .collect();
    for p in passthrough {
        if let Ok(f) = input.field_with_name(p) {
            fields.push(f.clone());
        }
    }
    Arc::new(Schema::new(fields))
}

/// The request columns of one record batch.
struct Columns<'a> {
    cols: Vec<(&'static str, Strings<'a>)>,
    keys: Option<Keys<'a>>,
}

impl Columns<'_> {
    /// Writes row `i` straight into the worker's slots ([`iamsim::Row`]): no JSON is rendered
    /// or read for it. `false` when a `context_keys` map has a null key name or a null list
    /// item (the JSON line path takes those).
    fn write_row(&self, i: usize, row: &mut iamsim::Row<'_, '_, '_>) -> bool {
        for (name, c) in &self.cols {
            if let Some(v) = c.get(i) {
                match *name {
                    "action" => row.action(v),
                    "resource" => row.resource(v),
                    "context" => row.context(v),
                    _ => row.principal(v),
                };
            }
        }
        match &self.keys {
            None => true,
            Some(Keys::Json(s)) => {
                if let Some(t) = s.get(i).filter(|t| !t.trim().is_empty()) {
                    row.keys_json(t);
                }
                true
            }
            Some(Keys::Map(m, keys, values)) => {
                if m.is_null(i) {
                    return true;
                }
                let offsets = m.value_offsets();
                for j in offsets[i] as usize..offsets[i + 1] as usize {
                    let Some(name) = keys.get(j) else {
                        return false;
                    };
                    let written = match values {
                        MapValues::One(s) => {
                            match s.get(j) {
                                Some(v) => row.key(name, v),
                                None => row.remove_key(name),
                            };
                            Some(())
                        }
                        MapValues::List(l, s) => {
                            list_key(row, name, l.is_valid(j), l.value_offsets(), j, s)
                        }
                        MapValues::LargeList(l, s) => {
                            list_key(row, name, l.is_valid(j), l.value_offsets(), j, s)
                        }
                    };
                    if written.is_none() {
                        return false;
                    }
                }
                true
            }
        }
    }

    /// Row `i` as the JSON line `iamsim batch` would read (the full path, for rows the fast
    /// path does not take, so their errors are worded as the CLI words them); `Err` for a row
    /// found bad here.
    fn line(&self, i: usize, line: &mut Vec<u8>) -> Result<(), String> {
        line.push(b'{');
        let mut first = true;
        for (name, c) in &self.cols {
            if let Some(v) = c.get(i) {
                if !first {
                    line.push(b',');
                }
                first = false;
                string(line, Some(name));
                line.push(b':');
                string(line, Some(v));
            }
        }
        if let Some(k) = &self.keys {
            let before = line.len();
            k.write(i, line)?;
            if first && line.len() > before {
                line.remove(before); // no leading comma in `{,"context_keys"...`
            }
        }
        line.push(b'}');
        Ok(())
    }
}

/// A multivalued map entry (a null list removes the key, as `null` does in a line); `None`
/// for a list with a null item, which has no text form in a row (the JSON line takes it).
fn list_key<O: Copy + TryInto<usize>>(
    row: &mut iamsim::Row<'_, '_, '_>,
    name: &str,
    valid: bool,
    offsets: &[O],
    j: usize,
    s: &Strings<'_>,
) -> Option<()> {
    if !valid {
        row.remove_key(name);
        return Some(());
    }
    let at = |k: usize| offsets[k].try_into().unwrap_or(0);
    let items: Option<Vec<&str>> = (at(j)..at(j + 1)).map(|k| s.get(k)).collect();
    row.key_values(name, items?);
    Some(())
}

/// The output columns being built.
struct Builders(Vec<StringBuilder>);

impl Builders {
    fn push(&mut self, values: [Option<&str>; 5]) {
        for (b, v) in self.0.iter_mut().zip(values) {
            b.append_option(v);
        }
    }
}

/// Evaluates one record batch: each row is written straight into a batch worker's slots
/// ([`iamsim::Row`]) and decided by the fast path of `iamsim batch`; a row the fast path does
/// not take goes through the same worker as a JSON line, as `iamsim batch` reads it.
pub fn evaluate(
    engine: &iamsim::Engine,
    batch: &RecordBatch,
    passthrough: &[String],
    schema: &SchemaRef,
) -> Result<RecordBatch, String> {
    let column = |name: &str| batch.column_by_name(name).map(|c| c.as_ref());
    let mut cols: Vec<(&'static str, Strings<'_>)> = Vec::new();
    for name in REQUEST_COLUMNS {
        if let Some(c) = column(name) {
            cols.push((name, Strings::of(name, c)?));
        }
    }
    let keys = column("context_keys").map(Keys::of).transpose()?;
    let columns = Columns { cols, keys };
    let rows = batch.num_rows();
    let run = crate::jsonl::batch(engine);
    let mut worker = run.worker();
    let mut builders = Builders(
        OUTPUT_COLUMNS
            .iter()
            .map(|_| StringBuilder::with_capacity(rows, rows * 16))
            .collect(),
    );
    let (mut line, mut out) = (Vec::new(), Vec::new());
    let mut stats = iamsim::batch::Stats::default();
    for i in 0..rows {
        let mut row = worker.row();
        if columns.write_row(i, &mut row) {
            if let Some(o) = row.decide() {
                let statement = o.statements.first().map(|&id| run.statement_label(id));
                let missing = o.missing.map(|m| m.name());
                builders.push([
                    Some(o.decision.as_str()),
                    statement,
                    o.rule.map(|r| r.name()),
                    missing.as_deref(),
                    None,
                ]);
                continue;
            }
        }
        // The full path: the row as a JSON line through the same worker.
        line.clear();
        if let Err(e) = columns.line(i, &mut line) {
            builders.push([None, None, None, None, Some(&e)]);
            continue;
        }
        out.clear();
        worker.line(i as u64 + 1, &line, &mut out, &mut stats);
        let l: Line<'_> = serde_json::from_slice(&out)
            .map_err(|e| format!("internal error: unreadable batch output line: {e}"))?;
        builders.push([
            l.decision.as_deref(),
            l.statement.as_deref(),
            l.rule.as_deref(),
            l.missing.as_deref(),
            l.error.as_deref(),
        ]);
    }
    let mut columns: Vec<ArrayRef> = builders
        .0
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    for p in passthrough {
        columns.push(Arc::clone(batch.column_by_name(p).ok_or_else(|| {
            format!("passthrough column \"{p}\" is not in the input")
        })?));
    }
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(|e| e.to_string())
}

/// A record batch handed to Python through `__arrow_c_array__`.
#[pyclass(frozen, module = "iamsim._iamsim")]
pub struct ArrowBatch {
    batch: RecordBatch,
}

impl ArrowBatch {
    pub fn new(batch: RecordBatch) -> ArrowBatch {
        ArrowBatch { batch }
    }
}

#[pymethods]
impl ArrowBatch {
    /// The Arrow PyCapsule interface: `(schema capsule, array capsule)`.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema; // the schema is fixed: plain string columns
        let data = StructArray::from(self.batch.clone()).into_data();
        let (array, schema) = to_ffi(&data).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let s = PyCapsule::new_with_value(py, schema, c"arrow_schema")?;
        let a = PyCapsule::new_with_value(py, array, c"arrow_array")?;
        PyTuple::new(py, [s.into_any(), a.into_any()])
    }

    /// The number of rows.
    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }
}
