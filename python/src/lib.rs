//! `iamsim._iamsim`: the Python extension module. It uses only the library's front door
//! (`Engine`, `Query`, `Preset`, `Error`), the batch worker (through the one adapter in
//! `jsonl.rs`) and the policy reader for `lint`; the Python package `iamsim` re-exports it.

use iamsim::Preset;
use iamsim::{Engine, Query};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBytes, PyDict, PyList, PyString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod arrow;
mod jsonl;

pyo3::create_exception!(
    iamsim,
    InputError,
    PyValueError,
    "Bad input (a scenario, a policy, a request field), with its position: `.file`, `.line`, \
     `.column` (1-based; 0 when unknown), `.path` (the JSON path) and `.message`."
);

/// Raises `iamsim.InputError` with the position of `e`.
fn input_error(py: Python<'_>, e: &iamsim::diag::InputError) -> PyErr {
    let err = InputError::new_err(e.to_string());
    let v = err.value(py);
    let _ = v.setattr("file", &e.file);
    let _ = v.setattr("line", e.pos.line);
    let _ = v.setattr("column", e.pos.col);
    let _ = v.setattr("path", &e.path);
    let _ = v.setattr("message", &e.message);
    err
}

/// Maps the library's error to a Python exception.
fn to_py(py: Python<'_>, e: iamsim::Error) -> PyErr {
    match e {
        iamsim::Error::Input(e) => input_error(py, &e),
        iamsim::Error::Compile(e) => PyValueError::new_err(e.to_string()),
        iamsim::Error::Query(e) => PyValueError::new_err(e.to_string()),
        iamsim::Error::Audit(e) => PyRuntimeError::new_err(e.to_string()),
    }
}

/// Parses a JSON text made by this crate (serde output) into Python objects.
fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// Where a scenario came from: what a Spark worker needs to compile the same one again.
#[derive(Debug, Clone)]
struct Source {
    json: String,
    /// The scenario file, for `{"file"}` references relative to it.
    origin: Option<PathBuf>,
}

/// Compiles a scenario from its JSON text; with `origin`, as the file `origin` would be
/// (references relative to its directory, which becomes a reference root). `root` is one more
/// directory references may point into: the driver's working directory, for a Spark or Ray
/// worker that runs in another one.
fn compile(
    text: &str,
    origin: Option<&Path>,
    root: Option<&Path>,
) -> Result<Engine, iamsim::Error> {
    let Some(origin) = origin else {
        return Engine::from_json(text);
    };
    // The file as named (what labels and errors show) and where it is read: under `root` when
    // it is relative and the worker's directory is another one.
    let shown = origin.display().to_string();
    let path = match root {
        Some(r) if origin.is_relative() && !origin.exists() => r.join(origin),
        _ => origin.to_path_buf(),
    };
    let j = iamsim::scenario::parse_json_text(text, &shown)?;
    let mut b = iamsim::ScenarioBuilder::new();
    b.loader.roots.allow_input(&path);
    if let Some(r) = root {
        b.loader.roots.allow_dir(r);
        if path != origin {
            b.loader.shown_relative_to = Some(r.to_path_buf());
        }
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    b.json(&j, &shown, &base)?;
    Engine::new(b.build()?.spec)
}

/// A compiled scenario (the scenario fields of a case file: principal, identity_policies,
/// permissions_boundary, session_policies, scps, rcps, resource_policy, settings, ...).
/// Compile once, evaluate many times; safe to share between threads.
#[pyclass(frozen, module = "iamsim")]
struct Scenario {
    engine: Arc<Engine>,
    source: Source,
}

/// The request fields of `Scenario.evaluate`, as a library query.
fn query(
    action: &str,
    resource: &str,
    principal: Option<&str>,
    context: &str,
    context_keys: Option<&Bound<'_, PyDict>>,
) -> PyResult<Query> {
    let preset = Preset::parse(context).map_err(PyValueError::new_err)?;
    let mut q = Query::new(action).resource(resource).preset(preset);
    if let Some(p) = principal {
        q = q.principal(p);
    }
    if let Some(keys) = context_keys {
        for (k, v) in keys.iter() {
            let k: String = k.extract()?;
            if v.is_none() {
                q = q.without_key(&k);
            } else if let Ok(list) = v.cast::<PyList>() {
                for item in list.iter() {
                    q = q.key(&k, &key_value(&item)?);
                }
            } else {
                q = q.key(&k, &key_value(&v)?);
            }
        }
    }
    Ok(q)
}

/// A condition-key value as IAM sees it: strings as they are, booleans `true`/`false`,
/// numbers in their decimal form.
fn key_value(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.to_string());
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s.extract::<String>();
    }
    if v.is_instance_of::<pyo3::types::PyInt>() || v.is_instance_of::<pyo3::types::PyFloat>() {
        return v.str()?.extract::<String>();
    }
    Err(PyTypeError::new_err(format!(
        "a context_keys value must be a str, bool, int, float, a list of those or None, not {}",
        v.get_type().name()?
    )))
}

