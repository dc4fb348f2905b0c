//! Settings for behaviours AWS documents ambiguously (semantics §9, §10), with the defaults given
//! there. Every evaluation that a setting influenced names it in its explanation.

use std::fmt;

/// All engine settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// SCPs in the pre-September-2025 restricted language (`scp_language = legacy`).
    pub scp_language_legacy: bool,
    /// Whether RCPs are evaluated at all.
    pub rcp_enabled: bool,
    /// Service prefixes whose resources RCPs govern.
    pub rcp_supported_services: Vec<String>,
    /// A same-account grant to a role-session ARN is limited by the session policy (3P behaviour).
    pub session_policy_limits_session_arn_grants: bool,
    /// A role session created with MFA passed as AssumeRole parameters carries MFA.
    pub role_session_mfa_from_assume_role_params: bool,
    /// A role session created from an MFA-authenticated session carries MFA.
    pub role_session_inherits_caller_session_mfa: bool,
    /// A negated operator whose policy value holds an unresolved variable matches (AWS docs).
    pub negated_op_matches_unresolved_variable: bool,
    /// A multivalued request key under an operator without `ForAllValues:`/`ForAnyValue:`
    /// never matches (`no_match`, default); `any` treats it like `ForAnyValue:`.
    pub multivalued_key_without_set_operator_matches_any: bool,
    /// `NotPrincipal` exceptions must list the caller's parent ARNs too.
    pub notprincipal_requires_parent_arns: bool,
    /// Only `"*"` covers a request for an action without resource-level permissions.
    pub wildcard_only_actions_require_star: bool,
    /// Report a missing SCP allow with AWS's "explicit deny" wording.
    pub scp_missing_allow_aws_message: bool,
    /// Reject documents that only have warnings.
    pub strict_validation: bool,
    /// With no trust policy (for `sts:AssumeRole` on a role) or key policy (for `kms:` on a key)
    /// in the scenario, assume one that delegates to the account, so identity policies decide.
    /// Default `false` (`deny`): no such policy means nothing allows the caller (semantics §1.9).
    pub missing_trust_or_key_policy_delegates: bool,
    /// Input limits (`max_policy_bytes`, `max_json_depth`, `max_statements`, `max_values`,
    /// `max_pattern_length`).
    pub limits: crate::policy::InputLimits,
}

/// The RCP-enforced services at the time of writing (data, not code: override with the
/// `rcp_supported_services` setting).
pub const DEFAULT_RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "ecr",
    "aoss",
    "cognito-idp",
    "logs",
    "dynamodb",
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scp_language_legacy: false,
            rcp_enabled: true,
            rcp_supported_services: DEFAULT_RCP_SERVICES.iter().map(|s| s.to_string()).collect(),
            session_policy_limits_session_arn_grants: false,
            role_session_mfa_from_assume_role_params: false,
            role_session_inherits_caller_session_mfa: true,
            negated_op_matches_unresolved_variable: true,
            multivalued_key_without_set_operator_matches_any: false,
            notprincipal_requires_parent_arns: true,
            wildcard_only_actions_require_star: false,
            scp_missing_allow_aws_message: false,
            strict_validation: false,
            missing_trust_or_key_policy_delegates: false,
            limits: Default::default(),
        }
    }
}

/// The names accepted by [`Settings::set`].
pub const SETTING_NAMES: &[&str] = &[
    "scp_language",
    "rcp_enabled",
    "rcp_supported_services",
    "session_policy_limits_session_arn_grants",
    "role_session_mfa_from_assume_role_params",
    "role_session_inherits_caller_session_mfa",
    "negated_op_matches_unresolved_variable",
    "multivalued_key_without_set_operator",
    "notprincipal_requires_parent_arns",
    "wildcard_only_actions_require_star",
    "scp_missing_allow_label",
    "strict_validation",
    "missing_trust_or_key_policy",
    "max_policy_bytes",
    "max_json_depth",
    "max_statements",
    "max_values",
    "max_pattern_length",
];

/// A setting name or value that was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError(pub String);

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn parse_bool(name: &str, v: &str) -> Result<bool, SettingError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(SettingError(format!(
            "setting {name} takes true or false, not \"{v}\""
        ))),
    }
}

fn parse_count(name: &str, v: &str, max: usize) -> Result<usize, SettingError> {
    let n = v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
        SettingError(format!(
            "setting {name} takes a positive whole number, not \"{v}\""
        ))
    })?;
    if n > max {
        return Err(SettingError(format!(
            "setting {name} is at most {max} (what the reader can honour), not {n}"
        )));
    }
    Ok(n)
}

/// The largest value each limit setting accepts: what the reader can honour without running out
/// of stack or memory (documented in docs/robustness.md).
pub const LIMIT_CAPS: &[(&str, usize)] = &[
    // Positions and sizes fit comfortably; documents are held in memory.
    ("max_policy_bytes", 1 << 30),
    // The reader and the validators recurse per level (see `json::MAX_DEPTH`).
    ("max_json_depth", crate::json::MAX_DEPTH),
    ("max_statements", 1_000_000),
    ("max_values", 1_000_000),
    // A segment with `?` keeps 16 bytes of matcher masks per character.
    ("max_pattern_length", 100_000),
];

fn cap(name: &str) -> usize {
    LIMIT_CAPS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(usize::MAX, |(_, c)| *c)
}

impl Settings {
    /// The options for reading policies under these settings.
    pub fn parse_options(&self) -> crate::policy::ParseOptions {
        crate::policy::ParseOptions {
            scp_legacy: self.scp_language_legacy,
            strict: self.strict_validation,
            limits: self.limits,
        }
    }

