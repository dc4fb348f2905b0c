//! Explanations: naming statements (`policy#Sid` with file:line), AWS-style messages, and the
//! full trace of a decision.

pub mod junit;
pub mod sarif;

use crate::compile::{KeyLookup, Layer, PolicySet};
use crate::eval::{Decision, Missing, Outcome, Request, ServiceRule};
use crate::policy::Effect;
use serde::Serialize;

/// A statement as shown to users.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatementRef {
    /// `policy#Sid` (or `policy#index` without a Sid).
    pub label: String,
    /// The policy's display name.
    pub policy: String,
    /// The Sid, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Index of the statement in its policy.
    pub index: usize,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// The kind of policy.
    pub layer: String,
    /// File the statement is in.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl StatementRef {
    /// `label (file:line:col)`.
    pub fn with_location(&self) -> String {
        format!(
            "{} ({}:{}:{})",
            self.label, self.file, self.line, self.column
        )
    }
}

/// Describes statement `id` of a policy set.
pub fn statement_ref(set: &PolicySet, id: u32) -> StatementRef {
    let (layer, effect, pi, si) = set.statement_info(id);
    let entry = &set.policies()[pi];
    let st = &entry.policy.statements[si];
    StatementRef {
        label: format!("{}#{}", entry.policy.name, st.label()),
        policy: entry.policy.name.clone(),
        sid: st.sid.clone(),
        index: si,
        effect,
        layer: layer_name(layer),
        file: entry.policy.file.clone(),
        line: st.pos.line,
        column: st.pos.col,
    }
}

/// Short layer name: `identity`, `boundary`, `session`, `scp[1]`, `rcp[0]`, `resource`.
pub fn layer_name(l: Layer) -> String {
    match l {
        Layer::Identity => "identity".into(),
        Layer::Boundary => "boundary".into(),
        Layer::Session => "session".into(),
        Layer::Resource => "resource".into(),
        Layer::Scp(n) => format!("scp[{n}]"),
        Layer::Rcp(n) => format!("rcp[{n}]"),
    }
}

fn aws_policy_type(l: Layer) -> &'static str {
    match l {
        Layer::Identity => "an identity-based policy",
        Layer::Boundary => "a permissions boundary",
        Layer::Session => "a session policy",
        Layer::Resource => "a resource-based policy",
        Layer::Scp(_) => "a service control policy",
        Layer::Rcp(_) => "a resource control policy",
    }
}

fn has_resource_policy(set: &PolicySet) -> bool {
    set.policies().iter().any(|p| p.layer == Layer::Resource)
}

/// A one-line reason, in AWS's wording where it has one.
pub fn reason(set: &PolicySet, req: &Request<'_>, o: &Outcome) -> String {
    if let Some(rule) = o.rule {
        return rule.describe().to_string();
    }
    let who = &req.principal.arn;
    let head = format!(
        "User: {who} is not authorized to perform: {} on resource: {}",
        req.action, req.resource
    );
    match o.decision {
        Decision::Allowed => {
            let refs: Vec<String> = o.statements.iter().map(|id| statement_ref(set, *id).label).collect();
            if refs.is_empty() {
                "allowed".into()
            } else {
                format!("allowed by {}", refs.join(" and "))
            }
        }
        Decision::ExplicitDeny => {
            let (layer, ..) = set.statement_info(o.statements[0]);
            format!("{head} with an explicit deny in {}", aws_policy_type(layer))
        }
        Decision::ImplicitDeny => match o.missing {
            Some(Missing::Identity) => format!("{head} because no identity-based policy allows the {} action", req.action),
            Some(Missing::Boundary) => format!("{head} because no permissions boundary allows the {} action", req.action),
            Some(Missing::Session) => format!("{head} because no session policy allows the {} action", req.action),
            Some(Missing::Scp(l)) => {
                if set.settings().scp_missing_allow_aws_message {
                    format!("{head} with an explicit deny in a service control policy (no SCP at level {l} allows it; setting scp_missing_allow_label=aws_message)")
                } else {
                    format!("{head} because no service control policy at level {l} (organization root = 0) allows the {} action", req.action)
                }
            }
            Some(Missing::Rcp(l)) => format!("{head} because no resource control policy at level {l} allows the {} action", req.action),
            Some(Missing::ResourceCrossAccount) => format!("{head} because no resource-based policy in the resource's account allows the {} action (cross-account requests need both sides)", req.action),
            Some(Missing::TrustPolicy) if !has_resource_policy(set) => format!(
                "{head} because no role trust policy allows the caller (none is given; an identity allow alone is not enough; setting missing_trust_or_key_policy=deny)"
            ),
            Some(Missing::TrustPolicy) => format!("{head} because the role trust policy does not allow the caller"),
            Some(Missing::KeyPolicy) if !has_resource_policy(set) => format!(
                "{head} because no KMS key policy allows the caller (none is given; an identity allow alone is not enough; setting missing_trust_or_key_policy=deny)"
            ),
            Some(Missing::KeyPolicy) => format!("{head} because the KMS key policy does not allow the caller"),
            Some(Missing::ResourcePolicy) => format!("{head} because no resource-based policy allows the caller"),
            None => head,
        },
    }
}

