//! Case files (`shared/spec/cases.md`): scenarios, requests and expected decisions, and the
//! runner behind `iamsim test`.
//!
//! The scenario part ([`ScenarioSpec`]) is shared with the other subcommands that read a
//! scenario file (`eval --scenario`, `mfa`, `batch`).

use crate::compile::{PolicySet, Scenario};
use crate::context::{build_context, Context, CtxValue, Preset, Principal};
use crate::diag::{did_you_mean, Diagnostic};
use crate::eval::{Decision, Outcome, Request};
use crate::json::{self, Json, JsonKind, Pos};
use crate::policy::{parse_policy, ParseOptions, Policy, PolicyKind};
use crate::settings::Settings;
use rustc_hash::FxHashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The default principal of cases.md.
pub const DEFAULT_PRINCIPAL: &str = "arn:aws:iam::111122223333:user/alice";

/// An error in an input file, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// File name.
    pub file: String,
    /// Position in the file.
    pub pos: Pos,
    /// JSON path, when known.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    fn new(file: &str, pos: Pos, path: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_string(),
            pos,
            path: path.to_string(),
            message: message.into(),
        }
    }

    fn from_diag(d: &Diagnostic) -> InputError {
        let mut message = format!("{} [{}]", d.message, d.code);
        if let Some(h) = &d.help {
            message.push_str(&format!("; help: {h}"));
        }
        InputError {
            file: d.file.clone(),
            pos: Pos {
                line: d.line,
                col: d.column,
                offset: 0,
            },
            path: d.path.clone(),
            message,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.pos.line, self.pos.col, self.message
        )?;
        if !self.path.is_empty() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// Reads a file as UTF-8 text with a clear error; `-` reads standard input.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    let bytes = bytes.map_err(|e| {
        InputError::new(
            &path.display().to_string(),
            Pos {
                line: 1,
                col: 1,
                offset: 0,
            },
            "",
            format!("cannot read file: {e}"),
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        InputError::new(
            &path.display().to_string(),
            Pos {
                line: 1,
                col: 1,
                offset: e.utf8_error().valid_up_to(),
            },
            "",
            format!(
                "file is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Parses a JSON file with positions.
pub fn read_json(path: &Path) -> Result<Json, InputError> {
    let text = read_text(path)?;
    json::parse(&text)
        .map_err(|e| InputError::new(&path.display().to_string(), e.pos, "", e.message))
}

/// Loads policies referenced from a scenario, caching `{"file": ...}` targets.
#[derive(Debug, Default)]
pub struct PolicyLoader {
    cache: FxHashMap<(PathBuf, PolicyKindKey), Policy>,
    /// Warnings from the policies loaded.
    pub warnings: Vec<Diagnostic>,
    /// Validation options.
    pub options: ParseOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PolicyKindKey(u8);

fn kind_key(k: PolicyKind) -> PolicyKindKey {
    PolicyKindKey(k as u8)
}

impl PolicyLoader {
    /// Loads one policy file from disk.
    pub fn load_file(&mut self, path: &Path, kind: PolicyKind) -> Result<Policy, InputError> {
        let key = (path.to_path_buf(), kind_key(kind));
        if let Some(p) = self.cache.get(&key) {
            return Ok(p.clone());
        }
        let shown = path.display().to_string();
        let text = read_text(path)?;
        let limits = json::Limits {
            max_depth: self.options.limits.max_depth,
            max_bytes: self.options.limits.max_bytes,
        };
        let j = json::parse_with(&text, limits)
            .map_err(|e| InputError::new(&shown, e.pos, "", e.message))?;
        let (p, w) = parse_policy(&j, &shown, &shown, kind, self.options).map_err(|ds| {
            let first = crate::diag::first_error(&ds);
            InputError::from_diag(first)
        })?;
        self.warnings.extend(w);
        self.cache.insert(key, p.clone());
        Ok(p)
    }

    /// Resolves a Policy value of a scenario: an inline object, a JSON string, or
    /// `{"file": "relative/path.json"}` relative to `base_dir`.
    pub fn resolve(
        &mut self,
        v: &Json,
        file: &str,
        base_dir: &Path,
        name: &str,
        kind: PolicyKind,
    ) -> Result<Policy, InputError> {
        match &v.kind {
            JsonKind::Object(members) if members.len() == 1 && members[0].key == "file" => {
                let Some(rel) = members[0].value.as_str() else {
                    return Err(InputError::new(
                        file,
                        members[0].value.pos,
                        name,
                        "\"file\" must be a string path",
                    ));
                };
                let path = normalize(&base_dir.join(rel));
                if !path.exists() {
                    return Err(InputError::new(
                        file,
                        members[0].value.pos,
                        name,
                        format!(
                            "policy file {} does not exist (paths are relative to {})",
                            path.display(),
                            base_dir.display()
                        ),
                    ));
                }
                self.load_file(&path, kind)
            }
            JsonKind::Object(_) => {
                let (p, w) = parse_policy(v, file, name, kind, self.options).map_err(|ds| {
                    let first = crate::diag::first_error(&ds);
                    InputError::from_diag(first)
                })?;
                self.warnings.extend(w);
                Ok(p)
            }
            JsonKind::String(text) => {
                let label = format!("{file}:{}:{} (policy string)", v.pos.line, v.pos.col);
                let j = json::parse(text)
                    .map_err(|e| InputError::new(&label, e.pos, name, e.message))?;
                let (mut p, w) =
                    parse_policy(&j, &label, name, kind, self.options).map_err(|ds| {
                        let first = crate::diag::first_error(&ds);
                        InputError::from_diag(first)
                    })?;
                // Statement positions inside the string are not positions in the file: point at
                // the string itself.
                for s in &mut p.statements {
                    s.pos = v.pos;
                    s.end = v.end;
                }
                p.file = file.to_string();
                self.warnings.extend(w);
                Ok(p)
            }
            _ => Err(InputError::new(
                file,
                v.pos,
                name,
                format!(
                    "a policy must be an object, a JSON string or {{\"file\": \"path\"}}, found {}",
                    v.type_name()
                ),
            )),
        }
    }
}

/// Removes `.` and `dir/..` components lexically, so policy labels read
/// `testdata/policies/p.json` rather than `testdata/cases/../policies/p.json`.
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// The scenario fields of a case file, resolved.
#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    /// The caller.
    pub principal: Principal,
    /// The policies.
    pub scenario: Scenario,
}

/// The request fields of a case file.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// `service:Action`.
    pub action: String,
    /// Resource ARN or `*`.
    pub resource: String,
    /// Credential preset.
    pub preset: Preset,
    /// `context_keys`: a value, or `None` to remove a key the preset set.
    pub keys: Vec<(String, Option<CtxValue>)>,
}

/// Known fields of scenarios, requests and tests.
pub const SCENARIO_FIELDS: &[&str] = &[
    "principal",
    "identity_policies",
    "permissions_boundary",
    "session_policies",
    "scps",
    "rcps",
    "resource_policy",
    "resource_account",
    "management_account",
    "settings",
];
/// Request fields.
pub const REQUEST_FIELDS: &[&str] = &["action", "resource", "context", "context_keys"];

/// Field lookup over a test object with the file's `defaults` behind it.
pub struct Fields<'a> {
    /// The test (or scenario) object.
    pub own: &'a Json,
    /// Defaults, if any.
    pub defaults: Option<&'a Json>,
}

impl<'a> Fields<'a> {
    /// The field's value: the test's own, else the default.
    pub fn get(&self, key: &str) -> Option<&'a Json> {
        self.own
            .get(key)
            .or_else(|| self.defaults.and_then(|d| d.get(key)))
    }
}

fn expect_str<'a>(v: &'a Json, file: &str, path: &str) -> Result<&'a str, InputError> {
    v.as_str().ok_or_else(|| {
        InputError::new(
            file,
            v.pos,
            path,
            format!("\"{path}\" must be a string, found {}", v.type_name()),
        )
    })
}

