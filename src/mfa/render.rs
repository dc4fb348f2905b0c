//! Rendering an [`MfaReport`]: a table for a terminal, JSON (schema in `docs/mfa-json.md`) and
//! SARIF 2.1.0 (one result per leak or lockout, located at the responsible statement).

use super::diagnose::short_label;
use super::{AccountVariant, Cell, FindingKind, MfaReport, ProbeKind, Row, Status, RULES};
use crate::eval::{Decision, Missing};
use crate::report::sarif::{sarif_log, SarifResult, SarifRule};
use crate::report::StatementRef;
use serde_json::json;

/// Terminal styling: ANSI colours or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Whether to emit ANSI colour codes.
    pub color: bool,
    /// The width the matrix must fit: wider matrices are printed in several blocks of columns,
    /// each with the action labels (`usize::MAX`: one block).
    pub width: usize,
}

impl Style {
    fn paint(self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn cell_text(c: &Cell, legend: &mut Vec<StatementRef>) -> String {
    let mut num = |r: &StatementRef| -> usize {
        match legend.iter().position(|x| x.label == r.label) {
            Some(i) => i + 1,
            None => {
                legend.push(r.clone());
                legend.len()
            }
        }
    };
    let mut s = match (c.decision, c.deciding.first()) {
        (_, _) if c.service_rule.is_some() => match c.decision {
            Decision::Allowed => "allow*".to_string(),
            _ => "rule*".to_string(),
        },
        (Decision::Allowed, Some(r)) => format!("allow[{}]", num(r)),
        (Decision::Allowed, None) => "allow".to_string(),
        (Decision::ExplicitDeny, Some(r)) => format!("DENY[{}]", num(r)),
        (Decision::ExplicitDeny, None) => "DENY".to_string(),
        (Decision::ImplicitDeny, _) => match c.missing_allow {
            Some(Missing::Scp(l)) => format!("none:scp{l}"),
            Some(Missing::Rcp(l)) => format!("none:rcp{l}"),
            Some(Missing::Boundary) => "none:bnd".into(),
            Some(Missing::Session) => "none:ses".into(),
            Some(
                Missing::TrustPolicy
                | Missing::KeyPolicy
                | Missing::ResourcePolicy
                | Missing::ResourceCrossAccount,
            ) => "none:res".into(),
            _ => "none".into(),
        },
    };
    if c.finding {
        s.push('!');
    }
    s
}

fn probe_label(c: &Cell) -> String {
    if c.kind != ProbeKind::Sensitive && c.resource != "*" {
        let tail = c
            .resource
            .rsplit_once(':')
            .map(|x| x.1)
            .unwrap_or(&c.resource);
        format!("{} {tail}", c.action)
    } else {
        c.action.clone()
    }
}

fn mfa_text(r: &Row) -> &'static str {
    match r.mfa_present {
        None => "absent",
        Some(true) => "true",
        Some(false) => "false",
    }
}

/// The widest a table cell (a probe label, a column title or a cell) is shown: longer text is
/// cut and ends with `…`, so one absurd action name cannot stretch the table (or, beyond 65,535
/// characters, break the padding).
const MAX_CELL_CHARS: usize = 80;

/// `s` cut to at most `max` characters, ending with `…` when cut.
fn elide(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// `s` padded with spaces to `width` characters (no format width, which is limited to 65,535).
fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    let mut t = String::with_capacity(s.len() + width.saturating_sub(n));
    t.push_str(s);
    t.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    t
}

/// Above this many probes the text matrix shows one line per service for the sensitive
/// actions (`--actions write` can probe hundreds); JSON and SARIF always list every cell.
pub const SUMMARY_ABOVE: usize = 40;

/// One shown cell: its text and its colour.
type Shown = (String, &'static str);

fn colour_of(finding: bool, decision: Decision) -> &'static str {
    match (finding, decision) {
        (true, _) => "1;31",
        (_, Decision::Allowed) => "32",
        (_, Decision::ExplicitDeny) => "31",
        (_, Decision::ImplicitDeny) => "33",
    }
}

/// The labels and, per row, the cells of the matrix: one line per probe.
fn detail(rows: &[&Row], legend: &mut Vec<StatementRef>) -> (Vec<String>, Vec<Vec<Shown>>) {
    let labels = rows[0]
        .cells
        .iter()
        .map(|c| elide(&probe_label(c), MAX_CELL_CHARS))
        .collect();
    // Row by row, cell by cell: the order the legend numbers statements in.
    let cols = rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .map(|c| {
                    let text = elide(&cell_text(c, legend), MAX_CELL_CHARS);
                    (text, colour_of(c.finding, c.decision))
                })
                .collect()
        })
        .collect();
    (labels, cols)
}

