//! The MFA-enforcement audit behind `iamsim mfa` (semantics §8): for every way a principal can
//! call AWS — console with and without MFA, long-term access keys, `GetSessionToken` sessions,
//! role sessions, forward access sessions — evaluate a set of probe requests, and decide whether
//! MFA enforcement holds, where it leaks and why, and whether a user without MFA can still enrol
//! a device (lockouts).
//!
//! * [`audit`] builds the matrix ([`Row`]s of [`Cell`]s) and the verdicts;
//! * [`diagnose`] names the cause of each leak and lockout from the policies themselves;
//! * [`render`] prints the report as a terminal table, JSON (`docs/mfa-json.md`) or SARIF 2.1.0.
//!
//! ```
//! use iamsim::compile::Scenario;
//! use iamsim::context::Principal;
//! use iamsim::mfa::{audit, default_probes, AuditInput, Status, Check};
//! use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
//!
//! let text = r#"{"Version":"2012-10-17","Statement":[
//!   {"Effect":"Allow","Action":"*","Resource":"*"},
//!   {"Sid":"DenyWithoutMFA","Effect":"Deny","Action":"*","Resource":"*",
//!    "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
//! let (policy, _) = parse_policy_text(text, "p.json", "p.json", PolicyKind::Identity, ParseOptions::default()).unwrap();
//! let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
//! let probes = default_probes(&principal);
//! let report = audit(&AuditInput { principal, scenario: Scenario { identity: vec![policy], ..Default::default() }, probes, now: 1_700_000_000 }).unwrap();
//! assert_eq!(report.verdict(Check::LongTermKeys).status, Status::Leak); // Bool, not BoolIfExists
//! assert_eq!(report.verdict(Check::Console).status, Status::Holds);
//! ```

pub mod diagnose;
pub mod lint;
pub mod render;

use crate::compile::{PolicySet, Scenario};
use crate::context::{build_context, Preset, Principal, PrincipalKind};
use crate::eval::{Decision, Missing, Outcome, Request, ServiceRule};
use crate::policy::{parse_policy_text, ParseOptions, PolicyKind};
use crate::report::{reason, statement_ref, StatementRef};
use crate::values::wildcard::Wildcard;
use serde::Serialize;
use std::fmt;

/// What a probe request stands for, which decides how its denial or allowance is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// A sensitive action: allowed without MFA is a leak.
    Sensitive,
    /// A step of MFA self-enrolment: denied without MFA is a lockout.
    Enrolment,
    /// Self-service a user may need before having MFA (`iam:GetUser`, `iam:ChangePassword`):
    /// denied without MFA is a warning.
    SelfService,
}

/// One request evaluated in every credential context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN or `*`.
    pub resource: String,
    /// How the result is judged.
    pub kind: ProbeKind,
}

impl Probe {
    fn new(action: &str, resource: String, kind: ProbeKind) -> Probe {
        Probe {
            action: action.to_string(),
            resource,
            kind,
        }
    }
}

/// Enrolment actions whose denial locks a user out (semantics §5.1, §5.2).
pub const ENROLMENT_ACTIONS: &[&str] = &[
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ListMFADevices",
    "iam:ResyncMFADevice",
];

/// Self-service actions whose denial without MFA is only a warning.
pub const SELF_SERVICE_ACTIONS: &[&str] = &["iam:GetUser", "iam:ChangePassword"];

/// The kind a probe of `action` gets.
pub fn probe_kind(action: &str) -> ProbeKind {
    if ENROLMENT_ACTIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action))
    {
        ProbeKind::Enrolment
    } else if SELF_SERVICE_ACTIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action))
    {
        ProbeKind::SelfService
    } else {
        ProbeKind::Sensitive
    }
}