#[pymethods]
impl Scenario {
    /// A scenario file; `{"file"}` references are relative to it.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Scenario> {
        let text = iamsim::read_text(&path, iamsim::DEFAULT_INPUT_LIMIT)
            .map_err(|e| input_error(py, &e))?;
        let engine = py
            .detach(|| compile(&text, Some(&path), None))
            .map_err(|e| to_py(py, e))?;
        Ok(Scenario {
            engine: Arc::new(engine),
            source: Source {
                json: text,
                origin: Some(path),
            },
        })
    }

    /// A scenario from JSON text; `{"file"}` references are relative to the current directory.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: String) -> PyResult<Scenario> {
        let engine = py
            .detach(|| compile(&text, None, None))
            .map_err(|e| to_py(py, e))?;
        Ok(Scenario {
            engine: Arc::new(engine),
            source: Source {
                json: text,
                origin: None,
            },
        })
    }

    /// A scenario from a dict (as `json.loads` of a scenario file would give).
    #[staticmethod]
    fn from_dict(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Scenario> {
        if !obj.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(format!(
                "a scenario must be a dict, not {}",
                obj.get_type().name()?
            )));
        }
        let text: String = py
            .import("json")?
            .call_method("dumps", (obj,), Some(&[("indent", 1)].into_py_dict(py)?))?
            .extract()?;
        Scenario::from_json(py, text)
    }

    /// The scenario's JSON text (what `iamsim.spark` ships to the workers).
    fn to_json(&self) -> &str {
        &self.source.json
    }

    /// The file the scenario was read from, if any.
    #[getter]
    fn origin(&self) -> Option<String> {
        self.source.origin.as_ref().map(|p| p.display().to_string())
    }

    /// The scenario's principal ARN.
    #[getter]
    fn principal(&self) -> String {
        self.engine.scenario().principal.arn.clone()
    }

    /// Decides one request.
    #[pyo3(signature = (action, resource="*", principal=None, context="none", context_keys=None))]
    fn evaluate(
        &self,
        py: Python<'_>,
        action: &str,
        resource: &str,
        principal: Option<&str>,
        context: &str,
        context_keys: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Evaluation> {
        let q = query(action, resource, principal, context, context_keys)?;
        let engine = Arc::clone(&self.engine);
        let answer = py.detach(|| engine.decide(&q)).map_err(|e| to_py(py, e))?;
        let statements = answer.statements.iter().map(|s| s.label.clone()).collect();
        let refs = serde_json::to_string(&answer.statements)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(Evaluation {
            engine,
            query: q,
            decision: answer.decision.to_string(),
            statements,
            statement_refs: refs,
            missing: answer
                .missing
                .and_then(|m| serde_json::to_value(m).ok())
                .and_then(|v| v.as_str().map(str::to_string)),
            rule: answer
                .rule
                .and_then(|r| serde_json::to_value(r).ok())
                .map(|v| match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                }),
        })
    }

    /// Evaluates JSON lines (bytes) exactly as `iamsim batch` does and returns its output
    /// (one JSON line per input line). The GIL is released meanwhile.
    fn evaluate_jsonl<'py>(&self, py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
        let engine = Arc::clone(&self.engine);
        let out = py.detach(|| jsonl::evaluate(&engine, data));
        PyBytes::new(py, &out)
    }

    /// Evaluates an Arrow record batch, table or stream (anything with `__arrow_c_stream__` or
    /// `__arrow_c_array__`) with columns `action`, `resource`, `principal`, `context` (strings)
    /// and `context_keys` (JSON text or `map<string, list<string>>`); returns a
    /// `pyarrow.RecordBatch` with `decision`, `statement`, `rule`, `missing`, `error` (strings)
    /// and the `passthrough` columns. Same decisions as `iamsim batch`, row for row; the GIL is
    /// released while rows are evaluated.
    #[pyo3(signature = (batch, passthrough=None))]
    fn evaluate_batch<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        passthrough: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let passthrough = passthrough.unwrap_or_default();
        let (schema, batches) = arrow::import(batch)?;
        arrow::check(&schema, &passthrough).map_err(PyValueError::new_err)?;
        let out_schema = arrow::output_schema(&schema, &passthrough);
        let engine = Arc::clone(&self.engine);
        let outs = py
            .detach(|| {
                if batches.is_empty() {
                    return Ok(vec![iamsim_arrow_empty(&out_schema)]);
                }
                batches
                    .iter()
                    .map(|b| arrow::evaluate(&engine, b, &passthrough, &out_schema))
                    .collect::<Result<Vec<_>, String>>()
            })
            .map_err(PyValueError::new_err)?;
        let holders: Vec<arrow::ArrowBatch> =
            outs.into_iter().map(arrow::ArrowBatch::new).collect();
        py.import("iamsim._arrow")?
            .getattr("record_batch")?
            .call1((holders,))
    }

    /// The MFA-enforcement audit of the scenario's principal (`iamsim mfa --format json`).
    fn mfa_audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        mfa_json(py, &self.engine)
    }

    fn __repr__(&self) -> String {
        let s = self.engine.scenario();
        format!(
            "<iamsim.Scenario principal={:?} origin={} statements={}>",
            s.principal.arn,
            self.source
                .origin
                .as_ref()
                .map_or("None".to_string(), |p| format!(
                    "{:?}",
                    p.display().to_string()
                )),
            self.engine.policy_set().statement_count()
        )
    }

    /// Pickles as its JSON text (and origin): unpickling compiles it again.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.get();
        let f = py
            .import("iamsim._iamsim")?
            .getattr("_scenario_from_source")?;
        let args = (me.source.json.clone(), me.origin());
        Ok((f, args).into_pyobject(py)?.into_any())
    }
}

