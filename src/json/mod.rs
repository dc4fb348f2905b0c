//! A small JSON reader that keeps positions.
//!
//! `serde_json` drops source positions, but every diagnostic iamsim prints must point at a line and
//! column of the user's file. This reader yields a [`Json`] tree in which every value and every
//! object key carries its [`Pos`]. It also enforces [`Limits`] (document size, nesting depth) so a
//! hostile document is refused with a clear error instead of exhausting the stack, and it keeps
//! duplicate object keys (the policy validator reports them: IAM forbids an element twice).
//!
//! The reader is hand-written rather than built with a parser-combinator crate: JSON's grammar is
//! tiny, and a direct recursive-descent reader gives exact error positions and an explicit depth
//! limit with no allocation beyond the tree itself.

use std::fmt;

/// A position in a source text: 1-based line and column (in characters), and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
    /// Byte offset from the start of the text.
    pub offset: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One JSON value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    /// Where the value starts.
    pub pos: Pos,
    /// Just after the value's last character.
    pub end: Pos,
    /// The value itself.
    pub kind: JsonKind,
}

/// An object member: the key (with its own position) and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key text.
    pub key: String,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The member's value.
    pub value: Json,
}

/// The shape of a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, kept as its source text so nothing is lost to floating point.
    Number(String),
    /// A string (escapes decoded).
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, members in source order; duplicate keys are kept.
    Object(Vec<Member>),
}

impl Json {
    /// The object members, if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            JsonKind::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JsonKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The first member named `key` (exact match), if this is an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?
            .iter()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "a boolean",
            JsonKind::Number(_) => "a number",
            JsonKind::String(_) => "a string",
            JsonKind::Array(_) => "an array",
            JsonKind::Object(_) => "an object",
        }
    }

    /// Scalar values (string, number, bool) as the text IAM compares them as.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            JsonKind::String(s) => Some(s.clone()),
            JsonKind::Number(n) => Some(n.clone()),
            JsonKind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Converts to a `serde_json::Value` (positions are dropped).
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n) => n
                .parse::<serde_json::Number>()
                .map(Value::Number)
                .unwrap_or_else(|_| Value::String(n.clone())),
            JsonKind::String(s) => Value::String(s.clone()),
            JsonKind::Array(a) => Value::Array(a.iter().map(Json::to_value).collect()),
            JsonKind::Object(m) => Value::Object(
                m.iter()
                    .map(|m| (m.key.clone(), m.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// The deepest nesting the reader accepts whatever [`Limits::max_depth`] says: the reader, the
/// tree's `Drop` and the validators walking it are recursive, and this depth fits comfortably in
/// the 2 MiB stack of a spawned thread (over 600 levels do in a debug build; the cap leaves room
/// for the caller's frames). IAM documents nest fewer than ten levels.
pub const MAX_DEPTH: usize = 256;

/// Limits the reader enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting depth of arrays and objects.
    pub max_depth: usize,
    /// Maximum document size in bytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// A syntax error (or exceeded limit) with the position where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// Where reading stopped.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

impl std::error::Error for JsonError {}

/// Parses a complete JSON document with the default limits.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    parse_with(text, Limits::default())
}

/// Parses a complete JSON document with the given limits.
pub fn parse_with(text: &str, limits: Limits) -> Result<Json, JsonError> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        col: 1,
        limits,
    };
    if text.len() > limits.max_bytes {
        return Err(JsonError {
            pos: Pos {
                line: 1,
                col: 1,
                offset: 0,
            },
            message: format!(
                "document is {} bytes, larger than the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
        });
    }
    // A UTF-8 byte-order mark is tolerated (editors on Windows write one).
    if text.starts_with('\u{feff}') {
        r.i = 3;
    }
    r.ws();
    if r.i >= r.s.len() {
        return Err(r.err("empty document: expected a JSON value"));
    }
    let v = r.value(0)?;
    r.ws();
    if r.i < r.s.len() {
        return Err(r.err("unexpected text after the JSON value"));
    }
    Ok(v)
}

/// A hint for a JSON syntax error at byte `at` of `text`.
pub fn first_contact_hint(text: &str, at: usize) -> Option<&'static str> {
    let c = text.get(at..).and_then(|t| t.chars().next());
    if matches!(c, Some('\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}')) {
        return Some("this is a curly quote: JSON needs straight quotes (\")");
    }
    let head = text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with("---")
        || head.lines().next().is_some_and(|l| {
            let l = l.trim();
            !l.starts_with(['{', '[', '"']) && l.contains(": ")
        })
    {
        return Some("iamsim reads JSON, and this looks like YAML: convert it (e.g. yq -o json)");
    }
    None
}

