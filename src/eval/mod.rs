//! The evaluation flow across policy types (semantics §1.3–§1.9): service rules, the explicit-deny
//! scan, RCP and SCP levels, resource-based grants by principal kind, identity policies,
//! permissions boundary and session policies, and cross-account requests.

use crate::compile::condition::CondReason;
use crate::compile::{
    split_action, CPrincipal, CPrincipalEntry, CStatement, GrantKind, KeyLookup, Layer, PolicySet,
    MAX_LEVELS,
};
use crate::context::{CtxValue, Preset, Principal, PrincipalKind};
use crate::policy::Effect;
use std::cell::RefCell;

/// The three answers AWS gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Decision {
    /// Allowed.
    #[serde(rename = "allowed")]
    Allowed,
    /// Denied by a matching `Deny` statement.
    #[serde(rename = "explicitDeny")]
    ExplicitDeny,
    /// Denied because a required `Allow` is missing.
    #[serde(rename = "implicitDeny")]
    ImplicitDeny,
}

impl Decision {
    /// The name used in case files and output (`allowed`, `explicitDeny`, `implicitDeny`).
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }

    /// Parses the case-file spelling.
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "allowed" => Some(Decision::Allowed),
            "explicitDeny" => Some(Decision::ExplicitDeny),
            "implicitDeny" => Some(Decision::ImplicitDeny),
            _ => None,
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The layer that had no applicable `Allow` (for an implicit deny). In JSON (`eval`, `mfa`,
/// `batch` alike) it is one string: `identity`, `boundary`, `session`, `scp[N]`, `rcp[N]`,
/// `resourceCrossAccount`, `trustPolicy`, `keyPolicy`, `resourcePolicy` — the spelling of a
/// statement's `layer` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// No identity-based policy allows.
    Identity,
    /// The permissions boundary does not allow.
    Boundary,
    /// The session policy does not allow (or a federated session has none).
    Session,
    /// An SCP level has no applicable allow.
    Scp(u8),
    /// An RCP level has no applicable allow.
    Rcp(u8),
    /// Cross-account: the resource-based policy does not allow the caller.
    ResourceCrossAccount,
    /// The role trust policy does not allow the caller.
    TrustPolicy,
    /// The KMS key policy does not allow the caller.
    KeyPolicy,
    /// No resource-based policy grants an anonymous caller or a service principal.
    ResourcePolicy,
}

impl Missing {
    /// The name used in every JSON output.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        use std::borrow::Cow::{Borrowed, Owned};
        match self {
            Missing::Identity => Borrowed("identity"),
            Missing::Boundary => Borrowed("boundary"),
            Missing::Session => Borrowed("session"),
            Missing::Scp(l) => Owned(format!("scp[{l}]")),
            Missing::Rcp(l) => Owned(format!("rcp[{l}]")),
            Missing::ResourceCrossAccount => Borrowed("resourceCrossAccount"),
            Missing::TrustPolicy => Borrowed("trustPolicy"),
            Missing::KeyPolicy => Borrowed("keyPolicy"),
            Missing::ResourcePolicy => Borrowed("resourcePolicy"),
        }
    }
}

impl serde::Serialize for Missing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// A service rule outside the policy language that decided the request (semantics §1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceRule {
    /// `sts:GetCallerIdentity` needs no permission.
    GetCallerIdentity,
    /// `sts:GetSessionToken` needs no permission for IAM users and root.
    GetSessionTokenAllowed,
    /// Role and federated sessions cannot call `sts:GetSessionToken`.
    GetSessionTokenFromSession,
    /// `GetSessionToken` credentials without MFA cannot call IAM.
    SessionTokenNoMfaIam,
    /// `GetSessionToken` credentials can call only `AssumeRole` and `GetCallerIdentity` in STS.
    SessionTokenSts,
    /// `GetFederationToken` credentials cannot call IAM through the API, nor STS.
    FederatedIamSts,
    /// Role sessions cannot call `GetFederationToken`.
    RoleSessionFederationToken,
    /// AWS managed policies (`arn:aws:iam::aws:policy/…`) cannot be edited or deleted.
    AwsManagedPolicyReadOnly,
}

