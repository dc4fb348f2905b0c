//! Naming the cause of each leak and lockout from the policies themselves (not guessed): the
//! statements whose action matched a request are traced, and the reason a deny did not apply, an
//! allow applied, or an enrolment grant missed is read from their conditions and resources.

use super::{
    AccountVariant, AuditInput, Cell, Check, Finding, FindingCase, FindingKind, Probe, ProbeKind,
    Row, Rule, Sets, Status, Verdict, CHECKS,
};
use crate::compile::{Layer, PolicySet};
use crate::context::{Preset, Principal, PrincipalKind};
use crate::eval::{Decision, Missing, Outcome, Request, StatementTrace};
use crate::policy::{BaseOp, Condition, Effect, Statement};
use crate::report::{statement_ref, StatementRef};

/// The cause of one leak or lockout: a rule, one sentence, and the statements involved (ids in
/// the policy set that was evaluated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The rule.
    pub rule: Rule,
    /// The cause in one sentence, naming the statement.
    pub cause: String,
    /// The responsible statement.
    pub statement: Option<u32>,
    /// Other statements involved.
    pub related: Vec<u32>,
}

/// `policy-file-name#Sid`: the statement label without the policy's directory.
pub fn short_label(r: &StatementRef) -> String {
    let base = r
        .policy
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(&r.policy)
        .to_string();
    match &r.sid {
        Some(s) if !s.is_empty() => format!("{base}#{s}"),
        _ => format!("{base}#{}", r.index),
    }
}

fn label(set: &PolicySet, id: u32) -> String {
    format!("`{}`", short_label(&statement_ref(set, id)))
}

fn statement(set: &PolicySet, id: u32) -> &Statement {
    let (_, _, pi, si) = set.statement_info(id);
    &set.policies()[pi].policy.statements[si]
}

/// Whether a condition key is one of the MFA keys.
pub fn is_mfa_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent")
        || key.eq_ignore_ascii_case("aws:MultiFactorAuthAge")
}

/// Whether a statement has a condition on an MFA key.
pub fn has_mfa_condition(st: &Statement) -> bool {
    st.conditions.iter().any(|c| is_mfa_key(&c.key))
}

fn context_phrase(preset: Preset) -> &'static str {
    match preset {
        Preset::Console => "console sign-ins without MFA",
        Preset::AccessKeys => "long-term access keys",
        Preset::Session => "GetSessionToken sessions without MFA",
        Preset::Role => "role sessions",
        Preset::RoleMfa => "role sessions created with MFA",
        Preset::Service => "forward access sessions",
        _ => "these requests",
    }
}

fn mfa_value_phrase(preset: Preset, settings: &crate::settings::Settings) -> &'static str {
    match preset {
        Preset::AccessKeys => "absent",
        Preset::RoleMfa if settings.role_session_mfa_from_assume_role_params => "true",
        Preset::ConsoleMfa | Preset::SessionMfa | Preset::ServiceMfa => "true",
        Preset::None => "absent",
        _ => "false",
    }
}

fn trace(
    set: &PolicySet,
    principal: &Principal,
    preset: Preset,
    probe: &Probe,
    now: i64,
) -> Vec<StatementTrace> {
    let ctx = set.context(principal, preset, &probe.resource, now);
    let req = Request {
        principal,
        action: &probe.action,
        resource: &probe.resource,
        preset,
    };
    // Only statements whose action matched: the diagnoses read an untraced NotAction deny as
    // one that exempts the action.
    let mut t = set.trace(&req, &set.bind(&ctx));
    t.retain(|t| t.action);
    t
}