/// The character of a one-letter JSON escape (`\\n` → newline, ...): the table both JSON
/// readers share (this one, with positions, and the batch scanner); `None` for `u` and for
/// anything that is not an escape.
#[inline]
pub(crate) fn simple_escape(e: u8) -> Option<char> {
    Some(match e {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// The byte offset of 1-based `line`/`column` (in characters) in `text`: where a diagnostic
/// points, for [`first_contact_hint`].
pub fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line as usize {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1) as usize)
                    .map_or(l.len(), |(i, _)| i);
        }
        offset += l.len();
    }
    text.len()
}

/// The line and column of byte `offset` in `bytes` (lines end at LF, CRLF or a lone CR; columns
/// count characters), for errors found outside the reader such as invalid UTF-8.
pub fn pos_at(bytes: &[u8], offset: usize) -> Pos {
    let (mut line, mut col, mut i) = (1u32, 1u32, 0usize);
    let end = offset.min(bytes.len());
    while i < end {
        let b = bytes[i];
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            col = 1;
            i += 1;
        } else {
            i += utf8_len(b);
            col += 1;
        }
    }
    Pos { line, col, offset }
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    line: u32,
    col: u32,
    limits: Limits,
}

impl Reader<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
            offset: self.i,
        }
    }

    fn err(&self, msg: impl Into<String>) -> JsonError {
        JsonError {
            pos: self.pos(),
            message: msg.into(),
        }
    }

    /// Advances one character (UTF-8 aware for the column count).
    fn bump(&mut self) {
        let b = self.s[self.i];
        // A line ends at LF, CRLF, or a lone CR (old Mac files): CR followed by LF counts once.
        if b == b'\n' || (b == b'\r' && self.s.get(self.i + 1) != Some(&b'\n')) {
            self.line += 1;
            self.col = 1;
            self.i += 1;
        } else {
            let len = utf8_len(b);
            self.i = (self.i + len).min(self.s.len());
            self.col += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(),
                _ => break,
            }
        }
    }

    fn describe_here(&self) -> String {
        match self.text[self.i..].chars().next() {
            None => "end of input".to_string(),
            Some(c) => format!("'{}'", c.escape_default()),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        let pos = self.pos();
        let kind = match self.peek() {
            None => return Err(self.err("unexpected end of input: expected a JSON value")),
            Some(b'{') => {
                self.check_depth(depth)?;
                self.object(depth)?
            }
            Some(b'[') => {
                self.check_depth(depth)?;
                self.array(depth)?
            }
            Some(b'"') => JsonKind::String(self.string()?),
            Some(b't') => self.literal("true", JsonKind::Bool(true))?,
            Some(b'f') => self.literal("false", JsonKind::Bool(false))?,
            Some(b'n') => self.literal("null", JsonKind::Null)?,
            Some(b'-' | b'0'..=b'9') => JsonKind::Number(self.number()?),
            Some(_) => {
                return Err(self.err(format!(
                    "expected a JSON value, found {}",
                    self.describe_here()
                )))
            }
        };
        Ok(Json {
            pos,
            end: self.pos(),
            kind,
        })
    }

    fn check_depth(&self, depth: usize) -> Result<(), JsonError> {
        let max = self.limits.max_depth.min(MAX_DEPTH);
        if depth >= max {
            return Err(self.err(format!("nesting deeper than the limit of {max} levels")));
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, kind: JsonKind) -> Result<JsonKind, JsonError> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(kind)
        } else {
            Err(self.err(format!(
                "expected a JSON value, found {}",
                self.describe_here()
            )))
        }
    }

    fn number(&mut self) -> Result<String, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.bump();
                }
            }
            _ => return Err(self.err("invalid number: expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number: expected a digit after '.'"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number: expected a digit in the exponent"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.bump();
            }
        }
        Ok(self.text[start..self.i].to_string())
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let open = self.pos();
        self.bump(); // opening quote
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(JsonError {
                    pos: open,
                    message: "unterminated string: missing closing '\"'".into(),
                });
            };
            match b {
                b'"' => {
                    self.bump();
                    return Ok(out);
                }
                b'\\' => {
                    self.bump();
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated escape sequence"));
                    };
                    let c = match simple_escape(e) {
                        Some(c) => c,
                        None if e == b'u' => {
                            self.bump();
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if self.s[self.i..].starts_with(b"\\u") {
                                    self.bump();
                                    self.bump();
                                    let lo = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&lo) {
                                        return Err(self.err("invalid low surrogate in \\u escape"));
                                    }
                                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    char::from_u32(cp)
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            match c {
                                Some(c) => out.push(c),
                                None => return Err(self.err("invalid unicode escape")),
                            }
                            continue;
                        }
                        None => {
                            return Err(self.err(format!(
                                "invalid escape sequence '\\{}'",
                                self.describe_here().trim_matches('\'')
                            )))
                        }
                    };
                    self.bump();
                    out.push(c);
                }
                0x00..=0x1f => {
                    return Err(
                        self.err("control character inside a string (escape it, e.g. \\n or \\t)")
                    )
                }
                _ => {
                    let len = utf8_len(b);
                    out.push_str(&self.text[self.i..self.i + len]);
                    self.bump();
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(b) = self.peek() else {
                return Err(self.err("unterminated \\u escape"));
            };
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid hex digit in \\u escape"))?;
            v = v * 16 + d;
            self.bump();
        }
        Ok(v)
    }

    fn array(&mut self, depth: usize) -> Result<JsonKind, JsonError> {
        self.bump();
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(JsonKind::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    self.ws();
                    if self.peek() == Some(b']') {
                        return Err(self.err("trailing comma before ']'"));
                    }
                }
                Some(b']') => {
                    self.bump();
                    return Ok(JsonKind::Array(items));
                }
                _ => {
                    return Err(self.err(format!(
                        "expected ',' or ']' in array, found {}",
                        self.describe_here()
                    )))
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonKind, JsonError> {
        self.bump();
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(JsonKind::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err(format!(
                    "expected a quoted object key, found {}",
                    self.describe_here()
                )));
            }
            let key_pos = self.pos();
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err(format!(
                    "expected ':' after object key \"{key}\", found {}",
                    self.describe_here()
                )));
            }
            self.bump();
            self.ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_pos,
                value,
            });
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    self.ws();
                    if self.peek() == Some(b'}') {
                        return Err(self.err("trailing comma before '}'"));
                    }
                }
                Some(b'}') => {
                    self.bump();
                    return Ok(JsonKind::Object(members));
                }
                _ => {
                    return Err(self.err(format!(
                        "expected ',' or '}}' in object, found {}",
                        self.describe_here()
                    )))
                }
            }
        }
    }
}

fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_tracked_for_values_and_keys() {
        let j = parse("{\n  \"a\": [1, \"x\"],\n  \"b\": true\n}").unwrap();
        let m = j.as_object().unwrap();
        assert_eq!(
            m[0].key_pos,
            Pos {
                line: 2,
                col: 3,
                offset: 4
            }
        );
        assert_eq!(m[1].value.pos.line, 3);
        assert_eq!(m[1].value.pos.col, 8);
        let JsonKind::Array(a) = &m[0].value.kind else {
            panic!()
        };
        assert_eq!(a[1].pos.col, 12);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (2, 8));
        let e = parse("{\"a\": 1,}").unwrap_err();
        assert!(e.message.contains("trailing comma"), "{e}");
        let e = parse("[1 2]").unwrap_err();
        assert!(e.message.contains("expected ',' or ']'"), "{e}");
        let e = parse("\"abc").unwrap_err();
        assert!(e.message.contains("unterminated"), "{e}");
    }

    #[test]
    fn depth_limit_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nesting deeper"), "{e}");
    }

    #[test]
    fn a_depth_limit_above_the_cap_is_held_to_the_cap() {
        // Runs on a test thread (2 MiB stack): a limit above what the stack can take must not
        // let the reader recurse that far.
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let limits = Limits {
            max_depth: 100_000,
            max_bytes: 1 << 20,
        };
        let e = parse_with(&deep, limits).unwrap_err();
        assert!(
            e.message.contains(&format!(
                "nesting deeper than the limit of {MAX_DEPTH} levels"
            )),
            "{e}"
        );
        let at_cap = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let j = parse_with(&at_cap, limits).expect("the cap itself is readable");
        assert_eq!(j.type_name(), parse("[]").unwrap().type_name());
    }

    #[test]
    fn size_limit_is_enforced() {
        let e = parse_with(
            "[1,2,3]",
            Limits {
                max_depth: 8,
                max_bytes: 4,
            },
        )
        .unwrap_err();
        assert!(e.message.contains("larger than the limit"));
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_validator() {
        let j = parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(j.as_object().unwrap().len(), 2);
    }

    #[test]
    fn escapes_and_unicode_are_decoded() {
        let j = parse(r#""a\nb\u00e9\ud83d\ude00é""#).unwrap();
        assert_eq!(j.as_str(), Some("a\nbé😀é"));
    }

    #[test]
    fn numbers_keep_their_text() {
        let j = parse("[10, -0.5, 1e3]").unwrap();
        let JsonKind::Array(a) = j.kind else { panic!() };
        assert_eq!(a[2].scalar_text().as_deref(), Some("1e3"));
    }
}