/// A full explanation: decision, deciding statements, near misses and the context used.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The decision.
    pub decision: Decision,
    /// One-line reason.
    pub reason: String,
    /// Deciding statements.
    pub deciding: Vec<StatementRef>,
    /// For an implicit deny, the layer without an allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_allow: Option<Missing>,
    /// The service rule outside the policy language that decided the request (semantics §1.9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_rule: Option<ServiceRule>,
    /// Statements whose action matched, with why each did or did not apply.
    pub statements: Vec<TraceLine>,
    /// Settings that influenced the decision.
    pub settings: Vec<String>,
}

/// One traced statement.
#[derive(Debug, Clone, Serialize)]
pub struct TraceLine {
    /// Statement id in the policy set.
    #[serde(skip)]
    pub id: u32,
    /// The statement.
    pub statement: StatementRef,
    /// Whether it applied.
    pub applies: bool,
    /// The statement's `NotAction` lists the request's action, so it cannot cover it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub action_excluded: bool,
    /// Why not (or notes), one phrase each.
    pub notes: Vec<String>,
}

/// The patterns of `list` that match `text` (lower-cased first when `fold`), quoted.
fn matching_patterns(list: &[String], text: &str, fold: bool) -> Vec<String> {
    let text = if fold {
        text.to_ascii_lowercase()
    } else {
        text.to_string()
    };
    list.iter()
        .filter(|p| {
            let p = if fold {
                p.to_ascii_lowercase()
            } else {
                p.to_string()
            };
            crate::values::Wildcard::new(&p).matches(&text)
        })
        .map(|p| format!("\"{p}\""))
        .collect()
}

/// "NotAction [...] excludes ACTION (it matches "iam:*"), so this statement does not cover it".
fn not_action_note(req: &Request<'_>, st: &crate::policy::Statement) -> String {
    let hit = matching_patterns(&st.action.patterns, req.action, true);
    format!(
        "{} is excluded by NotAction [{}]{}: this {:?} does not cover it",
        req.action,
        st.action.patterns.join(", "),
        if hit.is_empty() {
            String::new()
        } else {
            format!(" (it matches {})", hit.join(", "))
        },
        st.effect,
    )
}

/// Why the resource did not match: not listed in `Resource`, or excluded by `NotResource`.
fn resource_note(req: &Request<'_>, st: &crate::policy::Statement) -> String {
    match &st.resource {
        Some(r) if r.negated => {
            let hit = matching_patterns(&r.patterns, req.resource, false);
            format!(
                "resource {} is excluded by NotResource [{}]{}",
                req.resource,
                r.patterns.join(", "),
                if hit.is_empty() {
                    String::new()
                } else {
                    format!(" (it matches {})", hit.join(", "))
                }
            )
        }
        _ => format!("resource {} not matched", req.resource),
    }
}

