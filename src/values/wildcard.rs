//! Wildcard patterns (`*` any run of characters, `?` exactly one) compiled once, matched in
//! linear-ish time.
//!
//! IAM uses the same two wildcards in `Action`, `Resource`, `StringLike` and the `Arn*` operators.
//! A naive backtracking matcher is exponential on patterns such as `a*a*a*…b`; this one splits the
//! pattern at its stars and places each literal segment at its leftmost occurrence, which is
//! optimal for star-separated segments (a later placement only leaves less text for the rest).
//! The cost is at most O(text × segment length) per segment, and the common shapes (exact,
//! prefix `s3:Get*`, suffix, contains, `*`) are recognised at compile time and matched with a
//! single comparison.

/// One token of a pattern: a literal character, `*`, or `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A character that must appear as is.
    Lit(char),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Splits pattern text into tokens, `*` and `?` being wildcards.
pub fn tokenize(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::Star,
            '?' => Token::One,
            c => Token::Lit(c),
        })
        .collect()
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    General(General),
}

/// Segments between stars; each segment is a run of literal bytes and `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct General {
    segs: Vec<Vec<Unit>>,
    star_start: bool,
    star_end: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Byte(u8),
    OneChar,
}

impl Wildcard {
    /// Compiles pattern text, `*` and `?` being wildcards.
    pub fn new(pattern: &str) -> Wildcard {
        Wildcard::from_tokens(&tokenize(pattern))
    }

    /// A pattern that matches exactly `text` (no wildcards).
    pub fn literal(text: &str) -> Wildcard {
        Wildcard {
            kind: Kind::Exact(text.into()),
        }
    }

    /// Compiles a token sequence.
    pub fn from_tokens(tokens: &[Token]) -> Wildcard {
        // Collapse runs of stars: `a**b` is `a*b`.
        let mut segs: Vec<Vec<Unit>> = vec![Vec::new()];
        let mut stars = 0;
        let mut has_one = false;
        let mut prev_star = false;
        for t in tokens {
            match t {
                Token::Star => {
                    if !prev_star {
                        segs.push(Vec::new());
                        stars += 1;
                    }
                    prev_star = true;
                    continue;
                }
                Token::One => {
                    has_one = true;
                    segs.last_mut().unwrap().push(Unit::OneChar);
                }
                Token::Lit(c) => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        segs.last_mut().unwrap().push(Unit::Byte(b));
                    }
                }
            }
            prev_star = false;
        }
        let star_start = matches!(tokens.first(), Some(Token::Star));
        let star_end = matches!(tokens.last(), Some(Token::Star));
        let text = |u: &Vec<Unit>| -> Box<str> {
            let bytes: Vec<u8> = u
                .iter()
                .map(|u| match u {
                    Unit::Byte(b) => *b,
                    Unit::OneChar => b'?',
                })
                .collect();
            String::from_utf8(bytes).unwrap_or_default().into()
        };
        let kind = if !has_one {
            match (stars, star_start, star_end) {
                (0, _, _) => Kind::Exact(text(&segs[0])),
                (1, true, true) => Kind::Any, // "*" alone: two empty segments
                (1, false, true) => Kind::Prefix(text(&segs[0])),
                (1, true, false) => Kind::Suffix(text(&segs[1])),
                (2, true, true) if !segs[1].is_empty() => Kind::Contains(text(&segs[1])),
                _ => Kind::General(General {
                    segs,
                    star_start,
                    star_end,
                }),
            }
        } else {
            Kind::General(General {
                segs,
                star_start,
                star_end,
            })
        };
        Wildcard { kind }
    }

    /// True when the pattern is `*` (matches everything).
    pub fn is_any(&self) -> bool {
        matches!(self.kind, Kind::Any)
    }

    /// The literal text when the pattern has no wildcards.
    pub fn as_exact(&self) -> Option<&str> {
        match &self.kind {
            Kind::Exact(s) => Some(s),
            _ => None,
        }
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        match &self.kind {
            Kind::Any => true,
            Kind::Exact(s) => text == &**s,
            Kind::Prefix(p) => text.starts_with(&**p),
            Kind::Suffix(p) => text.ends_with(&**p),
            Kind::Contains(p) => text.contains(&**p),
            Kind::General(g) => g.matches(text.as_bytes()),
        }
    }
}