/// The resource a probe of `action` is authorized against for `p` (semantics §5.2); `*` for
/// actions this list does not know.
pub fn default_resource(p: &Principal, action: &str) -> String {
    let part = &p.partition;
    let acct = p.account.as_deref().unwrap_or("111122223333");
    let user_arn = match &p.kind {
        PrincipalKind::User { .. } => p.arn.clone(),
        _ => format!("arn:{part}:iam::{acct}:user/example-user"),
    };
    let user_name = match &p.kind {
        PrincipalKind::User { name, .. } => name.clone(),
        _ => "example-user".to_string(),
    };
    match action.to_ascii_lowercase().as_str() {
        "s3:getobject" => format!("arn:{part}:s3:::example-bucket/example-object"),
        "ec2:runinstances" => format!("arn:{part}:ec2:us-east-1:{acct}:instance/*"),
        "sts:assumerole" => format!("arn:{part}:iam::{acct}:role/example-role"),
        "kms:decrypt" => {
            format!("arn:{part}:kms:us-east-1:{acct}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        }
        "secretsmanager:getsecretvalue" => {
            format!("arn:{part}:secretsmanager:us-east-1:{acct}:secret:example-AbCdEf")
        }
        "iam:createvirtualmfadevice" => format!("arn:{part}:iam::{acct}:mfa/{user_name}"),
        "iam:createaccesskey"
        | "iam:deactivatemfadevice"
        | "iam:enablemfadevice"
        | "iam:listmfadevices"
        | "iam:resyncmfadevice"
        | "iam:getuser"
        | "iam:changepassword" => user_arn,
        _ => "*".to_string(),
    }
}

/// The representative sensitive actions probed by default (semantics §8), each with the
/// resource it is authorized against.
pub const DEFAULT_SENSITIVE_ACTIONS: &[&str] = &[
    "s3:ListAllMyBuckets",
    "s3:GetObject",
    "ec2:RunInstances",
    "ec2:DescribeInstances",
    "iam:CreateAccessKey",
    "iam:ListUsers",
    "iam:DeactivateMFADevice",
    "sts:AssumeRole",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
];

/// The default probe set for `p`: the sensitive actions, and for IAM users the self-service
/// enrolment actions (a virtual device named after the user *and* one named differently, as the
/// console lets users choose any name), `iam:GetUser` and `iam:ChangePassword`.
pub fn default_probes(p: &Principal) -> Vec<Probe> {
    let mut out: Vec<Probe> = DEFAULT_SENSITIVE_ACTIONS
        .iter()
        .map(|a| Probe::new(a, default_resource(p, a), ProbeKind::Sensitive))
        .collect();
    if let PrincipalKind::User { name, .. } = &p.kind {
        for a in ENROLMENT_ACTIONS.iter().chain(SELF_SERVICE_ACTIONS) {
            out.push(Probe::new(a, default_resource(p, a), probe_kind(a)));
            if *a == "iam:CreateVirtualMFADevice" {
                let acct = p.account.as_deref().unwrap_or("");
                out.push(Probe::new(
                    a,
                    format!("arn:{}:iam::{acct}:mfa/{name}-phone", p.partition),
                    ProbeKind::Enrolment,
                ));
            }
        }
    }
    out
}

/// Expands `--action` values: `PATTERN` or `PATTERN=RESOURCE`. A pattern with `*`/`?` selects
/// the matching default probes; an exact action name selects its default probes; anything that
/// matches nothing is evaluated literally (on `RESOURCE`, else the action's default resource).
/// A given `RESOURCE` replaces the resource of every probe the pattern selects.
pub fn expand_actions(p: &Principal, specs: &[String]) -> Result<Vec<Probe>, String> {
    let defaults = default_probes(p);
    let mut out: Vec<Probe> = Vec::new();
    for spec in specs {
        let (pat, res) = match spec.split_once('=') {
            Some((a, r)) => (a.trim(), Some(r.trim())),
            None => (spec.trim(), None),
        };
        if pat != "*" && pat.split(':').count() != 2 {
            return Err(format!(
                "action \"{pat}\" must be service:Action (wildcards allowed)"
            ));
        }
        if res.is_some_and(str::is_empty) {
            return Err(format!("--action {spec}: the resource after '=' is empty"));
        }
        let w = Wildcard::new(&pat.to_ascii_lowercase());
        let mut hits: Vec<Probe> = defaults
            .iter()
            .filter(|d| w.matches(&d.action.to_ascii_lowercase()))
            .cloned()
            .collect();
        if hits.is_empty() {
            if pat.contains(['*', '?']) {
                // A pattern is not an action: evaluating "ec2:Nothing*" as a literal action
                // would report on a request nobody can make.
                return Err(format!(
                    "\"{pat}\" matches none of the default probe actions; give actions by name (wildcards only select from the defaults)"
                ));
            }
            hits.push(Probe::new(pat, default_resource(p, pat), probe_kind(pat)));
        }
        if let Some(r) = res {
            for h in &mut hits {
                h.resource = r.to_string();
            }
        }
        for h in hits {
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    Ok(out)
}

/// The services probed when the policies name none (only `*`): those of the default probes.
pub const DEFAULT_PROBE_SERVICES: &[&str] = &["ec2", "iam", "kms", "s3", "secretsmanager", "sts"];

/// Probes chosen by access level (`--actions LEVEL`): every catalog action of `levels` in the
/// services `policies` name (or [`DEFAULT_PROBE_SERVICES`] when they name none), each on its
/// default resource or a sample of its resource type, followed for IAM users by the enrolment
/// and self-service probes of [`default_probes`] (so lockouts are still checked). Also returns
/// the services probed.
pub fn level_probes<'a>(
    p: &Principal,
    policies: impl IntoIterator<Item = &'a crate::policy::Policy>,
    levels: &[crate::catalog::AccessLevel],
) -> (Vec<Probe>, Vec<&'static str>) {
    use crate::catalog::probes::{actions_at_levels, sample_resource, services_named};
    let mut services = services_named(policies);
    if services.is_empty() {
        services = DEFAULT_PROBE_SERVICES.to_vec();
    }
    let acct = p.account.as_deref().unwrap_or("111122223333");
    let mut out: Vec<Probe> = actions_at_levels(&services, levels)
        .iter()
        .map(|a| {
            let name = a.full_name();
            let mut resource = default_resource(p, &name);
            if resource == "*" {
                resource = sample_resource(a, &p.partition, acct);
            }
            let kind = probe_kind(&name);
            Probe::new(&name, resource, kind)
        })
        .collect();
    for d in default_probes(p) {
        if d.kind != ProbeKind::Sensitive && !out.contains(&d) {
            out.push(d);
        }
    }
    (out, services)
}

/// Which account a row is evaluated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountVariant {
    /// The scenario as given (a member account when SCPs are given).
    AsGiven,
    /// The same scenario as if the account were the organization's management account.
    Management,
    /// An automation role session (EC2/Lambda/CI) in the same account, whose own policies allow
    /// everything: only the guardrails (SCPs, RCPs) decide.
    AutomationRole,
}

impl AccountVariant {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            AccountVariant::AsGiven => "as given",
            AccountVariant::Management => "management account",
            AccountVariant::AutomationRole => "automation role",
        }
    }
}