/// For a failed expectation: the statements that would have covered the request but for a
/// `NotAction` that lists its action or a `NotResource` that lists its resource (in layers that
/// take part in the request), one phrase each: `label: note`.
pub fn exclusions<L: KeyLookup>(set: &PolicySet, req: &Request<'_>, ctx: &L) -> Vec<String> {
    let mut out = Vec::new();
    for t in set.trace(req, ctx) {
        if !t.layer_applies {
            continue;
        }
        let (_, _, pi, si) = set.statement_info(t.id);
        let st = &set.policies()[pi].policy.statements[si];
        let note = if !t.action {
            not_action_note(req, st)
        } else if !t.resource && st.resource.as_ref().is_some_and(|r| r.negated) {
            resource_note(req, st)
        } else {
            continue;
        };
        out.push(format!("{}: {note}", statement_ref(set, t.id).label));
    }
    out
}

/// Builds the explanation of an outcome.
///
/// Kept whole: it assembles the explanation's sections in the order they are printed.
pub fn explain<L: KeyLookup>(
    set: &PolicySet,
    req: &Request<'_>,
    ctx: &L,
    o: &Outcome,
) -> Explanation {
    let mut lines = Vec::new();
    let mut settings = Vec::new();
    for t in set.trace(req, ctx) {
        let sref = statement_ref(set, t.id);
        let (_, _, pi, si) = set.statement_info(t.id);
        let st = &set.policies()[pi].policy.statements[si];
        let mut notes = Vec::new();
        if !t.layer_applies {
            notes.push(match set.statement_info(t.id).0 {
                Layer::Scp(_) => "SCPs do not apply (management account, service-linked role, or not an IAM principal)".to_string(),
                Layer::Rcp(_) => "RCPs do not apply to this resource or service".to_string(),
                _ => "identity-based policies, boundaries and session policies cannot be attached to the root user (or a service/anonymous caller): ignored".to_string(),
            });
        }
        if !t.action {
            notes.push(not_action_note(req, st));
            lines.push(TraceLine {
                id: t.id,
                statement: sref,
                applies: false,
                action_excluded: true,
                notes,
            });
            continue;
        }
        if t.principal == Some(false) {
            notes.push("principal does not match the caller".into());
        }
        if st.principal.as_ref().is_some_and(|p| p.negated) {
            settings.push("notprincipal_requires_parent_arns".to_string());
        }
        if !t.resource {
            notes.push(resource_note(req, st));
        }
        for c in &t.conditions {
            let cond = &st.conditions[c.index];
            let val = c.value.as_deref().unwrap_or("absent");
            let negated = cond.op.base.is_negated();
            let why = match (c.reason, c.result, negated) {
                (crate::compile::condition::CondReason::Compared, true, false) => "value matched",
                (crate::compile::condition::CondReason::Compared, false, false) => "value mismatch",
                (crate::compile::condition::CondReason::Compared, true, true) => {
                    "no listed value matched (negated operator)"
                }
                (crate::compile::condition::CondReason::Compared, false, true) => {
                    "a listed value matched (negated operator)"
                }
                (r, _, _) => r.describe(),
            };
            notes.push(format!(
                "{} {}: {} ({why}; request value {val})",
                if c.result { "✓" } else { "✗" },
                cond,
                if c.result { "true" } else { "false" },
            ));
            if c.reason == crate::compile::condition::CondReason::MultivaluedWithoutQualifier {
                settings.push("multivalued_key_without_set_operator".into());
            }
        }
        lines.push(TraceLine {
            id: t.id,
            statement: sref,
            applies: t.applies,
            action_excluded: false,
            notes,
        });
    }
    if req.resource == "*" {
        // Only when an ARN pattern (not "*") covered the resource-less request (semantics §9.9).
        let via_arn = lines.iter().any(|l| {
            let (_, _, pi, si) = set.statement_info(l.id);
            let st = &set.policies()[pi].policy.statements[si];
            l.applies
                && st
                    .resource
                    .as_ref()
                    .is_some_and(|r| !r.negated && !r.patterns.iter().any(|p| p == "*"))
        });
        if via_arn {
            settings.push("wildcard_only_actions_require_star".into());
        }
    }
    if req.preset == crate::context::Preset::RoleMfa {
        settings.push("role_session_mfa_from_assume_role_params".into());
    }
    // A negated operator whose policy value holds a variable the request cannot resolve.
    for l in lines.iter().filter(|l| !l.action_excluded) {
        let (_, _, pi, si) = set.statement_info(l.id);
        let st = &set.policies()[pi].policy.statements[si];
        let unresolved = st.conditions.iter().any(|c| {
            c.op.base.is_negated()
                && c.values.iter().any(|v| {
                    crate::policy::variable::parse_template(v).is_ok_and(|parts| {
                        parts.iter().any(|p| match p {
                            crate::policy::variable::Part::Var { key, default: None } => {
                                set.keys().id(key).and_then(|id| ctx.get(id)).is_none()
                            }
                            _ => false,
                        })
                    })
                })
        });
        if unresolved {
            settings.push("negated_op_matches_unresolved_variable".into());
        }
    }
    // A grant to the exact role-session ARN, with session policies present.
    if o.decision == Decision::Allowed && set.policies().iter().any(|p| p.layer == Layer::Session) {
        let via_session_arn = o.statements.iter().any(|id| {
            let (layer, _, pi, si) = set.statement_info(*id);
            let st = &set.policies()[pi].policy.statements[si];
            layer == Layer::Resource
                && st.principal.as_ref().is_some_and(|p| {
                    p.entries.iter().any(|e| matches!(e, crate::policy::PrincipalEntry::Aws(a) if *a == req.principal.arn))
                })
        });
        if via_session_arn {
            settings.push("session_policy_limits_session_arn_grants".into());
        }
    }
    if matches!(o.missing, Some(Missing::TrustPolicy | Missing::KeyPolicy))
        && !has_resource_policy(set)
    {
        settings.push("missing_trust_or_key_policy".into());
    }
    if o.missing.is_some_and(|m| matches!(m, Missing::Scp(_))) {
        settings.push("scp_missing_allow_label".into());
    }
    settings.sort();
    settings.dedup();
    Explanation {
        decision: o.decision,
        reason: reason(set, req, o),
        deciding: o
            .statements
            .iter()
            .map(|id| statement_ref(set, *id))
            .collect(),
        missing_allow: o.missing,
        service_rule: o.rule,
        statements: lines,
        settings,
    }
}

