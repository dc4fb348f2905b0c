//! `iamsim simulate --cli-input-json FILE`: reads the request JSON of IAM's
//! `SimulateCustomPolicy` API and prints the API's response shape, so scripts built around
//! `aws iam simulate-custom-policy` work unchanged.
//!
//! Extra request fields (AWS's API has no equivalent): `SessionPolicyInputList` (list of policy
//! strings), `ResourceControlPolicyInputList` (list of levels, each a list of policy strings, root
//! first), `ContextPreset` (a credential preset name), `ManagementAccount` (bool), `Settings`
//! (object of setting name to value).

use super::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::cases::{read_text, request_context, RequestSpec};
use iamsim::compile::{KeyLookup, Layer, PolicySet, Scenario};
use iamsim::context::{CtxValue, Preset, Principal};
use iamsim::eval::{Decision, Missing, Request};
use iamsim::json::{self, Json, JsonKind};
use iamsim::policy::{parse_policy_text, ParseOptions, Policy, PolicyKind};
use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;

/// Arguments of `iamsim simulate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim simulate --cli-input-json testdata/simulate/request.json | jq '.EvaluationResults[].EvalDecision'\n\nExit status: 0 every result allowed, 1 some result denied, 2 bad input."
)]
pub struct SimulateArgs {
    /// The SimulateCustomPolicy request JSON; `-` reads standard input.
    #[arg(long = "cli-input-json", value_name = "FILE")]
    input: PathBuf,
}

struct Err2(String);

fn field<'a>(j: &'a Json, name: &str) -> Option<&'a Json> {
    j.get(name)
}

fn strings(j: &Json, name: &str, file: &str) -> Result<Vec<(String, json::Pos)>, Err2> {
    match &j.kind {
        JsonKind::Array(a) => a
            .iter()
            .map(|v| {
                v.as_str().map(|s| (s.to_string(), v.pos)).ok_or_else(|| {
                    Err2(format!(
                        "{file}:{}: every entry of {name} must be a string",
                        v.pos
                    ))
                })
            })
            .collect(),
        _ => Err(Err2(format!(
            "{file}:{}: {name} must be a list of strings",
            j.pos
        ))),
    }
}

fn policies(j: &Json, name: &str, file: &str, kind: PolicyKind) -> Result<Vec<Policy>, Err2> {
    strings(j, name, file)?
        .into_iter()
        .enumerate()
        .map(|(i, (text, pos))| {
            let id = format!("{name}.{}", i + 1);
            let origin = format!("{file}:{pos} ({id})");
            parse_policy_text(&text, &origin, &id, kind, ParseOptions::default())
                .map(|(p, _)| p)
                .map_err(|ds| Err2(iamsim::diag::first_error(&ds).to_string()))
        })
        .collect()
}

fn source_type(l: Layer) -> &'static str {
    match l {
        Layer::Identity => "IAM Policy",
        Layer::Boundary => "Permissions Boundary Policy",
        Layer::Session => "Session Policy",
        Layer::Resource => "Resource Policy",
        Layer::Scp(_) => "Organizations Policy",
        Layer::Rcp(_) => "Resource Control Policy",
    }
}

fn load(args: &SimulateArgs) -> Result<(String, Json), Err2> {
    if args.input.as_os_str() == "-" {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .map_err(|e| Err2(format!("<stdin>: {e}")))?;
        let j = json::parse(&buf).map_err(|e| Err2(format!("<stdin>:{e}")))?;
        return Ok(("<stdin>".into(), j));
    }
    let file = args.input.display().to_string();
    let text = read_text(&args.input).map_err(|e| Err2(e.to_string()))?;
    let j = json::parse(&text).map_err(|e| Err2(format!("{file}:{e}")))?;
    Ok((file, j))
}

