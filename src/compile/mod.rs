//! The decision graph: a scenario's policies compiled once so that one evaluation touches only the
//! statements that can match.
//!
//! Layout:
//! * every statement of every policy becomes a `CStatement` with a [`Layer`] (identity, boundary,
//!   session, SCP level n, RCP level n, resource policy), numbered in evaluation order;
//! * the `ActionIndex` maps a request action to candidate statements: statements whose actions
//!   are `*` (or `NotAction`, or a wildcard service prefix) are always candidates; otherwise the
//!   service prefix selects a bucket holding literal action names in a hash map, `svc:*`
//!   statements, and the remaining wildcard patterns;
//! * resources, principals and conditions are precompiled ([`Wildcard`] matchers, parsed numbers,
//!   dates, CIDRs, ARN components) and condition keys are interned to small integers, so the
//!   request context is a slot vector rather than a map.

pub(crate) mod condition;

use crate::context::{
    build_context, Context, CtxValue, Organization, Preset, Principal, PrincipalKind,
};
use crate::policy::{Effect, Policy, Version};
use crate::settings::Settings;
pub use crate::values::Wildcard;
use condition::{compile_parts, resolve_tokens, CCondition, CPart, Template};
use rustc_hash::FxHashMap;

/// A policy of the set with the layer it was compiled into.
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    /// The policy.
    pub policy: Policy,
    /// Its place in the evaluation flow.
    pub layer: Layer,
}

/// Interned condition-key id.
pub type KeyId = u32;

/// The table of condition keys a policy set refers to.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    ids: FxHashMap<String, KeyId>,
    names: Vec<String>,
}

impl Keys {
    /// Interns a lower-case key name.
    pub fn intern(&mut self, lower: &str) -> KeyId {
        if let Some(id) = self.ids.get(lower) {
            return *id;
        }
        let id = self.names.len() as KeyId;
        self.names.push(lower.to_string());
        self.ids.insert(lower.to_string(), id);
        id
    }

    /// The id of a lower-case key name, if any policy refers to it.
    pub fn id(&self, lower: &str) -> Option<KeyId> {
        self.ids.get(lower).copied()
    }

    /// The lower-case name of a key id.
    pub fn name(&self, id: KeyId) -> &str {
        &self.names[id as usize]
    }

    /// Number of interned keys.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no key is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Access to request-context values by interned key id.
pub trait KeyLookup {
    /// The value of key `id`, if present in the request.
    fn get(&self, id: KeyId) -> Option<&CtxValue>;
}

/// A request context bound to a policy set's key table: one slot per interned key.
#[derive(Debug, Clone, Default)]
pub struct Slots {
    /// One entry per interned key.
    pub values: Vec<Option<CtxValue>>,
}

impl KeyLookup for Slots {
    fn get(&self, id: KeyId) -> Option<&CtxValue> {
        self.values.get(id as usize).and_then(|v| v.as_ref())
    }
}

/// Where a statement sits in the evaluation flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// RCP at a level (0 = organization root).
    Rcp(u8),
    /// SCP at a level (0 = organization root).
    Scp(u8),
    /// The resource-based policy.
    Resource,
    /// Identity-based policies.
    Identity,
    /// The permissions boundary.
    Boundary,
    /// Session policies.
    Session,
}

impl Layer {
    /// Human name: "SCP level 2 (of the organization root down)".
    pub fn describe(self) -> String {
        match self {
            Layer::Rcp(l) => format!("resource control policies at level {l}"),
            Layer::Scp(l) => format!("service control policies at level {l}"),
            Layer::Resource => "resource-based policy".into(),
            Layer::Identity => "identity-based policies".into(),
            Layer::Boundary => "permissions boundary".into(),
            Layer::Session => "session policy".into(),
        }
    }
}

/// How a same-account resource-policy Allow names the caller (semantics §1.4), weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantKind {
    /// The caller's account: delegates to the caller's identity policies.
    Account,
    /// The caller's role (or the federating user): limited by boundary and session policy.
    Entity,
    /// The caller's exact role-session ARN.
    SessionArn,
    /// The caller's user ARN, federated-user ARN, service or `*`: a complete grant.
    Direct,
}

