//! Account audit from real AWS exports: which users can act without MFA, how, and because of
//! which statement; which roles are an MFA bypass; CIS 1.10 from the credential report.

pub mod credreport;
pub mod export;

use crate::compile::{PolicySet, Scenario, Slots};
use crate::context::{Preset, Principal};
use crate::eval::{Decision, Outcome, Request};
use crate::policy::{Effect, Policy, PolicyKind};
use crate::report::{statement_ref, StatementRef};
use credreport::CredentialRow;
use export::AccountExport;
use serde::Serialize;

/// Sensitive actions sampled for every user and role: if any is allowed without MFA, MFA is not
/// enforced. Each comes with a resource template (`{account}`, `{user}` are substituted).
pub const SAMPLED_ACTIONS: &[(&str, &str)] = &[
    ("s3:ListAllMyBuckets", "*"),
    ("s3:GetObject", "arn:aws:s3:::example-bucket/object"),
    (
        "ec2:RunInstances",
        "arn:aws:ec2:us-east-1:{account}:instance/*",
    ),
    ("ec2:DescribeInstances", "*"),
    ("iam:CreateAccessKey", "arn:aws:iam::{account}:user/{user}"),
    ("iam:ListUsers", "*"),
    ("iam:CreateUser", "arn:aws:iam::{account}:user/new-user"),
    ("kms:Decrypt", "arn:aws:kms:us-east-1:{account}:key/example"),
    (
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:{account}:secret:example",
    ),
];

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Weakens MFA enforcement.
    Medium,
    /// Sensitive actions without MFA, or a user locked out.
    High,
}

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// A user can call sensitive actions without MFA in a credential context it can use.
    ActsWithoutMfa,
    /// A user without MFA cannot enrol a device.
    EnrolmentLockout,
    /// A role can be assumed without MFA and grants sensitive actions.
    RoleBypass,
    /// CIS 1.10: console password without an active MFA device.
    Cis110ConsoleWithoutMfa,
    /// The user has an MFA device, but no policy requires using it.
    MfaNotEnforced,
}

impl FindingKind {
    /// The rule id used in SARIF.
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::ActsWithoutMfa => "acts-without-mfa",
            FindingKind::EnrolmentLockout => "enrolment-lockout",
            FindingKind::RoleBypass => "role-assumable-without-mfa",
            FindingKind::Cis110ConsoleWithoutMfa => "cis-1.10-console-without-mfa",
            FindingKind::MfaNotEnforced => "mfa-active-not-enforced",
        }
    }

    /// One-line description.
    pub fn describe(self) -> &'static str {
        match self {
            FindingKind::ActsWithoutMfa => "A user can call sensitive actions without MFA",
            FindingKind::EnrolmentLockout => "A user without MFA cannot enrol an MFA device",
            FindingKind::RoleBypass => {
                "A role can be assumed without MFA and grants sensitive actions"
            }
            FindingKind::Cis110ConsoleWithoutMfa => {
                "CIS 1.10: console password without an active MFA device"
            }
            FindingKind::MfaNotEnforced => "MFA device active, but policies do not require MFA",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Kind (serialized as its rule id, e.g. `cis-1.10-console-without-mfa`).
    #[serde(serialize_with = "kind_id")]
    pub kind: FindingKind,
    /// `user` or `role`.
    pub subject_type: &'static str,
    /// User or role name.
    pub name: String,
    /// User or role ARN.
    pub arn: String,
    /// Credential context (preset name), where one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<&'static str>,
    /// Actions concerned.
    pub actions: Vec<String>,
    /// What happens, in one sentence.
    pub message: String,
    /// The statement responsible (the allow that lets it through, the deny that locks out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementRef>,
    /// What would have stopped it / how to fix it.
    pub fix: String,
}

fn kind_id<S: serde::Serializer>(k: &FindingKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.id())
}

/// Inputs besides the export.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// SCP levels of the account, organization root first.
    pub scps: Vec<Vec<Policy>>,
    /// The account is the organization's management account.
    pub management_account: bool,
    /// Engine settings.
    pub settings: crate::settings::Settings,
}

