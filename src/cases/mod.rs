//! Case files (`shared/spec/cases.md`): scenarios, requests and expected decisions, and the
//! runner behind `iamsim test`. The scenario and request fields are read by [`crate::scenario`].

use crate::compile::PolicySet;
use crate::diag::did_you_mean;
use crate::eval::{Decision, Outcome, Request};
use crate::io::Roots;
use crate::json::Pos;
use std::path::{Path, PathBuf};

pub use crate::diag::InputError;
pub use crate::scenario::{
    expect_array, expect_str, now_secs, read_context_keys, read_json, read_request, read_scenario,
    request_context, request_context_at, request_time, unknown_fields, Fields, PolicyLoader,
    RequestSpec, ScenarioSpec, DEFAULT_PRINCIPAL, REQUEST_FIELDS, SCENARIO_FIELDS,
};

/// Reads a file as UTF-8 text (bounded, regular files only); `-` reads standard input.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    crate::io::read_text(path, crate::io::DEFAULT_INPUT_LIMIT)
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

/// Loads a case file, confining `{"file"}` references to its directory and the current one.
pub fn load_case_file(path: &Path) -> Result<CaseFile, InputError> {
    let text = read_text(path)?;
    load_case_text(&text, path)
}

/// Loads a case file from its text; `path` names it and anchors `{"file": ...}` references.
/// The first problem is the error; [`load_case_all`] reports them all.
pub fn load_case_text(text: &str, path: &Path) -> Result<CaseFile, InputError> {
    let mut roots = Roots::current_dir();
    roots.allow_input(path);
    load_case_all(text, path, &roots).map_err(|mut es| es.swap_remove(0))
}

/// The expected-decision names, with the spellings people try first.
fn parse_expect(es: &str) -> Result<Decision, String> {
    Decision::parse(es).ok_or_else(|| {
        let hint = did_you_mean(es, ["allowed", "explicitDeny", "implicitDeny"])
            .or(match es.to_ascii_lowercase().as_str() {
                "allow" | "permit" | "true" => Some("allowed"),
                "deny" | "denied" => Some("explicitDeny (or implicitDeny)"),
                _ => None,
            })
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        format!(
            "\"expect\" must be allowed, explicitDeny or implicitDeny, found \"{}\"{hint}",
            crate::io::term(es)
        )
    })
}

