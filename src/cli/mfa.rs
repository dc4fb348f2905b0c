//! `iamsim mfa`: for every way of calling AWS, does MFA enforcement hold? Reads a scenario (a
//! file with the cases.md scenario fields, or flags), runs [`iamsim::mfa::audit`] and prints the
//! matrix, the verdicts and the findings.

use super::scenario_args::ScenarioArgs;
use crate::cli::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::cases::{read_json, PolicyLoader, SCENARIO_FIELDS};
use iamsim::diag::did_you_mean;
use iamsim::json::{Json, JsonKind};
use iamsim::mfa::render::{to_json, to_sarif, to_text, Style};
use iamsim::mfa::{audit, default_probes, expand_actions, AuditInput};
use std::io::{IsTerminal, Write};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for a terminal.
    Text,
    /// JSON, schema in docs/mfa-json.md.
    Json,
    /// SARIF 2.1.0: one result per leak or lockout.
    Sarif,
}

/// Arguments of `iamsim mfa`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iamsim mfa --scenario testdata/mfa/force-mfa.json
  iamsim mfa --identity 'policies/*.json' --principal arn:aws:iam::111122223333:user/alice
  iamsim mfa --identity admin.json --scp-level full-aws-access.json --scp-level deny-no-mfa.json,other.json

Each --scp-level/--rcp-level is one level, from the organization root down; a level with several
policies lists them comma-separated (--scp-level full-aws-access.json,deny-no-mfa.json).
--identity and --session-policy add to the scenario file's policies; --scp-level and --rcp-level
replace its levels; --principal, --boundary, --resource-policy and --resource-account replace its
values; --setting applies after its settings; --action replaces its \"actions\".

Exit status: 0 enforcement holds and nobody is locked out, 1 a leak or a lockout, 2 bad input.")]
pub struct MfaArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// An action to probe, ACTION or ACTION=RESOURCE (repeatable; wildcards select from the
    /// default list). Default: representative sensitive actions plus the enrolment steps.
    #[arg(long, value_name = "ACTION[=RESOURCE]")]
    pub action: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Show warnings about the policies and the scenario file.
    #[arg(short, long)]
    pub warnings: bool,
}

const MFA_EXTRA_FIELDS: &[&str] = &["actions", "description", "comment", "notes", "source"];

fn action_specs(v: &Json, file: &str) -> Result<Vec<String>, String> {
    let JsonKind::Array(items) = &v.kind else {
        return Err(format!(
            "{file}:{}: \"actions\" must be an array of \"service:Action[=resource]\" strings or {{\"action\", \"resource\"}} objects",
            v.pos
        ));
    };
    let mut out = Vec::new();
    for it in items {
        match &it.kind {
            JsonKind::String(s) => out.push(s.clone()),
            JsonKind::Object(_) => {
                let a = it.get("action").and_then(Json::as_str).ok_or_else(|| {
                    format!(
                        "{file}:{}: an action object needs \"action\": \"service:Action\"",
                        it.pos
                    )
                })?;
                match it.get("resource") {
                    None => out.push(a.to_string()),
                    Some(r) => {
                        let r = r.as_str().ok_or_else(|| {
                            format!("{file}:{}: \"resource\" must be a string", r.pos)
                        })?;
                        out.push(format!("{a}={r}"));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "{file}:{}: an action must be a string or an object, found {}",
                    it.pos,
                    it.type_name()
                ))
            }
        }
    }
    Ok(out)
}

fn build_input(args: &MfaArgs) -> Result<(AuditInput, Vec<String>, Option<String>), String> {
    let mut loader = PolicyLoader::default();
    let mut notes = Vec::new();
    let mut scenario_actions = None;
    let mut fallback = None;
    if let Some(path) = &args.scenario.scenario {
        // The scenario fields are read by ScenarioArgs; here only the audit's extra "actions"
        // field and unknown-field notes.
        let file = path.display().to_string();
        fallback = Some(file.clone());
        let root = read_json(path).map_err(|e| e.to_string())?;
        if let Some(members) = root.as_object() {
            let known: Vec<&str> = SCENARIO_FIELDS
                .iter()
                .chain(MFA_EXTRA_FIELDS)
                .copied()
                .collect();
            for m in members {
                if !known.contains(&m.key.as_str()) {
                    let hint = did_you_mean(&m.key, known.iter().copied())
                        .map(|s| format!(" (did you mean \"{s}\"?)"))
                        .unwrap_or_default();
                    notes.push(format!(
                        "{file}:{}: unknown field \"{}\" is ignored{hint}",
                        m.key_pos, m.key
                    ));
                }
            }
            if let Some(a) = root.get("actions") {
                scenario_actions = Some(action_specs(a, &file)?);
            }
        }
    }
    let spec = args.scenario.load(&mut loader).map_err(|e| e.to_string())?;
    if fallback.is_none() {
        fallback = args.scenario.identity.first().cloned();
    }
    let (principal, sc) = (spec.principal, spec.scenario);
    if sc.identity.is_empty() && fallback.is_none() {
        return Err(
            "no policies: give --scenario FILE or --identity FILE (see iamsim mfa --help)".into(),
        );
    }
    notes.extend(loader.warnings.iter().map(|d| d.to_string()));
    let probes = if !args.action.is_empty() {
        expand_actions(&principal, &args.action).map_err(|e| format!("--action: {e}"))?
    } else if let Some(specs) = scenario_actions {
        expand_actions(&principal, &specs).map_err(|e| format!("actions: {e}"))?
    } else {
        default_probes(&principal)
    };
    let now = iamsim::cases::now_secs();
    Ok((
        AuditInput {
            principal,
            scenario: sc,
            probes,
            now,
        },
        notes,
        fallback,
    ))
}

/// Runs the subcommand and returns the exit status.
pub fn run(args: &MfaArgs) -> i32 {
    let (input, notes, fallback) = match build_input(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    if args.warnings {
        for n in &notes {
            eprintln!("warning: {n}");
        }
    }
    let report = match audit(&input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let stdout = std::io::stdout();
    let text = match args.format {
        Format::Text => {
            let color =
                stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            to_text(&report, Style { color })
        }
        Format::Json => to_json(&report) + "\n",
        Format::Sarif => to_sarif(&report, fallback.as_deref()) + "\n",
    };
    let _ = stdout.lock().write_all(text.as_bytes());
    if report.failed() {
        EXIT_FINDING
    } else {
        EXIT_OK
    }
}