/// The audit result.
#[derive(Debug, Clone, Serialize)]
pub struct AccountAudit {
    /// The account audited.
    pub account: String,
    /// Users audited.
    pub users: usize,
    /// Roles audited.
    pub roles: usize,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Quirks of the input that did not stop the audit.
    pub notes: Vec<String>,
}

fn resource_for(template: &str, account: &str, user: &str) -> String {
    template
        .replace("{account}", account)
        .replace("{user}", user)
}

struct Eval<'a> {
    set: PolicySet,
    principal: Principal,
    account: &'a str,
    /// The request time of every evaluation in the audit (one clock for the whole run).
    now: i64,
}

impl Eval<'_> {
    fn run(&self, action: &str, resource: &str, preset: Preset) -> (Outcome, Slots) {
        let ctx = self
            .set
            .context(&self.principal, preset, resource, self.now);
        let slots = self.set.bind(&ctx);
        let req = Request {
            principal: &self.principal,
            action,
            resource,
            preset,
        };
        (self.set.evaluate(&req, &slots), slots)
    }

    /// The MFA deny statement that failed to stop a request, with why (for "what would have
    /// stopped it").
    fn near_miss_mfa_deny(
        &self,
        action: &str,
        resource: &str,
        preset: Preset,
        slots: &Slots,
    ) -> Option<String> {
        let req = Request {
            principal: &self.principal,
            action,
            resource,
            preset,
        };
        let mut traces = self.set.trace(&req, slots);
        // Denies first: a deny that failed to apply is the more precise explanation.
        traces.sort_by_key(|t| self.set.statement_info(t.id).1 == Effect::Allow);
        for t in traces {
            let (layer, effect, pi, si) = self.set.statement_info(t.id);
            if t.applies || !t.layer_applies || !t.action {
                continue;
            }
            let st = &self.set.policies()[pi].policy.statements[si];
            let mfa = st
                .conditions
                .iter()
                .position(|c| c.key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent"));
            if let Some(ci) = mfa {
                let c = &st.conditions[ci];
                let failed = t
                    .conditions
                    .iter()
                    .find(|x| x.index == ci)
                    .is_some_and(|x| !x.result);
                if failed && effect == Effect::Allow {
                    return Some(format!(
                        "{} requires MFA only on an Allow ({c}); another Allow grants the action without it, and only a Deny overrides other allows",
                        statement_ref(&self.set, t.id).with_location()
                    ));
                }
                if failed {
                    let why = if c.op.base == crate::policy::BaseOp::Bool
                        && !c.op.if_exists
                        && preset == Preset::AccessKeys
                    {
                        format!("{} uses {c}, which is false when the key is absent (long-term keys); use BoolIfExists", statement_ref(&self.set, t.id).with_location())
                    } else {
                        format!(
                            "{} ({}) has {c}, which did not hold",
                            statement_ref(&self.set, t.id).with_location(),
                            crate::report::layer_name(layer)
                        )
                    };
                    return Some(why);
                }
            }
        }
        None
    }
}

