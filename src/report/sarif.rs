//! SARIF 2.1.0 output, which code-scanning UIs display: one result per finding, located at the
//! policy statement responsible.

use serde_json::{json, Value};

/// A rule (finding kind) of the run.
#[derive(Debug, Clone)]
pub struct SarifRule {
    /// Stable id, e.g. `mfa-leak`.
    pub id: String,
    /// One-line description.
    pub description: String,
}

/// One result.
#[derive(Debug, Clone)]
pub struct SarifResult {
    /// The rule id.
    pub rule_id: String,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// The message.
    pub message: String,
    /// File of the responsible statement, if any.
    pub file: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Builds a SARIF 2.1.0 log for one run of `tool`.
pub fn sarif_log(tool: &str, rules: &[SarifRule], results: &[SarifResult]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| json!({"id": r.id, "shortDescription": {"text": r.description}}))
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut v = json!({
                "ruleId": r.rule_id,
                "level": r.level,
                "message": {"text": r.message},
            });
            if let Some(f) = &r.file {
                v["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f},
                        "region": {"startLine": r.line.max(1), "startColumn": r.column.max(1)}
                    }
                }]);
            }
            v
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": tool, "informationUri": "https://github.com/iamsim/iamsim", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results
        }]
    })
}
