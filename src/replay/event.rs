//! From a CloudTrail event to an authorization request: action, resource, caller, credential
//! preset, context keys and the observed outcome. Every rule is in `docs/replay.md`; the
//! inferences (which presets, which resources) are marked there and in each [`Mapping`].

use crate::context::{CtxValue, Preset, Principal};
use serde_json::Value;

/// How exactly an event maps onto a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mapping {
    /// Action and resource come from the event as recorded.
    Exact,
    /// The action is known, the resource was not recorded and is `*`.
    Approximate,
    /// The event cannot be turned into a request (see the reason).
    Unmapped,
}

/// What happened to the call in AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Observed {
    /// No error code.
    Allowed,
    /// An access-denied error code.
    Denied,
    /// Another error: not an authorization outcome.
    Other,
}

/// One event, mapped.
#[derive(Debug, Clone)]
pub struct MappedEvent {
    /// `eventID`.
    pub event_id: String,
    /// `eventTime`.
    pub event_time: String,
    /// The caller.
    pub principal: Option<Principal>,
    /// The caller's ARN as recorded (or the service name).
    pub principal_label: String,
    /// The credential preset inferred from `userIdentity`.
    pub preset: Preset,
    /// `service:Action`.
    pub action: String,
    /// The resource ARN or `*`.
    pub resource: String,
    /// Context keys from the event.
    pub keys: Vec<(String, Option<CtxValue>)>,
    /// How exact the mapping is.
    pub mapping: Mapping,
    /// Why an event is approximate or unmapped.
    pub reason: Option<String>,
    /// What happened in AWS.
    pub observed: Observed,
    /// `errorCode`, if any.
    pub error_code: Option<String>,
    /// The call was made without MFA (long-term keys, or a session or console sign-in whose
    /// context says `mfaAuthenticated: false`).
    pub without_mfa: bool,
}

/// What an event is.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// An API call, mapped to a request.
    Call(Box<MappedEvent>),
    /// A console sign-in: who, and whether MFA was used.
    SignIn {
        /// The user.
        principal: String,
        /// `additionalEventData.MFAUsed == "Yes"`.
        mfa_used: bool,
        /// `responseElements.ConsoleLogin == "Success"`.
        success: bool,
    },
    /// Another event type, counted and skipped.
    Other(String),
}

/// `eventSource` prefixes that are not the IAM service prefix.
const SOURCE_PREFIX: &[(&str, &str)] = &[
    ("monitoring", "cloudwatch"),
    ("email", "ses"),
    ("elasticloadbalancing", "elasticloadbalancing"),
    ("logs", "logs"),
    ("es", "es"),
    ("signin", "signin"),
    ("sso", "sso"),
    ("s3-outposts", "s3-outposts"),
    ("execute-api", "execute-api"),
    ("states", "states"),
    ("ssm-incidents", "ssm-incidents"),
    ("iot-data", "iot"),
    ("data.iot", "iot"),
    ("kinesisanalytics", "kinesisanalytics"),
    ("sts", "sts"),
    ("lambda", "lambda"),
];

/// S3 operations whose IAM action has another name.
const S3_RENAMES: &[(&str, &str)] = &[
    ("ListObjects", "ListBucket"),
    ("ListObjectsV2", "ListBucket"),
    ("ListObjectVersions", "ListBucketVersions"),
    ("ListBuckets", "ListAllMyBuckets"),
    ("HeadObject", "GetObject"),
    ("HeadBucket", "ListBucket"),
    ("GetBucketPolicyStatus", "GetBucketPolicyStatus"),
    ("CopyObject", "PutObject"),
    ("UploadPart", "PutObject"),
    ("CreateMultipartUpload", "PutObject"),
    ("CompleteMultipartUpload", "PutObject"),
    ("DeleteObjects", "DeleteObject"),
    ("ListMultipartUploads", "ListBucketMultipartUploads"),
    ("ListParts", "ListMultipartUploadParts"),
    ("GetObjectAttributes", "GetObject"),
    (
        "PutBucketLifecycleConfiguration",
        "PutLifecycleConfiguration",
    ),
    (
        "GetBucketLifecycleConfiguration",
        "GetLifecycleConfiguration",
    ),
];

