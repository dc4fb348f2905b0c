//! Reading the scenario fields of cases.md from a JSON object (a case file's test with its
//! `defaults`, a `--scenario` file): types are checked with the JSON path, unknown fields become
//! warnings with a did-you-mean, duplicate keys are errors naming both positions.

use super::source::PolicyLoader;
use super::ScenarioSpec;
use crate::compile::Scenario;
use crate::context::Principal;
use crate::diag::{did_you_mean, InputError};
use crate::json::{Json, JsonKind};
use crate::policy::PolicyKind;
use crate::settings::Settings;
use std::path::Path;

/// The default principal of cases.md.
pub const DEFAULT_PRINCIPAL: &str = "arn:aws:iam::111122223333:user/alice";

/// Known fields of a scenario.
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
    "organization",
];

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

/// A string field, or an error naming its path and the type found.
pub fn expect_str<'a>(v: &'a Json, file: &str, path: &str) -> Result<&'a str, InputError> {
    v.as_str().ok_or_else(|| {
        InputError::at(
            file,
            v.pos,
            path,
            format!("\"{path}\" must be a string, found {}", v.type_name()),
        )
    })
}

/// An array field, or an error naming its path and the type found.
pub fn expect_array<'a>(v: &'a Json, file: &str, path: &str) -> Result<&'a [Json], InputError> {
    match &v.kind {
        JsonKind::Array(a) => Ok(a),
        _ => Err(InputError::at(
            file,
            v.pos,
            path,
            format!("\"{path}\" must be an array, found {}", v.type_name()),
        )),
    }
}

/// An object field, or an error naming its path and the type found.
pub fn expect_object<'a>(
    v: &'a Json,
    file: &str,
    path: &str,
) -> Result<&'a [crate::json::Member], InputError> {
    v.as_object().ok_or_else(|| {
        InputError::at(
            file,
            v.pos,
            path,
            format!("\"{path}\" must be an object, found {}", v.type_name()),
        )
    })
}

