//! Diagnostics: errors and warnings that point into a source file.

use crate::json::Pos;
use std::fmt;

/// Declares [`Code`]: one variant per diagnostic code, with its stable kebab-case name.
macro_rules! codes {
    ($($name:ident = $s:literal,)*) => {
        /// The stable name of a diagnostic, as `lint`, `--allow`, JSON and SARIF spell it.
        /// Each one has a section in `docs/lint.md` (a test checks it), so the enum is the one
        /// list of what iamsim can report about a policy.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = concat!("`", $s, "` (see docs/lint.md)")] $name,)*
        }

        impl Code {
            /// Every code: the MFA rule ids, then the rest in alphabetical order of their names.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The code's stable name, e.g. `invalid-effect`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $s,)*
                }
            }
        }
    };
}

codes! {
    // The MFA anti-patterns `lint` reports under the rule ids of `iamsim mfa` (mfa::Rule).
    Mfa001 = "MFA001",
    Mfa002 = "MFA002",
    Mfa006 = "MFA006",
    Mfa007 = "MFA007",
    Mfa101 = "MFA101",
    AllowWithNotprincipal = "allow-with-notprincipal",
    AllowWithNotresource = "allow-with-notresource",
    ArnInvalidAccount = "arn-invalid-account",
    ArnInvalidRegion = "arn-invalid-region",
    ArnMissingResource = "arn-missing-resource",
    ArnUnknownPartition = "arn-unknown-partition",
    ConditionKeyNotForAction = "condition-key-not-for-action",
    DataTypeMismatch = "data-type-mismatch",
    DuplicateElement = "duplicate-element",
    DuplicateKeysWithDifferentCase = "duplicate-keys-with-different-case",
    EmptyArray = "empty-array",
    EmptyArrayCondition = "empty-array-condition",
    ForallvaluesWithSingleValuedKey = "forallvalues-with-single-valued-key",
    IdInIdentityPolicy = "id-in-identity-policy",
    ImproveIpRange = "improve-ip-range",
    InvalidActionFormat = "invalid-action-format",
    InvalidArnPrefix = "invalid-arn-prefix",
    InvalidBinaryValue = "invalid-binary-value",
    InvalidBooleanValue = "invalid-boolean-value",
    InvalidConditionKey = "invalid-condition-key",
    InvalidConditionOperator = "invalid-condition-operator",
    InvalidDateValue = "invalid-date-value",
    InvalidEffect = "invalid-effect",
    InvalidIpValue = "invalid-ip-value",
    InvalidNumericValue = "invalid-numeric-value",
    InvalidPolicyElement = "invalid-policy-element",
    InvalidPrincipal = "invalid-principal",
    InvalidVariable = "invalid-variable",
    InvalidVariableForOperator = "invalid-variable-for-operator",
    InvalidVersion = "invalid-version",
    JsonSyntaxError = "json-syntax-error",
    LenientDateValue = "lenient-date-value",
    LenientNumericValue = "lenient-numeric-value",
    LimitExceeded = "limit-exceeded",
    MissingAction = "missing-action",
    MissingEffect = "missing-effect",
    MissingPrincipal = "missing-principal",
    MissingQualifier = "missing-qualifier",
    MissingResource = "missing-resource",
    MissingStatement = "missing-statement",
    MissingVersion = "missing-version",
    NestedVariable = "nested-variable",
    NoncanonicalOperator = "noncanonical-operator",
    NullWithIfExists = "null-with-if-exists",
    NullWithQualifier = "null-with-qualifier",
    OldVersion = "old-version",
    OperatorTypeMismatch = "operator-type-mismatch",
    PolicySizeQuota = "policy-size-quota",
    PrincipalNotAllowed = "principal-not-allowed",
    PrivateIpWithSourceIp = "private-ip-with-source-ip",
    RcpSyntax = "rcp-syntax",
    ResourceMismatch = "resource-mismatch",
    ScpLegacySyntax = "scp-legacy-syntax",
    UniqueSidsRequired = "unique-sids-required",
    UnknownAction = "unknown-action",
    UnknownConditionKey = "unknown-condition-key",
    UnknownGlobalConditionKey = "unknown-global-condition-key",
    UnknownService = "unknown-service",
    UnknownVariable = "unknown-variable",
    UnreadableFile = "unreadable-file",
    UnsupportedElementCombination = "unsupported-element-combination",
    UnsupportedSid = "unsupported-sid",
    UnsupportedWildcardInPrincipal = "unsupported-wildcard-in-principal",
    VariableOutsideResourcePart = "variable-outside-resource-part",
    VariableUnsupportedInElement = "variable-unsupported-in-element",
    VariableUnsupportedInVersion = "variable-unsupported-in-version",
    VariableWithBool = "variable-with-bool",
    WhitespaceInValue = "whitespace-in-value",
    WildcardInServiceName = "wildcard-in-service-name",
    WildcardMatchesNoAction = "wildcard-matches-no-action",
    WildcardWithoutLikeOperator = "wildcard-without-like-operator",
}

