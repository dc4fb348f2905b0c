//! ARNs against the catalog: whether a policy's resource pattern can name a resource of a
//! given type, and the shape of an ARN (partition, region, account, resource part).

use crate::diag::Code;

/// One token of a pattern, lower-cased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    /// Exactly one character.
    One,
    /// Any run of characters, possibly empty.
    Star,
}

/// Above this many product states the fit is assumed (a 10,000-character pattern is allowed).
const MAX_STATES: usize = 1 << 22;

/// A policy's `Resource` pattern: `*`, `?`, and every `${...}` policy variable (whose value is
/// unknown) as `*`.
fn policy_tokens(pattern: &str) -> Vec<Tok> {
    tokens(pattern, |out| out.push(Tok::Star))
}

/// A resource type's ARN format: each `${Name}` is one or more characters; `*` in a format
/// (a few have one) is any run.
fn template_tokens(arn: &str) -> Vec<Tok> {
    tokens(arn, |out| {
        out.push(Tok::One);
        out.push(Tok::Star);
    })
}

fn tokens(text: &str, placeholder: impl Fn(&mut Vec<Tok>)) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => match text[i..].find('}') {
                Some(j) => {
                    placeholder(&mut out);
                    i += j + 1;
                    continue;
                }
                None => out.push(Tok::Lit(b'$')),
            },
            b'*' => {
                if out.last() != Some(&Tok::Star) {
                    out.push(Tok::Star)
                }
            }
            b'?' => out.push(Tok::One),
            c => out.push(Tok::Lit(c.to_ascii_lowercase())),
        }
        i += 1;
    }
    out
}

/// Whether some ARN matches both the policy's resource `pattern` and the resource type's ARN
/// `format` (case-insensitively, `${Partition}` and the like standing for any text). False
/// only when no resource of that type can ever match: the basis of `resource-mismatch`, so
/// every doubt answers true.
pub fn fits(pattern: &str, format: &str) -> bool {
    let a = policy_tokens(pattern);
    let b = template_tokens(format);
    let (n, m) = (a.len(), b.len());
    if (n + 1).saturating_mul(m + 1) > MAX_STATES {
        return true;
    }
    // Reachability over pairs of positions (the product of the two patterns' automata).
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some((i, j)) = stack.pop() {
        if i == n && j == m {
            return true;
        }
        let ta = a.get(i).copied();
        let tb = b.get(j).copied();
        let mut next = |i2: usize, j2: usize, stack: &mut Vec<(usize, usize)>| {
            if !seen[idx(i2, j2)] {
                seen[idx(i2, j2)] = true;
                stack.push((i2, j2));
            }
        };
        // A star may match nothing.
        if ta == Some(Tok::Star) {
            next(i + 1, j, &mut stack);
        }
        if tb == Some(Tok::Star) {
            next(i, j + 1, &mut stack);
        }
        // Or both consume one character.
        match (ta, tb) {
            (Some(Tok::Star), Some(Tok::Lit(_) | Tok::One)) => next(i, j + 1, &mut stack),
            (Some(Tok::Lit(_) | Tok::One), Some(Tok::Star)) => next(i + 1, j, &mut stack),
            (Some(Tok::Lit(x)), Some(Tok::Lit(y))) if x != y => {}
            (Some(Tok::Lit(_) | Tok::One), Some(Tok::Lit(_) | Tok::One)) => {
                next(i + 1, j + 1, &mut stack)
            }
            _ => {}
        }
    }
    false
}

/// Whether a resource pattern can match the literal resource `*`, as a request for an action
/// without resource-level permissions carries: only stars and at most one `?` or literal `*`.
pub fn matches_star(pattern: &str) -> bool {
    let toks = policy_tokens(pattern);
    toks.iter().filter(|t| **t != Tok::Star).count() <= 1
        && toks
            .iter()
            .all(|t| matches!(t, Tok::Star | Tok::One | Tok::Lit(b'*')))
}

