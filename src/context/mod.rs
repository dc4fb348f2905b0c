//! The request: who calls (the [`Principal`]), how (the credential [`Preset`]), and the condition
//! keys AWS puts in the request context for it (semantics §4).

use crate::settings::Settings;
use rustc_hash::FxHashMap;
use std::fmt;

/// What kind of caller a principal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An IAM user: `arn:aws:iam::A:user/[path/]name`.
    User {
        /// The path including leading and trailing `/` (`/` when none).
        path: String,
        /// The user name.
        name: String,
    },
    /// The account's root user: `arn:aws:iam::A:root`.
    Root,
    /// A role session: `arn:aws:sts::A:assumed-role/Role/session`.
    RoleSession {
        /// The role name (the session ARN carries no path).
        role: String,
        /// The session name.
        session: String,
    },
    /// A `GetFederationToken` session: `arn:aws:sts::A:federated-user/name`.
    FederatedUser {
        /// The federated user name.
        name: String,
    },
    /// An AWS service principal acting directly, e.g. `cloudtrail.amazonaws.com`.
    Service {
        /// The service principal name.
        name: String,
    },
    /// An unauthenticated caller.
    Anonymous,
}

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The ARN as given (or the service name / `anonymous`).
    pub arn: String,
    /// The ARN partition (`aws`, `aws-cn`, ...).
    pub partition: String,
    /// The account, for IAM principals.
    pub account: Option<String>,
    /// What kind of caller.
    pub kind: PrincipalKind,
}

/// A principal string that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalError(pub String);