impl ServiceRule {
    /// The rule's name as output formats write it (`aws-managed-policy-read-only`).
    pub fn name(self) -> &'static str {
        match self {
            ServiceRule::GetCallerIdentity => "get-caller-identity",
            ServiceRule::GetSessionTokenAllowed => "get-session-token-allowed",
            ServiceRule::GetSessionTokenFromSession => "get-session-token-from-session",
            ServiceRule::SessionTokenNoMfaIam => "session-token-no-mfa-iam",
            ServiceRule::SessionTokenSts => "session-token-sts",
            ServiceRule::FederatedIamSts => "federated-iam-sts",
            ServiceRule::RoleSessionFederationToken => "role-session-federation-token",
            ServiceRule::AwsManagedPolicyReadOnly => "aws-managed-policy-read-only",
        }
    }

    /// The rule in one sentence.
    pub fn describe(self) -> &'static str {
        match self {
            ServiceRule::GetCallerIdentity => "sts:GetCallerIdentity needs no permission and works even when denied",
            ServiceRule::GetSessionTokenAllowed => "sts:GetSessionToken needs no permission for IAM users and the root user; policies do not control it",
            ServiceRule::GetSessionTokenFromSession => "role and federated-user sessions and GetSessionToken credentials cannot call sts:GetSessionToken",
            ServiceRule::SessionTokenNoMfaIam => "GetSessionToken credentials obtained without MFA cannot call IAM APIs",
            ServiceRule::SessionTokenSts => "GetSessionToken credentials can call only sts:AssumeRole and sts:GetCallerIdentity in STS",
            ServiceRule::FederatedIamSts => "GetFederationToken credentials cannot call IAM through the API, and in STS only sts:GetCallerIdentity",
            ServiceRule::RoleSessionFederationToken => "AssumeRole credentials cannot call sts:GetFederationToken or sts:GetSessionToken",
            ServiceRule::AwsManagedPolicyReadOnly => "AWS managed policies (arn:aws:iam::aws:policy/...) cannot be edited or deleted: iam:CreatePolicyVersion, DeletePolicy, DeletePolicyVersion, SetDefaultPolicyVersion, TagPolicy and UntagPolicy on them never succeed, whatever the policies allow",
        }
    }
}

/// The result of one evaluation: the decision and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// Deciding statements (ids in the policy set): the first matching deny, or the allows the
    /// grant rests on. Kept inline (no allocation) for up to four.
    pub statements: Statements,
    /// For an implicit deny: the layer that lacked an allow.
    pub missing: Option<Missing>,
    /// A service rule that decided the request.
    pub rule: Option<ServiceRule>,
}

/// Statement ids, stored inline for the common case of one to four.
pub type Statements = smallvec::SmallVec<[u32; 4]>;

/// One request to evaluate.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN or `*`.
    pub resource: &'a str,
    /// How the caller authenticated (for the credential-type service rules).
    pub preset: Preset,
}

/// Allows found per layer (statement ids), and the first deny.
#[derive(Debug, Clone, Default)]
pub(crate) struct Matched {
    pub deny: Option<u32>,
    pub identity: Option<u32>,
    pub boundary: Option<u32>,
    pub session: Option<u32>,
    pub scp: [Option<u32>; MAX_LEVELS],
    pub rcp: [Option<u32>; MAX_LEVELS],
    pub resource: Option<(u32, GrantKind)>,
}

impl Matched {
    /// The caller's own allows the grant rests on: identity, boundary, session.
    #[inline]
    fn own_allows(&self) -> Statements {
        self.identity
            .into_iter()
            .chain(self.boundary)
            .chain(self.session)
            .collect()
    }

    /// Whether an allow in `layer` is already recorded (so another need not be evaluated).
    fn has_allow(&self, layer: Layer) -> bool {
        match layer {
            Layer::Identity => self.identity.is_some(),
            Layer::Boundary => self.boundary.is_some(),
            Layer::Session => self.session.is_some(),
            Layer::Scp(l) => self.scp[l as usize].is_some(),
            Layer::Rcp(l) => self.rcp[l as usize].is_some(),
            Layer::Resource => matches!(self.resource, Some((_, GrantKind::Direct))),
        }
    }

    /// Records a matching statement.
    pub(crate) fn record(
        &mut self,
        id: u32,
        layer: Layer,
        effect: Effect,
        grant: Option<GrantKind>,
    ) {
        if effect == Effect::Deny {
            self.deny.get_or_insert(id);
            return;
        }
        match layer {
            Layer::Identity => {
                self.identity.get_or_insert(id);
            }
            Layer::Boundary => {
                self.boundary.get_or_insert(id);
            }
            Layer::Session => {
                self.session.get_or_insert(id);
            }
            Layer::Scp(l) => {
                self.scp[l as usize].get_or_insert(id);
            }
            Layer::Rcp(l) => {
                self.rcp[l as usize].get_or_insert(id);
            }
            Layer::Resource => {
                let g = grant.unwrap_or(GrantKind::Direct);
                if self.resource.is_none_or(|(_, old)| g > old) {
                    self.resource = Some((id, g));
                }
            }
        }
    }
}