fn expect_array<'a>(v: &'a Json, file: &str, path: &str) -> Result<&'a [Json], InputError> {
    match &v.kind {
        JsonKind::Array(a) => Ok(a),
        _ => Err(InputError::new(
            file,
            v.pos,
            path,
            format!("\"{path}\" must be an array, found {}", v.type_name()),
        )),
    }
}

/// Reads the scenario fields.
pub fn read_scenario(
    f: &Fields<'_>,
    file: &str,
    base_dir: &Path,
    loader: &mut PolicyLoader,
) -> Result<ScenarioSpec, InputError> {
    let mut settings = Settings::default();
    if let Some(s) = f.get("settings") {
        let Some(members) = s.as_object() else {
            return Err(InputError::new(
                file,
                s.pos,
                "settings",
                "\"settings\" must be an object of name: value",
            ));
        };
        for m in members {
            let val = m.value.scalar_text().ok_or_else(|| {
                InputError::new(
                    file,
                    m.value.pos,
                    &format!("settings.{}", m.key),
                    "a setting value must be a string, number or boolean",
                )
            })?;
            settings.set(&m.key, &val).map_err(|e| {
                InputError::new(file, m.key_pos, &format!("settings.{}", m.key), e.0)
            })?;
        }
    }
    loader.options = settings.parse_options();
    let principal = match f.get("principal") {
        None => Principal::parse(DEFAULT_PRINCIPAL).expect("default principal"),
        Some(v) => {
            let s = expect_str(v, file, "principal")?;
            Principal::parse(s).map_err(|e| InputError::new(file, v.pos, "principal", e.0))?
        }
    };
    let mut sc = Scenario {
        settings,
        ..Default::default()
    };
    if let Some(v) = f.get("identity_policies") {
        for (i, p) in expect_array(v, file, "identity_policies")?
            .iter()
            .enumerate()
        {
            sc.identity.push(loader.resolve(
                p,
                file,
                base_dir,
                &format!("identity_policies[{i}]"),
                PolicyKind::Identity,
            )?);
        }
    }
    if let Some(v) = f.get("permissions_boundary") {
        if !matches!(v.kind, JsonKind::Null) {
            sc.boundary = Some(loader.resolve(
                v,
                file,
                base_dir,
                "permissions_boundary",
                PolicyKind::Boundary,
            )?);
        }
    }
    if let Some(v) = f.get("session_policies") {
        for (i, p) in expect_array(v, file, "session_policies")?
            .iter()
            .enumerate()
        {
            sc.session.push(loader.resolve(
                p,
                file,
                base_dir,
                &format!("session_policies[{i}]"),
                PolicyKind::Session,
            )?);
        }
    }
    for (field, kind) in [("scps", PolicyKind::Scp), ("rcps", PolicyKind::Rcp)] {
        if let Some(v) = f.get(field) {
            let mut levels = Vec::new();
            for (l, level) in expect_array(v, file, field)?.iter().enumerate() {
                let mut ps = Vec::new();
                for (i, p) in expect_array(level, file, &format!("{field}[{l}]"))?
                    .iter()
                    .enumerate()
                {
                    ps.push(loader.resolve(
                        p,
                        file,
                        base_dir,
                        &format!("{field}[{l}][{i}]"),
                        kind,
                    )?);
                }
                levels.push(ps);
            }
            if levels.len() > crate::compile::MAX_LEVELS {
                return Err(InputError::new(
                    file,
                    v.pos,
                    field,
                    format!("more than {} levels", crate::compile::MAX_LEVELS),
                ));
            }
            if kind == PolicyKind::Scp {
                sc.scps = levels;
            } else {
                sc.rcps = levels;
            }
        }
    }
    if let Some(v) = f.get("resource_policy") {
        if !matches!(v.kind, JsonKind::Null) {
            sc.resource_policy =
                Some(loader.resolve(v, file, base_dir, "resource_policy", PolicyKind::Resource)?);
        }
    }
    if let Some(v) = f.get("resource_account") {
        let s = match &v.kind {
            JsonKind::String(s) => s.clone(),
            JsonKind::Number(n) => n.clone(),
            _ => {
                return Err(InputError::new(
                    file,
                    v.pos,
                    "resource_account",
                    "\"resource_account\" must be a 12-digit string",
                ))
            }
        };
        if !crate::values::is_account_id(&s) {
            return Err(InputError::new(
                file,
                v.pos,
                "resource_account",
                format!("\"resource_account\" must be 12 digits, found \"{s}\""),
            ));
        }
        sc.resource_account = Some(s);
    }
    if let Some(v) = f.get("management_account") {
        sc.management_account = match v.kind {
            JsonKind::Bool(b) => b,
            _ => {
                return Err(InputError::new(
                    file,
                    v.pos,
                    "management_account",
                    "\"management_account\" must be true or false",
                ))
            }
        };
    }
    Ok(ScenarioSpec {
        principal,
        scenario: sc,
    })
}

