//! The request shape of IAM's `SimulateCustomPolicy` API (`aws iam simulate-custom-policy
//! --cli-input-json`) mapped onto a scenario and a list of requests, and the API's response
//! shape written for each result.
//!
//! Extra request fields (AWS's API has no equivalent): `SessionPolicyInputList` (list of policy
//! strings), `ResourceControlPolicyInputList` (list of levels, each a list of policy strings,
//! root first), `ContextPreset` (a credential preset name), `ManagementAccount` (bool),
//! `Settings` (object of setting name to value).
//!
//! Every field is type-checked: a wrong type is an error with the JSON path, never ignored.

use super::read::{expect_array, expect_object, expect_str, unknown_fields};
use super::{ScenarioBuilder, ScenarioSpec, DEFAULT_PRINCIPAL};
use crate::compile::{KeyLookup, Layer, PolicySet};
use crate::context::{CtxValue, Preset};
use crate::diag::InputError;
use crate::eval::{Decision, Missing, Outcome, Request};
use crate::json::{Json, JsonKind};
use crate::policy::{Policy, PolicyKind};
use serde_json::{json, Value};

/// The request fields SimulateCustomPolicy (and iamsim's extensions) accept.
pub const SIMULATE_FIELDS: &[&str] = &[
    "PolicyInputList",
    "PermissionsBoundaryPolicyInputList",
    "ActionNames",
    "ResourceArns",
    "ResourcePolicy",
    "ResourceOwner",
    "CallerArn",
    "ContextEntries",
    "ResourceHandlingOption",
    "MaxItems",
    "Marker",
    "SessionPolicyInputList",
    "OrderedOrganizationPolicyInputList",
    "ResourceControlPolicyInputList",
    "ContextPreset",
    "ManagementAccount",
    "Settings",
];

/// The most results one simulation may produce (ActionNames × ResourceArns): results are
/// streamed, but a product this large is a mistake rather than a question.
pub const MAX_RESULTS: usize = 1_000_000;

/// A SimulateCustomPolicy request, resolved.
#[derive(Debug)]
pub struct SimulateInput {
    /// The scenario.
    pub spec: ScenarioSpec,
    /// The preset (iamsim extension; AWS has none).
    pub preset: Preset,
    /// ContextEntries.
    pub keys: Vec<(String, Option<CtxValue>)>,
    /// ActionNames.
    pub actions: Vec<String>,
    /// ResourceArns (`*` when absent).
    pub resources: Vec<String>,
    /// Warnings about the request (unknown fields).
    pub notes: Vec<String>,
}

fn strings(
    j: &Json,
    path: &str,
    file: &str,
) -> Result<Vec<(String, crate::json::Pos)>, InputError> {
    expect_array(j, file, path)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Ok((
                expect_str(v, file, &format!("{path}[{i}]"))?.to_string(),
                v.pos,
            ))
        })
        .collect()
}

fn policies(
    b: &mut ScenarioBuilder,
    j: &Json,
    path: &str,
    id_prefix: &str,
    file: &str,
    kind: PolicyKind,
) -> Result<Vec<Policy>, InputError> {
    strings(j, path, file)?
        .into_iter()
        .enumerate()
        .map(|(i, (text, pos))| {
            let id = format!("{id_prefix}.{}", i + 1);
            let origin = format!("{file}:{pos} ({id})");
            let (p, w) =
                crate::policy::parse_policy_text(&text, &origin, &id, kind, b.loader.options)
                    .map_err(|ds| InputError::from_diag(crate::diag::first_error(&ds)))?;
            b.loader.warnings.extend(w);
            Ok(p)
        })
        .collect()
}

