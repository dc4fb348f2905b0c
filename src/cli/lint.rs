//! `iamsim lint FILE...`: validation reported as a compiler would: `file:line:column`, the source
//! line with a caret, a help line, counts at the end.

use super::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::diag::{Diagnostic, Severity};
use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

/// Arguments of `iamsim lint`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim lint testdata/policies/*.json\n  cat policy.json | iamsim lint --kind scp -\n\nExit status: 0 clean, 1 errors (or warnings with --deny-warnings), 2 unreadable input."
)]
pub struct LintArgs {
    /// Policy files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The kind of policy; `auto` picks resource-based when statements have a Principal,
    /// identity-based otherwise.
    #[arg(long, value_enum, default_value = "auto")]
    kind: KindArg,
    /// Check SCPs against the pre-September-2025 restricted language.
    #[arg(long)]
    scp_legacy: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum KindArg {
    Auto,
    Identity,
    Boundary,
    Session,
    Scp,
    Rcp,
    Resource,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Size quotas (semantics §6.4), reported as warnings so drafts can still be simulated.
fn size_warnings(text: &str, kind: PolicyKind, file: &str) -> Option<Diagnostic> {
    let non_ws = text.chars().filter(|c| !c.is_whitespace()).count();
    let (limit, what, count) = match kind {
        PolicyKind::Scp | PolicyKind::Rcp => (5120, "bytes (SCP/RCP quota)", text.len()),
        PolicyKind::Identity | PolicyKind::Boundary => (
            6144,
            "non-whitespace characters (managed policy quota)",
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
            iamsim::json::Pos {
                line: 1,
                col: 1,
                offset: 0,
            },
            "",
        )
    })
}

fn guess_kind(text: &str) -> PolicyKind {
    if text.contains("\"Principal\"") || text.contains("\"NotPrincipal\"") {
        PolicyKind::Resource
    } else {
        PolicyKind::Identity
    }
}

fn colour(use_colour: bool, code: &str, s: &str) -> String {
    if use_colour {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Renders a diagnostic with the source line and a caret under the column.
pub fn render(d: &Diagnostic, source: &str, use_colour: bool) -> String {
    let (label, code) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let mut s = format!(
        "{}: {}\n",
        colour(use_colour, code, &format!("{label}[{}]", d.code)),
        d.message
    );
    s.push_str(&format!("  --> {}:{}:{}\n", d.file, d.line, d.column));
    if let Some(line) = source.lines().nth(d.line.saturating_sub(1) as usize) {
        let num = d.line.to_string();
        let pad = " ".repeat(num.len());
        let shown: String = line.chars().take(200).collect();
        let caret_pad: String = line
            .chars()
            .take(d.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        s.push_str(&format!(
            "{pad} |\n{num} | {shown}\n{pad} | {caret_pad}{}\n",
            colour(use_colour, code, "^")
        ));
    }
    if !d.path.is_empty() {
        s.push_str(&format!("  = at {}\n", d.path));
    }
    if let Some(h) = &d.help {
        s.push_str(&format!("  = help: {h}\n"));
    }
    s
}

/// Runs the subcommand.
pub fn run(args: &LintArgs) -> i32 {
    let use_colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut unreadable = false;
    let mut text_out = String::new();
    for f in &args.files {
        let (name, text) = if f.as_os_str() == "-" {
            let mut buf = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut buf) {
                eprintln!("error: <stdin>: cannot read: {e}");
                unreadable = true;
                continue;
            }
            match String::from_utf8(buf) {
                Ok(t) => ("<stdin>".to_string(), t),
                Err(e) => {
                    eprintln!(
                        "error: <stdin>: not valid UTF-8 (at byte {})",
                        e.utf8_error().valid_up_to()
                    );
                    unreadable = true;
                    continue;
                }
            }
        } else {
            match iamsim::cases::read_text(f) {
                Ok(t) => (f.display().to_string(), t),
                Err(e) => {
                    eprintln!("error: {e}");
                    unreadable = true;
                    continue;
                }
            }
        };
        let kind = match args.kind {
            KindArg::Auto => guess_kind(&text),
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Boundary => PolicyKind::Boundary,
            KindArg::Session => PolicyKind::Session,
            KindArg::Scp => PolicyKind::Scp,
            KindArg::Rcp => PolicyKind::Rcp,
            KindArg::Resource => PolicyKind::Resource,
        };
        let opts = ParseOptions {
            scp_legacy: args.scp_legacy,
            ..Default::default()
        };
        let mut diags = match parse_policy_text(&text, &name, &name, kind, opts) {
            Ok((_, w)) => w,
            Err(d) => d,
        };
        diags.extend(size_warnings(&text, kind, &name));
        diags.sort_by_key(|d| (d.line, d.column));
        for d in &diags {
            text_out.push_str(&render(d, &text, use_colour));
            text_out.push('\n');
        }
        all.extend(diags);
    }
    let errors = all.iter().filter(|d| d.is_error()).count();
    let warnings = all.len() - errors;
    match args.format {
        Format::Text => {
            print!("{text_out}");
            println!(
                "{} file{} checked: {errors} error{}, {warnings} warning{}",
                args.files.len(),
                if args.files.len() == 1 { "" } else { "s" },
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            );
        }
        Format::Json => {
            let doc =
                serde_json::json!({"diagnostics": all, "errors": errors, "warnings": warnings});
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
    if unreadable {
        EXIT_INPUT
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        EXIT_FINDING
    } else {
        EXIT_OK
    }
}