/// Why a request made without MFA (`preset`) was allowed. Checked in order: an MFA deny that
/// did not apply (SCP outside its scope, `Bool` on an absent key, `Null`, another condition, its
/// resource), the root user, an allow whose MFA condition holds without MFA, an MFA-conditioned
/// allow overridden by an unconditioned one, an MFA deny that does not cover the action
/// (`NotAction` exemptions are reported as [`Rule::ExemptedByNotAction`]), and no MFA deny at all.
///
/// Kept whole: the causes are tried in priority order (the most specific first), and that order is
/// the point of the function; split up, the order would be spread over several places.
pub fn diagnose_leak(
    set: &PolicySet,
    principal: &Principal,
    preset: Preset,
    probe: &Probe,
    outcome: &Outcome,
    now: i64,
) -> Diagnosis {
    let tr = trace(set, principal, preset, probe, now);
    let settings = set.settings();
    let mut best: Option<(u8, Diagnosis)> = None;
    let mut consider = |prio: u8, d: Diagnosis| {
        if best.as_ref().is_none_or(|(p, _)| prio < *p) {
            best = Some((prio, d));
        }
    };
    for t in &tr {
        let (layer, effect, ..) = set.statement_info(t.id);
        let st = statement(set, t.id);
        if effect != Effect::Deny || !has_mfa_condition(st) {
            continue;
        }
        let l = label(set, t.id);
        let d = |rule, cause: String| Diagnosis {
            rule,
            cause,
            statement: Some(t.id),
            related: vec![],
        };
        if !t.layer_applies {
            if let Layer::Scp(_) = layer {
                consider(0, d(Rule::ScpNotInManagementAccount, format!(
                    "{l} is an SCP, and SCPs never apply to the organization's management account, so requests without MFA are not denied there."
                )));
            } else {
                consider(3, d(Rule::DenyScopedOut, format!(
                    "{l} is an RCP that does not govern this service or resource, so it does not deny requests without MFA here."
                )));
            }
            continue;
        }
        if t.principal == Some(false) {
            consider(
                3,
                d(
                    Rule::DenyScopedOut,
                    format!("{l} does not name this caller in its Principal element, so its MFA deny does not apply."),
                ),
            );
            continue;
        }
        if !t.resource {
            consider(
                4,
                d(
                    Rule::DenyDoesNotCoverAction,
                    format!("{l} denies without MFA, but its Resource element does not cover the requested resource."),
                ),
            );
            continue;
        }
        let failing: Vec<(&Condition, Option<&str>)> = t
            .conditions
            .iter()
            .filter(|c| !c.result)
            .map(|c| (&st.conditions[c.index], c.value.as_deref()))
            .collect();
        if let Some((c, v)) = failing.iter().find(|(c, _)| !is_mfa_key(&c.key)) {
            consider(3, d(Rule::DenyScopedOut, format!(
                "{l} does not apply to {}: its condition `{c}` is false for this caller (request value {}).",
                context_phrase(preset),
                v.unwrap_or("absent")
            )));
            continue;
        }
        if let Some((c, _)) = failing
            .iter()
            .find(|(c, v)| c.op.base == BaseOp::Bool && !c.op.if_exists && v.is_none())
        {
            consider(1, d(Rule::BoolInsteadOfBoolIfExists, format!(
                "{l} tests `{c}`: Bool (not BoolIfExists) is false when the key is absent, and long-term access keys carry no aws:MultiFactorAuthPresent key, so the deny lets them through."
            )));
            continue;
        }
        if let Some((c, _)) = failing.iter().find(|(c, _)| c.op.base == BaseOp::Null) {
            consider(2, d(Rule::NullCheckOnly, format!(
                "{l} tests `{c}`, which only matches when the key is absent (long-term keys), so {} (aws:MultiFactorAuthPresent {}) are not denied.",
                context_phrase(preset),
                mfa_value_phrase(preset, settings)
            )));
            continue;
        }
        if let Some((c, v)) = failing.first() {
            consider(
                3,
                d(
                    Rule::DenyScopedOut,
                    format!(
                "{l} does not deny {}: its MFA condition `{c}` is false here (request value {}).",
                context_phrase(preset),
                v.unwrap_or("absent")
            ),
                ),
            );
        }
    }
    if let Some((_, d)) = best {
        return d;
    }
    if principal.kind == PrincipalKind::Root {
        return Diagnosis {
            rule: Rule::RootNotGoverned,
            cause: "The root user is not governed by identity policies and no SCP denies this request without MFA.".into(),
            statement: None,
            related: vec![],
        };
    }
    // An allow whose MFA condition holds without MFA.
    for &id in &outcome.statements {
        let st = statement(set, id);
        if st.effect != Effect::Allow {
            continue;
        }
        if let Some(c) = st.conditions.iter().find(|c| is_mfa_key(&c.key)) {
            return Diagnosis {
                rule: Rule::ConditionAdmitsNoMfa,
                cause: format!(
                    "{} allows it with `{c}`, which holds for {} (aws:MultiFactorAuthPresent {}), so it is not an MFA requirement.",
                    label(set, id),
                    context_phrase(preset),
                    mfa_value_phrase(preset, settings)
                ),
                statement: Some(id),
                related: vec![],
            };
        }
    }
    let unconditioned = outcome
        .statements
        .iter()
        .copied()
        .find(|&id| statement(set, id).effect == Effect::Allow);
    // An MFA-conditioned allow that a plain allow overrides.
    let mfa_allow = tr.iter().find(|t| {
        let st = statement(set, t.id);
        st.effect == Effect::Allow && has_mfa_condition(st) && !t.applies && t.resource
    });
    if let (Some(a), Some(m)) = (unconditioned, mfa_allow) {
        return Diagnosis {
            rule: Rule::AllowConditionOverridden,
            cause: format!(
                "{} allows it without an MFA condition, so the MFA condition on {} (an Allow's condition limits only that grant) is overridden.",
                label(set, a),
                label(set, m.id)
            ),
            statement: Some(a),
            related: vec![m.id],
        };
    }
    // An MFA deny elsewhere that does not cover the action.
    let traced: Vec<u32> = tr.iter().map(|t| t.id).collect();
    for id in 0..set.statement_count() as u32 {
        let st = statement(set, id);
        if st.effect != Effect::Deny || !has_mfa_condition(st) || traced.contains(&id) {
            continue;
        }
        let l = label(set, id);
        return if st.action.negated {
            Diagnosis {
                rule: Rule::ExemptedByNotAction,
                cause: format!("{l} exempts this action by naming it in NotAction, so it is allowed without MFA."),
                statement: Some(id),
                related: unconditioned.into_iter().collect(),
            }
        } else {
            Diagnosis {
                rule: Rule::DenyDoesNotCoverAction,
                cause: format!(
                    "{l} denies only {} without MFA, which does not cover this action.",
                    st.action.patterns.join(", ")
                ),
                statement: Some(id),
                related: unconditioned.into_iter().collect(),
            }
        };
    }
    Diagnosis {
        rule: Rule::NoMfaDeny,
        cause: match unconditioned {
            Some(a) => format!(
                "No policy denies requests without MFA (no Deny tests aws:MultiFactorAuthPresent), and {} allows it.",
                label(set, a)
            ),
            None => "No policy denies requests without MFA (no Deny tests aws:MultiFactorAuthPresent).".into(),
        },
        statement: unconditioned,
        related: vec![],
    }
}

fn device_name(resource: &str) -> Option<&str> {
    resource
        .split_once(":mfa/")
        .map(|(_, d)| d.rsplit('/').next().unwrap_or(d))
}