/// Rebuilds a pickled or shipped scenario (`root`: see [`compile`]).
#[pyfunction]
#[pyo3(signature = (text, origin=None, root=None))]
fn _scenario_from_source(
    py: Python<'_>,
    text: String,
    origin: Option<PathBuf>,
    root: Option<PathBuf>,
) -> PyResult<Scenario> {
    let engine = py
        .detach(|| compile(&text, origin.as_deref(), root.as_deref()))
        .map_err(|e| to_py(py, e))?;
    Ok(Scenario {
        engine: Arc::new(engine),
        source: Source { json: text, origin },
    })
}

fn iamsim_arrow_empty(schema: &arrow::SchemaRef) -> arrow::RecordBatch {
    arrow::RecordBatch::new_empty(std::sync::Arc::clone(schema))
}

fn mfa_json<'py>(py: Python<'py>, engine: &Engine) -> PyResult<Bound<'py, PyAny>> {
    let report = py.detach(|| engine.mfa_audit()).map_err(|e| to_py(py, e))?;
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    json_loads(py, &text)
}

/// The answer to one request.
#[pyclass(frozen, module = "iamsim")]
struct Evaluation {
    engine: Arc<Engine>,
    query: Query,
    /// `"allowed"`, `"explicitDeny"` or `"implicitDeny"`.
    #[pyo3(get)]
    decision: String,
    /// The deciding statements as `policy#Sid` labels.
    #[pyo3(get)]
    statements: Vec<String>,
    statement_refs: String,
    /// For an implicit deny: the layer without an allow.
    #[pyo3(get)]
    missing: Option<String>,
    /// A service rule outside the policies that decided it.
    #[pyo3(get)]
    rule: Option<String>,
}