/// One evaluated request.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// `service:Action`.
    pub action: String,
    /// Resource.
    pub resource: String,
    /// Kind of probe.
    pub kind: ProbeKind,
    /// The decision.
    pub decision: Decision,
    /// Deciding statements: the explicit deny, or the allows the grant rests on.
    pub deciding: Vec<StatementRef>,
    /// For an implicit deny, the layer without an allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_allow: Option<Missing>,
    /// A service rule outside the policy language that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_rule: Option<ServiceRule>,
    /// AWS-style one-line reason.
    pub reason: String,
    /// Whether this cell is part of a leak or lockout finding.
    pub finding: bool,
    #[serde(skip)]
    outcome: Outcome,
    #[serde(skip)]
    set: usize,
}

/// One credential context (a row of the matrix) with a cell per probe.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The credential preset (cases.md).
    #[serde(skip)]
    pub context: Preset,
    /// The preset's name.
    #[serde(rename = "context")]
    pub context_name: &'static str,
    /// The account variant.
    pub account: AccountVariant,
    /// The caller of this row.
    pub principal: String,
    /// For `role-mfa` rows: the value of `role_session_mfa_from_assume_role_params` used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_session_mfa_from_assume_role_params: Option<bool>,
    /// `aws:MultiFactorAuthPresent` in this context (`None`: absent).
    pub mfa_present: Option<bool>,
    /// `aws:ViaAWSService` in this context.
    pub via_aws_service: bool,
    /// One cell per probe, in probe order.
    pub cells: Vec<Cell>,
    #[serde(skip)]
    set: usize,
}

impl Row {
    /// A short column title: the preset, marked for the management account, the automation
    /// role and the alternative role-session MFA setting.
    pub fn title(&self) -> String {
        let mut t = self.context_name.to_string();
        if let Some(v) = self.role_session_mfa_from_assume_role_params {
            t.push_str(if v { "(obs)" } else { "(doc)" });
        }
        match self.account {
            AccountVariant::AsGiven => t,
            AccountVariant::Management => format!("mgmt:{t}"),
            AccountVariant::AutomationRole => format!("auto:{t}"),
        }
    }
}

/// The sub-results of semantics §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Console sign-in without MFA is denied.
    Console,
    /// Long-term access keys (which carry no MFA key) are denied.
    LongTermKeys,
    /// STS sessions without MFA (`GetSessionToken`; role sessions) are denied.
    StsSessions,
    /// Role sessions created with MFA: ambiguous AWS behaviour (semantics §9.1).
    RoleSessionMfa,
    /// Forward access sessions (a service acting with the caller's credentials).
    ForwardAccess,
    /// SCP coverage: management account, automation roles.
    ScpCoverage,
    /// A user without MFA can enrol a device.
    Enrolment,
}

/// Every check, in report order.
pub const CHECKS: &[Check] = &[
    Check::Console,
    Check::LongTermKeys,
    Check::StsSessions,
    Check::RoleSessionMfa,
    Check::ForwardAccess,
    Check::ScpCoverage,
    Check::Enrolment,
];

impl Check {
    /// The check's title.
    pub fn title(self) -> &'static str {
        match self {
            Check::Console => "console enforced",
            Check::LongTermKeys => "long-term keys enforced",
            Check::StsSessions => "STS sessions enforced",
            Check::RoleSessionMfa => "role sessions with MFA",
            Check::ForwardAccess => "forward access sessions",
            Check::ScpCoverage => "SCP coverage",
            Check::Enrolment => "MFA self-enrolment",
        }
    }
}

/// The state of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Enforcement holds (possibly with warnings).
    Holds,
    /// A request without MFA is allowed.
    Leak,
    /// A user without MFA cannot enrol.
    Lockout,
    /// The result depends on an ambiguous AWS behaviour; both outcomes are shown.
    Depends,
    /// Nothing to check for this principal or scenario.
    NotApplicable,
}

impl Status {
    /// The spelling used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Leak => "LEAK",
            Status::Lockout => "LOCKOUT",
            Status::Depends => "depends",
            Status::NotApplicable => "n/a",
        }
    }
}

/// The verdict on one check.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Which check.
    pub check: Check,
    /// Its title.
    pub title: &'static str,
    /// The state.
    pub status: Status,
    /// One line of explanation.
    pub summary: String,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A request without MFA is allowed.
    Leak,
    /// A user without MFA cannot complete enrolment.
    Lockout,
    /// Worth knowing; does not fail the audit.
    Warning,
}

