//! The request fields of cases.md (`action`, `resource`, `context`, `context_keys`) and the
//! request context built from them: principal-derived keys, the preset's keys, the time, then
//! the overrides.

use super::read::{expect_str, Fields};
use crate::compile::PolicySet;
use crate::context::{Context, CtxValue, Preset, Principal};
use crate::diag::InputError;
use crate::json::{Json, JsonKind};

/// Request fields.
pub const REQUEST_FIELDS: &[&str] = &["action", "resource", "context", "context_keys"];

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

/// Whether `key` is one of the request-time keys, which must hold a date.
pub fn is_time_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("aws:CurrentTime") || key.eq_ignore_ascii_case("aws:EpochTime")
}

/// Checks a value given for a time key: silently evaluating at "now" instead of the time the
/// user asked for would test the wrong thing.
pub fn check_time_value(key: &str, value: &CtxValue) -> Result<(), String> {
    match value {
        CtxValue::One(s) if crate::values::parse_date(s).is_some() => Ok(()),
        CtxValue::One(s) => Err(format!(
            "{key} must be a date (ISO 8601 such as 2026-01-31T12:00:00Z, or epoch seconds), not \"{}\"",
            crate::io::term(s)
        )),
        CtxValue::Many(_) => Err(format!("{key} takes one value, not a list")),
    }
}

/// Reads a `context_keys` object.
pub fn read_context_keys(
    v: &Json,
    file: &str,
) -> Result<Vec<(String, Option<CtxValue>)>, InputError> {
    let Some(members) = v.as_object() else {
        return Err(InputError::at(
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
                        InputError::at(
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
                InputError::at(
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
        if let Some(v) = &val {
            if is_time_key(&m.key) {
                check_time_value(&m.key, v)
                    .map_err(|e| InputError::at(file, m.value.pos, &path, e))?;
            }
        }
        out.push((m.key.clone(), val));
    }
    Ok(out)
}

/// Reads the request fields.
pub fn read_request(f: &Fields<'_>, file: &str) -> Result<RequestSpec, InputError> {
    let action_v = f
        .get("action")
        .ok_or_else(|| InputError::at(file, f.own.pos, "action", "missing \"action\""))?;
    let action = expect_str(action_v, file, "action")?.to_string();
    if action != "*" && action.split(':').count() != 2 {
        return Err(InputError::at(
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
            .map_err(|e| InputError::at(file, v.pos, "context", e))?,
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
    crate::values::parse_date_secs(value)
}

/// The current time in epoch seconds.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Builds the request context for a request to `set`'s scenario: principal-derived and preset
/// keys, the keys derived from the scenario and the resource (`aws:ResourceAccount`), then the
/// overrides (`context_keys` win over every derived key).
pub fn request_context(set: &PolicySet, principal: &Principal, req: &RequestSpec) -> Context {
    request_context_at(set, principal, req, now_secs())
}

/// [`request_context`] with the current time given (epoch seconds), so that a bulk run uses one
/// clock for every request; a time override in `req` still wins.
pub fn request_context_at(
    set: &PolicySet,
    principal: &Principal,
    req: &RequestSpec,
    now: i64,
) -> Context {
    let now = override_time(&req.keys).unwrap_or(now);
    let mut ctx = set.context(principal, req.preset, &req.resource, now);
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