/// Error codes that mean the request was denied by authorization.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "Forbidden",
    "403",
];

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// The IAM action of a call: service prefix from `eventSource`, name from `eventName`.
pub fn action_of(event: &Value) -> Result<String, String> {
    let source = s(event, &["eventSource"]).ok_or("no eventSource")?;
    let name = s(event, &["eventName"]).ok_or("no eventName")?;
    let Some(host) = source.strip_suffix(".amazonaws.com") else {
        return Err(format!(
            "eventSource \"{source}\" is not an AWS service endpoint"
        ));
    };
    let prefix = SOURCE_PREFIX
        .iter()
        .find(|(h, _)| *h == host)
        .map(|(_, p)| *p)
        .unwrap_or(host);
    if prefix.contains('.') {
        return Err(format!(
            "no IAM service prefix known for eventSource \"{source}\""
        ));
    }
    // Lambda and a few others record versioned names (Invoke20150331, GetFunction20150331v2).
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v');
    let base = if trimmed.len() + 8 <= name.len()
        && trimmed.chars().last().is_some_and(char::is_alphabetic)
    {
        trimmed
    } else {
        name
    };
    let base = if prefix == "s3" {
        S3_RENAMES
            .iter()
            .find(|(op, _)| *op == base)
            .map(|(_, a)| *a)
            .unwrap_or(base)
    } else {
        base
    };
    Ok(format!("{prefix}:{base}"))
}

/// The resource: `resources[].ARN` when recorded, else per-service rules on `requestParameters`,
/// else `*` (approximate).
pub fn resource_of(event: &Value, action: &str) -> (String, Mapping, Option<String>) {
    if let Some(arn) = event
        .get("resources")
        .and_then(Value::as_array)
        .and_then(|rs| rs.iter().find_map(|r| r.get("ARN").and_then(Value::as_str)))
    {
        return (arn.to_string(), Mapping::Exact, None);
    }
    let p = event.get("requestParameters").unwrap_or(&Value::Null);
    let account = s(event, &["recipientAccountId"]).unwrap_or("*");
    let region = s(event, &["awsRegion"]).unwrap_or("*");
    let partition = "aws";
    let (svc, name) = action.split_once(':').unwrap_or(("", ""));
    let get = |k: &str| p.get(k).and_then(Value::as_str);
    let arn_or = |v: &str, build: &dyn Fn(&str) -> String| {
        if v.starts_with("arn:") {
            v.to_string()
        } else {
            build(v)
        }
    };
    // Actions that take no resource (they authorize on "*"): nothing is approximate there.
    let takes_no_resource = matches!(
        action,
        "sts:GetCallerIdentity"
            | "s3:ListAllMyBuckets"
            | "cloudwatch:PutMetricData"
            | "iam:ListUsers"
            | "iam:ListRoles"
            | "iam:ListPolicies"
            | "iam:ListGroups"
            | "kms:ListKeys"
            | "kms:ListAliases"
    ) || (svc == "ec2" && name.starts_with("Describe"));
    let found = match svc {
        _ if takes_no_resource => Some("*".to_string()),
        "s3" => get("bucketName").map(|b| match get("key") {
            Some(k) => format!("arn:{partition}:s3:::{b}/{k}"),
            None => format!("arn:{partition}:s3:::{b}"),
        }),
        "iam" => get("userName")
            .map(|u| format!("arn:{partition}:iam::{account}:user/{u}"))
            .or_else(|| get("roleName").map(|r| format!("arn:{partition}:iam::{account}:role/{r}")))
            .or_else(|| get("policyArn").map(str::to_string))
            .or_else(|| {
                get("groupName").map(|g| format!("arn:{partition}:iam::{account}:group/{g}"))
            }),
        "sts" => get("roleArn").map(str::to_string),
        "kms" => get("keyId").map(|k| {
            arn_or(k, &|k| {
                if k.starts_with("alias/") {
                    format!("arn:{partition}:kms:{region}:{account}:{k}")
                } else {
                    format!("arn:{partition}:kms:{region}:{account}:key/{k}")
                }
            })
        }),
        "secretsmanager" => get("secretId").map(|x| {
            arn_or(x, &|x| {
                format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{x}")
            })
        }),
        "lambda" => get("functionName").map(|x| {
            arn_or(x, &|x| {
                format!("arn:{partition}:lambda:{region}:{account}:function:{x}")
            })
        }),
        "dynamodb" => get("tableName").map(|x| {
            arn_or(x, &|x| {
                format!("arn:{partition}:dynamodb:{region}:{account}:table/{x}")
            })
        }),
        "ssm" => get("name").map(|x| {
            arn_or(x, &|x| {
                format!(
                    "arn:{partition}:ssm:{region}:{account}:parameter/{}",
                    x.trim_start_matches('/')
                )
            })
        }),
        "ec2" => p
            .pointer("/instancesSet/items/0/instanceId")
            .and_then(Value::as_str)
            .map(|i| format!("arn:{partition}:ec2:{region}:{account}:instance/{i}")),
        _ => None,
    };
    match found {
        Some(r) => (r, Mapping::Exact, None),
        None => (
            "*".to_string(),
            Mapping::Approximate,
            Some(format!(
                "no resource recorded for {action}: evaluated on \"*\""
            )),
        ),
    }
}

