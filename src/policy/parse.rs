//! Reading a policy document from a spanned JSON tree, with the validation rules of semantics §6.
//!
//! Structural errors (§6.1) reject the document; the §6.2 warnings are returned beside it.

use super::operator::{all_operator_names, Family, Operator, OperatorError};
use super::variable::{has_variables, parse_template};
use super::*;
use crate::diag::{did_you_mean, Code, Diagnostic, Severity};
use crate::json::{self, Json, JsonKind, Member};

/// Options for reading a policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// SCPs in the pre-September-2025 restricted language (semantics §1.7).
    pub scp_legacy: bool,
    /// Treat §6.2 warnings as errors.
    pub strict: bool,
    /// Input limits.
    pub limits: InputLimits,
}

/// Limits on policy input, so hostile documents are refused with a clear error. Each is a
/// setting (`max_policy_bytes`, `max_json_depth`, `max_statements`, `max_values`,
/// `max_pattern_length`). AWS's own, much smaller size quotas are warnings in `iamsim lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// Maximum size of one policy document in bytes.
    pub max_bytes: usize,
    /// Maximum JSON nesting depth.
    pub max_depth: usize,
    /// Maximum statements in one policy.
    pub max_statements: usize,
    /// Maximum values in one element (actions, resources, principals, condition values).
    pub max_values: usize,
    /// Maximum length of one pattern or value, in characters.
    pub max_pattern_len: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_statements: 10_000,
            max_values: 10_000,
            max_pattern_len: 10_000,
        }
    }
}

const TOP_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STMT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_KEYS: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];
const MULTIVALUED_KEYS: &[&str] = &[
    "aws:tagkeys",
    "aws:calledvia",
    "aws:principalorgpaths",
    "aws:resourceorgpaths",
    "aws:principalservicenameslist",
    "aws:sourceorgpaths",
    "aws:vpceorgpaths",
];
/// The global condition keys of the IAM User Guide (keys with a `/tag-key` part aside);
/// `catalog`'s tests check that every global key of the built-in catalog is here.
pub(crate) const WELL_KNOWN_KEYS: &[&str] = &[
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:TokenIssueTime",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:ViaAWSService",
    "aws:PrincipalIsAWSService",
    "aws:SourceIp",
    "aws:VpcSourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:PrincipalArn",
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:RequestedRegion",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:TagKeys",
    "aws:UserAgent",
    "aws:Referer",
    "aws:SourceIdentity",
    "aws:FederatedProvider",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:ResourceOrgPaths",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceOwner",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:SourceVpcArn",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:AssumedRoot",
    "aws:SignInSessionArn",
    "aws:ChatbotSourceArn",
    "aws:CalledViaAWSMCP",
    "aws:ViaAWSMCPService",
    "aws:IsMcpServiceAction",
    // Not on the global condition keys page, but AWS's own AWSSSOServiceRolePolicy conditions
    // on it (the organization's management account): IAM accepts it, so it is no unknown key.
    "aws:PrincipalOrgMasterAccountId",
];