/// The rules findings are reported under (SARIF `ruleId`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rule {
    /// MFA001: the MFA deny uses `Bool`, which is false when the key is absent (long-term keys).
    BoolInsteadOfBoolIfExists,
    /// MFA002: an MFA condition on an Allow is overridden by another Allow without one.
    AllowConditionOverridden,
    /// MFA003: nothing denies requests without MFA.
    NoMfaDeny,
    /// MFA004: the MFA deny is an SCP, and SCPs do not apply to the management account.
    ScpNotInManagementAccount,
    /// MFA005: the MFA deny's Action/Resource does not cover the action.
    DenyDoesNotCoverAction,
    /// MFA006: the deny tests `Null`, which only tells long-term keys from sessions.
    NullCheckOnly,
    /// MFA007: an Allow's MFA condition is satisfied without MFA (`BoolIfExists true`, `Null false`).
    ConditionAdmitsNoMfa,
    /// MFA008: the MFA deny does not apply to this caller (another condition or its principal).
    DenyScopedOut,
    /// MFA009: the root user is not governed by identity policies.
    RootNotGoverned,
    /// MFA101: an explicit deny blocks an enrolment step.
    EnrolmentDenied,
    /// MFA102: `user/` vs `mfa/` resource mix-up.
    EnrolmentWrongResourceType,
    /// MFA103: device creation is limited to `mfa/${aws:username}`.
    EnrolmentDeviceNameScoped,
    /// MFA104: `user/${aws:username}` does not match a user with a path.
    EnrolmentUserPath,
    /// MFA105: the step is allowed only with MFA.
    EnrolmentRequiresMfa,
    /// MFA106: no statement allows the step.
    EnrolmentNotAllowed,
    /// MFA201: `iam:ChangePassword` denied without MFA.
    ChangePasswordDenied,
    /// MFA202: `iam:GetUser` denied without MFA.
    GetUserDenied,
    /// MFA203: an action is exempted from the MFA deny by name (NotAction).
    ExemptedByNotAction,
    /// MFA204: the SCP also denies automation role sessions.
    ScpBlocksAutomationRoles,
    /// MFA205: role sessions created with MFA depend on an ambiguous AWS behaviour.
    RoleSessionMfaAmbiguous,
    /// MFA206: a forward-access hop is denied where the direct call is allowed.
    FasHopDenied,
    /// MFA207: nothing is allowed even with MFA.
    NothingAllowedWithMfa,
}

/// Every rule, in id order.
pub const RULES: &[Rule] = &[
    Rule::BoolInsteadOfBoolIfExists,
    Rule::AllowConditionOverridden,
    Rule::NoMfaDeny,
    Rule::ScpNotInManagementAccount,
    Rule::DenyDoesNotCoverAction,
    Rule::NullCheckOnly,
    Rule::ConditionAdmitsNoMfa,
    Rule::DenyScopedOut,
    Rule::RootNotGoverned,
    Rule::EnrolmentDenied,
    Rule::EnrolmentWrongResourceType,
    Rule::EnrolmentDeviceNameScoped,
    Rule::EnrolmentUserPath,
    Rule::EnrolmentRequiresMfa,
    Rule::EnrolmentNotAllowed,
    Rule::ChangePasswordDenied,
    Rule::GetUserDenied,
    Rule::ExemptedByNotAction,
    Rule::ScpBlocksAutomationRoles,
    Rule::RoleSessionMfaAmbiguous,
    Rule::FasHopDenied,
    Rule::NothingAllowedWithMfa,
];