/// Why an enrolment (or self-service) step was denied to a user signed in without MFA:
/// the explicit deny, or — for an implicit deny — the `user/` vs `mfa/` mix-up, a
/// `mfa/${aws:username}` device-name scope, a user path, a grant that requires MFA, a guardrail
/// layer without an allow, or no statement at all.
///
/// Kept whole: like `diagnose_leak`, an ordered list of causes, most specific first.
pub fn diagnose_lockout(
    set: &PolicySet,
    principal: &Principal,
    preset: Preset,
    probe: &Probe,
    outcome: &Outcome,
    now: i64,
) -> Diagnosis {
    let action = &probe.action;
    let d = |rule, cause: String, statement: Option<u32>| Diagnosis {
        rule,
        cause,
        statement,
        related: vec![],
    };
    if outcome.decision == Decision::ExplicitDeny {
        let id = outcome.statements[0];
        let (layer, ..) = set.statement_info(id);
        let st = statement(set, id);
        let l = label(set, id);
        let cause = if st.action.negated {
            format!(
                "{l} denies {action} to a user without MFA: its NotAction list does not exempt it."
            )
        } else if let Layer::Scp(_) = layer {
            format!("SCP {l} denies {action} to every user without MFA in the account.")
        } else {
            format!("{l} denies {action} to a user without MFA.")
        };
        return d(Rule::EnrolmentDenied, cause, Some(id));
    }
    if let Some(r) = outcome.rule {
        return d(Rule::EnrolmentNotAllowed, r.describe().to_string(), None);
    }
    match outcome.missing {
        Some(Missing::Scp(l)) => {
            return d(
                Rule::EnrolmentNotAllowed,
                format!("No SCP at level {l} allows {action}."),
                None,
            )
        }
        Some(Missing::Rcp(l)) => {
            return d(
                Rule::EnrolmentNotAllowed,
                format!("No RCP at level {l} allows {action}."),
                None,
            )
        }
        Some(Missing::Boundary) => {
            return d(
                Rule::EnrolmentNotAllowed,
                format!("The permissions boundary does not allow {action}."),
                None,
            )
        }
        Some(Missing::Session) => {
            return d(
                Rule::EnrolmentNotAllowed,
                format!("The session policy does not allow {action}."),
                None,
            )
        }
        _ => {}
    }
    let create = action.eq_ignore_ascii_case("iam:CreateVirtualMFADevice");
    let (user_name, user_path) = match &principal.kind {
        PrincipalKind::User { name, path } => (name.as_str(), path.as_str()),
        _ => ("", "/"),
    };
    let tr = trace(set, principal, preset, probe, now);
    let mut requires_mfa = None;
    for t in &tr {
        let (layer, effect, ..) = set.statement_info(t.id);
        if effect != Effect::Allow || layer != Layer::Identity {
            continue;
        }
        let st = statement(set, t.id);
        let l = label(set, t.id);
        if !t.resource {
            let pats: Vec<&str> = st
                .resource
                .as_ref()
                .filter(|r| !r.negated)
                .map(|r| r.patterns.iter().map(String::as_str).collect())
                .unwrap_or_default();
            if pats.is_empty() {
                continue;
            }
            let shown = pats.join(", ");
            let res = &probe.resource;
            if create && pats.iter().all(|p| p.contains(":user/")) {
                return d(Rule::EnrolmentWrongResourceType, format!(
                    "{l} grants {action} on {shown}, but the action is authorized against the MFA device ({res}), not the user, so it never matches."
                ), Some(t.id));
            }
            if !create && pats.iter().all(|p| p.contains(":mfa/")) {
                return d(Rule::EnrolmentWrongResourceType, format!(
                    "{l} grants {action} on {shown}, but the action is authorized against the user ({res}), not the MFA device, so it never matches."
                ), Some(t.id));
            }
            if create && pats.iter().any(|p| p.contains(":mfa/${aws:username}")) {
                let dev = device_name(res).unwrap_or(res);
                if dev != user_name {
                    return d(Rule::EnrolmentDeviceNameScoped, format!(
                        "{l} allows {action} only for a device named after the user ({shown}), so the device \"{dev}\" the user may choose in the console is denied."
                    ), Some(t.id));
                }
            }
            if !create
                && user_path != "/"
                && pats.iter().any(|p| p.contains(":user/${aws:username}"))
            {
                return d(Rule::EnrolmentUserPath, format!(
                    "{l} grants {action} on {shown}, which does not match {res}: the user has the path {user_path}."
                ), Some(t.id));
            }
            continue;
        }
        let failing: Vec<&Condition> = t
            .conditions
            .iter()
            .filter(|c| !c.result)
            .map(|c| &st.conditions[c.index])
            .collect();
        if !failing.is_empty() && failing.iter().all(|c| is_mfa_key(&c.key)) {
            requires_mfa.get_or_insert((t.id, l, failing[0].to_string()));
        }
    }
    if let Some((id, l, c)) = requires_mfa {
        return d(
            Rule::EnrolmentRequiresMfa,
            format!("{l} allows {action} only with `{c}`, and no statement allows it to a user who has no MFA yet."),
            Some(id),
        );
    }
    d(
        Rule::EnrolmentNotAllowed,
        format!(
            "No statement allows {action} on {} for a user without MFA.",
            probe.resource
        ),
        None,
    )
}

/// Collects findings, merging those with the same rule and responsible statement.
struct Findings<'a> {
    out: &'a mut Vec<Finding>,
}

impl Findings<'_> {
    fn add(&mut self, set: &PolicySet, d: &Diagnosis, rule: Rule, check: Check, case: FindingCase) {
        let statement = d.statement.map(|id| statement_ref(set, id));
        let related: Vec<StatementRef> =
            d.related.iter().map(|id| statement_ref(set, *id)).collect();
        let per_action = check == Check::Enrolment;
        let key_label = statement.as_ref().map(|s| s.label.clone());
        let existing = self.out.iter_mut().find(|f| {
            f.rule == rule
                && f.statement.as_ref().map(|s| s.label.clone()) == key_label
                && (!per_action || f.cases.first().is_some_and(|c| c.action == case.action))
                && (key_label.is_some() || f.cause == d.cause)
        });
        match existing {
            Some(f) => {
                if !f.checks.contains(&check) {
                    f.checks.push(check);
                }
                for r in related {
                    if !f.related.contains(&r) {
                        f.related.push(r);
                    }
                }
                if !f.cases.contains(&case) {
                    f.cases.push(case);
                }
            }
            None => self.out.push(Finding {
                kind: rule.kind(),
                rule,
                rule_id: rule.id(),
                rule_name: rule.name(),
                checks: vec![check],
                cause: d.cause.clone(),
                fix: rule.fix(),
                statement,
                related,
                cases: vec![case],
            }),
        }
    }
}

fn case(row: &Row, cell: &Cell) -> FindingCase {
    FindingCase {
        context: row.title(),
        action: cell.action.clone(),
        resource: cell.resource.clone(),
        decision: cell.decision,
    }
}