/// Which guardrail layers apply to this request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Applicability {
    pub scp: bool,
    pub rcp: bool,
    /// Identity, boundary and session policies: not for the root user (none can be attached)
    /// nor for service principals and anonymous callers.
    pub identity: bool,
}

thread_local! {
    static CANDIDATES: RefCell<Vec<u32>> = RefCell::new(Vec::with_capacity(32));
}

/// Actions that would change a managed policy: never possible on an AWS managed policy (§1.9).
const POLICY_EDIT_ACTIONS: &[&str] = &[
    "iam:createpolicyversion",
    "iam:deletepolicy",
    "iam:deletepolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:tagpolicy",
    "iam:untagpolicy",
];

/// Whether `resource` is an AWS managed policy: `arn:PARTITION:iam::aws:policy/…`.
fn is_aws_managed_policy(resource: &str) -> bool {
    resource
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(':'))
        .is_some_and(|(_, rest)| rest.starts_with("iam::aws:policy/"))
}

const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];

fn lower(action: &str) -> std::borrow::Cow<'_, str> {
    if action.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(action.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(action)
    }
}

/// Lower-cases an action into `buf` when it fits (the common case: no allocation per request).
fn lower_in<'a>(action: &'a str, buf: &'a mut [u8; 128]) -> std::borrow::Cow<'a, str> {
    if !action.bytes().any(|b| b.is_ascii_uppercase()) {
        return std::borrow::Cow::Borrowed(action);
    }
    if let Some(b) = buf.get_mut(..action.len()) {
        b.copy_from_slice(action.as_bytes());
        b.make_ascii_lowercase();
        // ASCII lower-casing keeps UTF-8 valid, so this always succeeds.
        if let Ok(s) = std::str::from_utf8(b) {
            return std::borrow::Cow::Borrowed(s);
        }
    }
    std::borrow::Cow::Owned(action.to_ascii_lowercase())
}

impl PolicySet {
    /// Decides one request. `ctx` is the request context bound to this set ([`PolicySet::bind`]).
    pub fn evaluate<L: KeyLookup>(&self, req: &Request<'_>, ctx: &L) -> Outcome {
        let mut buf = [0u8; 128];
        let action = lower_in(req.action, &mut buf);
        if let Some(o) = self.service_rules(req, &action) {
            return o;
        }
        let app = self.applicability(req, &action, ctx);
        let mut m = Matched::default();
        let scan = |cands: &[u32], m: &mut Matched| {
            for &id in cands {
                let st = &self.stmts[id as usize];
                if !self.layer_applies(st.layer, app) {
                    continue;
                }
                if st.effect == Effect::Allow && m.has_allow(st.layer) {
                    continue;
                }
                if let Some(grant) = self.statement_applies(st, req, &action, ctx) {
                    m.record(id, st.layer, st.effect, grant);
                    if st.effect == Effect::Deny {
                        break;
                    }
                }
            }
        };
        match self.index.static_candidates(&action) {
            Some(cands) => scan(cands, &mut m),
            None => CANDIDATES.with(|c| {
                let mut buf = c.borrow_mut();
                let cands = self.index.candidates(&action, &self.stmts, &mut buf);
                scan(cands, &mut m);
            }),
        }
        self.decide(req, &action, &m, app)
    }

    /// Whether a statement in `layer` takes part in this request.
    pub(crate) fn layer_applies(&self, layer: Layer, app: Applicability) -> bool {
        match layer {
            Layer::Scp(_) => app.scp,
            Layer::Rcp(_) => app.rcp,
            Layer::Identity | Layer::Boundary | Layer::Session => app.identity,
            Layer::Resource => true,
        }
    }

    /// Applies the statement's principal, resource and conditions (the action already matched).
    /// `None`: it does not apply; `Some(grant)`: it applies, with the grant kind for
    /// resource-policy statements that name the caller.
    pub(crate) fn statement_applies<L: KeyLookup>(
        &self,
        st: &CStatement,
        req: &Request<'_>,
        action: &str,
        ctx: &L,
    ) -> Option<Option<GrantKind>> {
        let grant = match &st.principal {
            Some(p) => Some(self.principal_match(p, req.principal, ctx)?),
            None => None,
        };
        if !self.resource_matches(st, req.resource, action, ctx) {
            return None;
        }
        for c in &st.conditions {
            if !c.eval(ctx, &self.settings).0 {
                return None;
            }
        }
        Some(grant)
    }

