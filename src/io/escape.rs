//! Making text from input files safe to print.
//!
//! A test name, Sid or action comes from a file the user may not have written. Printed raw, an
//! ESC sequence in it can clear the terminal or rewrite the title, and a control character makes
//! JUnit XML ill-formed. Terminal text escapes C0/C1 controls and DEL as `\u{..}`; XML escapes
//! markup and replaces the characters XML 1.0 cannot carry at all.

pub use crate::diag::term;

/// `s` escaped for an XML attribute or text node: `& < > " '` as entities, characters XML 1.0
/// forbids (controls other than tab, newline, carriage return) as `\u{..}` text.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn escape_sequences_are_shown_not_executed() {
        assert_eq!(term("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(term("c\u{9b}d\u{7f}"), "c\\u{9b}d\\u{7f}");
        assert!(matches!(term("plain\tname\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn xml_carries_no_forbidden_character() {
        assert_eq!(xml("a<b>&\"'\u{1b}"), "a&lt;b&gt;&amp;&quot;&apos;\\u{1b}");
    }
}
