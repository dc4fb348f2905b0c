//! The one scenario layer: every entry point — case files, `--scenario` files, command-line
//! flags, SimulateCustomPolicy input, the principals of an account export, library callers —
//! builds its scenario through [`ScenarioBuilder`], so that policy sources, parse options from
//! the settings, level checks, account-id checks and unknown-field warnings behave the same
//! everywhere.
//!
//! * [`source`]: policy sources (inline, JSON string, `{"file"}`, command-line files);
//! * [`read`]: the scenario fields of cases.md read from JSON;
//! * [`request`]: the request fields and the request context;
//! * [`simulate`]: the SimulateCustomPolicy request shape mapped onto a scenario.

pub mod organization;
pub mod read;
pub mod request;
pub mod simulate;
pub mod source;

pub use read::{
    expect_array, expect_object, expect_str, read_scenario, reject_duplicate_keys, unknown_fields,
    Fields, DEFAULT_PRINCIPAL, SCENARIO_FIELDS,
};
pub use request::{
    now_secs, read_context_keys, read_request, request_context, request_context_at, request_time,
    RequestSpec, REQUEST_FIELDS,
};
pub use source::PolicyLoader;

use crate::compile::Scenario;
use crate::context::Principal;
use crate::diag::{Diagnostic, InputError};
use crate::io::Roots;
use crate::json::{self, Json};
use crate::policy::{Policy, PolicyKind};
use std::path::{Path, PathBuf};

/// A resolved scenario: the caller and the policies that apply.
#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    /// The caller.
    pub principal: Principal,
    /// The policies and settings.
    pub scenario: Scenario,
}

impl Default for ScenarioSpec {
    fn default() -> Self {
        ScenarioSpec {
            principal: Principal::parse(DEFAULT_PRINCIPAL).expect("default principal"),
            scenario: Scenario::default(),
        }
    }
}

/// Reads a JSON input file (bounded, regular files only, `-` once), refusing duplicate keys.
pub fn read_json(path: &Path) -> Result<Json, InputError> {
    let shown = path.display().to_string();
    let text = crate::io::read_text(path, crate::io::DEFAULT_INPUT_LIMIT)?;
    parse_json_text(&text, &shown)
}

/// Parses JSON input text (not a policy) with positions, refusing duplicate keys, with a hint
/// for the mistakes people make first (a YAML file, curly quotes).
pub fn parse_json_text(text: &str, shown: &str) -> Result<Json, InputError> {
    let limits = json::Limits {
        max_bytes: crate::io::DEFAULT_INPUT_LIMIT as usize,
        ..Default::default()
    };
    let j = json::parse_with(text, limits).map_err(|e| json_error(text, shown, e))?;
    reject_duplicate_keys(&j, shown)?;
    Ok(j)
}

/// A JSON syntax error in `text` (named `shown`) as an input error, with the hint for the
/// mistakes people make first (a YAML file, curly quotes) when one applies.
pub fn json_error(text: &str, shown: &str, e: json::JsonError) -> InputError {
    let mut msg = e.message;
    if let Some(h) = first_contact_hint(text, e.pos.offset) {
        msg.push_str("; ");
        msg.push_str(h);
    }
    InputError::at(shown, e.pos, "", msg)
}

pub use crate::json::{first_contact_hint, offset_of};

/// Expands a glob pattern (or returns the path itself when it has no wildcard); a pattern that
/// matches nothing is an error, never an empty list.
pub fn expand_glob(pattern: &str, flag: &str) -> Result<Vec<PathBuf>, InputError> {
    if !pattern.contains(['*', '?', '[']) {
        return Ok(vec![PathBuf::from(pattern)]);
    }
    let paths = glob::glob(pattern)
        .map_err(|e| InputError::whole(flag, format!("invalid glob pattern \"{pattern}\": {e}")))?;
    let mut out: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(InputError::whole(
            flag,
            format!("the pattern \"{pattern}\" matches no file"),
        ));
    }
    Ok(out)
}