fn context_entries(j: &Json, file: &str) -> Result<Vec<(String, Option<CtxValue>)>, InputError> {
    const TYPES: &[&str] = &[
        "string",
        "stringList",
        "numeric",
        "numericList",
        "boolean",
        "booleanList",
        "ip",
        "ipList",
        "binary",
        "binaryList",
        "date",
        "dateList",
    ];
    let mut out = Vec::new();
    for (i, e) in expect_array(j, file, "ContextEntries")?.iter().enumerate() {
        let path = format!("ContextEntries[{i}]");
        expect_object(e, file, &path)?;
        let name_v = e.get("ContextKeyName").ok_or_else(|| {
            InputError::at(file, e.pos, &path, "a context entry needs ContextKeyName")
        })?;
        let name = expect_str(name_v, file, &format!("{path}.ContextKeyName"))?;
        let values: Vec<String> = match e.get("ContextKeyValues") {
            Some(v) => strings(v, &format!("{path}.ContextKeyValues"), file)?
                .into_iter()
                .map(|x| x.0)
                .collect(),
            None => Vec::new(),
        };
        let ty = match e.get("ContextKeyType") {
            Some(t) => expect_str(t, file, &format!("{path}.ContextKeyType"))?,
            None => "string",
        };
        if !TYPES.contains(&ty) {
            return Err(InputError::at(
                file,
                e.pos,
                &format!("{path}.ContextKeyType"),
                format!(
                    "unknown ContextKeyType \"{ty}\" (one of {})",
                    TYPES.join(", ")
                ),
            ));
        }
        let value = if ty.ends_with("List") || values.len() != 1 {
            CtxValue::Many(values)
        } else {
            CtxValue::One(values[0].clone())
        };
        if super::request::is_time_key(name) {
            super::request::check_time_value(name, &value)
                .map_err(|m| InputError::at(file, e.pos, &path, m))?;
        }
        out.push((name.to_string(), Some(value)));
    }
    Ok(out)
}

