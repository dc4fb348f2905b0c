//! `iamsim account`: audit an account export for MFA gaps.

use super::scenario_args::expand;
use super::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::account::credreport::parse_credential_report;
use iamsim::account::export::AccountExport;
use iamsim::account::{audit, AuditOptions, FindingKind, Severity};
use iamsim::cases::{read_json, read_text, PolicyLoader};
use iamsim::json::JsonKind;
use iamsim::policy::PolicyKind;
use iamsim::report::sarif::{sarif_log, SarifResult, SarifRule};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

fn load_scps(
    args: &AccountArgs,
    loader: &mut PolicyLoader,
) -> Result<Vec<Vec<iamsim::policy::Policy>>, String> {
    let mut levels = Vec::new();
    if let Some(f) = &args.scps {
        let j = read_json(f).map_err(|e| e.to_string())?;
        let base = f.parent().map(Path::to_path_buf).unwrap_or_default();
        let JsonKind::Array(ls) = &j.kind else {
            return Err(format!(
                "{}:{}: --scps expects a list of levels, each a list of policy files",
                f.display(),
                j.pos
            ));
        };
        for l in ls {
            let JsonKind::Array(files) = &l.kind else {
                return Err(format!(
                    "{}:{}: a level must be a list of policy files",
                    f.display(),
                    l.pos
                ));
            };
            let mut ps = Vec::new();
            for file in files {
                let name = file.as_str().ok_or_else(|| {
                    format!(
                        "{}:{}: a policy file name must be a string",
                        f.display(),
                        file.pos
                    )
                })?;
                ps.push(
                    loader
                        .load_file(&base.join(name), PolicyKind::Scp)
                        .map_err(|e| e.to_string())?,
                );
            }
            levels.push(ps);
        }
    }
    for level in &args.scp_level {
        let mut ps = Vec::new();
        for f in level.split(',').filter(|s| !s.is_empty()) {
            for p in expand(f).map_err(|e| e.to_string())? {
                ps.push(
                    loader
                        .load_file(&p, PolicyKind::Scp)
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        levels.push(ps);
    }
    Ok(levels)
}

/// Runs the subcommand.
pub fn run(args: &AccountArgs) -> i32 {
    let mut export = AccountExport::default();
    for f in &args.auth_details {
        let text = match read_text(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_INPUT;
            }
        };
        if let Err(e) = export.add_text(&text, &f.display().to_string()) {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    }
    let report = match &args.credential_report {
        Some(f) => {
            match read_text(f).and_then(|t| parse_credential_report(&t, &f.display().to_string())) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_INPUT;
                }
            }
        }
        None => None,
    };
    let mut opts = AuditOptions {
        management_account: args.management_account,
        ..Default::default()
    };
    for s in &args.settings {
        if let Err(e) = opts.settings.set_pair(s) {
            eprintln!("error: --setting: {e}");
            return EXIT_INPUT;
        }
    }
    let mut loader = PolicyLoader::default();
    loader.options = opts.settings.parse_options();
    opts.scps = match load_scps(args, &mut loader) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
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
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&result).unwrap_or_default()
        ),
        Format::Sarif => {
            let kinds = [
                FindingKind::ActsWithoutMfa,
                FindingKind::EnrolmentLockout,
                FindingKind::RoleBypass,
                FindingKind::Cis110ConsoleWithoutMfa,
                FindingKind::MfaNotEnforced,
            ];
            let rules: Vec<SarifRule> = kinds
                .iter()
                .map(|k| SarifRule {
                    id: k.id().into(),
                    description: k.describe().into(),
                })
                .collect();
            let cred = args
                .credential_report
                .as_ref()
                .map(|p| p.display().to_string());
            let results: Vec<SarifResult> = result
                .findings
                .iter()
                .map(|f| {
                    let (file, line, column) = match &f.statement {
                        Some(s) => (Some(s.file.clone()), s.line, s.column),
                        None => (
                            cred.clone().or_else(|| {
                                args.auth_details.first().map(|p| p.display().to_string())
                            }),
                            1,
                            1,
                        ),
                    };
                    SarifResult {
                        rule_id: f.kind.id().into(),
                        level: match f.severity {
                            Severity::High => "error",
                            Severity::Medium => "warning",
                            Severity::Low => "note",
                        },
                        message: format!("{} Fix: {}", f.message, f.fix),
                        file,
                        line,
                        column,
                    }
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&sarif_log("iamsim account", &rules, &results))
                    .unwrap_or_default()
            );
        }
        Format::Text => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            println!(
                "account {}: {} users, {} roles audited, {} findings",
                result.account,
                result.users,
                result.roles,
                result.findings.len()
            );
            if !result.findings.is_empty() {
                println!(
                    "\n{:<8} {:<30} {:<14} {:<12} WHAT",
                    "SEVERITY", "KIND", "WHO", "CONTEXT"
                );
            }
            for f in &result.findings {
                let sev = format!("{:?}", f.severity).to_uppercase();
                let sev = if colour {
                    let c = match f.severity {
                        Severity::High => "31",
                        Severity::Medium => "33",
                        Severity::Low => "36",
                    };
                    format!("\x1b[{c}m{sev:<8}\x1b[0m")
                } else {
                    format!("{sev:<8}")
                };
                println!(
                    "{sev} {:<30} {:<14} {:<12} {}",
                    f.kind.id(),
                    f.name,
                    f.context.unwrap_or("-"),
                    f.message
                );
                println!("{:<8} {:<30} {:<14} {:<12} fix: {}", "", "", "", "", f.fix);
            }
            for n in &result.notes {
                eprintln!("note: {n}");
            }
        }
    }
    if result.findings.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDING
    }
}
