//! Deterministic synthetic workloads for the bulk-evaluation benchmarks: a large, realistic
//! scenario (20 identity policies of 10 statements, a permissions boundary, two SCP levels, every
//! condition-operator family) and request lines carrying a dozen context keys each.
//!
//! Shared by `examples/gen` (the command line), the benches and the tests (`#[path]` include),
//! so the committed `testdata/batch/large-scenario.json` can be checked to be what this produces.

use std::fmt::Write as _;

/// A small deterministic generator (xorshift64*), so the output never depends on a crate version.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `pct`/100.
    pub fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
}

/// Services with some of their actions and a resource ARN shape (`{n}` is a number).
pub const SERVICES: &[(&str, &[&str], &str)] = &[
    (
        "s3",
        &[
            "GetObject",
            "PutObject",
            "DeleteObject",
            "ListBucket",
            "GetBucketPolicy",
            "PutBucketTagging",
        ],
        "arn:aws:s3:::bucket-{n}/data/{n}/object.csv",
    ),
    (
        "ec2",
        &[
            "RunInstances",
            "DescribeInstances",
            "TerminateInstances",
            "StartInstances",
            "CreateTags",
        ],
        "arn:aws:ec2:us-east-1:111122223333:instance/i-0{n}",
    ),
    (
        "dynamodb",
        &[
            "GetItem",
            "PutItem",
            "Query",
            "Scan",
            "DeleteItem",
            "DescribeTable",
        ],
        "arn:aws:dynamodb:us-east-1:111122223333:table/orders-{n}",
    ),
    (
        "kms",
        &[
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "DescribeKey",
            "ScheduleKeyDeletion",
        ],
        "arn:aws:kms:us-east-1:111122223333:key/k-{n}",
    ),
    (
        "lambda",
        &[
            "InvokeFunction",
            "GetFunction",
            "UpdateFunctionCode",
            "DeleteFunction",
        ],
        "arn:aws:lambda:eu-west-1:111122223333:function:fn-{n}",
    ),
    (
        "sqs",
        &[
            "SendMessage",
            "ReceiveMessage",
            "DeleteMessage",
            "GetQueueAttributes",
        ],
        "arn:aws:sqs:us-east-1:111122223333:queue-{n}",
    ),
    (
        "sns",
        &["Publish", "Subscribe", "GetTopicAttributes"],
        "arn:aws:sns:us-east-1:111122223333:topic-{n}",
    ),
    (
        "logs",
        &[
            "PutLogEvents",
            "CreateLogStream",
            "GetLogEvents",
            "DeleteLogGroup",
        ],
        "arn:aws:logs:us-east-1:111122223333:log-group:/app/{n}",
    ),
    (
        "secretsmanager",
        &["GetSecretValue", "PutSecretValue", "DescribeSecret"],
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/{n}",
    ),
    (
        "ssm",
        &["GetParameter", "GetParameters", "PutParameter"],
        "arn:aws:ssm:us-east-1:111122223333:parameter/app/{n}",
    ),
    (
        "iam",
        &[
            "GetUser",
            "CreateUser",
            "DeleteUser",
            "AttachUserPolicy",
            "ListUsers",
            "PassRole",
        ],
        "arn:aws:iam::111122223333:user/team/user-{n}",
    ),
    (
        "rds",
        &[
            "DescribeDBInstances",
            "CreateDBSnapshot",
            "DeleteDBInstance",
        ],
        "arn:aws:rds:us-east-1:111122223333:db:db-{n}",
    ),
    (
        "ecr",
        &["GetAuthorizationToken", "BatchGetImage", "PutImage"],
        "arn:aws:ecr:us-east-1:111122223333:repository/repo-{n}",
    ),
    (
        "cloudwatch",
        &["PutMetricData", "GetMetricData", "DeleteAlarms"],
        "*",
    ),
    (
        "athena",
        &["StartQueryExecution", "GetQueryResults"],
        "arn:aws:athena:us-east-1:111122223333:workgroup/wg-{n}",
    ),
    (
        "kinesis",
        &["PutRecord", "GetRecords", "DescribeStream"],
        "arn:aws:kinesis:us-east-1:111122223333:stream/s-{n}",
    ),
];

