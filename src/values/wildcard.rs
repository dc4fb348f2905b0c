//! Wildcard patterns (`*` any run of characters, `?` exactly one) compiled once, matched in
//! time linear in the text.
//!
//! IAM uses the same two wildcards in `Action`, `Resource`, `StringLike` and the `Arn*` operators.
//! A naive backtracking matcher is exponential on patterns such as `a*a*a*…b`. This one splits the
//! pattern at its stars and places each segment at its leftmost occurrence at or after the end of
//! the previous one. That is optimal: if any placement of the segments matches, moving a segment
//! to its leftmost occurrence (never before the end of the previous one) leaves at least as much
//! text for the rest, so the leftmost placement matches too. Each segment is found once, left to
//! right, so the text is scanned once overall:
//!
//! * a segment without `?` with `memchr::memmem` (linear in text + segment);
//! * a segment with `?` by bit-parallel Shift-And (one shift and one AND per text character when
//!   the segment has at most 64 characters, `⌈len/64⌉` words per character beyond that: linear in
//!   the text for the pattern lengths the settings allow);
//! * the segments anchored at the start and the end are compared in place: `?` is exactly one
//!   character, so a segment has a fixed length in characters.
//!
//! Positions count characters: an ASCII text is matched on its bytes, any other text on its
//! decoded characters (literal segments still searched in its bytes). The common shapes (exact,
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

/// Segments between stars.
#[derive(Debug, Clone, PartialEq, Eq)]
struct General {
    segs: Vec<Segment>,
    star_start: bool,
    star_end: bool,
}

/// A run of literal characters and `?` between stars: a fixed number of characters.
#[derive(Debug, Clone)]
struct Segment {
    /// Per character: `Some(c)` a literal, `None` a `?`.
    units: Box<[Option<char>]>,
    /// The `?` at the start and at the end (all of them when the segment is only `?`).
    lead: usize,
    trail: usize,
    find: Find,
}

impl PartialEq for Segment {
    fn eq(&self, o: &Segment) -> bool {
        self.units == o.units
    }
}

impl Eq for Segment {}

/// How the core of a segment (without its leading and trailing `?` runs) is found.
#[derive(Debug, Clone)]
enum Find {
    /// The segment is only `?`: the core is empty and occurs anywhere.
    Nothing,
    /// No `?`: a substring search.
    Literal(Box<memchr::memmem::Finder<'static>>),
    /// Holds `?`: Shift-And masks. Bit `j` (in word `j / 64`) of the mask of a character is set
    /// when unit `j` is that character or `?`.
    ShiftAnd {
        words: usize,
        /// `words` masks per ASCII character.
        ascii: Box<[u64]>,
        /// Masks of the non-ASCII literal characters, sorted by character.
        other: Box<[(char, Box<[u64]>)]>,
        /// The mask of any other character: the `?` positions.
        any: Box<[u64]>,
    },
}

impl Segment {
    fn new(all: Vec<Option<char>>) -> Segment {
        let lead = all.iter().take_while(|u| u.is_none()).count();
        let trail = all[lead..].iter().rev().take_while(|u| u.is_none()).count();
        let units = &all[lead..all.len() - trail];
        let find = if units.is_empty() {
            Find::Nothing
        } else if units.iter().all(Option::is_some) {
            let text: String = units.iter().flatten().collect();
            Find::Literal(Box::new(
                memchr::memmem::Finder::new(text.as_bytes()).into_owned(),
            ))
        } else {
            let words = units.len().div_ceil(64).max(1);
            let mut any = vec![0u64; words];
            for (j, u) in units.iter().enumerate() {
                if u.is_none() {
                    any[j / 64] |= 1 << (j % 64);
                }
            }
            let mut ascii = Vec::with_capacity(128 * words);
            for _ in 0..128 {
                ascii.extend_from_slice(&any);
            }
            let mut other: Vec<(char, Box<[u64]>)> = Vec::new();
            for (j, u) in units.iter().enumerate() {
                let Some(c) = *u else { continue };
                let bit = 1u64 << (j % 64);
                if c.is_ascii() {
                    ascii[c as usize * words + j / 64] |= bit;
                } else {
                    let i = match other.binary_search_by(|(o, _)| o.cmp(&c)) {
                        Ok(i) => i,
                        Err(i) => {
                            other.insert(i, (c, any.clone().into_boxed_slice()));
                            i
                        }
                    };
                    other[i].1[j / 64] |= bit;
                }
            }
            Find::ShiftAnd {
                words,
                ascii: ascii.into_boxed_slice(),
                other: other.into_boxed_slice(),
                any: any.into_boxed_slice(),
            }
        };
        Segment {
            units: all.into_boxed_slice(),
            lead,
            trail,
            find,
        }
    }

    fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether the segment matches the text at character `at`.
    fn matches_at<T: Text>(&self, t: &T, at: usize) -> bool {
        at + self.len() <= t.len()
            && self
                .units
                .iter()
                .enumerate()
                .all(|(j, u)| u.is_none_or(|c| t.char_at(at + j) == c))
    }

    /// The start of the leftmost occurrence at or after character `from`. The leading and
    /// trailing `?` runs only shift and lengthen the core between them: the segment occurs at
    /// `s` exactly when the core occurs at `s + lead` and `trail` characters follow it, so the
    /// leftmost core occurrence at or after `from + lead` gives the answer (and when the tail
    /// does not fit after it, it fits after no later one).
    fn find<T: Text>(&self, t: &T, from: usize) -> Option<usize> {
        if from + self.len() > t.len() {
            return None;
        }
        let start = from + self.lead;
        let core_len = self.len() - self.lead - self.trail;
        let core = match &self.find {
            Find::Nothing => start,
            Find::Literal(f) => t.find_literal(f, start)?,
            Find::ShiftAnd { .. } => self.scan(t, start, core_len)?,
        };
        (core + core_len + self.trail <= t.len()).then(|| core - self.lead)
    }

    /// Shift-And: the start of the leftmost occurrence of the core (`m` characters) at or after
    /// character `from`.
    fn scan<T: Text>(&self, t: &T, from: usize, m: usize) -> Option<usize> {
        match &self.find {
            Find::Nothing | Find::Literal(_) => None,
            Find::ShiftAnd {
                words,
                ascii,
                other,
                any,
            } => {
                let mask = |c: char| -> &[u64] {
                    if c.is_ascii() {
                        let i = c as usize * words;
                        &ascii[i..i + words]
                    } else {
                        match other.binary_search_by(|(o, _)| o.cmp(&c)) {
                            Ok(i) => &other[i].1,
                            Err(_) => any,
                        }
                    }
                };
                if *words == 1 {
                    let top = 1u64 << (m - 1);
                    let mut d = 0u64;
                    for i in from..t.len() {
                        d = ((d << 1) | 1) & mask(t.char_at(i))[0];
                        if d & top != 0 {
                            return Some(i + 1 - m);
                        }
                    }
                    return None;
                }
                let (last_word, top) = ((m - 1) / 64, 1u64 << ((m - 1) % 64));
                let mut d = vec![0u64; *words];
                for i in from..t.len() {
                    let mk = mask(t.char_at(i));
                    let mut carry = 1u64;
                    for (w, mw) in d.iter_mut().zip(mk) {
                        let next = *w >> 63;
                        *w = ((*w << 1) | carry) & mw;
                        carry = next;
                    }
                    if d[last_word] & top != 0 {
                        return Some(i + 1 - m);
                    }
                }
                None
            }
        }
    }
}

/// A text as a sequence of characters.
trait Text {
    fn len(&self) -> usize;
    fn char_at(&self, i: usize) -> char;
    /// The character index of the leftmost occurrence of a literal at or after character `from`.
    fn find_literal(&self, f: &memchr::memmem::Finder<'_>, from: usize) -> Option<usize>;
}

/// An ASCII text: characters are bytes.
struct Ascii<'a>(&'a [u8]);

impl Text for Ascii<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn char_at(&self, i: usize) -> char {
        self.0[i] as char
    }
    fn find_literal(&self, f: &memchr::memmem::Finder<'_>, from: usize) -> Option<usize> {
        f.find(&self.0[from..]).map(|p| from + p)
    }
}

/// Any other text: its decoded characters and where each starts in the bytes.
struct Decoded<'a> {
    bytes: &'a [u8],
    chars: Vec<char>,
    /// Byte offset of each character, and the text length last.
    starts: Vec<usize>,
}

