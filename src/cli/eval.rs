//! `iamsim eval`: decide one request and explain the decision.

use super::scenario_args::ScenarioArgs;
use super::{EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use iamsim::cases::{request_context, PolicyLoader, RequestSpec};
use iamsim::compile::PolicySet;
use iamsim::context::{CtxValue, Preset};
use iamsim::eval::{Decision, Request};
use iamsim::report::explain;

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
    #[arg(long, short = 'c', default_value = "none")]
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

/// Parses repeated `NAME=VALUE` flags into context keys (a repeated name becomes a list).
pub fn parse_keys(keys: &[String]) -> Result<Vec<(String, Option<CtxValue>)>, String> {
    let mut out: Vec<(String, Option<CtxValue>)> = Vec::new();
    for k in keys {
        let (name, value) = k
            .split_once('=')
            .ok_or_else(|| format!("--key expects NAME=VALUE, got \"{k}\""))?;
        if name.is_empty() {
            return Err(format!("--key \"{k}\" has an empty name"));
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
pub fn run(args: &EvalArgs) -> i32 {
    let mut loader = PolicyLoader::default();
    let spec = match args.scenario.load(&mut loader) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    for w in &loader.warnings {
        eprintln!("warning: {w}");
    }
    let preset = match Preset::parse(&args.context) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: --context: {e}");
            return EXIT_INPUT;
        }
    };
    if args.action != "*" && args.action.split(':').count() != 2 {
        eprintln!("error: --action \"{}\" must be service:Action", args.action);
        return EXIT_INPUT;
    }
    let keys = match parse_keys(&args.keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let set = match PolicySet::compile(&spec.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let rs = RequestSpec {
        action: args.action.clone(),
        resource: args.resource.clone(),
        preset,
        keys,
    };
    let ctx = request_context(&set, &spec.principal, &rs);
    let slots = set.bind(&ctx);
    let req = Request {
        principal: &spec.principal,
        action: &rs.action,
        resource: &rs.resource,
        preset,
    };
    let outcome = set.evaluate(&req, &slots);
    let ex = explain(&set, &req, &slots, &outcome);
    match args.format {
        Format::Text => {
            print!(
                "principal: {}\nrequest:   {} on {} ({})\n",
                spec.principal.arn,
                rs.action,
                rs.resource,
                preset.name()
            );
            print!("{}", ex.to_text());
        }
        Format::Json => {
            let context: serde_json::Map<String, serde_json::Value> = ctx
                .entries()
                .into_iter()
                .map(|(_, name, v)| {
                    let val = match v {
                        CtxValue::One(s) => serde_json::Value::String(s.clone()),
                        CtxValue::Many(l) => serde_json::Value::Array(
                            l.iter().cloned().map(serde_json::Value::String).collect(),
                        ),
                    };
                    (name.to_string(), val)
                })
                .collect();
            let doc = serde_json::json!({
                "principal": spec.principal.arn,
                "action": rs.action,
                "resource": rs.resource,
                "context": preset.name(),
                "context_keys": context,
                "explanation": ex,
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
    if outcome.decision == Decision::Allowed {
        EXIT_OK
    } else {
        EXIT_FINDING
    }
}
