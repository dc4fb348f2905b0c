//! Rules `lint` applies on top of validation: the size quotas of §6.4 (warnings, so drafts can
//! still be simulated), documents IAM accepts that rarely mean what they say, and guessing a
//! document's kind. These are lint-only: `strict_validation` does not apply to them.

use super::{Effect, Policy, PolicyKind, Version};
use crate::diag::{Code, Diagnostic, Severity};
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
            Code::PolicySizeQuota,
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

/// Lint-only warnings on an accepted policy: `old-version` (`"Version": "2008-10-17"`, where
/// policy variables are literal text) and `allow-with-notresource` (an `Allow` that grants
/// every resource not listed, including resources of any service added later).
pub fn lint_warnings(policy: &Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if policy.version == Version::V2008 {
        out.push(
            Diagnostic::new(
                Severity::Warning,
                Code::OldVersion,
                "\"Version\": \"2008-10-17\" treats policy variables such as ${aws:username} as literal text",
                &policy.file,
                policy.version_pos,
                "Version",
            )
            .with_help("use \"Version\": \"2012-10-17\""),
        );
    }
    for st in &policy.statements {
        let Some(r) = &st.resource else { continue };
        if st.effect == Effect::Allow && r.negated {
            out.push(
                Diagnostic::new(
                    Severity::Warning,
                    Code::AllowWithNotresource,
                    "\"Allow\" with \"NotResource\" grants every resource not listed, of every service the actions name",
                    &policy.file,
                    r.pos(0),
                    &format!("{}.NotResource", st.path),
                )
                .with_help("list the resources to allow in \"Resource\", or deny the exceptions in a Deny statement"),
            );
        }
    }
    out
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
    use crate::policy::{parse_policy_text, ParseOptions};

    fn lint_codes(text: &str) -> Vec<&'static str> {
        let (p, _) = parse_policy_text(
            text,
            "p",
            "p",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap();
        lint_warnings(&p).iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn old_version_and_allow_with_notresource_are_lint_warnings() {
        assert_eq!(
            lint_codes(
                r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}"#
            ),
            ["old-version", "allow-with-notresource"]
        );
        assert!(lint_codes(r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::ok/*"}}"#).is_empty());
        // Strict validation accepts both: they are lint-only.
        let strict = ParseOptions {
            strict: true,
            ..Default::default()
        };
        assert!(parse_policy_text(r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}"#, "p", "p", PolicyKind::Identity, strict).is_ok());
    }

    #[test]
    fn the_managed_policy_quota_does_not_apply_to_aws_managed_policies() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(7000));
        assert!(size_warning(&big, PolicyKind::Identity, "f", false).is_some());
        assert!(size_warning(&big, PolicyKind::Identity, "f", true).is_none());
        assert!(size_warning("{}", PolicyKind::Identity, "f", false).is_none());
    }
}
