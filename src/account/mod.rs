//! Account audit from real AWS exports: which users can act without MFA, how, and because of
//! which statement; which roles are an MFA bypass; CIS 1.10 from the credential report.

pub mod credreport;
pub mod export;
pub mod render;

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
    /// The sensitive actions sampled, each with a resource template (`{account}`, `{user}`
    /// substituted); empty: [`SAMPLED_ACTIONS`]. [`level_sample`] chooses them by access level.
    pub sampled: Vec<(String, String)>,
}

/// Sampled actions chosen by access level (`iamsim account --actions LEVEL`): every catalog
/// action of `levels` in the services the export's policies name (or the services of
/// [`SAMPLED_ACTIONS`] when they name none), each on a sample resource of its type. Also
/// returns the services.
pub fn level_sample(
    export: &AccountExport,
    levels: &[crate::catalog::AccessLevel],
) -> (Vec<(String, String)>, Vec<&'static str>) {
    use crate::catalog::probes::{actions_at_levels, sample_resource, services_named};
    let inline = export
        .users
        .iter()
        .flat_map(|u| &u.inline)
        .chain(export.groups.values().flat_map(|g| &g.inline))
        .chain(export.roles.iter().flat_map(|r| &r.inline))
        .map(|n| &n.policy);
    let mut services = services_named(export.policies.values().chain(inline));
    if services.is_empty() {
        let mut d: Vec<&'static str> = SAMPLED_ACTIONS
            .iter()
            .filter_map(|(a, _)| a.split_once(':').map(|x| x.0))
            .collect();
        d.dedup();
        d.sort_unstable();
        d.dedup();
        services = d;
    }
    let sample = actions_at_levels(&services, levels)
        .iter()
        .map(|a| (a.full_name(), sample_resource(a, "aws", "{account}")))
        .collect();
    (sample, services)
}