/// Condition entries, one per operator family (and the set operators and `IfExists`).
const CONDITIONS: &[&str] = &[
    r#""StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}"#,
    r#""StringNotEquals": {"aws:PrincipalTag/team": "contractors"}"#,
    r#""StringEqualsIgnoreCase": {"aws:ResourceTag/env": "PROD"}"#,
    r#""StringLike": {"s3:prefix": ["home/${aws:username}/*", "shared/*"]}"#,
    r#""StringNotLike": {"aws:userAgent": "*botocore/0.*"}"#,
    r#""NumericLessThanEquals": {"s3:max-keys": "1000"}"#,
    r#""NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}"#,
    r#""DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}"#,
    r#""DateLessThan": {"aws:TokenIssueTime": "2099-12-31T23:59:59Z"}"#,
    r#""Bool": {"aws:SecureTransport": "true"}"#,
    r#""BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}"#,
    r#""BinaryEquals": {"aws:RequestTag/blob": "QmluYXJ5VmFsdWU="}"#,
    r#""IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}"#,
    r#""NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}"#,
    r#""ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:topic-*"}"#,
    r#""ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"}"#,
    r#""Null": {"aws:TokenIssueTime": "false"}"#,
    r#""ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "cost-center"]}"#,
    r#""ForAnyValue:StringLike": {"aws:CalledVia": ["*.amazonaws.com"]}"#,
];

/// Deny conditions (chosen so that a deny applies to a minority of requests).
const DENY_CONDITIONS: &[&str] = &[
    r#""Bool": {"aws:SecureTransport": "false"}"#,
    r#""NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}"#,
    r#""StringEquals": {"aws:PrincipalTag/team": "contractors"}"#,
    r#""BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}"#,
    r#""ForAnyValue:StringEquals": {"aws:TagKeys": ["secret"]}"#,
    r#""NumericGreaterThan": {"s3:max-keys": "5000"}"#,
];

fn action_patterns(r: &mut Rng) -> Vec<String> {
    let (svc, actions, _) = r.pick(SERVICES);
    let n = 1 + r.below(4);
    let mut v: Vec<String> = (0..n)
        .map(|_| {
            let a = r.pick(actions);
            match r.below(10) {
                0 => format!("{svc}:*"),
                1..=2 => format!("{svc}:{}*", &a[..a.len().min(3)]),
                3 => format!("{svc}:*{}", &a[a.len().saturating_sub(4)..]),
                _ => format!("{svc}:{a}"),
            }
        })
        .collect();
    let mut seen = Vec::new();
    v.retain(|a| {
        let new = !seen.contains(a);
        seen.push(a.clone());
        new
    });
    v
}

fn resource_pattern(r: &mut Rng, svc_hint: &str) -> String {
    let (_, _, shape) = SERVICES
        .iter()
        .find(|(s, _, _)| *s == svc_hint)
        .unwrap_or(&SERVICES[0]);
    if *shape == "*" {
        return "*".into();
    }
    match r.below(6) {
        0 => "*".into(),
        1 => format!("arn:aws:{svc_hint}:*"),
        2 => shape.replace("{n}", "*"),
        3 if svc_hint == "s3" => "arn:aws:s3:::bucket-*/home/${aws:username}/*".into(),
        _ => {
            let k = r.below(10);
            let cut = shape.find("{n}").unwrap_or(shape.len());
            format!("{}{k}*", &shape[..cut])
        }
    }
}

fn json_list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    if q.len() == 1 {
        q[0].clone()
    } else {
        format!("[{}]", q.join(", "))
    }
}

fn statement(r: &mut Rng, sid: &str, deny: bool) -> String {
    let actions = action_patterns(r);
    let svc = actions[0].split(':').next().unwrap_or("s3").to_string();
    let resources: Vec<String> = (0..1 + r.below(2))
        .map(|_| resource_pattern(r, &svc))
        .collect();
    let conds: Vec<&str> = if deny {
        vec![*r.pick(DENY_CONDITIONS)]
    } else {
        let n = r.below(4);
        let mut v: Vec<&str> = Vec::new();
        for _ in 0..n {
            let c = *r.pick(CONDITIONS);
            // One entry per operator in a block.
            let op = c.split(':').next().unwrap_or("");
            if !v.iter().any(|x| x.split(':').next() == Some(op)) {
                v.push(c);
            }
        }
        v
    };
    let mut s = format!(
        r#"{{"Sid": "{sid}", "Effect": "{}", "Action": {}, "Resource": {}"#,
        if deny { "Deny" } else { "Allow" },
        json_list(&actions),
        json_list(&resources)
    );
    if !conds.is_empty() {
        let _ = write!(s, r#", "Condition": {{{}}}"#, conds.join(", "));
    }
    s.push('}');
    s
}

fn policy(statements: &[String]) -> String {
    format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [\n      {}\n    ]}}",
        statements.join(",\n      ")
    )
}

