//! The scenario flags shared by subcommands that evaluate requests: `--scenario FILE`, or the
//! policies one by one (`--identity`, `--boundary`, `--scp-level`, ...).

use iamsim::cases::{
    read_json, read_scenario, Fields, InputError, PolicyLoader, ScenarioSpec, DEFAULT_PRINCIPAL,
};
use iamsim::context::Principal;
use iamsim::json::Pos;
use iamsim::policy::PolicyKind;
use std::path::{Path, PathBuf};

/// Where the policies come from.
#[derive(Debug, Clone, clap::Args)]
pub struct ScenarioArgs {
    /// A JSON file with the scenario fields of a case file (principal, identity_policies,
    /// permissions_boundary, session_policies, scps, rcps, resource_policy, resource_account,
    /// management_account, settings). Flags below add to it.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// An identity-based policy file (repeatable; glob patterns such as 'policies/*.json' allowed).
    #[arg(long = "identity", value_name = "FILE")]
    pub identity: Vec<String>,
    /// The permissions boundary.
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// A session policy (repeatable).
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policy: Vec<PathBuf>,
    /// One SCP level, from the organization root down: repeat the flag per level; several
    /// policies attached at one level are separated by commas.
    #[arg(long = "scp-level", value_name = "FILE[,FILE...]")]
    pub scp_level: Vec<String>,
    /// One RCP level of the resource's account, as --scp-level.
    #[arg(long = "rcp-level", value_name = "FILE[,FILE...]")]
    pub rcp_level: Vec<String>,
    /// The resource-based policy of the requested resource (bucket policy, trust policy, key policy...).
    #[arg(long = "resource-policy", value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// The account that owns the resource (default: the principal's).
    #[arg(long = "resource-account", value_name = "ACCOUNT")]
    pub resource_account: Option<String>,
    /// The principal's account is the organization's management account (SCPs do not apply).
    #[arg(long = "management-account")]
    pub management_account: bool,
    /// The caller's ARN (default arn:aws:iam::111122223333:user/alice, or the scenario's).
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// An engine setting, name=value (repeatable); see README "Settings".
    #[arg(long = "setting", value_name = "NAME=VALUE")]
    pub settings: Vec<String>,
}

fn cli_error(what: &str, msg: impl Into<String>) -> InputError {
    InputError {
        file: what.to_string(),
        pos: Pos {
            line: 1,
            col: 1,
            offset: 0,
        },
        path: String::new(),
        message: msg.into(),
    }
}

/// Expands a glob pattern (or returns the path itself when it has no wildcard).
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>, InputError> {
    if !pattern.contains(['*', '?', '[']) {
        return Ok(vec![PathBuf::from(pattern)]);
    }
    let paths = glob::glob(pattern)
        .map_err(|e| cli_error(pattern, format!("invalid glob pattern: {e}")))?;
    let mut out: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(cli_error(pattern, "the pattern matches no file"));
    }
    Ok(out)
}

impl ScenarioArgs {
    /// Builds the scenario.
    pub fn load(&self, loader: &mut PolicyLoader) -> Result<ScenarioSpec, InputError> {
        let mut spec = match &self.scenario {
            Some(path) => {
                let j = read_json(path)?;
                if j.as_object().is_none() {
                    return Err(InputError {
                        file: path.display().to_string(),
                        pos: j.pos,
                        path: String::new(),
                        message: "a scenario file must be a JSON object".into(),
                    });
                }
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                read_scenario(
                    &Fields {
                        own: &j,
                        defaults: None,
                    },
                    &path.display().to_string(),
                    &base,
                    loader,
                )?
            }
            None => ScenarioSpec {
                principal: Principal::parse(DEFAULT_PRINCIPAL).expect("default principal"),
                scenario: Default::default(),
            },
        };
        let sc = &mut spec.scenario;
        for pair in &self.settings {
            sc.settings
                .set_pair(pair)
                .map_err(|e| cli_error("--setting", e.0))?;
        }
        loader.options = sc.settings.parse_options();
        if let Some(p) = &self.principal {
            spec.principal = Principal::parse(p).map_err(|e| cli_error("--principal", e.0))?;
        }
        for pat in &self.identity {
            for path in expand(pat)? {
                sc.identity
                    .push(loader.load_file(&path, PolicyKind::Identity)?);
            }
        }
        if let Some(p) = &self.boundary {
            sc.boundary = Some(loader.load_file(p, PolicyKind::Boundary)?);
        }
        for p in &self.session_policy {
            sc.session.push(loader.load_file(p, PolicyKind::Session)?);
        }
        for (flag, levels, kind) in [
            ("--scp-level", &self.scp_level, PolicyKind::Scp),
            ("--rcp-level", &self.rcp_level, PolicyKind::Rcp),
        ] {
            if levels.is_empty() {
                continue;
            }
            let mut out = Vec::new();
            for level in levels {
                let mut ps = Vec::new();
                for f in level.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    for path in expand(f)? {
                        ps.push(loader.load_file(&path, kind)?);
                    }
                }
                if ps.is_empty() {
                    return Err(cli_error(flag, "a level needs at least one policy file"));
                }
                out.push(ps);
            }
            if out.len() > iamsim::compile::MAX_LEVELS {
                return Err(cli_error(
                    flag,
                    format!("at most {} levels", iamsim::compile::MAX_LEVELS),
                ));
            }
            if kind == PolicyKind::Scp {
                sc.scps = out;
            } else {
                sc.rcps = out;
            }
        }
        if let Some(p) = &self.resource_policy {
            sc.resource_policy = Some(loader.load_file(p, PolicyKind::Resource)?);
        }
        if let Some(a) = &self.resource_account {
            if !iamsim::values::is_account_id(a) {
                return Err(cli_error(
                    "--resource-account",
                    format!("an account is 12 digits, not \"{a}\""),
                ));
            }
            sc.resource_account = Some(a.clone());
        }
        if self.management_account {
            sc.management_account = true;
        }
        Ok(spec)
    }
}