/// The maximum number of SCP or RCP levels (root, five OUs, account, with room to spare).
pub const MAX_LEVELS: usize = 16;

#[derive(Debug, Clone)]
pub(crate) enum ResPattern {
    Static {
        w: Wildcard,
        /// For requests with resource `*`: the service segment, when the pattern is an
        /// all-wildcard ARN such as `arn:aws:s3:::*` (semantics §9.9).
        star_service: Option<Wildcard>,
    },
    Dynamic(Vec<CPart>),
}

#[derive(Debug, Clone)]
pub(crate) struct CResource {
    pub negated: bool,
    pub patterns: Vec<ResPattern>,
}

#[derive(Debug, Clone)]
pub(crate) enum CPrincipalEntry {
    Any,
    Account(String),
    User(String),
    Role {
        account: String,
        name: String,
        arn: String,
    },
    SessionArn(String),
    Federated(String),
    Service(String),
    UniqueId(String),
    Never,
}

#[derive(Debug, Clone)]
pub(crate) struct CPrincipal {
    pub negated: bool,
    pub entries: Vec<CPrincipalEntry>,
}

#[derive(Debug, Clone)]
pub(crate) struct CAction {
    pub negated: bool,
    /// Lower-cased patterns.
    pub patterns: Vec<Wildcard>,
}

impl CAction {
    pub fn matches(&self, action_lower: &str) -> bool {
        let hit = self.patterns.iter().any(|p| p.matches(action_lower));
        hit != self.negated
    }
}

/// A compiled statement.
#[derive(Debug, Clone)]
pub(crate) struct CStatement {
    pub layer: Layer,
    pub effect: Effect,
    /// Index into [`PolicySet::policies`].
    pub policy: u32,
    /// Index of the statement in its policy.
    pub stmt: u32,
    pub action: CAction,
    pub principal: Option<CPrincipal>,
    pub resource: Option<CResource>,
    pub conditions: Vec<CCondition>,
}

/// Statement ids by action.
///
/// Built in two steps: [`ActionIndex::add`] files each statement under its action patterns, then
/// [`ActionIndex::finish`] precomputes complete, sorted candidate lists — one per literal action
/// name any policy mentions, one per service for the names no policy mentions, one for services no
/// policy mentions. At request time a literal action is one hash lookup; only wildcard patterns
/// inside a service and `NotAction` lists with wildcards are matched per request.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionIndex {
    /// Statements that match every action without further checks (`Action: "*"`).
    always: Vec<u32>,
    /// `NotAction` statements whose patterns are all literal: they apply to every action not
    /// listed, so to every action no policy mentions.
    not_literal: Vec<u32>,
    /// Statements that must be matched per request: `NotAction` with wildcards, wildcard service
    /// prefixes.
    check: Vec<u32>,
    services: FxHashMap<Box<str>, ServiceIndex>,
    /// Complete candidate lists per literal `service:action` mentioned in any policy.
    full: FxHashMap<Box<str>, Vec<u32>>,
    /// Candidates for a service no policy names: `always ∪ not_literal` (plus `check` at runtime).
    unknown_service: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct ServiceIndex {
    all: Vec<u32>,
    exact: FxHashMap<Box<str>, Vec<u32>>,
    wild: Vec<(Wildcard, u32)>,
    /// Candidates for an action of this service no policy names literally (plus `wild` and
    /// `check` at runtime).
    base: Vec<u32>,
}