fn probe_of(cell: &Cell) -> Probe {
    Probe {
        action: cell.action.clone(),
        resource: cell.resource.clone(),
        kind: cell.kind,
    }
}

fn find_row(rows: &[Row], preset: Preset, account: AccountVariant) -> Option<usize> {
    rows.iter()
        .position(|r| r.context == preset && r.account == account)
}

fn check_of(preset: Preset) -> Option<Check> {
    match preset {
        Preset::Console => Some(Check::Console),
        Preset::AccessKeys => Some(Check::LongTermKeys),
        Preset::Session | Preset::Role => Some(Check::StsSessions),
        _ => None,
    }
}

fn sensitive(row: &Row) -> impl Iterator<Item = &Cell> {
    row.cells.iter().filter(|c| c.kind == ProbeKind::Sensitive)
}

fn allowed_by_policy(c: &Cell) -> bool {
    c.decision == Decision::Allowed && c.service_rule.is_none()
}

/// Judges every check of semantics §8 over the evaluated rows, recording findings and marking
/// the cells they rest on. Each check is its own function below; their order matters only for
/// the order findings are listed in.
pub(crate) fn judge(
    input: &AuditInput,
    sets: &Sets,
    rows: &mut [Row],
    out: &mut Vec<Finding>,
) -> Vec<Verdict> {
    let mut fs = Findings { out };
    let p = &input.principal;
    let is_user = matches!(p.kind, PrincipalKind::User { .. });
    let is_role = matches!(p.kind, PrincipalKind::RoleSession { .. });
    judge_leaks(input, sets, rows, &mut fs);
    judge_automation_roles(sets, rows, &mut fs);
    if is_user {
        judge_enrolment(input, sets, rows, &mut fs);
    }
    judge_forward_access(is_role, sets, rows, &mut fs);
    let role_mfa_summary = judge_role_session_mfa(sets, rows, &mut fs);
    judge_vacuous(sets, rows, &mut fs);
    // With SCPs in a member account, the management-account rows are a what-if: what they
    // show is information (a warning), and the exit status follows the real rows only.
    if !input.scenario.management_account {
        for f in fs.out.iter_mut() {
            if f.rule == Rule::ScpNotInManagementAccount {
                f.kind = FindingKind::Warning;
            }
        }
    }
    let findings = &*fs.out;
    CHECKS
        .iter()
        .map(|&check| verdict(check, input, rows, findings, role_mfa_summary.clone()))
        .collect()
}

/// Leaks: a sensitive action allowed by policy in a context without MFA (and, in the
/// management-account rows, only what the member account denies), each diagnosed for its cause.
fn judge_leaks(input: &AuditInput, sets: &Sets, rows: &mut [Row], fs: &mut Findings<'_>) {
    let now = input.now;
    for ri in 0..rows.len() {
        let row = &rows[ri];
        let Some(check) = check_of(row.context) else {
            continue;
        };
        let principal = &sets.principals[row.set];
        let mut marks = Vec::new();
        for (ci, cell) in row.cells.iter().enumerate() {
            let set = &sets.sets[cell.set];
            if cell.kind != ProbeKind::Sensitive || !allowed_by_policy(cell) {
                continue;
            }
            match row.account {
                AccountVariant::AsGiven => {}
                AccountVariant::Management => {
                    // Only what the member account denies and the management account allows.
                    let member = find_row(rows, row.context, AccountVariant::AsGiven)
                        .and_then(|m| rows[m].cells.get(ci));
                    if member.is_none_or(|m| m.decision == Decision::Allowed) {
                        continue;
                    }
                }
                AccountVariant::AutomationRole => continue,
            }
            let d = diagnose_leak(
                set,
                principal,
                row.context,
                &probe_of(cell),
                &cell.outcome,
                now,
            );
            let check = if row.account == AccountVariant::Management
                || d.rule == Rule::ScpNotInManagementAccount
            {
                Check::ScpCoverage
            } else {
                check
            };
            if d.rule.kind() == FindingKind::Leak {
                marks.push(ci);
            }
            fs.add(set, &d, d.rule, check, case(row, cell));
            if d.rule == Rule::ScpNotInManagementAccount && check != Check::ScpCoverage {
                fs.add(set, &d, d.rule, Check::ScpCoverage, case(row, cell));
            }
        }
        for ci in marks {
            rows[ri].cells[ci].finding = true;
        }
    }
}

/// An SCP's MFA deny that also denies automation role sessions (which never carry MFA).
fn judge_automation_roles(sets: &Sets, rows: &[Row], fs: &mut Findings<'_>) {
    if let Some(ri) = find_row(rows, Preset::Role, AccountVariant::AutomationRole) {
        let row = &rows[ri];
        for cell in &row.cells {
            let set = &sets.sets[cell.set];
            if cell.decision != Decision::ExplicitDeny {
                continue;
            }
            let id = cell.outcome.statements[0];
            let (layer, ..) = set.statement_info(id);
            if matches!(layer, Layer::Scp(_)) && has_mfa_condition(statement(set, id)) {
                let d = Diagnosis {
                    rule: Rule::ScpBlocksAutomationRoles,
                    cause: format!(
                        "SCP {} denies role sessions too (an EC2, Lambda or CI role session carries aws:MultiFactorAuthPresent false), so automation in member accounts breaks.",
                        label(set, id)
                    ),
                    statement: Some(id),
                    related: vec![],
                };
                fs.add(set, &d, d.rule, Check::ScpCoverage, case(row, cell));
            }
        }
    }
}

