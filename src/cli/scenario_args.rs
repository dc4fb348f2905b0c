//! The scenario flags shared by subcommands that evaluate requests: `--scenario FILE`, or the
//! policies one by one (`--identity`, `--boundary`, `--scp-level`, ...). They only feed the one
//! [`ScenarioBuilder`].

use iamsim::diag::InputError;
use iamsim::policy::PolicyKind;
use iamsim::scenario::{Built, ScenarioBuilder};
use std::path::PathBuf;

/// Where the policies come from.
#[derive(Debug, Clone, clap::Args)]
pub struct ScenarioArgs {
    /// A JSON file with the scenario fields of a case file (principal, identity_policies,
    /// permissions_boundary, session_policies, scps, rcps, resource_policy, resource_account,
    /// management_account, organization, settings); `-` reads standard input. Flags below add
    /// to it.
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
    /// The account that owns the resource (default: the resource ARN's account, else the principal's).
    #[arg(long = "resource-account", value_name = "ACCOUNT")]
    pub resource_account: Option<String>,
    /// The principal's account is the organization's management account (SCPs do not apply).
    #[arg(long = "management-account")]
    pub management_account: bool,
    /// The caller's ARN (default arn:aws:iam::111122223333:user/alice, or the scenario's).
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// The organization's id (o-...): with --org-account, sets aws:PrincipalOrgID and
    /// aws:ResourceOrgID for member accounts (or the scenario's "organization" field).
    #[arg(long = "org-id", value_name = "ID")]
    pub org_id: Option<String>,
    /// A member account of the organization and its OU path, ACCOUNT=o-.../r-.../ou-.../
    /// (repeatable; sets aws:PrincipalOrgPaths / aws:ResourceOrgPaths).
    #[arg(long = "org-account", value_name = "ACCOUNT=PATH")]
    pub org_account: Vec<String>,
    /// An engine setting, name=value (repeatable); see README "Settings".
    #[arg(long = "setting", value_name = "NAME=VALUE")]
    pub settings: Vec<String>,
}

impl ScenarioArgs {
    /// Feeds the flags to `b`: the file first, then settings (so policies given by flag are read
    /// with them), the principal, the policies, the resource's account.
    pub fn apply(&self, b: &mut ScenarioBuilder) -> Result<Option<iamsim::json::Json>, InputError> {
        let root = match &self.scenario {
            Some(path) => Some(b.file(path)?),
            None => None,
        };
        b.settings(&self.settings)?;
        if let Some(p) = &self.principal {
            b.principal(p)?;
        }
        for pat in &self.identity {
            b.identity(pat)?;
        }
        if let Some(p) = &self.boundary {
            b.boundary(p)?;
        }
        for p in &self.session_policy {
            b.session(p)?;
        }
        b.levels_from_flags(PolicyKind::Scp, "--scp-level", &self.scp_level)?;
        b.levels_from_flags(PolicyKind::Rcp, "--rcp-level", &self.rcp_level)?;
        if let Some(p) = &self.resource_policy {
            b.resource_policy(p)?;
        }
        if let Some(a) = &self.resource_account {
            b.resource_account(a)?;
        }
        b.management_account(self.management_account);
        if self.org_id.is_some() || !self.org_account.is_empty() {
            b.organization(self.org_id.as_deref(), &self.org_account)?;
        }
        Ok(root)
    }

    /// Builds the scenario from the flags alone.
    pub fn build(
        &self,
        extra_fields: &[&'static str],
    ) -> Result<(Built, Option<iamsim::json::Json>), InputError> {
        let mut b = super::builder();
        b.accept_fields(extra_fields);
        let root = self.apply(&mut b)?;
        Ok((b.build()?, root))
    }
}