fn sorted_union(parts: &[&[u32]]) -> Vec<u32> {
    let mut v: Vec<u32> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

impl ActionIndex {
    fn add(&mut self, id: u32, action: &crate::policy::ActionElement) {
        if action.negated {
            if action.patterns.iter().all(|p| !p.contains(['*', '?'])) {
                self.not_literal.push(id);
            } else {
                self.check.push(id);
            }
            return;
        }
        for p in &action.patterns {
            let lp = p.to_ascii_lowercase();
            if lp == "*" {
                self.always.push(id);
                continue;
            }
            let Some((svc, name)) = lp.split_once(':') else {
                continue;
            };
            if svc.contains(['*', '?']) {
                self.check.push(id);
                continue;
            }
            let si = self.services.entry(svc.into()).or_default();
            let w = Wildcard::new(name);
            if w.is_any() {
                si.all.push(id);
            } else if let Some(lit) = w.as_exact() {
                si.exact.entry(lit.into()).or_default().push(id);
            } else {
                si.wild.push((w, id));
            }
        }
    }

    /// Precomputes the candidate lists (see the type's documentation).
    fn finish(&mut self, stmts: &[CStatement]) {
        self.always.sort_unstable();
        self.always.dedup();
        self.unknown_service = sorted_union(&[&self.always, &self.not_literal]);
        // Every literal action any policy mentions, from Action and from literal NotAction lists.
        let mut mentioned: Vec<String> = Vec::new();
        for (svc, si) in &self.services {
            mentioned.extend(si.exact.keys().map(|n| format!("{svc}:{n}")));
        }
        for &id in &self.not_literal {
            for p in &stmts[id as usize].action.patterns {
                if let Some(lit) = p.as_exact() {
                    mentioned.push(lit.to_string());
                }
            }
        }
        mentioned.sort();
        mentioned.dedup();
        for si in self.services.values_mut() {
            si.base = sorted_union(&[&self.always, &si.all, &self.not_literal]);
        }
        let mut full = FxHashMap::default();
        for action in mentioned {
            let mut v = Vec::new();
            self.assemble(&action, stmts, &mut v, true);
            full.insert(action.into_boxed_str(), v);
        }
        self.full = full;
    }

    /// Assembles the candidates of one action without the precomputed lists.
    fn assemble(
        &self,
        action_lower: &str,
        stmts: &[CStatement],
        out: &mut Vec<u32>,
        with_literal_not: bool,
    ) {
        out.clear();
        out.extend_from_slice(&self.always);
        let (si, name) = match split_action(action_lower) {
            Some((svc, name)) => (self.services.get(svc), name),
            None => (None, action_lower),
        };
        if let Some(si) = si {
            out.extend_from_slice(&si.all);
            if let Some(ids) = si.exact.get(name) {
                out.extend_from_slice(ids);
            }
            for (w, id) in &si.wild {
                if w.matches(name) {
                    out.push(*id);
                }
            }
        }
        let literal_not: &[u32] = if with_literal_not {
            &self.not_literal
        } else {
            &[]
        };
        for &id in self.check.iter().chain(literal_not) {
            if stmts[id as usize].action.matches(action_lower) {
                out.push(id);
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// The complete candidate list when it needs no per-request matching.
    #[inline]
    pub fn static_candidates(&self, action_lower: &str) -> Option<&[u32]> {
        if let Some(v) = self.full.get(action_lower) {
            return Some(v);
        }
        if !self.check.is_empty() {
            return None;
        }
        match split_action(action_lower).and_then(|(svc, _)| self.services.get(svc)) {
            Some(si) if si.wild.is_empty() => Some(&si.base),
            Some(_) => None,
            None => Some(&self.unknown_service),
        }
    }

    /// Candidate statement ids for a lower-cased action, sorted and without duplicates.
    pub fn candidates<'a>(
        &'a self,
        action_lower: &str,
        stmts: &[CStatement],
        out: &'a mut Vec<u32>,
    ) -> &'a [u32] {
        if let Some(v) = self.static_candidates(action_lower) {
            return v;
        }
        // Not mentioned literally: literal NotAction lists apply (they cannot list it).
        let (si, name) = match split_action(action_lower) {
            Some((svc, name)) => (self.services.get(svc), name),
            None => (None, action_lower),
        };
        out.clear();
        match si {
            Some(si) => {
                out.extend_from_slice(&si.base);
                for (w, id) in &si.wild {
                    if w.matches(name) {
                        out.push(*id);
                    }
                }
            }
            None => out.extend_from_slice(&self.unknown_service),
        }
        for &id in &self.check {
            if stmts[id as usize].action.matches(action_lower) {
                out.push(id);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Splits `service:Action` at its first colon (a byte scan: cheaper than `split_once` on the
/// short strings of the evaluation hot path).
#[inline]
pub(crate) fn split_action(action: &str) -> Option<(&str, &str)> {
    let i = action.bytes().position(|b| b == b':')?;
    Some((&action[..i], &action[i + 1..]))
}

/// The policies of one scenario (semantics §1.2) before compilation.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// Identity-based policies of the principal.
    pub identity: Vec<Policy>,
    /// The permissions boundary, if any.
    pub boundary: Option<Policy>,
    /// Session policies; empty means none.
    pub session: Vec<Policy>,
    /// SCPs per level, organization root first; empty means not governed by SCPs.
    pub scps: Vec<Vec<Policy>>,
    /// RCPs per level for the resource's account; empty means none.
    pub rcps: Vec<Vec<Policy>>,
    /// The resource-based policy of the requested resource.
    pub resource_policy: Option<Policy>,
    /// The resource's account; `None` means the account in the resource ARN, else the
    /// principal's account (per request: [`PolicySet::resource_owner`]).
    pub resource_account: Option<String>,
    /// The principal's account is the organization's management account.
    pub management_account: bool,
    /// The organization the accounts belong to: sets the `aws:PrincipalOrg*` and
    /// `aws:ResourceOrg*` keys for member accounts. `None`: no organization keys.
    pub organization: Option<Organization>,
    /// Engine settings.
    pub settings: Settings,
}

impl Scenario {
    /// Whether the scenario holds no policy at all (then every request is an implicit deny but
    /// for the service rules): worth a warning where a user evaluates it by hand.
    pub fn has_no_policies(&self) -> bool {
        self.identity.is_empty()
            && self.boundary.is_none()
            && self.session.is_empty()
            && self.scps.is_empty()
            && self.rcps.is_empty()
            && self.resource_policy.is_none()
    }
}

/// Why a scenario does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// More SCP or RCP levels than the engine supports.
    TooManyLevels {
        /// SCP levels given.
        scps: usize,
        /// RCP levels given.
        rcps: usize,
        /// The most supported.
        max: usize,
    },
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::TooManyLevels { scps, rcps, max } => write!(
                f,
                "{scps} SCP and {rcps} RCP levels given: at most {max} are supported (an organization has at most 7)"
            ),
        }
    }
}

impl std::error::Error for CompileError {}

/// A compiled scenario: the decision graph plus the scenario facts evaluation needs.
#[derive(Debug, Clone)]
pub struct PolicySet {
    pub(crate) policies: Vec<PolicyEntry>,
    pub(crate) stmts: Vec<CStatement>,
    pub(crate) index: ActionIndex,
    pub(crate) keys: Keys,
    pub(crate) scp_levels: usize,
    pub(crate) rcp_levels: usize,
    pub(crate) has_boundary: bool,
    pub(crate) has_session_policy: bool,
    pub(crate) has_resource_policy: bool,
    pub(crate) resource_account: Option<String>,
    pub(crate) organization: Option<Organization>,
    pub(crate) management_account: bool,
    pub(crate) settings: Settings,
    pub(crate) key_principal_arn: KeyId,
    pub(crate) key_userid: KeyId,
    /// The keys whose value depends on the requested resource, where a policy refers to them.
    pub(crate) resource_key_ids: ResourceKeyIds,
}

/// The key ids of the request-context keys derived from the requested resource (semantics
/// §4.1), each `None` when no policy of the set refers to the key (then it is never bound).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceKeyIds {
    /// `aws:ResourceAccount`.
    pub account: Option<KeyId>,
    /// `aws:ResourceOrgID`.
    pub org_id: Option<KeyId>,
    /// `aws:ResourceOrgPaths` (multivalued).
    pub org_paths: Option<KeyId>,
}

impl ResourceKeyIds {
    /// Whether no policy refers to any of them.
    pub fn is_empty(&self) -> bool {
        self.account.is_none() && self.org_id.is_none() && self.org_paths.is_none()
    }
}

/// The values of the resource-derived keys for one request ([`PolicySet::resource_keys`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceKeys<'a> {
    /// `aws:ResourceAccount`: the account that owns the resource, if known.
    pub account: Option<&'a str>,
    /// `aws:ResourceOrgID` and the one `aws:ResourceOrgPaths` value, when the resource's
    /// account is a member of the scenario's organization.
    pub org: Option<(&'a str, &'a str)>,
}

impl PolicySet {
    /// Compiles a scenario.
    pub fn compile(s: &Scenario) -> Result<PolicySet, CompileError> {
        if s.scps.len() > MAX_LEVELS || s.rcps.len() > MAX_LEVELS {
            return Err(CompileError::TooManyLevels {
                scps: s.scps.len(),
                rcps: s.rcps.len(),
                max: MAX_LEVELS,
            });
        }
        let mut set = PolicySet {
            policies: Vec::new(),
            stmts: Vec::new(),
            index: ActionIndex::default(),
            keys: Keys::default(),
            scp_levels: s.scps.len(),
            rcp_levels: s.rcps.len(),
            has_boundary: s.boundary.is_some(),
            has_session_policy: !s.session.is_empty(),
            has_resource_policy: s.resource_policy.is_some(),
            resource_account: s.resource_account.clone(),
            organization: s.organization.clone(),
            management_account: s.management_account,
            settings: s.settings.clone(),
            key_principal_arn: 0,
            key_userid: 0,
            resource_key_ids: ResourceKeyIds::default(),
        };
        set.key_principal_arn = set.keys.intern("aws:principalarn");
        set.key_userid = set.keys.intern("aws:userid");
        for (l, level) in s.rcps.iter().enumerate() {
            for p in level {
                set.add_policy(p, Layer::Rcp(l as u8));
            }
        }
        for (l, level) in s.scps.iter().enumerate() {
            for p in level {
                set.add_policy(p, Layer::Scp(l as u8));
            }
        }
        if let Some(p) = &s.resource_policy {
            set.add_policy(p, Layer::Resource);
        }
        for p in &s.identity {
            set.add_policy(p, Layer::Identity);
        }
        if let Some(p) = &s.boundary {
            set.add_policy(p, Layer::Boundary);
        }
        for p in &s.session {
            set.add_policy(p, Layer::Session);
        }
        set.index.finish(&set.stmts);
        set.resource_key_ids = ResourceKeyIds {
            account: set.keys.id("aws:resourceaccount"),
            org_id: set.keys.id("aws:resourceorgid"),
            org_paths: set.keys.id("aws:resourceorgpaths"),
        };
        Ok(set)
    }

    fn add_policy(&mut self, p: &Policy, layer: Layer) {
        let pid = self.policies.len() as u32;
        self.policies.push(PolicyEntry {
            policy: p.clone(),
            layer,
        });
        for st in &p.statements {
            let id = self.stmts.len() as u32;
            let cs = CStatement {
                layer,
                effect: st.effect,
                policy: pid,
                stmt: st.index as u32,
                action: CAction {
                    negated: st.action.negated,
                    patterns: st
                        .action
                        .patterns
                        .iter()
                        .map(|a| Wildcard::new(&a.to_ascii_lowercase()))
                        .collect(),
                },
                principal: st.principal.as_ref().map(|pe| CPrincipal {
                    negated: pe.negated,
                    entries: pe.entries.iter().map(compile_principal).collect(),
                }),
                resource: st.resource.as_ref().map(|r| CResource {
                    negated: r.negated,
                    patterns: r
                        .patterns
                        .iter()
                        .map(|pat| compile_resource(pat, p.version, &mut self.keys))
                        .collect(),
                }),
                conditions: st
                    .conditions
                    .iter()
                    .map(|c| CCondition::compile(c, p.version, &mut self.keys))
                    .collect(),
            };
            self.index.add(id, &st.action);
            self.stmts.push(cs);
        }
    }

    /// The key table (to bind request contexts).
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The engine settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Binds a request context to this set's key table.
    pub fn bind(&self, ctx: &Context) -> Slots {
        let mut values = vec![None; self.keys.len()];
        for (lower, _, v) in ctx.entries() {
            if let Some(id) = self.keys.id(lower) {
                values[id as usize] = Some(v.clone());
            }
        }
        Slots { values }
    }

    /// The request context AWS presents for `principal` calling with `preset` on `resource`:
    /// the principal-derived and preset keys (`build_context`), the organization keys, and the
    /// keys derived from the scenario and the resource (`aws:ResourceAccount`,
    /// `aws:ResourceOrgID`, `aws:ResourceOrgPaths`; semantics §4.1). `now` is epoch
    /// seconds. Overrides (`context_keys`) go on top.
    pub fn context(
        &self,
        principal: &Principal,
        preset: Preset,
        resource: &str,
        now: i64,
    ) -> Context {
        let mut ctx = self.principal_context(principal, preset, now);
        self.add_resource_keys(&mut ctx, principal, resource);
        ctx
    }

    /// The part of [`PolicySet::context`] that does not depend on the resource (what a bulk run
    /// binds once per caller and preset).
    pub fn principal_context(&self, principal: &Principal, preset: Preset, now: i64) -> Context {
        let mut ctx = build_context(principal, preset, &self.settings, now);
        if let Some(org) = &self.organization {
            org.set_principal_keys(&mut ctx, principal);
        }
        ctx
    }

    /// Adds the keys derived from the requested resource to a context.
    pub fn add_resource_keys(&self, ctx: &mut Context, principal: &Principal, resource: &str) {
        let k = self.resource_keys(principal, resource);
        if let Some(a) = k.account {
            ctx.set_one("aws:ResourceAccount", a);
        }
        if let Some((id, path)) = k.org {
            ctx.set_one("aws:ResourceOrgID", id);
            ctx.set(
                "aws:ResourceOrgPaths",
                CtxValue::Many(vec![path.to_string()]),
            );
        }
    }

    /// The values of the resource-derived keys for a request.
    #[inline]
    pub fn resource_keys<'a>(
        &'a self,
        principal: &'a Principal,
        resource: &'a str,
    ) -> ResourceKeys<'a> {
        let account = self.resource_owner(principal, resource);
        let org = match (&self.organization, account) {
            (Some(o), Some(a)) => o.path(a).map(|p| (o.id.as_str(), p)),
            _ => None,
        };
        ResourceKeys { account, org }
    }

    /// Which resource-derived keys the policies refer to (the only ones worth binding).
    pub fn resource_key_ids(&self) -> ResourceKeyIds {
        self.resource_key_ids
    }

    /// Number of compiled statements.
    pub fn statement_count(&self) -> usize {
        self.stmts.len()
    }

    /// Every policy with its layer, in evaluation order.
    pub fn policies(&self) -> &[PolicyEntry] {
        &self.policies
    }
}