impl fmt::Display for PrincipalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Principal {
    /// Parses a principal: an IAM user, root, role-session, federated-user or role ARN; a service
    /// principal (`*.amazonaws.com`); or `anonymous`.
    pub fn parse(s: &str) -> Result<Principal, PrincipalError> {
        let bad = |why: &str| {
            PrincipalError(format!(
                "invalid principal \"{s}\": {why} (expected e.g. arn:aws:iam::111122223333:user/alice, \
                 arn:aws:sts::111122223333:assumed-role/Role/session, arn:aws:iam::111122223333:root, \
                 arn:aws:sts::111122223333:federated-user/name, a service such as cloudtrail.amazonaws.com, or anonymous)"
            ))
        };
        if s == "anonymous" || s == "*" {
            return Ok(Principal {
                arn: "anonymous".into(),
                partition: "aws".into(),
                account: None,
                kind: PrincipalKind::Anonymous,
            });
        }
        if !s.starts_with("arn:") {
            if s.ends_with(".amazonaws.com") || s.ends_with(".amazonaws.com.cn") {
                return Ok(Principal {
                    arn: s.to_string(),
                    partition: "aws".into(),
                    account: None,
                    kind: PrincipalKind::Service {
                        name: s.to_string(),
                    },
                });
            }
            return Err(bad("not an ARN"));
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() != 6 {
            return Err(bad("an ARN has six colon-separated parts"));
        }
        let (partition, service, account, res) = (parts[1], parts[2], parts[4], parts[5]);
        if !crate::values::is_account_id(account) {
            return Err(bad("the account must be 12 digits"));
        }
        let kind = match service {
            "iam" if res == "root" => PrincipalKind::Root,
            "iam" if res.starts_with("user/") => {
                let rest = &res[5..];
                let (path, name) = match rest.rfind('/') {
                    Some(i) => (format!("/{}/", &rest[..i]), rest[i + 1..].to_string()),
                    None => ("/".to_string(), rest.to_string()),
                };
                if name.is_empty() {
                    return Err(bad("the user name is empty"));
                }
                PrincipalKind::User { path, name }
            }
            "iam" if res.starts_with("role/") => {
                // A role ARN as caller: one of its sessions.
                let role = res.rsplit('/').next().unwrap_or("").to_string();
                if role.is_empty() {
                    return Err(bad("the role name is empty"));
                }
                PrincipalKind::RoleSession {
                    role,
                    session: "session".into(),
                }
            }
            "sts" if res.starts_with("assumed-role/") => {
                let mut it = res[13..].splitn(2, '/');
                let role = it.next().unwrap_or("").to_string();
                let session = it.next().unwrap_or("").to_string();
                if role.is_empty() || session.is_empty() {
                    return Err(bad("expected assumed-role/RoleName/SessionName"));
                }
                PrincipalKind::RoleSession { role, session }
            }
            "sts" if res.starts_with("federated-user/") => {
                let name = res[15..].to_string();
                if name.is_empty() {
                    return Err(bad("the federated user name is empty"));
                }
                PrincipalKind::FederatedUser { name }
            }
            _ => {
                return Err(bad(
                    "not a user, root, role, role-session or federated-user ARN",
                ))
            }
        };
        let arn = match &kind {
            PrincipalKind::RoleSession { role, session } if service == "iam" => {
                format!("arn:{partition}:sts::{account}:assumed-role/{role}/{session}")
            }
            _ => s.to_string(),
        };
        Ok(Principal {
            arn,
            partition: partition.to_string(),
            account: Some(account.to_string()),
            kind,
        })
    }

    /// The value of `aws:PrincipalArn`: the user, role (not session), federated-user or root ARN.
    pub fn principal_arn(&self) -> Option<String> {
        let a = self.account.as_deref()?;
        let p = &self.partition;
        Some(match &self.kind {
            PrincipalKind::User { .. }
            | PrincipalKind::Root
            | PrincipalKind::FederatedUser { .. } => self.arn.clone(),
            PrincipalKind::RoleSession { role, .. } => format!("arn:{p}:iam::{a}:role/{role}"),
            _ => return None,
        })
    }

    /// The value of `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            PrincipalKind::User { .. } => "User",
            PrincipalKind::Root => "Account",
            PrincipalKind::RoleSession { .. } => "AssumedRole",
            PrincipalKind::FederatedUser { .. } => "FederatedUser",
            PrincipalKind::Service { .. } => "AWSService",
            PrincipalKind::Anonymous => "Anonymous",
        }
    }

    /// Whether the caller uses a session that session policies can limit (role or federated).
    pub fn is_session(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::RoleSession { .. } | PrincipalKind::FederatedUser { .. }
        )
    }

    /// Whether this is an IAM principal of some account (user, root, role session, federated).
    pub fn is_iam(&self) -> bool {
        self.account.is_some()
    }

    /// Whether the role is a service-linked role (name `AWSServiceRoleFor…`, or a role ARN under
    /// the `/aws-service-role/` path given as `aws:PrincipalArn`). SCPs and RCPs exempt them.
    pub fn is_service_linked_role(&self, principal_arn_key: Option<&str>) -> bool {
        match &self.kind {
            PrincipalKind::RoleSession { role, .. } => {
                role.starts_with("AWSServiceRoleFor")
                    || principal_arn_key.is_some_and(|a| a.contains(":role/aws-service-role/"))
            }
            _ => false,
        }
    }
}

/// An AWS Organization as a scenario states it (cases.md `organization`): its id and the member
/// accounts with their OU paths (`o-…/r-…/ou-…/`, root to parent OU, `/`-terminated, as
/// `aws:PrincipalOrgPaths` values are written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    /// The organization id, `o-` and 10 to 32 lower-case letters or digits.
    pub id: String,
    /// Member account id → its OU path.
    pub accounts: std::collections::BTreeMap<String, String>,
}

impl Organization {
    /// The OU path of a member account; `None` when the account is not listed.
    pub fn path(&self, account: &str) -> Option<&str> {
        self.accounts.get(account).map(String::as_str)
    }

    /// Sets `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths` when the principal's account is a
    /// member (semantics §4.1: only then are they present).
    pub fn set_principal_keys(&self, ctx: &mut Context, principal: &Principal) {
        if let Some(path) = principal.account.as_deref().and_then(|a| self.path(a)) {
            ctx.set_one("aws:PrincipalOrgID", self.id.clone());
            ctx.set(
                "aws:PrincipalOrgPaths",
                CtxValue::Many(vec![path.to_string()]),
            );
        }
    }
}