impl AuditOptions {
    /// The scenario of one principal of the export: its own policies (identity, boundary) over
    /// the account's part that the scenario builder checked (SCP levels, management account,
    /// settings). Every user and role is evaluated in a scenario made here.
    fn principal_scenario(&self, identity: Vec<Policy>, boundary: Option<Policy>) -> Scenario {
        Scenario {
            identity,
            boundary,
            scps: self.scps.clone(),
            management_account: self.management_account,
            settings: self.settings.clone(),
            ..Default::default()
        }
    }
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
    /// Users and roles that could not be audited, with why (not counted as audited).
    pub skipped: Vec<String>,
    /// Users with neither a console password nor an active access key: they cannot act, so
    /// they are neither leaks nor lockouts.
    pub without_credentials: Vec<String>,
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

/// How serious it is that `actions` can be called without MFA: permissions management (IAM
/// writes: a user who creates keys or users can make more credentials) above writes and secret
/// reads, above lists and describes.
pub fn severity_of(actions: &[String]) -> Severity {
    let is = |a: &String, pre: &[&str]| pre.iter().any(|p| a.starts_with(p));
    // The catalog's access level, for actions chosen by level (`--actions`).
    let level = |a: &String| crate::catalog::catalog().action(a).map(|r| r.level());
    if actions
        .iter()
        .any(|a| level(a) == Some(crate::catalog::AccessLevel::PermissionsManagement))
    {
        return Severity::High;
    }
    if actions.iter().any(|a| {
        is(
            a,
            &[
                "iam:Create",
                "iam:Attach",
                "iam:Put",
                "iam:Update",
                "iam:Delete",
            ],
        )
    }) {
        Severity::High
    } else if actions.iter().any(|a| {
        is(
            a,
            &[
                "ec2:RunInstances",
                "kms:Decrypt",
                "secretsmanager:GetSecretValue",
                "s3:GetObject",
            ],
        )
    }) || actions
        .iter()
        .any(|a| level(a).is_some_and(|l| l.is_write()))
    {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Above this many actions a finding's message counts them per service (the `actions` field
/// still lists each).
pub const LISTED_ACTIONS: usize = 40;

/// The actions of a message: all of them, or above [`LISTED_ACTIONS`] a count per service with
/// the first of each (`54 actions: ec2 23 (ec2:AttachApplianceToNatGateway, ...), kms 4 ...`).
fn action_list(actions: &[String]) -> String {
    if actions.len() <= LISTED_ACTIONS {
        return actions.join(", ");
    }
    let mut per: Vec<(&str, usize, &str)> = Vec::new();
    for a in actions {
        let svc = a.split_once(':').map_or(a.as_str(), |x| x.0);
        match per.iter_mut().find(|(s, ..)| *s == svc) {
            Some((_, n, _)) => *n += 1,
            None => per.push((svc, 1, a)),
        }
    }
    let parts: Vec<String> = per
        .iter()
        .map(|(s, n, first)| format!("{s} {n} ({first}, ...)"))
        .collect();
    format!("{} actions: {}", actions.len(), parts.join(", "))
}

/// What one user's audit found, or why the user could not be audited.
struct UserAudit {
    findings: Vec<Finding>,
    /// The user has no console password and no active access key.
    no_credentials: bool,
}

/// The audit of one account export: the shared inputs of every per-user and per-role step.
struct Auditor<'a> {
    export: &'a AccountExport,
    report: Option<&'a [CredentialRow]>,
    opts: AuditOptions,
    now: i64,
}

impl Auditor<'_> {
    /// One user: which credential contexts it can use (credential report), what each allows
    /// without MFA, whether it can enrol a device, CIS 1.10.
    fn user(&self, u: &export::User, notes: &mut Vec<String>) -> Result<UserAudit, String> {
        let principal = Principal::parse(&u.arn).map_err(|e| format!("user {}: {e}", u.name))?;
        let row = self
            .report
            .and_then(|r| r.iter().find(|row| row.arn == u.arn || row.user == u.name));
        if self.report.is_some() && row.is_none() {
            notes.push(format!("user {} ({}) is not in the credential report; assumed to have a password and an active key", u.name, u.arn));
        }
        let password = row.is_none_or(|r| r.password_enabled);
        let keys = row.is_none_or(|r| r.has_active_key());
        let mfa_active = row.is_some_and(|r| r.mfa_active);
        // Resolved first, so that quirks of the export (a missing group or managed policy) are
        // noted for every user, whether or not it can act.
        let identity = self.export.user_policies(u, notes);
        let boundary = u.boundary.as_ref().and_then(|a| {
            self.export
                .managed_policy(a, &format!("user {}", u.name), notes)
        });
        let mut out = UserAudit {
            findings: Vec::new(),
            no_credentials: !password && !keys,
        };
        if out.no_credentials {
            // Without a password or an active key the user cannot act at all: nothing leaks and
            // nobody is locked out.
            return Ok(out);
        }
        let scenario = self.opts.principal_scenario(identity, boundary);
        let set = PolicySet::compile(&scenario).map_err(|e| format!("user {}: {e}", u.name))?;
        let account = principal
            .account
            .clone()
            .ok_or_else(|| format!("user {}: {} names no account", u.name, u.arn))?;
        let ev = Eval {
            set,
            principal,
            account: &account,
            now: self.now,
        };
        // IAM requires a user with an MFA device to use it at console sign-in, so only users
        // without one have a console context without MFA; long-term keys never carry MFA.
        let mut contexts = Vec::new();
        if password && !mfa_active {
            contexts.push(Preset::Console);
        }
        if keys {
            contexts.push(Preset::AccessKeys);
        }
        for preset in contexts {
            out.findings
                .extend(acts_without_mfa(&ev, u, preset, &self.opts.sampled));
        }
        if mfa_active && !out.findings.is_empty() {
            out.findings.push(Finding {
                severity: Severity::Low,
                kind: FindingKind::MfaNotEnforced,
                subject_type: "user",
                name: u.name.clone(),
                arn: u.arn.clone(),
                context: Some(Preset::AccessKeys.name()),
                actions: vec![],
                message: format!("user {} ({}) has an MFA device, but policies let their access keys act without it", u.name, u.arn),
                statement: None,
                fix: DEFAULT_FIX.into(),
            });
        }
        if !mfa_active {
            let preset = if password {
                Preset::Console
            } else {
                Preset::AccessKeys
            };
            out.findings.extend(enrolment_lockout(&ev, u, preset));
        }
        if let Some(r) = row.filter(|r| r.password_enabled && !r.mfa_active) {
            out.findings.push(Finding {
                severity: Severity::Medium,
                kind: FindingKind::Cis110ConsoleWithoutMfa,
                subject_type: "user",
                name: u.name.clone(),
                arn: r.arn.clone(),
                context: None,
                actions: vec![],
                message: format!("user {} ({}) has a console password and no active MFA device (CIS AWS Foundations 1.10)", u.name, u.arn),
                statement: None,
                fix: "enable an MFA device for the user, or remove the console password".into(),
            });
        }
        Ok(out)
    }
}

/// The sampled actions a user can call in `preset` without MFA, as one finding, with the first
/// allowing statement and what should have stopped it.
fn acts_without_mfa(
    ev: &Eval<'_>,
    u: &export::User,
    preset: Preset,
    sampled: &[(String, String)],
) -> Option<Finding> {
    let mut allowed = Vec::new();
    // The first allowed action, its statement, and the context it was decided in.
    let mut first: Option<(u32, String, String, Slots)> = None;
    for (action, tmpl) in sampled {
        let resource = resource_for(tmpl, ev.account, &u.name);
        let (o, slots) = ev.run(action, &resource, preset);
        if o.decision != Decision::Allowed {
            continue;
        }
        allowed.push(action.to_string());
        if first.is_none() {
            if let Some(id) = o.statements.first() {
                first = Some((*id, action.to_string(), resource, slots));
            }
        }
    }
    if allowed.is_empty() {
        return None;
    }
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
    Some(Finding {
        severity: severity_of(&allowed),
        kind: FindingKind::ActsWithoutMfa,
        subject_type: "user",
        name: u.name.clone(),
        arn: u.arn.clone(),
        context: Some(preset.name()),
        message: format!(
            "user {} ({}) can call {} {how}{by}",
            u.name,
            u.arn,
            action_list(&allowed)
        ),
        actions: allowed,
        statement,
        fix,
    })
}

/// Whether a user without a device can enrol one without MFA (the device ARNs are in the
/// user's own account).
fn enrolment_lockout(ev: &Eval<'_>, u: &export::User, preset: Preset) -> Option<Finding> {
    let account = ev.account;
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
            (None, Some(crate::eval::Missing::Scp(l))) => format!("no SCP at level {l} allows it"),
            (None, _) => "no identity-based policy allows it".to_string(),
        };
        let fix = if action == "iam:CreateVirtualMFADevice" {
            "allow iam:CreateVirtualMFADevice on arn:aws:iam::*:mfa/* (the device resource is mfa/, not user/; users may name devices freely since Nov 2022) and exempt it from the MFA deny (NotAction)"
        } else {
            "allow iam:EnableMFADevice on arn:aws:iam::*:user/${aws:username} (mind user paths) and exempt it from the MFA deny (NotAction)"
        };
        return Some(Finding {
            severity: Severity::Medium,
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
    }
    None
}

/// Runs the audit. `progress` is called after each user or role with (done, total). Users or
/// roles that cannot be audited are listed in `skipped` (and not counted as audited).
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
    if opts.sampled.is_empty() {
        opts.sampled = SAMPLED_ACTIONS
            .iter()
            .map(|(a, r)| (a.to_string(), r.to_string()))
            .collect();
    }
    let auditor = Auditor {
        export,
        report,
        opts,
        now: crate::scenario::now_secs(),
    };
    let accounts = export.accounts();
    let account = accounts
        .first()
        .cloned()
        .unwrap_or_else(|| "unknown".into());
    let mut notes = export.notes.clone();
    if accounts.len() > 1 {
        notes.push(format!(
            "the export mixes principals of {} accounts ({}): each user and role is audited in its own account",
            accounts.len(),
            accounts.join(", ")
        ));
    }
    if report.is_none() {
        notes.push("no credential report given: every user is assumed to have a console password and an active access key, and CIS 1.10 is not checked".into());
    }
    let total = export.users.len() + export.roles.len();
    let mut result = AccountAudit {
        account,
        users: 0,
        roles: 0,
        findings: Vec::new(),
        notes: Vec::new(),
        skipped: Vec::new(),
        without_credentials: Vec::new(),
    };
    for (i, u) in export.users.iter().enumerate() {
        progress(i, total);
        match auditor.user(u, &mut notes) {
            Ok(ua) => {
                result.users += 1;
                if ua.no_credentials {
                    result.without_credentials.push(u.name.clone());
                }
                result.findings.extend(ua.findings);
            }
            Err(why) => result.skipped.push(why),
        }
    }
    for (i, r) in export.roles.iter().enumerate() {
        progress(export.users.len() + i, total);
        let role_account = crate::values::account::arn_account(&r.arn)
            .unwrap_or(&result.account)
            .to_string();
        match role_finding(
            export,
            r,
            &role_account,
            &auditor.opts,
            auditor.now,
            &mut notes,
        ) {
            Ok(f) => {
                result.roles += 1;
                result.findings.extend(f);
            }
            Err(why) => result.skipped.push(why),
        }
    }
    progress(total, total);
    result.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.name.cmp(&b.name))
    });
    result.notes = aggregate_notes(notes);
    result
}

