//! The policy model: documents, statements and their elements, read from a spanned JSON tree and
//! validated per semantics §6.

pub mod operator;
pub(crate) mod parse;
pub mod quota;
pub mod variable;

pub use operator::{BaseOp, Family, Operator, SetOp};
pub use parse::{
    parse_policy, parse_policy_text, InputLimits, ParseOptions,
};

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

    /// [`describe`](Self::describe) with its indefinite article ("an identity-based policy").
    pub fn with_article(self) -> String {
        let d = self.describe();
        let article = if d.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {d}")
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
    /// Where the `Version` value is written (the document's start when it is missing).
    pub version_pos: Pos,
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
    /// The statement's JSON path: `Statement[2]`, or `Statement` when it is the only object.
    pub path: String,
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
    /// Where each pattern is written (parallel to `patterns`).
    pub positions: Vec<Pos>,
    /// Whether the element is a JSON array (its values' paths then carry an index).
    pub list: bool,
}

impl ActionElement {
    /// The JSON path of pattern `i` under the statement at `stmt_path`: `Statement[0].Action[1]`.
    pub fn value_path(&self, stmt_path: &str, i: usize) -> String {
        let el = if self.negated { "NotAction" } else { "Action" };
        if self.list {
            format!("{stmt_path}.{el}[{i}]")
        } else {
            format!("{stmt_path}.{el}")
        }
    }

    /// Where pattern `i` is written.
    pub fn pos(&self, i: usize) -> Pos {
        self.positions.get(i).copied().unwrap_or_default()
    }
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone)]
pub struct ResourceElement {
    /// True for `NotResource`.
    pub negated: bool,
    /// The patterns as written.
    pub patterns: Vec<String>,
    /// Where each pattern is written (parallel to `patterns`).
    pub positions: Vec<Pos>,
    /// Whether the element is a JSON array (its values' paths then carry an index).
    pub list: bool,
}

impl ResourceElement {
    /// The JSON path of pattern `i` under the statement at `stmt_path`: `Statement[0].Resource[1]`.
    pub fn value_path(&self, stmt_path: &str, i: usize) -> String {
        let el = if self.negated {
            "NotResource"
        } else {
            "Resource"
        };
        if self.list {
            format!("{stmt_path}.{el}[{i}]")
        } else {
            format!("{stmt_path}.{el}")
        }
    }

    /// Where pattern `i` is written.
    pub fn pos(&self, i: usize) -> Pos {
        self.positions.get(i).copied().unwrap_or_default()
    }
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
    /// The key's JSON path, e.g. `Statement[0].Condition.StringEquals.s3:prefix`.
    pub path: String,
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
