//! `iamsim replay`: recorded CloudTrail traffic through the current policies and a proposed
//! change — what would the change break, what would it newly allow, does the model agree with
//! what AWS decided, and who calls without MFA.
//!
//! * [`source`] reads CloudTrail as users have it: log files as delivered (`{"Records": [...]}`,
//!   gzipped or not), JSON Lines (CloudTrail Lake, Athena, `jq -c '.Records[]'`), directories
//!   of them, standard input;
//! * [`event`] maps one event onto a request (action, resource, caller, preset, context keys,
//!   observed outcome), every rule documented in `docs/replay.md`;
//! * this module evaluates each request under the baseline and the proposed policy sets (each
//!   compiled once) and aggregates the summary.

pub mod event;
pub mod run;
pub mod services;
pub mod source;

use crate::compile::PolicySet;
use std::collections::BTreeMap;

/// A group of events with the same principal and action.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Group {
    /// Events in the group.
    pub count: u64,
    /// One `eventID` to look up.
    pub sample_event: String,
    /// The statement that decides (the proposed deny, or the baseline's).
    pub statement: String,
}

/// The summary of a replay.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Records read.
    pub events: u64,
    /// API calls mapped exactly.
    pub exact: u64,
    /// API calls mapped with resource `*`.
    pub approximate: u64,
    /// API calls that could not be mapped, by reason.
    pub unmapped: BTreeMap<String, u64>,
    /// Other event types, by type.
    pub skipped: BTreeMap<String, u64>,
    /// Records that are not valid JSON objects.
    pub errors: u64,
    /// Allowed today, denied with the change: "principal action" → group.
    pub breakage: BTreeMap<String, Group>,
    /// Denied today, allowed with the change.
    pub new_access: BTreeMap<String, Group>,
    /// Observed allowed, simulated denied.
    pub model_denies_observed_allowed: BTreeMap<String, Group>,
    /// Observed denied, simulated allowed.
    pub model_allows_observed_denied: BTreeMap<String, Group>,
    /// Calls made without MFA: "principal (context)" → count.
    pub without_mfa: BTreeMap<String, u64>,
    /// Of those, the ones the proposed change would stop.
    pub without_mfa_stopped: BTreeMap<String, u64>,
    /// Console sign-ins without MFA, by user.
    pub console_sign_ins_without_mfa: BTreeMap<String, u64>,
}

/// Counts one event in a group, keeping the first sample event and deciding statement.
pub(crate) fn bump(
    map: &mut BTreeMap<String, Group>,
    key: &str,
    event: &str,
    statement: Option<&str>,
) {
    let g = match map.get_mut(key) {
        Some(g) => g,
        None => map.entry(key.to_string()).or_default(),
    };
    g.count += 1;
    if g.sample_event.is_empty() {
        g.sample_event = event.to_string();
    }
    if g.statement.is_empty() {
        if let Some(s) = statement {
            g.statement = s.to_string();
        }
    }
}

impl Summary {
    /// Adds another part's counts (the part that read later records goes second, so sample
    /// events stay the first seen).
    pub fn merge(&mut self, o: Summary) {
        fn groups(a: &mut BTreeMap<String, Group>, b: BTreeMap<String, Group>) {
            for (k, g) in b {
                let e = a.entry(k).or_default();
                e.count += g.count;
                if e.sample_event.is_empty() {
                    e.sample_event = g.sample_event;
                }
                if e.statement.is_empty() {
                    e.statement = g.statement;
                }
            }
        }
        fn counts(a: &mut BTreeMap<String, u64>, b: BTreeMap<String, u64>) {
            for (k, n) in b {
                *a.entry(k).or_default() += n;
            }
        }
        self.events += o.events;
        self.exact += o.exact;
        self.approximate += o.approximate;
        self.errors += o.errors;
        counts(&mut self.unmapped, o.unmapped);
        counts(&mut self.skipped, o.skipped);
        groups(&mut self.breakage, o.breakage);
        groups(&mut self.new_access, o.new_access);
        groups(
            &mut self.model_denies_observed_allowed,
            o.model_denies_observed_allowed,
        );
        groups(
            &mut self.model_allows_observed_denied,
            o.model_allows_observed_denied,
        );
        counts(&mut self.without_mfa, o.without_mfa);
        counts(&mut self.without_mfa_stopped, o.without_mfa_stopped);
        counts(
            &mut self.console_sign_ins_without_mfa,
            o.console_sign_ins_without_mfa,
        );
    }