/// Reads a `context_keys` object.
pub fn read_context_keys(
    v: &Json,
    file: &str,
) -> Result<Vec<(String, Option<CtxValue>)>, InputError> {
    let Some(members) = v.as_object() else {
        return Err(InputError::new(
            file,
            v.pos,
            "context_keys",
            "\"context_keys\" must be an object",
        ));
    };
    let mut out = Vec::new();
    for m in members {
        let path = format!("context_keys.{}", m.key);
        let val = match &m.value.kind {
            JsonKind::Null => None,
            JsonKind::Array(items) => {
                let mut vs = Vec::new();
                for it in items {
                    vs.push(it.scalar_text().ok_or_else(|| {
                        InputError::new(
                            file,
                            it.pos,
                            &path,
                            format!(
                                "a context value must be a string, number or boolean, found {}",
                                it.type_name()
                            ),
                        )
                    })?);
                }
                Some(CtxValue::Many(vs))
            }
            _ => Some(CtxValue::One(m.value.scalar_text().ok_or_else(|| {
                InputError::new(
                    file,
                    m.value.pos,
                    &path,
                    format!(
                        "a context value must be a string, number, boolean, list or null, found {}",
                        m.value.type_name()
                    ),
                )
            })?)),
        };
        out.push((m.key.clone(), val));
    }
    Ok(out)
}

