//! `iamsim replay TRAIL...`: CloudTrail events through the current policies and a proposed
//! change. The mapping and the summary live in [`iamsim::replay`].

use super::scenario_args::ScenarioArgs;
use super::{CliError, CmdResult, ExitStatus};
use iamsim::compile::PolicySet;
use iamsim::diag::InputError;
use iamsim::io::Output;
use iamsim::policy::PolicyKind;
use iamsim::replay::run::{Proposed, ReplayError, Resolver};
use iamsim::replay::{source, Summary};
use iamsim::values::Wildcard;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The summary for a terminal.
    Text,
    /// The summary as JSON.
    Json,
    /// One JSON record per event, in input order.
    Jsonl,
}

/// Arguments of `iamsim replay`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example (would this MFA SCP break anything?):
  iamsim replay testdata/replay/ --scenario testdata/replay/scenario.json \\
      --with-scp testdata/policies/scp-deny-without-mfa.json

Input: CloudTrail log files as delivered to S3 ({\"Records\": [...]}, .json or .json.gz), JSON Lines
of events, directories of them (recursive), or - for standard input. The rules that turn an event
into a request are in docs/replay.md.

Exit status: 0 the change breaks nothing (or no change was given), 1 the change would deny a call
that is allowed today, 2 bad input.")]
pub struct ReplayArgs {
    /// CloudTrail files or directories; `-` reads standard input.
    #[arg(required = true, value_name = "TRAIL")]
    pub inputs: Vec<PathBuf>,
    /// The current policies (applied to every caller of the trail).
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Proposed: an SCP attached at the last SCP level (a new level when there is none), or at
    /// level N with N:FILE (repeatable).
    #[arg(long = "with-scp", value_name = "[LEVEL:]FILE")]
    pub with_scp: Vec<String>,
    /// Proposed: a resource control policy attached at the last RCP level (a new level when
    /// there is none), or at level N with N:FILE (repeatable).
    #[arg(long = "with-rcp", value_name = "[LEVEL:]FILE")]
    pub with_rcp: Vec<String>,
    /// Proposed: an identity policy added for every caller, or for callers whose ARN matches a
    /// wildcard pattern with PATTERN=FILE (repeatable; the first matching pattern applies).
    #[arg(long = "with-identity", value_name = "[PATTERN=]FILE")]
    pub with_identity: Vec<String>,
    /// Evaluate each event with its own principal's policies from this account export
    /// (`aws iam get-account-authorization-details`, repeatable for pages) instead of one
    /// scenario for every caller; SCP levels come from --scp-level.
    #[arg(long = "auth-details", value_name = "FILE")]
    pub auth_details: Vec<PathBuf>,
    /// Proposed (with --auth-details): detach this managed policy everywhere (repeatable).
    #[arg(long, value_name = "POLICY_ARN")]
    pub without: Vec<String>,
    /// Proposed (with --auth-details): replace this managed policy's document (repeatable).
    #[arg(long, value_name = "POLICY_ARN=FILE")]
    pub replace: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Builds the export-based resolver: the baseline from the export and the SCP levels, the
/// proposed one with --without/--replace/--with-scp/--with-identity applied.
fn build_export(args: &ReplayArgs) -> Result<Resolver, CliError> {
    use iamsim::account::export::AccountExport;
    let mut export = AccountExport::default();
    for f in &args.auth_details {
        let text = iamsim::io::read_text(f, iamsim::io::DEFAULT_INPUT_LIMIT)?;
        export.add_text(&text, &f.display().to_string())?;
    }
    let (built, _) = args.scenario.build(&[])?;
    super::warn_all(&built.notes);
    let sc = built.spec.scenario;
    let mut base = iamsim::replay::ExportPolicies::new(
        export.clone(),
        sc.scps.clone(),
        sc.settings.clone(),
        sc.management_account,
    );
    base.rcps = sc.rcps.clone();
    let changed = !(args.with_scp.is_empty()
        && args.with_rcp.is_empty()
        && args.with_identity.is_empty()
        && args.without.is_empty()
        && args.replace.is_empty());
    if !changed {
        return Ok(Resolver::Export(Box::new(base), None));
    }
    let mut b = super::builder();
    b.settings(&args.scenario.settings)?;
    let mut prop_export = export;
    for arn in &args.without {
        if prop_export.policies.remove(arn).is_none() {
            return Err(InputError::whole(
                "--without",
                format!("{arn} is not a managed policy of the export"),
            )
            .into());
        }
    }
    for spec in &args.replace {
        let (arn, file) = spec.split_once('=').ok_or_else(|| {
            InputError::whole(
                "--replace",
                format!("expects POLICY_ARN=FILE, got \"{spec}\""),
            )
        })?;
        if !prop_export.policies.contains_key(arn) {
            return Err(InputError::whole(
                "--replace",
                format!("{arn} is not a managed policy of the export"),
            )
            .into());
        }
        let p = b
            .loader
            .load_file(std::path::Path::new(file), PolicyKind::Identity)?;
        prop_export.policies.insert(arn.to_string(), p);
    }
    let mut scps = sc.scps.clone();
    add_scps(&mut b, &args.with_scp, &mut scps)?;
    let mut rcps = sc.rcps.clone();
    add_rcps(&mut b, &args.with_rcp, &mut rcps)?;
    let mut prop =
        iamsim::replay::ExportPolicies::new(prop_export, scps, sc.settings, sc.management_account);
    prop.rcps = rcps;
    for spec in &args.with_identity {
        let (pat, file) = spec.split_once('=').unwrap_or(("*", spec.as_str()));
        let p = b
            .loader
            .load_file(std::path::Path::new(file), PolicyKind::Identity)?;
        prop.added.push((Wildcard::new(pat), p));
    }
    Ok(Resolver::Export(Box::new(base), Some(Box::new(prop))))
}

/// The AWS managed RCP every level of an organization holds.
fn rcp_full_aws_access() -> Result<iamsim::policy::Policy, CliError> {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Sid":"RCPFullAWSAccess","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    iamsim::policy::parse_policy_text(
        text,
        "RCPFullAWSAccess",
        "RCPFullAWSAccess",
        PolicyKind::Rcp,
        iamsim::ParseOptions::default(),
    )
    .map(|(p, _)| p)
    .map_err(|_| CliError::Message("the built-in RCPFullAWSAccess does not parse".into()))
}

/// Attaches `--with-scp [LEVEL:]FILE` policies to `scps`.
fn add_scps(
    b: &mut iamsim::scenario::ScenarioBuilder,
    specs: &[String],
    scps: &mut Vec<Vec<iamsim::policy::Policy>>,
) -> Result<(), CliError> {
    add_levels(b, specs, scps, PolicyKind::Scp, "--with-scp", "SCP")
}

/// Attaches `--with-rcp [LEVEL:]FILE` policies to `rcps`.
fn add_rcps(
    b: &mut iamsim::scenario::ScenarioBuilder,
    specs: &[String],
    rcps: &mut Vec<Vec<iamsim::policy::Policy>>,
) -> Result<(), CliError> {
    add_levels(b, specs, rcps, PolicyKind::Rcp, "--with-rcp", "RCP")
}

/// Attaches `[LEVEL:]FILE` policies of `kind` to `levels` (the last level, or a new one when
/// there is none, without `LEVEL`).
fn add_levels(
    b: &mut iamsim::scenario::ScenarioBuilder,
    specs: &[String],
    scps: &mut Vec<Vec<iamsim::policy::Policy>>,
    kind: PolicyKind,
    flag: &str,
    what: &str,
) -> Result<(), CliError> {
    for spec in specs {
        let (level, file) = match spec.split_once(':') {
            Some((l, f)) if l.bytes().all(|c| c.is_ascii_digit()) && !l.is_empty() => {
                (Some(l.parse::<usize>().unwrap_or(usize::MAX)), f)
            }
            _ => (None, spec.as_str()),
        };
        let p = b.loader.load_file(std::path::Path::new(file), kind)?;
        match level {
            Some(l) if l < scps.len() => scps[l].push(p),
            Some(l) => {
                return Err(InputError::whole(
                    flag,
                    format!(
                        "level {l} does not exist: the scenario has {} {what} level(s)",
                        scps.len()
                    ),
                )
                .into())
            }
            // A new RCP level holds RCPFullAWSAccess too: AWS attaches it to every root, OU and
            // account, and it cannot be detached.
            None if scps.is_empty() && kind == PolicyKind::Rcp => {
                scps.push(vec![rcp_full_aws_access()?, p])
            }
            None if scps.is_empty() => scps.push(vec![p]),
            None => scps.last_mut().expect("non-empty").push(p),
        }
    }
    Ok(())
}

fn build(args: &ReplayArgs) -> Result<(PolicySet, Proposed), CliError> {
    let (built, _) = args.scenario.build(&[])?;
    super::warn_all(&built.notes);
    let base_sc = built.spec.scenario;
    let baseline = PolicySet::compile(&base_sc).map_err(|e| CliError::Message(e.to_string()))?;
    if args.with_scp.is_empty() && args.with_rcp.is_empty() && args.with_identity.is_empty() {
        return Ok((
            baseline,
            Proposed {
                all: None,
                patterns: Vec::new(),
            },
        ));
    }
    let mut b = super::builder();
    b.settings(&args.scenario.settings)?;
    let mut proposed = base_sc.clone();
    add_scps(&mut b, &args.with_scp, &mut proposed.scps)?;
    add_rcps(&mut b, &args.with_rcp, &mut proposed.rcps)?;
    let mut patterned = Vec::new();
    for spec in &args.with_identity {
        match spec.split_once('=') {
            Some((pat, file)) => {
                let p = b
                    .loader
                    .load_file(std::path::Path::new(file), PolicyKind::Identity)?;
                patterned.push((pat.to_string(), p));
            }
            None => {
                let p = b
                    .loader
                    .load_file(std::path::Path::new(spec), PolicyKind::Identity)?;
                proposed.identity.push(p);
            }
        }
    }
    let compile = |sc: &iamsim::Scenario| {
        PolicySet::compile(sc).map_err(|e| CliError::Message(e.to_string()))
    };
    let mut patterns = Vec::new();
    for (pat, p) in patterned {
        let mut sc = proposed.clone();
        sc.identity.push(p);
        patterns.push((Wildcard::new(&pat), compile(&sc)?));
    }
    let all = compile(&proposed)?;
    Ok((
        baseline,
        Proposed {
            all: Some(all),
            patterns,
        },
    ))
}

/// Runs the subcommand.
pub fn run(args: &ReplayArgs, out: &mut Output) -> CmdResult {
    let resolver = if args.auth_details.is_empty() {
        if !(args.without.is_empty() && args.replace.is_empty()) {
            return Err(CliError::Message("--without and --replace need --auth-details (an account export with managed policies)".into()));
        }
        let (baseline, proposed) = build(args)?;
        Resolver::Scenario(Box::new(baseline), Box::new(proposed))
    } else {
        build_export(args)?
    };
    let with_change = match &resolver {
        Resolver::Scenario(_, p) => p.all.is_some(),
        Resolver::Export(_, p) => p.is_some(),
    };
    let files = source::input_files(&args.inputs)?;
    let mut summary = Summary::default();
    let jobs = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let jsonl = args.format == Format::Jsonl;
    // A spinner with the events read so far, on standard error when it is a terminal.
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {human_pos} events read, {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
        b
    });
    let result = iamsim::replay::run::replay_files(
        &resolver,
        &files,
        jobs,
        jsonl,
        &mut summary,
        &mut |t| out.write_unfiltered(t),
        &mut |s| {
            if let Some(b) = &bar {
                b.set_position(s.events);
            }
        },
    );
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let damaged = match result {
        Ok(d) => d,
        Err(ReplayError::Input(e)) => return Err(e.into()),
        Err(ReplayError::Io(e)) => return Err(e.into()),
    };
    match args.format {
        Format::Text => out.write_all(summary.to_text(with_change).as_bytes())?,
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        )?,
        Format::Jsonl => {}
    }
    for d in &damaged {
        eprintln!("error: {}", iamsim::io::term(d));
    }
    if !damaged.is_empty() {
        return Err(CliError::Message(format!(
            "{} file(s) were damaged (results before the damage are above)",
            damaged.len()
        )));
    }
    Ok(if with_change && summary.broken() > 0 {
        ExitStatus::Finding
    } else {
        ExitStatus::Ok
    })
}