    /// Calls allowed today that the change denies.
    pub fn broken(&self) -> u64 {
        self.breakage.values().map(|g| g.count).sum()
    }

    /// The text report.
    pub fn to_text(&self, with_change: bool) -> String {
        use crate::io::term;
        let mut s = format!(
            "{} events: {} API calls mapped exactly, {} approximately (resource *), {} unmapped, {} other events, {} unreadable\n",
            self.events,
            self.exact,
            self.approximate,
            self.unmapped.values().sum::<u64>(),
            self.skipped.values().sum::<u64>(),
            self.errors
        );
        for (why, n) in &self.unmapped {
            s.push_str(&format!("  unmapped: {n} × {}\n", term(why)));
        }
        let groups = |s: &mut String, title: &str, map: &BTreeMap<String, Group>| {
            let total: u64 = map.values().map(|g| g.count).sum();
            s.push_str(&format!("\n{title}: {total}\n"));
            for (k, g) in map {
                s.push_str(&format!(
                    "  {:>6} × {}  (e.g. event {}){}\n",
                    g.count,
                    term(k),
                    term(&g.sample_event),
                    if g.statement.is_empty() {
                        String::new()
                    } else {
                        format!(" by {}", term(&g.statement))
                    }
                ));
            }
        };
        if with_change {
            groups(
                &mut s,
                "Breakage (allowed today, denied with the change)",
                &self.breakage,
            );
            groups(
                &mut s,
                "New access (denied today, allowed with the change)",
                &self.new_access,
            );
        }
        groups(
            &mut s,
            "Model check: observed allowed, simulated denied",
            &self.model_denies_observed_allowed,
        );
        groups(
            &mut s,
            "Model check: observed denied, simulated allowed",
            &self.model_allows_observed_denied,
        );
        s.push_str(&format!(
            "\nMFA view: calls without MFA: {}\n",
            self.without_mfa.values().sum::<u64>()
        ));
        for (who, n) in &self.without_mfa {
            let stopped = self.without_mfa_stopped.get(who).copied().unwrap_or(0);
            s.push_str(&format!("  {n:>6} × {}", term(who)));
            if with_change {
                s.push_str(&format!(", {stopped} stopped by the change"));
            }
            s.push('\n');
        }
        if !self.console_sign_ins_without_mfa.is_empty() {
            s.push_str("  console sign-ins without MFA:\n");
            for (who, n) in &self.console_sign_ins_without_mfa {
                s.push_str(&format!("  {n:>6} × {}\n", term(who)));
            }
        }
        if with_change {
            s.push_str(&format!(
                "\nresult: the change {}\n",
                if self.broken() == 0 {
                    "breaks nothing in this traffic".to_string()
                } else {
                    format!("would deny {} call(s) allowed today", self.broken())
                }
            ));
        }
        s
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE` for a role session's ARN; any other ARN as it is.
fn role_of_session(arn: &str) -> &str {
    const AR: &str = ":assumed-role/";
    match arn.find(AR) {
        Some(i) => match arn[i + AR.len()..].find('/') {
            Some(j) => &arn[..i + AR.len() + j],
            None => arn,
        },
        None => arn,
    }
}

/// Per-principal policy sets from an account export: a user's own, groups' and managed
/// policies and boundary; a role's policies for its sessions; the SCP levels beside them. Each
/// principal's set is compiled once and cached.
pub struct ExportPolicies {
    /// The export (with `--without` / `--replace` applied for a proposed change).
    pub export: crate::account::export::AccountExport,
    /// SCP levels.
    pub scps: Vec<Vec<crate::policy::Policy>>,
    /// RCP levels.
    pub rcps: Vec<Vec<crate::policy::Policy>>,
    /// Identity policies added for callers whose ARN matches (the proposed change).
    pub added: Vec<(crate::values::Wildcard, crate::policy::Policy)>,
    /// Settings.
    pub settings: crate::settings::Settings,
    /// The account is the management account.
    pub management_account: bool,
    cache:
        std::sync::Mutex<rustc_hash::FxHashMap<String, Result<std::sync::Arc<PolicySet>, String>>>,
}

impl ExportPolicies {
    /// Policy sets for the principals of `export`.
    pub fn new(
        export: crate::account::export::AccountExport,
        scps: Vec<Vec<crate::policy::Policy>>,
        settings: crate::settings::Settings,
        management_account: bool,
    ) -> ExportPolicies {
        ExportPolicies {
            export,
            scps,
            rcps: Vec::new(),
            added: Vec::new(),
            settings,
            management_account,
            cache: Default::default(),
        }
    }

    /// The set for the caller `arn` (an IAM user, a role session, the root user), compiled on
    /// first use and shared by every thread after that.
    pub fn set_for(&self, arn: &str) -> Result<std::sync::Arc<PolicySet>, String> {
        // The sessions of a role share its policies: one set per role (unless an added
        // identity policy's pattern could tell its sessions apart), so the cache grows with the
        // principals, not with the session names.
        let arn = if self.added.is_empty() {
            role_of_session(arn)
        } else {
            arn
        };
        if let Some(r) = self
            .cache
            .lock()
            .map_err(|_| "poisoned cache".to_string())?
            .get(arn)
        {
            return r.clone();
        }
        let built = self.build(arn).map(std::sync::Arc::new);
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| "poisoned cache".to_string())?;
        cache.entry(arn.to_string()).or_insert(built).clone()
    }

    fn build(&self, arn: &str) -> Result<PolicySet, String> {
        let mut notes = Vec::new();
        let ex = &self.export;
        let (mut identity, boundary) = if arn.ends_with(":root") {
            (Vec::new(), None)
        } else if let Some(u) = ex.users.iter().find(|u| u.arn == arn) {
            let b = u
                .boundary
                .as_ref()
                .and_then(|b| ex.managed_policy(b, "user", &mut notes));
            (ex.user_policies(u, &mut notes), b)
        } else if let Some(i) = arn.find(":assumed-role/") {
            let role = arn[i + ":assumed-role/".len()..]
                .split('/')
                .next()
                .unwrap_or("");
            let r = ex
                .roles
                .iter()
                .find(|r| r.name == role)
                .ok_or_else(|| format!("role {role} is not in the account export"))?;
            let b = r
                .boundary
                .as_ref()
                .and_then(|b| ex.managed_policy(b, "role", &mut notes));
            (ex.role_policies(r, &mut notes), b)
        } else {
            return Err("the caller is not a user or role of the account export".to_string());
        };
        for (w, p) in &self.added {
            if w.matches(arn) {
                identity.push(p.clone());
            }
        }
        let sc = crate::compile::Scenario {
            identity,
            boundary,
            scps: self.scps.clone(),
            rcps: self.rcps.clone(),
            management_account: self.management_account,
            settings: self.settings.clone(),
            ..Default::default()
        };
        PolicySet::compile(&sc).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::role_of_session;

    #[test]
    fn sessions_share_their_role_and_other_callers_stay_themselves() {
        assert_eq!(
            role_of_session("arn:aws:sts::111122223333:assumed-role/ci-deploy/build-812"),
            "arn:aws:sts::111122223333:assumed-role/ci-deploy"
        );
        assert_eq!(
            role_of_session("arn:aws:sts::111122223333:assumed-role/ci-deploy"),
            "arn:aws:sts::111122223333:assumed-role/ci-deploy"
        );
        assert_eq!(
            role_of_session("arn:aws:iam::111122223333:user/alice"),
            "arn:aws:iam::111122223333:user/alice"
        );
    }
}
