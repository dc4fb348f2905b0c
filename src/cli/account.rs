//! `iamsim account`: audit an account export for MFA gaps.

use super::{CmdResult, ExitStatus};
use iamsim::account::credreport::parse_credential_report;
use iamsim::account::export::AccountExport;
use iamsim::account::{audit, AuditOptions};
use iamsim::io::Output;
use iamsim::policy::PolicyKind;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Arguments of `iamsim account`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim account --auth-details testdata/account/auth-details.json \\\n      --credential-report testdata/account/credential-report.csv\n\nExit status: 0 nothing found, 1 findings, 2 bad input."
)]
pub struct AccountArgs {
    /// Output of `aws iam get-account-authorization-details` (repeatable for paginated output).
    #[arg(long = "auth-details", value_name = "FILE", required = true)]
    auth_details: Vec<PathBuf>,
    /// The IAM credential report (CSV, or the base64 form the API returns).
    #[arg(long = "credential-report", value_name = "FILE")]
    credential_report: Option<PathBuf>,
    /// One SCP level, organization root first (repeat per level; comma-separate several policies).
    #[arg(long = "scp-level", value_name = "FILE[,FILE...]")]
    scp_level: Vec<String>,
    /// A JSON file mapping levels to SCP files: [["root.json"], ["ou.json"], ["account.json"]].
    #[arg(long = "scps", value_name = "FILE")]
    scps: Option<PathBuf>,
    /// The account is the organization's management account (SCPs do not apply there).
    #[arg(long = "management-account")]
    management_account: bool,
    /// An engine setting, name=value (repeatable).
    #[arg(long = "setting", value_name = "NAME=VALUE")]
    settings: Vec<String>,
    /// Sample every action of these access levels (from the built-in catalog) in the services
    /// the export's policies name, instead of the default sensitive actions.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LEVEL[,LEVEL]")]
    actions: Vec<super::expand::LevelArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Wrap text at this many columns (default: the terminal's width; no wrapping in a pipe).
    #[arg(long, value_name = "N")]
    width: Option<usize>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

/// Runs the subcommand.
pub fn run(args: &AccountArgs, out: &mut Output) -> CmdResult {
    let mut export = AccountExport::default();
    for f in &args.auth_details {
        let text = iamsim::io::read_text(f, iamsim::io::DEFAULT_INPUT_LIMIT)?;
        export.add_text(&text, &f.display().to_string())?;
    }
    let report = match &args.credential_report {
        Some(f) => {
            let text = iamsim::io::read_text(f, iamsim::io::DEFAULT_INPUT_LIMIT)?;
            Some(parse_credential_report(&text, &f.display().to_string())?)
        }
        None => None,
    };
    if export.users.is_empty() && export.roles.is_empty() {
        return Err(super::CliError::Message(format!(
            "{}: the export lists no users and no roles: nothing to audit",
            args.auth_details
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // Settings and SCP levels go through the one scenario builder: the same trimming, empty
    // level and level-count checks as every other subcommand.
    let mut b = super::builder();
    b.settings(&args.settings)?;
    let mut levels = match &args.scps {
        Some(f) => b.read_level_file(PolicyKind::Scp, f)?,
        None => Vec::new(),
    };
    levels.extend(b.read_level_flags(PolicyKind::Scp, "--scp-level", &args.scp_level)?);
    b.set_levels(PolicyKind::Scp, "--scp-level", levels)?;
    let built = b.build()?;
    super::warn_all(&built.policy_warnings);
    let mut sampled = Vec::new();
    if !args.actions.is_empty() {
        let levels: Vec<_> = args.actions.iter().map(|l| l.level()).collect();
        let services;
        (sampled, services) = iamsim::account::level_sample(&export, &levels);
        if !super::quiet() {
            let names: Vec<&str> = levels.iter().map(|l| l.slug()).collect();
            eprintln!(
                "note: sampling {} {} actions of {}",
                sampled.len(),
                names.join("/"),
                services.join(", ")
            );
        }
    }
    let opts = AuditOptions {
        management_account: args.management_account,
        scps: built.spec.scenario.scps,
        settings: built.spec.scenario.settings,
        sampled,
    };
    let total = export.users.len() + export.roles.len();
    let bar = (std::io::stderr().is_terminal() && total > 20).then(|| {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} principals {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let result = audit(&export, report.as_deref(), &opts, |done, _| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        )?,
        Format::Sarif => {
            let fallback = args
                .credential_report
                .as_ref()
                .or(args.auth_details.first())
                .map(|p| p.display().to_string());
            let doc = iamsim::account::render::to_sarif(&result, fallback.as_deref());
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
        Format::Text => {
            let width = out.width(args.width);
            let text = iamsim::account::render::to_text(&result, width, out.colour());
            out.write_all(text.as_bytes())?;
        }
    }
    for n in &result.notes {
        eprintln!("note: {}", iamsim::io::term(n));
    }
    for n in &result.skipped {
        eprintln!("error: not audited: {}", iamsim::io::term(n));
    }
    if !result.skipped.is_empty() {
        // Something given could not be evaluated: never a pass.
        return Err(super::CliError::Message(format!(
            "{} user(s) or role(s) could not be audited (listed above)",
            result.skipped.len()
        )));
    }
    Ok(if result.findings.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::Finding
    })
}