#[pymethods]
impl Evaluation {
    /// True when the decision is `allowed`.
    #[getter]
    fn allowed(&self) -> bool {
        self.decision == "allowed"
    }

    /// The explanation `iamsim eval` prints for this request.
    fn explain(&self, py: Python<'_>) -> PyResult<String> {
        let engine = Arc::clone(&self.engine);
        let q = self.query.clone();
        py.detach(|| engine.explain(&q).map(|e| e.to_text()))
            .map_err(|e| to_py(py, e))
    }

    /// `{"decision", "statements": [{label, policy, sid, index, effect, ...}], "missing", "rule"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("decision", &self.decision)?;
        d.set_item("statements", json_loads(py, &self.statement_refs)?)?;
        d.set_item("missing", &self.missing)?;
        d.set_item("rule", &self.rule)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<iamsim.Evaluation decision={:?} statements={:?}>",
            self.decision, self.statements
        )
    }
}

/// `iamsim mfa --format json` for a `Scenario` or a scenario file.
#[pyfunction]
fn mfa_audit<'py>(py: Python<'py>, scenario: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(s) = scenario.cast::<Scenario>() {
        return mfa_json(py, &s.get().engine);
    }
    let path: PathBuf = scenario.extract().map_err(|_| {
        PyTypeError::new_err("mfa_audit takes an iamsim.Scenario or a scenario file path")
    })?;
    let s = Scenario::from_file(py, path)?;
    mfa_json(py, &s.engine)
}

/// Validates one policy document (`iamsim lint --format json`'s diagnostics): `text` is the
/// document, or with `path` set, the name it is reported under.
#[pyfunction]
#[pyo3(signature = (text, name, kind="auto", aws_managed=false, scp_legacy=false))]
fn _lint_text<'py>(
    py: Python<'py>,
    text: &str,
    name: &str,
    kind: &str,
    aws_managed: bool,
    scp_legacy: bool,
) -> PyResult<Bound<'py, PyAny>> {
    use iamsim::{ParseOptions, PolicyKind};
    let kind = match kind {
        "auto" => None,
        "identity" => Some(PolicyKind::Identity),
        "boundary" => Some(PolicyKind::Boundary),
        "session" => Some(PolicyKind::Session),
        "scp" => Some(PolicyKind::Scp),
        "rcp" => Some(PolicyKind::Rcp),
        "resource" => Some(PolicyKind::Resource),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown policy kind \"{other}\"; known kinds: auto, identity, boundary, session, scp, rcp, resource"
            )))
        }
    };
    let opts = ParseOptions {
        scp_legacy,
        ..Default::default()
    };
    // The same checks as `iamsim lint`, catalog included.
    let diags = iamsim::mfa::lint::lint_document(text, name, kind, opts, aws_managed);
    let json = serde_json::to_string(&diags).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    json_loads(py, &json)
}

/// Reads a file as `iamsim` does (bounded, UTF-8 checked with its position).
#[pyfunction]
fn _read_text(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    iamsim::read_text(&path, iamsim::DEFAULT_INPUT_LIMIT).map_err(|e| {
        if e.pos.line == 0 {
            PyOSError::new_err(e.to_string())
        } else {
            input_error(py, &e)
        }
    })
}

#[pymodule]
fn _iamsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scenario>()?;
    m.add_class::<Evaluation>()?;
    m.add_class::<arrow::ArrowBatch>()?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    let presets: Vec<&str> = iamsim::PRESETS.iter().map(|(_, n)| *n).collect();
    m.add("PRESETS", pyo3::types::PyTuple::new(m.py(), presets)?)?;
    m.add_function(wrap_pyfunction!(mfa_audit, m)?)?;
    m.add_function(wrap_pyfunction!(_lint_text, m)?)?;
    m.add_function(wrap_pyfunction!(_read_text, m)?)?;
    m.add_function(wrap_pyfunction!(_scenario_from_source, m)?)?;
    Ok(())
}