#[cfg(test)]
/// Whether `key` is a documented global condition key (`aws:...`, case-insensitive; keys with
/// a tag part such as `aws:PrincipalTag/team` are not in the list).
pub fn is_global_condition_key(key: &str) -> bool {
    WELL_KNOWN_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

#[cfg(test)]
/// Whether `key` is a global key that holds several values (needs ForAllValues/ForAnyValue).
pub fn is_multivalued_global_key(key: &str) -> bool {
    MULTIVALUED_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Reads a policy from JSON text. `file` names the origin in diagnostics.
pub fn parse_policy_text(
    text: &str,
    file: &str,
    name: &str,
    kind: PolicyKind,
    opts: ParseOptions,
) -> Result<(Policy, Vec<Diagnostic>), Vec<Diagnostic>> {
    let limits = json::Limits {
        max_depth: opts.limits.max_depth,
        max_bytes: opts.limits.max_bytes,
    };
    match json::parse_with(text, limits) {
        Ok(j) => parse_policy(&j, file, name, kind, opts),
        Err(e) => Err(vec![Diagnostic::new(
            Severity::Error,
            Code::JsonSyntaxError,
            e.message,
            file,
            e.pos,
            "",
        )]),
    }
}

/// Reads a policy from an already-parsed JSON value.
pub fn parse_policy(
    j: &Json,
    file: &str,
    name: &str,
    kind: PolicyKind,
    opts: ParseOptions,
) -> Result<(Policy, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut p = Parser {
        file,
        kind,
        opts,
        diags: Vec::new(),
    };
    let policy = p.document(j, name);
    let mut diags = p.diags;
    if opts.strict {
        // strict_validation rejects the validation warnings (§6.2 and the variable checks), not
        // remarks on style or on what the documentation spells out only for the common case.
        for d in diags.iter_mut().filter(|d| d.code.strict_rejects()) {
            d.severity = Severity::Error;
        }
    }
    match policy {
        Some(policy) if !diags.iter().any(Diagnostic::is_error) => Ok((policy, diags)),
        _ => Err(diags),
    }
}

struct Parser<'a> {
    file: &'a str,
    kind: PolicyKind,
    opts: ParseOptions,
    diags: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn error(&mut self, code: Code, msg: impl Into<String>, pos: json::Pos, path: &str) {
        self.diags.push(Diagnostic::new(
            Severity::Error,
            code,
            msg,
            self.file,
            pos,
            path,
        ));
    }

    fn warn(&mut self, code: Code, msg: impl Into<String>, pos: json::Pos, path: &str) {
        self.diags.push(Diagnostic::new(
            Severity::Warning,
            code,
            msg,
            self.file,
            pos,
            path,
        ));
    }

    fn help(&mut self, help: String) {
        if let Some(d) = self.diags.last_mut() {
            d.help = Some(help);
        }
    }

    /// Checks for duplicate and unknown keys in an object.
    fn check_keys(&mut self, members: &[Member], allowed: &[&str], path: &str, what: &str) {
        // A set of the keys seen: an object with many (unknown) keys stays linear.
        let mut seen = rustc_hash::FxHashSet::default();
        for m in members {
            if !seen.insert(m.key.as_str()) {
                self.error(
                    Code::DuplicateElement,
                    format!("element \"{}\" appears more than once in {what}", m.key),
                    m.key_pos,
                    &join(path, &m.key),
                );
            } else if !allowed.contains(&m.key.as_str()) {
                self.error(
                    Code::InvalidPolicyElement,
                    format!("unknown element \"{}\" in {what}", m.key),
                    m.key_pos,
                    &join(path, &m.key),
                );
                if let Some(s) = did_you_mean(&m.key, allowed.iter().copied()) {
                    self.help(format!("did you mean \"{s}\"?"));
                }
            }
        }
    }

    /// The document-level rules in the order §6.1 lists them: the top-level keys, `Version`,
    /// `Id`, the `Statement` shape and count, each statement, then the Sids' uniqueness.
    fn document(&mut self, j: &Json, name: &str) -> Option<Policy> {
        let Some(members) = j.as_object() else {
            self.error(
                Code::JsonSyntaxError,
                format!(
                    "a policy document must be a JSON object, found {}",
                    j.type_name()
                ),
                j.pos,
                "",
            );
            return None;
        };
        self.check_keys(members, TOP_KEYS, "", "the policy document");
        let version = self.version(j);
        let id = self.id(j);
        let stmts = self.statement_list(j)?;
        let single = matches!(
            j.get("Statement").map(|s| &s.kind),
            Some(JsonKind::Object(_))
        );
        let mut statements = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            let path = if single {
                "Statement".to_string()
            } else {
                format!("Statement[{i}]")
            };
            if let Some(st) = self.statement(s, i, &path, version) {
                statements.push(st);
            }
        }
        if self.kind.is_identity_like() {
            self.check_unique_sids(&statements);
        }
        Some(Policy {
            name: name.to_string(),
            file: self.file.to_string(),
            kind: self.kind,
            version,
            version_pos: j.get("Version").map_or(j.pos, |v| v.pos),
            id,
            statements,
        })
    }

    /// `Version`: SCPs and RCPs must say 2012-10-17; elsewhere a missing version is a warning
    /// (variables are then literal text) and 2008-10-17 is accepted.
    fn version(&mut self, j: &Json) -> Version {
        match j.get("Version") {
            None => {
                if matches!(self.kind, PolicyKind::Scp | PolicyKind::Rcp) {
                    self.error(
                        Code::MissingVersion,
                        format!(
                            "{} must have \"Version\": \"2012-10-17\"",
                            self.kind.with_article()
                        ),
                        j.pos,
                        "Version",
                    );
                } else {
                    self.warn(
                        Code::MissingVersion,
                        "no \"Version\": policy variables are treated as literal text; add \"Version\": \"2012-10-17\"",
                        j.pos,
                        "Version",
                    );
                }
                Version::Missing
            }
            Some(v) => match v.as_str() {
                Some("2012-10-17") => Version::V2012,
                Some("2008-10-17") => {
                    if matches!(self.kind, PolicyKind::Scp | PolicyKind::Rcp) {
                        self.error(
                            Code::InvalidVersion,
                            format!("{} must use Version 2012-10-17", self.kind.with_article()),
                            v.pos,
                            "Version",
                        );
                    }
                    Version::V2008
                }
                _ => {
                    self.error(
                        Code::InvalidVersion,
                        "\"Version\" must be \"2012-10-17\" or \"2008-10-17\"",
                        v.pos,
                        "Version",
                    );
                    Version::Missing
                }
            },
        }
    }

    /// `Id`: a string; in an identity-like policy IAM ignores it, which is worth a warning.
    fn id(&mut self, j: &Json) -> Option<String> {
        match j.get("Id") {
            None => None,
            Some(v) => match v.as_str() {
                Some(s) => {
                    if self.kind.is_identity_like() {
                        self.warn(
                            Code::IdInIdentityPolicy,
                            "\"Id\" is meant for resource-based policies; IAM ignores it here",
                            v.pos,
                            "Id",
                        );
                    }
                    Some(s.to_string())
                }
                None => {
                    self.error(
                        Code::DataTypeMismatch,
                        format!("\"Id\" must be a string, found {}", v.type_name()),
                        v.pos,
                        "Id",
                    );
                    None
                }
            },
        }
    }

    /// The statements of `Statement` (one object or a non-empty array of objects), at most
    /// `max_statements` of them; none (after an error) when the element is missing or malformed.
    fn statement_list<'j>(&mut self, j: &'j Json) -> Option<Vec<&'j Json>> {
        let stmts: Vec<&Json> = match j.get("Statement") {
            None => {
                self.error(
                    Code::MissingStatement,
                    "the policy has no \"Statement\" element",
                    j.pos,
                    "Statement",
                );
                return None;
            }
            Some(s) => match &s.kind {
                JsonKind::Object(_) => vec![s],
                JsonKind::Array(a) if a.is_empty() => {
                    self.error(
                        Code::MissingStatement,
                        "\"Statement\" is an empty array",
                        s.pos,
                        "Statement",
                    );
                    return None;
                }
                JsonKind::Array(a) => a.iter().collect(),
                _ => {
                    self.error(
                        Code::JsonSyntaxError,
                        format!(
                            "\"Statement\" must be an object or an array of objects, found {}",
                            s.type_name()
                        ),
                        s.pos,
                        "Statement",
                    );
                    return None;
                }
            },
        };
        if stmts.len() > self.opts.limits.max_statements {
            self.error(
                Code::LimitExceeded,
                format!(
                    "the policy has {} statements, more than the limit of {} (setting max_statements)",
                    stmts.len(),
                    self.opts.limits.max_statements
                ),
                j.get("Statement").map(|s| s.pos).unwrap_or(j.pos),
                "Statement",
            );
            return None;
        }
        Some(stmts)
    }

    /// Sids must be unique in IAM policies (§6.1). A set keeps this linear in the statement count.
    fn check_unique_sids(&mut self, statements: &[Statement]) {
        let mut seen = rustc_hash::FxHashSet::default();
        for (i, s) in statements.iter().enumerate() {
            let Some(sid) = s.sid.as_deref().filter(|sid| !sid.is_empty()) else {
                continue;
            };
            if !seen.insert(sid) {
                self.error(
                    Code::UniqueSidsRequired,
                    format!("duplicate Sid \"{sid}\": Sids must be unique within a policy"),
                    s.pos,
                    &format!("Statement[{i}].Sid"),
                );
            }
        }
    }

    fn statement(
        &mut self,
        j: &Json,
        index: usize,
        path: &str,
        version: Version,
    ) -> Option<Statement> {
        let Some(members) = j.as_object() else {
            self.error(
                Code::JsonSyntaxError,
                format!("a statement must be a JSON object, found {}", j.type_name()),
                j.pos,
                path,
            );
            return None;
        };
        let errors_before = self.diags.iter().filter(|d| d.is_error()).count();
        self.check_keys(members, STMT_KEYS, path, "a statement");
        // Each element is read (and checked) by its own method; a statement with an error in
        // any element is rejected, but every element is still checked so that one run reports
        // all problems.
        let sid = self.sid(j, path);
        let effect = self.effect(j, path);
        let principal = self.principal_element(j, members, path);
        let action = self.action_element(j, path);
        let resource = self.resource_element(j, path, version);
        let conditions = self.conditions(j, path, version);
        if let (Some(effect), Some(action)) = (effect, &action) {
            self.policy_type_rules(j, path, effect, action, &resource, &principal, &conditions);
        }

        let errors_after = self.diags.iter().filter(|d| d.is_error()).count();
        if errors_after > errors_before {
            return None;
        }
        Some(Statement {
            index,
            sid,
            effect: effect?,
            principal,
            action: action?,
            resource,
            conditions,
            pos: j.pos,
            end: j.end,
            path: path.to_string(),
        })
    }

    /// `Sid`: a string; letters and digits only in identity-like policies (§6.1).
    fn sid(&mut self, j: &Json, path: &str) -> Option<String> {
        let kind = self.kind;
        j.get("Sid").and_then(|v| match v.as_str() {
            Some(s) => {
                if kind.is_identity_like() && !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                    self.error(
                        Code::UnsupportedSid,
                        format!("Sid \"{s}\" may only contain letters A-Z, a-z and digits 0-9 in an IAM policy"),
                        v.pos,
                        &join(path, "Sid"),
                    );
                }
                Some(s.to_string())
            }
            None => {
                self.error(
                    Code::DataTypeMismatch,
                    format!("\"Sid\" must be a string, found {}", v.type_name()),
                    v.pos,
                    &join(path, "Sid"),
                );
                None
            }
        })
    }

    /// `Effect`: exactly `Allow` or `Deny`, with a did-you-mean.
    fn effect(&mut self, j: &Json, path: &str) -> Option<Effect> {
        match j.get("Effect") {
            None => {
                self.error(
                    Code::MissingEffect,
                    "the statement has no \"Effect\"",
                    j.pos,
                    path,
                );
                None
            }
            Some(v) => match v.as_str() {
                Some("Allow") => Some(Effect::Allow),
                Some("Deny") => Some(Effect::Deny),
                _ => {
                    self.error(
                        Code::InvalidEffect,
                        format!(
                            "\"Effect\" must be exactly \"Allow\" or \"Deny\", found {}",
                            render(v)
                        ),
                        v.pos,
                        &join(path, "Effect"),
                    );
                    if let Some(s) = v.as_str().and_then(|s| did_you_mean(s, ["Allow", "Deny"])) {
                        self.help(format!("did you mean \"{s}\"?"));
                    }
                    None
                }
            },
        }
    }

    /// `Principal` / `NotPrincipal`: read, then the policy-type rule (identity-like policies and
    /// SCPs have none; resource policies and RCPs need one).
    fn principal_element(
        &mut self,
        j: &Json,
        members: &[Member],
        path: &str,
    ) -> Option<PrincipalElement> {
        let kind = self.kind;
        let principal = self.principal(j, path);
        match kind {
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session | PolicyKind::Scp => {
                for key in ["Principal", "NotPrincipal"] {
                    if let Some(m) = members.iter().find(|m| m.key == key) {
                        self.error(
                            Code::PrincipalNotAllowed,
                            format!("\"{key}\" is not allowed in a {}", kind.describe()),
                            m.key_pos,
                            &join(path, key),
                        );
                    }
                }
            }
            PolicyKind::Resource | PolicyKind::Rcp => {
                if principal.is_none()
                    && !members
                        .iter()
                        .any(|m| m.key == "Principal" || m.key == "NotPrincipal")
                {
                    self.error(
                        Code::MissingPrincipal,
                        format!("a statement in a {} needs \"Principal\"", kind.describe()),
                        j.pos,
                        path,
                    );
                }
            }
        }
        principal
    }

    /// `Action` / `NotAction`: exactly one of them, each value `*` or `service:Action`.
    fn action_element(&mut self, j: &Json, path: &str) -> Option<ActionElement> {
        let action = match (j.get("Action"), j.get("NotAction")) {
            (Some(_), Some(_)) => {
                self.error(
                    Code::UnsupportedElementCombination,
                    "a statement cannot have both \"Action\" and \"NotAction\"",
                    j.pos,
                    path,
                );
                None
            }
            (None, None) => {
                self.error(
                    Code::MissingAction,
                    "the statement has neither \"Action\" nor \"NotAction\"",
                    j.pos,
                    path,
                );
                None
            }
            (Some(a), None) => self
                .string_list(a, &join(path, "Action"), "Action")
                .map(|p| ActionElement {
                    negated: false,
                    positions: (0..p.len()).map(|i| item_pos(a, i)).collect(),
                    list: matches!(a.kind, JsonKind::Array(_)),
                    patterns: p,
                }),
            (None, Some(a)) => self
                .string_list(a, &join(path, "NotAction"), "NotAction")
                .map(|p| ActionElement {
                    negated: true,
                    positions: (0..p.len()).map(|i| item_pos(a, i)).collect(),
                    list: matches!(a.kind, JsonKind::Array(_)),
                    patterns: p,
                }),
        };
        if let Some(a) = &action {
            let el = if a.negated { "NotAction" } else { "Action" };
            let v = j.get(el).unwrap();
            for (i, pat) in a.patterns.iter().enumerate() {
                let ppath = list_path(path, el, v, i);
                let pos = item_pos(v, i);
                if pat.trim() != pat {
                    self.warn(
                        Code::WhitespaceInValue,
                        format!(
                            "\"{pat}\" has leading or trailing spaces: it never matches an action"
                        ),
                        pos,
                        &ppath,
                    );
                }
                if pat == "*" {
                    continue;
                }
                match pat.split_once(':') {
                    Some((svc, name))
                        if !svc.is_empty() && !name.is_empty() && !name.contains(':') =>
                    {
                        if svc.contains(['*', '?']) {
                            self.warn(
                                Code::WildcardInServiceName,
                                format!("wildcard in the service prefix of \"{pat}\""),
                                pos,
                                &ppath,
                            );
                        }
                        if has_variables(pat) {
                            self.error(
                                Code::VariableUnsupportedInElement,
                                "policy variables are not allowed in Action",
                                pos,
                                &ppath,
                            );
                        }
                    }
                    _ => {
                        self.error(
                            Code::InvalidActionFormat,
                            format!("action \"{pat}\" must be \"*\" or \"service:Action\" with exactly one colon"),
                            pos,
                            &ppath,
                        );
                    }
                }
            }
            if a.patterns.is_empty() {
                self.warn(
                    Code::EmptyArray,
                    format!("empty \"{el}\" list: the statement matches nothing"),
                    v.pos,
                    &join(path, el),
                );
            }
        }
        action
    }

    /// `Resource` / `NotResource`: at most one of them (resource policies may have neither),
    /// each value `*` or an ARN; variables only where they are documented.
    fn resource_element(
        &mut self,
        j: &Json,
        path: &str,
        version: Version,
    ) -> Option<ResourceElement> {
        let kind = self.kind;
        let resource = match (j.get("Resource"), j.get("NotResource")) {
            (Some(_), Some(_)) => {
                self.error(
                    Code::UnsupportedElementCombination,
                    "a statement cannot have both \"Resource\" and \"NotResource\"",
                    j.pos,
                    path,
                );
                None
            }
            (None, None) => {
                if kind != PolicyKind::Resource {
                    self.error(
                        Code::MissingResource,
                        format!(
                            "a statement in {} needs \"Resource\" or \"NotResource\"",
                            kind.with_article()
                        ),
                        j.pos,
                        path,
                    );
                }
                None
            }
            (Some(r), None) => self
                .string_list(r, &join(path, "Resource"), "Resource")
                .map(|p| ResourceElement {
                    negated: false,
                    positions: (0..p.len()).map(|i| item_pos(r, i)).collect(),
                    list: matches!(r.kind, JsonKind::Array(_)),
                    patterns: p,
                }),
            (None, Some(r)) => self
                .string_list(r, &join(path, "NotResource"), "NotResource")
                .map(|p| ResourceElement {
                    negated: true,
                    positions: (0..p.len()).map(|i| item_pos(r, i)).collect(),
                    list: matches!(r.kind, JsonKind::Array(_)),
                    patterns: p,
                }),
        };
        if let Some(r) = &resource {
            let el = if r.negated { "NotResource" } else { "Resource" };
            let v = j.get(el).unwrap();
            for (i, pat) in r.patterns.iter().enumerate() {
                let ppath = list_path(path, el, v, i);
                let pos = item_pos(v, i);
                if pat.trim() != pat {
                    self.warn(
                        Code::WhitespaceInValue,
                        format!(
                            "\"{pat}\" has leading or trailing spaces: it never matches a resource"
                        ),
                        pos,
                        &ppath,
                    );
                }
                if pat == "*" {
                    continue;
                }
                if !pat.starts_with("arn:") {
                    self.error(
                        Code::InvalidArnPrefix,
                        format!(
                            "resource \"{pat}\" must be \"*\" or an ARN starting with \"arn:\""
                        ),
                        pos,
                        &ppath,
                    );
                    continue;
                }
                self.check_variables(pat, version, pos, &ppath);
                let head: Vec<&str> = pat.splitn(6, ':').collect();
                if head.len() == 6 && head[..5].iter().any(|s| s.contains("${")) {
                    self.warn(
                        Code::VariableOutsideResourcePart,
                        "policy variables are documented only in the resource part of an ARN (after the fifth colon)",
                        pos,
                        &ppath,
                    );
                }
                if head.len() > 2 && head[2].contains(['*', '?']) {
                    self.warn(
                        Code::WildcardInServiceName,
                        format!("wildcard in the service segment of \"{pat}\""),
                        pos,
                        &ppath,
                    );
                }
            }
            if r.patterns.is_empty() {
                self.warn(
                    Code::EmptyArray,
                    format!("empty \"{el}\" list: the statement matches nothing"),
                    v.pos,
                    &join(path, el),
                );
            }
        }
        resource
    }

    /// The policy-type rules of semantics §6.3 (RCP restrictions, the legacy SCP language,
    /// `Allow` with `NotPrincipal`).
    #[allow(clippy::too_many_arguments)]
    fn policy_type_rules(
        &mut self,
        j: &Json,
        path: &str,
        effect: Effect,
        action: &ActionElement,
        resource: &Option<ResourceElement>,
        principal: &Option<PrincipalElement>,
        conditions: &[Condition],
    ) {
        let kind = self.kind;
        match kind {
            PolicyKind::Rcp => {
                self.rcp_rules(j, path, effect, action, resource, principal, conditions)
            }
            PolicyKind::Scp if self.opts.scp_legacy && effect == Effect::Allow => {
                if action.negated {
                    self.error(
                        Code::ScpLegacySyntax,
                        "legacy SCPs allow \"NotAction\" only with Deny",
                        j.pos,
                        path,
                    );
                }
                if !conditions.is_empty() {
                    self.error(
                        Code::ScpLegacySyntax,
                        "legacy SCPs allow \"Condition\" only with Deny",
                        j.pos,
                        path,
                    );
                }
                if resource
                    .as_ref()
                    .is_some_and(|r| r.negated || r.patterns.iter().any(|p| p != "*"))
                {
                    self.error(
                        Code::ScpLegacySyntax,
                        "legacy SCPs allow only \"Resource\": \"*\" with Allow",
                        j.pos,
                        path,
                    );
                }
            }
            _ => {}
        }
        if kind == PolicyKind::Scp && self.opts.scp_legacy {
            if resource.as_ref().is_some_and(|r| r.negated) {
                self.error(
                    Code::ScpLegacySyntax,
                    "legacy SCPs do not support \"NotResource\"",
                    j.pos,
                    path,
                );
            }
            for p in &action.patterns {
                if let Some((_, name)) = p.split_once(':') {
                    let inner = name.trim_end_matches('*');
                    if inner.contains(['*', '?']) {
                        self.error(
                            Code::ScpLegacySyntax,
                            format!("legacy SCPs allow a wildcard only at the end of an action name: \"{p}\""),
                            j.pos,
                            path,
                        );
                    }
                }
            }
        }
        if effect == Effect::Allow && principal.as_ref().is_some_and(|p| p.negated) {
            self.warn(
                Code::AllowWithNotprincipal,
                "\"Allow\" with \"NotPrincipal\" grants access to everyone not listed",
                j.pos,
                path,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn rcp_rules(
        &mut self,
        j: &Json,
        path: &str,
        effect: Effect,
        action: &ActionElement,
        resource: &Option<ResourceElement>,
        principal: &Option<PrincipalElement>,
        conditions: &[Condition],
    ) {
        let full_access = effect == Effect::Allow
            && !action.negated
            && action.patterns == ["*"]
            && resource
                .as_ref()
                .is_some_and(|r| !r.negated && r.patterns == ["*"])
            && conditions.is_empty();
        if effect == Effect::Allow && !full_access {
            self.error(
                Code::RcpSyntax,
                "an RCP statement must have \"Effect\": \"Deny\" (only RCPFullAWSAccess uses Allow on * for *)",
                j.pos,
                path,
            );
        }
        if let Some(p) = principal {
            if p.negated {
                self.error(
                    Code::RcpSyntax,
                    "RCPs do not support \"NotPrincipal\"",
                    j.pos,
                    path,
                );
            } else if p.entries != [PrincipalEntry::Any] {
                self.error(
                    Code::RcpSyntax,
                    "an RCP \"Principal\" must be exactly \"*\" (scope it with conditions)",
                    j.pos,
                    path,
                );
            }
        }
        if action.negated {
            self.error(
                Code::RcpSyntax,
                "RCPs do not support \"NotAction\"",
                j.pos,
                path,
            );
        } else if effect == Effect::Deny && action.patterns.iter().any(|p| p == "*") {
            self.error(
                Code::RcpSyntax,
                "an RCP Deny may not use the bare action \"*\"",
                j.pos,
                path,
            );
        }
    }

    fn principal(&mut self, j: &Json, path: &str) -> Option<PrincipalElement> {
        let (key, v, negated) = match (j.get("Principal"), j.get("NotPrincipal")) {
            (Some(_), Some(_)) => {
                self.error(
                    Code::UnsupportedElementCombination,
                    "a statement cannot have both \"Principal\" and \"NotPrincipal\"",
                    j.pos,
                    path,
                );
                return None;
            }
            (Some(v), None) => ("Principal", v, false),
            (None, Some(v)) => ("NotPrincipal", v, true),
            (None, None) => return None,
        };
        let ppath = join(path, key);
        let mut entries = Vec::new();
        match &v.kind {
            JsonKind::String(s) if s == "*" => entries.push(PrincipalEntry::Any),
            JsonKind::Object(members) => {
                self.check_keys(members, PRINCIPAL_KEYS, &ppath, "a principal");
                for m in members {
                    let mpath = join(&ppath, &m.key);
                    let Some(values) = self.string_list(&m.value, &mpath, &m.key) else {
                        continue;
                    };
                    if values.is_empty() {
                        self.warn(
                            Code::EmptyArray,
                            "empty principal list: matches nobody",
                            m.value.pos,
                            &mpath,
                        );
                    }
                    for (i, val) in values.into_iter().enumerate() {
                        let pos = item_pos(&m.value, i);
                        if val != "*" && val.contains(['*', '?']) {
                            self.error(
                                Code::UnsupportedWildcardInPrincipal,
                                format!("wildcards are not allowed in principal \"{val}\" (only \"*\" alone)"),
                                pos,
                                &mpath,
                            );
                            continue;
                        }
                        if val.contains("${") {
                            self.error(
                                Code::VariableUnsupportedInElement,
                                "policy variables are not allowed in Principal",
                                pos,
                                &mpath,
                            );
                            continue;
                        }
                        if m.key == "AWS" && val != "*" {
                            if let Some(why) = aws_principal_problem(&val) {
                                self.error(
                                    Code::InvalidPrincipal,
                                    format!("\"{val}\" is not an AWS principal: {why}"),
                                    pos,
                                    &mpath,
                                );
                                continue;
                            }
                        }
                        entries.push(match m.key.as_str() {
                            "AWS" if val == "*" => PrincipalEntry::Any,
                            "AWS" => PrincipalEntry::Aws(val),
                            "Service" => PrincipalEntry::Service(val),
                            "Federated" => PrincipalEntry::Federated(val),
                            "CanonicalUser" => PrincipalEntry::CanonicalUser(val),
                            _ => continue,
                        });
                    }
                }
            }
            JsonKind::String(s) => {
                self.error(
                    Code::InvalidPrincipal,
                    format!("a string \"{key}\" must be \"*\"; name principals in an object such as {{\"AWS\": \"{s}\"}}"),
                    v.pos,
                    &ppath,
                );
                return None;
            }
            _ => {
                self.error(
                    Code::JsonSyntaxError,
                    format!("\"{key}\" must be \"*\" or an object such as {{\"AWS\": \"arn:...\"}}, found {}", render(v)),
                    v.pos,
                    &ppath,
                );
                return None;
            }
        }
        Some(PrincipalElement { negated, entries })
    }

    /// A string or an array of strings.
    fn check_len(&mut self, s: &str, pos: json::Pos, path: &str) -> bool {
        let n = s.chars().count();
        if n > self.opts.limits.max_pattern_len {
            self.error(
                Code::LimitExceeded,
                format!(
                    "a value of {n} characters is longer than the limit of {} (setting max_pattern_length)",
                    self.opts.limits.max_pattern_len
                ),
                pos,
                path,
            );
            return false;
        }
        true
    }

    fn check_count(&mut self, n: usize, pos: json::Pos, path: &str) -> bool {
        if n > self.opts.limits.max_values {
            self.error(
                Code::LimitExceeded,
                format!(
                    "{n} values, more than the limit of {} (setting max_values)",
                    self.opts.limits.max_values
                ),
                pos,
                path,
            );
            return false;
        }
        true
    }

    fn string_list(&mut self, v: &Json, path: &str, what: &str) -> Option<Vec<String>> {
        match &v.kind {
            JsonKind::String(s) => self.check_len(s, v.pos, path).then(|| vec![s.clone()]),
            JsonKind::Array(items) => {
                if !self.check_count(items.len(), v.pos, path) {
                    return None;
                }
                let mut out = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    match it.as_str() {
                        Some(s) => {
                            if !self.check_len(s, it.pos, &format!("{path}[{i}]")) {
                                return None;
                            }
                            out.push(s.to_string())
                        }
                        None => {
                            self.error(
                                Code::DataTypeMismatch,
                                format!(
                                    "every value of \"{what}\" must be a string, found {}",
                                    it.type_name()
                                ),
                                it.pos,
                                &format!("{path}[{i}]"),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            _ => {
                self.error(
                    Code::DataTypeMismatch,
                    format!(
                        "\"{what}\" must be a string or an array of strings, found {}",
                        v.type_name()
                    ),
                    v.pos,
                    path,
                );
                None
            }
        }
    }

    fn check_variables(&mut self, text: &str, version: Version, pos: json::Pos, path: &str) {
        if !has_variables(text) {
            return;
        }
        if !version.variables_enabled() {
            self.warn(
                Code::VariableUnsupportedInVersion,
                format!("\"{text}\" contains a policy variable, but variables need \"Version\": \"2012-10-17\"; it is matched as literal text"),
                pos,
                path,
            );
            return;
        }
        if let Err(e) = parse_template(text) {
            self.error(Code::InvalidVariable, e.message(), pos, path);
            return;
        }
        // Names between ${ and }: a nested ${${aws:username}} or a name without a service
        // prefix (${Foo}) is accepted by IAM but never resolves as meant.
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else { break };
            let name = after[..end].split(',').next().unwrap_or("").trim();
            if name.contains("${") || name.contains('$') && name != "$" {
                self.warn(Code::NestedVariable, format!("\"{text}\" nests a policy variable inside another; IAM does not resolve nested variables"), pos, path);
            } else if !matches!(name, "*" | "?" | "$") && !name.contains(':') {
                self.warn(Code::UnknownVariable, format!("${{{name}}} is not a condition key (keys are service:Name, e.g. ${{aws:username}}): it never resolves"), pos, path);
            }
            rest = &after[end + 1..];
        }
    }

    /// The `Condition` block, level by level: each operator ([`Self::operator`]), each of its
    /// keys, their values ([`Self::condition_values`]), then the per-family warnings.
    fn conditions(&mut self, j: &Json, path: &str, version: Version) -> Vec<Condition> {
        let mut out = Vec::new();
        let Some(c) = j.get("Condition") else {
            return out;
        };
        let cpath = join(path, "Condition");
        let Some(ops) = c.as_object() else {
            self.error(
                Code::JsonSyntaxError,
                format!("\"Condition\" must be an object, found {}", c.type_name()),
                c.pos,
                &cpath,
            );
            return out;
        };
        // Operators and keys seen so far, in sets: a hostile policy with many of them stays
        // linear.
        let mut seen_ops = rustc_hash::FxHashSet::default();
        for opm in ops {
            let opath = join(&cpath, &opm.key);
            if !seen_ops.insert(opm.key.as_str()) {
                self.error(
                    Code::DuplicateElement,
                    format!(
                        "condition operator \"{}\" appears more than once (its keys would be lost)",
                        opm.key
                    ),
                    opm.key_pos,
                    &opath,
                );
                continue;
            }
            let Some(op) = self.operator(opm, &opath) else {
                continue;
            };
            let Some(keys) = opm.value.as_object() else {
                self.error(
                    Code::JsonSyntaxError,
                    format!("the value of operator \"{}\" must be an object of condition keys, found {}", opm.key, opm.value.type_name()),
                    opm.value.pos,
                    &opath,
                );
                continue;
            };
            let mut seen_keys = rustc_hash::FxHashSet::default();
            for km in keys {
                let kpath = join(&opath, &km.key);
                if !seen_keys.insert(km.key.to_ascii_lowercase()) {
                    self.error(
                        Code::DuplicateKeysWithDifferentCase,
                        format!("condition key \"{}\" appears more than once under {} (key names are case-insensitive)", km.key, opm.key),
                        km.key_pos,
                        &kpath,
                    );
                    continue;
                }
                let Some(values) = self.condition_values(km, &kpath) else {
                    continue;
                };
                self.condition_warnings(op, &km.key, &values, km, &kpath, version);
                out.push(Condition {
                    op,
                    key: km.key.clone(),
                    values,
                    pos: km.key_pos,
                    path: kpath,
                });
            }
        }
        out
    }

    /// The operator a `Condition` member names, with a warning for a non-canonical spelling;
    /// none (after an error with a did-you-mean) for an unknown one or `NullIfExists`.
    fn operator(&mut self, opm: &Member, opath: &str) -> Option<Operator> {
        match Operator::parse(&opm.key) {
            Ok((op, noncanonical)) => {
                if noncanonical {
                    self.warn(
                        Code::NoncanonicalOperator,
                        format!(
                            "operator \"{}\" is not spelled canonically; write \"{op}\"",
                            opm.key
                        ),
                        opm.key_pos,
                        opath,
                    );
                }
                Some(op)
            }
            Err(OperatorError::NullIfExists) => {
                self.error(
                    Code::NullWithIfExists,
                    "\"Null\" cannot take \"IfExists\"",
                    opm.key_pos,
                    opath,
                );
                None
            }
            Err(OperatorError::Unknown) => {
                self.error(
                    Code::InvalidConditionOperator,
                    format!("unknown condition operator \"{}\"", opm.key),
                    opm.key_pos,
                    opath,
                );
                let names = all_operator_names();
                let bare = opm.key.rsplit(':').next().unwrap_or(&opm.key);
                if let Some(s) = did_you_mean(bare, names.iter().map(String::as_str)) {
                    let prefix = opm.key.strip_suffix(bare).unwrap_or("");
                    self.help(format!("did you mean \"{prefix}{s}\"?"));
                }
                None
            }
        }
    }

    /// The values of one condition key: a scalar or an array of scalars, each within the
    /// length and count limits; none (after an error) when the value is of the wrong type.
    fn condition_values(&mut self, km: &Member, kpath: &str) -> Option<Vec<String>> {
        match &km.value.kind {
            JsonKind::Array(items) => {
                if !self.check_count(items.len(), km.value.pos, kpath) {
                    return None;
                }
                let mut vs = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    match it.scalar_text() {
                        Some(t) => {
                            if self.check_len(&t, it.pos, kpath) {
                                vs.push(t)
                            }
                        }
                        None => self.error(
                            Code::DataTypeMismatch,
                            format!("a condition value must be a string, number or boolean, found {}", it.type_name()),
                            it.pos,
                            &format!("{kpath}[{i}]"),
                        ),
                    }
                }
                if items.is_empty() {
                    self.warn(
                        Code::EmptyArrayCondition,
                        "empty value list: a positive operator never matches",
                        km.value.pos,
                        kpath,
                    );
                }
                Some(vs)
            }
            _ => match km.value.scalar_text() {
                Some(t) if !self.check_len(&t, km.value.pos, kpath) => None,
                Some(t) => Some(vec![t]),
                None => {
                    self.error(
                        Code::DataTypeMismatch,
                        format!("a condition value must be a string, number, boolean or an array of them, found {}", km.value.type_name()),
                        km.value.pos,
                        kpath,
                    );
                    None
                }
            },
        }
    }

    /// Kept whole: one check per operator family (§6.2), each a few lines on the same value.
    fn condition_warnings(
        &mut self,
        op: Operator,
        key: &str,
        values: &[String],
        km: &Member,
        path: &str,
        version: Version,
    ) {
        let lkey = key.to_ascii_lowercase();
        let pos = km.value.pos;
        if key.contains("${") {
            self.error(
                Code::VariableUnsupportedInElement,
                "policy variables are not allowed in condition keys",
                km.key_pos,
                path,
            );
        }
        if !lkey.contains(':') {
            self.warn(
                Code::InvalidConditionKey,
                format!("condition key \"{key}\" has no service prefix"),
                km.key_pos,
                path,
            );
        } else if lkey.starts_with("aws:")
            && !lkey.contains('/')
            && !WELL_KNOWN_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
        {
            let msg = if lkey == "aws:arn" {
                "\"aws:ARN\" is deprecated; use \"aws:PrincipalArn\"".to_string()
            } else {
                format!("\"{key}\" is not a known global condition key")
            };
            self.warn(Code::UnknownGlobalConditionKey, msg, km.key_pos, path);
            if let Some(s) = did_you_mean(key, WELL_KNOWN_KEYS.iter().copied()) {
                self.help(format!("did you mean \"{s}\"?"));
            }
        }
        let family = op.base.family();
        for v in values {
            if has_variables(v) {
                if !op.base.takes_variables() {
                    self.error(
                        Code::InvalidVariableForOperator,
                        format!("policy variables cannot be used with {}", op.base.name()),
                        pos,
                        path,
                    );
                    continue;
                }
                if family == Family::Bool {
                    self.warn(
                        Code::VariableWithBool,
                        "policy variables with Bool are documented inconsistently (semantics §9.7)",
                        pos,
                        path,
                    );
                }
                self.check_variables(v, version, pos, path);
            }
            match family {
                Family::Bool | Family::Null => {
                    if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") && !has_variables(v) {
                        self.warn(Code::InvalidBooleanValue, format!("{} value \"{v}\" is not true or false: it never matches", op.base.name()), pos, path);
                    }
                }
                Family::Numeric => match crate::values::parse_number(v) {
                    None => self.warn(Code::InvalidNumericValue, format!("\"{v}\" is not a number: it never matches"), pos, path),
                    // 1e-400 is a number too small for a double: it compares as 0.
                    Some(n) if n == 0.0 && v.bytes().any(|c| (b'1'..=b'9').contains(&c)) && v.to_ascii_lowercase().contains('e') => {
                        self.warn(Code::LenientNumericValue, format!("\"{v}\" underflows to 0 and is compared as 0"), pos, path)
                    }
                    _ => {}
                },
                Family::Date => {
                    if crate::values::parse_date(v).is_none() {
                        self.warn(Code::InvalidDateValue, format!("\"{v}\" is not an ISO 8601 date or epoch seconds: it never matches"), pos, path);
                    } else if let Some(why) = crate::values::typed::date_leniency(v) {
                        self.warn(Code::LenientDateValue, format!("\"{v}\" is accepted, but {why}: check the date"), pos, path);
                    }
                }
                Family::Ip => match crate::values::Cidr::parse(v) {
                    None => self.warn(Code::InvalidIpValue, format!("\"{v}\" is not an IP address or CIDR range: it never matches"), pos, path),
                    Some(c) if c.has_host_bits() => {
                        self.warn(Code::ImproveIpRange, format!("\"{v}\" has bits set after the prefix length; they are ignored"), pos, path)
                    }
                    Some(c) if c.is_private() && lkey == "aws:sourceip" => self.warn(
                        Code::PrivateIpWithSourceIp,
                        format!("\"{v}\" is a private range; aws:SourceIp holds public addresses (use aws:VpcSourceIp)"),
                        pos,
                        path,
                    ),
                    _ => {}
                },
                Family::Binary => {
                    if crate::values::base64_decode(v).is_none() {
                        self.warn(Code::InvalidBinaryValue, format!("\"{v}\" is not base64: it never matches"), pos, path);
                    }
                }
                Family::String | Family::Arn => {
                    if !op.base.is_like() && v.contains(['*', '?']) && !has_variables(v) {
                        self.warn(
                            Code::WildcardWithoutLikeOperator,
                            format!("\"{v}\" contains a wildcard, but {} compares literally; use a Like operator", op.base.name()),
                            pos,
                            path,
                        );
                    }
                }
            }
        }
        let multivalued = MULTIVALUED_KEYS.contains(&lkey.as_str());
        // Null tests presence, which needs no set qualifier (11 AWS managed policies use
        // "Null": {"aws:TagKeys": "false"}).
        if op.set.is_none() && multivalued && op.base != crate::policy::BaseOp::Null {
            self.warn(
                Code::MissingQualifier,
                format!("\"{key}\" is multivalued: use ForAllValues: or ForAnyValue: (without one the condition never matches)"),
                km.key_pos,
                path,
            );
        }
        if op.set.is_some() && family == Family::Null {
            self.warn(
                Code::NullWithQualifier,
                "a set qualifier on Null makes the condition constant",
                km.key_pos,
                path,
            );
        } else if op.set == Some(SetOp::ForAllValues)
            && !multivalued
            && is_single_valued_global(&lkey)
        {
            self.warn(
                Code::ForallvaluesWithSingleValuedKey,
                format!("ForAllValues with the single-valued key \"{key}\" is true when the key is absent"),
                km.key_pos,
                path,
            );
        }
    }
}

fn is_single_valued_global(lkey: &str) -> bool {
    lkey.starts_with("aws:") && WELL_KNOWN_KEYS.iter().any(|k| k.eq_ignore_ascii_case(lkey))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn list_path(path: &str, el: &str, v: &Json, i: usize) -> String {
    match v.kind {
        JsonKind::Array(_) => format!("{}[{i}]", join(path, el)),
        _ => join(path, el),
    }
}

fn item_pos(v: &Json, i: usize) -> json::Pos {
    match &v.kind {
        JsonKind::Array(a) => a.get(i).map(|x| x.pos).unwrap_or(v.pos),
        _ => v.pos,
    }
}

fn render(v: &Json) -> String {
    match &v.kind {
        JsonKind::String(s) => format!("\"{s}\""),
        _ => v.type_name().to_string(),
    }
}

/// Why an `"AWS"` principal value is malformed, if it is: it must be a 12-digit account id, an
/// IAM or STS ARN naming the account root, a user, a role, an assumed-role session or a
/// federated user, or a unique id (`AIDA…`, `AROA…`: what IAM shows for a deleted principal).
fn aws_principal_problem(v: &str) -> Option<String> {
    if crate::values::is_account_id(v) {
        return None;
    }
    if v.len() >= 16
        && v.starts_with('A')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    if !v.starts_with("arn:") {
        return Some(if v.len() == 12 {
            "an account id is 12 digits (is a letter O or l among them?)".into()
        } else {
            "expected a 12-digit account id or an IAM ARN".into()
        });
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    if parts.len() < 6 || parts[5].is_empty() {
        return Some("the ARN has no resource part (e.g. arn:aws:iam::111122223333:root)".into());
    }
    let (service, account, resource) = (parts[2], parts[4], parts[5]);
    if service != "iam" && service != "sts" {
        return Some(format!(
            "a principal is an IAM or STS ARN, not a {service} resource"
        ));
    }
    // CloudFront origin access identities live in the pseudo-account "cloudfront".
    if !crate::values::is_account_id(account) && account != "cloudfront" {
        return Some(format!("the account field \"{account}\" is not 12 digits"));
    }
    let ok = match service {
        "iam" => {
            resource == "root" || resource.starts_with("user/") || resource.starts_with("role/")
        }
        _ => resource.starts_with("assumed-role/") || resource.starts_with("federated-user/"),
    };
    (!ok).then(|| format!("\"{resource}\" is not a root, user, role or session"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, kind: PolicyKind) -> Result<(Policy, Vec<Diagnostic>), Vec<Diagnostic>> {
        parse_policy_text(text, "p.json", "p", kind, ParseOptions::default())
    }

    fn first_error(text: &str, kind: PolicyKind) -> Diagnostic {
        parse(text, kind)
            .unwrap_err()
            .into_iter()
            .find(|d| d.is_error())
            .unwrap()
    }

    #[test]
    fn statement_may_be_an_object_or_an_array() {
        let (p, _) = parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#, PolicyKind::Identity).unwrap();
        assert_eq!(p.statements.len(), 1);
    }

    #[test]
    fn action_with_notaction_is_an_unsupported_combination() {
        let d = first_error(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "unsupported-element-combination");
        assert_eq!((d.line, d.column), (1, 15));
    }

    #[test]
    fn unknown_element_suggests_the_right_spelling() {
        let d = first_error(
            "{\"Statement\":[{\n \"Efect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "invalid-policy-element");
        assert_eq!((d.line, d.column), (2, 2));
        assert_eq!(d.help.as_deref(), Some("did you mean \"Effect\"?"));
    }

    #[test]
    fn unknown_operator_is_rejected_with_a_suggestion() {
        let d = first_error(
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExist":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "invalid-condition-operator");
        assert_eq!(d.help.as_deref(), Some("did you mean \"BoolIfExists\"?"));
    }

    #[test]
    fn effect_must_be_exactly_allow_or_deny() {
        let d = first_error(
            r#"{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "invalid-effect");
    }

    #[test]
    fn identity_policy_rejects_principal_and_needs_resource() {
        let d = first_error(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "principal-not-allowed");
        let d = first_error(
            r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "missing-resource");
    }

    #[test]
    fn resource_policy_needs_principal_but_not_resource() {
        assert!(parse(r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}"#, PolicyKind::Resource).is_ok());
        let d = first_error(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
            PolicyKind::Resource,
        );
        assert_eq!(d.code, "missing-principal");
    }

    #[test]
    fn partial_wildcard_in_principal_is_rejected() {
        let d = first_error(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/*"},"Action":"s3:*"}}"#,
            PolicyKind::Resource,
        );
        assert_eq!(d.code, "unsupported-wildcard-in-principal");
    }

    #[test]
    fn invalid_action_and_arn_formats_are_rejected() {
        assert_eq!(
            first_error(
                r#"{"Statement":{"Effect":"Allow","Action":"s3GetObject","Resource":"*"}}"#,
                PolicyKind::Identity
            )
            .code,
            "invalid-action-format"
        );
        assert_eq!(
            first_error(
                r#"{"Statement":{"Effect":"Allow","Action":"s3:Get","Resource":"bucket"}}"#,
                PolicyKind::Identity
            )
            .code,
            "invalid-arn-prefix"
        );
    }

    #[test]
    fn malformed_variable_is_rejected() {
        let d = first_error(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "invalid-variable");
    }

    #[test]
    fn variables_with_numeric_operators_are_rejected() {
        let d = first_error(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"${aws:username}"}}}}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "invalid-variable-for-operator");
    }

    #[test]
    fn bool_value_that_is_not_boolean_is_a_warning() {
        let (_, w) = parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}"#, PolicyKind::Identity).unwrap();
        assert!(w.iter().any(|d| d.code == "invalid-boolean-value"));
    }

    #[test]
    fn recently_documented_global_keys_are_known() {
        for key in [
            "aws:ResourceOrgPaths",
            "aws:PrincipalServiceNamesList",
            "aws:SourceOrgID",
            "aws:SourceOrgPaths",
            "aws:VpceAccount",
            "aws:VpceOrgID",
            "aws:VpceOrgPaths",
            "aws:SourceVpcArn",
            "aws:Ec2InstanceSourceVpc",
            "aws:Ec2InstanceSourcePrivateIPv4",
            "aws:AssumedRoot",
            "aws:SignInSessionArn",
            "aws:ChatbotSourceArn",
            "aws:CalledViaAWSMCP",
            "aws:ViaAWSMCPService",
            "aws:IsMcpServiceAction",
        ] {
            let op = if is_multivalued_global_key(key) {
                "ForAnyValue:StringLike"
            } else {
                "StringLike"
            };
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"{op}":{{"{key}":"x*"}}}}}}}}"#
            );
            let opts = ParseOptions {
                strict: true,
                ..Default::default()
            };
            let r = parse_policy_text(&text, "p.json", "p", PolicyKind::Identity, opts);
            assert!(r.as_ref().is_ok_and(|(_, w)| w.is_empty()), "{key}: {r:?}");
        }
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:TagKeys":"false"}}}}"#;
        let (_, w) = parse(text, PolicyKind::Identity).unwrap();
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn multivalued_key_without_qualifier_is_a_warning() {
        let (_, w) = parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"a"}}}}"#, PolicyKind::Identity).unwrap();
        assert!(w.iter().any(|d| d.code == "missing-qualifier"));
    }

    #[test]
    fn rcp_must_deny_with_principal_star() {
        let d = first_error(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}}"#,
            PolicyKind::Rcp,
        );
        assert_eq!(d.code, "rcp-syntax");
        assert!(parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#, PolicyKind::Rcp).is_ok());
    }

    #[test]
    fn scp_requires_version() {
        assert_eq!(
            first_error(
                r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
                PolicyKind::Scp
            )
            .code,
            "missing-version"
        );
    }

    #[test]
    fn legacy_scp_rejects_conditions_on_allow() {
        let r = parse_policy_text(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*Instances","Resource":"*"}}"#,
            "p",
            "p",
            PolicyKind::Scp,
            ParseOptions {
                scp_legacy: true,
                ..Default::default()
            },
        );
        assert!(r.is_err());
    }

    #[test]
    fn every_input_limit_is_an_error_naming_the_limit() {
        let small = ParseOptions {
            limits: InputLimits {
                max_bytes: 4096,
                max_depth: 8,
                max_statements: 2,
                max_values: 3,
                max_pattern_len: 20,
            },
            ..Default::default()
        };
        let run = |t: &str| {
            let ds = parse_policy_text(t, "p.json", "p", PolicyKind::Identity, small).unwrap_err();
            ds.into_iter().find(|d| d.is_error()).unwrap().message
        };
        let s = r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#;
        assert!(run(&format!(r#"{{"Statement":[{s},{s},{s}]}}"#)).contains("max_statements"));
        assert!(run(
            r#"{"Statement":{"Effect":"Allow","Action":["a:a","a:b","a:c","a:d"],"Resource":"*"}}"#
        )
        .contains("max_values"));
        assert!(run(r#"{"Statement":{"Effect":"Allow","Action":"s3:aaaaaaaaaaaaaaaaaaaaaaaaa","Resource":"*"}}"#).contains("max_pattern_length"));
        assert!(run(&format!(r#"{{"Statement":{}}}"#, "[".repeat(20)))
            .contains("nesting deeper than the limit of 8"));
        assert!(run(&format!(r#"{{"Statement":[{}]}}"#, s.repeat(100)))
            .contains("larger than the limit of 4096"));
    }

    #[test]
    fn duplicate_elements_are_rejected() {
        let d = first_error(
            r#"{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}"#,
            PolicyKind::Identity,
        );
        assert_eq!(d.code, "duplicate-element");
    }

    #[test]
    fn sid_characters_and_uniqueness_are_checked_in_iam_policies() {
        assert_eq!(
            first_error(
                r#"{"Statement":{"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"}}"#,
                PolicyKind::Identity
            )
            .code,
            "unsupported-sid"
        );
        assert_eq!(first_error(r#"{"Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"}]}"#, PolicyKind::Identity).code, "unique-sids-required");
    }
}