impl Code {
    /// Whether `strict_validation` turns this warning into an error: the validation warnings of
    /// semantics §6.2 (and the policy-variable checks), but not the remarks IAM itself accepts
    /// documents with — a non-canonical operator spelling, `Id` in an identity policy, spaces
    /// around a value, or a variable in an ARN's account part (AWS's own
    /// AmazonTimestreamInfluxDBServiceRolePolicy has `${aws:PrincipalAccount}` there).
    pub fn strict_rejects(self) -> bool {
        !matches!(
            self,
            Code::NoncanonicalOperator
                | Code::IdInIdentityPolicy
                | Code::WhitespaceInValue
                | Code::VariableOutsideResourcePart
        )
    }

    /// The code named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

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
    pub code: Code,
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
        code: Code,
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
    let limit = (word.chars().count() / 3).max(1);
    let len = w.chars().count();
    let mut best: Option<(&str, usize)> = None;
    for c in candidates {
        // The distance is at least the difference in length: a candidate that much longer or
        // shorter can never be within the limit (and a 5,000-character word costs nothing).
        if c.chars().count().abs_diff(len) > limit {
            continue;
        }
        let d = edit_distance(&w, &c.to_ascii_lowercase());
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((c, d));
        }
    }
    let (c, d) = best?;
    (d <= limit && d > 0 || (d == 0 && c != word)).then_some(c)
}

/// Levenshtein distance in characters (the `strsim` crate).
fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
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
        let long = "x".repeat(5000);
        assert_eq!(did_you_mean(&long, c), None);
    }
}