/// How many principals an aggregated note names before it counts the rest.
const NOTE_NAMES_SHOWN: usize = 5;

/// The notes with repeats folded: the same missing managed policy or group noted for 500 users
/// (or for every member of a group) becomes one note naming the first few and counting all.
/// Notes of other shapes are kept once each, in the order they were first made.
fn aggregate_notes(notes: Vec<String>) -> Vec<String> {
    // (the sentence the referrers are appended to) -> referrers, in order, and a set of them
    // (an account of 10,000 users stays linear).
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<String, usize> = Default::default();
    let mut seen: rustc_hash::FxHashSet<(usize, String)> = Default::default();
    for n in notes {
        let (key, who) = note_shape(&n).unwrap_or_else(|| (n.clone(), String::new()));
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        if !who.is_empty() && seen.insert((i, who.clone())) {
            groups[i].1.push(who);
        }
    }
    groups
        .into_iter()
        .map(|(key, whos)| {
            if whos.is_empty() {
                return key;
            }
            let mut names = whos[..whos.len().min(NOTE_NAMES_SHOWN)].join(", ");
            if whos.len() > NOTE_NAMES_SHOWN {
                names.push_str(&format!(" and {} more", whos.len() - NOTE_NAMES_SHOWN));
            }
            key + &names
        })
        .collect()
}