/// The matrix with the sensitive probes summarised per service: `iam: 23 actions` with counts
/// per decision (`allow 3! DENY 20`); enrolment and self-service probes keep their own line.
fn summary(rows: &[&Row], legend: &mut Vec<StatementRef>) -> (Vec<String>, Vec<Vec<Shown>>) {
    // Groups of cell indexes: one per service (in first-seen order), or one per other probe.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, c) in rows[0].cells.iter().enumerate() {
        if c.kind != ProbeKind::Sensitive {
            groups.push((elide(&probe_label(c), MAX_CELL_CHARS), vec![i]));
            continue;
        }
        let svc = c.action.split_once(':').map_or(c.action.as_str(), |x| x.0);
        let key = format!("{svc}:");
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    let mut labels = Vec::new();
    for (k, v) in &groups {
        labels.push(if k.ends_with(':') {
            let n = v.len();
            format!("{k} {n} action{}", if n == 1 { "" } else { "s" })
        } else {
            k.clone()
        });
    }
    let cols = rows
        .iter()
        .map(|r| {
            groups
                .iter()
                .map(|(k, idx)| {
                    if !k.ends_with(':') {
                        let c = &r.cells[idx[0]];
                        return (cell_text(c, legend), colour_of(c.finding, c.decision));
                    }
                    let cells: Vec<&Cell> = idx.iter().map(|&i| &r.cells[i]).collect();
                    summary_cell(&cells)
                })
                .collect()
        })
        .collect();
    (labels, cols)
}

/// `allow 3! DENY 20 none 1`: how many cells of a service got each decision, `!` after the
/// decision when a cell is part of a leak or lockout.
fn summary_cell(cells: &[&Cell]) -> Shown {
    let mut parts = Vec::new();
    for (d, name) in [
        (Decision::Allowed, "allow"),
        (Decision::ExplicitDeny, "DENY"),
        (Decision::ImplicitDeny, "none"),
    ] {
        let of: Vec<&&Cell> = cells.iter().filter(|c| c.decision == d).collect();
        if !of.is_empty() {
            let bang = if of.iter().any(|c| c.finding) {
                "!"
            } else {
                ""
            };
            parts.push(format!("{name} {}{bang}", of.len()));
        }
    }
    let finding = cells.iter().any(|c| c.finding);
    let decision = [Decision::Allowed, Decision::ExplicitDeny]
        .into_iter()
        .find(|d| cells.iter().any(|c| c.decision == *d))
        .unwrap_or(Decision::ImplicitDeny);
    (parts.join(" "), colour_of(finding, decision))
}

/// Prints the matrix in blocks of columns that fit `style.width` (each block repeats the action
/// labels), so a 124-column matrix stays readable in an 80-column terminal.
fn table(rows: &[&Row], style: Style, legend: &mut Vec<StatementRef>, out: &mut String) {
    let Some(first) = rows.first() else { return };
    let (labels, cols) = if first.cells.len() > SUMMARY_ABOVE {
        summary(rows, legend)
    } else {
        detail(rows, legend)
    };
    let lw = labels
        .iter()
        .map(|l| l.chars().count())
        .chain(["MFA present".len()])
        .max()
        .unwrap_or(0)
        + 2;
    // Each column is as wide as its widest cell or its title.
    let widths: Vec<usize> = rows
        .iter()
        .zip(&cols)
        .map(|(r, col)| {
            col.iter()
                .map(|(s, _)| s.chars().count())
                .chain([elide(&r.title(), MAX_CELL_CHARS).chars().count()])
                .max()
                .unwrap_or(0)
                + 2
        })
        .collect();
    let mut start = 0;
    while start < rows.len() {
        let mut end = start;
        let mut used = lw;
        while end < rows.len() {
            if end > start && used + widths[end] > style.width {
                break;
            }
            used += widths[end];
            end += 1;
        }
        if start > 0 {
            out.push('\n');
        }
        let block = Block {
            rows: &rows[start..end],
            labels: &labels,
            cols: &cols[start..end],
            widths: &widths[start..end],
            lw,
        };
        block.print(style, out);
        start = end;
    }
}

/// A block of columns of the matrix, ready to print.
struct Block<'a> {
    rows: &'a [&'a Row],
    labels: &'a [String],
    cols: &'a [Vec<Shown>],
    widths: &'a [usize],
    lw: usize,
}