impl Rule {
    /// The stable id (`MFA001`).
    pub fn id(self) -> &'static str {
        self.info().0
    }
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        self.info().1
    }
    /// A one-line description.
    pub fn description(self) -> &'static str {
        self.info().2
    }
    /// How to fix it.
    pub fn fix(self) -> &'static str {
        self.info().3
    }
    /// Leak, lockout or warning.
    pub fn kind(self) -> FindingKind {
        match self.id().as_bytes()[3] {
            b'0' => FindingKind::Leak,
            b'1' => FindingKind::Lockout,
            _ => FindingKind::Warning,
        }
    }

    fn info(self) -> (&'static str, &'static str, &'static str, &'static str) {
        use Rule::*;
        match self {
            BoolInsteadOfBoolIfExists => ("MFA001", "bool-instead-of-bool-if-exists",
                "The MFA deny uses Bool instead of BoolIfExists, so long-term access keys (which carry no aws:MultiFactorAuthPresent key) pass.",
                "Use \"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"} in the Deny."),
            AllowConditionOverridden => ("MFA002", "allow-condition-overridden",
                "An MFA condition on an Allow only limits that grant; another Allow without one grants the action without MFA.",
                "Enforce MFA with a Deny (BoolIfExists aws:MultiFactorAuthPresent false), or remove the unconditioned grant."),
            NoMfaDeny => ("MFA003", "no-mfa-deny",
                "No policy denies requests without MFA.",
                "Add a Deny with \"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"} (AWS's force-MFA policy, or an SCP in member accounts)."),
            ScpNotInManagementAccount => ("MFA004", "scp-not-in-management-account",
                "MFA is enforced by an SCP, and SCPs never apply to the organization's management account.",
                "Enforce MFA in the management account with IAM policies (or keep no IAM users there)."),
            DenyDoesNotCoverAction => ("MFA005", "deny-does-not-cover-action",
                "The MFA deny exists but its Action/Resource does not cover this request.",
                "Widen the Deny's Action/Resource (or use NotAction with the enrolment exceptions only)."),
            NullCheckOnly => ("MFA006", "null-check-only",
                "The deny tests Null aws:MultiFactorAuthPresent, which only tells long-term keys from temporary credentials, not whether MFA was used.",
                "Use \"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"} in the Deny."),
            ConditionAdmitsNoMfa => ("MFA007", "condition-admits-no-mfa",
                "An Allow's MFA condition is satisfied without MFA (BoolIfExists true admits long-term keys; Null false admits every temporary credential).",
                "Use \"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"} on the Allow, and enforce with a Deny (BoolIfExists ... false)."),
            DenyScopedOut => ("MFA008", "deny-scoped-out",
                "The MFA deny does not apply to this caller: another of its conditions, or its principal, excludes it.",
                "Check the Deny's other conditions (aws:PrincipalType, aws:PrincipalArn, aws:ViaAWSService ...) against this caller."),
            RootNotGoverned => ("MFA009", "root-not-governed",
                "The root user is not governed by identity policies; only SCPs (member accounts) can deny it.",
                "Enable MFA on the root user, and in member accounts deny root actions without MFA with an SCP."),
            EnrolmentDenied => ("MFA101", "enrolment-denied",
                "An explicit deny blocks an MFA enrolment step for a user signed in without MFA.",
                "Exempt iam:CreateVirtualMFADevice, iam:EnableMFADevice, iam:ListMFADevices, iam:ResyncMFADevice (and iam:GetUser, sts:GetSessionToken) from the MFA deny, e.g. with NotAction."),
            EnrolmentWrongResourceType => ("MFA102", "enrolment-wrong-resource-type",
                "An enrolment action is granted on the wrong resource type: CreateVirtualMFADevice is authorized against the device (mfa/...), EnableMFADevice/ListMFADevices/ResyncMFADevice against the user (user/...).",
                "Grant iam:CreateVirtualMFADevice on arn:aws:iam::*:mfa/* and the other steps on arn:aws:iam::*:user/${aws:username}."),
            EnrolmentDeviceNameScoped => ("MFA103", "enrolment-device-name-scoped",
                "Device creation is limited to mfa/${aws:username} (the pre-Nov-2022 AWS policy); the console lets users name a device freely, and other names are denied.",
                "Grant iam:CreateVirtualMFADevice on arn:aws:iam::*:mfa/* (AWS's current policy); EnableMFADevice stays limited to the user."),
            EnrolmentUserPath => ("MFA104", "enrolment-user-path",
                "The grant names arn:aws:iam::*:user/${aws:username}, which does not match a user created with a path (user/PATH/NAME).",
                "Also grant arn:aws:iam::*:user/*/${aws:username}, or create users without a path."),
            EnrolmentRequiresMfa => ("MFA105", "enrolment-requires-mfa",
                "The enrolment step is allowed only with MFA, which a user enrolling does not have yet.",
                "Grant the enrolment steps without an MFA condition (as AWS's force-MFA policy does)."),
            EnrolmentNotAllowed => ("MFA106", "enrolment-not-allowed",
                "No statement allows the enrolment step.",
                "Grant the self-service enrolment actions (see AWS's force-MFA policy)."),
            ChangePasswordDenied => ("MFA201", "change-password-denied",
                "iam:ChangePassword is denied without MFA: a user forced to reset the password at first sign-in cannot (AWS's force-MFA policy does this on purpose).",
                "If that risk is acceptable, add iam:ChangePassword and iam:GetAccountPasswordPolicy to the deny's NotAction list."),
            GetUserDenied => ("MFA202", "get-user-denied",
                "iam:GetUser is denied without MFA: the console's security-credentials page may not load before enrolment (CLI enrolment is unaffected).",
                "Add iam:GetUser to the deny's NotAction list and grant it on the user."),
            ExemptedByNotAction => ("MFA203", "exempted-by-not-action",
                "The MFA deny names this action in NotAction, so it is allowed without MFA on purpose.",
                "Keep the exemption only if the action is needed before enrolment."),
            ScpBlocksAutomationRoles => ("MFA204", "scp-blocks-automation-roles",
                "The SCP's MFA deny also denies role sessions (EC2, Lambda, CI/CD, Identity Center), which never carry MFA: automation breaks.",
                "Scope the SCP to IAM users: add \"StringEquals\": {\"aws:PrincipalType\": \"User\"} or \"ArnLike\": {\"aws:PrincipalArn\": \"arn:aws:iam::*:user/*\"}."),
            RoleSessionMfaAmbiguous => ("MFA205", "role-session-mfa-ambiguous",
                "Whether a role session created with MFA passes per-request MFA checks is ambiguous in AWS's documentation (semantics 9.1): documented no, observed yes for sessions assumed from an MFA session.",
                "Require MFA in the role's trust policy (Bool aws:MultiFactorAuthPresent true) instead of in its permissions."),
            FasHopDenied => ("MFA206", "fas-hop-denied",
                "A service acting with the caller's credentials (forward access session) is denied where the caller's own request is allowed: S3 with SSE-KMS, CloudFormation and similar fail.",
                "Add \"aws:ViaAWSService\": \"false\" to the MFA deny's condition (as AWS's Knowledge Center policy does)."),
            NothingAllowedWithMfa => ("MFA207", "nothing-allowed-with-mfa",
                "None of the sensitive actions is allowed even with MFA, so the enforcement verdicts hold vacuously.",
                "Check the probe actions (--action) or the grants."),
        }
    }
}

/// One evaluated request that a finding rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingCase {
    /// The row's column title.
    pub context: String,
    /// `service:Action`.
    pub action: String,
    /// Resource.
    pub resource: String,
    /// The decision in that context.
    pub decision: Decision,
}

/// A leak, lockout or warning with its cause.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Leak, lockout or warning.
    pub kind: FindingKind,
    /// The rule.
    pub rule: Rule,
    /// `MFA001` ...
    pub rule_id: &'static str,
    /// The rule's name.
    pub rule_name: &'static str,
    /// The checks it affects.
    pub checks: Vec<Check>,
    /// The cause, in one sentence, naming the statement.
    pub cause: String,
    /// How to fix it.
    pub fix: &'static str,
    /// The responsible statement (its file, line and column), if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementRef>,
    /// Other statements involved.
    pub related: Vec<StatementRef>,
    /// The requests it rests on.
    pub cases: Vec<FindingCase>,
}