    /// Sets one setting from its textual value (as on the command line: `name=value`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SettingError> {
        match name {
            "scp_language" => {
                self.scp_language_legacy = match value {
                    "legacy" => true,
                    "full" => false,
                    _ => {
                        return Err(SettingError(format!(
                            "scp_language is legacy or full, not \"{value}\""
                        )))
                    }
                }
            }
            "rcp_enabled" => self.rcp_enabled = parse_bool(name, value)?,
            "rcp_supported_services" => {
                self.rcp_supported_services = value
                    .split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            "session_policy_limits_session_arn_grants" => {
                self.session_policy_limits_session_arn_grants = parse_bool(name, value)?
            }
            "role_session_mfa_from_assume_role_params" => {
                self.role_session_mfa_from_assume_role_params = parse_bool(name, value)?
            }
            "role_session_inherits_caller_session_mfa" => {
                self.role_session_inherits_caller_session_mfa = parse_bool(name, value)?
            }
            "negated_op_matches_unresolved_variable" => {
                self.negated_op_matches_unresolved_variable = parse_bool(name, value)?
            }
            "multivalued_key_without_set_operator" => {
                self.multivalued_key_without_set_operator_matches_any = match value {
                    "no_match" => false,
                    "any" => true,
                    _ => {
                        return Err(SettingError(format!(
                        "multivalued_key_without_set_operator is no_match or any, not \"{value}\""
                    )))
                    }
                }
            }
            "notprincipal_requires_parent_arns" => {
                self.notprincipal_requires_parent_arns = parse_bool(name, value)?
            }
            "wildcard_only_actions_require_star" => {
                self.wildcard_only_actions_require_star = parse_bool(name, value)?
            }
            "scp_missing_allow_label" => {
                self.scp_missing_allow_aws_message = match value {
                    "implicit" => false,
                    "aws_message" => true,
                    _ => {
                        return Err(SettingError(format!(
                            "scp_missing_allow_label is implicit or aws_message, not \"{value}\""
                        )))
                    }
                }
            }
            "strict_validation" => self.strict_validation = parse_bool(name, value)?,
            "missing_trust_or_key_policy" => {
                self.missing_trust_or_key_policy_delegates = match value {
                    "deny" => false,
                    "delegate" => true,
                    _ => {
                        return Err(SettingError(format!(
                            "missing_trust_or_key_policy is deny or delegate, not \"{value}\""
                        )))
                    }
                }
            }
            "max_policy_bytes" => self.limits.max_bytes = parse_count(name, value, cap(name))?,
            "max_json_depth" => self.limits.max_depth = parse_count(name, value, cap(name))?,
            "max_statements" => self.limits.max_statements = parse_count(name, value, cap(name))?,
            "max_values" => self.limits.max_values = parse_count(name, value, cap(name))?,
            "max_pattern_length" => {
                self.limits.max_pattern_len = parse_count(name, value, cap(name))?
            }
            _ => {
                let hint = crate::diag::did_you_mean(name, SETTING_NAMES.iter().copied())
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                return Err(SettingError(format!("unknown setting \"{name}\"{hint}")));
            }
        }
        Ok(())
    }

    /// Parses `name=value`.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), SettingError> {
        let (n, v) = pair
            .split_once('=')
            .ok_or_else(|| SettingError(format!("expected name=value, got \"{pair}\"")))?;
        self.set(n.trim(), v.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_semantics_section_10() {
        let s = Settings::default();
        assert!(
            !s.scp_language_legacy && s.rcp_enabled && !s.session_policy_limits_session_arn_grants
        );
        assert!(
            !s.role_session_mfa_from_assume_role_params
                && s.role_session_inherits_caller_session_mfa
        );
        assert!(s.negated_op_matches_unresolved_variable && s.notprincipal_requires_parent_arns);
        assert!(!s.wildcard_only_actions_require_star && !s.strict_validation);
    }

    #[test]
    fn unknown_settings_and_values_are_errors() {
        let mut s = Settings::default();
        assert!(s.set("scp_language", "legacy").is_ok() && s.scp_language_legacy);
        assert!(s
            .set("scp_languag", "legacy")
            .unwrap_err()
            .0
            .contains("did you mean scp_language"));
        assert!(s.set("rcp_enabled", "maybe").is_err());
    }

    #[test]
    fn limit_settings_are_capped_at_what_the_reader_can_honour() {
        let mut s = Settings::default();
        for (name, max) in LIMIT_CAPS {
            assert!(SETTING_NAMES.contains(name), "{name}");
            assert!(s.set(name, &max.to_string()).is_ok(), "{name} at its cap");
            let e = s.set(name, &(max + 1).to_string()).unwrap_err();
            assert!(e.0.contains(&format!("at most {max}")), "{e}");
        }
        let e = s.set("max_json_depth", "100000").unwrap_err();
        assert!(e.0.contains("max_json_depth is at most 256"), "{e}");
    }

    #[test]
    fn a_deep_policy_at_the_depth_cap_is_an_error_not_a_crash() {
        // On a test thread (2 MiB stack), the deepest setting allowed still cannot overflow it.
        let mut s = Settings::default();
        let max = LIMIT_CAPS
            .iter()
            .find(|(n, _)| *n == "max_json_depth")
            .unwrap()
            .1;
        s.set("max_json_depth", &max.to_string()).unwrap();
        let text = format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":{}{}}}",
            "[".repeat(20_000),
            "]".repeat(20_000)
        );
        let e = crate::policy::parse_policy_text(
            &text,
            "deep.json",
            "deep",
            crate::policy::PolicyKind::Identity,
            s.parse_options(),
        )
        .unwrap_err();
        let shown = format!("{e:?}");
        assert!(
            shown.contains("nesting deeper than the limit of 256"),
            "{shown}"
        );
    }
}