fn compile_resource(pat: &str, version: Version, keys: &mut Keys) -> ResPattern {
    match compile_parts(pat, version, keys) {
        Template::Static(s) => {
            let parts: Vec<&str> = s.splitn(6, ':').collect();
            let star_service = (parts.len() == 6
                && parts[0] == "arn"
                && matches!(parts[3], "" | "*")
                && matches!(parts[4], "" | "*")
                && parts[5] == "*")
                .then(|| Wildcard::new(&parts[2].to_ascii_lowercase()));
            ResPattern::Static {
                w: Wildcard::new(&s),
                star_service,
            }
        }
        Template::Parts(p) => ResPattern::Dynamic(p),
    }
}

fn compile_principal(e: &crate::policy::PrincipalEntry) -> CPrincipalEntry {
    use crate::policy::PrincipalEntry as P;
    match e {
        P::Any => CPrincipalEntry::Any,
        P::Service(s) => CPrincipalEntry::Service(s.to_ascii_lowercase()),
        P::Federated(_) | P::CanonicalUser(_) => CPrincipalEntry::Never,
        P::Aws(v) => {
            if crate::values::is_account_id(v) {
                return CPrincipalEntry::Account(v.clone());
            }
            if !v.starts_with("arn:") {
                return CPrincipalEntry::UniqueId(v.clone());
            }
            let parts: Vec<&str> = v.splitn(6, ':').collect();
            if parts.len() != 6 {
                return CPrincipalEntry::Never;
            }
            let (svc, acct, res) = (parts[2], parts[4], parts[5]);
            match svc {
                "iam" if res == "root" => CPrincipalEntry::Account(acct.to_string()),
                "iam" if res.starts_with("user/") => CPrincipalEntry::User(v.clone()),
                "iam" if res.starts_with("role/") => CPrincipalEntry::Role {
                    account: acct.to_string(),
                    name: res.rsplit('/').next().unwrap_or("").to_string(),
                    arn: v.clone(),
                },
                "sts" if res.starts_with("assumed-role/") => CPrincipalEntry::SessionArn(v.clone()),
                "sts" if res.starts_with("federated-user/") => {
                    CPrincipalEntry::Federated(v.clone())
                }
                _ => CPrincipalEntry::Never,
            }
        }
    }
}

