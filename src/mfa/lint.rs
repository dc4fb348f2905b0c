//! The MFA anti-patterns `iamsim lint` finds in one policy document, without evaluating
//! anything: the patterns the MFA audit ([`super::audit`]) diagnoses, under the audit's rule ids
//! (`MFA001` …) and fixes, positioned at the offending condition. The audit proves a leak or a
//! lockout by evaluating requests in every credential context; lint only reads the document, so
//! it reports the patterns that are wrong wherever the policy is attached:
//!
//! * `MFA001` a Deny tests `Bool {"aws:MultiFactorAuthPresent": "false"}`: long-term access keys
//!   carry no such key, `Bool` is false on an absent key, so the Deny never fires for them;
//! * `MFA006` a Deny whose only MFA test is `Null {"aws:MultiFactorAuthPresent": "true"}`, which
//!   tells long-term keys from sessions, not MFA from no MFA (console sign-ins pass);
//! * `MFA007` an Allow conditioned on `BoolIfExists … "true"` or `Null … "false"`, which hold
//!   without MFA;
//! * `MFA002` an Allow conditioned on MFA beside an Allow without any condition that grants
//!   some of the same actions on some of the same resources (the MFA condition limits only its
//!   own grant);
//! * `MFA101` a Deny that requires MFA and covers an enrolment step (`iam:EnableMFADevice` …):
//!   a user without MFA cannot enrol one (a lockout).
//!
//! ```
//! use iamsim::mfa::lint::check;
//! use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
//!
//! let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*MFA*",
//!   "Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}}"#;
//! let (policy, _) = parse_policy_text(text, "p.json", "p", PolicyKind::Identity, ParseOptions::default()).unwrap();
//! let found = check(&policy);
//! assert_eq!(found[0].code, "MFA001");
//! assert_eq!((found[0].line, found[0].column), (2, 39)); // the key's opening quote
//! ```

use super::diagnose::is_mfa_key;
use super::{Rule, ENROLMENT_ACTIONS};
use crate::catalog::arn::{arn_parts, fits};
use crate::catalog::catalog;
use crate::diag::{Code, Diagnostic, Severity};
use crate::policy::{
    ActionElement, BaseOp, Condition, Effect, Policy, PolicyKind, ResourceElement, Statement,
};
use crate::values::wildcard::Wildcard;

/// The lint code of a rule these checks report: the audit's rule id.
fn lint_code(rule: Rule) -> Code {
    match rule {
        Rule::BoolInsteadOfBoolIfExists => Code::Mfa001,
        Rule::AllowConditionOverridden => Code::Mfa002,
        Rule::NullCheckOnly => Code::Mfa006,
        Rule::ConditionAdmitsNoMfa => Code::Mfa007,
        // EnrolmentDenied; no other rule is linted (RULES lists them).
        _ => Code::Mfa101,
    }
}

/// The rules these checks report, as lint codes (the audit's rule ids).
pub const RULES: &[Rule] = &[
    Rule::BoolInsteadOfBoolIfExists,
    Rule::AllowConditionOverridden,
    Rule::NullCheckOnly,
    Rule::ConditionAdmitsNoMfa,
    Rule::EnrolmentDenied,
];

/// Lints one policy document as `iamsim lint` does: validation, the catalog checks
/// ([`crate::catalog::lint::lint_document`]) and the MFA anti-patterns of [`check`], sorted by
/// position. `kind: None` guesses it (resource-based when a statement has a Principal).
pub fn lint_document(
    text: &str,
    name: &str,
    kind: Option<PolicyKind>,
    opts: crate::policy::ParseOptions,
    aws_managed: bool,
) -> Vec<Diagnostic> {
    crate::catalog::lint::lint_document_with(text, name, kind, opts, aws_managed, &check)
}

