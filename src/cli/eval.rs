//! `iamsim eval`: decide one request and explain the decision.

use super::scenario_args::ScenarioArgs;
use super::{CliError, CmdResult, ExitStatus};
use iamsim::context::{CtxValue, Preset};
use iamsim::diag::InputError;
use iamsim::eval::Decision;
use iamsim::io::Output;
use iamsim::{Engine, Query};
use std::io::Write;

/// Arguments of `iamsim eval`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  iamsim eval --identity testdata/policies/force-mfa.json --identity testdata/policies/admin.json \\\n      --action s3:ListAllMyBuckets --context access-keys\n\nExit status: 0 allowed, 1 denied (explicitly or implicitly), 2 bad input."
)]
pub struct EvalArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The action, service:Action.
    #[arg(long, short = 'a')]
    action: String,
    /// The resource ARN, or * for actions without resource-level permissions.
    #[arg(long, short = 'r', default_value = "*")]
    resource: String,
    /// How the caller reached AWS: none, console, console-mfa, access-keys, session, session-mfa,
    /// role, role-mfa, service, service-mfa.
    #[arg(long, short = 'c', default_value = "none", value_parser = preset_names())]
    context: String,
    /// A condition key, NAME=VALUE (repeatable; a key given twice becomes multi-valued;
    /// NAME= with no value sets the empty string; NAME=null removes a preset key).
    #[arg(long = "key", short = 'k', value_name = "NAME=VALUE")]
    keys: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The preset names, so that clap lists them in `--help` and shell completions offer them.
fn preset_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(iamsim::context::PRESETS.iter().map(|(_, n)| *n))
}

/// Parses repeated `NAME=VALUE` flags into context keys (a repeated name becomes a list).
pub fn parse_keys(keys: &[String]) -> Result<Vec<(String, Option<CtxValue>)>, String> {
    let mut out: Vec<(String, Option<CtxValue>)> = Vec::new();
    for k in keys {
        let (name, value) = k
            .split_once('=')
            .ok_or_else(|| format!("expects NAME=VALUE, got \"{k}\""))?;
        if name.is_empty() {
            return Err(format!("\"{k}\" has an empty name"));
        }
        if iamsim::scenario::request::is_time_key(name) && value != "null" {
            iamsim::scenario::request::check_time_value(name, &CtxValue::One(value.to_string()))?;
        }
        if value == "null" {
            out.push((name.to_string(), None));
            continue;
        }
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, Some(existing))) => {
                let mut vals = existing.as_slice().to_vec();
                vals.push(value.to_string());
                *existing = CtxValue::Many(vals);
            }
            _ => out.push((name.to_string(), Some(CtxValue::One(value.to_string())))),
        }
    }
    Ok(out)
}

/// Runs the subcommand.
pub fn run(args: &EvalArgs, out: &mut Output) -> CmdResult {
    let (built, _) = args.scenario.build(&[])?;
    super::warn_all(&built.notes);
    super::warn_all(&built.policy_warnings);
    let spec = built.spec;
    if spec.scenario.has_no_policies() {
        super::warn_all([
            "the scenario has no policies: every request is an implicit deny (give --identity FILE, --scenario FILE, ...)",
        ]);
    }
    let preset = Preset::parse(&args.context).map_err(|e| InputError::whole("--context", e))?;
    if args.action != "*" && args.action.split(':').count() != 2 {
        return Err(InputError::whole(
            "--action",
            format!("\"{}\" must be service:Action", args.action),
        )
        .into());
    }
    // A misspelt action is evaluated as asked (it simply matches no grant), with a warning.
    super::warn_all(iamsim::catalog::lint::unknown_request_action(&args.action));
    let keys = parse_keys(&args.keys).map_err(|e| InputError::whole("--key", e))?;
    // Decided through the library's front door, as a library caller would.
    let principal = spec.principal.arn.clone();
    let engine = Engine::new(spec).map_err(|e| CliError::Message(e.to_string()))?;
    let query = Query::new(&args.action)
        .resource(&args.resource)
        .preset(preset)
        .keys(keys);
    let traced = engine
        .trace(&query)
        .map_err(|e| CliError::Message(e.to_string()))?;
    let (outcome, ex) = (traced.outcome, traced.explanation);
    match args.format {
        Format::Text => {
            write!(
                out,
                "principal: {}\nrequest:   {} on {} ({})\n",
                principal,
                args.action,
                args.resource,
                preset.name()
            )?;
            write!(out, "{}", ex.to_text())?;
        }
        Format::Json => {
            let context: serde_json::Map<String, serde_json::Value> = traced
                .context
                .into_iter()
                .map(|(name, v)| {
                    let val = match v {
                        CtxValue::One(s) => serde_json::Value::String(s),
                        CtxValue::Many(l) => serde_json::Value::Array(
                            l.into_iter().map(serde_json::Value::String).collect(),
                        ),
                    };
                    (name, val)
                })
                .collect();
            let doc = serde_json::json!({
                "decision": outcome.decision.as_str(),
                "principal": principal,
                "action": args.action,
                "resource": args.resource,
                "context": preset.name(),
                "context_keys": context,
                "explanation": ex,
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
    }
    Ok(if outcome.decision == Decision::Allowed {
        ExitStatus::Ok
    } else {
        ExitStatus::Finding
    })
}
