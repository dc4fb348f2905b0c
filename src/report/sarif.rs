//! SARIF 2.1.0 output, which code-scanning UIs display: one result per finding, located at the
//! policy statement responsible.

use serde_json::{json, Value};

/// A rule (finding kind) of the run.
#[derive(Debug, Clone)]
pub struct SarifRule {
    /// Stable id, e.g. `MFA001` or `acts-without-mfa`.
    pub id: String,
    /// A readable name, if the id is a code.
    pub name: Option<String>,
    /// One-line description.
    pub description: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Default level: `error`, `warning` or `note`.
    pub level: &'static str,
    /// Extra properties (`null` for none).
    pub properties: Value,
}

impl SarifRule {
    /// A rule with only an id and a description, level `error`.
    pub fn new(id: &str, description: &str) -> SarifRule {
        SarifRule {
            id: id.into(),
            name: None,
            description: description.into(),
            help: None,
            level: "error",
            properties: Value::Null,
        }
    }
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
    /// The rule's index in the run's rule list, when known.
    pub rule_index: Option<usize>,
    /// Related locations: file, line, column, label.
    pub related: Vec<(String, u32, u32, String)>,
    /// Extra properties (`null` for none).
    pub properties: Value,
}

impl SarifResult {
    /// A result with a location and no extras.
    pub fn new(
        rule_id: &str,
        level: &'static str,
        message: String,
        file: Option<String>,
        line: u32,
        column: u32,
    ) -> SarifResult {
        SarifResult {
            rule_id: rule_id.into(),
            level,
            message,
            file,
            line,
            column,
            rule_index: None,
            related: Vec::new(),
            properties: Value::Null,
        }
    }
}

fn location(file: &str, line: u32, column: u32) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(file)},
            "region": {"startLine": line.max(1), "startColumn": column.max(1)}
        }
    })
}

/// Builds a SARIF 2.1.0 log for one run of `tool`.
pub fn sarif_log(tool: &str, rules: &[SarifRule], results: &[SarifResult]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut v = json!({
                "id": r.id,
                "shortDescription": {"text": r.description},
                "defaultConfiguration": {"level": r.level},
            });
            if let Some(n) = &r.name {
                v["name"] = json!(n);
            }
            if let Some(h) = &r.help {
                v["help"] = json!({"text": h});
            }
            if !r.properties.is_null() {
                v["properties"] = r.properties.clone();
            }
            v
        })
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut v = json!({
                "ruleId": r.rule_id,
                "level": r.level,
                "kind": "fail",
                "message": {"text": r.message},
                "locations": r.file.as_deref().map(|f| vec![location(f, r.line, r.column)]).unwrap_or_default(),
            });
            if let Some(i) = r.rule_index {
                v["ruleIndex"] = json!(i);
            }
            if !r.related.is_empty() {
                v["relatedLocations"] = r
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, (f, l, c, label))| {
                        let mut x = location(f, *l, *c);
                        x["id"] = json!(i + 1);
                        x["message"] = json!({"text": label});
                        x
                    })
                    .collect();
            }
            if !r.properties.is_null() {
                v["properties"] = r.properties.clone();
            }
            v
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": tool, "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    })
}

/// A SARIF artifact URI for a path: relative paths are normalised (`a/../b` → `b`) with forward
/// slashes; absolute paths become `file://` URIs.
pub fn artifact_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/").replace(' ', "%20");
    if absolute {
        format!("file:///{joined}")
    } else {
        joined
    }
}