/// The MFA anti-patterns of one parsed policy (warnings: IAM accepts these documents).
pub fn check(policy: &Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Wildcard matches MFA002 may spend on NotAction lists in this document (see `shared_action`).
    let mut budget = NOT_ACTION_BUDGET;
    let warn = |rule: Rule, c: &Condition, message: String| {
        let mut d = Diagnostic::new(
            Severity::Warning,
            lint_code(rule),
            message,
            &policy.file,
            c.pos,
            &c.path,
        );
        d.help = Some(rule.fix().to_string());
        d
    };
    for st in &policy.statements {
        for c in st.conditions.iter().filter(|c| is_mfa_key(&c.key)) {
            let is_present = c.key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent");
            match (st.effect, c.op.base) {
                // MFA001: Bool (not BoolIfExists) false in a Deny.
                (Effect::Deny, BaseOp::Bool)
                    if is_present && !c.op.if_exists && has(c, "false") =>
                {
                    out.push(warn(Rule::BoolInsteadOfBoolIfExists, c, format!(
                        "this Deny tests `{c}`: Bool (not BoolIfExists) is false when the key is absent, and long-term access keys carry no aws:MultiFactorAuthPresent key, so the Deny lets them through"
                    )));
                }
                // MFA006: the Deny's only MFA test tells long-term keys from sessions.
                (Effect::Deny, BaseOp::Null)
                    if is_present
                        && has(c, "true")
                        && !st.conditions.iter().any(denies_without_mfa) =>
                {
                    out.push(warn(Rule::NullCheckOnly, c, format!(
                        "this Deny tests only `{c}`, which matches long-term access keys (no key) but not console sign-ins or sessions without MFA (aws:MultiFactorAuthPresent false), so those are not denied"
                    )));
                }
                // MFA007: an Allow's MFA condition that holds without MFA.
                (Effect::Allow, BaseOp::Bool) if is_present && c.op.if_exists && has(c, "true") => {
                    out.push(warn(Rule::ConditionAdmitsNoMfa, c, format!(
                        "this Allow's `{c}` holds for long-term access keys, which carry no aws:MultiFactorAuthPresent key, so it grants without MFA"
                    )));
                }
                (Effect::Allow, BaseOp::Null) if is_present && has(c, "false") => {
                    out.push(warn(Rule::ConditionAdmitsNoMfa, c, format!(
                        "this Allow's `{c}` holds for every temporary credential (sessions and console sign-ins without MFA carry the key as false), so it grants without MFA"
                    )));
                }
                _ => {}
            }
        }
        if st.effect == Effect::Allow {
            if let Some(d) = overridden(policy, st, &mut budget) {
                out.push(d);
            }
        } else if !matches!(policy.kind, PolicyKind::Resource | PolicyKind::Rcp) {
            // A bucket or key policy (and an RCP) never governs IAM's enrolment actions.
            if let Some(d) = enrolment_denied(st, &policy.file) {
                out.push(d);
            }
        }
    }
    out
}

/// Whether one of the condition's values is `v` (case-insensitively, as `Bool` compares).
fn has(c: &Condition, v: &str) -> bool {
    c.values.iter().any(|x| x.eq_ignore_ascii_case(v))
}

/// Whether a Deny with this condition fires for a console sign-in without MFA (so it
/// "requires MFA"): `Bool[IfExists] MultiFactorAuthPresent false`, or
/// `NumericGreaterThan[Equals]IfExists MultiFactorAuthAge` (absent without MFA).
fn denies_without_mfa(c: &Condition) -> bool {
    if c.key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent") {
        return c.op.base == BaseOp::Bool && has(c, "false");
    }
    c.key.eq_ignore_ascii_case("aws:MultiFactorAuthAge")
        && c.op.if_exists
        && matches!(
            c.op.base,
            BaseOp::NumericGreaterThan | BaseOp::NumericGreaterThanEquals
        )
}

/// Whether an Action/NotAction element covers the literal action `a`.
fn covers(el: &ActionElement, a: &str) -> bool {
    let a = a.to_ascii_lowercase();
    let hit = el
        .patterns
        .iter()
        .any(|p| Wildcard::new(&p.to_ascii_lowercase()).matches(&a));
    hit != el.negated
}

/// Whether a Resource/NotResource element covers some IAM resource whose resource part starts
/// with `type_prefix` (`user/`, `mfa/`). `None`, as in resource-based policies, covers
/// everything; a NotResource is assumed to. Compared part by part: a format's placeholders
/// could otherwise span colons and make `arn:aws:s3:::b/*` look like an IAM ARN.
fn covers_resource(el: Option<&ResourceElement>, type_prefix: &str) -> bool {
    let fits_iam = |p: &str| {
        let parts = arn_parts(p);
        match parts.as_slice() {
            [_, _, service, _, _, resource] => {
                fits(service, "iam") && fits(resource, &format!("{type_prefix}${{Name}}"))
            }
            // `*`, `arn:*` and other short patterns: whatever a star may span.
            _ => fits(p, &format!("arn:aws:iam::123456789012:{type_prefix}x")),
        }
    };
    match el {
        Some(r) if !r.negated => r.patterns.iter().any(|p| fits_iam(p)),
        _ => true,
    }
}

