//! Reading `aws iam get-account-authorization-details` output: users, groups, roles and managed
//! policies (only the default version of each applies). Policy documents may be JSON objects or
//! URL-encoded JSON strings, as the API returns them.

use crate::diag::InputError;
use crate::json::{self, Json, JsonKind, Pos};
use crate::policy::{parse_policy, ParseOptions, Policy, PolicyKind};
use rustc_hash::FxHashMap;

/// A policy reference by name and, where stored, its parsed document.
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    /// The inline policy name or managed policy ARN.
    pub name: String,
    /// The policy.
    pub policy: Policy,
}

/// An IAM user from the export.
#[derive(Debug, Clone)]
pub struct User {
    /// The user name.
    pub name: String,
    /// The ARN (with path).
    pub arn: String,
    /// Inline policies.
    pub inline: Vec<NamedPolicy>,
    /// Attached managed policy ARNs.
    pub managed: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// Permissions boundary ARN.
    pub boundary: Option<String>,
}

/// An IAM group.
#[derive(Debug, Clone)]
pub struct Group {
    /// The group name.
    pub name: String,
    /// Inline policies.
    pub inline: Vec<NamedPolicy>,
    /// Attached managed policy ARNs.
    pub managed: Vec<String>,
}

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    /// The role name.
    pub name: String,
    /// The ARN (with path).
    pub arn: String,
    /// The trust policy.
    pub trust: Option<Policy>,
    /// Inline policies.
    pub inline: Vec<NamedPolicy>,
    /// Attached managed policy ARNs.
    pub managed: Vec<String>,
    /// Permissions boundary ARN.
    pub boundary: Option<String>,
}

/// The whole export, merged across pages.
#[derive(Debug, Clone, Default)]
pub struct AccountExport {
    /// Users.
    pub users: Vec<User>,
    /// Groups by name.
    pub groups: FxHashMap<String, Group>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Managed policies by ARN (default version).
    pub policies: FxHashMap<String, Policy>,
    /// Problems that did not stop the audit (missing policies or groups, ...).
    pub notes: Vec<String>,
}

/// Decodes `%XX` escapes (and `+` as space, as form encoding does).
pub fn url_decode(s: &str) -> Option<String> {
    // percent-encoding passes a malformed escape through unchanged; a document with one is not
    // URL-encoded at all, so refuse it instead.
    let b = s.as_bytes();
    let well_formed = b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    // `+` is how form encoding writes a space; AWS's RFC 3986 encoding writes a literal `+` as %2B.
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

struct Reader<'a> {
    file: &'a str,
    export: &'a mut AccountExport,
}