/// Reads the request fields.
pub fn read_request(f: &Fields<'_>, file: &str) -> Result<RequestSpec, InputError> {
    let action_v = f
        .get("action")
        .ok_or_else(|| InputError::new(file, f.own.pos, "action", "missing \"action\""))?;
    let action = expect_str(action_v, file, "action")?.to_string();
    if action != "*" && action.split(':').count() != 2 {
        return Err(InputError::new(
            file,
            action_v.pos,
            "action",
            format!("action \"{action}\" must be service:Action"),
        ));
    }
    let resource = match f.get("resource") {
        Some(v) => expect_str(v, file, "resource")?.to_string(),
        None => "*".to_string(),
    };
    let preset = match f.get("context") {
        Some(v) => Preset::parse(expect_str(v, file, "context")?)
            .map_err(|e| InputError::new(file, v.pos, "context", e))?,
        None => Preset::None,
    };
    let keys = match f.get("context_keys") {
        Some(v) => read_context_keys(v, file)?,
        None => Vec::new(),
    };
    Ok(RequestSpec {
        action,
        resource,
        preset,
        keys,
    })
}

/// The request time: `aws:CurrentTime` or `aws:EpochTime` from the overrides, else now.
pub fn request_time(keys: &[(String, Option<CtxValue>)]) -> i64 {
    override_time(keys).unwrap_or_else(now_secs)
}

/// The request time set by an `aws:CurrentTime` or `aws:EpochTime` override, if any parses.
fn override_time(keys: &[(String, Option<CtxValue>)]) -> Option<i64> {
    for (k, v) in keys {
        if let Some(CtxValue::One(s)) = v {
            let lk = k.to_ascii_lowercase();
            if lk == "aws:currenttime" || lk == "aws:epochtime" {
                if let Some(t) = time_override_secs(s) {
                    return Some(t);
                }
            }
        }
    }
    None
}