/// MFA101: a Deny that requires MFA and covers enrolment steps, positioned at its MFA condition.
fn enrolment_denied(st: &Statement, file: &str) -> Option<Diagnostic> {
    let c = st.conditions.iter().find(|c| denies_without_mfa(c))?;
    let denied: Vec<&str> = ENROLMENT_ACTIONS
        .iter()
        .copied()
        .filter(|a| covers(&st.action, a))
        .filter(|a| {
            // CreateVirtualMFADevice is authorized against the device, the others the user.
            let type_prefix = if *a == "iam:CreateVirtualMFADevice" {
                "mfa/"
            } else {
                "user/"
            };
            covers_resource(st.resource.as_ref(), type_prefix)
        })
        .collect();
    if denied.is_empty() {
        return None;
    }
    let rule = Rule::EnrolmentDenied;
    let mut d = Diagnostic::new(
        Severity::Warning,
        lint_code(rule),
        format!(
            "this Deny (`{c}`) also denies {} to a user without MFA, so a user who has no MFA device yet cannot enrol one (a lockout)",
            denied.join(", ")
        ),
        file,
        c.pos,
        &c.path,
    );
    d.help = Some(rule.fix().to_string());
    Some(d)
}

/// How many pattern comparisons one document's MFA002 check may spend (wildcard against
/// wildcard, or a catalog action against a NotAction list: about 90 full expansions of `*`):
/// beyond it, a crafted document of thousands of such pairs gets no further MFA002 finding
/// instead of minutes of work.
const NOT_ACTION_BUDGET: usize = 2_000_000;

/// An action both Action elements cover, if there is one: `a` is an Action (not NotAction)
/// element, `b` either. Against an Action list, two patterns share an action when some text
/// matches both (the literal one is named); against a NotAction list, a wildcard of `a` is
/// expanded through the catalog to find an action the list does not exempt, spending `budget`.
fn shared_action(a: &ActionElement, b: &ActionElement, budget: &mut usize) -> Option<String> {
    // `b`'s patterns compiled once, not per candidate action.
    let compiled: Vec<Wildcard> = b
        .patterns
        .iter()
        .map(|q| Wildcard::new(&q.to_ascii_lowercase()))
        .collect();
    let covered = |x: &str| {
        let x = x.to_ascii_lowercase();
        compiled.iter().any(|w| w.matches(&x)) != b.negated
    };
    for p in &a.patterns {
        if !p.contains(['*', '?']) {
            if covered(p) {
                return Some(p.clone());
            }
        } else if !b.negated {
            for q in &b.patterns {
                if *budget == 0 {
                    return None;
                }
                *budget -= 1;
                if fits(p, q) {
                    return Some(if q.contains(['*', '?']) { p } else { q }.clone());
                }
            }
        } else if *budget < compiled.len().max(1) {
            return None;
        } else if let Ok(refs) = catalog().matching(p) {
            // The expansion itself is work too: one unit per action.
            *budget = budget.saturating_sub(refs.len());
            for r in refs {
                if *budget < compiled.len().max(1) {
                    return None;
                }
                *budget -= compiled.len().max(1);
                let name = r.full_name();
                if covered(&name) {
                    return Some(name);
                }
            }
        }
    }
    None
}

/// MFA002: `st` is an Allow with an MFA condition, and another Allow of the same document
/// without any condition grants one of its actions on one of its resources (to the same
/// principals), so the MFA condition limits nothing.
fn overridden(policy: &Policy, st: &Statement, budget: &mut usize) -> Option<Diagnostic> {
    if st.action.negated {
        return None;
    }
    let c = st.conditions.iter().find(|c| is_mfa_key(&c.key))?;
    for other in &policy.statements {
        if other.index == st.index || other.effect != Effect::Allow || !other.conditions.is_empty()
        {
            continue;
        }
        // Resource-based statements must name the same principals to override each other.
        let same_principals = match (&st.principal, &other.principal) {
            (None, None) => true,
            (Some(a), Some(b)) => a.negated == b.negated && a.entries == b.entries,
            _ => false,
        };
        if !same_principals
            || !resources_overlap(st.resource.as_ref(), other.resource.as_ref(), budget)
        {
            continue;
        }
        let Some(action) = shared_action(&st.action, &other.action, budget) else {
            continue;
        };
        let rule = Rule::AllowConditionOverridden;
        let mut d = Diagnostic::new(
            Severity::Warning,
            lint_code(rule),
            format!(
                "this Allow's MFA condition `{c}` limits only its own grant: statement {} (line {}) allows {action} without any condition, so it is granted without MFA",
                other.label(),
                other.pos.line
            ),
            &policy.file,
            c.pos,
            &c.path,
        );
        d.help = Some(rule.fix().to_string());
        return Some(d);
    }
    None
}