fn context_entries(j: &Json, file: &str) -> Result<Vec<(String, Option<CtxValue>)>, Err2> {
    let JsonKind::Array(items) = &j.kind else {
        return Err(Err2(format!(
            "{file}:{}: ContextEntries must be a list",
            j.pos
        )));
    };
    let mut out = Vec::new();
    for e in items {
        let name = field(e, "ContextKeyName")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                Err2(format!(
                    "{file}:{}: a context entry needs ContextKeyName",
                    e.pos
                ))
            })?;
        let values: Vec<String> = match field(e, "ContextKeyValues") {
            Some(v) => strings(v, "ContextKeyValues", file)?
                .into_iter()
                .map(|x| x.0)
                .collect(),
            None => Vec::new(),
        };
        let ty = field(e, "ContextKeyType")
            .and_then(Json::as_str)
            .unwrap_or("string");
        let known = [
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
        if !known.contains(&ty) {
            return Err(Err2(format!(
                "{file}:{}: unknown ContextKeyType \"{ty}\" (one of {})",
                e.pos,
                known.join(", ")
            )));
        }
        let value = if ty.ends_with("List") {
            CtxValue::Many(values)
        } else {
            match values.len() {
                1 => CtxValue::One(values[0].clone()),
                _ => CtxValue::Many(values),
            }
        };
        out.push((name.to_string(), Some(value)));
    }
    Ok(out)
}

fn simulate(args: &SimulateArgs) -> Result<(Value, bool), Err2> {
    let (file, j) = load(args)?;
    if j.as_object().is_none() {
        return Err(Err2(format!(
            "{file}:{}: the request must be a JSON object",
            j.pos
        )));
    }
    let mut sc = Scenario::default();
    if let Some(s) = field(&j, "Settings") {
        for m in s
            .as_object()
            .ok_or_else(|| Err2(format!("{file}:{}: Settings must be an object", s.pos)))?
        {
            let v = m.value.scalar_text().unwrap_or_default();
            sc.settings
                .set(&m.key, &v)
                .map_err(|e| Err2(format!("{file}:{}: {e}", m.key_pos)))?;
        }
    }
    let list = field(&j, "PolicyInputList")
        .ok_or_else(|| Err2(format!("{file}:{}: PolicyInputList is required", j.pos)))?;
    sc.identity = policies(list, "PolicyInputList", &file, PolicyKind::Identity)?;
    if let Some(b) = field(&j, "PermissionsBoundaryPolicyInputList") {
        let mut bs = policies(
            b,
            "PermissionsBoundaryPolicyInputList",
            &file,
            PolicyKind::Boundary,
        )?;
        if bs.len() > 1 {
            return Err(Err2(format!(
                "{file}:{}: at most one permissions boundary",
                b.pos
            )));
        }
        sc.boundary = bs.pop();
    }
    if let Some(s) = field(&j, "SessionPolicyInputList") {
        sc.session = policies(s, "SessionPolicyInputList", &file, PolicyKind::Session)?;
    }
    for (name, kind) in [
        ("OrderedOrganizationPolicyInputList", PolicyKind::Scp),
        ("ResourceControlPolicyInputList", PolicyKind::Rcp),
    ] {
        if let Some(levels) = field(&j, name) {
            let JsonKind::Array(items) = &levels.kind else {
                return Err(Err2(format!(
                    "{file}:{}: {name} must be a list",
                    levels.pos
                )));
            };
            let mut out = Vec::new();
            for (i, level) in items.iter().enumerate() {
                // A level is a policy string or a list of policy strings.
                let ps = match &level.kind {
                    JsonKind::String(_) => policies(
                        &Json {
                            pos: level.pos,
                            end: level.end,
                            kind: JsonKind::Array(vec![level.clone()]),
                        },
                        &format!("{name}.{}", i + 1),
                        &file,
                        kind,
                    )?,
                    _ => policies(level, &format!("{name}.{}", i + 1), &file, kind)?,
                };
                out.push(ps);
            }
            if kind == PolicyKind::Scp {
                sc.scps = out;
            } else {
                sc.rcps = out;
            }
        }
    }
    if let Some(r) = field(&j, "ResourcePolicy") {
        let text = r.as_str().ok_or_else(|| {
            Err2(format!(
                "{file}:{}: ResourcePolicy must be a policy string",
                r.pos
            ))
        })?;
        let origin = format!("{file}:{} (ResourcePolicy)", r.pos);
        sc.resource_policy = Some(
            parse_policy_text(
                text,
                &origin,
                "ResourcePolicy",
                PolicyKind::Resource,
                ParseOptions::default(),
            )
            .map(|(p, _)| p)
            .map_err(|ds| Err2(iamsim::diag::first_error(&ds).to_string()))?,
        );
    }
    if let Some(o) = field(&j, "ResourceOwner").and_then(Json::as_str) {
        let acct = o.split(':').nth(4).filter(|a| a.len() == 12).unwrap_or(o);
        sc.resource_account = Some(acct.to_string());
    }
    if let Some(JsonKind::Bool(b)) = field(&j, "ManagementAccount").map(|v| &v.kind) {
        sc.management_account = *b;
    }
    let caller = field(&j, "CallerArn")
        .and_then(Json::as_str)
        .unwrap_or(iamsim::cases::DEFAULT_PRINCIPAL);
    let principal =
        Principal::parse(caller).map_err(|e| Err2(format!("{file}: CallerArn: {e}")))?;
    let preset = match field(&j, "ContextPreset").and_then(Json::as_str) {
        Some(p) => Preset::parse(p).map_err(|e| Err2(format!("{file}: ContextPreset: {e}")))?,
        None => Preset::None,
    };
    let keys = match field(&j, "ContextEntries") {
        Some(c) => context_entries(c, &file)?,
        None => Vec::new(),
    };
    let actions = field(&j, "ActionNames")
        .ok_or_else(|| Err2(format!("{file}:{}: ActionNames is required", j.pos)))?;
    let actions = strings(actions, "ActionNames", &file)?;
    let resources = match field(&j, "ResourceArns") {
        Some(r) => strings(r, "ResourceArns", &file)?
            .into_iter()
            .map(|x| x.0)
            .collect(),
        None => vec!["*".to_string()],
    };
    let set = PolicySet::compile(&sc).map_err(|e| Err2(e.0))?;
    let mut results = Vec::new();
    let mut all_allowed = true;
    for (action, _) in &actions {
        for resource in &resources {
            let rs = RequestSpec {
                action: action.clone(),
                resource: resource.clone(),
                preset,
                keys: keys.clone(),
            };
            let ctx = request_context(&set, &principal, &rs);
            let slots = set.bind(&ctx);
            let req = Request {
                principal: &principal,
                action,
                resource,
                preset,
            };
            let o = set.evaluate(&req, &slots);
            all_allowed &= o.decision == Decision::Allowed;
            results.push(result_json(&set, &req, &slots, &o));
        }
    }
    Ok((json!({ "EvaluationResults": results }), all_allowed))
}