/// Reads a SimulateCustomPolicy request. Policies are read with the request's `Settings`.
///
/// Kept whole: one step per request field, in the API's order, each with its own type check; there
/// is no shared state to cut along.
pub fn read_simulate(j: &Json, file: &str) -> Result<SimulateInput, InputError> {
    expect_object(j, file, "")
        .map_err(|_| InputError::at(file, j.pos, "", "the request must be a JSON object"))?;
    let notes = unknown_fields(j, file, "", SIMULATE_FIELDS);
    let mut b = ScenarioBuilder::new();
    if let Some(s) = j.get("Settings") {
        let mut settings = crate::settings::Settings::default();
        super::read::read_settings(s, file, &mut settings).map_err(|e| InputError {
            path: e.path.replacen("settings", "Settings", 1),
            ..e
        })?;
        b.spec_mut().scenario.settings = settings;
        b.loader.options = b.spec_mut().scenario.settings.parse_options();
    }
    let list = j.get("PolicyInputList").ok_or_else(|| {
        InputError::at(
            file,
            j.pos,
            "PolicyInputList",
            "PolicyInputList is required",
        )
    })?;
    let identity = policies(
        &mut b,
        list,
        "PolicyInputList",
        "PolicyInputList",
        file,
        PolicyKind::Identity,
    )?;
    b.spec_mut().scenario.identity = identity;
    if let Some(v) = j.get("PermissionsBoundaryPolicyInputList") {
        let name = "PermissionsBoundaryPolicyInputList";
        let mut bs = policies(&mut b, v, name, name, file, PolicyKind::Boundary)?;
        if bs.len() > 1 {
            return Err(InputError::at(
                file,
                v.pos,
                name,
                "at most one permissions boundary",
            ));
        }
        b.spec_mut().scenario.boundary = bs.pop();
    }
    if let Some(v) = j.get("SessionPolicyInputList") {
        let name = "SessionPolicyInputList";
        let s = policies(&mut b, v, name, name, file, PolicyKind::Session)?;
        b.spec_mut().scenario.session = s;
    }
    for (name, kind) in [
        ("OrderedOrganizationPolicyInputList", PolicyKind::Scp),
        ("ResourceControlPolicyInputList", PolicyKind::Rcp),
    ] {
        let Some(levels) = j.get(name) else { continue };
        let mut out = Vec::new();
        for (i, level) in expect_array(levels, file, name)?.iter().enumerate() {
            // A level is a policy string or a list of policy strings.
            let single;
            let level = if let JsonKind::String(_) = level.kind {
                single = Json {
                    pos: level.pos,
                    end: level.end,
                    kind: JsonKind::Array(vec![level.clone()]),
                };
                &single
            } else {
                level
            };
            let path = format!("{name}[{i}]");
            out.push(policies(
                &mut b,
                level,
                &path,
                &format!("{name}.{}", i + 1),
                file,
                kind,
            )?);
        }
        b.set_levels(kind, name, out)?;
    }
    if let Some(r) = j.get("ResourcePolicy") {
        let text = expect_str(r, file, "ResourcePolicy")?;
        let origin = format!("{file}:{} (ResourcePolicy)", r.pos);
        let (p, w) = crate::policy::parse_policy_text(
            text,
            &origin,
            "ResourcePolicy",
            PolicyKind::Resource,
            b.loader.options,
        )
        .map_err(|ds| InputError::from_diag(crate::diag::first_error(&ds)))?;
        b.loader.warnings.extend(w);
        b.spec_mut().scenario.resource_policy = Some(p);
    }
    if let Some(o) = j.get("ResourceOwner") {
        let s = expect_str(o, file, "ResourceOwner")?;
        // An account ARN (arn:aws:iam::123456789012:root) or a bare account id.
        let acct = crate::values::account::arn_account(s).unwrap_or(s);
        if !crate::values::is_account_id(acct) {
            return Err(InputError::at(
                file,
                o.pos,
                "ResourceOwner",
                "ResourceOwner must be an account ARN (arn:aws:iam::123456789012:root) or a 12-digit account id",
            ));
        }
        b.spec_mut().scenario.resource_account = Some(acct.to_string());
    }
    if let Some(m) = j.get("ManagementAccount") {
        match m.kind {
            JsonKind::Bool(v) => b.spec_mut().scenario.management_account = v,
            _ => {
                return Err(InputError::at(
                    file,
                    m.pos,
                    "ManagementAccount",
                    format!(
                        "ManagementAccount must be true or false, found {}",
                        m.type_name()
                    ),
                ))
            }
        }
    }
    match j.get("CallerArn") {
        Some(c) => {
            let s = expect_str(c, file, "CallerArn")?;
            b.principal(s)
                .map_err(|e| InputError::at(file, c.pos, "CallerArn", e.message))?;
        }
        None => b.principal(DEFAULT_PRINCIPAL)?,
    }
    let preset = match j.get("ContextPreset") {
        Some(p) => Preset::parse(expect_str(p, file, "ContextPreset")?)
            .map_err(|e| InputError::at(file, p.pos, "ContextPreset", e))?,
        None => Preset::None,
    };
    let keys = match j.get("ContextEntries") {
        Some(c) => context_entries(c, file)?,
        None => Vec::new(),
    };
    let actions_v = j
        .get("ActionNames")
        .ok_or_else(|| InputError::at(file, j.pos, "ActionNames", "ActionNames is required"))?;
    let actions: Vec<String> = strings(actions_v, "ActionNames", file)?
        .into_iter()
        .map(|x| x.0)
        .collect();
    let resources = match j.get("ResourceArns") {
        Some(r) => strings(r, "ResourceArns", file)?
            .into_iter()
            .map(|x| x.0)
            .collect(),
        None => vec!["*".to_string()],
    };
    if actions.len().saturating_mul(resources.len()) > MAX_RESULTS {
        return Err(InputError::at(
            file,
            actions_v.pos,
            "ActionNames",
            format!(
                "{} actions × {} resources = {} results, more than the {MAX_RESULTS} one simulation may produce: split the request",
                actions.len(),
                resources.len(),
                actions.len() * resources.len()
            ),
        ));
    }
    let built = b.build()?;
    Ok(SimulateInput {
        spec: built.spec,
        preset,
        keys,
        actions,
        resources,
        notes,
    })
}