impl CPrincipalEntry {
    /// How this entry names the caller, if it does.
    pub(crate) fn grant_for<L: KeyLookup>(
        &self,
        p: &Principal,
        ctx: &L,
        set: &PolicySet,
    ) -> Option<GrantKind> {
        match self {
            CPrincipalEntry::Any => Some(GrantKind::Direct),
            CPrincipalEntry::Account(a) => {
                (p.account.as_deref() == Some(a)).then_some(GrantKind::Account)
            }
            CPrincipalEntry::User(arn) => (matches!(p.kind, PrincipalKind::User { .. })
                && &p.arn == arn)
                .then_some(GrantKind::Direct),
            CPrincipalEntry::Role { account, name, arn } => match &p.kind {
                PrincipalKind::RoleSession { role, .. }
                    if p.account.as_deref() == Some(account) && role == name =>
                {
                    // With the full role ARN (path included) in aws:PrincipalArn, compare it whole.
                    // A path-less role ARN (what a session ARN yields: it carries no role path,
                    // semantics §2.3) says nothing about the path, so the name match stands.
                    match ctx.get(set.key_principal_arn) {
                        Some(CtxValue::One(pa)) if pa.contains(":role/") && pa != arn => {
                            let tail = pa.split_once(":role/").map(|x| x.1);
                            (tail == Some(name.as_str())).then_some(GrantKind::Entity)
                        }
                        _ => Some(GrantKind::Entity),
                    }
                }
                _ => None,
            },
            CPrincipalEntry::SessionArn(arn) => {
                (matches!(p.kind, PrincipalKind::RoleSession { .. }) && &p.arn == arn)
                    .then_some(GrantKind::SessionArn)
            }
            CPrincipalEntry::Federated(arn) => {
                (matches!(p.kind, PrincipalKind::FederatedUser { .. }) && &p.arn == arn)
                    .then_some(GrantKind::Direct)
            }
            CPrincipalEntry::Service(s) => match &p.kind {
                PrincipalKind::Service { name } if name.eq_ignore_ascii_case(s) => {
                    Some(GrantKind::Direct)
                }
                _ => None,
            },
            CPrincipalEntry::UniqueId(id) => match ctx.get(set.key_userid) {
                Some(CtxValue::One(uid))
                    if uid == id
                        || uid
                            .strip_prefix(id.as_str())
                            .is_some_and(|r| r.starts_with(':')) =>
                {
                    Some(if uid == id {
                        GrantKind::Direct
                    } else {
                        GrantKind::Entity
                    })
                }
                _ => None,
            },
            CPrincipalEntry::Never => None,
        }
    }
}

impl ResPattern {
    /// Whether the pattern covers the request resource; `None` when a variable is unresolved.
    pub(crate) fn matches<L: KeyLookup>(
        &self,
        resource: &str,
        service: &str,
        ctx: &L,
        settings: &Settings,
    ) -> Option<bool> {
        match self {
            ResPattern::Static { w, star_service } => {
                if w.is_any() {
                    return Some(true);
                }
                if resource == "*" {
                    return Some(
                        !settings.wildcard_only_actions_require_star
                            && star_service.as_ref().is_some_and(|s| s.matches(service)),
                    );
                }
                Some(w.matches(resource))
            }
            ResPattern::Dynamic(parts) => {
                let toks = resolve_tokens(parts, ctx, true)?;
                Some(Wildcard::from_tokens(&toks).matches(resource))
            }
        }
    }
}
