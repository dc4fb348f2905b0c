//! Rendering an account audit: a text report that fits the terminal (findings wrap at word
//! boundaries instead of 590-character lines), and SARIF through the one SARIF writer.

use super::{AccountAudit, FindingKind, Severity};
use crate::io::term;
use crate::report::sarif::{sarif_log, SarifResult, SarifRule};

/// Wraps `text` to `width` columns at spaces, every line after the first indented by `indent`.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let width = width.max(indent + 20);
    let mut out = String::new();
    let mut col = 0;
    for word in text.split(' ') {
        let w = word.chars().count();
        if col > indent && col + 1 + w > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        } else if col > 0 && !out.ends_with(' ') && col != indent {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
    }
    out
}

/// The text report: a summary line, one block per finding (severity, kind, who, context, what,
/// fix), the users without usable credentials. `width` is the terminal width; `colour` paints
/// the severity.
pub fn to_text(a: &AccountAudit, width: usize, colour: bool) -> String {
    let mut out = format!(
        "account {}: {} users, {} roles audited, {} findings\n",
        a.account,
        a.users,
        a.roles,
        a.findings.len()
    );
    for f in &a.findings {
        let sev = format!("{:?}", f.severity).to_uppercase();
        let sev = if colour {
            let c = match f.severity {
                Severity::High => "31",
                Severity::Medium => "33",
                Severity::Low => "36",
            };
            format!("\x1b[{c}m{sev:<6}\x1b[0m")
        } else {
            format!("{sev:<6}")
        };
        out.push_str(&format!(
            "\n{sev} {}  {} {}{}\n",
            f.kind.id(),
            f.subject_type,
            term(&f.name),
            f.context.map(|c| format!(" ({c})")).unwrap_or_default()
        ));
        out.push_str("       ");
        out.push_str(&wrap(&term(&f.message), width, 7));
        out.push('\n');
        out.push_str("       ");
        out.push_str(&wrap(&format!("fix: {}", term(&f.fix)), width, 7));
        out.push('\n');
    }
    if !a.without_credentials.is_empty() {
        out.push('\n');
        out.push_str(&wrap(
            &format!(
                "without usable credentials (no console password, no active access key; they cannot act): {}",
                a.without_credentials.join(", ")
            ),
            width,
            2,
        ));
        out.push('\n');
    }
    out
}

/// SARIF 2.1.0: one result per finding, at the responsible statement, else at `fallback` (the
/// credential report or the export).
pub fn to_sarif(a: &AccountAudit, fallback: Option<&str>) -> serde_json::Value {
    let kinds = [
        FindingKind::ActsWithoutMfa,
        FindingKind::EnrolmentLockout,
        FindingKind::RoleBypass,
        FindingKind::Cis110ConsoleWithoutMfa,
        FindingKind::MfaNotEnforced,
    ];
    let rules: Vec<SarifRule> = kinds
        .iter()
        .map(|k| SarifRule::new(k.id(), k.describe()))
        .collect();
    let results: Vec<SarifResult> = a
        .findings
        .iter()
        .map(|f| {
            let (file, line, column) = match &f.statement {
                Some(s) => (Some(s.file.clone()), s.line, s.column),
                None => (fallback.map(str::to_string), 1, 1),
            };
            let level = match f.severity {
                Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "note",
            };
            let mut r = SarifResult::new(
                f.kind.id(),
                level,
                format!("{} Fix: {}", f.message, f.fix),
                file,
                line,
                column,
            );
            r.rule_index = kinds.iter().position(|k| *k == f.kind);
            r
        })
        .collect();
    sarif_log("iamsim account", &rules, &results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_at_words_within_the_width() {
        let text = "user carol (arn:aws:iam::111122223333:user/carol) can call s3:ListAllMyBuckets, s3:GetObject, ec2:RunInstances with long-term access keys";
        let w = wrap(text, 60, 7);
        assert!(w.lines().all(|l| l.chars().count() <= 60), "{w}");
        assert_eq!(
            w.split_whitespace().collect::<Vec<_>>(),
            text.split(' ').collect::<Vec<_>>()
        );
        assert!(w.lines().skip(1).all(|l| l.starts_with("       ")));
    }
}