const DEFAULT_FIX: &str = "attach a Deny with \"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"} (e.g. AWS's self-service force-MFA policy) or an equivalent SCP";

/// Runs the audit. `progress` is called after each user or role with (done, total).
pub fn audit(
    export: &AccountExport,
    report: Option<&[CredentialRow]>,
    opts: &AuditOptions,
    mut progress: impl FnMut(usize, usize),
) -> AccountAudit {
    // Exports carry no KMS key policies: assume AWS's default key policy, which delegates to the
    // account, so identity policies decide the kms:Decrypt probe.
    let mut opts = opts.clone();
    opts.settings.missing_trust_or_key_policy_delegates = true;
    let opts = &opts;
    let now = crate::cases::now_secs();
    let account = export
        .account()
        .unwrap_or_else(|| "111122223333".to_string());
    let mut notes = export.notes.clone();
    let mut findings = Vec::new();
    let total = export.users.len() + export.roles.len();
    if report.is_none() {
        notes.push("no credential report given: every user is assumed to have a console password and an active access key, and CIS 1.10 is not checked".into());
    }
    let boundary_of = |arn: &Option<String>, who: &str, notes: &mut Vec<String>| {
        arn.as_ref()
            .and_then(|a| export.managed_policy(a, who, notes))
    };
    for (i, u) in export.users.iter().enumerate() {
        progress(i, total);
        let row = report.and_then(|r| r.iter().find(|row| row.arn == u.arn || row.user == u.name));
        if report.is_some() && row.is_none() {
            notes.push(format!("user {} ({}) is not in the credential report; assumed to have a password and an active key", u.name, u.arn));
        }
        let password = row.is_none_or(|r| r.password_enabled);
        let keys = row.is_none_or(|r| r.has_active_key());
        let mfa_active = row.is_some_and(|r| r.mfa_active);
        let principal = match Principal::parse(&u.arn) {
            Ok(p) => p,
            Err(e) => {
                notes.push(format!("user {}: {e}", u.name));
                continue;
            }
        };
        let scenario = Scenario {
            identity: export.user_policies(u, &mut notes),
            boundary: boundary_of(&u.boundary, &format!("user {}", u.name), &mut notes),
            scps: opts.scps.clone(),
            management_account: opts.management_account,
            settings: opts.settings.clone(),
            ..Default::default()
        };
        let Ok(set) = PolicySet::compile(&scenario) else {
            continue;
        };
        let ev = Eval {
            set,
            principal,
            account: &account,
            now,
        };
        let mut contexts = Vec::new();
        if password {
            contexts.push(Preset::Console);
        }
        if keys {
            contexts.push(Preset::AccessKeys);
        }
        let mut console_leak = false;
        for preset in contexts {
            let mut allowed = Vec::new();
            // The first allowed action, its statement, and the context it was decided in.
            let mut first: Option<(u32, String, String, Slots)> = None;
            for (action, tmpl) in SAMPLED_ACTIONS {
                let resource = resource_for(tmpl, ev.account, &u.name);
                let (o, slots) = ev.run(action, &resource, preset);
                if o.decision == Decision::Allowed {
                    allowed.push(action.to_string());
                    if first.is_none() {
                        if let Some(id) = o.statements.first() {
                            first = Some((*id, action.to_string(), resource, slots));
                        }
                    }
                }
            }
            if allowed.is_empty() {
                continue;
            }
            console_leak |= preset == Preset::Console;
            let how = match preset {
                Preset::Console => "signed in to the console without MFA",
                _ => "with long-term access keys (no MFA)",
            };
            let (statement, fix) = match &first {
                Some((id, action, resource, slots)) => {
                    let fix = ev
                        .near_miss_mfa_deny(action, resource, preset, slots)
                        .map(|w| format!("what should have stopped it: {w}"))
                        .unwrap_or_else(|| DEFAULT_FIX.to_string());
                    (Some(statement_ref(&ev.set, *id)), fix)
                }
                None => (None, DEFAULT_FIX.to_string()),
            };
            let by = statement
                .as_ref()
                .map(|s| format!(", allowed by {}", s.with_location()))
                .unwrap_or_default();
            findings.push(Finding {
                severity: Severity::High,
                kind: FindingKind::ActsWithoutMfa,
                subject_type: "user",
                name: u.name.clone(),
                arn: u.arn.clone(),
                context: Some(preset.name()),
                message: format!(
                    "user {} ({}) can call {} {how}{by}",
                    u.name,
                    u.arn,
                    allowed.join(", ")
                ),
                actions: allowed,
                statement,
                fix,
            });
        }
        // Enrolment without MFA (only matters for a user who has no device yet).
        if !mfa_active {
            let preset = if password {
                Preset::Console
            } else {
                Preset::AccessKeys
            };
            let checks = [
                (
                    "iam:CreateVirtualMFADevice",
                    format!("arn:aws:iam::{account}:mfa/{}", u.name),
                ),
                (
                    "iam:CreateVirtualMFADevice",
                    format!("arn:aws:iam::{account}:mfa/{}-authenticator", u.name),
                ),
                ("iam:EnableMFADevice", u.arn.clone()),
            ];
            for (action, resource) in checks {
                let (o, _) = ev.run(action, &resource, preset);
                if o.decision == Decision::Allowed {
                    continue;
                }
                let statement = o.statements.first().map(|id| statement_ref(&ev.set, *id));
                let because = match (&statement, o.missing) {
                    (Some(s), _) => format!("denied by {}", s.with_location()),
                    (None, Some(crate::eval::Missing::Boundary)) => {
                        "the permissions boundary does not allow it".to_string()
                    }
                    (None, Some(crate::eval::Missing::Scp(l))) => {
                        format!("no SCP at level {l} allows it")
                    }
                    (None, _) => "no identity-based policy allows it".to_string(),
                };
                let fix = if action == "iam:CreateVirtualMFADevice" {
                    "allow iam:CreateVirtualMFADevice on arn:aws:iam::*:mfa/* (the device resource is mfa/, not user/; users may name devices freely since Nov 2022) and exempt it from the MFA deny (NotAction)"
                } else {
                    "allow iam:EnableMFADevice on arn:aws:iam::*:user/${aws:username} (mind user paths) and exempt it from the MFA deny (NotAction)"
                };
                findings.push(Finding {
                    severity: Severity::High,
                    kind: FindingKind::EnrolmentLockout,
                    subject_type: "user",
                    name: u.name.clone(),
                    arn: u.arn.clone(),
                    context: Some(preset.name()),
                    actions: vec![action.to_string()],
                    message: format!("user {} ({}) cannot enrol an MFA device without MFA: {action} on {resource} is {} ({because})", u.name, u.arn, o.decision),
                    statement,
                    fix: fix.to_string(),
                });
                break;
            }
        }
        if let Some(r) = row {
            if r.password_enabled && !r.mfa_active {
                findings.push(Finding {
                    severity: Severity::High,
                    kind: FindingKind::Cis110ConsoleWithoutMfa,
                    subject_type: "user",
                    name: u.name.clone(),
                    arn: u.arn.clone(),
                    context: None,
                    actions: vec![],
                    message: format!("user {} ({}) has a console password and no active MFA device (CIS AWS Foundations 1.10)", u.name, u.arn),
                    statement: None,
                    fix: "enable an MFA device for the user, or remove the console password".into(),
                });
            }
            if r.mfa_active && console_leak {
                findings.push(Finding {
                    severity: Severity::Medium,
                    kind: FindingKind::MfaNotEnforced,
                    subject_type: "user",
                    name: u.name.clone(),
                    arn: u.arn.clone(),
                    context: Some("console"),
                    actions: vec![],
                    message: format!("user {} ({}) has an MFA device, but policies let them act without using it", u.name, u.arn),
                    statement: None,
                    fix: DEFAULT_FIX.into(),
                });
            }
        }
    }
    for (i, r) in export.roles.iter().enumerate() {
        progress(export.users.len() + i, total);
        if let Some(f) = role_finding(export, r, &account, opts, now, &mut notes) {
            findings.push(f);
        }
    }
    progress(total, total);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.name.cmp(&b.name))
    });
    AccountAudit {
        account,
        users: export.users.len(),
        roles: export.roles.len(),
        findings,
        notes,
    }
}