    pub(crate) fn resource_matches<L: KeyLookup>(
        &self,
        st: &CStatement,
        resource: &str,
        action: &str,
        ctx: &L,
    ) -> bool {
        let Some(r) = &st.resource else {
            return true; // resource-based policy without Resource: this resource
        };
        let service = split_action(action).map(|x| x.0).unwrap_or(action);
        // An unresolved variable makes the entry match nothing (Resource) / exclude nothing
        // (NotResource): in both cases the entry counts as "not covering".
        let hit = r
            .patterns
            .iter()
            .any(|p| p.matches(resource, service, ctx, &self.settings) == Some(true));
        hit != r.negated
    }

    /// How a `Principal`/`NotPrincipal` element names the caller; `None` when the statement
    /// does not apply to the caller.
    pub(crate) fn principal_match<L: KeyLookup>(
        &self,
        p: &CPrincipal,
        who: &Principal,
        ctx: &L,
    ) -> Option<GrantKind> {
        if !p.negated {
            return p
                .entries
                .iter()
                .filter_map(|e| e.grant_for(who, ctx, self))
                .max();
        }
        // NotPrincipal: applies to everyone not excepted (semantics §2.3). The caller is the
        // set {own ARN, role, account} (role sessions), {own ARN, account} (users, federated
        // users), {account} (root), {itself} (services, anonymous); how the list names each.
        if p.entries.iter().any(|e| matches!(e, CPrincipalEntry::Any)) {
            return None;
        }
        let (mut own, mut role, mut account) = (false, false, false);
        for e in &p.entries {
            match e.grant_for(who, ctx, self) {
                Some(GrantKind::Direct | GrantKind::SessionArn) => own = true,
                Some(GrantKind::Entity) => role = true,
                Some(GrantKind::Account) => account = true,
                None => {}
            }
        }
        // (listed, the grant an Allow makes through this element when it is not listed),
        // most specific first.
        let set: &[(bool, GrantKind)] = match &who.kind {
            PrincipalKind::User { .. } | PrincipalKind::FederatedUser { .. } => {
                &[(own, GrantKind::Direct), (account, GrantKind::Account)]
            }
            PrincipalKind::RoleSession { .. } => &[
                (own, GrantKind::Direct),
                (role, GrantKind::Entity),
                (account, GrantKind::Account),
            ],
            PrincipalKind::Root => &[(account, GrantKind::Direct)],
            PrincipalKind::Service { .. } | PrincipalKind::Anonymous => &[(own, GrantKind::Direct)],
        };
        if self.settings.notprincipal_requires_parent_arns {
            // Excepted only when every element is listed; otherwise the statement reaches the
            // caller through the most specific element not listed: an Allow excepting a user
            // still grants through the user's account, which delegates to the user's identity
            // policies (an account grant), never a grant to the user itself.
            set.iter().find(|(listed, _)| !listed).map(|(_, g)| *g)
        } else {
            (!set.iter().any(|(listed, _)| *listed)).then_some(GrantKind::Direct)
        }
    }

    pub(crate) fn applicability<L: KeyLookup>(
        &self,
        req: &Request<'_>,
        action: &str,
        ctx: &L,
    ) -> Applicability {
        let p = req.principal;
        let pa = match ctx.get(self.key_principal_arn) {
            Some(CtxValue::One(s)) => Some(s.as_str()),
            _ => None,
        };
        let slr = p.is_service_linked_role(pa);
        let scp = self.scp_levels > 0 && !self.management_account && p.is_iam() && !slr;
        let service = split_action(action).map(|x| x.0).unwrap_or("");
        let resource_in_mgmt =
            self.management_account && self.resource_owner(p, req.resource) == p.account.as_deref();
        let rcp = self.rcp_levels > 0
            && self.settings.rcp_enabled
            && self
                .settings
                .rcp_supported_services
                .iter()
                .any(|s| s == service)
            && !resource_in_mgmt
            && !slr;
        let identity = matches!(
            p.kind,
            PrincipalKind::User { .. }
                | PrincipalKind::RoleSession { .. }
                | PrincipalKind::FederatedUser { .. }
        );
        Applicability { scp, rcp, identity }
    }