/// The account that owns the requested resource (cases.md, semantics §4.1): the scenario's
/// `resource_account` when given, else the account field of the resource ARN when it has one
/// (`arn:aws:sqs:us-east-1:444455556666:q`), else the principal's account (S3 ARNs carry none).
/// `None` only for a caller without an account on a resource without one.
pub fn resource_account<'a>(
    explicit: Option<&'a str>,
    resource: &'a str,
    principal: &'a Principal,
) -> Option<&'a str> {
    explicit
        .or_else(|| crate::values::account::arn_account(resource))
        .or(principal.account.as_deref())
}

/// A request-context preset: the way the caller reached AWS (cases.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Preset {
    /// Nothing beyond the principal-derived keys.
    None,
    /// Console sign-in with a password, without MFA.
    Console,
    /// Console sign-in with MFA.
    ConsoleMfa,
    /// CLI/SDK with long-term access keys.
    AccessKeys,
    /// `GetSessionToken` credentials without MFA.
    Session,
    /// `GetSessionToken` credentials with MFA.
    SessionMfa,
    /// An `AssumeRole` session created without MFA.
    Role,
    /// An `AssumeRole` session created with MFA.
    RoleMfa,
    /// A forward access session after a call with long-term keys.
    Service,
    /// A forward access session after a call in an MFA session.
    ServiceMfa,
}

/// Every preset with its name.
pub const PRESETS: &[(Preset, &str)] = &[
    (Preset::None, "none"),
    (Preset::Console, "console"),
    (Preset::ConsoleMfa, "console-mfa"),
    (Preset::AccessKeys, "access-keys"),
    (Preset::Session, "session"),
    (Preset::SessionMfa, "session-mfa"),
    (Preset::Role, "role"),
    (Preset::RoleMfa, "role-mfa"),
    (Preset::Service, "service"),
    (Preset::ServiceMfa, "service-mfa"),
];

impl Preset {
    /// Looks a preset up by name.
    pub fn parse(name: &str) -> Result<Preset, String> {
        PRESETS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(p, _)| *p)
            .ok_or_else(|| {
                let names: Vec<&str> = PRESETS.iter().map(|x| x.1).collect();
                let hint = crate::diag::did_you_mean(name, names.iter().copied())
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                format!(
                    "unknown context preset \"{name}\"{hint}; known presets: {}",
                    names.join(", ")
                )
            })
    }

    /// The preset's name.
    pub fn name(self) -> &'static str {
        PRESETS
            .iter()
            .find(|(p, _)| *p == self)
            .map(|x| x.1)
            .unwrap_or("?")
    }

    /// Whether the caller authenticated with MFA (as far as the request context shows).
    pub fn with_mfa(self) -> bool {
        matches!(
            self,
            Preset::ConsoleMfa | Preset::SessionMfa | Preset::RoleMfa | Preset::ServiceMfa
        )
    }
}

/// A condition-key value in the request context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtxValue {
    /// A single-valued key.
    One(String),
    /// A multivalued key (possibly empty).
    Many(Vec<String>),
}

impl CtxValue {
    /// The values as a slice (a single value is a one-element set).
    pub fn as_slice(&self) -> &[String] {
        match self {
            CtxValue::One(s) => std::slice::from_ref(s),
            CtxValue::Many(v) => v,
        }
    }
}

impl fmt::Display for CtxValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CtxValue::One(s) => write!(f, "\"{s}\""),
            CtxValue::Many(v) => {
                let q: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
                write!(f, "[{}]", q.join(", "))
            }
        }
    }
}

