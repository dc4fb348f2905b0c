//! Probe actions chosen by access level, for the audits' `--actions LEVEL` (`iamsim mfa`,
//! `iamsim account`): every action of the levels asked for, in the services the policies
//! name (all of them would be thousands of requests), each with a sample resource.
//!
//! ```
//! use iamsim::catalog::probes::{actions_at_levels, sample_resource};
//! use iamsim::catalog::AccessLevel;
//!
//! let pm = actions_at_levels(&["kms"], &[AccessLevel::PermissionsManagement]);
//! let names: Vec<String> = pm.iter().map(|a| a.full_name()).collect();
//! assert!(names.contains(&"kms:PutKeyPolicy".to_string()));
//! let put = pm.iter().find(|a| a.action.name == "PutKeyPolicy").unwrap();
//! assert_eq!(sample_resource(put, "aws", "111122223333"), "arn:aws:kms:us-east-1:111122223333:key/example");
//! ```

use super::{catalog, AccessLevel, ActionRef};
use crate::policy::Policy;

/// The service prefixes the policies name, as the catalog spells them, in catalog order: the
/// literal prefixes of `Action`/`NotAction` patterns and the service parts of `Resource` ARNs
/// (wildcard prefixes such as `*` or `s3*` name none).
pub fn services_named<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Vec<&'static str> {
    let cat = catalog();
    let mut out: Vec<&'static str> = Vec::new();
    let mut add = |prefix: &str| {
        if prefix.contains(['*', '?']) {
            return;
        }
        if let Some(s) = cat.service(prefix) {
            if !out.contains(&s.prefix) {
                out.push(s.prefix);
            }
        }
    };
    for st in policies.into_iter().flat_map(|p| &p.statements) {
        for a in &st.action.patterns {
            if let Some((svc, _)) = a.split_once(':') {
                add(svc);
            }
        }
        for r in st.resource.iter().flat_map(|r| &r.patterns) {
            if let Some(svc) = super::arn::arn_parts(r).get(2) {
                add(svc);
            }
        }
    }
    out.sort_unstable();
    out
}

/// Every action of `services` at one of `levels`, by service then name.
pub fn actions_at_levels(services: &[&str], levels: &[AccessLevel]) -> Vec<ActionRef<'static>> {
    let cat = catalog();
    let mut out = Vec::new();
    for prefix in services {
        let Some(service) = cat.service(prefix) else {
            continue;
        };
        for action in service.actions() {
            if levels.contains(&action.level) {
                out.push(ActionRef { service, action });
            }
        }
    }
    out
}

/// A resource the action can be authorized against: the ARN format of its simplest resource
/// type (fewest placeholders: `s3:PutObject` takes an object before an access point's object)
/// with `${Partition}`, `${Region}` (us-east-1) and `${Account}` filled in and every other part
/// `example`; `*` for an action documented without resource types.
pub fn sample_resource(a: &ActionRef<'_>, partition: &str, account: &str) -> String {
    let Some(rt) = a
        .resource_types()
        .min_by_key(|rt| rt.arn.matches("${").count())
    else {
        return "*".to_string();
    };
    let mut out = String::with_capacity(rt.arn.len());
    let mut rest = rt.arn;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            rest = &rest[i..];
            break;
        };
        out.push_str(match &rest[i + 2..i + j] {
            "Partition" => partition,
            "Region" => "us-east-1",
            "Account" => account,
            _ => "example",
        });
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{parse_policy_text, ParseOptions, PolicyKind};

    #[test]
    fn services_come_from_actions_and_resources_not_wildcards() {
        let text = r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":["S3:GetObject","*:Describe*","s3*:x"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/k"},
          {"Effect":"Deny","NotAction":"iam:*","Resource":"*"},
          {"Effect":"Allow","Action":"nosuchservice:Get","Resource":"*"}]}"#;
        let (p, _) = parse_policy_text(
            text,
            "p",
            "p",
            PolicyKind::Identity,
            ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(services_named([&p]), ["iam", "kms", "s3"]);
    }

    #[test]
    fn levels_select_actions_and_resources_are_filled_in() {
        let w = actions_at_levels(&["s3"], &[AccessLevel::Write]);
        assert!(w
            .iter()
            .all(|a| a.level() == AccessLevel::Write && a.service.prefix == "s3"));
        let put = w.iter().find(|a| a.action.name == "PutObject").unwrap();
        assert_eq!(
            sample_resource(put, "aws-cn", "1"),
            "arn:aws-cn:s3:::example/example"
        );
        let list = actions_at_levels(&["s3"], &[AccessLevel::List]);
        let all = list
            .iter()
            .find(|a| a.action.name == "ListAllMyBuckets")
            .unwrap();
        assert_eq!(sample_resource(all, "aws", "1"), "*");
        assert!(actions_at_levels(&["s3"], &[]).is_empty());
    }
}