/// The API's `SourcePolicyType` for a layer. Policies given in the request are not stored IAM
/// policies (neither a user's, a group's nor a managed one), so the API's `none` fits all but
/// the resource policy.
pub fn source_type(l: Layer) -> &'static str {
    match l {
        Layer::Resource => "resource",
        _ => "none",
    }
}

/// One `EvaluationResults` entry in the API's shape. `resource_format` is the ARN format of the
/// resource type the requested ARN is a resource of (`catalog::arn::resource_format_of`): the
/// API reports it as the result's `EvalResourceName` (e.g.
/// `arn:${Partition}:s3:::${BucketName}/${ObjectName}`) and the ARN itself in
/// `ResourceSpecificResults`; `None` (no type fits, or `*`) reports the ARN in both.
pub fn result_json<L: KeyLookup>(
    set: &PolicySet,
    req: &Request<'_>,
    ctx: &L,
    o: &Outcome,
    resource_format: Option<&str>,
) -> Value {
    let trace = set.trace(req, ctx);
    let matched: Vec<Value> = trace
        .iter()
        .filter(|t| t.applies)
        .map(|t| {
            let (layer, _, pi, si) = set.statement_info(t.id);
            let st = &set.policies()[pi].policy.statements[si];
            // The API counts columns from the character after the opening brace's position
            // as the AWS CLI documentation's example shows (one more than our 1-based column).
            json!({
                "SourcePolicyId": set.policies()[pi].policy.name,
                "SourcePolicyType": source_type(layer),
                "StartPosition": {"Line": st.pos.line, "Column": st.pos.col + 1},
                "EndPosition": {"Line": st.end.line, "Column": st.end.col + 1},
            })
        })
        .collect();
    let mut missing: Vec<String> = Vec::new();
    for t in &trace {
        let (_, _, pi, si) = set.statement_info(t.id);
        let st = &set.policies()[pi].policy.statements[si];
        for c in &t.conditions {
            if c.value.is_none() && t.resource && t.principal != Some(false) {
                let k = &st.conditions[c.index].key;
                if !missing.iter().any(|m| m.eq_ignore_ascii_case(k)) {
                    missing.push(k.clone());
                }
            }
        }
    }
    let decision = o.decision.as_str();
    let (scp, _) = set.guardrails_apply(req, ctx);
    let mut r = json!({
        "EvalActionName": req.action,
        "EvalResourceName": resource_format.unwrap_or(req.resource),
        "EvalDecision": decision,
        "MatchedStatements": matched,
        "MissingContextValues": missing,
        "EvalDecisionDetails": {},
        "ResourceSpecificResults": [{
            "EvalResourceName": req.resource,
            "EvalResourceDecision": decision,
            "MatchedStatements": matched,
            "MissingContextValues": missing,
        }],
    });
    let denied_first_by = |want: &dyn Fn(Layer) -> bool| {
        o.decision == Decision::ExplicitDeny
            && o.statements
                .first()
                .is_some_and(|id| want(set.statement_info(*id).0))
    };
    if scp {
        let denied = matches!(o.missing, Some(Missing::Scp(_)))
            || denied_first_by(&|l| matches!(l, Layer::Scp(_)));
        r["OrganizationsDecisionDetail"] = json!({"AllowedByOrganizations": !denied});
    }
    if set.policies().iter().any(|p| p.layer == Layer::Boundary) {
        let denied = matches!(o.missing, Some(Missing::Boundary))
            || denied_first_by(&|l| l == Layer::Boundary);
        r["PermissionsBoundaryDecisionDetail"] = json!({"AllowedByPermissionsBoundary": !denied});
    }
    if set.policies().iter().any(|p| p.layer == Layer::Resource) {
        r["EvalDecisionDetails"] = json!({"IAM Policy": decision});
    }
    r
}