/// An error in an input file: the file, the position (line 0 when the error concerns the file
/// as a whole, such as a missing file or a bad flag), the JSON path when known, and what is
/// wrong. Rendered `file:line:col: message (at path)`, or `file: message` without a position.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// File name (or the flag, for a command-line value).
    pub file: String,
    /// Position in the file; `line == 0` means none.
    pub pos: Pos,
    /// JSON path, when known.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    /// An error at a position.
    pub fn at(file: &str, pos: Pos, path: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: file.to_string(),
            pos,
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// An error about a whole file or a command-line value: no line or column is shown.
    pub fn whole(file: &str, message: impl Into<String>) -> InputError {
        InputError::at(file, Pos::default(), "", message)
    }

    /// The error for a rejected policy: its diagnostic, with code and help.
    pub fn from_diag(d: &Diagnostic) -> InputError {
        let mut message = format!("{} [{}]", d.message, d.code);
        if let Some(h) = &d.help {
            message.push_str(&format!("; help: {h}"));
        }
        InputError {
            file: d.file.clone(),
            pos: Pos {
                line: d.line,
                col: d.column,
                offset: 0,
            },
            path: d.path.clone(),
            message,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = term(&self.file);
        let message = term(&self.message);
        if self.pos.line == 0 {
            write!(f, "{file}: {message}")?;
        } else {
            write!(f, "{file}:{}:{}: {message}", self.pos.line, self.pos.col)?;
        }
        if !self.path.is_empty() {
            write!(f, " (at {})", term(&self.path))?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// `s` with control characters (C0, C1, DEL; not newline or tab) written as `\u{1b}`: text
/// from input files printed to a terminal cannot drive it. The one terminal escape
/// (`io::term` is this function).
pub fn term(s: &str) -> std::borrow::Cow<'_, str> {
    let is_control = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// How many characters of a source line a snippet shows around the column: a minified one-line
/// policy still shows its error under the caret, and a 200 KB line is never printed whole.
pub const SNIPPET_WIDTH: usize = 80;

/// A source text with its lines indexed once, so that rendering many diagnostics of one file
/// (a minified policy is one long line with thousands of findings) costs the text's length once
/// plus a window per diagnostic, not the line's length per diagnostic.
pub struct SourceMap<'a> {
    text: &'a str,
    /// Byte offset where each line starts (lines end at LF, CRLF or a lone CR).
    starts: Vec<usize>,
    /// Whether each line is ASCII (then a column is a byte offset).
    ascii: Vec<bool>,
    /// Per non-ASCII line, the byte offset of each character, built when first needed: columns
    /// count characters.
    chars: std::cell::RefCell<rustc_hash::FxHashMap<u32, std::rc::Rc<Vec<usize>>>>,
}

impl<'a> SourceMap<'a> {
    /// Indexes the lines of `text`.
    pub fn new(text: &'a str) -> SourceMap<'a> {
        let b = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while let Some(j) = memchr::memchr2(b'\n', b'\r', &b[i..]) {
            let at = i + j;
            i = if b[at] == b'\r' && b.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            starts.push(i);
        }
        let mut map = SourceMap {
            text,
            ascii: Vec::new(),
            starts,
            chars: Default::default(),
        };
        map.ascii = (1..=map.starts.len() as u32)
            .map(|n| map.line(n).is_some_and(str::is_ascii))
            .collect();
        map
    }

    /// Line `n` (1-based), without its line ending.
    pub fn line(&self, n: u32) -> Option<&'a str> {
        let i = (n as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = match self.starts.get(i + 1) {
            // The next line starts after this one's ending (one or two bytes).
            Some(&next) => {
                let b = self.text.as_bytes();
                if next >= 2 && b[next - 2] == b'\r' && b[next - 1] == b'\n' {
                    next - 2
                } else {
                    next - 1
                }
            }
            None => self.text.len(),
        };
        Some(&self.text[start..end.max(start)])
    }

    /// Byte offsets of line `n`'s characters (`text` is that line); for ASCII lines, known
    /// without looking (character k is byte k).
    fn offsets(&self, n: u32, text: &str) -> Option<std::rc::Rc<Vec<usize>>> {
        if self.ascii[n as usize - 1] {
            return None;
        }
        let mut cache = self.chars.borrow_mut();
        let o = cache
            .entry(n)
            .or_insert_with(|| std::rc::Rc::new(text.char_indices().map(|(b, _)| b).collect()));
        Some(o.clone())
    }

    /// Line `line` windowed around `column` ([`SNIPPET_WIDTH`] characters), with a caret under
    /// the column, as three lines (`  |`, `3 | text`, `  |   ^`); empty when the line does not
    /// exist. `paint_caret` colours the caret.
    pub fn excerpt(&self, line: u32, column: u32, paint_caret: &dyn Fn(&str) -> String) -> String {
        let Some(text) = self.line(line) else {
            return String::new();
        };
        let offsets = self.offsets(line, text);
        let len = offsets.as_ref().map_or(text.len(), |o| o.len());
        // Character index -> byte offset within the line.
        let at = |k: usize| match &offsets {
            None => k.min(text.len()),
            Some(o) => o.get(k).copied().unwrap_or(text.len()),
        };
        let col = (column.max(1) as usize - 1).min(len);
        // Window: up to half the width before the column, the rest after.
        let start = col.saturating_sub(SNIPPET_WIDTH / 2);
        let end = (start + SNIPPET_WIDTH).min(len);
        let (b_start, b_col, b_end) = (at(start), at(col), at(end));
        let mut shown: String = text[b_start..b_end]
            .chars()
            .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
            .collect();
        let mut caret_pad: String = text[b_start..b_col]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        if start > 0 {
            shown.insert(0, '…');
            caret_pad.insert(0, ' ');
        }
        if end < len {
            shown.push('…');
        }
        let num = line.to_string();
        let pad = " ".repeat(num.len());
        format!(
            "{pad} |\n{num} | {shown}\n{pad} | {caret_pad}{}\n",
            paint_caret("^")
        )
    }
}

/// Renders a diagnostic as a compiler would: `severity[code]: message`, `--> file:line:col`, the
/// source line windowed around the column with a caret, the JSON path and the help.
pub fn render_snippet(
    d: &Diagnostic,
    source: &SourceMap<'_>,
    paint: &dyn Fn(&str, &str) -> String,
) -> String {
    let (label, style) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let mut s = format!(
        "{}: {}\n",
        paint(style, &format!("{label}[{}]", d.code)),
        term(&d.message)
    );
    if d.line == 0 {
        s.push_str(&format!("  --> {}\n", term(&d.file)));
    } else {
        s.push_str(&format!(
            "  --> {}:{}:{}\n",
            term(&d.file),
            d.line,
            d.column
        ));
    }
    s.push_str(&source.excerpt(d.line, d.column, &|t| paint(style, t)));
    if !d.path.is_empty() {
        s.push_str(&format!("  = at {}\n", term(&d.path)));
    }
    if let Some(h) = &d.help {
        s.push_str(&format!("  = help: {}\n", term(h)));
    }
    s
}

/// [`SourceMap::excerpt`] for a single diagnostic of `source`.
pub fn source_excerpt(
    source: &str,
    line: u32,
    column: u32,
    paint_caret: &dyn Fn(&str) -> String,
) -> String {
    SourceMap::new(source).excerpt(line, column, paint_caret)
}

#[cfg(test)]
mod snippet_tests {
    use super::*;

    #[test]
    fn a_long_line_is_windowed_around_the_column() {
        let line = format!("{}XYZ{}", "a".repeat(5000), "b".repeat(5000));
        let d = Diagnostic::new(
            Severity::Warning,
            Code::InvalidEffect,
            "m",
            "f",
            Pos {
                line: 1,
                col: 5001,
                offset: 0,
            },
            "",
        );
        let out = render_snippet(&d, &SourceMap::new(&line), &|_, t| t.to_string());
        assert!(out.len() < 400, "{} bytes", out.len());
        let lines: Vec<&str> = out.lines().collect();
        let src = lines.iter().find(|l| l.starts_with("1 | ")).unwrap();
        let caret = lines.iter().find(|l| l.trim_end().ends_with('^')).unwrap();
        let at = caret.chars().count() - 1;
        assert_eq!(src.chars().nth(at), Some('X'), "{out}");
    }

    #[test]
    fn a_long_non_ascii_line_puts_the_caret_under_the_column_for_every_diagnostic() {
        // Columns count characters: with two-byte characters before it the byte offset differs.
        let line = format!(
            "{}X{}Y{}",
            "é".repeat(3000),
            "ü".repeat(3000),
            "ö".repeat(10)
        );
        let map = SourceMap::new(&line);
        for (col, want) in [(3001, 'X'), (6002, 'Y'), (1, 'é')] {
            let out = map.excerpt(1, col, &|t| t.to_string());
            let lines: Vec<&str> = out.lines().collect();
            let at = lines[2].chars().count() - 1;
            assert_eq!(lines[1].chars().nth(at), Some(want), "{out}");
        }
    }

    #[test]
    fn lines_are_found_at_every_kind_of_line_end_and_past_the_last_one() {
        let m = SourceMap::new("a\r\nbb\rccc\ndddd");
        let lines: Vec<_> = (0..=6).map(|n| m.line(n)).collect();
        assert_eq!(
            lines,
            [
                None,
                Some("a"),
                Some("bb"),
                Some("ccc"),
                Some("dddd"),
                None,
                None
            ]
        );
        // A trailing newline makes an empty last line, as editors count it.
        assert_eq!(SourceMap::new("x\n").line(2), Some(""));
        assert_eq!(SourceMap::new("").line(1), Some(""));
        // A column past the end puts the caret just after the text; line 0 or a missing line
        // gives no excerpt.
        let out = SourceMap::new("abc").excerpt(1, 99, &|t| t.to_string());
        assert!(out.contains("1 | abc\n  |    ^"), "{out}");
        assert_eq!(SourceMap::new("abc").excerpt(0, 1, &|t| t.to_string()), "");
        assert_eq!(SourceMap::new("abc").excerpt(5, 1, &|t| t.to_string()), "");
    }

    #[test]
    fn cr_only_line_ends_count_as_lines() {
        assert_eq!(SourceMap::new("a\rb\rc").line(2), Some("b"));
        assert_eq!(SourceMap::new("a\r\nb").line(2), Some("b"));
    }
}
