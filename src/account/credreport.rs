//! The IAM credential report (`aws iam get-credential-report`), as CSV or its base64 form.

use crate::diag::InputError;
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

fn truthy(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("not_supported")
}

/// The CSV text of a report given as CSV, as its base64 form, or as the JSON that
/// `aws iam get-credential-report` prints (`{"Content": "<base64>", "ReportFormat": "text/csv"}`).
fn report_csv(text: &str, file: &str) -> Result<String, InputError> {
    let err = |msg: &str| InputError::whole(file, msg);
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with("user,") || trimmed.is_empty() {
        return Ok(trimmed.to_string());
    }
    let b64 = if trimmed.starts_with('{') {
        let j = crate::scenario::parse_json_text(trimmed, file)?;
        let content = j.get("Content").ok_or_else(|| {
            InputError::at(
                file,
                j.pos,
                "Content",
                "not a credential report: the JSON output of aws iam get-credential-report has \"Content\" (the base64 report)",
            )
        })?;
        if let Some(f) = j.get("ReportFormat").and_then(|f| f.as_str()) {
            if f != "text/csv" {
                return Err(InputError::at(
                    file,
                    j.pos,
                    "ReportFormat",
                    format!("ReportFormat \"{f}\" is not text/csv"),
                ));
            }
        }
        crate::scenario::expect_str(content, file, "Content")?.to_string()
    } else {
        trimmed.to_string()
    };
    let compact: String = b64.split_whitespace().collect();
    let bytes = crate::values::base64_decode(&compact).ok_or_else(|| {
        err("not a credential report: expected a CSV header starting with \"user,\", its base64 form, or the JSON output of aws iam get-credential-report")
    })?;
    let decoded =
        String::from_utf8(bytes).map_err(|_| err("the base64 content is not UTF-8 text"))?;
    if !decoded.starts_with("user,") {
        return Err(err(
            "the base64 content is not a credential report (no \"user,\" header)",
        ));
    }
    Ok(decoded)
}

/// Parses the report (see `report_csv` for the forms accepted). The CSV is read by the `csv`
/// crate: quoted fields may hold commas and newlines, and CRLF, LF or a lone CR end a row. A
/// row whose field count differs from the header's is an error naming its line: reading the
/// missing columns as `false` would make a finding disappear.
pub fn parse_credential_report(text: &str, file: &str) -> Result<Vec<CredentialRow>, InputError> {
    let csv_text = report_csv(text, file)?;
    if csv_text.is_empty() {
        return Ok(Vec::new());
    }
    let at_line = |line: u64, msg: String| {
        InputError::at(
            file,
            Pos {
                line: line as u32,
                col: 1,
                offset: 0,
            },
            "",
            msg,
        )
    };
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let header: Vec<String> = rd
        .headers()
        .map_err(|e| at_line(1, format!("cannot read the report header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(cu), Some(ca), Some(cp), Some(cm)) = (
        col("user"),
        col("arn"),
        col("password_enabled"),
        col("mfa_active"),
    ) else {
        return Err(at_line(
            1,
            "the report header lacks user, arn, password_enabled or mfa_active".into(),
        ));
    };
    let (k1, k2) = (col("access_key_1_active"), col("access_key_2_active"));
    let mut rows = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            at_line(line, format!("cannot read the report: {e}"))
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            return Err(at_line(
                line,
                format!(
                    "row has {} fields, the header {}: the report is truncated or not comma-separated",
                    rec.len(),
                    header.len()
                ),
            ));
        }
        let get = |c: usize| rec.get(c).unwrap_or("");
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

    #[test]
    fn short_rows_quoted_newlines_cr_only_and_the_json_form() {
        let row = "alice,arn:aws:iam::111122223333:user/alice,x,true,x,x,x,false,true,x,x,x,x,false,x,x,x,x,false,x,false,x";
        // A row missing fields is an error naming its line, not a row of `false`s.
        let short = format!("{HEADER}\nalice,arn:aws:iam::111122223333:user/alice,x,true\n");
        let e = parse_credential_report(&short, "r.csv").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("r.csv:2:1: row has 4 fields, the header 22"),
            "{e}"
        );
        // A quoted field may hold a newline.
        let quoted = format!("{HEADER}\n\"al\nice\"{}\n", &row[5..]);
        let rows = parse_credential_report(&quoted, "q.csv").unwrap();
        assert_eq!(rows[0].user, "al\nice");
        assert!(rows[0].key1_active && !rows[0].mfa_active);
        // Old Mac line ends.
        let cr = format!("{HEADER}\r{row}\r{row}\r");
        assert_eq!(parse_credential_report(&cr, "cr.csv").unwrap().len(), 2);
        // `aws iam get-credential-report` output as it comes.
        let json = format!(
            r#"{{"Content": "{}", "ReportFormat": "text/csv", "GeneratedTime": "2026-01-01T00:00:00Z"}}"#,
            base64(format!("{HEADER}\n{row}\n").as_bytes())
        );
        assert_eq!(parse_credential_report(&json, "r.json").unwrap().len(), 1);
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