/// Whether two Resource elements can name one resource (any NotResource or missing element is
/// assumed to).
/// Spends `budget` (one unit per comparison); `false` once it is spent.
fn resources_overlap(
    a: Option<&ResourceElement>,
    b: Option<&ResourceElement>,
    budget: &mut usize,
) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if !a.negated && !b.negated => a.patterns.iter().any(|p| {
            b.patterns.iter().any(|q| {
                if *budget == 0 {
                    return false;
                }
                *budget -= 1;
                fits(p, q)
            })
        }),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{parse_policy_text, ParseOptions};

    fn codes(statements: &str, kind: PolicyKind) -> Vec<&'static str> {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
        let (p, _) = parse_policy_text(&text, "p.json", "p", kind, ParseOptions::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
        check(&p).iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn bool_false_in_a_deny_is_mfa001_and_boolifexists_is_not() {
        let deny = |op: &str| {
            format!(
                r#"{{"Effect":"Deny","NotAction":["iam:*MFA*","iam:GetUser"],"Resource":"*","Condition":{{"{op}":{{"aws:MultiFactorAuthPresent":"false"}}}}}}"#
            )
        };
        assert_eq!(codes(&deny("Bool"), PolicyKind::Identity), ["MFA001"]);
        assert!(codes(&deny("BoolIfExists"), PolicyKind::Identity).is_empty());
    }

    #[test]
    fn a_deny_of_everything_without_mfa_locks_enrolment_out() {
        let st = r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#;
        assert_eq!(codes(st, PolicyKind::Identity), ["MFA101"]);
        assert_eq!(codes(st, PolicyKind::Scp), ["MFA101"]);
        // Scoped to S3, or to other resources than users and devices: no lockout.
        for ok in [
            r#"{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::secret/*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#,
        ] {
            assert!(codes(ok, PolicyKind::Identity).is_empty(), "{ok}");
        }
    }

    #[test]
    fn mfa_conditions_that_hold_without_mfa_are_mfa007() {
        for op in [
            r#""BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}"#,
            r#""Null":{"aws:MultiFactorAuthPresent":"false"}"#,
        ] {
            let st = format!(
                r#"{{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{{{op}}}}}"#
            );
            assert_eq!(codes(&st, PolicyKind::Identity), ["MFA007"], "{op}");
        }
    }

    #[test]
    fn null_only_deny_is_mfa006() {
        let st = r#"{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:MultiFactorAuthPresent":"true"}}}"#;
        assert_eq!(codes(st, PolicyKind::Identity), ["MFA006"]);
    }

    #[test]
    fn crafted_notaction_pairs_stay_bounded() {
        // 150 MFA Allows of everything beside 150 Allows whose NotAction exempts everything:
        // no override, and without the budget 22,500 expansions of 22,000 actions each.
        let mfa = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#;
        let all = r#"{"Effect":"Allow","NotAction":"*","Resource":"*"}"#;
        let doc: Vec<&str> = (0..150).flat_map(|_| [mfa, all]).collect();
        let started = std::time::Instant::now();
        assert!(codes(&doc.join(","), PolicyKind::Identity).is_empty());
        // Generous for a debug build on a loaded machine; unbounded it takes minutes.
        assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    }

    #[test]
    fn crafted_wildcard_pairs_stay_bounded() {
        // 150 MFA Allows and 150 plain Allows of 100 wildcards each that never overlap:
        // 225 million pattern intersections without the budget (and as many more for
        // resources).
        let list = |svc: &str| {
            let v: Vec<String> = (0..100).map(|i| format!("\"{svc}{i}:x*\"")).collect();
            v.join(",")
        };
        let mfa = format!(
            r#"{{"Effect":"Allow","Action":[{}],"Resource":[{}],"Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}"#,
            list("a"),
            list("arn:aws:s3:::a")
        );
        let plain = format!(
            r#"{{"Effect":"Allow","Action":[{}],"Resource":[{}]}}"#,
            list("b"),
            list("arn:aws:s3:::b")
        );
        let doc: Vec<&str> = (0..150)
            .flat_map(|_| [mfa.as_str(), plain.as_str()])
            .collect();
        let started = std::time::Instant::now();
        assert!(codes(&doc.join(","), PolicyKind::Identity).is_empty());
        assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    }

    #[test]
    fn overridden_only_when_actions_resources_and_principals_overlap() {
        let mfa = r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#;
        let with = |other: &str| format!("{mfa},{other}");
        let id = PolicyKind::Identity;
        assert_eq!(
            codes(
                &with(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#),
                id
            ),
            ["MFA002"]
        );
        assert_eq!(
            codes(
                &with(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#),
                id
            ),
            ["MFA002"]
        );
        for other in [
            r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
            r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#,
        ] {
            assert!(codes(&with(other), id).is_empty(), "{other}");
        }
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn every_linted_rule_has_its_audit_rule_id_as_its_lint_code() {
        for &rule in RULES {
            assert_eq!(lint_code(rule).as_str(), rule.id());
        }
    }
}
