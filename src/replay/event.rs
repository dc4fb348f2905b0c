//! From a CloudTrail event to an authorization request: action, resource, caller, credential
//! preset, context keys and the observed outcome. Every rule is in `docs/replay.md`; the
//! inferences (which presets, which resources) are marked there and in each [`Mapping`].

use crate::context::{Preset, Principal};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

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

/// A context key an event sets (see [`EvKey::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvKey {
    /// `aws:TokenIssueTime` from `sessionContext.attributes.creationDate`.
    TokenIssueTime,
    /// `aws:PrincipalArn` from `sessionContext.sessionIssuer.arn`.
    PrincipalArn,
    /// `aws:CalledVia` (multivalued) from `invokedBy`.
    CalledVia,
    /// `aws:CurrentTime` from `eventTime`.
    CurrentTime,
    /// `aws:SourceIp` from `sourceIPAddress`.
    SourceIp,
    /// `aws:RequestedRegion` from `awsRegion`.
    RequestedRegion,
    /// `aws:UserAgent` from `userAgent`.
    UserAgent,
    /// `aws:SourceVpce` from `vpcEndpointId`.
    SourceVpce,
    /// `aws:SecureTransport` when `tlsDetails` is present.
    SecureTransport,
    /// `aws:ResourceAccount` from `recipientAccountId`.
    ResourceAccount,
}

impl EvKey {
    /// Every key, in the order of [`EvKey::index`].
    pub const ALL: [EvKey; 10] = [
        EvKey::TokenIssueTime,
        EvKey::PrincipalArn,
        EvKey::CalledVia,
        EvKey::CurrentTime,
        EvKey::SourceIp,
        EvKey::RequestedRegion,
        EvKey::UserAgent,
        EvKey::SourceVpce,
        EvKey::SecureTransport,
        EvKey::ResourceAccount,
    ];

    /// The key's name.
    pub fn name(self) -> &'static str {
        match self {
            EvKey::TokenIssueTime => "aws:TokenIssueTime",
            EvKey::PrincipalArn => "aws:PrincipalArn",
            EvKey::CalledVia => "aws:CalledVia",
            EvKey::CurrentTime => "aws:CurrentTime",
            EvKey::SourceIp => "aws:SourceIp",
            EvKey::RequestedRegion => "aws:RequestedRegion",
            EvKey::UserAgent => "aws:UserAgent",
            EvKey::SourceVpce => "aws:SourceVpce",
            EvKey::SecureTransport => "aws:SecureTransport",
            EvKey::ResourceAccount => "aws:ResourceAccount",
        }
    }

    /// Its position in [`EvKey::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the key is multivalued (`aws:CalledVia`).
    pub fn many(self) -> bool {
        self == EvKey::CalledVia
    }
}

/// One event, mapped; it borrows from the parsed event.
#[derive(Debug, Clone)]
pub struct MappedEvent<'e> {
    /// `eventID`.
    pub event_id: &'e str,
    /// `eventTime`.
    pub event_time: &'e str,
    /// The caller.
    pub principal: Option<Arc<Principal>>,
    /// The caller's ARN as recorded (or the service name).
    pub principal_label: &'e str,
    /// The credential preset inferred from `userIdentity`.
    pub preset: Preset,
    /// `service:Action`.
    pub action: String,
    /// The resource ARN or `*`.
    pub resource: String,
    /// Context keys from the event, in the order they apply.
    pub keys: Vec<(EvKey, &'e str)>,
    /// How exact the mapping is.
    pub mapping: Mapping,
    /// Why an event is approximate or unmapped.
    pub reason: Option<String>,
    /// What happened in AWS.
    pub observed: Observed,
    /// `errorCode`, if any.
    pub error_code: Option<&'e str>,
    /// The call was made without MFA (long-term keys, or a session or console sign-in whose
    /// context says `mfaAuthenticated: false`).
    pub without_mfa: bool,
}