    /// The account that owns the requested resource: the scenario's `resource_account`, else
    /// the account in the resource ARN, else the caller's (`context::resource_account`).
    pub fn resource_owner<'a>(&'a self, who: &'a Principal, resource: &'a str) -> Option<&'a str> {
        crate::context::resource_account(self.resource_account.as_deref(), resource, who)
    }

    /// Service behaviour outside the policy language (semantics §1.3 step 0, §1.9).
    pub(crate) fn service_rules(&self, req: &Request<'_>, action: &str) -> Option<Outcome> {
        let p = req.principal;
        let deny = |rule| {
            Some(Outcome {
                decision: Decision::ImplicitDeny,
                statements: Statements::new(),
                missing: None,
                rule: Some(rule),
            })
        };
        let allow = |rule| {
            Some(Outcome {
                decision: Decision::Allowed,
                statements: Statements::new(),
                missing: None,
                rule: Some(rule),
            })
        };
        if action == "sts:getcalleridentity" && p.is_iam() {
            return allow(ServiceRule::GetCallerIdentity);
        }
        let service = split_action(action).map(|x| x.0).unwrap_or("");
        let gst_creds = matches!(req.preset, Preset::Session | Preset::SessionMfa);
        if action == "sts:getsessiontoken" {
            return match p.kind {
                PrincipalKind::RoleSession { .. } => deny(ServiceRule::RoleSessionFederationToken),
                PrincipalKind::FederatedUser { .. } => deny(ServiceRule::FederatedIamSts),
                _ if gst_creds => deny(ServiceRule::GetSessionTokenFromSession),
                PrincipalKind::User { .. } | PrincipalKind::Root => {
                    allow(ServiceRule::GetSessionTokenAllowed)
                }
                _ => deny(ServiceRule::GetSessionTokenFromSession),
            };
        }
        if req.preset == Preset::Session && service == "iam" {
            return deny(ServiceRule::SessionTokenNoMfaIam);
        }
        if gst_creds && service == "sts" && action != "sts:assumerole" {
            return deny(ServiceRule::SessionTokenSts);
        }
        if let PrincipalKind::FederatedUser { .. } = p.kind {
            let console = matches!(req.preset, Preset::Console | Preset::ConsoleMfa);
            if (service == "iam" && !console) || service == "sts" {
                return deny(ServiceRule::FederatedIamSts);
            }
        }
        if let PrincipalKind::RoleSession { .. } = p.kind {
            if action == "sts:getfederationtoken" {
                return deny(ServiceRule::RoleSessionFederationToken);
            }
        }
        if service == "iam"
            && POLICY_EDIT_ACTIONS.contains(&action)
            && is_aws_managed_policy(req.resource)
        {
            return deny(ServiceRule::AwsManagedPolicyReadOnly);
        }
        None
    }

    /// Whether the request is governed by a role trust policy (`sts:AssumeRole*` and friends on
    /// a role) or a KMS key policy (a `kms:` action on a key), which must allow the caller
    /// themselves: an identity allow alone is never enough (semantics §1.9). Which of the two,
    /// as the layer an implicit deny names. A KMS alias (`…:alias/NAME`) is not a key and has
    /// no key policy: IAM policies alone grant permission on it (§1.9, "KMS aliases").
    pub(crate) fn trust_or_key_policy(action: &str, resource: &str) -> Option<Missing> {
        if TRUST_ACTIONS.contains(&action) && resource.contains(":role/") {
            Some(Missing::TrustPolicy)
        } else if action.starts_with("kms:") && resource.contains(":key/") {
            Some(Missing::KeyPolicy)
        } else {
            None
        }
    }

    /// Applies the flow (semantics §1.5) to the matched statements, in the order AWS does: an
    /// explicit deny anywhere, then the guardrails (RCP and SCP levels), then the caller's own
    /// paths (identity, boundary, session) against the resource-based grant, same account or
    /// cross account.
    pub(crate) fn decide(
        &self,
        req: &Request<'_>,
        action: &str,
        m: &Matched,
        app: Applicability,
    ) -> Outcome {
        if let Some(o) = self.guardrails(m, app) {
            return o;
        }
        let p = req.principal;
        // Anonymous callers and service principals have no identity policies: only a
        // resource-based grant can allow them.
        if matches!(
            p.kind,
            PrincipalKind::Anonymous | PrincipalKind::Service { .. }
        ) {
            return match m.resource {
                Some((id, _)) => outcome(Decision::Allowed, smallvec::smallvec![id], None),
                None => outcome(
                    Decision::ImplicitDeny,
                    Statements::new(),
                    Some(Missing::ResourcePolicy),
                ),
            };
        }
        let paths = self.paths(p, m);
        let same_account = match self.resource_owner(p, req.resource) {
            None => true,
            Some(r) => p.account.as_deref() == Some(r),
        };
        if same_account {
            self.same_account(req, action, m, paths)
        } else {
            Self::cross_account(m, paths)
        }
    }

    /// An explicit deny, or an RCP/SCP level without an applicable allow, decides at once.
    #[inline]
    fn guardrails(&self, m: &Matched, app: Applicability) -> Option<Outcome> {
        if let Some(d) = m.deny {
            return Some(outcome(
                Decision::ExplicitDeny,
                smallvec::smallvec![d],
                None,
            ));
        }
        let first_missing = |on: bool, levels: usize, level: &[Option<u32>]| {
            (0..levels).take_while(|_| on).find(|&l| level[l].is_none())
        };
        if let Some(l) = first_missing(app.rcp, self.rcp_levels, &m.rcp) {
            return Some(outcome(
                Decision::ImplicitDeny,
                Statements::new(),
                Some(Missing::Rcp(l as u8)),
            ));
        }
        if let Some(l) = first_missing(app.scp, self.scp_levels, &m.scp) {
            return Some(outcome(
                Decision::ImplicitDeny,
                Statements::new(),
                Some(Missing::Scp(l as u8)),
            ));
        }
        None
    }

    /// Which of the caller's own layers allow: identity (the root user needs none), boundary
    /// (when there is one), session (for sessions: the session policy, or none needed for a
    /// role session without one; a federated session without one has no permissions).
    #[inline]
    fn paths(&self, p: &Principal, m: &Matched) -> Paths {
        let root = p.kind == PrincipalKind::Root;
        Paths {
            identity: root || m.identity.is_some(),
            boundary: !self.has_boundary || root || m.boundary.is_some(),
            session: if !p.is_session() {
                true
            } else if self.has_session_policy {
                m.session.is_some()
            } else {
                matches!(p.kind, PrincipalKind::RoleSession { .. })
            },
        }
    }

    /// Same account (semantics §1.4): a direct grant in the resource policy is complete, a grant
    /// to the role entity still needs boundary and session, an account grant delegates to the
    /// identity policies; trust and key policies must allow the caller themselves (§1.9).
    fn same_account(&self, req: &Request<'_>, action: &str, m: &Matched, paths: Paths) -> Outcome {
        let Paths {
            identity: i,
            boundary: b,
            session: s,
        } = paths;
        if let Some((gid, kind)) = m.resource {
            let complete = match kind {
                GrantKind::Direct => true,
                GrantKind::SessionArn => {
                    !self.settings.session_policy_limits_session_arn_grants || s
                }
                GrantKind::Entity => b && s,
                GrantKind::Account => false,
            };
            if complete {
                return outcome(Decision::Allowed, smallvec::smallvec![gid], None);
            }
        }
        let trust_or_key = Self::trust_or_key_policy(action, req.resource);
        if let (Some(layer), false) = (trust_or_key, self.has_resource_policy) {
            // No trust or key policy given: none exists (cases.md), so nothing allows the
            // caller, unless the setting says to assume one that delegates to the account
            // (AWS's default key policy; a trust policy naming the account).
            if !self.settings.missing_trust_or_key_policy_delegates {
                return outcome(Decision::ImplicitDeny, Statements::new(), Some(layer));
            }
        } else if let Some(layer) = trust_or_key {
            // The trust or key policy is given: only its account grant plus the caller's own
            // allows (or a complete grant, above) let the caller through.
            return match m.resource {
                Some((gid, GrantKind::Account)) if i && b && s => {
                    let mut ids = smallvec::smallvec![gid];
                    ids.extend(m.own_allows());
                    outcome(Decision::Allowed, ids, None)
                }
                None => outcome(Decision::ImplicitDeny, Statements::new(), Some(layer)),
                Some(_) => outcome(
                    Decision::ImplicitDeny,
                    Statements::new(),
                    Some(paths.missing(i)),
                ),
            };
        }
        if i && b && s {
            return outcome(Decision::Allowed, m.own_allows(), None);
        }
        // Which layer to name: a role-entity or session grant is a path of its own, so the
        // missing layer is then the boundary or the session, not the identity policy.
        let has_path = i
            || matches!(
                m.resource,
                Some((_, GrantKind::Entity | GrantKind::SessionArn))
            );
        outcome(
            Decision::ImplicitDeny,
            Statements::new(),
            Some(paths.missing(has_path)),
        )
    }

    /// Cross account (semantics §1.6): the caller's side and the resource policy must both allow.
    fn cross_account(m: &Matched, paths: Paths) -> Outcome {
        if !paths.all() {
            return outcome(
                Decision::ImplicitDeny,
                Statements::new(),
                Some(paths.missing(paths.identity)),
            );
        }
        match m.resource {
            Some((gid, _)) => {
                let mut ids = m.own_allows();
                ids.push(gid);
                outcome(Decision::Allowed, ids, None)
            }
            None => outcome(
                Decision::ImplicitDeny,
                Statements::new(),
                Some(Missing::ResourceCrossAccount),
            ),
        }
    }
}