/// The request time (epoch seconds) an `aws:CurrentTime` or `aws:EpochTime` override value
/// sets, if it parses as a date (ISO 8601 or epoch seconds).
pub fn time_override_secs(value: &str) -> Option<i64> {
    crate::values::parse_date(value).map(|ns| (ns / 1_000_000_000) as i64)
}

/// The current time in epoch seconds.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Builds the request context: principal-derived and preset keys, then the overrides.
pub fn request_context(principal: &Principal, req: &RequestSpec, settings: &Settings) -> Context {
    request_context_at(principal, req, settings, now_secs())
}

/// [`request_context`] with the current time given (epoch seconds), so that a bulk run uses one
/// clock for every request; a time override in `req` still wins.
pub fn request_context_at(
    principal: &Principal,
    req: &RequestSpec,
    settings: &Settings,
    now: i64,
) -> Context {
    let now = override_time(&req.keys).unwrap_or(now);
    let mut ctx = build_context(principal, req.preset, settings, now);
    let overrides_time = req.keys.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("aws:CurrentTime") || k.eq_ignore_ascii_case("aws:EpochTime")
    });
    if overrides_time {
        // Keep both time keys consistent with the one given.
        ctx.set_one("aws:CurrentTime", crate::values::format_date(now));
        ctx.set_one("aws:EpochTime", now.to_string());
    }
    for (k, v) in &req.keys {
        match v {
            Some(v) => ctx.set(k, v.clone()),
            None => ctx.remove(k),
        }
    }
    ctx
}

/// One test of a case file, ready to run.
#[derive(Debug, Clone)]
pub struct CaseTest {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub pos: Pos,
    /// Scenario.
    pub scenario: ScenarioSpec,
    /// Request.
    pub request: RequestSpec,
    /// Expected decision.
    pub expect: Decision,
}

/// A loaded case file.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// The file.
    pub path: PathBuf,
    /// Its tests.
    pub tests: Vec<CaseTest>,
    /// Warnings (unknown fields, policy warnings).
    pub warnings: Vec<String>,
}

const TEST_EXTRA_FIELDS: &[&str] = &[
    "name",
    "expect",
    "description",
    "comment",
    "notes",
    "source",
];

/// Loads a case file.
pub fn load_case_file(path: &Path) -> Result<CaseFile, InputError> {
    let text = read_text(path)?;
    load_case_text(&text, path)
}