impl<'a> Decoded<'a> {
    fn new(text: &'a str) -> Decoded<'a> {
        let mut chars = Vec::with_capacity(text.len());
        let mut starts = Vec::with_capacity(text.len() + 1);
        for (i, c) in text.char_indices() {
            chars.push(c);
            starts.push(i);
        }
        starts.push(text.len());
        Decoded {
            bytes: text.as_bytes(),
            chars,
            starts,
        }
    }
}

impl Text for Decoded<'_> {
    fn len(&self) -> usize {
        self.chars.len()
    }
    fn char_at(&self, i: usize) -> char {
        self.chars[i]
    }
    fn find_literal(&self, f: &memchr::memmem::Finder<'_>, from: usize) -> Option<usize> {
        // A match of valid UTF-8 in valid UTF-8 starts at a character boundary.
        let at = self.starts[from];
        let p = at + f.find(&self.bytes[at..])?;
        self.starts.binary_search(&p).ok()
    }
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
        let mut segs: Vec<Vec<Option<char>>> = vec![Vec::new()];
        let mut has_one = false;
        let mut prev_star = false;
        for t in tokens {
            match t {
                Token::Star => {
                    if !prev_star {
                        segs.push(Vec::new());
                    }
                    prev_star = true;
                    continue;
                }
                Token::One => {
                    has_one = true;
                    segs.last_mut().unwrap().push(None);
                }
                Token::Lit(c) => segs.last_mut().unwrap().push(Some(*c)),
            }
            prev_star = false;
        }
        let stars = segs.len() - 1;
        let star_start = matches!(tokens.first(), Some(Token::Star));
        let star_end = matches!(tokens.last(), Some(Token::Star));
        let text =
            |u: &Vec<Option<char>>| -> Box<str> { u.iter().flatten().collect::<String>().into() };
        let general = |segs: Vec<Vec<Option<char>>>| {
            Kind::General(General {
                segs: segs.into_iter().map(Segment::new).collect(),
                star_start,
                star_end,
            })
        };
        let kind = if !has_one {
            match (stars, star_start, star_end) {
                (0, _, _) => Kind::Exact(text(&segs[0])),
                (1, true, true) => Kind::Any, // "*" alone: two empty segments
                (1, false, true) => Kind::Prefix(text(&segs[0])),
                (1, true, false) => Kind::Suffix(text(&segs[1])),
                (2, true, true) if !segs[1].is_empty() => Kind::Contains(text(&segs[1])),
                _ => general(segs),
            }
        } else {
            general(segs)
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
            Kind::General(g) => g.matches(text),
        }
    }
}

impl General {
    fn matches(&self, text: &str) -> bool {
        if text.is_ascii() {
            self.matches_in(&Ascii(text.as_bytes()))
        } else {
            self.matches_in(&Decoded::new(text))
        }
    }

    fn matches_in<T: Text>(&self, t: &T) -> bool {
        let n = self.segs.len();
        if n == 1 {
            // No star: the single segment must cover the whole text.
            return self.segs[0].len() == t.len() && self.segs[0].matches_at(t, 0);
        }
        let mut cur = 0;
        let mut first = 0;
        if !self.star_start {
            if !self.segs[0].matches_at(t, 0) {
                return false;
            }
            cur = self.segs[0].len();
            first = 1;
        }
        let last = if self.star_end { n } else { n - 1 };
        for seg in &self.segs[first..last] {
            if seg.len() == 0 {
                continue;
            }
            match seg.find(t, cur) {
                Some(start) => cur = start + seg.len(),
                None => return false,
            }
        }
        if self.star_end {
            return true;
        }
        // The last segment ends the text: it has a fixed length, so it sits in one place.
        let seg = &self.segs[n - 1];
        t.len() >= cur + seg.len() && seg.matches_at(t, t.len() - seg.len())
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

    #[test]
    fn long_literal_and_question_mark_segments_on_a_long_text() {
        // The shape that took seconds with a per-position segment comparison.
        let p = format!("arn:aws:s3:::*{}b*c*", "a".repeat(4996));
        let mut text = format!("arn:aws:s3:::{}", "a".repeat(99_987));
        assert!(!m(&p, &text));
        text.replace_range(60_000..60_001, "b");
        assert!(!m(&p, &text), "no c after the b");
        text.push('c');
        assert!(m(&p, &text));
        // `?` runs of one word and of several words of the bit-parallel matcher.
        for q in [1, 63, 64, 65, 200] {
            let p = format!("*{}b", "?".repeat(q));
            let a = "a".repeat(100_000);
            assert!(!m(&p, &a), "{q}");
            assert!(m(&p, &format!("{a}b")), "{q}");
            assert!(!m(&p, &format!("{}b", "a".repeat(q - 1))), "{q}: too short");
            assert!(
                m(&p, &format!("{}b", "é".repeat(q))),
                "{q}: ? is one character"
            );
        }
    }

    #[test]
    fn segments_are_placed_leftmost_on_non_ascii_text() {
        assert!(m("*é?é*", "xxéaéyy"));
        assert!(!m("*é?é*", "xxééyy"));
        assert!(m("a*ü*?", "aüü"));
        assert!(!m("a*ü*?", "aü"));
        assert!(m("?*ß", "ßß"));
        assert!(m("*?ß?", "aßßb"));
    }

    #[test]
    fn leading_and_trailing_question_marks_of_a_segment_must_fit() {
        // A segment `?…core…?` is found by its core; the `?` around it must still fit.
        assert!(!m("*a?*", "ba"), "no character after the only a");
        assert!(m("*a?*", "ab"));
        assert!(!m("*??a*", "xa"), "two characters before the a");
        assert!(m("*??a*", "xxa"));
        assert!(m("*?a??*", "bbaaaa"));
        assert!(!m("*?a??*", "baa"));
        assert!(m("x*???*y", "xabcy"));
        assert!(!m("x*???*y", "xaby"));
        assert!(
            m("*?é?*", "aéé"),
            "the second é is the core when the first has no ? before"
        );
    }
}