/// The caller (parsed, and as recorded), its credential preset, whether it called without MFA,
/// and the context keys its identity implies.
pub type Caller = (
    Option<Principal>,
    String,
    Preset,
    bool,
    Vec<(String, Option<CtxValue>)>,
);

/// The caller, the credential preset and whether the call was made without MFA, from
/// `userIdentity`.
pub fn caller_of(event: &Value) -> Result<Caller, String> {
    let u = event.get("userIdentity").ok_or("no userIdentity")?;
    let ty = s(u, &["type"]).unwrap_or("");
    let key = s(u, &["accessKeyId"]).unwrap_or("");
    let mfa = s(u, &["sessionContext", "attributes", "mfaAuthenticated"]) == Some("true");
    let console = u
        .get("sessionCredentialFromConsole")
        .is_some_and(|v| v == "true" || v == true)
        || s(event, &["userAgent"])
            .is_some_and(|a| a.contains("console.amazonaws.com") || a == "AWS Internal");
    let mut keys: Vec<(String, Option<CtxValue>)> = Vec::new();
    if let Some(t) = s(u, &["sessionContext", "attributes", "creationDate"]) {
        keys.push((
            "aws:TokenIssueTime".into(),
            Some(CtxValue::One(t.to_string())),
        ));
    }
    let invoked_by = s(event, &["invokedBy"]).filter(|x| x.ends_with(".amazonaws.com"));
    let (arn, preset, without_mfa) = match ty {
        "IAMUser" | "Root" => {
            let arn = s(u, &["arn"]).ok_or("userIdentity has no arn")?.to_string();
            if key.starts_with("ASIA") {
                let p = match (console, mfa) {
                    (true, true) => Preset::ConsoleMfa,
                    (true, false) => Preset::Console,
                    (false, true) => Preset::SessionMfa,
                    (false, false) => Preset::Session,
                };
                (arn, p, !mfa)
            } else {
                (arn, Preset::AccessKeys, true)
            }
        }
        "AssumedRole" => {
            let arn = s(u, &["arn"]).ok_or("userIdentity has no arn")?.to_string();
            if let Some(issuer) = s(u, &["sessionContext", "sessionIssuer", "arn"]) {
                keys.push((
                    "aws:PrincipalArn".into(),
                    Some(CtxValue::One(issuer.to_string())),
                ));
            }
            (arn, if mfa { Preset::RoleMfa } else { Preset::Role }, !mfa)
        }
        "FederatedUser" => {
            let arn = s(u, &["arn"]).ok_or("userIdentity has no arn")?.to_string();
            (
                arn,
                if mfa {
                    Preset::SessionMfa
                } else {
                    Preset::Session
                },
                !mfa,
            )
        }
        "AWSService" => {
            let svc = s(u, &["invokedBy"])
                .or(invoked_by)
                .ok_or("an AWSService identity without invokedBy")?;
            return Ok((
                Principal::parse(svc).ok(),
                svc.to_string(),
                Preset::None,
                false,
                keys,
            ));
        }
        other => {
            return Err(format!(
                "userIdentity type \"{other}\" is not a caller iamsim models"
            ))
        }
    };
    // A service acting with the caller's credentials: a forward access session.
    let preset = match (invoked_by, preset) {
        (Some(svc), p) if ty != "AWSService" => {
            keys.push((
                "aws:CalledVia".into(),
                Some(CtxValue::Many(vec![svc.to_string()])),
            ));
            if matches!(p, Preset::ConsoleMfa | Preset::SessionMfa | Preset::RoleMfa) {
                Preset::ServiceMfa
            } else {
                Preset::Service
            }
        }
        (_, p) => p,
    };
    let principal = Principal::parse(&arn).map_err(|e| e.0)?;
    Ok((Some(principal), arn, preset, without_mfa, keys))
}