/// The large scenario file (JSON text): 20 identity policies of 10 statements, a permissions
/// boundary, two SCP levels.
pub fn large_scenario() -> String {
    let mut r = Rng::new(2024);
    let mut identity = Vec::new();
    for p in 0..20 {
        let sts: Vec<String> = (0..10)
            .map(|s| statement(&mut r, &format!("P{p:02}S{s}"), r_deny(p, s)))
            .collect();
        identity.push(policy(&sts));
    }
    let boundary = policy(&[
        r#"{"Sid": "ServicesAllowed", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}"#.into(),
        r#"{"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}"#.into(),
        r#"{"Sid": "NoKeyDeletion", "Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"], "Resource": "*", "Condition": {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/role": "KEYADMIN"}}}"#.into(),
    ]);
    let scp_root = policy(&[
        r#"{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}"#.into(),
    ]);
    let scp_ou = policy(&[
        r#"{"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}"#.into(),
        r#"{"Sid": "RegionLock", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "cloudfront:*", "route53:*", "support:*"], "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}"#.into(),
        r#"{"Sid": "ProtectLogs", "Effect": "Deny", "Action": ["logs:DeleteLogGroup", "cloudtrail:StopLogging"], "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin*"}}}"#.into(),
    ]);
    format!(
        "{{\n  \"principal\": \"arn:aws:iam::111122223333:user/alice\",\n  \"identity_policies\": [\n    {}\n  ],\n  \"permissions_boundary\": {},\n  \"scps\": [\n    [{}],\n    [{}]\n  ]\n}}\n",
        identity.join(",\n    "),
        boundary,
        scp_root,
        scp_ou
    )
}

/// Which statements deny: about one in eight.
fn r_deny(p: usize, s: usize) -> bool {
    (p * 10 + s) % 8 == 7
}

/// One request line with a dozen context keys (no time overrides: those take the slow path).
pub fn request_line(r: &mut Rng, out: &mut String) {
    let (svc, actions, shape) = r.pick(SERVICES);
    let action = r.pick(actions);
    let n = r.below(40);
    let resource = shape.replace("{n}", &n.to_string());
    let context = *r.pick(&[
        "console-mfa",
        "console-mfa",
        "session-mfa",
        "access-keys",
        "console",
        "role-mfa",
        "service-mfa",
    ]);
    let ip = match r.below(4) {
        0 => format!("198.51.100.{}", r.below(250)),
        1 => format!("203.0.113.{}", r.below(250)),
        _ => format!("192.0.2.{}", r.below(250)),
    };
    let region = *r.pick(&[
        "us-east-1",
        "us-east-1",
        "us-east-1",
        "eu-west-1",
        "eu-west-1",
        "ap-southeast-2",
    ]);
    let team = *r.pick(&["platform", "data", "web", "contractors"]);
    let env = *r.pick(&["prod", "Prod", "dev", "staging"]);
    let secure = r.chance(95);
    let max_keys = *r.pick(&[100, 1000, 1000, 10000]);
    let agent = *r.pick(&[
        "aws-cli/2.15.0 Python/3.11",
        "Boto3/1.34.0 botocore/1.34.0",
        "aws-sdk-go-v2/1.24.0",
    ]);
    let tags = *r.pick(&[
        r#"["env"]"#,
        r#"["env", "team"]"#,
        r#"["cost-center", "team"]"#,
        r#"["secret"]"#,
        "[]",
    ]);
    let called_via = *r.pick(&[
        r#"[]"#,
        r#"["cloudformation.amazonaws.com"]"#,
        r#"["athena.amazonaws.com", "glue.amazonaws.com"]"#,
    ]);
    let _ = write!(
        out,
        r#"{{"action":"{svc}:{action}","resource":"{resource}","context":"{context}","context_keys":{{"aws:SourceIp":"{ip}","aws:RequestedRegion":"{region}","aws:PrincipalTag/team":"{team}","aws:ResourceTag/env":"{env}","aws:SecureTransport":{secure},"s3:prefix":"home/alice/{n}/","s3:max-keys":{max_keys},"aws:userAgent":"{agent}","aws:SourceVpc":"vpc-0{n}a1b2","aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic-{n}","aws:TagKeys":{tags},"aws:CalledVia":{called_via}}}}}"#
    );
    out.push('\n');
}

/// The kinds of per-line principal real traffic carries: IAM users with and without a path,
/// role sessions (`{n}` is a session number), the root user, a federated user, a cross-account
/// role, and a service principal.
const TRAFFIC_PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/dev/bob",
    "arn:aws:sts::111122223333:assumed-role/ci-deploy/build-{n}",
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::111122223333:federated-user/carol",
    "arn:aws:sts::444455556666:assumed-role/Vendor/s{n}",
    "lambda.amazonaws.com",
];