/// Splits an ARN into at most six parts at colons outside `${...}` (a policy variable such
/// as `${aws:PrincipalAccount}` holds a colon).
pub fn arn_parts(arn: &str) -> Vec<&str> {
    let mut parts = Vec::with_capacity(6);
    let b = arn.as_bytes();
    let (mut start, mut depth, mut i) = (0, 0usize, 0);
    while i < b.len() && parts.len() < 5 {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                parts.push(&arn[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&arn[start..]);
    parts
}

/// Whether the resource ARN `arn` (as a request names it) is a resource of the ARN `format`
/// of a resource type: part by part (partition, service, region, account, resource), each
/// `${Name}` standing for any text within its part (case-insensitive), except that a resource
/// part that is one placeholder (`${BucketName}`, `${QueueName}`) holds no `/`: a bucket's
/// object is not a bucket.
pub fn is_of_format(arn: &str, format: &str) -> bool {
    let (a, f) = (arn_parts(arn), arn_parts(format));
    if a.len() != 6 || f.len() != 6 {
        return false;
    }
    let whole = f[5].starts_with("${") && f[5].find('}') == Some(f[5].len() - 1);
    if whole && a[5].contains('/') {
        return false;
    }
    a.iter().zip(&f).all(|(a, f)| {
        let mut pattern = String::with_capacity(f.len());
        let mut rest = *f;
        while let Some(i) = rest.find("${") {
            pattern.push_str(&rest[..i]);
            pattern.push('*');
            rest = rest[i..].find('}').map_or("", |j| &rest[i + j + 1..]);
        }
        pattern.push_str(rest);
        crate::values::wildcard::Wildcard::new(&pattern.to_ascii_lowercase())
            .matches(&a.to_ascii_lowercase())
    })
}

/// The ARN format of the resource type of `action` that `arn` is a resource of (the most
/// specific, by literal characters, when several fit): what SimulateCustomPolicy reports as
/// `EvalResourceName`, e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. `None` for
/// `*`, an unknown action, an action without resource types, or an ARN none fits.
pub fn resource_format_of(action: &str, arn: &str) -> Option<&'static str> {
    if arn == "*" {
        return None;
    }
    let a = super::catalog().action(action)?;
    let literal = |f: &str| {
        let placeholders: usize = f
            .match_indices("${")
            .map(|(i, _)| f[i..].find('}').map_or(0, |j| j + 1))
            .sum();
        f.len() - placeholders.min(f.len())
    };
    let mut best: Option<&'static str> = None;
    for rt in a.resource_types() {
        if is_of_format(arn, rt.arn) && best.is_none_or(|b| literal(rt.arn) > literal(b)) {
            best = Some(rt.arn);
        }
    }
    best
}

/// The partitions AWS has.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// A problem with an ARN's shape: a stable code and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeProblem {
    /// `arn-missing-resource`, `arn-unknown-partition`, `arn-invalid-region` or
    /// `arn-invalid-account`.
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

fn is_open(s: &str) -> bool {
    s.contains(['*', '?']) || s.contains("${")
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eu-isoe-west-1`: two letters, dash-separated
/// words, a number.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The shape problems of a resource ARN pattern (`arn:partition:service:region:account:resource`).
/// Wildcards and policy variables in a part are never a problem. `account_literals` are the
/// literal account parts the service's own ARN formats use (`aws`, for AWS-owned resources
/// such as managed policies, is always accepted).
pub fn shape_problems(pattern: &str, account_literals: &[&str]) -> Vec<ShapeProblem> {
    let mut out = Vec::new();
    if !pattern.starts_with("arn:") {
        return out;
    }
    let parts = arn_parts(pattern);
    if parts.len() < 6 {
        if !is_open(pattern) {
            out.push(ShapeProblem {
                code: Code::ArnMissingResource,
                message: format!(
                    "\"{pattern}\" has {} of the 6 ARN parts (arn:partition:service:region:account:resource): it matches no resource",
                    parts.len()
                ),
                help: "write all six parts, leaving region or account empty where the service does (arn:aws:s3:::bucket)".into(),
            });
        }
        return out;
    }
    let (partition, region, account) = (parts[1], parts[3], parts[4]);
    if !is_open(partition) && !PARTITIONS.contains(&partition) {
        let hint = crate::diag::did_you_mean(partition, PARTITIONS.iter().copied())
            .map(|s| format!("did you mean \"{s}\"? "))
            .unwrap_or_default();
        out.push(ShapeProblem {
            code: Code::ArnUnknownPartition,
            message: format!(
                "\"{partition}\" is not an AWS partition: \"{pattern}\" matches no resource"
            ),
            help: format!("{hint}partitions are {}", PARTITIONS.join(", ")),
        });
    }
    if !region.is_empty() && !is_open(region) && !is_region(region) {
        out.push(ShapeProblem {
            code: Code::ArnInvalidRegion,
            message: format!("\"{region}\" is not a region (such as us-east-1): \"{pattern}\" matches no resource"),
            help: "write a region such as us-east-1, \"*\", or leave it empty for global services".into(),
        });
    }
    if !account.is_empty()
        && !is_open(account)
        && !crate::values::is_account_id(account)
        && !account.eq_ignore_ascii_case("aws")
        && !account_literals
            .iter()
            .any(|l| l.eq_ignore_ascii_case(account))
    {
        out.push(ShapeProblem {
            code: Code::ArnInvalidAccount,
            message: format!(
                "\"{account}\" is not a 12-digit account ID: \"{pattern}\" matches no resource"
            ),
            help: "write the 12-digit account ID, \"*\", or ${aws:PrincipalAccount}".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_arns_find_their_resource_type() {
        assert_eq!(
            resource_format_of("s3:GetObject", "arn:aws:s3:::reports/2024/q1.csv"),
            Some("arn:${Partition}:s3:::${BucketName}/${ObjectName}")
        );
        assert_eq!(
            resource_format_of("S3:getobject", "arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/k"),
            Some("arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}")
        );
        assert_eq!(
            resource_format_of("s3:ListBucket", "arn:aws:s3:::reports"),
            Some("arn:${Partition}:s3:::${BucketName}")
        );
        // A bucket is not an object; `*`, unknown actions and actions without types: none.
        assert_eq!(
            resource_format_of("s3:GetObject", "arn:aws:s3:::reports"),
            None
        );
        assert_eq!(
            resource_format_of("s3:ListBucket", "arn:aws:s3:::reports/k"),
            None
        );
        assert_eq!(
            resource_format_of("logs:GetLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:log-stream:s"),
            Some("arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}")
        );
        assert_eq!(resource_format_of("s3:GetObject", "*"), None);
        assert_eq!(
            resource_format_of("s3:GetObjects", "arn:aws:s3:::b/k"),
            None
        );
        assert_eq!(
            resource_format_of("s3:ListAllMyBuckets", "arn:aws:s3:::b"),
            None
        );
        assert!(!is_of_format(
            "arn:aws:s3",
            "arn:${Partition}:s3:::${BucketName}"
        ));
    }

    const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";

    #[test]
    fn a_bucket_arn_is_not_an_object() {
        assert!(!fits("arn:aws:s3:::bucket", OBJECT));
        assert!(fits("arn:aws:s3:::bucket", BUCKET));
        assert!(fits("arn:aws:s3:::bucket/*", OBJECT));
        assert!(fits("arn:aws:s3:::bucket/key.txt", OBJECT));
        assert!(
            !fits("arn:aws:s3:::bucket/", OBJECT),
            "an object key is not empty"
        );
        assert!(!fits("arn:aws:iam::111122223333:role/x", OBJECT));
    }

    #[test]
    fn wildcards_and_variables_never_mismatch_when_they_could_fit() {
        assert!(fits("*", OBJECT));
        assert!(fits("arn:aws:s3:::*", OBJECT));
        assert!(fits("arn:aws:s3:::my-bucket*", OBJECT));
        assert!(fits("arn:*:s3:::b?cket/k", OBJECT));
        assert!(fits("arn:aws:s3:::${aws:username}", OBJECT));
        assert!(fits("ARN:AWS:S3:::Bucket/Key", OBJECT), "case-insensitive");
        assert!(fits(
            "arn:aws:iam::*:user/${aws:username}",
            "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
        ));
        assert!(!fits(
            "arn:aws:iam::111122223333:role/x",
            "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
        ));
    }

    #[test]
    fn only_star_like_patterns_match_a_star_resource() {
        assert!(matches_star("*"));
        assert!(matches_star("**"));
        assert!(matches_star("?"));
        assert!(!matches_star("arn:aws:s3:::*"));
        assert!(!matches_star("ab"));
        assert_eq!(
            arn_parts("arn:${aws:Partition}:ec2:*:${aws:PrincipalAccount}:vpc/a:b"),
            [
                "arn",
                "${aws:Partition}",
                "ec2",
                "*",
                "${aws:PrincipalAccount}",
                "vpc/a:b"
            ]
        );
    }

    #[test]
    fn long_patterns_are_answered_without_blowing_up() {
        let long = format!("arn:aws:s3:::{}", "a*".repeat(5000));
        assert!(fits(&long, OBJECT));
        let huge = "a".repeat(10_000);
        assert!(!fits(&huge, OBJECT));
    }

    #[test]
    fn shapes_flag_partition_region_account_and_missing_parts() {
        let codes = |p: &str| -> Vec<&'static str> {
            shape_problems(p, &["aws"])
                .iter()
                .map(|s| s.code.as_str())
                .collect()
        };
        assert!(codes("arn:aws:s3:::bucket").is_empty());
        assert!(codes("arn:aws-us-gov:ec2:us-gov-west-1:111122223333:instance/*").is_empty());
        assert!(codes("arn:aws:iam::aws:policy/ReadOnlyAccess").is_empty());
        assert!(codes("arn:${aws:Partition}:ec2:*:${aws:PrincipalAccount}:vpc/*").is_empty());
        assert!(codes("arn:aws:*").is_empty(), "a star may span the parts");
        assert_eq!(codes("arn:aws:s3:bucket"), ["arn-missing-resource"]);
        assert_eq!(codes("arn:amazon:s3:::b"), ["arn-unknown-partition"]);
        assert_eq!(
            codes("arn:aws:ec2:useast1:111122223333:vpc/x"),
            ["arn-invalid-region"]
        );
        assert_eq!(
            codes("arn:aws:ec2:us-east-1:1111:vpc/x"),
            ["arn-invalid-account"]
        );
        assert_eq!(
            shape_problems("arn:aws:s3:::b", &[]),
            Vec::<ShapeProblem>::new()
        );
        let p = &shape_problems("arn:aw:s3:::b", &[])[0];
        assert!(p.help.contains("did you mean \"aws\""), "{}", p.help);
    }
}
