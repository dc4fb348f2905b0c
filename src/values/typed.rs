//! Typed condition values: numbers, dates, IP ranges and binary, parsed once when a policy is
//! compiled (and on demand for request values).

use std::net::IpAddr;

/// Parses an IAM numeric value (integer or decimal).
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parses a date: W3C ISO 8601 profile (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s]]TZD`)
/// or epoch seconds. Returns nanoseconds since the Unix epoch.
pub fn parse_date(s: &str) -> Option<i128> {
    if let Some(ns) = plain_utc(s.as_bytes()) {
        return Some(ns);
    }
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
        && !t[1..].contains('-')
    {
        // Epoch seconds (possibly fractional or negative).
        if t.len() != 4 || t.contains('.') {
            let f: f64 = t.parse().ok()?;
            return Some((f * 1e9) as i128);
        }
    }
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = t.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = num(0..4)?;
    let (mut month, mut day) = (1, 1);
    let mut secs_of_day: i64 = 0;
    let mut nanos: i64 = 0;
    let mut offset: i64 = 0;
    let mut i = 4;
    if i < b.len() {
        if b[i] != b'-' {
            return None;
        }
        month = num(5..7)?;
        i = 7;
        if i < b.len() {
            if b[i] != b'-' {
                return None;
            }
            day = num(8..10)?;
            i = 10;
            if i < b.len() {
                if b[i] != b'T' && b[i] != b't' && b[i] != b' ' {
                    return None;
                }
                let hh = num(11..13)?;
                if b.get(13) != Some(&b':') {
                    return None;
                }
                let mm = num(14..16)?;
                i = 16;
                let mut ss = 0;
                if b.get(i) == Some(&b':') {
                    ss = num(17..19)?;
                    i = 19;
                    if b.get(i) == Some(&b'.') {
                        let start = i + 1;
                        let mut end = start;
                        while end < b.len() && b[end].is_ascii_digit() {
                            end += 1;
                        }
                        if end == start {
                            return None;
                        }
                        let frac = &t[start..end.min(start + 9)];
                        nanos = frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32);
                        i = end;
                    }
                }
                if hh > 24 || mm > 59 || ss > 60 {
                    return None;
                }
                secs_of_day = hh * 3600 + mm * 60 + ss;
                // Time zone designator; lenient: a missing one means UTC.
                match b.get(i) {
                    None => {}
                    Some(b'Z' | b'z') if i + 1 == b.len() => {}
                    Some(&sign @ (b'+' | b'-')) => {
                        let oh = num(i + 1..i + 3)?;
                        let om = if b.get(i + 3) == Some(&b':') {
                            num(i + 4..i + 6)?
                        } else {
                            num(i + 3..i + 5)?
                        };
                        let end = if b.get(i + 3) == Some(&b':') {
                            i + 6
                        } else {
                            i + 5
                        };
                        if end != b.len() {
                            return None;
                        }
                        offset = (oh * 3600 + om * 60) * if sign == b'+' { 1 } else { -1 };
                    }
                    _ => return None,
                }
            }
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + secs_of_day - offset;
    Some(secs as i128 * 1_000_000_000 + nanos as i128)
}

/// The commonest form, `YYYY-MM-DDThh:mm:ssZ` exactly (what logs carry), read without the
/// general parser's steps; `None` for anything else, which the general parser then reads
/// (it gives the same value for this form).
#[inline]
fn plain_utc(b: &[u8]) -> Option<i128> {
    plain_utc_secs(b).map(|secs| secs as i128 * 1_000_000_000)
}

/// [`parse_date`] in whole epoch seconds (rounded toward zero, as `ns / 10^9`); the plain
/// `YYYY-MM-DDThh:mm:ssZ` form, the one every request log carries, without 128-bit arithmetic.
pub fn parse_date_secs(s: &str) -> Option<i64> {
    if let Some(secs) = plain_utc_secs(s.as_bytes()) {
        return Some(secs);
    }
    parse_date(s).map(|ns| (ns / 1_000_000_000) as i64)
}

/// The plain form's epoch seconds.
#[inline]
fn plain_utc_secs(b: &[u8]) -> Option<i64> {
    let b: &[u8; 20] = b.try_into().ok()?;
    let d = |i: usize| -> Option<i64> {
        let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (x < 10 && y < 10).then_some((x * 10 + y) as i64)
    };
    let seps = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':'
        && matches!(b[19], b'Z' | b'z');
    if !seps {
        return None;
    }
    let year = d(0)? * 100 + d(2)?;
    let (month, day, hh, mm, ss) = (d(5)?, d(8)?, d(11)?, d(14)?, d(17)?);
    if hh > 24 || mm > 59 || ss > 60 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days since 1970-01-01 (proleptic Gregorian), after Howard Hinnant's algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats epoch seconds as `YYYY-MM-DDThh:mm:ssZ`.
pub fn format_date(epoch_secs: i64) -> String {
    let mut s = String::with_capacity(20);
    write_date(epoch_secs, &mut s);
    s
}

/// Appends [`format_date`]'s text to `out` without allocating (the bulk path formats a date
/// per line).
pub fn write_date(epoch_secs: i64, out: &mut String) {
    let days = epoch_secs.div_euclid(86_400);
    let sod = epoch_secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    let (hh, mm, ss) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    if !(0..=9999).contains(&y) {
        // Years of other widths (and signs) as the formatter pads them.
        use std::fmt::Write as _;
        let _ = write!(out, "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z");
        return;
    }
    // Every field is in range here: two (four) ASCII digits each.
    let two = |v: i64| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
    let (y1, y2) = (two(y / 100), two(y % 100));
    let (m, d, hh, mm, ss) = (two(m), two(d), two(hh), two(mm), two(ss));
    let b = [
        y1[0], y1[1], y2[0], y2[1], b'-', m[0], m[1], b'-', d[0], d[1], b'T', hh[0], hh[1], b':',
        mm[0], mm[1], b':', ss[0], ss[1], b'Z',
    ];
    // ASCII digits and separators only.
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

/// An IPv4 or IPv6 range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: u128,
    prefix: u8,
    v6: bool,
}

impl Cidr {
    /// Parses `a.b.c.d[/n]` or an IPv6 address with an optional `/n`. A bare address is a
    /// single-host range.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let (addr, v6, max) = match ip {
            IpAddr::V4(v4) => (u32::from(v4) as u128, false, 32),
            IpAddr::V6(v6) => (u128::from(v6), true, 128),
        };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Cidr { addr, prefix, v6 })
    }

    fn mask(&self) -> u128 {
        let bits = if self.v6 { 128 } else { 32 };
        if self.prefix == 0 {
            0
        } else {
            let full = if self.v6 { u128::MAX } else { u32::MAX as u128 };
            (full >> (bits - self.prefix as u32)) << (bits - self.prefix as u32) & full
        }
    }

    /// Whether `ip` lies in the range (host bits of the range are ignored).
    pub fn contains(&self, ip: &Cidr) -> bool {
        self.v6 == ip.v6 && (self.addr & self.mask()) == (ip.addr & self.mask())
    }

    /// Whether bits after the prefix are set (Access Analyzer "Improve IP range").
    pub fn has_host_bits(&self) -> bool {
        self.addr & !self.mask() & if self.v6 { u128::MAX } else { u32::MAX as u128 } != 0
    }

    /// Whether the range is in RFC 1918 / unique-local space.
    pub fn is_private(&self) -> bool {
        if self.v6 {
            return (self.addr >> 121) == 0x7e; // fc00::/7
        }
        let a = self.addr as u32;
        (a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8
    }
}

/// Decodes standard base64 (padding optional).
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    let t = s.trim_end_matches('=');
    for c in t.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_w3c_form_and_epoch_seconds() {
        for t in ["2025-12-01T05:33:20Z", "1969-12-31T23:59:59Z", "2020-01-01", "1.5", "-2.5"] {
            let ns = parse_date(t).unwrap();
            assert_eq!(parse_date_secs(t), Some((ns / 1_000_000_000) as i64), "{t}");
        }
        assert_eq!(parse_date_secs("2025-13-01T05:33:20Z"), None);
        let day = parse_date("2020-01-01").unwrap();
        assert_eq!(day, 1_577_836_800 * 1_000_000_000);
        assert_eq!(parse_date("2020"), Some(day));
        assert_eq!(parse_date("2020-01"), Some(day));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(day));
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(day));
        assert_eq!(parse_date("2020-01-01T01:00:00+01:00"), Some(day));
        assert_eq!(parse_date("1577836800"), Some(day));
        assert_eq!(
            parse_date("2020-01-01T00:00:00.5Z"),
            Some(day + 500_000_000)
        );
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(format_date(1_577_836_800), "2020-01-01T00:00:00Z");
        // The plain UTC form's shortcut agrees with the general reader.
        for t in [
            "2025-12-01T00:00:06Z",
            "2025-12-01t23:59:60z",
            "2025-12-01 24:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2025-02-31T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-00-01T00:00:00Z",
            "2025-12-00T00:00:00Z",
            "2025-12-01T25:00:00Z",
            "2025-12-01T00:60:00Z",
            "2025-12-01T00:00:61Z",
            "2025-12-01T00:00:0aZ",
            "2025-12-01X00:00:00Z",
            "2025-12-01T00:00:00+",
        ] {
            let general = {
                // The general reader, bypassing the shortcut: the same text with a space
                // after it (trimmed) is never the 20-byte form.
                parse_date(&format!("{t} "))
            };
            assert_eq!(parse_date(t), general, "{t}");
        }
        // The digit writer agrees with the formatter everywhere, odd years included.
        for t in [
            0i64,
            -1,
            86_399,
            951_782_400,
            1_764_547_199,
            253_402_300_799,
            253_402_300_800,
            -62_167_219_200,
            -62_167_219_201,
            -99_999_999_999,
        ] {
            let want = {
                // The formatter-based version this replaced.
                let (days, sod) = (t.div_euclid(86_400), t.rem_euclid(86_400));
                let z = days + 719_468;
                let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
                let doe = z - era * 146_097;
                let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
                let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
                let mp = (5 * doy + 2) / 153;
                let d = doy - (153 * mp + 2) / 5 + 1;
                let m = if mp < 10 { mp + 3 } else { mp - 9 };
                let y = yoe + era * 400 + (m <= 2) as i64;
                format!(
                    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                    sod / 3600,
                    (sod % 3600) / 60,
                    sod % 60
                )
            };
            assert_eq!(format_date(t), want, "{t}");
        }
    }

    #[test]
    fn cidr_containment_for_ipv4_and_ipv6() {
        let r = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(r.contains(&Cidr::parse("203.0.113.77").unwrap()));
        assert!(!r.contains(&Cidr::parse("198.51.100.1").unwrap()));
        let r6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(r6.contains(&Cidr::parse("2001:db8:1234:5678::1").unwrap()));
        assert!(!r6.contains(&Cidr::parse("203.0.113.77").unwrap()));
        assert!(!r.contains(&Cidr::parse("::ffff:203.0.113.77").unwrap()));
        assert!(Cidr::parse("203.0.113.5/24").unwrap().has_host_bits());
        assert!(Cidr::parse("10.0.0.0/8").unwrap().is_private());
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(&Cidr::parse("1.2.3.4").unwrap()));
    }

    #[test]
    fn base64_roundtrip() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert!(base64_decode("not base64!").is_none());
    }
}

/// Why a date that [`parse_date`] accepts is still not a real calendar date or offset (February
/// 31, hour 25, a `+99:99` offset), for a lint warning: evaluation stays lenient, as the rest of
/// AWS's date handling is undocumented.
pub fn date_leniency(s: &str) -> Option<String> {
    let t = s.trim();
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let p = t.get(r)?;
        (p.len() >= 2 && p.bytes().all(|c| c.is_ascii_digit())).then(|| p.parse().ok())?
    };
    if b.len() < 7 || b[4] != b'-' {
        return None;
    }
    let year: u32 = t.get(0..4)?.parse().ok()?;
    let month = num(5..7)?;
    if !(1..=12).contains(&month) {
        return Some(format!("month {month} does not exist"));
    }
    if b.len() >= 10 && b[7] == b'-' {
        let day = num(8..10)?;
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day == 0 || day > days {
            return Some(format!(
                "day {day} does not exist in month {month} of {year}"
            ));
        }
    }
    if b.len() >= 16 && b[13] == b':' {
        let (hh, mm) = (num(11..13)?, num(14..16)?);
        if hh > 24 || mm > 59 {
            return Some(format!("{hh:02}:{mm:02} is not a time of day"));
        }
    }
    // A numeric offset at the end: +hh:mm or -hh:mm (valid offsets run from -12:00 to +14:00).
    if b.len() >= 22 {
        let tail = &t[t.len() - 6..];
        let tb = tail.as_bytes();
        if (tb[0] == b'+' || tb[0] == b'-') && tb[3] == b':' {
            let oh: u32 = tail[1..3].parse().ok()?;
            let om: u32 = tail[4..6].parse().ok()?;
            if oh > 14 || om > 59 {
                return Some(format!("the offset {tail} does not exist"));
            }
        }
    }
    None
}

#[cfg(test)]
mod leniency_tests {
    use super::*;

    #[test]
    fn impossible_dates_and_offsets_are_named() {
        assert!(date_leniency("2026-02-31T00:00:00Z")
            .unwrap()
            .contains("day 31"));
        assert!(date_leniency("2024-02-29T00:00:00Z").is_none());
        assert!(date_leniency("2026-01-01T00:00:00+99:99")
            .unwrap()
            .contains("+99:99"));
        assert!(date_leniency("2026-13-01").unwrap().contains("month 13"));
        assert!(date_leniency("2026-01-01T12:00:00+05:30").is_none());
        assert!(date_leniency("1700000000").is_none());
    }
}
