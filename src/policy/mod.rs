//! The policy model: documents, statements and their elements, read from a spanned JSON tree and
//! validated per semantics §6.

pub mod operator;
mod parse;
pub mod quota;
pub mod variable;

pub use operator::{BaseOp, Family, Operator, SetOp};
pub use parse::{parse_policy, parse_policy_text, InputLimits, ParseOptions};

use crate::json::Pos;
use std::fmt;

/// Which kind of policy a document is; validation and evaluation depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// Identity-based policy (user, group or role; inline or managed).
    Identity,
    /// Permissions boundary.
    Boundary,
    /// Session policy passed when a session was created.
    Session,
    /// Organizations service control policy.
    Scp,
    /// Organizations resource control policy.
    Rcp,
    /// Resource-based policy (bucket policy, key policy, role trust policy, ...).
    Resource,
}

impl PolicyKind {
    /// The name used in messages ("identity-based policy", ...), as AWS words it.
    pub fn describe(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity-based policy",
            PolicyKind::Boundary => "permissions boundary",
            PolicyKind::Session => "session policy",
            PolicyKind::Scp => "service control policy",
            PolicyKind::Rcp => "resource control policy",
            PolicyKind::Resource => "resource-based policy",
        }
    }

    /// Whether IAM's stricter identity-document rules apply (Sid characters, no Principal).
    pub fn is_identity_like(self) -> bool {
        matches!(
            self,
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session
        )
    }
}

/// `Version` of a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012,
    /// `2008-10-17`: `${...}` is literal text.
    V2008,
    /// No `Version` element: treated like 2008-10-17 for variables (semantics §9.8).
    Missing,
}

impl Version {
    /// Whether policy variables are substituted.
    pub fn variables_enabled(self) -> bool {
        self == Version::V2012
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    /// Grants (or, in a guardrail, permits).
    Allow,
    /// Denies; overrides every allow.
    Deny,
}

/// A policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    /// A display name: the file path, or a name such as `identity_policies[0]`.
    pub name: String,
    /// The file the positions refer to.
    pub file: String,
    /// Kind of policy.
    pub kind: PolicyKind,
    /// The `Version` element.
    pub version: Version,
    /// The `Id` element.
    pub id: Option<String>,
    /// The statements in source order.
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Zero-based position in the policy's statement list.
    pub index: usize,
    /// The `Sid`, if any.
    pub sid: Option<String>,
    /// The effect.
    pub effect: Effect,
    /// `Principal` / `NotPrincipal`.
    pub principal: Option<PrincipalElement>,
    /// `Action` / `NotAction`.
    pub action: ActionElement,
    /// `Resource` / `NotResource`; `None` in a resource-based policy means "this resource".
    pub resource: Option<ResourceElement>,
    /// Conditions (all must hold).
    pub conditions: Vec<Condition>,
    /// Where the statement object starts.
    pub pos: Pos,
    /// Just after the statement object's closing brace.
    pub end: Pos,
}

impl Statement {
    /// `Sid` if present, otherwise the index, as used in reports (`policy#Sid`).
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => s.clone(),
            _ => format!("{}", self.index),
        }
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone)]
pub struct PrincipalElement {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// The listed principals (OR-ed).
    pub entries: Vec<PrincipalEntry>,
}

/// One principal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    Any,
    /// An `AWS` value: account ID, account/root ARN, user, role, session or federated ARN, unique ID.
    Aws(String),
    /// A `Service` value.
    Service(String),
    /// A `Federated` value.
    Federated(String),
    /// A `CanonicalUser` value.
    CanonicalUser(String),
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone)]
pub struct ActionElement {
    /// True for `NotAction`.
    pub negated: bool,
    /// The patterns as written.
    pub patterns: Vec<String>,
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone)]
pub struct ResourceElement {
    /// True for `NotResource`.
    pub negated: bool,
    /// The patterns as written.
    pub patterns: Vec<String>,
}

/// One condition entry: operator, key and values.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The operator.
    pub op: Operator,
    /// The key as written.
    pub key: String,
    /// The values as text (numbers and booleans in their JSON spelling).
    pub values: Vec<String>,
    /// Where the key is written.
    pub pos: Pos,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {{\"{}\": ", self.op, self.key)?;
        if self.values.len() == 1 {
            write!(f, "\"{}\"}}", self.values[0])
        } else {
            let v: Vec<String> = self.values.iter().map(|v| format!("\"{v}\"")).collect();
            write!(f, "[{}]}}", v.join(", "))
        }
    }
}