fn result_json<L: KeyLookup>(
    set: &PolicySet,
    req: &Request<'_>,
    ctx: &L,
    o: &iamsim::eval::Outcome,
) -> Value {
    let trace = set.trace(req, ctx);
    let matched: Vec<Value> = trace
        .iter()
        .filter(|t| t.applies)
        .map(|t| {
            let (layer, _, pi, si) = set.statement_info(t.id);
            let st = &set.policies()[pi].policy.statements[si];
            json!({
                "SourcePolicyId": set.policies()[pi].policy.name,
                "SourcePolicyType": source_type(layer),
                "StartPosition": {"Line": st.pos.line, "Column": st.pos.col},
                "EndPosition": {"Line": st.end.line, "Column": st.end.col},
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
        "EvalResourceName": req.resource,
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
    if scp {
        let denied_by_org = matches!(o.missing, Some(Missing::Scp(_)))
            || (o.decision == Decision::ExplicitDeny
                && o.statements
                    .first()
                    .is_some_and(|id| matches!(set.statement_info(*id).0, Layer::Scp(_))));
        r["OrganizationsDecisionDetail"] = json!({"AllowedByOrganizations": !denied_by_org});
    }
    if set.policies().iter().any(|p| p.layer == Layer::Boundary) {
        let denied = matches!(o.missing, Some(Missing::Boundary))
            || (o.decision == Decision::ExplicitDeny
                && o.statements
                    .first()
                    .is_some_and(|id| set.statement_info(*id).0 == Layer::Boundary));
        r["PermissionsBoundaryDecisionDetail"] = json!({"AllowedByPermissionsBoundary": !denied});
    }
    if set.policies().iter().any(|p| p.layer == Layer::Resource) {
        r["EvalDecisionDetails"] = json!({"IAM Policy": decision});
    }
    r
}

/// Runs the subcommand.
pub fn run(args: &SimulateArgs) -> i32 {
    match simulate(args) {
        Ok((doc, all_allowed)) => {
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            if all_allowed {
                EXIT_OK
            } else {
                EXIT_FINDING
            }
        }
        Err(Err2(e)) => {
            eprintln!("error: {e}");
            EXIT_INPUT
        }
    }
}