/// The observed outcome from `errorCode`.
pub fn observed_of(event: &Value) -> (Observed, Option<String>) {
    match s(event, &["errorCode"]) {
        None => (Observed::Allowed, None),
        Some(c)
            if DENIED
                .iter()
                .any(|d| c == *d || c.ends_with(".AccessDenied"))
                || c.contains("AccessDenied") =>
        {
            (Observed::Denied, Some(c.to_string()))
        }
        Some(c) => (Observed::Other, Some(c.to_string())),
    }
}

/// Context keys the event records.
fn event_keys(event: &Value, keys: &mut Vec<(String, Option<CtxValue>)>) {
    let one = |v: &str| Some(CtxValue::One(v.to_string()));
    if let Some(t) = s(event, &["eventTime"]) {
        keys.push(("aws:CurrentTime".into(), one(t)));
    }
    if let Some(ip) =
        s(event, &["sourceIPAddress"]).filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
    {
        keys.push(("aws:SourceIp".into(), one(ip)));
    }
    if let Some(r) = s(event, &["awsRegion"]) {
        keys.push(("aws:RequestedRegion".into(), one(r)));
    }
    if let Some(a) = s(event, &["userAgent"]) {
        keys.push(("aws:UserAgent".into(), one(a)));
    }
    if let Some(v) = s(event, &["vpcEndpointId"]) {
        keys.push(("aws:SourceVpce".into(), one(v)));
    }
    if event.get("tlsDetails").is_some() {
        keys.push(("aws:SecureTransport".into(), one("true")));
    }
    if let Some(a) = s(event, &["recipientAccountId"]) {
        keys.push(("aws:ResourceAccount".into(), one(a)));
    }
}