impl Block<'_> {
    fn print(&self, style: Style, out: &mut String) {
        let (rows, widths, lw) = (self.rows, self.widths, self.lw);
        let mut lines = Vec::new();
        let mut line = pad("", lw);
        for (r, w) in rows.iter().zip(widths) {
            line.push_str(&style.paint(&pad(&elide(&r.title(), MAX_CELL_CHARS), *w), "1"));
        }
        lines.push(line);
        let mut line = style.paint(&pad("MFA present", lw), "2");
        for (r, w) in rows.iter().zip(widths) {
            line.push_str(&style.paint(&pad(mfa_text(r), *w), "2"));
        }
        lines.push(line);
        for (i, l) in self.labels.iter().enumerate() {
            let mut line = pad(l, lw);
            for (col, w) in self.cols.iter().zip(widths) {
                let (text, code) = &col[i];
                line.push_str(&style.paint(&pad(text, *w), code));
            }
            lines.push(line);
        }
        for l in lines {
            out.push_str(l.trim_end());
            out.push('\n');
        }
    }
}

/// Renders the report for a terminal.
pub fn to_text(r: &MfaReport, style: Style) -> String {
    let mut out = format!(
        "MFA enforcement audit: {} ({})\n",
        r.principal, r.principal_kind
    );
    let settings: Vec<String> = r.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    out.push_str(&format!("settings: {}\n", settings.join(", ")));
    let mut legend = Vec::new();
    for (variant, title) in [
        (AccountVariant::AsGiven, if r.scps { "As given (member account)" } else { "As given" }),
        (AccountVariant::Management, "As the organization's management account (SCPs do not apply)"),
        (AccountVariant::AutomationRole, "An automation role session in the account (its own policies allow everything; only SCPs/RCPs decide)"),
    ] {
        let rows: Vec<&Row> = r.rows.iter().filter(|x| x.account == variant).collect();
        if rows.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&style.paint(title, "1"));
        out.push('\n');
        table(&rows, style, &mut legend, &mut out);
    }
    out.push_str("\nallow[n] allowed by statement n · DENY[n] explicit deny by statement n · none implicit deny (none:scpN/bnd/ses: that layer has no allow) · * service rule outside policies · ! part of a leak or lockout\n");
    if r.probes.len() > SUMMARY_ABOVE {
        out.push_str(&format!("{} probes: the sensitive actions are summarised per service (how many got each decision); --format json lists every cell\n", r.probes.len()));
    }
    if r.rows
        .iter()
        .any(|x| x.title().contains("(doc)") || x.title().contains("(obs)"))
    {
        out.push_str("(doc)/(obs): role_session_mfa_from_assume_role_params=false (documented) / true (observed)\n");
    }
    for (i, s) in legend.iter().enumerate() {
        out.push_str(&format!(
            "  [{}] {}  {}:{}:{}\n",
            i + 1,
            short_label(s),
            s.file,
            s.line,
            s.column
        ));
    }
    out.push('\n');
    out.push_str(&style.paint("Verdicts", "1"));
    out.push('\n');
    for v in &r.verdicts {
        let code = match v.status {
            Status::Holds => "32",
            Status::Leak | Status::Lockout => "1;31",
            Status::Depends => "33",
            Status::NotApplicable => "2",
        };
        out.push_str(&format!(
            "  {:26}{}  {}\n",
            v.title,
            style.paint(&format!("{:8}", v.status.as_str()), code),
            v.summary
        ));
    }
    if !r.findings.is_empty() {
        out.push('\n');
        out.push_str(&style.paint("Findings", "1"));
        out.push('\n');
    }
    let mut sorted: Vec<_> = r.findings.iter().collect();
    sorted.sort_by_key(|f| (f.kind, f.rule));
    for f in sorted {
        let (tag, code) = match f.kind {
            FindingKind::Leak => ("LEAK", "1;31"),
            FindingKind::Lockout => ("LOCKOUT", "1;31"),
            FindingKind::Warning => ("warning", "33"),
        };
        out.push_str(&format!(
            "  {} {} {}\n    {}\n",
            style.paint(tag, code),
            f.rule_id,
            f.rule_name,
            f.message()
        ));
        if let Some(s) = &f.statement {
            out.push_str(&format!("    at {}:{}:{}\n", s.file, s.line, s.column));
        }
        for s in &f.related {
            out.push_str(&format!(
                "    see {} {}:{}:{}\n",
                short_label(s),
                s.file,
                s.line,
                s.column
            ));
        }
        out.push_str(&format!("    fix: {}\n", f.fix));
    }
    let count = |k| r.findings.iter().filter(|f| f.kind == k).count();
    let (l, k, w) = (
        count(FindingKind::Leak),
        count(FindingKind::Lockout),
        count(FindingKind::Warning),
    );
    out.push('\n');
    let line = if r.failed() {
        style.paint(
            &format!("result: MFA enforcement fails: {l} leak(s), {k} lockout(s), {w} warning(s)"),
            "1;31",
        )
    } else {
        style.paint(
            &format!("result: MFA enforcement holds and nobody is locked out ({w} warning(s))"),
            "1;32",
        )
    };
    out.push_str(&line);
    out.push('\n');
    out
}