impl Reader<'_> {
    fn err(&self, pos: Pos, path: &str, msg: impl Into<String>) -> InputError {
        InputError {
            file: self.file.to_string(),
            pos,
            path: path.to_string(),
            message: msg.into(),
        }
    }

    fn str_field(&self, j: &Json, key: &str, path: &str) -> Result<String, InputError> {
        match j.get(key) {
            Some(v) => v.as_str().map(str::to_string).ok_or_else(|| {
                self.err(
                    v.pos,
                    &format!("{path}.{key}"),
                    format!("\"{key}\" must be a string"),
                )
            }),
            None => Err(self.err(j.pos, path, format!("missing \"{key}\""))),
        }
    }

    fn document(
        &self,
        v: &Json,
        path: &str,
        name: &str,
        kind: PolicyKind,
    ) -> Result<Policy, InputError> {
        let parsed;
        let j = match &v.kind {
            JsonKind::Object(_) => v,
            JsonKind::String(s) => {
                let text = if s.trim_start().starts_with('{') {
                    s.clone()
                } else {
                    url_decode(s).ok_or_else(|| {
                        self.err(
                            v.pos,
                            path,
                            "the policy document is neither JSON nor URL-encoded JSON",
                        )
                    })?
                };
                parsed = json::parse(&text).map_err(|e| {
                    self.err(
                        v.pos,
                        path,
                        format!(
                            "policy document (URL-decoded) is not valid JSON: {} at {}",
                            e.message, e.pos
                        ),
                    )
                })?;
                &parsed
            }
            _ => {
                return Err(self.err(
                    v.pos,
                    path,
                    "a policy document must be an object or a (URL-encoded) JSON string",
                ))
            }
        };
        let label = format!("{}:{} ({name})", self.file, v.pos);
        let (mut p, _) =
            parse_policy(j, &label, name, kind, ParseOptions::default()).map_err(|ds| {
                let d = crate::diag::first_error(&ds);
                self.err(v.pos, path, format!("invalid policy {name}: {}", d))
            })?;
        p.file = self.file.to_string();
        if !matches!(v.kind, JsonKind::Object(_)) {
            for s in &mut p.statements {
                s.pos = v.pos;
                s.end = v.end;
            }
        }
        Ok(p)
    }

    /// A list field: absent is empty; anything but an array is an error (an object where a
    /// list belongs would otherwise drop its contents silently).
    fn list<'j>(&self, j: &'j Json, key: &str, path: &str) -> Result<&'j [Json], InputError> {
        match j.get(key) {
            None
            | Some(Json {
                kind: JsonKind::Null,
                ..
            }) => Ok(&[]),
            Some(Json {
                kind: JsonKind::Array(items),
                ..
            }) => Ok(items),
            Some(v) => Err(self.err(
                v.pos,
                &join_path(path, key),
                format!("\"{key}\" must be a list, found {}", v.type_name()),
            )),
        }
    }

    fn inline(
        &self,
        j: &Json,
        list_key: &str,
        path: &str,
        owner: &str,
    ) -> Result<Vec<NamedPolicy>, InputError> {
        let mut out = Vec::new();
        {
            for (i, it) in self.list(j, list_key, path)?.iter().enumerate() {
                let p = format!("{path}.{list_key}[{i}]");
                let name = self.str_field(it, "PolicyName", &p)?;
                let doc = it
                    .get("PolicyDocument")
                    .ok_or_else(|| self.err(it.pos, &p, "missing \"PolicyDocument\""))?;
                let label = format!("{owner}/{name}");
                out.push(NamedPolicy {
                    policy: self.document(
                        doc,
                        &format!("{p}.PolicyDocument"),
                        &label,
                        PolicyKind::Identity,
                    )?,
                    name: label,
                });
            }
        }
        Ok(out)
    }

    fn managed(&self, j: &Json, path: &str) -> Result<Vec<String>, InputError> {
        let mut out = Vec::new();
        {
            for (i, it) in self
                .list(j, "AttachedManagedPolicies", path)?
                .iter()
                .enumerate()
            {
                out.push(self.str_field(
                    it,
                    "PolicyArn",
                    &format!("{path}.AttachedManagedPolicies[{i}]"),
                )?);
            }
        }
        Ok(out)
    }

    fn boundary(&self, j: &Json) -> Option<String> {
        j.get("PermissionsBoundary")?
            .get("PermissionsBoundaryArn")?
            .as_str()
            .map(str::to_string)
    }

    fn read(&mut self, root: &Json) -> Result<(), InputError> {
        const KEYS: &[&str] = &[
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
            "IsTruncated",
            "Marker",
        ];
        let Some(members) = root.as_object() else {
            return Err(self.err(root.pos, "", "the export must be a JSON object (aws iam get-account-authorization-details output)"));
        };
        // Something that is not an export (a policy, `{}`, lower-cased keys) must not audit
        // as "0 users, 0 findings".
        if !members.iter().any(|m| KEYS[..4].contains(&m.key.as_str())) {
            let hint = members
                .iter()
                .find_map(|m| {
                    crate::diag::did_you_mean(&m.key, KEYS.iter().copied()).map(|k| (m, k))
                })
                .map(|(m, k)| format!(" (found \"{}\": did you mean \"{k}\"?)", m.key))
                .unwrap_or_default();
            return Err(self.err(root.pos, "", format!("this is not an authorization-details export: it has none of UserDetailList, GroupDetailList, RoleDetailList, Policies{hint}; produce it with `aws iam get-account-authorization-details`")));
        }
        {
            for (i, it) in self.list(root, "Policies", "")?.iter().enumerate() {
                let path = format!("Policies[{i}]");
                let arn = self.str_field(it, "Arn", &path)?;
                let versions = self.list(it, "PolicyVersionList", &path)?;
                let default = versions.iter().enumerate().find(|(_, v)| {
                    matches!(
                        v.get("IsDefaultVersion").map(|b| &b.kind),
                        Some(JsonKind::Bool(true))
                    )
                });
                match default {
                    Some((vi, v)) => {
                        let doc = v.get("Document").ok_or_else(|| self.err(v.pos, &format!("{path}.PolicyVersionList[{vi}]"), "missing \"Document\""))?;
                        let p = self.document(doc, &format!("{path}.PolicyVersionList[{vi}].Document"), &arn, PolicyKind::Identity)?;
                        self.export.policies.insert(arn, p);
                    }
                    None => self.export.notes.push(format!("{}:{}: managed policy {arn} has no default version in PolicyVersionList; it is ignored", self.file, it.pos)),
                }
            }
        }
        {
            for (i, it) in self.list(root, "GroupDetailList", "")?.iter().enumerate() {
                let path = format!("GroupDetailList[{i}]");
                let name = self.str_field(it, "GroupName", &path)?;
                let g = Group {
                    inline: self.inline(it, "GroupPolicyList", &path, &format!("group/{name}"))?,
                    managed: self.managed(it, &path)?,
                    name: name.clone(),
                };
                self.export.groups.insert(name, g);
            }
        }
        {
            for (i, it) in self.list(root, "UserDetailList", "")?.iter().enumerate() {
                let path = format!("UserDetailList[{i}]");
                let name = self.str_field(it, "UserName", &path)?;
                let arn = self.str_field(it, "Arn", &path)?;
                let groups = self
                    .list(it, "GroupList", &path)?
                    .iter()
                    .enumerate()
                    .map(|(gi, g)| {
                        g.as_str().map(str::to_string).ok_or_else(|| {
                            self.err(
                                g.pos,
                                &format!("{path}.GroupList[{gi}]"),
                                format!(
                                    "a GroupList entry is a group name (a string), found {}",
                                    g.type_name()
                                ),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.export.users.push(User {
                    inline: self.inline(it, "UserPolicyList", &path, &format!("user/{name}"))?,
                    managed: self.managed(it, &path)?,
                    boundary: self.boundary(it),
                    groups,
                    name,
                    arn,
                });
            }
        }
        {
            for (i, it) in self.list(root, "RoleDetailList", "")?.iter().enumerate() {
                let path = format!("RoleDetailList[{i}]");
                let name = self.str_field(it, "RoleName", &path)?;
                let arn = self.str_field(it, "Arn", &path)?;
                let trust = match it.get("AssumeRolePolicyDocument") {
                    Some(d) => Some(self.document(
                        d,
                        &format!("{path}.AssumeRolePolicyDocument"),
                        &format!("role/{name}/trust"),
                        PolicyKind::Resource,
                    )?),
                    None => None,
                };
                self.export.roles.push(Role {
                    inline: self.inline(it, "RolePolicyList", &path, &format!("role/{name}"))?,
                    managed: self.managed(it, &path)?,
                    boundary: self.boundary(it),
                    trust,
                    name,
                    arn,
                });
            }
        }
        Ok(())
    }
}

impl AccountExport {
    /// Adds one file of the export (several pages may be given).
    pub fn add_text(&mut self, text: &str, file: &str) -> Result<(), InputError> {
        let root = crate::scenario::parse_json_text(text, file)?;
        Reader { file, export: self }.read(&root)
    }

    /// The account ID, from the first user or role ARN.
    pub fn account(&self) -> Option<String> {
        self.users
            .iter()
            .map(|u| &u.arn)
            .chain(self.roles.iter().map(|r| &r.arn))
            .find_map(|a| crate::values::account::arn_account(a).map(str::to_string))
    }

    /// Every account of the export's users and roles, most frequent first.
    pub fn accounts(&self) -> Vec<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for a in self
            .users
            .iter()
            .map(|u| &u.arn)
            .chain(self.roles.iter().map(|r| &r.arn))
            .filter_map(|a| crate::values::account::arn_account(a))
        {
            match counts.iter_mut().find(|(x, _)| x == a) {
                Some((_, n)) => *n += 1,
                None => counts.push((a.to_string(), 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts.into_iter().map(|(a, _)| a).collect()
    }

    /// Resolves a managed policy ARN, noting a missing one.
    pub fn managed_policy(
        &self,
        arn: &str,
        referrer: &str,
        notes: &mut Vec<String>,
    ) -> Option<Policy> {
        match self.policies.get(arn) {
            Some(p) => Some(p.clone()),
            None => {
                notes.push(format!("{referrer} references managed policy {arn}, which is not in the export's Policies list (export with --filter LocalManagedPolicy AWSManagedPolicy to include it); it is left out"));
                None
            }
        }
    }

    /// Every identity policy that applies to a user: inline, attached, and its groups'.
    pub fn user_policies(&self, u: &User, notes: &mut Vec<String>) -> Vec<Policy> {
        let mut out: Vec<Policy> = u.inline.iter().map(|n| n.policy.clone()).collect();
        for arn in &u.managed {
            out.extend(self.managed_policy(arn, &format!("user {}", u.name), notes));
        }
        for g in &u.groups {
            match self.groups.get(g) {
                Some(group) => {
                    out.extend(group.inline.iter().map(|n| n.policy.clone()));
                    for arn in &group.managed {
                        out.extend(self.managed_policy(arn, &format!("group {g}"), notes));
                    }
                }
                None => notes.push(format!("user {} is in group {g}, which is not in the export's GroupDetailList; its policies are left out", u.name)),
            }
        }
        out
    }

    /// Every identity policy of a role.
    pub fn role_policies(&self, r: &Role, notes: &mut Vec<String>) -> Vec<Policy> {
        let mut out: Vec<Policy> = r.inline.iter().map(|n| n.policy.clone()).collect();
        for arn in &r.managed {
            out.extend(self.managed_policy(arn, &format!("role {}", r.name), notes));
        }
        out
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_documents_decode() {
        assert_eq!(
            url_decode("%7B%22a%22%3A1%7D").as_deref(),
            Some("{\"a\":1}")
        );
        assert!(url_decode("%zz").is_none());
    }

    #[test]
    fn only_the_default_policy_version_applies() {
        let mut e = AccountExport::default();
        e.add_text(
            r#"{"Policies":[{"Arn":"arn:aws:iam::111122223333:policy/p","PolicyVersionList":[
                {"VersionId":"v1","IsDefaultVersion":false,"Document":{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}},
                {"VersionId":"v2","IsDefaultVersion":true,"Document":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%7D"}]}]}"#,
            "export.json",
        )
        .unwrap();
        let p = &e.policies["arn:aws:iam::111122223333:policy/p"];
        assert_eq!(p.statements[0].action.patterns, vec!["s3:GetObject"]);
    }

    #[test]
    fn missing_groups_and_policies_are_noted_not_fatal() {
        let mut e = AccountExport::default();
        e.add_text(r#"{"UserDetailList":[{"UserName":"a","Arn":"arn:aws:iam::111122223333:user/a","GroupList":["ghost"],"AttachedManagedPolicies":[{"PolicyName":"x","PolicyArn":"arn:aws:iam::aws:policy/x"}],"Unknown":1}]}"#, "e.json").unwrap();
        let mut notes = Vec::new();
        let ps = e.user_policies(&e.users[0], &mut notes);
        assert!(ps.is_empty());
        assert_eq!(notes.len(), 2);
        assert!(notes[0].contains("arn:aws:iam::aws:policy/x") && notes[1].contains("ghost"));
    }
}