/// Loads a case file from its text; `path` names it and anchors `{"file": ...}` references.
pub fn load_case_text(text: &str, path: &Path) -> Result<CaseFile, InputError> {
    let file = path.display().to_string();
    let root = json::parse(text).map_err(|e| InputError::new(&file, e.pos, "", e.message))?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let Some(_) = root.as_object() else {
        return Err(InputError::new(
            &file,
            root.pos,
            "",
            "a case file must be a JSON object with \"tests\"",
        ));
    };
    let mut warnings = Vec::new();
    let defaults = root.get("defaults");
    if let Some(d) = defaults {
        if d.as_object().is_none() {
            return Err(InputError::new(
                &file,
                d.pos,
                "defaults",
                "\"defaults\" must be an object",
            ));
        }
    }
    let tests_v = root.get("tests").ok_or_else(|| {
        InputError::new(
            &file,
            root.pos,
            "tests",
            "the case file has no \"tests\" array",
        )
    })?;
    let tests_j = expect_array(tests_v, &file, "tests")?;
    let mut loader = PolicyLoader::default();
    let mut tests = Vec::new();
    let known: Vec<&str> = SCENARIO_FIELDS
        .iter()
        .chain(REQUEST_FIELDS)
        .chain(TEST_EXTRA_FIELDS)
        .copied()
        .collect();
    for (i, t) in tests_j.iter().enumerate() {
        let Some(members) = t.as_object() else {
            return Err(InputError::new(
                &file,
                t.pos,
                &format!("tests[{i}]"),
                "a test must be an object",
            ));
        };
        for m in members {
            if !known.contains(&m.key.as_str()) {
                let hint = did_you_mean(&m.key, known.iter().copied())
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                warnings.push(format!(
                    "{file}:{}: unknown field \"{}\" in tests[{i}] is ignored{hint}",
                    m.key_pos, m.key
                ));
            }
        }
        let name_v = t.get("name").ok_or_else(|| {
            InputError::new(&file, t.pos, &format!("tests[{i}]"), "test has no \"name\"")
        })?;
        let name = expect_str(name_v, &file, "name")?.to_string();
        if tests.iter().any(|x: &CaseTest| x.name == name) {
            return Err(InputError::new(
                &file,
                name_v.pos,
                &format!("tests[{i}].name"),
                format!("duplicate test name \"{name}\""),
            ));
        }
        let fields = Fields { own: t, defaults };
        let expect_v = fields.get("expect").ok_or_else(|| {
            InputError::new(
                &file,
                t.pos,
                &format!("tests[{i}]"),
                format!("test \"{name}\" has no \"expect\""),
            )
        })?;
        let es = expect_str(expect_v, &file, "expect")?;
        let expect = Decision::parse(es).ok_or_else(|| {
            InputError::new(
                &file,
                expect_v.pos,
                "expect",
                format!("\"expect\" must be allowed, explicitDeny or implicitDeny, found \"{es}\""),
            )
        })?;
        let scenario = read_scenario(&fields, &file, &base_dir, &mut loader)?;
        let request = read_request(&fields, &file)?;
        tests.push(CaseTest {
            name,
            pos: t.pos,
            scenario,
            request,
            expect,
        });
    }
    warnings.extend(loader.warnings.iter().map(|d| d.to_string()));
    Ok(CaseFile {
        path: path.to_path_buf(),
        tests,
        warnings,
    })
}

/// The result of running one test.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// Test name.
    pub name: String,
    /// Expected.
    pub expect: Decision,
    /// Actual outcome.
    pub outcome: Outcome,
    /// Deciding statements, rendered.
    pub deciding: String,
}

impl TestResult {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.expect == self.outcome.decision
    }
}

/// Compiles the scenario and evaluates the request of a test.
pub fn run_test(t: &CaseTest) -> Result<TestResult, InputError> {
    let set = PolicySet::compile(&t.scenario.scenario)
        .map_err(|e| InputError::new("", t.pos, &t.name, e.0))?;
    let ctx = request_context(&t.scenario.principal, &t.request, set.settings());
    let req = Request {
        principal: &t.scenario.principal,
        action: &t.request.action,
        resource: &t.request.resource,
        preset: t.request.preset,
    };
    let outcome = set.evaluate(&req, &set.bind(&ctx));
    let deciding = if outcome.statements.is_empty() {
        crate::report::reason(&set, &req, &outcome)
    } else {
        outcome
            .statements
            .iter()
            .map(|id| crate::report::statement_ref(&set, *id).with_location())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(TestResult {
        name: t.name.clone(),
        expect: t.expect,
        outcome,
        deciding,
    })
}

/// Lists the case files under the given files and directories (`*.json`, sorted).
pub fn collect_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| {
                InputError::new(
                    &p.display().to_string(),
                    Pos {
                        line: 1,
                        col: 1,
                        offset: 0,
                    },
                    "",
                    format!("cannot read directory: {e}"),
                )
            })?;
            found.sort();
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(InputError::new(
                &p.display().to_string(),
                Pos {
                    line: 1,
                    col: 1,
                    offset: 0,
                },
                "",
                "no such file or directory",
            ));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") && is_case_file(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Whether a JSON file found in a directory is a case file (an object with `tests`); policy and
/// scenario files that sit beside case files are skipped. A file that is not valid JSON is kept,
/// so its syntax error is reported.
fn is_case_file(p: &Path) -> bool {
    match read_json(p) {
        Ok(j) => j.get("tests").is_some(),
        Err(_) => true,
    }
}