impl Finding {
    /// The cause followed by the affected contexts and actions.
    pub fn message(&self) -> String {
        let mut ctxs: Vec<&str> = Vec::new();
        let mut acts: Vec<String> = Vec::new();
        for c in &self.cases {
            if !ctxs.contains(&c.context.as_str()) {
                ctxs.push(&c.context);
            }
            let a = if c.action.starts_with("iam:CreateVirtualMFADevice") {
                format!("{} on {}", c.action, c.resource)
            } else {
                c.action.clone()
            };
            if !acts.contains(&a) {
                acts.push(a);
            }
        }
        if ctxs.is_empty() {
            return self.cause.clone();
        }
        format!("{} [{}: {}]", self.cause, ctxs.join(", "), acts.join(", "))
    }
}

/// The audit's input.
#[derive(Debug, Clone)]
pub struct AuditInput {
    /// The audited principal: an IAM user, the root user or a role session.
    pub principal: Principal,
    /// Its policies and organization context.
    pub scenario: Scenario,
    /// The requests to probe ([`default_probes`], [`expand_actions`]).
    pub probes: Vec<Probe>,
    /// Request time (epoch seconds).
    pub now: i64,
}

/// Why an audit could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditError {
    /// The principal is of a kind the audit does not cover (a service, a federated user, ...).
    UnsupportedPrincipal {
        /// Its ARN.
        arn: String,
        /// Its `aws:PrincipalType`.
        kind: String,
    },
    /// The probe list is empty.
    NoProbes,
    /// The scenario does not compile.
    Compile(crate::compile::CompileError),
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::UnsupportedPrincipal { arn, kind } => write!(
                f,
                "the MFA audit covers IAM users, the root user and role sessions; {arn} is a {kind} principal"
            ),
            AuditError::NoProbes => f.write_str("no actions to probe"),
            AuditError::Compile(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AuditError {}

/// The audit result.
#[derive(Debug, Clone, Serialize)]
pub struct MfaReport {
    /// Output schema name and version.
    pub schema: &'static str,
    /// The audited principal.
    pub principal: String,
    /// `user`, `root` or `role-session`.
    pub principal_kind: &'static str,
    /// Whether SCPs were given.
    pub scps: bool,
    /// Settings that matter to the MFA audit, with their values.
    pub settings: std::collections::BTreeMap<&'static str, String>,
    /// The probes.
    pub probes: Vec<Probe>,
    /// The matrix.
    pub rows: Vec<Row>,
    /// Verdicts, one per check.
    pub verdicts: Vec<Verdict>,
    /// Leaks, lockouts and warnings.
    pub findings: Vec<Finding>,
    /// 0 enforcement holds and nobody is locked out; 1 a leak or a lockout.
    pub exit_status: i32,
}

impl MfaReport {
    /// The verdict of `check`.
    pub fn verdict(&self, check: Check) -> &Verdict {
        self.verdicts
            .iter()
            .find(|v| v.check == check)
            .expect("every check has a verdict")
    }

    /// Whether any finding is a leak or a lockout.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.kind != FindingKind::Warning)
    }

    /// Findings under `rule`.
    pub fn findings_of(&self, rule: Rule) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}

/// The presets that apply to a principal kind.
pub fn presets_for(p: &Principal) -> Result<&'static [Preset], AuditError> {
    use Preset::*;
    match p.kind {
        PrincipalKind::User { .. } => Ok(&[
            Console, ConsoleMfa, AccessKeys, Session, SessionMfa, Service, ServiceMfa,
        ]),
        PrincipalKind::Root => Ok(&[Console, ConsoleMfa, AccessKeys, Session, SessionMfa]),
        PrincipalKind::RoleSession { .. } => Ok(&[Role, RoleMfa, Service, ServiceMfa]),
        _ => Err(AuditError::UnsupportedPrincipal {
            arn: p.arn.clone(),
            kind: p.principal_type().to_string(),
        }),
    }
}

/// The automation role session used to test whether SCPs hit automation.
pub fn automation_principal(p: &Principal) -> Principal {
    let acct = p.account.as_deref().unwrap_or("111122223333");
    Principal::parse(&format!(
        "arn:{}:sts::{acct}:assumed-role/automation-role/i-0123456789abcdef0",
        p.partition
    ))
    .expect("well-formed automation principal")
}

/// Everything the audit evaluated, kept for diagnosis. `twins[i]` is set `i` compiled without
/// its resource-based policy, used for probes of services that policy does not govern.
pub(crate) struct Sets {
    pub sets: Vec<PolicySet>,
    pub principals: Vec<Principal>,
    pub twins: Vec<Option<usize>>,
}

impl Sets {
    fn push(&mut self, s: &Scenario, p: &Principal) -> Result<usize, AuditError> {
        let compile = |s: &Scenario| PolicySet::compile(s).map_err(AuditError::Compile);
        self.sets.push(compile(s)?);
        self.principals.push(p.clone());
        self.twins.push(None);
        let i = self.sets.len() - 1;
        if s.resource_policy.is_some() {
            let mut t = s.clone();
            t.resource_policy = None;
            self.sets.push(compile(&t)?);
            self.principals.push(p.clone());
            self.twins.push(None);
            self.twins[i] = Some(i + 1);
        }
        Ok(i)
    }
}

