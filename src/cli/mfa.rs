//! `iamsim mfa`: for every way of calling AWS, does MFA enforcement hold? Reads a scenario (a
//! file with the cases.md scenario fields, or flags), runs [`iamsim::mfa::audit`] and prints the
//! matrix, the verdicts and the findings.

use super::scenario_args::ScenarioArgs;
use crate::cli::{CliError, CmdResult, ExitStatus};
use iamsim::io::Output;
use iamsim::json::{Json, JsonKind};
use iamsim::mfa::render::{to_json, to_sarif, to_text, Style};
use iamsim::mfa::{audit, default_probes, expand_actions, AuditInput};
use std::io::Write;

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
    /// Probe every action of these access levels (from the built-in catalog) in the services
    /// the policies name, instead of the default sensitive actions; --action adds to them.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LEVEL[,LEVEL]")]
    pub actions: Vec<super::expand::LevelArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Fit the matrix to this many columns (default: the terminal's width; one block in a pipe).
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Also show warnings about the policies (warnings about the scenario file are always
    /// shown, unless --quiet).
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

fn build_input(args: &MfaArgs) -> Result<(AuditInput, Option<String>), CliError> {
    let (built, root) = args.scenario.build(MFA_EXTRA_FIELDS)?;
    // The scenario's own "actions" field (read from the same JSON: standard input is read once).
    let mut scenario_actions = None;
    if let (Some(root), Some(origin)) = (&root, &built.origin) {
        if let Some(a) = root.get("actions") {
            scenario_actions = Some(action_specs(a, origin)?);
        }
    }
    super::warn_all(&built.notes);
    if args.warnings {
        super::warn_all(&built.policy_warnings);
    }
    let fallback = built
        .origin
        .clone()
        .or_else(|| args.scenario.identity.first().cloned());
    let (principal, sc) = (built.spec.principal, built.spec.scenario);
    if sc.identity.is_empty() && fallback.is_none() {
        return Err(CliError::Message(
            "no policies: give --scenario FILE or --identity FILE (see iamsim mfa --help)".into(),
        ));
    }
    let probes = if !args.actions.is_empty() {
        level_probes_of(args, &principal, &sc)?
    } else if !args.action.is_empty() {
        expand_actions(&principal, &args.action).map_err(|e| format!("--action: {e}"))?
    } else if let Some(specs) = scenario_actions {
        expand_actions(&principal, &specs).map_err(|e| format!("actions: {e}"))?
    } else {
        default_probes(&principal)
    };
    let now = iamsim::scenario::now_secs();
    Ok((
        AuditInput {
            principal,
            scenario: sc,
            probes,
            now,
        },
        fallback,
    ))
}

/// `--actions LEVEL`: the catalog's actions of those levels in the services the scenario's
/// policies name, then the `--action` probes; says on stderr what it chose.
fn level_probes_of(
    args: &MfaArgs,
    principal: &iamsim::Principal,
    sc: &iamsim::Scenario,
) -> Result<Vec<iamsim::mfa::Probe>, CliError> {
    let levels: Vec<_> = args.actions.iter().map(|l| l.level()).collect();
    let policies = sc
        .identity
        .iter()
        .chain(&sc.boundary)
        .chain(&sc.session)
        .chain(sc.scps.iter().flatten())
        .chain(sc.rcps.iter().flatten())
        .chain(&sc.resource_policy)
        .collect::<Vec<_>>();
    let named = !iamsim::catalog::probes::services_named(policies.iter().copied()).is_empty();
    let (mut probes, services) = iamsim::mfa::level_probes(principal, policies, &levels);
    for p in expand_actions(principal, &args.action).map_err(|e| format!("--action: {e}"))? {
        if !probes.contains(&p) {
            probes.push(p);
        }
    }
    if !crate::cli::quiet() {
        let names: Vec<&str> = levels.iter().map(|l| l.slug()).collect();
        let sensitive = probes
            .iter()
            .filter(|p| p.kind == iamsim::mfa::ProbeKind::Sensitive)
            .count();
        eprintln!(
            "note: probing {sensitive} {} actions of {}{} (and {} enrolment and self-service steps)",
            names.join("/"),
            services.join(", "),
            if named {
                ""
            } else {
                " (the policies name no service: those of the default probes)"
            },
            probes.len() - sensitive
        );
    }
    Ok(probes)
}

/// Runs the subcommand and returns the exit status.
pub fn run(args: &MfaArgs, out: &mut Output) -> CmdResult {
    let (input, fallback) = build_input(args)?;
    let report = audit(&input).map_err(|e| CliError::Message(e.to_string()))?;
    let text = match args.format {
        Format::Text => to_text(
            &report,
            Style {
                color: out.colour(),
                width: out.width(args.width),
            },
        ),
        Format::Json => to_json(&report) + "\n",
        Format::Sarif => to_sarif(&report, fallback.as_deref()) + "\n",
    };
    out.write_all(text.as_bytes())?;
    Ok(if report.failed() {
        ExitStatus::Finding
    } else {
        ExitStatus::Ok
    })
}