/// Loads a case file, reporting every problem found (each test is read even when an earlier
/// one is invalid). References must resolve inside `roots`.
///
/// Kept whole: per test, the fields are read in the order of cases.md and every problem is
/// collected.
pub fn load_case_all(text: &str, path: &Path, roots: &Roots) -> Result<CaseFile, Vec<InputError>> {
    let file = path.display().to_string();
    let root = crate::scenario::parse_json_text(text, &file).map_err(|e| vec![e])?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let one = |e: InputError| vec![e];
    if root.as_object().is_none() {
        return Err(one(InputError::at(
            &file,
            root.pos,
            "",
            "a case file must be a JSON object with \"tests\"",
        )));
    }
    let mut warnings = unknown_fields(
        &root,
        &file,
        "the case file",
        &[
            "defaults",
            "tests",
            "description",
            "comment",
            "notes",
            "source",
        ],
    );
    let defaults = root.get("defaults");
    let known: Vec<&str> = SCENARIO_FIELDS
        .iter()
        .chain(REQUEST_FIELDS)
        .chain(TEST_EXTRA_FIELDS)
        .copied()
        .collect();
    if let Some(d) = defaults {
        crate::scenario::expect_object(d, &file, "defaults").map_err(one)?;
        warnings.extend(unknown_fields(d, &file, "defaults", &known));
    }
    let tests_v = root.get("tests").ok_or_else(|| {
        one(InputError::at(
            &file,
            root.pos,
            "tests",
            "the case file has no \"tests\" array",
        ))
    })?;
    let tests_j = expect_array(tests_v, &file, "tests").map_err(one)?;
    if tests_j.is_empty() {
        return Err(one(InputError::at(
            &file,
            tests_v.pos,
            "tests",
            "\"tests\" is empty: a case file with no test checks nothing",
        )));
    }
    let mut loader = PolicyLoader::new(roots.clone());
    let mut tests = Vec::new();
    let mut errors = Vec::new();
    let mut names: rustc_hash::FxHashMap<String, Pos> = Default::default();
    for (i, t) in tests_j.iter().enumerate() {
        let place = format!("tests[{i}]");
        if t.as_object().is_none() {
            errors.push(InputError::at(
                &file,
                t.pos,
                &place,
                format!("a test must be an object, found {}", t.type_name()),
            ));
            continue;
        }
        warnings.extend(unknown_fields(t, &file, &place, &known));
        let mut read = || -> Result<CaseTest, InputError> {
            let name_v = t
                .get("name")
                .ok_or_else(|| InputError::at(&file, t.pos, &place, "test has no \"name\""))?;
            let name = expect_str(name_v, &file, &format!("{place}.name"))?.to_string();
            if let Some(first) = names.get(&name) {
                return Err(InputError::at(
                    &file,
                    name_v.pos,
                    &format!("{place}.name"),
                    format!(
                        "duplicate test name \"{}\" (first at {first})",
                        crate::io::term(&name)
                    ),
                ));
            }
            names.insert(name.clone(), name_v.pos);
            let fields = Fields { own: t, defaults };
            let expect_v = fields.get("expect").ok_or_else(|| {
                InputError::at(
                    &file,
                    t.pos,
                    &place,
                    format!("test \"{}\" has no \"expect\"", crate::io::term(&name)),
                )
            })?;
            let es = expect_str(expect_v, &file, &format!("{place}.expect"))?;
            let expect = parse_expect(es)
                .map_err(|m| InputError::at(&file, expect_v.pos, &format!("{place}.expect"), m))?;
            let scenario = read_scenario(&fields, &file, &base_dir, &mut loader)?;
            let request = read_request(&fields, &file)?;
            Ok(CaseTest {
                name,
                pos: t.pos,
                scenario,
                request,
                expect,
            })
        };
        match read() {
            Ok(ct) => tests.push(ct),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
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
    /// The requested action.
    pub action: String,
    /// Expected.
    pub expect: Decision,
    /// Actual outcome.
    pub outcome: Outcome,
    /// Deciding statements, rendered.
    pub deciding: String,
    /// For a failed test: the request context it ran with (`key=value`, sorted) and the full
    /// explanation (deciding and near-miss statements with per-condition reasons).
    pub failure: Option<Failure>,
}

/// What a failing test shows beyond the decision.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The request context, one `key=value` per entry.
    pub context: Vec<String>,
    /// `iamsim eval`'s explanation text.
    pub explanation: String,
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
        .map_err(|e| InputError::at("", t.pos, &t.name, e.to_string()))?;
    let ctx = request_context(&set, &t.scenario.principal, &t.request);
    let req = Request {
        principal: &t.scenario.principal,
        action: &t.request.action,
        resource: &t.request.resource,
        preset: t.request.preset,
    };
    let slots = set.bind(&ctx);
    let outcome = set.evaluate(&req, &slots);
    let mut deciding = if outcome.statements.is_empty() {
        crate::report::reason(&set, &req, &outcome)
    } else {
        outcome
            .statements
            .iter()
            .map(|id| crate::report::statement_ref(&set, *id).with_location())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut failure = None;
    if outcome.decision != t.expect {
        // What kept a statement from covering the request is often the surprise.
        for e in crate::report::exclusions(&set, &req, &slots) {
            deciding.push_str("; ");
            deciding.push_str(&e);
        }
        let mut context: Vec<String> = ctx
            .entries()
            .into_iter()
            .map(|(_, name, v)| match v {
                crate::context::CtxValue::One(x) => format!("{name}={x}"),
                crate::context::CtxValue::Many(l) => format!("{name}=[{}]", l.join(", ")),
            })
            .collect();
        context.sort();
        failure = Some(Failure {
            context,
            explanation: crate::report::explain(&set, &req, &slots, &outcome).to_text(),
        });
    }
    Ok(TestResult {
        name: t.name.clone(),
        action: t.request.action.clone(),
        expect: t.expect,
        outcome,
        deciding,
        failure,
    })
}

/// Lists the case files under the given files and directories (`*.json` objects with `tests`,
/// sorted). Directory symlinks are not followed (a loop would run the same files again and
/// again); a directory with no case file is an error, since running nothing proves nothing.
pub fn collect_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for p in inputs {
        let shown = p.display().to_string();
        if crate::io::read::is_stdin(p) {
            out.push(p.clone());
        } else if p.is_dir() {
            let found = crate::io::paths::walk_files(p, &|f| {
                f.extension().is_some_and(|x| x == "json") && is_case_file(f)
            })
            .map_err(|e| InputError::whole(&shown, format!("cannot read directory: {e}")))?;
            if found.is_empty() {
                return Err(InputError::whole(
                    &shown,
                    "no case file here (a case file is a *.json object with \"tests\"): nothing to run",
                ));
            }
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(InputError::whole(&shown, "no such file or directory"));
        }
    }
    Ok(out)
}

/// Whether a JSON file found in a directory is a case file (an object with `tests`); policy and
/// scenario files that sit beside case files are skipped. A file that is not valid JSON is kept,
/// so its syntax error is reported.
fn is_case_file(p: &Path) -> bool {
    match crate::scenario::read_json(p) {
        Ok(j) => j.get("tests").is_some(),
        Err(_) => true,
    }
}

/// One test's result in a run over many files.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The case file.
    pub file: String,
    /// The test's name.
    pub name: String,
    /// Its line.
    pub line: u32,
    /// The expected decision.
    pub expected: Decision,
    /// The result, or why the test could not run.
    pub result: Result<TestResult, InputError>,
}