/// Whether a resource-based policy governs requests for `action`: the service of one of its
/// `Resource` ARNs, or (for `*` or no `Resource`) one of its actions' service prefixes, is the
/// action's service. A bucket policy does not take part in a `kms:Decrypt` probe.
pub fn resource_policy_governs(policy: &crate::policy::Policy, action: &str) -> bool {
    let service = action.split_once(':').map(|x| x.0).unwrap_or(action);
    let svc_match = |s: &str| s == "*" || s.eq_ignore_ascii_case(service);
    policy.statements.iter().any(|st| {
        let arns: Vec<&str> = st
            .resource
            .as_ref()
            .filter(|r| !r.negated)
            .map(|r| {
                r.patterns
                    .iter()
                    .map(String::as_str)
                    .filter(|p| *p != "*")
                    .collect()
            })
            .unwrap_or_default();
        if arns.is_empty() {
            st.action.negated
                || st
                    .action
                    .patterns
                    .iter()
                    .any(|a| svc_match(a.split_once(':').map(|x| x.0).unwrap_or(a)))
        } else {
            arns.iter()
                .any(|a| a.split(':').nth(2).is_some_and(svc_match))
        }
    })
}

/// Evaluates one probe for a row.
pub(crate) fn evaluate_cell(
    set: &PolicySet,
    principal: &Principal,
    preset: Preset,
    probe: &Probe,
    now: i64,
) -> Cell {
    let ctx = set.context(principal, preset, &probe.resource, now);
    let req = Request {
        principal,
        action: &probe.action,
        resource: &probe.resource,
        preset,
    };
    let outcome = set.evaluate(&req, &set.bind(&ctx));
    Cell {
        action: probe.action.clone(),
        resource: probe.resource.clone(),
        kind: probe.kind,
        decision: outcome.decision,
        deciding: outcome
            .statements
            .iter()
            .map(|id| statement_ref(set, *id))
            .collect(),
        missing_allow: outcome.missing,
        service_rule: outcome.rule,
        reason: reason(set, &req, &outcome),
        finding: false,
        outcome,
        set: 0,
    }
}

