//! `iamsim simulate --cli-input-json FILE`: reads the request JSON of IAM's
//! `SimulateCustomPolicy` API and prints the API's response shape, so scripts built around
//! `aws iam simulate-custom-policy` work unchanged. The mapping lives in
//! [`iamsim::scenario::simulate`]; results are written one by one, so memory does not grow with
//! ActionNames × ResourceArns.

use super::{CliError, CmdResult, ExitStatus};
use iamsim::compile::PolicySet;
use iamsim::eval::{Decision, Request};
use iamsim::io::Output;
use iamsim::scenario::simulate::{read_simulate, result_json};
use iamsim::scenario::{parse_json_text, request_context, RequestSpec};
use std::io::Write;
use std::path::Path;

/// Arguments of `iamsim simulate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  iamsim simulate --cli-input-json testdata/simulate/request.json | jq '.EvaluationResults[].EvalDecision'
  iamsim simulate --cli-input-json file://testdata/simulate/request.json
  iamsim simulate testdata/simulate/request.json
  iamsim simulate --cli-input-json '{\"PolicyInputList\": [\"...\"], \"ActionNames\": [\"s3:GetObject\"]}'

Exit status: 0 the simulation ran (whatever the decisions, as the AWS CLI does), 1 some result
was denied and --fail-on-deny was given, 2 bad input.")]
pub struct SimulateArgs {
    /// The SimulateCustomPolicy request: a file, `file://FILE` as the AWS CLI takes it, inline
    /// JSON, or `-` for standard input.
    #[arg(
        long = "cli-input-json",
        value_name = "FILE|JSON",
        required_unless_present = "request"
    )]
    input: Option<String>,
    /// The same, given without the flag: `iamsim simulate request.json`.
    #[arg(value_name = "REQUEST", conflicts_with = "input")]
    request: Option<String>,
    /// Exit with status 1 when any result is not "allowed" (for gating scripts).
    #[arg(long = "fail-on-deny")]
    fail_on_deny: bool,
}

/// Reads the request as the AWS CLI would: `file://path`, inline JSON, or a path.
fn read_input(arg: &str) -> Result<(String, iamsim::json::Json), CliError> {
    let trimmed = arg.trim_start();
    if trimmed.starts_with('{') {
        return Ok((
            "--cli-input-json".into(),
            parse_json_text(arg, "--cli-input-json")?,
        ));
    }
    let path = arg.strip_prefix("file://").unwrap_or(arg);
    let shown = path.to_string();
    Ok((shown, iamsim::scenario::read_json(Path::new(path))?))
}

/// Indents a pretty-printed JSON value by `n` spaces after each newline.
fn indented(v: &serde_json::Value, n: usize) -> String {
    let pad = " ".repeat(n);
    serde_json::to_string_pretty(v)
        .unwrap_or_default()
        .replace('\n', &format!("\n{pad}"))
}

/// Runs the subcommand.
pub fn run(args: &SimulateArgs, out: &mut Output) -> CmdResult {
    let arg = args
        .input
        .as_deref()
        .or(args.request.as_deref())
        .unwrap_or("-");
    let (file, j) = read_input(arg)?;
    let input = read_simulate(&j, &file)?;
    super::warn_all(&input.notes);
    let spec = &input.spec;
    let set = PolicySet::compile(&spec.scenario).map_err(|e| CliError::Message(e.to_string()))?;
    let mut all_allowed = true;
    out.write_all(b"{\n  \"EvaluationResults\": [")?;
    let mut first = true;
    for action in &input.actions {
        for resource in &input.resources {
            let rs = RequestSpec {
                action: action.clone(),
                resource: resource.clone(),
                preset: input.preset,
                keys: input.keys.clone(),
            };
            let ctx = request_context(&set, &spec.principal, &rs);
            let slots = set.bind(&ctx);
            let req = Request {
                principal: &spec.principal,
                action,
                resource,
                preset: input.preset,
            };
            let o = set.evaluate(&req, &slots);
            all_allowed &= o.decision == Decision::Allowed;
            let format = iamsim::catalog::arn::resource_format_of(action, resource);
            let r = result_json(&set, &req, &slots, &o, format);
            let sep = if first { "\n    " } else { ",\n    " };
            first = false;
            write!(out, "{sep}{}", indented(&r, 4))?;
        }
    }
    out.write_all(if first { b"],\n" } else { b"\n  ],\n" })?;
    out.write_all(b"  \"IsTruncated\": false\n}\n")?;
    Ok(if args.fail_on_deny && !all_allowed {
        ExitStatus::Finding
    } else {
        ExitStatus::Ok
    })
}