/// A note that names a referrer in a known sentence: (the sentence the referrers are appended
/// to, the referrer). IAM names hold no spaces, so a referrer is its first two words ("user bob").
fn note_shape(note: &str) -> Option<(String, String)> {
    let mut words = note.splitn(3, ' ');
    let (kind, name, rest) = (words.next()?, words.next()?, words.next()?);
    if !matches!(kind, "user" | "role" | "group") {
        return None;
    }
    let who = format!("{kind} {name}");
    if let Some(r) = rest.strip_prefix("references managed policy ") {
        let (arn, tail) = r.split_once(", which is not in the export's Policies list")?;
        return Some((
            format!(
                "managed policy {arn} is not in the export's Policies list{}; it is left out for ",
                tail.trim_end_matches("; it is left out")
            ),
            who,
        ));
    }
    if let Some(r) = rest.strip_prefix("is in group ") {
        let (g, _) = r.split_once(", which is not in the export's GroupDetailList")?;
        return Some((
            format!(
                "group {g} is not in the export's GroupDetailList; its policies are left out for "
            ),
            who,
        ));
    }
    if rest
        .ends_with("is not in the credential report; assumed to have a password and an active key")
    {
        return Some((
            "not in the credential report, so assumed to have a password and an active key: {}"
                .into(),
            who,
        ));
    }
    None
}