/// Maps one event.
pub fn map_event(event: &Value) -> Result<EventKind, String> {
    if !event.is_object() {
        return Err("a CloudTrail record must be a JSON object".into());
    }
    let ty = s(event, &["eventType"]).unwrap_or("");
    if ty == "AwsConsoleSignIn" {
        let principal = s(event, &["userIdentity", "arn"])
            .unwrap_or("unknown")
            .to_string();
        return Ok(EventKind::SignIn {
            principal,
            mfa_used: s(event, &["additionalEventData", "MFAUsed"]) == Some("Yes"),
            success: s(event, &["responseElements", "ConsoleLogin"]) == Some("Success"),
        });
    }
    if ty != "AwsApiCall" {
        return Ok(EventKind::Other(if ty.is_empty() {
            "no eventType".into()
        } else {
            ty.to_string()
        }));
    }
    let (observed, error_code) = observed_of(event);
    let mut me = MappedEvent {
        event_id: s(event, &["eventID"]).unwrap_or("").to_string(),
        event_time: s(event, &["eventTime"]).unwrap_or("").to_string(),
        principal: None,
        principal_label: String::new(),
        preset: Preset::None,
        action: String::new(),
        resource: "*".into(),
        keys: Vec::new(),
        mapping: Mapping::Unmapped,
        reason: None,
        observed,
        error_code,
        without_mfa: false,
    };
    match caller_of(event) {
        Ok((p, label, preset, without_mfa, keys)) => {
            me.principal = p;
            me.principal_label = label;
            me.preset = preset;
            me.without_mfa = without_mfa;
            me.keys = keys;
        }
        Err(why) => {
            me.reason = Some(why);
            return Ok(EventKind::Call(Box::new(me)));
        }
    }
    match action_of(event) {
        Ok(a) => me.action = a,
        Err(why) => {
            me.reason = Some(why);
            return Ok(EventKind::Call(Box::new(me)));
        }
    }
    let (resource, mapping, reason) = resource_of(event, &me.action);
    me.resource = resource;
    me.mapping = mapping;
    me.reason = reason;
    if me.principal.is_none() {
        me.mapping = Mapping::Unmapped;
        me.reason = Some(format!(
            "caller \"{}\" is not an ARN iamsim can evaluate",
            me.principal_label
        ));
    }
    event_keys(event, &mut me.keys);
    Ok(EventKind::Call(Box::new(me)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actions_follow_the_iam_names() {
        let a = |src: &str, name: &str| action_of(&json!({"eventSource": src, "eventName": name}));
        assert_eq!(
            a("s3.amazonaws.com", "ListObjectsV2").unwrap(),
            "s3:ListBucket"
        );
        assert_eq!(a("s3.amazonaws.com", "HeadObject").unwrap(), "s3:GetObject");
        assert_eq!(
            a("s3.amazonaws.com", "ListBuckets").unwrap(),
            "s3:ListAllMyBuckets"
        );
        assert_eq!(
            a("monitoring.amazonaws.com", "PutMetricData").unwrap(),
            "cloudwatch:PutMetricData"
        );
        assert_eq!(
            a("lambda.amazonaws.com", "Invoke20150331").unwrap(),
            "lambda:Invoke"
        );
        assert_eq!(
            a("lambda.amazonaws.com", "GetFunction20150331v2").unwrap(),
            "lambda:GetFunction"
        );
        assert_eq!(
            a("iam.amazonaws.com", "CreateUser").unwrap(),
            "iam:CreateUser"
        );
        assert!(a("example.com", "X").is_err());
    }

    #[test]
    fn presets_come_from_the_identity() {
        let ev = |u: Value| json!({"userIdentity": u});
        let (_, _, p, nomfa, _) = caller_of(&ev(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a", "accessKeyId": "AKIAX"}))).unwrap();
        assert_eq!((p, nomfa), (Preset::AccessKeys, true));
        let (_, _, p, _, _) = caller_of(&ev(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a", "accessKeyId": "ASIAX", "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}, "sessionCredentialFromConsole": "true"}))).unwrap();
        assert_eq!(p, Preset::ConsoleMfa);
        let (_, _, p, _, keys) = caller_of(&ev(json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/R/s", "accessKeyId": "ASIAX", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/R"}, "attributes": {"mfaAuthenticated": "false"}}}))).unwrap();
        assert_eq!(p, Preset::Role);
        assert!(keys.iter().any(|(k, _)| k == "aws:PrincipalArn"));
    }

    #[test]
    fn denied_error_codes_are_denials_and_others_are_not_outcomes() {
        assert_eq!(
            observed_of(&json!({"errorCode": "AccessDenied"})).0,
            Observed::Denied
        );
        assert_eq!(
            observed_of(&json!({"errorCode": "Client.UnauthorizedOperation"})).0,
            Observed::Denied
        );
        assert_eq!(
            observed_of(&json!({"errorCode": "NoSuchKey"})).0,
            Observed::Other
        );
        assert_eq!(observed_of(&json!({})).0, Observed::Allowed);
    }
}