/// What an event is.
#[derive(Debug, Clone)]
pub enum EventKind<'e> {
    /// An API call, mapped to a request.
    Call(Box<MappedEvent<'e>>),
    /// A console sign-in: who, and whether MFA was used.
    SignIn {
        /// The user.
        principal: &'e str,
        /// `additionalEventData.MFAUsed == "Yes"`.
        mfa_used: bool,
        /// `responseElements.ConsoleLogin == "Success"`.
        success: bool,
    },
    /// Another event type, counted and skipped.
    Other(&'e str),
}

/// `eventSource` hosts whose IAM prefix is another name that the generated table
/// ([`super::services::CLOUDTRAIL_SERVICES`], from iann0036/iam-dataset) does not list.
const EXTRA_SOURCES: &[(&str, &str)] =
    &[("email", "ses"), ("iot-data", "iot"), ("data.iot", "iot")];

/// The IAM service prefix of an event-source host (without `.amazonaws.com`).
pub fn service_prefix(host: &str) -> &str {
    super::services::CLOUDTRAIL_SERVICES
        .iter()
        .chain(EXTRA_SOURCES)
        .find(|(h, _)| *h == host)
        .map(|(_, p)| *p)
        .unwrap_or(host)
}

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

// ---- Reading an event: a typed view that borrows from the record text -----------------------
//
// Every field is read leniently, as `Value::get(..).as_str()` would: a string is kept, any other
// JSON value is `None`; an object that is not an object reads as empty. A record the typed
// reader refuses (a key given twice, a record that is not an object) is read through
// `serde_json::Value` into the same view ([`Event::from_value`]), so both give the same answer.

/// A string field: `Some` for a JSON string, `None` for any other value.
#[derive(Debug, Default, Clone)]
pub struct Lax<'a>(pub Option<Cow<'a, str>>);

impl Lax<'_> {
    /// The string, if the field was one.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Consumes any JSON value (for the visitors below).