/// Builds a [`ScenarioSpec`] from files, flags and JSON, with the same checks and the same
/// warnings for every caller.
///
/// ```
/// use iamsim::scenario::ScenarioBuilder;
/// let mut b = ScenarioBuilder::new();
/// b.principal("arn:aws:iam::111122223333:user/bob").unwrap();
/// b.identity_json(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, "inline").unwrap();
/// let built = b.build().unwrap();
/// assert_eq!(built.spec.scenario.identity.len(), 1);
/// ```
#[derive(Debug)]
pub struct ScenarioBuilder {
    /// The policy loader (its roots confine `{"file"}` references).
    pub loader: PolicyLoader,
    spec: ScenarioSpec,
    notes: Vec<String>,
    extra_fields: Vec<&'static str>,
    origin: Option<String>,
}

/// What [`ScenarioBuilder::build`] returns.
#[derive(Debug)]
pub struct Built {
    /// The scenario.
    pub spec: ScenarioSpec,
    /// Warnings about the scenario itself (unknown fields), shown by default.
    pub notes: Vec<String>,
    /// Warnings about the policies (§6.2), shown with `-w`.
    pub policy_warnings: Vec<Diagnostic>,
    /// The file the scenario came from, if any (for reports that need a location).
    pub origin: Option<String>,
}

impl Default for ScenarioBuilder {
    fn default() -> Self {
        ScenarioBuilder::new()
    }
}

impl ScenarioBuilder {
    /// A builder whose `{"file"}` references must stay inside the current directory.
    pub fn new() -> ScenarioBuilder {
        ScenarioBuilder::with_roots(Roots::current_dir())
    }

    /// A builder with the given reference roots.
    pub fn with_roots(roots: Roots) -> ScenarioBuilder {
        ScenarioBuilder {
            loader: PolicyLoader::new(roots),
            spec: ScenarioSpec::default(),
            notes: Vec::new(),
            extra_fields: Vec::new(),
            origin: None,
        }
    }