impl Explanation {
    /// Renders for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = format!("decision: {}\nreason:   {}\n", self.decision, self.reason);
        if let Some(rule) = self.service_rule {
            s.push_str(&format!(
                "rule:     {} (a service rule outside the policy language; the policies were not consulted)\n",
                rule.name()
            ));
        }
        for d in &self.deciding {
            s.push_str(&format!(
                "deciding: {} [{} {:?}]\n",
                d.with_location(),
                d.layer,
                d.effect
            ));
        }
        let (excluded, matched): (Vec<&TraceLine>, Vec<&TraceLine>) =
            self.statements.iter().partition(|l| l.action_excluded);
        if !matched.is_empty() {
            s.push_str("statements whose action matched:\n");
            for l in matched {
                s.push_str(&format!(
                    "  {} {} [{} {:?}]\n",
                    if l.applies { "applies " } else { "no match" },
                    l.statement.with_location(),
                    l.statement.layer,
                    l.statement.effect
                ));
                for n in &l.notes {
                    s.push_str(&format!("      {n}\n"));
                }
            }
        }
        if !excluded.is_empty() {
            s.push_str("statements whose NotAction excludes the action:\n");
            for l in excluded {
                s.push_str(&format!(
                    "  excluded {} [{} {:?}]\n",
                    l.statement.with_location(),
                    l.statement.layer,
                    l.statement.effect
                ));
                for n in &l.notes {
                    s.push_str(&format!("      {n}\n"));
                }
            }
        }
        if !self.settings.is_empty() {
            s.push_str(&format!(
                "settings that may have influenced this: {}\n",
                self.settings.join(", ")
            ));
        }
        s
    }
}
