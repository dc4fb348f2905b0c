//! The IAM credential report (`aws iam get-credential-report`), as CSV or its base64 form.

use crate::cases::InputError;
use crate::json::Pos;

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// `user` (`<root_account>` for root).
    pub user: String,
    /// `arn`.
    pub arn: String,
    /// The user has a console password (`not_supported` for root counts as true).
    pub password_enabled: bool,
    /// An MFA device is enabled.
    pub mfa_active: bool,
    /// Access key 1 is active.
    pub key1_active: bool,
    /// Access key 2 is active.
    pub key2_active: bool,
}

impl CredentialRow {
    /// Whether the row is the root user.
    pub fn is_root(&self) -> bool {
        self.user == "<root_account>" || self.arn.ends_with(":root")
    }

    /// Whether any access key is active.
    pub fn has_active_key(&self) -> bool {
        self.key1_active || self.key2_active
    }
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn truthy(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("not_supported")
}

/// Parses the report text (CSV, or base64 of it as the API returns it). CRLF line ends and
/// upper- or lower-case booleans are accepted.
pub fn parse_credential_report(text: &str, file: &str) -> Result<Vec<CredentialRow>, InputError> {
    let err = |line: u32, msg: String| InputError {
        file: file.to_string(),
        pos: Pos {
            line,
            col: 1,
            offset: 0,
        },
        path: String::new(),
        message: msg,
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let decoded;
    let csv = if trimmed.starts_with("user,") || trimmed.is_empty() {
        trimmed
    } else {
        let compact: String = trimmed.split_whitespace().collect();
        let bytes = crate::values::base64_decode(&compact).ok_or_else(|| err(1, "not a credential report: expected a CSV header starting with \"user,\" or its base64 form".into()))?;
        decoded = String::from_utf8(bytes)
            .map_err(|_| err(1, "the base64 content is not UTF-8 text".into()))?;
        if !decoded.starts_with("user,") {
            return Err(err(
                1,
                "the base64 content is not a credential report (no \"user,\" header)".into(),
            ));
        }
        decoded.as_str()
    };
    if csv.is_empty() {
        return Ok(Vec::new());
    }
    let mut lines = csv.lines();
    let header: Vec<String> = split_csv(lines.next().unwrap_or("").trim_end_matches('\r'));
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(cu), Some(ca), Some(cp), Some(cm)) = (
        col("user"),
        col("arn"),
        col("password_enabled"),
        col("mfa_active"),
    ) else {
        return Err(err(
            1,
            "the report header lacks user, arn, password_enabled or mfa_active".into(),
        ));
    };
    let (k1, k2) = (col("access_key_1_active"), col("access_key_2_active"));
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        let get = |c: usize| f.get(c).map(String::as_str).unwrap_or("");
        if f.len() < header.len().min(4) {
            return Err(err(
                i as u32 + 2,
                format!("row has {} fields, the header {}", f.len(), header.len()),
            ));
        }
        rows.push(CredentialRow {
            user: get(cu).to_string(),
            arn: get(ca).to_string(),
            password_enabled: truthy(get(cp)),
            mfa_active: truthy(get(cm)),
            key1_active: k1.is_some_and(|c| truthy(get(c))),
            key2_active: k2.is_some_and(|c| truthy(get(c))),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    #[test]
    fn csv_with_crlf_and_uppercase_booleans_parses() {
        let text = format!("{HEADER}\r\nalice,arn:aws:iam::111122223333:user/alice,2020-01-01T00:00:00+00:00,TRUE,N/A,N/A,N/A,FALSE,true,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\r\n");
        let rows = parse_credential_report(&text, "r.csv").unwrap();
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0].password_enabled
                && !rows[0].mfa_active
                && rows[0].key1_active
                && !rows[0].key2_active
        );
    }

    #[test]
    fn base64_form_and_empty_report_are_accepted() {
        let csv = format!("{HEADER}\n<root_account>,arn:aws:iam::111122223333:root,x,not_supported,x,not_supported,not_supported,true,false,x,x,x,x,false,x,x,x,x,false,x,false,x\n");
        let b64 = base64(csv.as_bytes());
        let rows = parse_credential_report(&b64, "r.b64").unwrap();
        assert!(rows[0].is_root() && rows[0].mfa_active);
        assert!(parse_credential_report("", "empty.csv").unwrap().is_empty());
        assert!(parse_credential_report("hello", "x").is_err());
    }

    fn base64(b: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in b.chunks(3) {
            let n = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= c.len() {
                    s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    }
}