fn outcome(decision: Decision, statements: Statements, missing: Option<Missing>) -> Outcome {
    Outcome {
        decision,
        statements,
        missing,
        rule: None,
    }
}

/// Which of the caller's own layers allow the request.
#[derive(Debug, Clone, Copy)]
struct Paths {
    identity: bool,
    boundary: bool,
    session: bool,
}

impl Paths {
    fn all(self) -> bool {
        self.identity && self.boundary && self.session
    }

    /// The layer an implicit deny names: the identity policy when the caller has no path at
    /// all, else the first of boundary and session that does not allow.
    fn missing(self, has_path: bool) -> Missing {
        if !has_path {
            Missing::Identity
        } else if !self.boundary {
            Missing::Boundary
        } else if !self.session {
            Missing::Session
        } else {
            Missing::Identity
        }
    }
}

/// The trace of one statement, for explanations.
#[derive(Debug, Clone)]
pub struct StatementTrace {
    /// Statement id in the policy set.
    pub id: u32,
    /// Whether its layer takes part in this request (SCPs skip the management account, ...).
    pub layer_applies: bool,
    /// Whether the action matched. `false`: the statement's `NotAction` lists the action, so
    /// it cannot cover the request; such statements are traced only so that explanations can
    /// name the exclusion, and never apply.
    pub action: bool,
    /// Principal match (resource-based policies and RCPs), `None` when there is no element.
    pub principal: Option<bool>,
    /// Whether the resource matched.
    pub resource: bool,
    /// Per condition: result, reason, and the request value seen.
    pub conditions: Vec<CondTrace>,
    /// Whether the statement applies to the request.
    pub applies: bool,
}