/// Enrolment: can a user signed in to the console without MFA enrol a device?
fn judge_enrolment(input: &AuditInput, sets: &Sets, rows: &mut [Row], fs: &mut Findings<'_>) {
    let now = input.now;
    let console = find_row(rows, Preset::Console, AccountVariant::AsGiven);
    if let Some(ri) = console {
        let row = &rows[ri];
        let principal = &sets.principals[row.set];
        let mut marks = Vec::new();
        for (ci, cell) in row.cells.iter().enumerate() {
            let set = &sets.sets[cell.set];
            if cell.kind == ProbeKind::Sensitive || cell.decision == Decision::Allowed {
                continue;
            }
            let d = diagnose_lockout(
                set,
                principal,
                row.context,
                &probe_of(cell),
                &cell.outcome,
                now,
            );
            let rule = match cell.kind {
                ProbeKind::SelfService
                    if cell.action.eq_ignore_ascii_case("iam:ChangePassword") =>
                {
                    Rule::ChangePasswordDenied
                }
                ProbeKind::SelfService => Rule::GetUserDenied,
                _ => {
                    marks.push(ci);
                    d.rule
                }
            };
            fs.add(set, &d, rule, Check::Enrolment, case(row, cell));
        }
        for ci in marks {
            rows[ri].cells[ci].finding = true;
        }
    }
}

/// Forward access sessions: a service acting for the caller denied where the caller's own
/// request is allowed.
fn judge_forward_access(is_role: bool, sets: &Sets, rows: &[Row], fs: &mut Findings<'_>) {
    let fas_pairs: &[(Preset, &[Preset])] = if is_role {
        &[
            (Preset::Service, &[Preset::Role]),
            (Preset::ServiceMfa, &[Preset::RoleMfa]),
        ]
    } else {
        &[
            (Preset::Service, &[Preset::AccessKeys]),
            (
                Preset::ServiceMfa,
                &[Preset::ConsoleMfa, Preset::SessionMfa],
            ),
        ]
    };
    for (fas, directs) in fas_pairs {
        let Some(fi) = find_row(rows, *fas, AccountVariant::AsGiven) else {
            continue;
        };
        for (ci, cell) in rows[fi].cells.iter().enumerate() {
            let set = &sets.sets[cell.set];
            if cell.kind != ProbeKind::Sensitive || cell.decision != Decision::ExplicitDeny {
                continue;
            }
            let direct_allowed = directs.iter().any(|dp| {
                rows.iter()
                    .filter(|r| r.context == *dp && r.account == AccountVariant::AsGiven)
                    .filter(|r| r.role_session_mfa_from_assume_role_params != Some(false))
                    .any(|r| {
                        r.cells
                            .get(ci)
                            .is_some_and(|c| c.decision == Decision::Allowed)
                    })
            });
            if !direct_allowed {
                continue;
            }
            let id = cell.outcome.statements[0];
            let d = Diagnosis {
                rule: Rule::FasHopDenied,
                cause: format!(
                    "{} denies {} (aws:MultiFactorAuthPresent {}, aws:ViaAWSService true) where the caller's own request is allowed, so services acting for the caller fail.",
                    label(set, id),
                    context_phrase(*fas),
                    if *fas == Preset::Service { "false" } else { "true" }
                ),
                statement: Some(id),
                related: vec![],
            };
            fs.add(set, &d, d.rule, Check::ForwardAccess, case(&rows[fi], cell));
        }
    }
}

/// Role sessions created with MFA under both readings of semantics §9.1: a finding where they
/// differ, and the verdict's summary.
fn judge_role_session_mfa(
    sets: &Sets,
    rows: &[Row],
    fs: &mut Findings<'_>,
) -> Option<(Status, String)> {
    let role_mfa: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            rows[i].context == Preset::RoleMfa && rows[i].account == AccountVariant::AsGiven
        })
        .collect();
    let mut role_mfa_summary = None;
    if role_mfa.len() == 2 {
        let (a, b) = (&rows[role_mfa[0]], &rows[role_mfa[1]]);
        let (doc, obs) = if a.role_session_mfa_from_assume_role_params == Some(false) {
            (a, b)
        } else {
            (b, a)
        };
        let n = sensitive(doc).count();
        let dn = sensitive(doc)
            .filter(|c| c.decision == Decision::Allowed)
            .count();
        let on = sensitive(obs)
            .filter(|c| c.decision == Decision::Allowed)
            .count();
        let differs = doc
            .cells
            .iter()
            .zip(&obs.cells)
            .any(|(x, y)| x.decision != y.decision);
        if differs {
            for (x, y) in doc.cells.iter().zip(&obs.cells) {
                let set = &sets.sets[x.set];
                if x.decision != y.decision {
                    let st = x.outcome.statements.first().copied();
                    let d = Diagnosis {
                        rule: Rule::RoleSessionMfaAmbiguous,
                        cause: format!(
                            "Role sessions created with MFA are {} under the documented behaviour (role_session_mfa_from_assume_role_params=false: the session carries aws:MultiFactorAuthPresent false) and {} under the observed one (true).",
                            x.decision, y.decision
                        ),
                        statement: st,
                        related: vec![],
                    };
                    fs.add(set, &d, d.rule, Check::RoleSessionMfa, case(doc, x));
                }
            }
        }
        role_mfa_summary = Some((
            if differs { Status::Depends } else { Status::Holds },
            format!(
                "documented (role_session_mfa_from_assume_role_params=false): {dn} of {n} sensitive actions allowed; observed (true): {on} of {n} allowed{}",
                if differs { " — the verdict depends on which AWS behaviour holds" } else { "" }
            ),
        ));
    }
    role_mfa_summary
}

/// Vacuous enforcement: nothing is allowed even with MFA.
fn judge_vacuous(sets: &Sets, rows: &[Row], fs: &mut Findings<'_>) {
    let mfa_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            r.account == AccountVariant::AsGiven
                && r.mfa_present == Some(true)
                && !r.via_aws_service
        })
        .collect();
    if !mfa_rows.is_empty()
        && mfa_rows
            .iter()
            .all(|r| sensitive(r).all(|c| c.decision != Decision::Allowed))
    {
        let r = mfa_rows[0];
        if let Some(c) = sensitive(r).next() {
            let d = Diagnosis {
                rule: Rule::NothingAllowedWithMfa,
                cause: "None of the sensitive actions is allowed even with MFA, so the enforcement verdicts hold vacuously.".into(),
                statement: None,
                related: vec![],
            };
            fs.add(&sets.sets[c.set], &d, d.rule, Check::Console, case(r, c));
        }
    }
}