/// Runs the audit: evaluates every probe in every credential context that applies to the
/// principal (and, with SCPs, again as the management account and for an automation role),
/// then judges the checks of semantics §8 and diagnoses every leak and lockout.
///
/// Kept whole: it builds the rows in the order the report shows them (as given, management account,
/// automation role).
pub fn audit(input: &AuditInput) -> Result<MfaReport, AuditError> {
    let p = &input.principal;
    let presets = presets_for(p)?;
    if input.probes.is_empty() {
        return Err(AuditError::NoProbes);
    }
    // The probes include sts:AssumeRole on a role and kms:Decrypt on a key. Without a trust or
    // key policy in the scenario, assume the common one that delegates to the account (AWS's
    // default key policy), so the identity policies under audit decide those probes.
    let mut owned = input.scenario.clone();
    owned.settings.missing_trust_or_key_policy_delegates = true;
    let sc = if input.scenario.resource_policy.is_none() {
        &owned
    } else {
        &input.scenario
    };
    let has_scps = !sc.scps.is_empty();
    let is_role = matches!(p.kind, PrincipalKind::RoleSession { .. });
    let mut sets = Sets {
        sets: vec![],
        principals: vec![],
        twins: vec![],
    };
    sets.push(sc, p)?;
    let mut rows = Vec::new();
    let base_setting = sc.settings.role_session_mfa_from_assume_role_params;
    for &preset in presets {
        let setting = (preset == Preset::RoleMfa).then_some(base_setting);
        rows.push(make_row(
            &sets,
            0,
            preset,
            AccountVariant::AsGiven,
            setting,
            input,
        ));
        if preset == Preset::RoleMfa {
            // Semantics §9.1: show the outcome under the other reading too.
            let mut alt = sc.clone();
            alt.settings.role_session_mfa_from_assume_role_params = !base_setting;
            let i = sets.push(&alt, p)?;
            rows.push(make_row(
                &sets,
                i,
                preset,
                AccountVariant::AsGiven,
                Some(!base_setting),
                input,
            ));
        }
    }
    if has_scps && !sc.management_account {
        let mut m = sc.clone();
        m.management_account = true;
        let i = sets.push(&m, p)?;
        for &preset in presets {
            if preset == Preset::RoleMfa {
                continue; // the setting is shown in the member rows
            }
            rows.push(make_row(
                &sets,
                i,
                preset,
                AccountVariant::Management,
                None,
                input,
            ));
        }
    }
    if has_scps && !is_role {
        let (allow_all, _) = parse_policy_text(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"AutomationRoleAllowsAll","Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            "(automation role)",
            "automation-role",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .expect("the automation role's allow-all policy parses");
        let a = Scenario {
            identity: vec![allow_all],
            scps: sc.scps.clone(),
            rcps: sc.rcps.clone(),
            resource_account: sc.resource_account.clone(),
            organization: sc.organization.clone(),
            management_account: sc.management_account,
            settings: sc.settings.clone(),
            ..Default::default()
        };
        let i = sets.push(&a, &automation_principal(p))?;
        rows.push(make_row(
            &sets,
            i,
            Preset::Role,
            AccountVariant::AutomationRole,
            None,
            input,
        ));
    }
    let mut findings = Vec::new();
    let verdicts = diagnose::judge(input, &sets, &mut rows, &mut findings);
    let failed = findings.iter().any(|f| f.kind != FindingKind::Warning);
    let s = &sc.settings;
    Ok(MfaReport {
        schema: "iamsim-mfa/2",
        principal: p.arn.clone(),
        principal_kind: match p.kind {
            PrincipalKind::User { .. } => "user",
            PrincipalKind::Root => "root",
            _ => "role-session",
        },
        scps: has_scps,
        settings: [
            (
                "role_session_mfa_from_assume_role_params",
                s.role_session_mfa_from_assume_role_params.to_string(),
            ),
            (
                "role_session_inherits_caller_session_mfa",
                s.role_session_inherits_caller_session_mfa.to_string(),
            ),
            ("management_account", sc.management_account.to_string()),
        ]
        .into_iter()
        .collect(),
        probes: input.probes.clone(),
        rows,
        verdicts,
        findings,
        exit_status: i32::from(failed),
    })
}

fn make_row(
    sets: &Sets,
    set: usize,
    preset: Preset,
    account: AccountVariant,
    setting: Option<bool>,
    input: &AuditInput,
) -> Row {
    let ps = &sets.sets[set];
    let principal = &sets.principals[set];
    let ctx = build_context(principal, preset, ps.settings(), input.now);
    let mfa_present = match ctx.get("aws:MultiFactorAuthPresent") {
        Some(crate::context::CtxValue::One(v)) => Some(v == "true"),
        _ => None,
    };
    let via_aws_service = matches!(
        ctx.get("aws:ViaAWSService"),
        Some(crate::context::CtxValue::One(v)) if v == "true"
    );
    let probes: Vec<&Probe> = if account == AccountVariant::AutomationRole {
        input
            .probes
            .iter()
            .filter(|p| p.kind == ProbeKind::Sensitive)
            .collect()
    } else {
        input.probes.iter().collect()
    };
    Row {
        context: preset,
        context_name: preset.name(),
        account,
        principal: principal.arn.clone(),
        role_session_mfa_from_assume_role_params: setting,
        mfa_present,
        via_aws_service,
        cells: probes
            .into_iter()
            .map(|pr| {
                let i = match (sets.twins[set], &input.scenario.resource_policy) {
                    (Some(t), Some(rp)) if !resource_policy_governs(rp, &pr.action) => t,
                    _ => set,
                };
                let mut c = evaluate_cell(&sets.sets[i], principal, preset, pr, input.now);
                c.set = i;
                c
            })
            .collect(),
        set,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Principal {
        Principal::parse("arn:aws:iam::111122223333:user/ops/alice").unwrap()
    }

    #[test]
    fn default_probes_include_both_device_names_and_the_user_path() {
        let probes = default_probes(&alice());
        let create: Vec<&str> = probes
            .iter()
            .filter(|p| p.action == "iam:CreateVirtualMFADevice")
            .map(|p| p.resource.as_str())
            .collect();
        assert_eq!(
            create,
            [
                "arn:aws:iam::111122223333:mfa/alice",
                "arn:aws:iam::111122223333:mfa/alice-phone"
            ]
        );
        let enable = probes
            .iter()
            .find(|p| p.action == "iam:EnableMFADevice")
            .unwrap();
        assert_eq!(enable.resource, "arn:aws:iam::111122223333:user/ops/alice");
        assert_eq!(enable.kind, ProbeKind::Enrolment);
        let cp = probes
            .iter()
            .find(|p| p.action == "iam:ChangePassword")
            .unwrap();
        assert_eq!(cp.kind, ProbeKind::SelfService);
    }

    #[test]
    fn roles_and_root_get_no_enrolment_probes() {
        for who in [
            "arn:aws:iam::111122223333:root",
            "arn:aws:sts::111122223333:assumed-role/R/s",
        ] {
            let p = Principal::parse(who).unwrap();
            assert!(default_probes(&p)
                .iter()
                .all(|x| x.kind == ProbeKind::Sensitive));
        }
    }

    #[test]
    fn expand_actions_wildcards_literals_and_resources() {
        let p = alice();
        let e = expand_actions(&p, &["s3:*".into()]).unwrap();
        assert_eq!(e.len(), 2);
        let e = expand_actions(&p, &["lambda:InvokeFunction".into()]).unwrap();
        assert_eq!(
            (e[0].resource.as_str(), e[0].kind),
            ("*", ProbeKind::Sensitive)
        );
        let e = expand_actions(&p, &["s3:GetObject=arn:aws:s3:::b/k".into()]).unwrap();
        assert_eq!(e[0].resource, "arn:aws:s3:::b/k");
        assert!(expand_actions(&p, &["GetObject".into()]).is_err());
        assert!(expand_actions(&p, &["s3:GetObject=".into()]).is_err());
    }

    #[test]
    fn resource_policy_governs_only_its_service() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#;
        let (p, _) = parse_policy_text(
            text,
            "b.json",
            "b.json",
            PolicyKind::Resource,
            ParseOptions::default(),
        )
        .unwrap();
        assert!(resource_policy_governs(&p, "s3:GetObject"));
        assert!(!resource_policy_governs(&p, "kms:Decrypt"));
    }

    #[test]
    fn federated_users_are_rejected_with_a_reason() {
        let p = Principal::parse("arn:aws:sts::111122223333:federated-user/bob").unwrap();
        let e = presets_for(&p).unwrap_err();
        assert!(
            matches!(&e, AuditError::UnsupportedPrincipal { kind, .. } if kind == "FederatedUser"),
            "{e}"
        );
    }
}