impl General {
    fn matches(&self, s: &[u8]) -> bool {
        let n = self.segs.len();
        if n == 1 {
            // No star: the single segment must cover the whole text.
            return match_at(&self.segs[0], s, 0) == Some(s.len());
        }
        let mut cur = 0;
        let mut first = 0;
        if !self.star_start {
            match match_at(&self.segs[0], s, 0) {
                Some(end) => cur = end,
                None => return false,
            }
            first = 1;
        }
        let last = if self.star_end { n } else { n - 1 };
        for seg in &self.segs[first..last] {
            if seg.is_empty() {
                continue;
            }
            match find_leftmost(seg, s, cur) {
                Some(end) => cur = end,
                None => return false,
            }
        }
        if self.star_end {
            return true;
        }
        let seg = &self.segs[n - 1];
        if seg.iter().all(|u| matches!(u, Unit::Byte(_))) {
            let len = seg.len();
            if s.len() < cur + len {
                return false;
            }
            return match_at(seg, s, s.len() - len) == Some(s.len());
        }
        // The last segment holds `?`: its byte length varies, try each start.
        let mut start = cur;
        while start <= s.len() {
            if match_at(seg, s, start) == Some(s.len()) {
                return true;
            }
            start += 1;
        }
        false
    }
}

/// Matches `seg` starting exactly at `i`; returns the end offset.
fn match_at(seg: &[Unit], s: &[u8], mut i: usize) -> Option<usize> {
    for u in seg {
        match *u {
            Unit::Byte(b) => {
                if s.get(i) != Some(&b) {
                    return None;
                }
                i += 1;
            }
            Unit::OneChar => {
                let b = *s.get(i)?;
                if (0x80..0xc0).contains(&b) {
                    return None; // not at a character boundary
                }
                i += char_len(b);
                if i > s.len() {
                    return None;
                }
            }
        }
    }
    Some(i)
}

/// The end offset of the leftmost occurrence of `seg` at or after `from`.
fn find_leftmost(seg: &[Unit], s: &[u8], from: usize) -> Option<usize> {
    let mut start = from;
    while start <= s.len() {
        if let Unit::Byte(b) = seg[0] {
            // Skip quickly to the next candidate start.
            match s[start..].iter().position(|&x| x == b) {
                Some(off) => start += off,
                None => return None,
            }
        } else if start < s.len() && (0x80..0xc0).contains(&s[start]) {
            start += 1;
            continue;
        }
        if let Some(end) = match_at(seg, s, start) {
            return Some(end);
        }
        start += 1;
    }
    None
}

fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Wildcard::new(p).matches(s)
    }

    #[test]
    fn resource_wildcard_examples_from_the_resource_element_page() {
        let p = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*";
        for ok in [
            "1/test/object.jpg",
            "1/2/test/3/object.jpg",
            "1///test///object.jpg",
            "1/test/.jpg",
            "/test/object.jpg",
            "1/test/",
        ] {
            assert!(
                m(p, &format!("arn:aws:s3:::DOC-EXAMPLE-BUCKET/{ok}")),
                "{ok}"
            );
        }
        for bad in ["1-test/object.jpg", "test/object.jpg", "1/2/test.jpg"] {
            assert!(
                !m(p, &format!("arn:aws:s3:::DOC-EXAMPLE-BUCKET/{bad}")),
                "{bad}"
            );
        }
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(!m("a?c", "abbc"));
        assert!(m("*?", "x"));
        assert!(!m("*?", ""));
        assert!(m("a*?c", "abxc"));
    }

    #[test]
    fn shapes_are_recognised() {
        assert!(Wildcard::new("*").is_any());
        assert!(Wildcard::new("**").is_any());
        assert_eq!(
            Wildcard::new("s3:getobject").as_exact(),
            Some("s3:getobject")
        );
        assert!(m("s3:get*", "s3:getobject"));
        assert!(m("*log*", "arn:aws:s3:::carlossalazar-logs/f.txt"));
        assert!(m("*Report", "GenerateCredentialReport"));
        assert!(!m("*Report", "ReportX"));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn adversarial_pattern_is_fast_and_correct() {
        let p = format!("{}b", "a*".repeat(2500));
        let text = "a".repeat(5000);
        assert!(!m(&p, &text));
        let text_b = format!("{text}b");
        assert!(m(&p, &text_b));
    }
}