/// A caller a trust policy names, as the audit simulates it.
struct TrustCaller {
    /// The ARN the simulated request comes from.
    arn: String,
    /// How the finding names it ("any principal of account 111122223333").
    label: String,
    /// The credential contexts it can call with: a role is reached by a role session, a user
    /// with long-term keys or the console.
    presets: &'static [Preset],
}

/// Candidate callers named by a trust policy's AWS principals. Service principals are not
/// callers a user controls, so a role only services can assume is no MFA bypass.
fn trust_callers(trust: &Policy, account: &str) -> Vec<TrustCaller> {
    const HUMAN: &[Preset] = &[Preset::AccessKeys, Preset::Console];
    const ROLE: &[Preset] = &[Preset::Role];
    let mut out: Vec<TrustCaller> = Vec::new();
    let mut push = |arn: String, label: String, presets| {
        if !out.iter().any(|c| c.arn == arn) {
            out.push(TrustCaller {
                arn,
                label,
                presets,
            });
        }
    };
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
                crate::policy::PrincipalEntry::Any => push(
                    "arn:aws:iam::999999999999:user/anyone".to_string(),
                    "anyone (Principal \"*\")".to_string(),
                    HUMAN,
                ),
                crate::policy::PrincipalEntry::Aws(v) => {
                    let acct = if crate::values::is_account_id(v) {
                        Some(v.as_str())
                    } else {
                        v.strip_suffix(":root").and_then(|x| x.rsplit(':').next())
                    };
                    if let Some(a) = acct {
                        push(
                            format!("arn:aws:iam::{a}:user/any-user"),
                            format!("any principal of account {a}"),
                            HUMAN,
                        );
                    } else if v.contains(":user/") || v.contains(":federated-user/") {
                        push(v.clone(), v.clone(), HUMAN);
                    } else if v.contains(":assumed-role/") {
                        push(v.clone(), v.clone(), ROLE);
                    } else if v.contains(":role/") {
                        let name = v.rsplit('/').next().unwrap_or("role");
                        let acct = crate::values::account::arn_account(v).unwrap_or(account);
                        push(
                            format!("arn:aws:sts::{acct}:assumed-role/{name}/session"),
                            format!("sessions of role {v}"),
                            ROLE,
                        );
                    }
                }
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    out
}