/// Kept whole: one arm per check of semantics §8, each a few lines over the same counts; the match
/// is the table of verdicts.
fn verdict(
    check: Check,
    input: &AuditInput,
    rows: &[Row],
    findings: &[Finding],
    role_mfa: Option<(Status, String)>,
) -> Verdict {
    let p = &input.principal;
    let is_role = matches!(p.kind, PrincipalKind::RoleSession { .. });
    let of_check = |k: FindingKind| {
        findings
            .iter()
            .filter(move |f| f.kind == k && f.checks.contains(&check))
    };
    let leaks = of_check(FindingKind::Leak).count();
    let lockouts = of_check(FindingKind::Lockout).count();
    let warnings = of_check(FindingKind::Warning).count();
    let warn_note = if warnings > 0 {
        format!(
            " ({warnings} warning{})",
            if warnings == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let na = |why: &str| (Status::NotApplicable, why.to_string());
    let row_summary = |preset: Preset| -> Option<(Status, String)> {
        let r = &rows[find_row(rows, preset, AccountVariant::AsGiven)?];
        let n = sensitive(r).count();
        let allowed = sensitive(r)
            .filter(|c| c.decision == Decision::Allowed)
            .count();
        let status = if leaks > 0 {
            Status::Leak
        } else {
            Status::Holds
        };
        let what = context_phrase(preset);
        // An allowed sensitive action that is not a leak needs its reason in the same line, or
        // "holds — 1 of 10 allowed" contradicts itself.
        let why = if leaks == 0 && allowed > 0 {
            let names: Vec<String> = sensitive(r)
                .filter(|c| c.decision == Decision::Allowed)
                .map(|c| probe_of(c).action.clone())
                .collect();
            let exempt = names.iter().all(|a| {
                findings.iter().any(|f| {
                    f.rule == Rule::ExemptedByNotAction && f.cases.iter().any(|c| &c.action == a)
                })
            });
            if exempt {
                format!(
                    " ({}: exempted on purpose by the MFA deny's NotAction, MFA203)",
                    names.join(", ")
                )
            } else {
                format!(
                    " ({}: allowed without MFA, but no MFA deny was meant to cover it)",
                    names.join(", ")
                )
            }
        } else {
            String::new()
        };
        Some((
            status,
            if allowed == 0 {
                format!("{what}: all {n} sensitive actions denied{warn_note}")
            } else {
                format!("{what}: {allowed} of {n} sensitive actions allowed{why}{warn_note}")
            },
        ))
    };
    let (status, summary) = match check {
        Check::Console if is_role => na("role sessions do not sign in to the console"),
        Check::LongTermKeys if is_role => na("role sessions have no long-term keys"),
        Check::Console => row_summary(Preset::Console).unwrap_or_else(|| na("no console row")),
        Check::LongTermKeys => {
            row_summary(Preset::AccessKeys).unwrap_or_else(|| na("no access-keys row"))
        }
        Check::StsSessions => row_summary(if is_role {
            Preset::Role
        } else {
            Preset::Session
        })
        .unwrap_or_else(|| na("no session row")),
        Check::RoleSessionMfa => role_mfa.unwrap_or_else(|| {
            na("only role sessions are affected by role_session_mfa_from_assume_role_params")
        }),
        Check::ForwardAccess => match find_row(rows, Preset::Service, AccountVariant::AsGiven) {
            None => na("the root user's requests are not forwarded by services in this model"),
            Some(i) => {
                let r = &rows[i];
                let n = sensitive(r).count();
                let allowed = sensitive(r)
                    .filter(|c| c.decision == Decision::Allowed)
                    .count();
                (
                    Status::Holds,
                    if allowed == 0 {
                        format!("a service acting for a caller without MFA is denied for all {n} sensitive actions{warn_note}")
                    } else {
                        format!("a service acting for a caller without MFA is allowed {allowed} of {n} sensitive actions (only after the caller's own request was allowed){warn_note}")
                    },
                )
            }
        },
        Check::ScpCoverage => {
            if !rows
                .iter()
                .any(|_| input.scenario.scps.iter().any(|l| !l.is_empty()))
            {
                na("no SCPs given")
            } else {
                let mut parts = Vec::new();
                if input.scenario.management_account {
                    parts.push(
                        "the account is the management account: SCPs do not apply".to_string(),
                    );
                }
                let what_if = findings.iter().any(|f| {
                    f.rule == Rule::ScpNotInManagementAccount && f.kind == FindingKind::Warning
                });
                if leaks > 0 {
                    parts
                        .push("as the management account, requests without MFA are allowed".into());
                } else if what_if {
                    parts.push("enforced in this member account; were it the management account, requests without MFA would be allowed there (SCPs do not apply)".into());
                } else if !input.scenario.management_account {
                    parts.push("the management account is not weaker than member accounts".into());
                }
                if let Some(i) = find_row(rows, Preset::Role, AccountVariant::AutomationRole) {
                    let r = &rows[i];
                    let denied = r
                        .cells
                        .iter()
                        .filter(|c| c.decision != Decision::Allowed)
                        .count();
                    parts.push(format!(
                        "automation role sessions: {denied} of {} sensitive actions denied",
                        r.cells.len()
                    ));
                }
                (
                    if leaks > 0 {
                        Status::Leak
                    } else {
                        Status::Holds
                    },
                    format!("{}{warn_note}", parts.join("; ")),
                )
            }
        }
        Check::Enrolment => {
            let probes = rows
                .iter()
                .find(|r| r.context == Preset::Console && r.account == AccountVariant::AsGiven)
                .map(|r| {
                    r.cells
                        .iter()
                        .filter(|c| c.kind == ProbeKind::Enrolment)
                        .count()
                })
                .unwrap_or(0);
            if !matches!(p.kind, PrincipalKind::User { .. }) {
                na("only IAM users enrol their own MFA devices")
            } else if probes == 0 {
                na("no enrolment actions probed")
            } else if lockouts > 0 {
                (
                    Status::Lockout,
                    format!("a user without MFA cannot complete enrolment: {lockouts} step{} denied{warn_note}", if lockouts == 1 { "" } else { "s" }),
                )
            } else {
                (
                    Status::Holds,
                    format!("a user signed in without MFA can create, enable, list and resync a device{warn_note}"),
                )
            }
        }
    };
    let status = match (status, leaks, lockouts) {
        (Status::NotApplicable | Status::Depends, ..) => status,
        (_, l, _) if l > 0 => Status::Leak,
        (_, _, k) if k > 0 => Status::Lockout,
        (s, ..) => s,
    };
    Verdict {
        check,
        title: check.title(),
        status,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Scenario;
    use crate::policy::{parse_policy_text, ParseOptions, PolicyKind};

    const NOW: i64 = 1_700_000_000;

    fn policy(text: &str, name: &str) -> crate::policy::Policy {
        parse_policy_text(
            text,
            name,
            name,
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap()
        .0
    }

    fn set(policies: &[(&str, &str)]) -> PolicySet {
        PolicySet::compile(&Scenario {
            identity: policies.iter().map(|(t, n)| policy(t, n)).collect(),
            ..Default::default()
        })
        .unwrap()
    }

    fn run(
        set: &PolicySet,
        who: &str,
        preset: Preset,
        action: &str,
        resource: &str,
    ) -> (Principal, Probe, Outcome) {
        let p = Principal::parse(who).unwrap();
        let cell = super::super::evaluate_cell(
            set,
            &p,
            preset,
            &Probe {
                action: action.into(),
                resource: resource.into(),
                kind: super::super::probe_kind(action),
            },
            NOW,
        );
        let probe = probe_of(&cell);
        (p, probe, cell.outcome)
    }

    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
    const ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Action":"*","Resource":"*"}]}"#;

    fn leak(policies: &[(&str, &str)], preset: Preset, action: &str) -> Diagnosis {
        let s = set(policies);
        let (p, probe, o) = run(&s, ALICE, preset, action, "*");
        assert_eq!(
            o.decision,
            Decision::Allowed,
            "the request must be allowed to be a leak"
        );
        diagnose_leak(&s, &p, preset, &probe, &o, NOW)
    }

    fn lockout(policies: &[(&str, &str)], who: &str, action: &str, resource: &str) -> Diagnosis {
        let s = set(policies);
        let (p, probe, o) = run(&s, who, Preset::Console, action, resource);
        assert_ne!(
            o.decision,
            Decision::Allowed,
            "the step must be denied to be a lockout"
        );
        diagnose_lockout(&s, &p, Preset::Console, &probe, &o, NOW)
    }

    #[test]
    fn bool_instead_of_bool_if_exists_is_named_for_long_term_keys() {
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyNoMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        let d = leak(
            &[(deny, "deny.json"), (ADMIN, "admin.json")],
            Preset::AccessKeys,
            "s3:ListAllMyBuckets",
        );
        assert_eq!(d.rule, Rule::BoolInsteadOfBoolIfExists);
        assert!(d.cause.contains("`deny.json#DenyNoMFA`"), "{}", d.cause);
        assert!(d.cause.contains("Bool (not BoolIfExists)"), "{}", d.cause);
    }

    #[test]
    fn allow_condition_overridden_names_the_unconditioned_allow() {
        let mfa = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AdminWithMFA","Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        let s = set(&[(mfa, "mfa.json"), (ADMIN, "admin.json")]);
        let (p, probe, o) = run(&s, ALICE, Preset::Console, "ec2:RunInstances", "*");
        let d = diagnose_leak(&s, &p, Preset::Console, &probe, &o, NOW);
        assert_eq!(d.rule, Rule::AllowConditionOverridden);
        assert_eq!(
            statement_ref(&s, d.statement.unwrap()).sid.as_deref(),
            Some("Admin")
        );
        assert_eq!(
            statement_ref(&s, d.related[0]).sid.as_deref(),
            Some("AdminWithMFA")
        );
    }

    #[test]
    fn no_mfa_deny_when_nothing_tests_the_key() {
        let d = leak(&[(ADMIN, "admin.json")], Preset::Console, "s3:GetObject");
        assert_eq!(d.rule, Rule::NoMfaDeny);
        assert!(d.cause.contains("`admin.json#Admin`"), "{}", d.cause);
    }

    #[test]
    fn condition_admits_no_mfa_for_allow_bool_if_exists_true() {
        let allow = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ConsoleEditorMFA","Effect":"Allow","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        let d = leak(
            &[(allow, "a.json")],
            Preset::AccessKeys,
            "s3:ListAllMyBuckets",
        );
        assert_eq!(d.rule, Rule::ConditionAdmitsNoMfa);
        assert!(d.cause.contains("absent"), "{}", d.cause);
    }

    #[test]
    fn null_check_only_lets_console_without_mfa_through() {
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyKeys","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        let d = leak(
            &[(deny, "d.json"), (ADMIN, "admin.json")],
            Preset::Console,
            "s3:ListAllMyBuckets",
        );
        assert_eq!(d.rule, Rule::NullCheckOnly);
    }

    #[test]
    fn deny_does_not_cover_action_and_not_action_exemptions_differ() {
        let ec2 = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyStop","Effect":"Deny","Action":"ec2:StopInstances","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        let d = leak(
            &[(ec2, "d.json"), (ADMIN, "admin.json")],
            Preset::Console,
            "s3:GetObject",
        );
        assert_eq!(d.rule, Rule::DenyDoesNotCoverAction);
        let not = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyMost","Effect":"Deny","NotAction":"iam:ListUsers","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        let d = leak(
            &[(not, "d.json"), (ADMIN, "admin.json")],
            Preset::Console,
            "iam:ListUsers",
        );
        assert_eq!(d.rule, Rule::ExemptedByNotAction);
        assert_eq!(d.rule.kind(), FindingKind::Warning);
    }

    #[test]
    fn deny_scoped_out_names_the_failing_condition() {
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"UsersOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"StringEquals":{"aws:PrincipalType":"AssumedRole"}}}]}"#;
        let d = leak(
            &[(deny, "d.json"), (ADMIN, "admin.json")],
            Preset::Console,
            "s3:GetObject",
        );
        assert_eq!(d.rule, Rule::DenyScopedOut);
        assert!(d.cause.contains("aws:PrincipalType"), "{}", d.cause);
    }

    #[test]
    fn scp_not_in_management_account_is_named() {
        let scp = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyNoMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let scp = parse_policy_text(
            scp,
            "scp.json",
            "scp.json",
            PolicyKind::Scp,
            ParseOptions::default(),
        )
        .unwrap()
        .0;
        let s = PolicySet::compile(&Scenario {
            identity: vec![policy(ADMIN, "admin.json")],
            scps: vec![vec![scp]],
            management_account: true,
            ..Default::default()
        })
        .unwrap();
        let (p, probe, o) = run(&s, ALICE, Preset::AccessKeys, "s3:GetObject", "*");
        assert_eq!(o.decision, Decision::Allowed);
        let d = diagnose_leak(&s, &p, Preset::AccessKeys, &probe, &o, NOW);
        assert_eq!(d.rule, Rule::ScpNotInManagementAccount);
    }

    #[test]
    fn root_not_governed_without_an_scp() {
        let s = set(&[]);
        let (p, probe, o) = run(
            &s,
            "arn:aws:iam::111122223333:root",
            Preset::Console,
            "s3:GetObject",
            "*",
        );
        assert_eq!(o.decision, Decision::Allowed);
        assert_eq!(
            diagnose_leak(&s, &p, Preset::Console, &probe, &o, NOW).rule,
            Rule::RootNotGoverned
        );
    }

    const DENY_NOT_ENROL: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:ListMFADevices","iam:ResyncMFADevice","iam:GetUser"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;

    #[test]
    fn enrolment_wrong_resource_type_user_instead_of_mfa() {
        let grant = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Create","Effect":"Allow","Action":"iam:CreateVirtualMFADevice","Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#;
        let d = lockout(
            &[(grant, "g.json"), (DENY_NOT_ENROL, "d.json")],
            ALICE,
            "iam:CreateVirtualMFADevice",
            "arn:aws:iam::111122223333:mfa/alice",
        );
        assert_eq!(d.rule, Rule::EnrolmentWrongResourceType);
        assert!(d.cause.contains("`g.json#Create`"), "{}", d.cause);
    }

    #[test]
    fn enrolment_wrong_resource_type_mfa_instead_of_user() {
        let grant = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Enable","Effect":"Allow","Action":"iam:EnableMFADevice","Resource":"arn:aws:iam::*:mfa/*"}]}"#;
        let d = lockout(&[(grant, "g.json")], ALICE, "iam:EnableMFADevice", ALICE);
        assert_eq!(d.rule, Rule::EnrolmentWrongResourceType);
    }

    #[test]
    fn enrolment_device_name_scoped_pre_2022() {
        let grant = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Create","Effect":"Allow","Action":"iam:CreateVirtualMFADevice","Resource":"arn:aws:iam::*:mfa/${aws:username}"}]}"#;
        let d = lockout(
            &[(grant, "g.json")],
            ALICE,
            "iam:CreateVirtualMFADevice",
            "arn:aws:iam::111122223333:mfa/alice-phone",
        );
        assert_eq!(d.rule, Rule::EnrolmentDeviceNameScoped);
        assert!(d.cause.contains("alice-phone"), "{}", d.cause);
    }

    #[test]
    fn enrolment_user_path_is_named() {
        let grant = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Enable","Effect":"Allow","Action":"iam:EnableMFADevice","Resource":"arn:aws:iam::*:user/${aws:username}"}]}"#;
        let who = "arn:aws:iam::111122223333:user/engineering/alice";
        let d = lockout(&[(grant, "g.json")], who, "iam:EnableMFADevice", who);
        assert_eq!(d.rule, Rule::EnrolmentUserPath);
        assert!(d.cause.contains("/engineering/"), "{}", d.cause);
    }

    #[test]
    fn enrolment_requires_mfa_when_only_mfa_allows_grant_it() {
        let mfa = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AdminWithMFA","Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        let d = lockout(&[(mfa, "m.json")], ALICE, "iam:EnableMFADevice", ALICE);
        assert_eq!(d.rule, Rule::EnrolmentRequiresMfa);
    }

    #[test]
    fn enrolment_denied_names_the_deny_statement() {
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyNoMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        let d = lockout(
            &[(deny, "d.json"), (ADMIN, "a.json")],
            ALICE,
            "iam:CreateVirtualMFADevice",
            "arn:aws:iam::111122223333:mfa/alice",
        );
        assert_eq!(d.rule, Rule::EnrolmentDenied);
        assert!(d.cause.contains("`d.json#DenyNoMFA`"), "{}", d.cause);
    }

    #[test]
    fn enrolment_not_allowed_without_any_grant() {
        let d = lockout(&[], ALICE, "iam:ListMFADevices", ALICE);
        assert_eq!(d.rule, Rule::EnrolmentNotAllowed);
        assert!(
            d.cause.contains("No statement allows iam:ListMFADevices"),
            "{}",
            d.cause
        );
    }

    #[test]
    fn rule_ids_are_unique_and_kinds_follow_the_numbering() {
        let mut ids: Vec<&str> = super::super::RULES.iter().map(|r| r.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), super::super::RULES.len());
        assert_eq!(Rule::BoolInsteadOfBoolIfExists.kind(), FindingKind::Leak);
        assert_eq!(Rule::EnrolmentUserPath.kind(), FindingKind::Lockout);
        assert_eq!(Rule::ChangePasswordDenied.kind(), FindingKind::Warning);
    }

    #[test]
    fn short_label_drops_the_directory() {
        let s = set(&[(ADMIN, "testdata/mfa/../policies/admin.json")]);
        assert_eq!(short_label(&statement_ref(&s, 0)), "admin.json#Admin");
    }
}