/// Candidate callers named by a trust policy's AWS principals.
fn trust_callers(trust: &Policy, account: &str) -> Vec<String> {
    let mut out = Vec::new();
    for st in &trust.statements {
        if st.effect != Effect::Allow {
            continue;
        }
        let Some(p) = &st.principal else { continue };
        if p.negated {
            continue;
        }
        for e in &p.entries {
            match e {
                crate::policy::PrincipalEntry::Any => {
                    out.push("arn:aws:iam::999999999999:user/anyone".to_string())
                }
                crate::policy::PrincipalEntry::Aws(v) => {
                    if crate::values::is_account_id(v) {
                        out.push(format!("arn:aws:iam::{v}:user/any-user"));
                    } else if let Some(a) =
                        v.strip_suffix(":root").and_then(|x| x.rsplit(':').next())
                    {
                        out.push(format!("arn:aws:iam::{a}:user/any-user"));
                    } else if v.contains(":user/")
                        || v.contains(":assumed-role/")
                        || v.contains(":federated-user/")
                    {
                        out.push(v.clone());
                    } else if v.contains(":role/") {
                        let name = v.rsplit('/').next().unwrap_or("role");
                        let acct = v.split(':').nth(4).unwrap_or(account);
                        out.push(format!("arn:aws:sts::{acct}:assumed-role/{name}/session"));
                    }
                }
                _ => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn role_finding(
    export: &AccountExport,
    r: &export::Role,
    account: &str,
    opts: &AuditOptions,
    now: i64,
    notes: &mut Vec<String>,
) -> Option<Finding> {
    let trust = r.trust.as_ref()?;
    // Can an AWS principal assume the role without MFA?
    let mut assumable: Option<(String, StatementRef)> = None;
    for caller in trust_callers(trust, account) {
        let Ok(principal) = Principal::parse(&caller) else {
            continue;
        };
        let allow_assume = crate::policy::parse_policy_text(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#,
            "caller",
            "caller's identity policy",
            PolicyKind::Identity,
            Default::default(),
        )
        .ok()?
        .0;
        let sc = Scenario {
            identity: vec![allow_assume],
            resource_policy: Some(trust.clone()),
            resource_account: Some(account.to_string()),
            settings: opts.settings.clone(),
            ..Default::default()
        };
        let set = PolicySet::compile(&sc).ok()?;
        for preset in [Preset::AccessKeys, Preset::Console] {
            let ctx = set.context(&principal, preset, &r.arn, now);
            let req = Request {
                principal: &principal,
                action: "sts:AssumeRole",
                resource: &r.arn,
                preset,
            };
            let o = set.evaluate(&req, &set.bind(&ctx));
            if o.decision == Decision::Allowed {
                let trust_stmt = o
                    .statements
                    .iter()
                    .find(|id| set.statement_info(**id).0 == crate::compile::Layer::Resource)
                    .map(|id| statement_ref(&set, *id));
                if let Some(s) = trust_stmt {
                    assumable = Some((format!("{caller} ({})", preset.name()), s));
                    break;
                }
            }
        }
        if assumable.is_some() {
            break;
        }
    }
    let (who, trust_stmt) = assumable?;
    // Does the role grant sensitive actions?
    let session = format!("arn:aws:sts::{account}:assumed-role/{}/session", r.name);
    let principal = Principal::parse(&session).ok()?;
    let mut sc = Scenario {
        identity: export.role_policies(r, notes),
        scps: opts.scps.clone(),
        management_account: opts.management_account,
        settings: opts.settings.clone(),
        ..Default::default()
    };
    sc.boundary = r
        .boundary
        .as_ref()
        .and_then(|a| export.managed_policy(a, &format!("role {}", r.name), notes));
    let set = PolicySet::compile(&sc).ok()?;
    let mut granted = Vec::new();
    let mut grant_stmt = None;
    for (action, tmpl) in SAMPLED_ACTIONS {
        let resource = resource_for(tmpl, account, "someone");
        let ctx = set.context(&principal, Preset::Role, &resource, now);
        let req = Request {
            principal: &principal,
            action,
            resource: &resource,
            preset: Preset::Role,
        };
        let o = set.evaluate(&req, &set.bind(&ctx));
        if o.decision == Decision::Allowed {
            granted.push(action.to_string());
            if grant_stmt.is_none() {
                grant_stmt = o.statements.first().map(|id| statement_ref(&set, *id));
            }
        }
    }
    if granted.is_empty() {
        return None;
    }
    let via = grant_stmt
        .map(|s| format!(" (granted by {})", s.label))
        .unwrap_or_default();
    Some(Finding {
        severity: Severity::High,
        kind: FindingKind::RoleBypass,
        subject_type: "role",
        name: r.name.clone(),
        arn: r.arn.clone(),
        context: Some("role"),
        message: format!(
            "role {} ({}) can be assumed without MFA by {who} through {} and grants {}{via}: a bypass for users who are otherwise forced to use MFA",
            r.name,
            r.arn,
            trust_stmt.with_location(),
            granted.join(", ")
        ),
        actions: granted,
        statement: Some(trust_stmt),
        fix: "add \"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"} to the trust policy's Allow for human principals (BoolIfExists would let long-term keys through)".into(),
    })
}