fn drain_seq<'de, A: SeqAccess<'de>>(mut s: A) -> Result<(), A::Error> {
    while s.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut m: A) -> Result<(), A::Error> {
    while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

impl<'de: 'a, 'a> Deserialize<'de> for Lax<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Lax<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Lax<'a>, E> {
                Ok(Lax(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lax<'a>, E> {
                Ok(Lax(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Lax<'a>, E> {
                Ok(Lax(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lax<'a>, E> {
                Ok(Lax(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Lax<'a>, E> {
                Ok(Lax(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Lax<'a>, E> {
                Ok(Lax(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Lax<'a>, E> {
                Ok(Lax(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Lax<'a>, E> {
                Ok(Lax(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Lax<'a>, E> {
                Ok(Lax(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Lax<'a>, D::Error> {
                Lax::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Lax<'a>, A::Error> {
                drain_seq(s).map(|_| Lax(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Lax<'a>, A::Error> {
                drain_map(m).map(|_| Lax(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// `sessionCredentialFromConsole`: the string `"true"` or the boolean `true`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                Ok(Flag(v == "true"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Flag, A::Error> {
                drain_seq(s).map(|_| Flag(false))
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Flag, A::Error> {
                drain_map(m).map(|_| Flag(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// A field whose presence counts, whatever its value (`tlsDetails`, even `null`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Present(pub bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// An object field: present or not, and its members (empty when the value is not an object).
#[derive(Debug, Default, Clone)]
pub struct Obj<T> {
    /// The field was there (with any value).
    pub present: bool,
    /// Its members.
    pub v: T,
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Obj<T>, A::Error> {
                let v = T::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(Obj { present: true, v })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Obj<T>, A::Error> {
                drain_seq(s).map(|_| Obj::other())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Obj<T>, E> {
                Ok(Obj::other())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Obj<T>, E> {
                Ok(Obj::other())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Obj<T>, E> {
                Ok(Obj::other())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Obj<T>, E> {
                Ok(Obj::other())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Obj<T>, E> {
                Ok(Obj::other())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Obj<T>, E> {
                Ok(Obj::other())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<T: Default> Obj<T> {
    /// A field that is there but is not an object.
    fn other() -> Obj<T> {
        Obj {
            present: true,
            v: T::default(),
        }
    }
}

/// `userIdentity.sessionContext.attributes`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Attributes<'a> {
    #[serde(rename = "mfaAuthenticated", borrow)]
    mfa_authenticated: Lax<'a>,
    #[serde(rename = "creationDate", borrow)]
    creation_date: Lax<'a>,
}

/// `userIdentity.sessionContext.sessionIssuer`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Issuer<'a> {
    #[serde(borrow)]
    arn: Lax<'a>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SessionContext<'a> {
    #[serde(borrow)]
    attributes: Obj<Attributes<'a>>,
    #[serde(rename = "sessionIssuer", borrow)]
    session_issuer: Obj<Issuer<'a>>,
}

/// `userIdentity`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct UserIdentity<'a> {
    #[serde(rename = "type", borrow)]
    ty: Lax<'a>,
    #[serde(borrow)]
    arn: Lax<'a>,
    #[serde(rename = "accessKeyId", borrow)]
    access_key_id: Lax<'a>,
    #[serde(rename = "invokedBy", borrow)]
    invoked_by: Lax<'a>,
    #[serde(rename = "sessionCredentialFromConsole")]
    from_console: Flag,
    #[serde(rename = "sessionContext", borrow)]
    session_context: Obj<SessionContext<'a>>,
}

/// `additionalEventData` of a sign-in.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SignInData<'a> {
    #[serde(rename = "MFAUsed", borrow)]
    mfa_used: Lax<'a>,
}

/// `responseElements` of a sign-in.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SignInResponse<'a> {
    #[serde(rename = "ConsoleLogin", borrow)]
    console_login: Lax<'a>,
}

/// One CloudTrail record, as far as replay reads it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct Event<'a> {
    #[serde(rename = "eventType", borrow)]
    event_type: Lax<'a>,
    #[serde(rename = "eventID", borrow)]
    event_id: Lax<'a>,
    #[serde(rename = "eventTime", borrow)]
    event_time: Lax<'a>,
    #[serde(rename = "eventSource", borrow)]
    event_source: Lax<'a>,
    #[serde(rename = "eventName", borrow)]
    event_name: Lax<'a>,
    #[serde(rename = "awsRegion", borrow)]
    aws_region: Lax<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip: Lax<'a>,
    #[serde(rename = "userAgent", borrow)]
    user_agent: Lax<'a>,
    #[serde(rename = "vpcEndpointId", borrow)]
    vpc_endpoint_id: Lax<'a>,
    #[serde(rename = "recipientAccountId", borrow)]
    recipient_account_id: Lax<'a>,
    #[serde(rename = "errorCode", borrow)]
    error_code: Lax<'a>,
    #[serde(rename = "invokedBy", borrow)]
    invoked_by: Lax<'a>,
    #[serde(rename = "tlsDetails")]
    tls_details: Present,
    #[serde(rename = "userIdentity", borrow)]
    user_identity: Obj<UserIdentity<'a>>,
    #[serde(rename = "additionalEventData", borrow)]
    additional_event_data: Obj<SignInData<'a>>,
    #[serde(rename = "responseElements", borrow)]
    response_elements: Obj<SignInResponse<'a>>,
    #[serde(rename = "requestParameters", borrow)]
    request_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    /// The same two fields when the event was read through `Value`.
    #[serde(skip)]
    value: Option<&'a Value>,
}

/// Why a record is not an event.
pub const NOT_AN_OBJECT: &str = "a CloudTrail record must be a JSON object";

impl<'a> Event<'a> {
    /// Reads one record's text: the typed reader, or `Value` for a record it refuses. `Err` is
    /// serde_json's message for text that is not JSON; `Ok(None)` a record that is not an
    /// object (then `fallback` holds nothing).
    pub fn parse(
        text: &'a str,
        fallback: &'a mut Option<Value>,
    ) -> Result<Option<Event<'a>>, String> {
        let t = text.trim_start();
        if t.starts_with('{') {
            if let Ok(e) = serde_json::from_str::<Event<'a>>(text) {
                return Ok(Some(e));
            }
        }
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if !v.is_object() {
            return Ok(None);
        }
        let v: &'a Value = fallback.insert(v);
        Ok(Some(Event::from_value(v)))
    }

    /// The view of an event read as a `Value` (a non-object reads as an empty event).
    pub fn from_value(v: &'a Value) -> Event<'a> {
        fn lax<'a>(v: &'a Value, k: &str) -> Lax<'a> {
            Lax(v.get(k).and_then(Value::as_str).map(Cow::Borrowed))
        }
        fn obj<'a, T: Default>(v: &'a Value, k: &str, f: impl Fn(&'a Value) -> T) -> Obj<T> {
            match v.get(k) {
                None => Obj::default(),
                Some(x) => Obj {
                    present: true,
                    v: f(x),
                },
            }
        }
        let u = |u: &'a Value| UserIdentity {
            ty: lax(u, "type"),
            arn: lax(u, "arn"),
            access_key_id: lax(u, "accessKeyId"),
            invoked_by: lax(u, "invokedBy"),
            from_console: Flag(
                u.get("sessionCredentialFromConsole")
                    .is_some_and(|v| v == "true" || v == true),
            ),
            session_context: obj(u, "sessionContext", |c| SessionContext {
                attributes: obj(c, "attributes", |a| Attributes {
                    mfa_authenticated: lax(a, "mfaAuthenticated"),
                    creation_date: lax(a, "creationDate"),
                }),
                session_issuer: obj(c, "sessionIssuer", |i| Issuer { arn: lax(i, "arn") }),
            }),
        };
        Event {
            event_type: lax(v, "eventType"),
            event_id: lax(v, "eventID"),
            event_time: lax(v, "eventTime"),
            event_source: lax(v, "eventSource"),
            event_name: lax(v, "eventName"),
            aws_region: lax(v, "awsRegion"),
            source_ip: lax(v, "sourceIPAddress"),
            user_agent: lax(v, "userAgent"),
            vpc_endpoint_id: lax(v, "vpcEndpointId"),
            recipient_account_id: lax(v, "recipientAccountId"),
            error_code: lax(v, "errorCode"),
            invoked_by: lax(v, "invokedBy"),
            tls_details: Present(v.get("tlsDetails").is_some()),
            user_identity: obj(v, "userIdentity", u),
            additional_event_data: obj(v, "additionalEventData", |a| SignInData {
                mfa_used: lax(a, "MFAUsed"),
            }),
            response_elements: obj(v, "responseElements", |r| SignInResponse {
                console_login: lax(r, "ConsoleLogin"),
            }),
            request_parameters: None,
            resources: None,
            value: Some(v),
        }
    }

    /// `userIdentity.arn`, or `""`.
    pub fn caller_arn(&self) -> &str {
        self.user_identity.v.arn.get().unwrap_or("")
    }

    /// The first `resources[].ARN` recorded.
    fn resource_arn(&self) -> Option<String> {
        let first = |v: &Value| {
            v.as_array()
                .and_then(|rs| rs.iter().find_map(|r| r.get("ARN").and_then(Value::as_str)))
                .map(str::to_string)
        };
        match (self.value, self.resources) {
            (Some(v), _) => v.get("resources").and_then(first),
            (None, Some(raw)) => serde_json::from_str::<Value>(raw.get())
                .ok()
                .and_then(|v| first(&v)),
            (None, None) => None,
        }
    }

    /// The `requestParameters` members the resource rules read.
    fn params(&self) -> Params<'a> {
        if let Some(v) = self.value {
            return v
                .get("requestParameters")
                .map(Params::from_value)
                .unwrap_or_default();
        }
        let Some(raw) = self.request_parameters else {
            return Params::default();
        };
        if !raw.get().trim_start().starts_with('{') {
            return Params::default();
        }
        match serde_json::from_str::<Params<'a>>(raw.get()) {
            Ok(mut p) => {
                p.instance_id = p.instances_set.and_then(|r| {
                    serde_json::from_str::<Value>(r.get()).ok().and_then(|v| {
                        v.pointer("/items/0/instanceId")
                            .and_then(Value::as_str)
                            .map(|s| Cow::Owned(s.to_string()))
                    })
                });
                p
            }
            // A key given twice: read as `Value` does (the last one wins).
            Err(_) => match serde_json::from_str::<Value>(raw.get()) {
                Ok(v) => Params::from_value(&v).into_owned(),
                Err(_) => Params::default(),
            },
        }
    }
}

/// `requestParameters`, as far as the resource rules read it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct Params<'a> {
    #[serde(rename = "bucketName", borrow)]
    bucket_name: Lax<'a>,
    #[serde(borrow)]
    key: Lax<'a>,
    #[serde(rename = "userName", borrow)]
    user_name: Lax<'a>,
    #[serde(rename = "roleName", borrow)]
    role_name: Lax<'a>,
    #[serde(rename = "policyArn", borrow)]
    policy_arn: Lax<'a>,
    #[serde(rename = "groupName", borrow)]
    group_name: Lax<'a>,
    #[serde(rename = "roleArn", borrow)]
    role_arn: Lax<'a>,
    #[serde(rename = "keyId", borrow)]
    key_id: Lax<'a>,
    #[serde(rename = "secretId", borrow)]
    secret_id: Lax<'a>,
    #[serde(rename = "functionName", borrow)]
    function_name: Lax<'a>,
    #[serde(rename = "tableName", borrow)]
    table_name: Lax<'a>,
    #[serde(borrow)]
    name: Lax<'a>,
    #[serde(rename = "instancesSet", borrow)]
    instances_set: Option<&'a RawValue>,
    #[serde(skip)]
    instance_id: Option<Cow<'a, str>>,
}

impl<'a> Params<'a> {
    fn from_value(v: &'a Value) -> Params<'a> {
        let lax = |k: &str| Lax(v.get(k).and_then(Value::as_str).map(Cow::Borrowed));
        Params {
            bucket_name: lax("bucketName"),
            key: lax("key"),
            user_name: lax("userName"),
            role_name: lax("roleName"),
            policy_arn: lax("policyArn"),
            group_name: lax("groupName"),
            role_arn: lax("roleArn"),
            key_id: lax("keyId"),
            secret_id: lax("secretId"),
            function_name: lax("functionName"),
            table_name: lax("tableName"),
            name: lax("name"),
            instances_set: None,
            instance_id: v
                .pointer("/instancesSet/items/0/instanceId")
                .and_then(Value::as_str)
                .map(Cow::Borrowed),
        }
    }

    fn into_owned(self) -> Params<'static> {
        let o = |l: Lax<'_>| Lax(l.0.map(|c| Cow::Owned(c.into_owned())));
        Params {
            bucket_name: o(self.bucket_name),
            key: o(self.key),
            user_name: o(self.user_name),
            role_name: o(self.role_name),
            policy_arn: o(self.policy_arn),
            group_name: o(self.group_name),
            role_arn: o(self.role_arn),
            key_id: o(self.key_id),
            secret_id: o(self.secret_id),
            function_name: o(self.function_name),
            table_name: o(self.table_name),
            name: o(self.name),
            instances_set: None,
            instance_id: self.instance_id.map(|c| Cow::Owned(c.into_owned())),
        }
    }
}

// ---- From the event to the request ---------------------------------------------------------

/// The IAM action of a call: service prefix from `eventSource`, name from `eventName`.
pub fn action_of(event: &Event<'_>) -> Result<String, String> {
    let source = event.event_source.get().ok_or("no eventSource")?;
    let name = event.event_name.get().ok_or("no eventName")?;
    let Some(host) = source.strip_suffix(".amazonaws.com") else {
        return Err(format!(
            "eventSource \"{source}\" is not an AWS service endpoint"
        ));
    };
    let prefix = service_prefix(host);
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
    let mut a = String::with_capacity(prefix.len() + 1 + base.len());
    a.push_str(prefix);
    a.push(':');
    a.push_str(base);
    Ok(a)
}

/// The resource: `resources[].ARN` when recorded, else per-service rules on `requestParameters`,
/// else `*` (approximate).
pub fn resource_of(event: &Event<'_>, action: &str) -> (String, Mapping, Option<String>) {
    if let Some(arn) = event.resource_arn() {
        return (arn, Mapping::Exact, None);
    }
    let account = event.recipient_account_id.get().unwrap_or("*");
    let region = event.aws_region.get().unwrap_or("*");
    let partition = "aws";
    let (svc, name) = action.split_once(':').unwrap_or(("", ""));
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
    if takes_no_resource {
        return ("*".to_string(), Mapping::Exact, None);
    }
    let p = event.params();
    let arn_or = |v: &str, build: &dyn Fn(&str) -> String| {
        if v.starts_with("arn:") {
            v.to_string()
        } else {
            build(v)
        }
    };
    let found = match svc {
        "s3" => p.bucket_name.get().map(|b| match p.key.get() {
            Some(k) => format!("arn:{partition}:s3:::{b}/{k}"),
            None => format!("arn:{partition}:s3:::{b}"),
        }),
        "iam" => p
            .user_name
            .get()
            .map(|u| format!("arn:{partition}:iam::{account}:user/{u}"))
            .or_else(|| {
                p.role_name
                    .get()
                    .map(|r| format!("arn:{partition}:iam::{account}:role/{r}"))
            })
            .or_else(|| p.policy_arn.get().map(str::to_string))
            .or_else(|| {
                p.group_name
                    .get()
                    .map(|g| format!("arn:{partition}:iam::{account}:group/{g}"))
            }),
        "sts" => p.role_arn.get().map(str::to_string),
        "kms" => p.key_id.get().map(|k| {
            arn_or(k, &|k| {
                if k.starts_with("alias/") {
                    format!("arn:{partition}:kms:{region}:{account}:{k}")
                } else {
                    format!("arn:{partition}:kms:{region}:{account}:key/{k}")
                }
            })
        }),
        "secretsmanager" => p.secret_id.get().map(|x| {
            arn_or(x, &|x| {
                format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{x}")
            })
        }),
        "lambda" => p.function_name.get().map(|x| {
            arn_or(x, &|x| {
                format!("arn:{partition}:lambda:{region}:{account}:function:{x}")
            })
        }),
        "dynamodb" => p.table_name.get().map(|x| {
            arn_or(x, &|x| {
                format!("arn:{partition}:dynamodb:{region}:{account}:table/{x}")
            })
        }),
        "ssm" => p.name.get().map(|x| {
            arn_or(x, &|x| {
                format!(
                    "arn:{partition}:ssm:{region}:{account}:parameter/{}",
                    x.trim_start_matches('/')
                )
            })
        }),
        "ec2" => p
            .instance_id
            .as_deref()
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

/// The caller of an event, from `userIdentity`.
#[derive(Debug, Clone)]
pub struct Caller<'e> {
    /// The parsed caller (`None`: a service name iamsim cannot evaluate).
    pub principal: Option<Arc<Principal>>,
    /// The caller as recorded (the ARN, or the service name).
    pub label: &'e str,
    /// The credential preset.
    pub preset: Preset,
    /// The call was made without MFA.
    pub without_mfa: bool,
    /// The context keys its identity implies.
    pub keys: Vec<(EvKey, &'e str)>,
}

/// Parses a caller's ARN (the replay worker caches the answers).
pub type ParsePrincipal<'p> = dyn FnMut(&str) -> Result<Arc<Principal>, String> + 'p;

/// Parses a caller's ARN without a cache.
pub fn parse_principal(arn: &str) -> Result<Arc<Principal>, String> {
    Principal::parse(arn).map(Arc::new).map_err(|e| e.0)
}

/// The caller, the credential preset and whether the call was made without MFA, from
/// `userIdentity`.
pub fn caller_of<'e>(
    event: &'e Event<'_>,
    parse: &mut ParsePrincipal<'_>,
) -> Result<Caller<'e>, String> {
    if !event.user_identity.present {
        return Err("no userIdentity".into());
    }
    let u = &event.user_identity.v;
    let ty = u.ty.get().unwrap_or("");
    let key = u.access_key_id.get().unwrap_or("");
    let sc = &u.session_context.v;
    let mfa = sc.attributes.v.mfa_authenticated.get() == Some("true");
    let console = u.from_console.0
        || event
            .user_agent
            .get()
            .is_some_and(|a| a.contains("console.amazonaws.com") || a == "AWS Internal");
    let mut keys: Vec<(EvKey, &'e str)> = Vec::with_capacity(10);
    if let Some(t) = sc.attributes.v.creation_date.get() {
        keys.push((EvKey::TokenIssueTime, t));
    }
    let invoked_by = event
        .invoked_by
        .get()
        .filter(|x| x.ends_with(".amazonaws.com"));
    let arn = || u.arn.get().ok_or("userIdentity has no arn");
    let (arn, preset, without_mfa) = match ty {
        "IAMUser" | "Root" => {
            let arn = arn()?;
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
            let arn = arn()?;
            if let Some(issuer) = sc.session_issuer.v.arn.get() {
                keys.push((EvKey::PrincipalArn, issuer));
            }
            (arn, if mfa { Preset::RoleMfa } else { Preset::Role }, !mfa)
        }
        "FederatedUser" => {
            let arn = arn()?;
            let p = if mfa {
                Preset::SessionMfa
            } else {
                Preset::Session
            };
            (arn, p, !mfa)
        }
        "AWSService" => {
            let svc = u
                .invoked_by
                .get()
                .or(invoked_by)
                .ok_or("an AWSService identity without invokedBy")?;
            return Ok(Caller {
                principal: parse(svc).ok(),
                label: svc,
                preset: Preset::None,
                without_mfa: false,
                keys,
            });
        }
        other => {
            return Err(format!(
                "userIdentity type \"{other}\" is not a caller iamsim models"
            ))
        }
    };
    // A service acting with the caller's credentials: a forward access session.
    let preset = match invoked_by {
        Some(svc) => {
            keys.push((EvKey::CalledVia, svc));
            if matches!(
                preset,
                Preset::ConsoleMfa | Preset::SessionMfa | Preset::RoleMfa
            ) {
                Preset::ServiceMfa
            } else {
                Preset::Service
            }
        }
        None => preset,
    };
    let principal = parse(arn)?;
    Ok(Caller {
        principal: Some(principal),
        label: arn,
        preset,
        without_mfa,
        keys,
    })
}

/// The observed outcome from `errorCode`.
pub fn observed_of<'e>(event: &'e Event<'_>) -> (Observed, Option<&'e str>) {
    match event.error_code.get() {
        None => (Observed::Allowed, None),
        Some(c)
            if DENIED
                .iter()
                .any(|d| c == *d || c.ends_with(".AccessDenied"))
                || c.contains("AccessDenied") =>
        {
            (Observed::Denied, Some(c))
        }
        Some(c) => (Observed::Other, Some(c)),
    }
}

/// Context keys the event records.
fn event_keys<'e>(event: &'e Event<'_>, keys: &mut Vec<(EvKey, &'e str)>) {
    if let Some(t) = event.event_time.get() {
        keys.push((EvKey::CurrentTime, t));
    }
    if let Some(ip) = event
        .source_ip
        .get()
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
    {
        keys.push((EvKey::SourceIp, ip));
    }
    if let Some(r) = event.aws_region.get() {
        keys.push((EvKey::RequestedRegion, r));
    }
    if let Some(a) = event.user_agent.get() {
        keys.push((EvKey::UserAgent, a));
    }
    if let Some(v) = event.vpc_endpoint_id.get() {
        keys.push((EvKey::SourceVpce, v));
    }
    if event.tls_details.0 {
        keys.push((EvKey::SecureTransport, "true"));
    }
    if let Some(a) = event.recipient_account_id.get() {
        keys.push((EvKey::ResourceAccount, a));
    }
}

/// Maps one event (`parse` turns the caller's ARN into a principal).
pub fn map_event<'e>(event: &'e Event<'_>, parse: &mut ParsePrincipal<'_>) -> EventKind<'e> {
    let ty = event.event_type.get().unwrap_or("");
    if ty == "AwsConsoleSignIn" {
        let principal = event.user_identity.v.arn.get().unwrap_or("unknown");
        return EventKind::SignIn {
            principal,
            mfa_used: event.additional_event_data.v.mfa_used.get() == Some("Yes"),
            success: event.response_elements.v.console_login.get() == Some("Success"),
        };
    }
    if ty != "AwsApiCall" {
        return EventKind::Other(if ty.is_empty() { "no eventType" } else { ty });
    }
    let (observed, error_code) = observed_of(event);
    let mut me = MappedEvent {
        event_id: event.event_id.get().unwrap_or(""),
        event_time: event.event_time.get().unwrap_or(""),
        principal: None,
        principal_label: "",
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
    match caller_of(event, parse) {
        Ok(c) => {
            me.principal = c.principal;
            me.principal_label = c.label;
            me.preset = c.preset;
            me.without_mfa = c.without_mfa;
            me.keys = c.keys;
        }
        Err(why) => {
            me.reason = Some(why);
            return EventKind::Call(Box::new(me));
        }
    }
    match action_of(event) {
        Ok(a) => me.action = a,
        Err(why) => {
            me.reason = Some(why);
            return EventKind::Call(Box::new(me));
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
    EventKind::Call(Box::new(me))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actions_follow_the_iam_names() {
        let a = |src: &str, name: &str| {
            action_of(&Event::from_value(
                &json!({"eventSource": src, "eventName": name}),
            ))
        };
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
        let caller_of = |v: Value| {
            let e = Event::from_value(&v);
            caller_of(&e, &mut parse_principal).map(|c| {
                let keys: Vec<(String, String)> = c
                    .keys
                    .iter()
                    .map(|(k, v)| (k.name().to_string(), v.to_string()))
                    .collect();
                (
                    c.principal,
                    c.label.to_string(),
                    c.preset,
                    c.without_mfa,
                    keys,
                )
            })
        };
        let (_, _, p, nomfa, _) = caller_of(ev(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a", "accessKeyId": "AKIAX"}))).unwrap();
        assert_eq!((p, nomfa), (Preset::AccessKeys, true));
        let (_, _, p, _, _) = caller_of(ev(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a", "accessKeyId": "ASIAX", "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}, "sessionCredentialFromConsole": "true"}))).unwrap();
        assert_eq!(p, Preset::ConsoleMfa);
        let (_, _, p, _, keys) = caller_of(ev(json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/R/s", "accessKeyId": "ASIAX", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/R"}, "attributes": {"mfaAuthenticated": "false"}}}))).unwrap();
        assert_eq!(p, Preset::Role);
        assert!(keys.iter().any(|(k, _)| k == "aws:PrincipalArn"));
    }

    #[test]
    fn denied_error_codes_are_denials_and_others_are_not_outcomes() {
        let observed = |v: Value| observed_of(&Event::from_value(&v)).0;
        assert_eq!(
            observed(json!({"errorCode": "AccessDenied"})),
            Observed::Denied
        );
        assert_eq!(
            observed(json!({"errorCode": "Client.UnauthorizedOperation"})),
            Observed::Denied
        );
        assert_eq!(observed(json!({"errorCode": "NoSuchKey"})), Observed::Other);
        assert_eq!(observed(json!({})), Observed::Allowed);
    }

    /// The typed reader and the `Value` reader see the same event, whatever the odd record.
    #[test]
    fn the_typed_reader_agrees_with_value_on_odd_records() {
        let base = r#""eventType": "AwsApiCall", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1", "recipientAccountId": "111122223333""#;
        let user = r#""userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a", "accessKeyId": "ASIAX", "sessionCredentialFromConsole": true, "sessionContext": {"attributes": {"mfaAuthenticated": "true", "creationDate": "2026-12-01T08:00:00Z"}}}"#;
        let odd = [
            format!(r#"{{{base}, {user}, "eventTime": 5, "tlsDetails": null}}"#),
            format!(r#"{{{base}, "userIdentity": "x"}}"#),
            format!(r#"{{{base}, "userIdentity": null}}"#),
            format!(r#"{{{base}, {user}, "requestParameters": ["b", "k"]}}"#),
            format!(r#"{{{base}, {user}, "requestParameters": {{"bucketName": "b", "bucketName": "c", "key": "k"}}}}"#),
            format!(r#"{{{base}, {user}, "requestParameters": {{"bucketName": "b\u00e9", "key": "a\"b"}}}}"#),
            format!(r#"{{{base}, {user}, "resources": [{{"ARN": 5}}, {{"ARN": "arn:aws:s3:::x/y"}}]}}"#),
            format!(r#"{{{base}, {user}, "resources": {{"ARN": "arn:aws:s3:::x/y"}}}}"#),
            format!(r#"{{{base}, {user}, "invokedBy": "athena.amazonaws.com", "sourceIPAddress": "athena.amazonaws.com"}}"#),
            r#"{"eventType": "AwsApiCall", "eventSource": "ec2.amazonaws.com", "eventName": "StopInstances", "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/R/s", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/R"}, "attributes": []}}, "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-1"}]}}}"#.to_string(),
            r#"{"eventType": "AwsConsoleSignIn", "userIdentity": {"arn": "arn:aws:iam::111122223333:user/a"}, "additionalEventData": {"MFAUsed": "No"}, "responseElements": {"ConsoleLogin": "Success"}}"#.to_string(),
            r#"{"eventType": 7}"#.to_string(),
        ];
        for text in &odd {
            let mut fallback = None;
            let typed = Event::parse(text, &mut fallback).unwrap().unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            let viewed = Event::from_value(&value);
            let a = format!("{:?}", map_event(&typed, &mut parse_principal));
            let b = format!("{:?}", map_event(&viewed, &mut parse_principal));
            assert_eq!(a, b, "{text}");
        }
        // The escaped key and the last of two `bucketName`s are read as JSON reads them.
        let mut fallback = None;
        let e = Event::parse(&odd[5], &mut fallback).unwrap().unwrap();
        assert_eq!(
            resource_of(&e, "s3:GetObject").0,
            "arn:aws:s3:::b\u{e9}/a\"b"
        );
        let e = Event::parse(&odd[4], &mut fallback).unwrap().unwrap();
        assert_eq!(resource_of(&e, "s3:GetObject").0, "arn:aws:s3:::c/k");
        // Not an object, not JSON.
        assert!(Event::parse("[1]", &mut None).unwrap().is_none());
        assert!(Event::parse("{", &mut None).is_err());
    }

    /// Every prefix the event-source tables name is a service of the action catalog.
    #[test]
    fn every_mapped_service_prefix_is_in_the_catalog() {
        let cat = crate::catalog::catalog();
        let tables = super::super::services::CLOUDTRAIL_SERVICES
            .iter()
            .chain(EXTRA_SOURCES);
        let missing: Vec<_> = tables.filter(|(_, p)| cat.service(p).is_none()).collect();
        assert!(missing.is_empty(), "not in the catalog: {missing:?}");
        assert_eq!(service_prefix("monitoring"), "cloudwatch");
        assert_eq!(service_prefix("tagging"), "tag");
        assert_eq!(service_prefix("kms"), "kms");
    }
}