/// Writes `2025-12-01T..` style timestamps: a different second on every line.
fn event_time(i: u64, out: &mut String) {
    let s = 1_764_547_200 + i; // 2025-12-01T00:00:00Z
    let (day, sod) = (s / 86_400 - 20_423, s % 86_400);
    let _ = write!(
        out,
        "2025-12-{:02}T{:02}:{:02}:{:02}Z",
        1 + day % 28,
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    );
}

/// One request line shaped like an event of a CloudTrail log (line `i` of the file): a
/// per-line principal of every kind, a preset, a different `aws:CurrentTime` on every line
/// (one line in eight gives `aws:EpochTime` instead), source IP, region, user agent (with an
/// escaped `/` now and then), a principal tag, tag keys (a multivalued key), a number and a
/// boolean, and unknown fields of several types, with `json.dumps`-style spacing.
pub fn traffic_line(r: &mut Rng, i: u64, out: &mut String) {
    let n = (i % 500).to_string();
    let principal = r.pick(TRAFFIC_PRINCIPALS).replace("{n}", &n);
    let (svc, actions, shape) = r.pick(SERVICES);
    let action = r.pick(actions);
    let resource = shape.replace("{n}", &(i % 50).to_string());
    let context = *r.pick(&[
        "access-keys",
        "console",
        "console-mfa",
        "role",
        "session-mfa",
        "service",
    ]);
    let _ = write!(
        out,
        r#"{{"principal": "{principal}", "action": "{svc}:{action}", "resource": "{resource}", "context": "{context}", "context_keys": {{"#
    );
    if i % 8 == 7 {
        let _ = write!(out, r#""aws:EpochTime": {}"#, 1_764_547_200 + i);
    } else {
        out.push_str(r#""aws:CurrentTime": ""#);
        event_time(i, out);
        out.push('"');
    }
    let ip = match r.below(4) {
        0 => format!("198.51.100.{}", r.below(250)),
        _ => format!("203.0.113.{}", r.below(250)),
    };
    let region = *r.pick(&["us-east-1", "us-east-1", "eu-west-1", "ap-southeast-2"]);
    let agent = *r.pick(&[
        "aws-cli/2.15.0 Python/3.11",
        r"Boto3\/1.34.0 botocore\/1.34.0",
        "console.amazonaws.com",
    ]);
    let team = *r.pick(&["a", "b", "contractors"]);
    let tags = *r.pick(&[r#"["env"]"#, r#"["env", "team"]"#, "[]"]);
    let _ = write!(
        out,
        r#", "aws:SourceIp": "{ip}", "aws:RequestedRegion": "{region}", "aws:UserAgent": "{agent}", "aws:PrincipalTag/team": "{team}", "aws:TagKeys": {tags}, "aws:SecureTransport": {}, "s3:max-keys": {}}}, "eventID": "e{i}", "readOnly": {}, "requestParameters": null}}"#,
        r.chance(95),
        *r.pick(&[100, 1000]),
        r.chance(50)
    );
    out.push('\n');
}

/// One request line shaped like the peer simulator's benchmark requests: a per-line principal
/// and nine context keys, `aws:CurrentTime` among them, compact JSON.
pub fn peer_line(r: &mut Rng, i: u64, out: &mut String) {
    let user = format!("arn:aws:iam::111122223333:user/u{}", r.below(1000));
    let (svc, actions, shape) = r.pick(SERVICES);
    let action = r.pick(actions);
    let resource = shape.replace("{n}", &r.below(40).to_string());
    let context = *r.pick(&["console-mfa", "access-keys", "session-mfa", "console"]);
    let _ = write!(
        out,
        r#"{{"principal":"{user}","action":"{svc}:{action}","resource":"{resource}","context":"{context}","context_keys":{{"aws:CurrentTime":""#
    );
    event_time(i, out);
    let _ = write!(
        out,
        r#"","aws:SourceIp":"192.0.2.{}","aws:RequestedRegion":"{}","aws:PrincipalTag/team":"{}","aws:ResourceTag/env":"{}","aws:SecureTransport":{},"aws:MultiFactorAuthPresent":{},"aws:userAgent":"aws-sdk-go-v2/1.24.0","s3:prefix":"home/u{}/"}}}}"#,
        r.below(250),
        r.pick(&["us-east-1", "eu-west-1", "ap-southeast-2"]),
        r.pick(&["platform", "data", "contractors"]),
        r.pick(&["prod", "dev"]),
        r.chance(95),
        r.chance(70),
        r.below(1000)
    );
    out.push('\n');
}