/// The first key that appears twice in any object of `v`, as an error naming both positions:
/// with the first occurrence silently winning, `{"tests": [], "tests": [...]}` would pass.
pub fn reject_duplicate_keys(v: &Json, file: &str) -> Result<(), InputError> {
    // Iterative walk: the reader already bounds depth, but a stack of our own costs nothing.
    let mut stack: Vec<(&Json, String)> = vec![(v, String::new())];
    while let Some((j, path)) = stack.pop() {
        match &j.kind {
            JsonKind::Object(members) => {
                let mut seen: rustc_hash::FxHashMap<&str, usize> = Default::default();
                for (i, m) in members.iter().enumerate() {
                    if let Some(&first) = seen.get(m.key.as_str()) {
                        let p = join(&path, &m.key);
                        return Err(InputError::at(
                            file,
                            m.key_pos,
                            &p,
                            format!(
                                "duplicate key \"{}\" (first at {}): JSON readers disagree on which one wins, so iamsim refuses both",
                                m.key, members[first].key_pos
                            ),
                        ));
                    }
                    seen.insert(&m.key, i);
                }
                for m in members.iter().rev() {
                    stack.push((&m.value, join(&path, &m.key)));
                }
            }
            JsonKind::Array(items) => {
                for (i, it) in items.iter().enumerate().rev() {
                    stack.push((it, format!("{path}[{i}]")));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Warnings for the members of `obj` not in `known`, each with a did-you-mean when one is
/// close: `file:line:col: unknown field "identity_polices" in tests[3] is ignored (did you mean
/// "identity_policies"?)`. `place` names the object ("" for a top-level scenario).
pub fn unknown_fields(obj: &Json, file: &str, place: &str, known: &[&str]) -> Vec<String> {
    let Some(members) = obj.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in members {
        if known.contains(&m.key.as_str()) {
            continue;
        }
        let hint = did_you_mean(&m.key, known.iter().copied())
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        let place = if place.is_empty() {
            String::new()
        } else {
            format!(" in {place}")
        };
        out.push(format!(
            "{file}:{}: unknown field \"{}\"{place} is ignored{hint}",
            m.key_pos,
            crate::io::term(&m.key)
        ));
    }
    out
}

/// Reads the `settings` object into `settings`.
pub fn read_settings(v: &Json, file: &str, settings: &mut Settings) -> Result<(), InputError> {
    for m in expect_object(v, file, "settings")? {
        let path = format!("settings.{}", m.key);
        let val = m.value.scalar_text().ok_or_else(|| {
            InputError::at(
                file,
                m.value.pos,
                &path,
                format!(
                    "a setting value must be a string, number or boolean, found {}",
                    m.value.type_name()
                ),
            )
        })?;
        settings
            .set(&m.key, &val)
            .map_err(|e| InputError::at(file, m.key_pos, &path, e.0))?;
    }
    Ok(())
}

/// Reads the scenario fields. `base_dir` anchors `{"file"}` references.
pub fn read_scenario(
    f: &Fields<'_>,
    file: &str,
    base_dir: &Path,
    loader: &mut PolicyLoader,
) -> Result<ScenarioSpec, InputError> {
    let mut settings = Settings::default();
    if let Some(s) = f.get("settings") {
        read_settings(s, file, &mut settings)?;
    }
    loader.options = settings.parse_options();
    let principal = match f.get("principal") {
        None => Principal::parse(DEFAULT_PRINCIPAL).expect("default principal"),
        Some(v) => {
            let s = expect_str(v, file, "principal")?;
            Principal::parse(s).map_err(|e| InputError::at(file, v.pos, "principal", e.0))?
        }
    };
    let mut sc = Scenario {
        settings,
        ..Default::default()
    };
    let mut policy_list = |field: &str, kind: PolicyKind, out: &mut Vec<_>| {
        if let Some(v) = f.get(field) {
            for (i, p) in expect_array(v, file, field)?.iter().enumerate() {
                out.push(loader.resolve(p, file, base_dir, &format!("{field}[{i}]"), kind)?);
            }
        }
        Ok::<(), InputError>(())
    };
    policy_list("identity_policies", PolicyKind::Identity, &mut sc.identity)?;
    policy_list("session_policies", PolicyKind::Session, &mut sc.session)?;
    for (field, kind) in [("scps", PolicyKind::Scp), ("rcps", PolicyKind::Rcp)] {
        let Some(v) = f.get(field) else { continue };
        let mut levels = Vec::new();
        for (l, level) in expect_array(v, file, field)?.iter().enumerate() {
            let mut ps = Vec::new();
            for (i, p) in expect_array(level, file, &format!("{field}[{l}]"))?
                .iter()
                .enumerate()
            {
                ps.push(loader.resolve(p, file, base_dir, &format!("{field}[{l}][{i}]"), kind)?);
            }
            levels.push(ps);
        }
        if levels.len() > crate::compile::MAX_LEVELS {
            return Err(InputError::at(
                file,
                v.pos,
                field,
                format!(
                    "{} levels given, at most {} are supported (an organization is at most 5 OUs deep)",
                    levels.len(),
                    crate::compile::MAX_LEVELS
                ),
            ));
        }
        if kind == PolicyKind::Scp {
            sc.scps = levels;
        } else {
            sc.rcps = levels;
        }
    }
    for (field, kind) in [
        ("permissions_boundary", PolicyKind::Boundary),
        ("resource_policy", PolicyKind::Resource),
    ] {
        let Some(v) = f.get(field).filter(|v| !matches!(v.kind, JsonKind::Null)) else {
            continue;
        };
        let p = loader.resolve(v, file, base_dir, field, kind)?;
        if kind == PolicyKind::Boundary {
            sc.boundary = Some(p);
        } else {
            sc.resource_policy = Some(p);
        }
    }
    if let Some(v) = f.get("resource_account") {
        let s = expect_str(v, file, "resource_account").map_err(|mut e| {
            e.message
                .push_str(" (write the account as a string: leading zeros matter)");
            e
        })?;
        if !crate::values::is_account_id(s) {
            return Err(InputError::at(
                file,
                v.pos,
                "resource_account",
                format!(
                    "\"resource_account\" must be 12 digits, found \"{}\"",
                    crate::io::term(s)
                ),
            ));
        }
        sc.resource_account = Some(s.to_string());
    }
    if let Some(v) = f.get("management_account") {
        sc.management_account = match v.kind {
            JsonKind::Bool(b) => b,
            _ => {
                return Err(InputError::at(
                    file,
                    v.pos,
                    "management_account",
                    format!(
                        "\"management_account\" must be true or false, found {}",
                        v.type_name()
                    ),
                ))
            }
        };
    }
    sc.organization = super::organization::read_field(f.get("organization"), file)?;
    Ok(ScenarioSpec {
        principal,
        scenario: sc,
    })
}
