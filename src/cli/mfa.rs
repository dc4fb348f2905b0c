//! `iamsim mfa`: for every way of calling AWS, does MFA enforcement hold? Reads a scenario (a
//! file with the cases.md scenario fields, or flags), runs [`iamsim::mfa::audit`] and prints the
//! matrix, the verdicts and the findings.

use crate::cli::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::cases::{read_json, read_scenario, Fields, PolicyLoader, SCENARIO_FIELDS};
use iamsim::context::Principal;
use iamsim::diag::did_you_mean;
use iamsim::json::{Json, JsonKind};
use iamsim::mfa::render::{to_json, to_sarif, to_text, Style};
use iamsim::mfa::{audit, default_probes, expand_actions, AuditInput};
use iamsim::policy::PolicyKind;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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
Flags add to the scenario file's policies; --principal, --boundary, --resource-policy and
--resource-account replace its values; --setting applies after its settings; --action replaces its
\"actions\".

Exit status: 0 enforcement holds and nobody is locked out, 1 a leak or a lockout, 2 bad input.")]
pub struct MfaArgs {
    /// Scenario file: a JSON object with the scenario fields of case files (principal,
    /// identity_policies, scps, ...) and optionally "actions".
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Identity-based policy file (repeatable; glob patterns allowed).
    #[arg(long, value_name = "FILE")]
    pub identity: Vec<String>,
    /// Permissions boundary file.
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// Session policy file (repeatable).
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policy: Vec<PathBuf>,
    /// One SCP level, organization root first: repeat the flag per level; several files of one
    /// level are comma-separated (FILE,FILE); globs allowed.
    #[arg(long = "scp-level", value_name = "FILE[,FILE...]")]
    pub scp_level: Vec<String>,
    /// One RCP level, like --scp-level.
    #[arg(long = "rcp-level", value_name = "FILE[,FILE...]")]
    pub rcp_level: Vec<String>,
    /// Resource-based policy; it applies to the probes of the services it names.
    #[arg(long = "resource-policy", value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// The account owning the resources (12 digits); default: the principal's.
    #[arg(long = "resource-account", value_name = "ACCOUNT")]
    pub resource_account: Option<String>,
    /// The principal's account is the organization's management account.
    #[arg(long = "management-account")]
    pub management_account: bool,
    /// The audited principal (IAM user, root or role session ARN)
    /// [default: arn:aws:iam::111122223333:user/alice].
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// An engine setting, name=value (repeatable).
    #[arg(long = "setting", value_name = "NAME=VALUE")]
    pub setting: Vec<String>,
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

fn glob_files(pattern: &str) -> Result<Vec<PathBuf>, String> {
    if !pattern.contains(['*', '?', '[']) {
        return Ok(vec![PathBuf::from(pattern)]);
    }
    let paths = glob::glob(pattern).map_err(|e| format!("bad glob pattern \"{pattern}\": {e}"))?;
    let mut out: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(format!("\"{pattern}\" matches no files"));
    }
    Ok(out)
}

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
    let (mut principal, mut sc) = match &args.scenario {
        Some(path) => {
            let file = path.display().to_string();
            fallback = Some(file.clone());
            let root = read_json(path).map_err(|e| e.to_string())?;
            let Some(members) = root.as_object() else {
                return Err(format!(
                    "{file}:{}: a scenario must be a JSON object with the scenario fields of case files",
                    root.pos
                ));
            };
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
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let spec = read_scenario(
                &Fields {
                    own: &root,
                    defaults: None,
                },
                &file,
                &base,
                &mut loader,
            )
            .map_err(|e| e.to_string())?;
            if let Some(a) = root.get("actions") {
                scenario_actions = Some(action_specs(a, &file)?);
            }
            (spec.principal, spec.scenario)
        }
        None => (
            Principal::parse(iamsim::cases::DEFAULT_PRINCIPAL).map_err(|e| e.0)?,
            Default::default(),
        ),
    };
    if let Some(p) = &args.principal {
        principal = Principal::parse(p).map_err(|e| format!("--principal: {e}"))?;
    }
    for s in &args.setting {
        sc.settings
            .set_pair(s)
            .map_err(|e| format!("--setting {s}: {e}"))?;
    }
    loader.options.scp_legacy = sc.settings.scp_language_legacy;
    loader.options.strict = sc.settings.strict_validation;
    let mut load =
        |path: &Path, kind: PolicyKind| loader.load_file(path, kind).map_err(|e| e.to_string());
    for pat in &args.identity {
        for f in glob_files(pat).map_err(|e| format!("--identity: {e}"))? {
            sc.identity.push(load(&f, PolicyKind::Identity)?);
            fallback.get_or_insert(f.display().to_string());
        }
    }
    if let Some(b) = &args.boundary {
        sc.boundary = Some(load(b, PolicyKind::Boundary)?);
    }
    for s in &args.session_policy {
        sc.session.push(load(s, PolicyKind::Session)?);
    }
    for (levels, kind, flag) in [
        (&args.scp_level, PolicyKind::Scp, "--scp-level"),
        (&args.rcp_level, PolicyKind::Rcp, "--rcp-level"),
    ] {
        for level in levels {
            let mut ps = Vec::new();
            for pat in level.split(',').map(|s| s.trim()).filter(|s| !s.is_empty()) {
                for f in glob_files(pat).map_err(|e| format!("{flag}: {e}"))? {
                    ps.push(load(&f, kind)?);
                }
            }
            if ps.is_empty() {
                return Err(format!("{flag}: a level needs at least one policy file"));
            }
            if kind == PolicyKind::Scp {
                sc.scps.push(ps);
            } else {
                sc.rcps.push(ps);
            }
        }
    }
    if let Some(r) = &args.resource_policy {
        sc.resource_policy = Some(load(r, PolicyKind::Resource)?);
    }
    if let Some(a) = &args.resource_account {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("--resource-account must be 12 digits, not \"{a}\""));
        }
        sc.resource_account = Some(a.clone());
    }
    if args.management_account {
        sc.management_account = true;
    }
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
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
