//! The `organization` scenario field (cases.md): the organization id and its member accounts
//! with their OU paths, from which the request context gets `aws:PrincipalOrgID`,
//! `aws:PrincipalOrgPaths`, `aws:ResourceOrgID` and `aws:ResourceOrgPaths` (semantics §4.1).
//!
//! ```json
//! "organization": {"id": "o-a1b2c3d4e5",
//!                  "accounts": {"111122223333": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}}
//! ```

use crate::context::Organization;
use crate::diag::InputError;
use crate::json::{Json, JsonKind};

const FIELD: &str = "organization";

/// Whether `id` is an organization id: `o-` followed by 10 to 32 lower-case letters or digits.
pub fn is_organization_id(id: &str) -> bool {
    id.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// The `organization` field of a scenario: absent or `null` means none.
pub fn read_field(v: Option<&Json>, file: &str) -> Result<Option<Organization>, InputError> {
    match v {
        None => Ok(None),
        Some(v) if matches!(v.kind, JsonKind::Null) => Ok(None),
        Some(v) => read_organization(v, file).map(Some),
    }
}

/// Reads and validates an `organization` value: an object with a string `id` (`o-` and 10 to 32
/// lower-case letters or digits) and `accounts`, an object from 12-digit account ids to OU-path
/// strings. Errors name the JSON path (`organization.accounts.111122223333`).
pub fn read_organization(v: &Json, file: &str) -> Result<Organization, InputError> {
    let err = |at: &Json, path: &str, msg: String| InputError::at(file, at.pos, path, msg);
    let Some(members) = v.as_object() else {
        return Err(err(
            v,
            FIELD,
            format!(
                "\"organization\" must be an object {{\"id\": \"o-...\", \"accounts\": {{...}}}}, found {}",
                v.type_name()
            ),
        ));
    };
    let mut id = None;
    let mut accounts = None;
    for m in members {
        let path = format!("{FIELD}.{}", m.key);
        let dup = match m.key.as_str() {
            "id" => id.is_some(),
            "accounts" => accounts.is_some(),
            other => {
                let hint = crate::diag::did_you_mean(other, ["id", "accounts"])
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                return Err(InputError::at(
                    file,
                    m.key_pos,
                    &path,
                    format!(
                        "unknown field \"{other}\" in \"organization\"{hint}; it has \"id\" and \"accounts\""
                    ),
                ));
            }
        };
        if dup {
            return Err(InputError::at(
                file,
                m.key_pos,
                &path,
                format!("\"{}\" appears twice in \"organization\"", m.key),
            ));
        }
        if m.key == "id" {
            let Some(s) = m.value.as_str() else {
                return Err(err(
                    &m.value,
                    &path,
                    format!(
                        "\"organization.id\" must be a string, found {}",
                        m.value.type_name()
                    ),
                ));
            };
            if !is_organization_id(s) {
                return Err(err(
                    &m.value,
                    &path,
                    format!(
                        "\"organization.id\" must be \"o-\" followed by 10 to 32 lower-case letters or digits, found \"{s}\""
                    ),
                ));
            }
            id = Some(s.to_string());
        } else {
            accounts = Some(read_accounts(&m.value, file)?);
        }
    }
    let missing = |name: &str| err(v, FIELD, format!("\"organization\" has no \"{name}\""));
    Ok(Organization {
        id: id.ok_or_else(|| missing("id"))?,
        accounts: accounts.ok_or_else(|| missing("accounts"))?,
    })
}

fn read_accounts(
    v: &Json,
    file: &str,
) -> Result<std::collections::BTreeMap<String, String>, InputError> {
    let path = format!("{FIELD}.accounts");
    let JsonKind::Object(members) = &v.kind else {
        return Err(InputError::at(
            file,
            v.pos,
            &path,
            format!(
                "\"organization.accounts\" must be an object from account ids to OU paths, found {}",
                v.type_name()
            ),
        ));
    };
    let mut out = std::collections::BTreeMap::new();
    for m in members {
        let at = format!("{path}.{}", m.key);
        if !crate::values::is_account_id(&m.key) {
            return Err(InputError::at(
                file,
                m.key_pos,
                &at,
                format!(
                    "an account id in \"organization.accounts\" must be 12 digits, found \"{}\"",
                    m.key
                ),
            ));
        }
        let Some(ou_path) = m.value.as_str() else {
            return Err(InputError::at(
                file,
                m.value.pos,
                &at,
                format!(
                    "the OU path of account {} must be a string such as \"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/\", found {}",
                    m.key,
                    m.value.type_name()
                ),
            ));
        };
        if out.insert(m.key.clone(), ou_path.to_string()).is_some() {
            return Err(InputError::at(
                file,
                m.key_pos,
                &at,
                format!(
                    "account {} appears twice in \"organization.accounts\"",
                    m.key
                ),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Organization, InputError> {
        read_organization(&crate::json::parse(text).unwrap(), "c.json")
    }

    #[test]
    fn organization_with_id_and_member_accounts_is_read() {
        let o = read(
            r#"{"id": "o-a1b2c3d4e5", "accounts": {"111122223333": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", "444455556666": "o-a1b2c3d4e5/r-ab12/"}}"#,
        )
        .unwrap();
        assert_eq!(o.id, "o-a1b2c3d4e5");
        assert_eq!(
            o.path("111122223333"),
            Some("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/")
        );
        assert_eq!(o.path("444455556666"), Some("o-a1b2c3d4e5/r-ab12/"));
        assert_eq!(o.path("777788889999"), None);
        assert!(read(r#"{"id": "o-a1b2c3d4e5", "accounts": {}}"#).is_ok());
    }

    #[test]
    fn organization_id_must_be_o_dash_and_10_to_32_lower_case_letters_or_digits() {
        assert!(is_organization_id("o-a1b2c3d4e5"));
        assert!(is_organization_id(&format!("o-{}", "a".repeat(32))));
        assert!(!is_organization_id("o-a1b2c3d4e"));
        assert!(!is_organization_id(&format!("o-{}", "a".repeat(33))));
        assert!(!is_organization_id("o-A1B2C3D4E5"));
        assert!(!is_organization_id("a1b2c3d4e5xx"));
        let e = read(r#"{"id": "o-short", "accounts": {}}"#).unwrap_err();
        assert_eq!(e.path, "organization.id");
        assert!(e.message.contains("found \"o-short\""), "{e}");
        assert_eq!((e.pos.line, e.pos.col), (1, 8));
    }

    #[test]
    fn wrong_types_in_organization_are_errors_with_the_json_path() {
        let cases = [
            (r#"["o-a1b2c3d4e5"]"#, "organization", "must be an object"),
            (
                r#"{"id": 12, "accounts": {}}"#,
                "organization.id",
                "must be a string, found a number",
            ),
            (
                r#"{"id": "o-a1b2c3d4e5", "accounts": ["111122223333"]}"#,
                "organization.accounts",
                "must be an object",
            ),
            (
                r#"{"id": "o-a1b2c3d4e5", "accounts": {"1111": "o-a1b2c3d4e5/r-ab12/"}}"#,
                "organization.accounts.1111",
                "must be 12 digits",
            ),
            (
                r#"{"id": "o-a1b2c3d4e5", "accounts": {"111122223333": ["o-a1b2c3d4e5/r-ab12/"]}}"#,
                "organization.accounts.111122223333",
                "must be a string",
            ),
            (
                r#"{"id": "o-a1b2c3d4e5", "accounts": {"111122223333": "a/", "111122223333": "b/"}}"#,
                "organization.accounts.111122223333",
                "appears twice",
            ),
            (
                r#"{"id": "o-a1b2c3d4e5", "acounts": {}}"#,
                "organization.acounts",
                "did you mean \"accounts\"",
            ),
            (r#"{"accounts": {}}"#, "organization", "has no \"id\""),
            (
                r#"{"id": "o-a1b2c3d4e5"}"#,
                "organization",
                "has no \"accounts\"",
            ),
        ];
        for (text, path, msg) in cases {
            let e = read(text).unwrap_err();
            assert_eq!(e.path, path, "{text}: {e}");
            assert!(e.message.contains(msg), "{text}: {e}");
        }
    }
}