/// The trace of one condition entry.
#[derive(Debug, Clone)]
pub struct CondTrace {
    /// Index among the statement's conditions.
    pub index: usize,
    /// Whether it held.
    pub result: bool,
    /// Why.
    pub reason: CondReason,
    /// The request's value for the key, if present.
    pub value: Option<String>,
}

impl PolicySet {
    /// Evaluates and traces every statement whose action matches (the deciding statements and
    /// the near misses), and lists the statements whose `NotAction` excludes the action (with
    /// `action: false`). Slower than [`PolicySet::evaluate`]; for explanations.
    pub fn trace<L: KeyLookup>(&self, req: &Request<'_>, ctx: &L) -> Vec<StatementTrace> {
        let action = lower(req.action);
        let app = self.applicability(req, &action, ctx);
        let mut out = Vec::new();
        for (id, st) in self.stmts.iter().enumerate() {
            if !st.action.matches(&action) {
                if st.action.negated {
                    out.push(StatementTrace {
                        id: id as u32,
                        layer_applies: self.layer_applies(st.layer, app),
                        action: false,
                        principal: None,
                        resource: self.resource_matches(st, req.resource, &action, ctx),
                        conditions: Vec::new(),
                        applies: false,
                    });
                }
                continue;
            }
            let principal = st
                .principal
                .as_ref()
                .map(|p| self.principal_match(p, req.principal, ctx).is_some());
            let resource = self.resource_matches(st, req.resource, &action, ctx);
            let conditions: Vec<CondTrace> = st
                .conditions
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let (result, reason) = c.eval(ctx, &self.settings);
                    CondTrace {
                        index: i,
                        result,
                        reason,
                        value: ctx.get(c.key).map(|v| v.to_string()),
                    }
                })
                .collect();
            let layer_applies = self.layer_applies(st.layer, app);
            let applies = layer_applies
                && principal != Some(false)
                && resource
                && conditions.iter().all(|c| c.result);
            out.push(StatementTrace {
                id: id as u32,
                layer_applies,
                action: true,
                principal,
                resource,
                conditions,
                applies,
            });
        }
        out
    }

    /// Statement facts for reports: (layer, effect, policy index, statement index).
    pub fn statement_info(&self, id: u32) -> (Layer, Effect, usize, usize) {
        let s = &self.stmts[id as usize];
        (s.layer, s.effect, s.policy as usize, s.stmt as usize)
    }

    /// Whether SCPs and RCPs apply to the request (for explanations).
    pub fn guardrails_apply<L: KeyLookup>(&self, req: &Request<'_>, ctx: &L) -> (bool, bool) {
        let a = self.applicability(req, &lower(req.action), ctx);
        (a.scp, a.rcp)
    }

    /// Reference-evaluator hook: applies statement `id`'s principal and conditions only (the
    /// reference evaluator matches actions and resources itself).
    #[doc(hidden)]
    pub fn principal_and_conditions<L: KeyLookup>(
        &self,
        id: u32,
        req: &Request<'_>,
        ctx: &L,
    ) -> Option<Option<GrantKind>> {
        let st = &self.stmts[id as usize];
        let grant = match &st.principal {
            Some(p) => Some(self.principal_match(p, req.principal, ctx)?),
            None => None,
        };
        for c in &st.conditions {
            if !c.eval(ctx, &self.settings).0 {
                return None;
            }
        }
        Some(grant)
    }

    /// Reference-evaluator hook: decides from a caller-supplied applicability test per statement
    /// (used by the property tests, which walk every statement with naive matchers).
    #[doc(hidden)]
    pub fn decide_with<L: KeyLookup>(
        &self,
        req: &Request<'_>,
        ctx: &L,
        mut applies: impl FnMut(u32, &Request<'_>) -> Option<Option<GrantKind>>,
    ) -> Outcome {
        let action = lower(req.action);
        if let Some(o) = self.service_rules(req, &action) {
            return o;
        }
        let app = self.applicability(req, &action, ctx);
        let mut m = Matched::default();
        for (id, st) in self.stmts.iter().enumerate() {
            if !self.layer_applies(st.layer, app) {
                continue;
            }
            if let Some(g) = applies(id as u32, req) {
                m.record(id as u32, st.layer, st.effect, g);
                if st.effect == Effect::Deny {
                    break;
                }
            }
        }
        self.decide(req, &action, &m, app)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_lower_cased_without_allocating_when_they_fit() {
        let mut buf = [0u8; 128];
        for (a, want) in [
            ("s3:GetObject", "s3:getobject"),
            ("s3:getobject", "s3:getobject"),
            ("*", "*"),
            ("ÉC2:Dé", "Éc2:dé"),
        ] {
            let got = lower_in(a, &mut buf);
            assert_eq!(got, want);
            assert!(matches!(got, std::borrow::Cow::Borrowed(_)), "{a}");
        }
        let long = format!("s3:{}", "A".repeat(200));
        let got = lower_in(&long, &mut buf);
        assert_eq!(got, long.to_ascii_lowercase());
        assert_eq!(lower_in(&long.to_ascii_lowercase(), &mut buf), long.to_ascii_lowercase());
    }

    #[test]
    fn service_rule_names_are_their_serialised_names() {
        for r in [
            ServiceRule::GetCallerIdentity,
            ServiceRule::GetSessionTokenAllowed,
            ServiceRule::GetSessionTokenFromSession,
            ServiceRule::SessionTokenNoMfaIam,
            ServiceRule::SessionTokenSts,
            ServiceRule::FederatedIamSts,
            ServiceRule::RoleSessionFederationToken,
            ServiceRule::AwsManagedPolicyReadOnly,
        ] {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.name())
            );
        }
    }

    #[test]
    fn aws_managed_policy_arns_are_recognised_in_every_partition() {
        assert!(is_aws_managed_policy(
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ));
        assert!(is_aws_managed_policy(
            "arn:aws-cn:iam::aws:policy/service-role/X"
        ));
        assert!(!is_aws_managed_policy(
            "arn:aws:iam::111122223333:policy/AdministratorAccess"
        ));
        assert!(!is_aws_managed_policy("arn:aws:iam::aws:role/x"));
        assert!(!is_aws_managed_policy("*"));
    }
}