/// One role: can a caller named by its trust policy assume it without MFA, and does it then
/// grant sampled sensitive actions? `Err` when the role cannot be audited.
///
/// Kept whole: who can assume the role, then what the role grants; the second half only runs for a
/// caller found by the first.
fn role_finding(
    export: &AccountExport,
    r: &export::Role,
    account: &str,
    opts: &AuditOptions,
    now: i64,
    notes: &mut Vec<String>,
) -> Result<Option<Finding>, String> {
    let Some(trust) = r.trust.as_ref() else {
        return Ok(None);
    };
    let allow_assume = crate::policy::parse_policy_text(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#,
        "caller",
        "caller's identity policy",
        PolicyKind::Identity,
        Default::default(),
    )
    .map_err(|_| "internal: the caller policy does not parse".to_string())?
    .0;
    let external_id: Option<String> = trust
        .statements
        .iter()
        .flat_map(|st| st.conditions.iter())
        .find(|c| c.key.eq_ignore_ascii_case("sts:ExternalId"))
        .and_then(|c| c.values.first().cloned());
    // Can a caller assume the role without MFA?
    let mut assumable: Option<(String, StatementRef, bool)> = None;
    'callers: for caller in trust_callers(trust, account) {
        let Ok(principal) = Principal::parse(&caller.arn) else {
            continue;
        };
        let sc = Scenario {
            identity: vec![allow_assume.clone()],
            resource_policy: Some(trust.clone()),
            resource_account: Some(account.to_string()),
            settings: opts.settings.clone(),
            ..Default::default()
        };
        let set = PolicySet::compile(&sc).map_err(|e| format!("role {}: {e}", r.name))?;
        for &preset in caller.presets {
            let mut ctx = set.context(&principal, preset, &r.arn, now);
            // A third party given the ExternalId passes it: simulate that caller.
            if let Some(x) = &external_id {
                ctx.set_one("sts:ExternalId", x.clone());
            }
            let req = Request {
                principal: &principal,
                action: "sts:AssumeRole",
                resource: &r.arn,
                preset,
            };
            let o = set.evaluate(&req, &set.bind(&ctx));
            if o.decision != Decision::Allowed {
                continue;
            }
            let trust_stmt = o
                .statements
                .iter()
                .find(|id| set.statement_info(**id).0 == crate::compile::Layer::Resource)
                .map(|id| statement_ref(&set, *id));
            if let Some(s) = trust_stmt {
                let cross = principal.account.as_deref() != Some(account);
                assumable = Some((format!("{} ({})", caller.label, preset.name()), s, cross));
                break 'callers;
            }
        }
    }
    let Some((who, trust_stmt, cross_account)) = assumable else {
        return Ok(None);
    };
    // Does the role grant sensitive actions?
    let session = format!("arn:aws:sts::{account}:assumed-role/{}/session", r.name);
    let principal = Principal::parse(&session).map_err(|e| format!("role {}: {e}", r.name))?;
    let identity = export.role_policies(r, notes);
    let boundary = r
        .boundary
        .as_ref()
        .and_then(|a| export.managed_policy(a, &format!("role {}", r.name), notes));
    let sc = opts.principal_scenario(identity, boundary);
    let set = PolicySet::compile(&sc).map_err(|e| format!("role {}: {e}", r.name))?;
    let mut granted = Vec::new();
    let mut grant_stmt = None;
    for (action, tmpl) in &opts.sampled {
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
        return Ok(None);
    }
    let cross = if cross_account {
        if external_id.is_some() {
            " It is a cross-account trust with an sts:ExternalId condition (the third-party pattern): the external party's callers need no MFA."
        } else {
            " It is a cross-account trust without an MFA condition: the other account decides who calls."
        }
    } else {
        ""
    };
    let via = grant_stmt
        .map(|s| format!(" (granted by {})", s.label))
        .unwrap_or_default();
    Ok(Some(Finding {
        severity: severity_of(&granted),
        kind: FindingKind::RoleBypass,
        subject_type: "role",
        name: r.name.clone(),
        arn: r.arn.clone(),
        context: Some("role"),
        message: format!(
            "role {} ({}) can be assumed without MFA by {who} through {} and grants {}{via}: a bypass for users who are otherwise forced to use MFA.{cross}",
            r.name,
            r.arn,
            trust_stmt.with_location(),
            action_list(&granted)
        ),
        actions: granted,
        statement: Some(trust_stmt),
        fix: "add \"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"} to the trust policy's Allow for human principals (BoolIfExists would let long-term keys through)".into(),
    }))
}

#[cfg(test)]
mod note_tests {
    use super::*;

    #[test]
    fn folded_notes_keep_braces_in_names_and_count_each_referrer_once() {
        let arn = "arn:aws:iam::111122223333:policy/{}/p";
        let note = |who: &str| {
            format!("{who} references managed policy {arn}, which is not in the export's Policies list (export with --filter LocalManagedPolicy AWSManagedPolicy to include it); it is left out")
        };
        let notes = vec![
            note("user a"),
            note("user b"),
            note("user a"),
            "other".into(),
        ];
        let out = aggregate_notes(notes);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(
            out[0].contains(&format!("managed policy {arn} is not")),
            "{}",
            out[0]
        );
        assert!(
            out[0].ends_with("left out for user a, user b"),
            "{}",
            out[0]
        );
        assert_eq!(out[1], "other");
    }
}