    /// Fields a subcommand reads itself from a scenario file (mfa's `actions`): not unknown.
    pub fn accept_fields(&mut self, fields: &[&'static str]) {
        self.extra_fields.extend_from_slice(fields);
    }

    /// Reads a scenario file (`-`: standard input, read once) and returns its JSON for the
    /// caller's own extra fields. The file's directory becomes a reference root.
    pub fn file(&mut self, path: &Path) -> Result<Json, InputError> {
        let shown = path.display().to_string();
        let root = read_json(path)?;
        self.loader.roots.allow_input(path);
        let base = if crate::io::read::is_stdin(path) {
            PathBuf::from(".")
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        self.json(&root, &shown, &base)?;
        self.origin = Some(shown);
        Ok(root)
    }

    /// Reads the scenario fields of a JSON object found in `file`.
    pub fn json(&mut self, root: &Json, file: &str, base_dir: &Path) -> Result<(), InputError> {
        if root.as_object().is_none() {
            return Err(InputError::at(
                file,
                root.pos,
                "",
                format!(
                    "a scenario must be a JSON object, found {}",
                    root.type_name()
                ),
            ));
        }
        if let Some(t) = root.get("tests") {
            return Err(InputError::at(
                file,
                t.pos,
                "tests",
                "this is a case file (it has \"tests\"): run it with `iamsim test`, or give a scenario file with only the scenario fields",
            ));
        }
        let known: Vec<&str> = SCENARIO_FIELDS
            .iter()
            .chain(self.extra_fields.iter())
            .chain(["description", "comment", "notes", "source"].iter())
            .copied()
            .collect();
        self.notes.extend(unknown_fields(root, file, "", &known));
        self.spec = read_scenario(
            &Fields {
                own: root,
                defaults: None,
            },
            file,
            base_dir,
            &mut self.loader,
        )?;
        Ok(())
    }

    /// Applies `name=value` settings (after the file's own).
    pub fn settings(&mut self, pairs: &[String]) -> Result<(), InputError> {
        for pair in pairs {
            self.spec
                .scenario
                .settings
                .set_pair(pair)
                .map_err(|e| InputError::whole("--setting", e.0))?;
        }
        self.loader.options = self.spec.scenario.settings.parse_options();
        Ok(())
    }

    /// Sets the caller.
    pub fn principal(&mut self, arn: &str) -> Result<(), InputError> {
        self.spec.principal =
            Principal::parse(arn).map_err(|e| InputError::whole("--principal", e.0))?;
        Ok(())
    }

    /// Adds identity policies from a file or glob pattern.
    pub fn identity(&mut self, pattern: &str) -> Result<(), InputError> {
        for path in expand_glob(pattern, "--identity")? {
            let p = self.loader.load_file(&path, PolicyKind::Identity)?;
            self.spec.scenario.identity.push(p);
        }
        Ok(())
    }

    /// Adds an identity policy from its text (`name` labels it in explanations).
    pub fn identity_json(&mut self, text: &str, name: &str) -> Result<(), InputError> {
        let p = self.policy_text(text, name, PolicyKind::Identity)?;
        self.spec.scenario.identity.push(p);
        Ok(())
    }

    /// Reads a policy document from text with the scenario's options.
    pub fn policy_text(
        &mut self,
        text: &str,
        name: &str,
        kind: PolicyKind,
    ) -> Result<Policy, InputError> {
        let (p, w) = crate::policy::parse_policy_text(text, name, name, kind, self.loader.options)
            .map_err(|ds| InputError::from_diag(crate::diag::first_error(&ds)))?;
        self.loader.warnings.extend(w);
        Ok(p)
    }

    /// Sets the permissions boundary from a file.
    pub fn boundary(&mut self, path: &Path) -> Result<(), InputError> {
        self.spec.scenario.boundary = Some(self.loader.load_file(path, PolicyKind::Boundary)?);
        Ok(())
    }

    /// Adds a session policy from a file.
    pub fn session(&mut self, path: &Path) -> Result<(), InputError> {
        let p = self.loader.load_file(path, PolicyKind::Session)?;
        self.spec.scenario.session.push(p);
        Ok(())
    }

    /// Sets the resource-based policy from a file.
    pub fn resource_policy(&mut self, path: &Path) -> Result<(), InputError> {
        self.spec.scenario.resource_policy =
            Some(self.loader.load_file(path, PolicyKind::Resource)?);
        Ok(())
    }

    /// Replaces the SCP (or RCP) levels by the flag values (see [`Self::read_level_flags`]).
    pub fn levels_from_flags(
        &mut self,
        kind: PolicyKind,
        flag: &str,
        values: &[String],
    ) -> Result<(), InputError> {
        if values.is_empty() {
            return Ok(());
        }
        let levels = self.read_level_flags(kind, flag, values)?;
        self.set_levels(kind, flag, levels)
    }

    /// Reads level flag values: one level per value, files separated by commas (spaces around
    /// them are trimmed, globs expanded). An empty level is an error: it would deny everything,
    /// which is never what `--scp-level ","` meant.
    pub fn read_level_flags(
        &mut self,
        kind: PolicyKind,
        flag: &str,
        values: &[String],
    ) -> Result<Vec<Vec<Policy>>, InputError> {
        let mut out = Vec::new();
        for value in values {
            let mut ps = Vec::new();
            for f in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                for path in expand_glob(f, flag)? {
                    ps.push(self.loader.load_file(&path, kind)?);
                }
            }
            if ps.is_empty() {
                return Err(InputError::whole(
                    flag,
                    format!("\"{value}\" names no policy file: a level needs at least one"),
                ));
            }
            out.push(ps);
        }
        Ok(out)
    }

    /// Reads a JSON file listing levels of policy files, `[["root.json"], ["ou.json", "b.json"]]`,
    /// each file relative to the list's directory (and confined like any reference).
    pub fn read_level_file(
        &mut self,
        kind: PolicyKind,
        path: &Path,
    ) -> Result<Vec<Vec<Policy>>, InputError> {
        let shown = path.display().to_string();
        let j = read_json(path)?;
        self.loader.roots.allow_input(path);
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut out = Vec::new();
        for (l, level) in expect_array(&j, &shown, "")
            .map_err(|e| InputError {
                message: "expected a list of levels, each a list of policy files".into(),
                ..e
            })?
            .iter()
            .enumerate()
        {
            let mut ps = Vec::new();
            let lp = format!("[{l}]");
            let files = expect_array(level, &shown, &lp)?;
            if files.is_empty() {
                return Err(InputError::at(
                    &shown,
                    level.pos,
                    &lp,
                    "a level needs at least one policy file",
                ));
            }
            for (i, f) in files.iter().enumerate() {
                let fp = format!("[{l}][{i}]");
                let rel = expect_str(f, &shown, &fp)?;
                let p = self.loader.roots.resolve(&shown, f.pos, &fp, &base, rel)?;
                ps.push(self.loader.load_file(&p, kind)?);
            }
            out.push(ps);
        }
        Ok(out)
    }

    /// Replaces the SCP (or RCP) levels, checking the level count.
    pub fn set_levels(
        &mut self,
        kind: PolicyKind,
        origin: &str,
        levels: Vec<Vec<Policy>>,
    ) -> Result<(), InputError> {
        if levels.len() > crate::compile::MAX_LEVELS {
            return Err(InputError::whole(
                origin,
                format!(
                    "{} levels given, at most {} are supported",
                    levels.len(),
                    crate::compile::MAX_LEVELS
                ),
            ));
        }
        if kind == PolicyKind::Rcp {
            self.spec.scenario.rcps = levels;
        } else {
            self.spec.scenario.scps = levels;
        }
        Ok(())
    }

    /// Sets the account that owns the resource.
    pub fn resource_account(&mut self, account: &str) -> Result<(), InputError> {
        if !crate::values::is_account_id(account) {
            return Err(InputError::whole(
                "--resource-account",
                format!(
                    "an account is 12 digits, not \"{}\"",
                    crate::io::term(account)
                ),
            ));
        }
        self.spec.scenario.resource_account = Some(account.to_string());
        Ok(())
    }

    /// Sets (or amends) the organization from flags: its id and `ACCOUNT=PATH` members.
    pub fn organization(
        &mut self,
        id: Option<&str>,
        accounts: &[String],
    ) -> Result<(), InputError> {
        let mut org = self.spec.scenario.organization.clone().unwrap_or_default();
        if let Some(id) = id {
            if !organization::is_organization_id(id) {
                return Err(InputError::whole(
                    "--org-id",
                    format!("\"{}\" is not an organization id (o- and 10 to 32 lower-case letters or digits)", crate::io::term(id)),
                ));
            }
            org.id = id.to_string();
        }
        if org.id.is_empty() {
            return Err(InputError::whole(
                "--org-account",
                "give the organization's id with --org-id",
            ));
        }
        for a in accounts {
            let (acct, path) = a.split_once('=').unwrap_or((a.as_str(), ""));
            if !crate::values::is_account_id(acct) {
                return Err(InputError::whole(
                    "--org-account",
                    format!(
                        "expects ACCOUNT=PATH with a 12-digit account, not \"{}\"",
                        crate::io::term(a)
                    ),
                ));
            }
            let path = if path.is_empty() {
                // Default: directly under an unnamed root.
                format!("{}/", org.id)
            } else {
                path.to_string()
            };
            if !path.starts_with(&format!("{}/", org.id)) || !path.ends_with('/') {
                return Err(InputError::whole(
                    "--org-account",
                    format!(
                        "the OU path \"{}\" must start with the organization id and end with /",
                        crate::io::term(&path)
                    ),
                ));
            }
            org.accounts.insert(acct.to_string(), path);
        }
        self.spec.scenario.organization = Some(org);
        Ok(())
    }

    /// Marks the principal's account as the organization's management account.
    pub fn management_account(&mut self, yes: bool) {
        if yes {
            self.spec.scenario.management_account = true;
        }
    }

    /// Direct access to the scenario being built (for sources without a flag, such as an
    /// account export's policies).
    pub fn spec_mut(&mut self) -> &mut ScenarioSpec {
        &mut self.spec
    }

    /// The scenario, with its warnings.
    pub fn build(self) -> Result<Built, InputError> {
        Ok(Built {
            spec: self.spec,
            notes: self.notes,
            policy_warnings: self.loader.warnings,
            origin: self.origin,
        })
    }
}