/// The request context: condition keys (names case-insensitive) and their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    map: FxHashMap<String, (String, CtxValue)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a key (the name is case-insensitive; the spelling given is kept for display).
    pub fn set(&mut self, key: &str, value: CtxValue) {
        self.map
            .insert(key.to_ascii_lowercase(), (key.to_string(), value));
    }

    /// Sets a single-valued key.
    pub fn set_one(&mut self, key: &str, value: impl Into<String>) {
        self.set(key, CtxValue::One(value.into()));
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) {
        self.map.remove(&key.to_ascii_lowercase());
    }

    /// Looks a key up by its lower-case name.
    pub fn get_lower(&self, lower: &str) -> Option<&CtxValue> {
        self.map.get(lower).map(|x| &x.1)
    }

    /// Looks a key up (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&CtxValue> {
        self.get_lower(&key.to_ascii_lowercase())
    }

    /// Iterates over (lower-case name, display name, value), sorted by name.
    pub fn entries(&self) -> Vec<(&str, &str, &CtxValue)> {
        let mut v: Vec<_> = self
            .map
            .iter()
            .map(|(k, (d, v))| (k.as_str(), d.as_str(), v))
            .collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// How many seconds before the request the presets place the sign-in / MFA check.
pub const PRESET_SESSION_AGE_SECS: i64 = 60;

/// Builds the context AWS would present for `principal` calling with `preset`: the
/// principal-derived keys (§4.1), the preset's keys (§4.2), the current time. `now` is epoch
/// seconds.
pub fn build_context(
    principal: &Principal,
    preset: Preset,
    settings: &Settings,
    now: i64,
) -> Context {
    let mut c = Context::new();
    c.set_one("aws:CurrentTime", crate::values::format_date(now));
    c.set_one("aws:EpochTime", now.to_string());
    if let Some(arn) = principal.principal_arn() {
        c.set_one("aws:PrincipalArn", arn);
    }
    c.set_one("aws:PrincipalType", principal.principal_type());
    match &principal.kind {
        PrincipalKind::User { name, .. } => c.set_one("aws:username", name.clone()),
        PrincipalKind::Root => {
            c.set_one("aws:userid", principal.account.clone().unwrap_or_default())
        }
        PrincipalKind::FederatedUser { name } => c.set_one(
            "aws:userid",
            format!("{}:{}", principal.account.as_deref().unwrap_or(""), name),
        ),
        PrincipalKind::Anonymous => {
            c.set_one("aws:userid", "anonymous");
            c.set_one("aws:PrincipalAccount", "anonymous");
        }
        _ => {}
    }
    if let Some(a) = &principal.account {
        c.set_one("aws:PrincipalAccount", a.clone());
    }
    match &principal.kind {
        PrincipalKind::Service { name } => {
            c.set_one("aws:PrincipalIsAWSService", "true");
            c.set_one("aws:PrincipalServiceName", name.clone());
        }
        PrincipalKind::Anonymous => {}
        _ => c.set_one("aws:PrincipalIsAWSService", "false"),
    }
    if preset == Preset::None {
        return c;
    }
    c.set_one("aws:SecureTransport", "true");
    let issued = crate::values::format_date(now - PRESET_SESSION_AGE_SECS);
    let age = PRESET_SESSION_AGE_SECS.to_string();
    let (mfa, via): (Option<bool>, bool) = match preset {
        Preset::None => unreachable!(),
        Preset::Console | Preset::Session | Preset::Role => (Some(false), false),
        Preset::ConsoleMfa | Preset::SessionMfa => (Some(true), false),
        Preset::AccessKeys => (None, false),
        Preset::RoleMfa => (
            Some(settings.role_session_mfa_from_assume_role_params),
            false,
        ),
        Preset::Service => (Some(false), true),
        Preset::ServiceMfa => (Some(true), true),
    };
    c.set_one("aws:ViaAWSService", via.to_string());
    if let Some(m) = mfa {
        c.set_one("aws:MultiFactorAuthPresent", m.to_string());
        c.set_one("aws:TokenIssueTime", issued);
        if m {
            c.set_one("aws:MultiFactorAuthAge", age);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(p: &str, preset: Preset) -> Context {
        build_context(
            &Principal::parse(p).unwrap(),
            preset,
            &Settings::default(),
            1_700_000_000,
        )
    }

    #[test]
    fn principals_of_every_kind_parse() {
        let u = Principal::parse("arn:aws:iam::111122223333:user/division/alice").unwrap();
        assert_eq!(
            u.kind,
            PrincipalKind::User {
                path: "/division/".into(),
                name: "alice".into()
            }
        );
        let r = Principal::parse("arn:aws:sts::111122223333:assumed-role/r/s1").unwrap();
        assert_eq!(
            r.principal_arn().unwrap(),
            "arn:aws:iam::111122223333:role/r"
        );
        assert_eq!(
            Principal::parse("arn:aws:iam::111122223333:root")
                .unwrap()
                .kind,
            PrincipalKind::Root
        );
        assert!(Principal::parse("cloudtrail.amazonaws.com").is_ok());
        assert!(Principal::parse("arn:aws:iam::1:user/x").is_err());
        assert!(Principal::parse("alice").is_err());
    }

    #[test]
    fn long_term_keys_carry_no_mfa_key_at_all() {
        let c = ctx("arn:aws:iam::111122223333:user/alice", Preset::AccessKeys);
        assert!(c.get("aws:MultiFactorAuthPresent").is_none());
        assert!(c.get("aws:TokenIssueTime").is_none());
        assert_eq!(
            c.get("aws:ViaAWSService"),
            Some(&CtxValue::One("false".into()))
        );
    }

    #[test]
    fn console_without_mfa_carries_false_and_a_token_issue_time() {
        let c = ctx("arn:aws:iam::111122223333:user/alice", Preset::Console);
        assert_eq!(
            c.get("AWS:MultiFactorAuthPresent"),
            Some(&CtxValue::One("false".into()))
        );
        assert!(c.get("aws:TokenIssueTime").is_some());
        assert!(c.get("aws:MultiFactorAuthAge").is_none());
    }

    #[test]
    fn mfa_presets_carry_true_and_an_age() {
        for p in [Preset::ConsoleMfa, Preset::SessionMfa, Preset::ServiceMfa] {
            let c = ctx("arn:aws:iam::111122223333:user/alice", p);
            assert_eq!(
                c.get("aws:MultiFactorAuthPresent"),
                Some(&CtxValue::One("true".into()))
            );
            assert!(c.get("aws:MultiFactorAuthAge").is_some());
        }
    }

    #[test]
    fn role_mfa_follows_the_documented_setting() {
        let c = ctx(
            "arn:aws:sts::111122223333:assumed-role/r/s",
            Preset::RoleMfa,
        );
        assert_eq!(
            c.get("aws:MultiFactorAuthPresent"),
            Some(&CtxValue::One("false".into()))
        );
        let s = Settings {
            role_session_mfa_from_assume_role_params: true,
            ..Default::default()
        };
        let p = Principal::parse("arn:aws:sts::111122223333:assumed-role/r/s").unwrap();
        let c = build_context(&p, Preset::RoleMfa, &s, 0);
        assert_eq!(
            c.get("aws:MultiFactorAuthPresent"),
            Some(&CtxValue::One("true".into()))
        );
    }

    #[test]
    fn forward_access_sessions_are_via_aws_service() {
        let c = ctx("arn:aws:iam::111122223333:user/alice", Preset::Service);
        assert_eq!(
            c.get("aws:ViaAWSService"),
            Some(&CtxValue::One("true".into()))
        );
        assert_eq!(
            c.get("aws:MultiFactorAuthPresent"),
            Some(&CtxValue::One("false".into()))
        );
    }

    #[test]
    fn principal_derived_keys() {
        let c = ctx("arn:aws:iam::111122223333:user/alice", Preset::None);
        assert_eq!(c.get("aws:username"), Some(&CtxValue::One("alice".into())));
        assert_eq!(
            c.get("aws:PrincipalType"),
            Some(&CtxValue::One("User".into()))
        );
        let r = ctx("arn:aws:sts::111122223333:assumed-role/r/s", Preset::None);
        assert!(r.get("aws:username").is_none());
        assert!(r.get("aws:MultiFactorAuthPresent").is_none());
    }

    #[test]
    fn unknown_preset_is_an_error_with_a_suggestion() {
        let e = Preset::parse("console_mfa").unwrap_err();
        assert!(e.contains("did you mean \"console-mfa\""), "{e}");
    }
}
