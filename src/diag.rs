//! Diagnostics: errors and warnings that point into a source file.

use crate::json::Pos;
use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Accepted, but worth fixing.
    Warning,
    /// The document is rejected.
    Error,
}

/// One finding about a document, with where it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable short name (Access Analyzer wording where one exists), e.g. `invalid-effect`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The file (or other origin) the position refers to.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The JSON path of the offending element, e.g. `Statement[1].Condition.Bool`.
    pub path: String,
    /// A hint on how to fix it ("did you mean ...").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    /// Builds a diagnostic.
    pub fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        file: &str,
        pos: Pos,
        path: &str,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            path: path.to_string(),
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}[{}]: {}",
            self.file, self.line, self.column, self.code, self.message
        )?;
        if !self.path.is_empty() {
            write!(f, " (at {})", self.path)?;
        }
        if let Some(h) = &self.help {
            write!(f, "; help: {h}")?;
        }
        Ok(())
    }
}

/// The diagnostic to report when a document was rejected: its first error (or, should a
/// rejection carry none, its first diagnostic).
///
/// # Panics
/// Never for the diagnostics a rejected parse returns, which always hold at least one error.
pub fn first_error(ds: &[Diagnostic]) -> &Diagnostic {
    ds.iter().find(|d| d.is_error()).unwrap_or(&ds[0])
}

/// The closest candidate to `word` by edit distance (case-insensitive), if it is close enough to
/// be a plausible misspelling.
pub fn did_you_mean<'a, I: IntoIterator<Item = &'a str>>(
    word: &str,
    candidates: I,
) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    let mut best: Option<(&str, usize)> = None;
    for c in candidates {
        let d = edit_distance(&w, &c.to_ascii_lowercase());
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((c, d));
        }
    }
    let (c, d) = best?;
    let limit = (word.chars().count() / 3).max(1);
    (d <= limit && d > 0 || (d == 0 && c != word)).then_some(c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_close_misspellings_only() {
        let c = ["Effect", "Action", "Resource", "Condition"];
        assert_eq!(did_you_mean("Efect", c), Some("Effect"));
        assert_eq!(did_you_mean("Resorce", c), Some("Resource"));
        assert_eq!(did_you_mean("effect", c), Some("Effect"));
        assert_eq!(did_you_mean("Banana", c), None);
    }
}
