//! `iamsim lint FILE...`: validation reported as a compiler would: `file:line:column`, the source
//! line with a caret, a help line, counts at the end.

use super::{CmdResult, ExitStatus};
use iamsim::diag::{render_snippet, Code, Diagnostic, InputError, Severity, SourceMap};
use iamsim::io::Output;
use iamsim::mfa::lint::lint_document;
use iamsim::policy::{ParseOptions, PolicyKind};
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// Silence warnings with this code (repeatable), e.g. --allow policy-size-quota.
    #[arg(long, value_name = "CODE", value_parser = parse_code)]
    allow: Vec<Code>,
    /// The files are AWS managed policies (the customer managed size quota does not apply).
    #[arg(long = "aws-managed")]
    aws_managed: bool,
}

/// A diagnostic code named on the command line: a misspelt `--allow` would silence nothing, so
/// it is an error with the nearest code.
fn parse_code(name: &str) -> Result<Code, String> {
    Code::from_name(name).ok_or_else(|| {
        let names = Code::ALL.iter().map(|c| c.as_str());
        match iamsim::diag::did_you_mean(name, names) {
            Some(s) => format!("no diagnostic has the code {name:?}; did you mean {s}?"),
            None => format!("no diagnostic has the code {name:?} (docs/lint.md lists them)"),
        }
    })
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
    /// SARIF 2.1.0, for code-scanning UIs: one result per diagnostic, at its line and column.
    Sarif,
}

fn paint(use_colour: bool) -> impl Fn(&str, &str) -> String {
    move |code, s| {
        if use_colour {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// How many identical warnings (same code and message) are shown before the rest are counted.
const REPEATS_SHOWN: usize = 3;

/// Runs the subcommand: each file linted (and, as text, rendered as it goes), then the
/// summary, SARIF log or JSON document over all of them.
pub fn run(args: &LintArgs, out: &mut Output) -> CmdResult {
    let paint = paint(out.colour());
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut unreadable = 0usize;
    for f in &args.files {
        match lint_file(args, f, out, &paint)? {
            Ok(diags) => all.extend(diags),
            Err(e) => {
                // An unreadable file is an error of the run, counted as one.
                eprintln!("error: {e}");
                unreadable += 1;
                all.push(Diagnostic::new(
                    Severity::Error,
                    Code::UnreadableFile,
                    e.message.clone(),
                    &e.file,
                    e.pos,
                    "",
                ));
            }
        }
    }
    let errors = all.iter().filter(|d| d.is_error()).count();
    let warnings = all.len() - errors;
    match args.format {
        Format::Text => {
            writeln!(
                out,
                "{} file{} checked: {errors} error{}, {warnings} warning{}",
                args.files.len(),
                if args.files.len() == 1 { "" } else { "s" },
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            )?;
        }
        Format::Sarif => write_sarif(out, &all)?,
        Format::Json => {
            let doc = serde_json::json!({"diagnostics": all, "errors": errors, "warnings": warnings, "unreadable_files": unreadable});
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
    }
    Ok(if unreadable > 0 {
        ExitStatus::Input
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitStatus::Finding
    } else {
        ExitStatus::Ok
    })
}

/// Lints one file: its diagnostics sorted by position (`--allow`ed warnings dropped), written
/// as snippets when the format is text (at most [`REPEATS_SHOWN`] of the same code and message,
/// then one note counting the rest, in order of first appearance); the read error when the
/// file cannot be read. The outer error is a failed write.
fn lint_file(
    args: &LintArgs,
    f: &Path,
    out: &mut Output,
    paint: &dyn Fn(&str, &str) -> String,
) -> Result<Result<Vec<Diagnostic>, InputError>, std::io::Error> {
    let name = f.display().to_string();
    let text = match iamsim::io::read_text(f, iamsim::io::DEFAULT_INPUT_LIMIT) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    let kind = match args.kind {
        KindArg::Auto => None,
        KindArg::Identity => Some(PolicyKind::Identity),
        KindArg::Boundary => Some(PolicyKind::Boundary),
        KindArg::Session => Some(PolicyKind::Session),
        KindArg::Scp => Some(PolicyKind::Scp),
        KindArg::Rcp => Some(PolicyKind::Rcp),
        KindArg::Resource => Some(PolicyKind::Resource),
    };
    let opts = ParseOptions {
        scp_legacy: args.scp_legacy,
        ..Default::default()
    };
    let mut diags = lint_document(&text, &name, kind, opts, args.aws_managed);
    diags.retain(|d| d.is_error() || !args.allow.contains(&d.code));
    diags.sort_by_key(|d| (d.line, d.column));
    if !matches!(args.format, Format::Text) {
        return Ok(Ok(diags));
    }
    // (code, message) -> how many seen, in order of first appearance.
    let mut seen: Vec<((Code, &str), usize)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<(Code, &str), usize> = Default::default();
    let source = SourceMap::new(&text);
    for d in &diags {
        let key = (d.code, d.message.as_str());
        let i = *index.entry(key).or_insert_with(|| {
            seen.push((key, 0));
            seen.len() - 1
        });
        seen[i].1 += 1;
        if seen[i].1 <= REPEATS_SHOWN {
            writeln!(out, "{}", render_snippet(d, &source, paint))?;
        }
    }
    for ((code, message), n) in seen {
        if n > REPEATS_SHOWN {
            writeln!(
                out,
                "note: {name}: {} more \"{}\" [{code}] not shown\n",
                n - REPEATS_SHOWN,
                iamsim::io::term(message)
            )?;
        }
    }
    Ok(Ok(diags))
}

/// The SARIF 2.1.0 log of all files' diagnostics: one rule per code, one result per diagnostic.
fn write_sarif(out: &mut Output, all: &[Diagnostic]) -> Result<(), std::io::Error> {
    use iamsim::report::sarif::{sarif_log, SarifResult, SarifRule};
    let mut rules: Vec<SarifRule> = Vec::new();
    for d in all {
        if !rules.iter().any(|r| r.id == d.code.as_str()) {
            rules.push(SarifRule::new(
                d.code.as_str(),
                &format!("iamsim lint: {} (docs/lint.md)", d.code),
            ));
        }
    }
    let results: Vec<SarifResult> = all
        .iter()
        .map(|d| {
            SarifResult::new(
                d.code.as_str(),
                if d.is_error() { "error" } else { "warning" },
                match &d.help {
                    Some(h) => format!("{}; help: {h}", d.message),
                    None => d.message.clone(),
                },
                Some(d.file.clone()),
                d.line,
                d.column,
            )
        })
        .collect();
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&sarif_log("iamsim lint", &rules, &results))
            .unwrap_or_default()
    )
}