impl RunResult {
    /// Whether the test ran and got the expected decision.
    pub fn passed(&self) -> bool {
        self.result.as_ref().is_ok_and(TestResult::passed)
    }
}

/// A run over case files: every test's result, the files that could not be loaded (with all
/// their problems), and the warnings.
#[derive(Debug, Default)]
pub struct Run {
    /// Results in file order.
    pub results: Vec<RunResult>,
    /// Files that could not be loaded, with every problem found in each.
    pub broken: Vec<Vec<InputError>>,
    /// Warnings (unknown fields; policy warnings).
    pub warnings: Vec<String>,
}

impl Run {
    /// Tests that passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    /// Tests that ran and failed, or could not run.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Runs every test of `files` whose name contains `filter` (case-insensitive). `{"file"}`
/// references must resolve inside `roots`.
pub fn run_files(files: &[PathBuf], roots: &Roots, filter: Option<&str>) -> Run {
    let filter = filter.map(str::to_lowercase);
    let mut run = Run::default();
    for f in files {
        let file = f.display().to_string();
        let loaded = read_text(f)
            .map_err(|e| vec![e])
            .and_then(|text| load_case_all(&text, f, roots));
        let cf = match loaded {
            Ok(cf) => cf,
            Err(es) => {
                run.broken.push(es);
                continue;
            }
        };
        run.warnings.extend(cf.warnings);
        for t in &cf.tests {
            if filter
                .as_deref()
                .is_some_and(|f| !t.name.to_lowercase().contains(f))
            {
                continue;
            }
            run.results.push(RunResult {
                file: file.clone(),
                name: t.name.clone(),
                line: t.pos.line,
                expected: t.expect,
                result: run_test(t),
            });
        }
    }
    run
}
