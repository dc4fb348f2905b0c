//! Rules `lint` applies on top of validation: the size quotas of §6.4 (warnings, so drafts can
//! still be simulated) and guessing a document's kind.

use super::PolicyKind;
use crate::diag::{Diagnostic, Severity};
use crate::json::Pos;

/// The size-quota warning for a document of `kind`, if it is over its quota. `aws_managed`:
/// the document is an AWS managed policy (its ARN is `arn:aws:iam::aws:policy/...`), to which
/// the customer-managed 6,144-character quota does not apply.
pub fn size_warning(
    text: &str,
    kind: PolicyKind,
    file: &str,
    aws_managed: bool,
) -> Option<Diagnostic> {
    let non_ws = text.chars().filter(|c| !c.is_whitespace()).count();
    let (limit, what, count) = match kind {
        PolicyKind::Scp | PolicyKind::Rcp => (5120, "bytes (SCP/RCP quota)", text.len()),
        PolicyKind::Identity | PolicyKind::Boundary if aws_managed => return None,
        PolicyKind::Identity | PolicyKind::Boundary => (
            6144,
            "non-whitespace characters (customer managed policy quota)",
            non_ws,
        ),
        PolicyKind::Session => (2048, "characters (session policy quota)", non_ws),
        PolicyKind::Resource => return None,
    };
    (count > limit).then(|| {
        Diagnostic::new(
            Severity::Warning,
            "policy-size-quota",
            format!("policy is {count} {what}; AWS accepts at most {limit}"),
            file,
            Pos {
                line: 1,
                col: 1,
                offset: 0,
            },
            "",
        )
    })
}

/// Resource-based when a statement has a `Principal`, identity-based otherwise.
pub fn guess_kind(text: &str) -> PolicyKind {
    if text.contains("\"Principal\"") || text.contains("\"NotPrincipal\"") {
        PolicyKind::Resource
    } else {
        PolicyKind::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_managed_policy_quota_does_not_apply_to_aws_managed_policies() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(7000));
        assert!(size_warning(&big, PolicyKind::Identity, "f", false).is_some());
        assert!(size_warning(&big, PolicyKind::Identity, "f", true).is_none());
        assert!(size_warning("{}", PolicyKind::Identity, "f", false).is_none());
    }
}