/// Renders the report as pretty JSON (schema `iamsim-mfa/2`, documented in `docs/mfa-json.md`).
pub fn to_json(r: &MfaReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Renders SARIF 2.1.0 through the one SARIF writer (`report::sarif`): one result per
/// leak or lockout (warnings are in the text and JSON output), `ruleId` `MFA0xx` (leaks) /
/// `MFA1xx` (lockouts), located at the responsible statement; `fallback_file` (the scenario or
/// first policy file) is used when no statement is responsible ("no statement allows it").
pub fn to_sarif(r: &MfaReport, fallback_file: Option<&str>) -> String {
    let rules: Vec<SarifRule> = RULES
        .iter()
        .map(|rule| SarifRule {
            id: rule.id().into(),
            name: Some(rule.name().into()),
            description: rule.description().into(),
            help: Some(rule.fix().into()),
            level: if rule.kind() == FindingKind::Warning {
                "warning"
            } else {
                "error"
            },
            properties: json!({"kind": rule.kind()}),
        })
        .collect();
    let results: Vec<SarifResult> = r
        .findings
        .iter()
        .filter(|f| f.kind != FindingKind::Warning)
        .map(|f| {
            let (file, line, column) = match (&f.statement, fallback_file) {
                (Some(s), _) => (Some(s.file.clone()), s.line, s.column),
                (None, Some(file)) => (Some(file.to_string()), 1, 1),
                (None, None) => (None, 1, 1),
            };
            SarifResult {
                rule_id: f.rule_id.into(),
                rule_index: RULES.iter().position(|x| *x == f.rule),
                level: "error",
                message: f.message(),
                file,
                line,
                column,
                related: f
                    .related
                    .iter()
                    .map(|s| (s.file.clone(), s.line, s.column, short_label(s)))
                    .collect(),
                properties: json!({
                    "finding": f.kind,
                    "checks": f.checks,
                    "principal": r.principal,
                    "cases": f.cases,
                    "fix": f.fix
                }),
            }
        })
        .collect();
    serde_json::to_string_pretty(&sarif_log("iamsim", &rules, &results)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sarif::artifact_uri;

    #[test]
    fn artifact_uri_normalises_relative_paths() {
        assert_eq!(
            artifact_uri("testdata/mfa/../policies/a.json"),
            "testdata/policies/a.json"
        );
        assert_eq!(artifact_uri("./a b.json"), "a%20b.json");
        assert_eq!(artifact_uri("/tmp/x/../y.json"), "file:///tmp/y.json");
        assert_eq!(artifact_uri("../shared/p.json"), "../shared/p.json");
    }

    #[test]
    fn long_cells_are_elided_and_padding_has_no_width_limit() {
        let long = "s3:".to_string() + &"A".repeat(70_000);
        let e = elide(&long, MAX_CELL_CHARS);
        assert_eq!(e.chars().count(), MAX_CELL_CHARS);
        assert!(e.starts_with("s3:AAA") && e.ends_with('…'));
        assert_eq!(elide("s3:GetObject", MAX_CELL_CHARS), "s3:GetObject");
        assert_eq!(elide("ééé", 2), "é…");
        assert_eq!(pad("ab", 5), "ab   ");
        assert_eq!(pad("abcdef", 3), "abcdef");
        assert_eq!(
            pad("", 70_000).len(),
            70_000,
            "beyond format's 65,535 width limit"
        );
    }

    #[test]
    fn no_colour_means_no_escape_codes() {
        let plain = Style {
            color: false,
            width: usize::MAX,
        };
        assert_eq!(plain.paint("x", "31"), "x");
        assert!(Style {
            color: true,
            width: usize::MAX
        }
        .paint("x", "31")
        .contains("\x1b[31m"));
    }
}
