//! Condition programs: a condition entry with its key interned and its policy values parsed for
//! the operator family, evaluated exactly as semantics §3.6 describes.

use super::{KeyId, KeyLookup, Keys};
use crate::context::CtxValue;
use crate::policy::variable::{parse_template, Part};
use crate::policy::{BaseOp, Condition, Family, SetOp, Version};
use crate::settings::Settings;
use crate::values::wildcard::{tokenize, Token, Wildcard};
use crate::values::{base64_decode, parse_date, parse_number, Cidr};
use std::borrow::Cow;

/// A policy value that may hold policy variables, resolved per request.
#[derive(Debug, Clone)]
pub(crate) enum Template {
    /// No variables.
    Static(String),
    /// Parts to substitute.
    Parts(Vec<CPart>),
}

#[derive(Debug, Clone)]
pub(crate) enum CPart {
    Text(String),
    Literal(String),
    Var { key: KeyId, default: Option<String> },
}

/// The parsed values of a condition, by family.
#[derive(Debug, Clone)]
enum Values {
    /// String equality; `ignore_case` values are stored lower-cased.
    Str(Vec<Template>),
    /// `StringLike`.
    Like(Vec<LikeValue>),
    Num(Vec<Option<f64>>),
    Date(Vec<Option<i128>>),
    Bool(Vec<Template>),
    Binary(Vec<Option<Vec<u8>>>),
    Ip(Vec<Option<Cidr>>),
    Arn(Vec<ArnValue>),
    Null(Vec<Option<bool>>),
}

#[derive(Debug, Clone)]
enum LikeValue {
    Static(Wildcard),
    Dynamic(Vec<CPart>),
}

#[derive(Debug, Clone)]
enum ArnValue {
    Static(ArnPattern),
    Dynamic(Vec<CPart>),
}

/// An ARN pattern matched component by component (a `*` does not cross a `:` between the six
/// components). A pattern with fewer than six components cannot be split into the six ARN
/// components and matches nothing, except a lone `*`, which matches any value.
#[derive(Debug, Clone)]
pub(crate) enum ArnPattern {
    Parts(Box<[Wildcard; 6]>),
    Whole(Wildcard),
    Never,
}

impl ArnPattern {
    fn from_tokens(tokens: &[Token]) -> ArnPattern {
        let mut parts: Vec<Vec<Token>> = vec![Vec::new()];
        for t in tokens {
            if *t == Token::Lit(':') && parts.len() < 6 {
                parts.push(Vec::new());
            } else {
                parts.last_mut().unwrap().push(*t);
            }
        }
        if parts.len() < 6 {
            // semantics §3.2: both ARNs are split into six components and globbed per component,
            // so a `*` never reaches across a `:` (`arn:aws:sns:us-east-1:*` does not match
            // `arn:aws:sns:us-east-1:123456789012:topic`).
            let w = Wildcard::from_tokens(tokens);
            return if w.is_any() {
                ArnPattern::Whole(w)
            } else {
                ArnPattern::Never
            };
        }
        let ws: Vec<Wildcard> = parts.iter().map(|p| Wildcard::from_tokens(p)).collect();
        ArnPattern::Parts(Box::new(ws.try_into().expect("six parts")))
    }

    fn matches(&self, value: &str) -> bool {
        match self {
            ArnPattern::Whole(w) => w.matches(value),
            ArnPattern::Never => false,
            ArnPattern::Parts(ps) => {
                let mut it = value.splitn(6, ':');
                for p in ps.iter() {
                    match it.next() {
                        Some(seg) if p.matches(seg) => {}
                        _ => return false,
                    }
                }
                true
            }
        }
    }
}

/// A compiled condition entry.
#[derive(Debug, Clone)]
pub(crate) struct CCondition {
    pub key: KeyId,
    pub set: Option<SetOp>,
    pub base: BaseOp,
    pub if_exists: bool,
    values: Values,
}

/// Why a condition came out as it did (for explanations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CondReason {
    /// The key is absent and `IfExists` made the condition true.
    AbsentIfExists,
    /// The key is absent and `ForAllValues:` is vacuously true.
    AbsentForAll,
    /// The key is absent: positive operators are false, negated ones true.
    Absent,
    /// The key is present and its values were compared.
    Compared,
    /// A multivalued key under an operator without a set qualifier (semantics §3.4).
    MultivaluedWithoutQualifier,
    /// `Null` tests presence.
    Presence,
    /// A set qualifier on `Null` makes it constant.
    NullWithQualifier,
}

impl CondReason {
    /// A short human phrase.
    pub fn describe(self) -> &'static str {
        match self {
            CondReason::AbsentIfExists => "key absent, IfExists applied",
            CondReason::AbsentForAll => "key absent, ForAllValues is vacuously true",
            CondReason::Absent => "key absent",
            CondReason::Compared => "value compared",
            CondReason::MultivaluedWithoutQualifier => {
                "multivalued key without ForAllValues/ForAnyValue never matches"
            }
            CondReason::Presence => "presence tested",
            CondReason::NullWithQualifier => "set qualifier on Null is constant",
        }
    }
}

pub(crate) fn compile_parts(text: &str, version: Version, keys: &mut Keys) -> Template {
    if !version.variables_enabled() || !text.contains("${") {
        return Template::Static(text.to_string());
    }
    match parse_template(text) {
        Ok(parts) => Template::Parts(
            parts
                .into_iter()
                .map(|p| match p {
                    Part::Text(t) => CPart::Text(t),
                    Part::Literal(l) => CPart::Literal(l),
                    Part::Var { key, default } => CPart::Var {
                        key: keys.intern(&key),
                        default,
                    },
                })
                .collect(),
        ),
        // Validation rejected malformed variables already; keep the text literal otherwise.
        Err(_) => Template::Static(text.to_string()),
    }
}

/// Substitutes variables. `None` when a variable is unresolved (absent without default, or
/// multivalued). Returns tokens in which substituted text is literal.
pub(crate) fn resolve_tokens<L: KeyLookup>(
    parts: &[CPart],
    ctx: &L,
    wild: bool,
) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    for p in parts {
        match p {
            CPart::Text(t) => {
                if wild {
                    out.extend(tokenize(t));
                } else {
                    out.extend(t.chars().map(Token::Lit));
                }
            }
            CPart::Literal(l) => out.extend(l.chars().map(Token::Lit)),
            CPart::Var { key, default } => match ctx.get(*key) {
                Some(CtxValue::One(v)) => out.extend(v.chars().map(Token::Lit)),
                Some(CtxValue::Many(_)) => return None,
                None => match default {
                    Some(d) => out.extend(d.chars().map(Token::Lit)),
                    None => return None,
                },
            },
        }
    }
    Some(out)
}

fn resolve_text<'t, L: KeyLookup>(t: &'t Template, ctx: &L) -> Option<Cow<'t, str>> {
    match t {
        Template::Static(s) => Some(Cow::Borrowed(s)),
        Template::Parts(parts) => {
            let toks = resolve_tokens(parts, ctx, false)?;
            Some(Cow::Owned(
                toks.into_iter()
                    .map(|t| match t {
                        Token::Lit(c) => c,
                        Token::Star => '*',
                        Token::One => '?',
                    })
                    .collect(),
            ))
        }
    }
}

impl CCondition {
    pub(crate) fn compile(c: &Condition, version: Version, keys: &mut Keys) -> CCondition {
        let key = keys.intern(&c.key.to_ascii_lowercase());
        let base = c.op.base;
        let vars = |v: &String, keys: &mut Keys| -> Template {
            if base.takes_variables() {
                compile_parts(v, version, keys)
            } else {
                Template::Static(v.clone())
            }
        };
        let values = match base.family() {
            Family::String if base.is_like() => Values::Like(
                c.values
                    .iter()
                    .map(|v| match vars(v, keys) {
                        Template::Static(s) => LikeValue::Static(Wildcard::new(&s)),
                        Template::Parts(p) => LikeValue::Dynamic(p),
                    })
                    .collect(),
            ),
            Family::String => {
                let ic = matches!(
                    base,
                    BaseOp::StringEqualsIgnoreCase | BaseOp::StringNotEqualsIgnoreCase
                );
                Values::Str(
                    c.values
                        .iter()
                        .map(|v| match vars(v, keys) {
                            Template::Static(s) if ic => Template::Static(s.to_lowercase()),
                            t => t,
                        })
                        .collect(),
                )
            }
            Family::Numeric => Values::Num(c.values.iter().map(|v| parse_number(v)).collect()),
            Family::Date => Values::Date(c.values.iter().map(|v| parse_date(v)).collect()),
            Family::Bool => Values::Bool(c.values.iter().map(|v| vars(v, keys)).collect()),
            Family::Binary => Values::Binary(c.values.iter().map(|v| base64_decode(v)).collect()),
            Family::Ip => Values::Ip(c.values.iter().map(|v| Cidr::parse(v)).collect()),
            Family::Arn => Values::Arn(
                c.values
                    .iter()
                    .map(|v| match vars(v, keys) {
                        Template::Static(s) => {
                            ArnValue::Static(ArnPattern::from_tokens(&tokenize(&s)))
                        }
                        Template::Parts(p) => ArnValue::Dynamic(p),
                    })
                    .collect(),
            ),
            Family::Null => Values::Null(
                c.values
                    .iter()
                    .map(|v| match v.to_ascii_lowercase().as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    })
                    .collect(),
            ),
        };
        CCondition {
            key,
            set: c.op.set,
            base,
            if_exists: c.op.if_exists,
            values,
        }
    }

    /// Evaluates the condition against the request context (semantics §3.6).
    pub(crate) fn eval<L: KeyLookup>(&self, ctx: &L, settings: &Settings) -> (bool, CondReason) {
        let value = ctx.get(self.key);
        if let Values::Null(vals) = &self.values {
            match self.set {
                Some(SetOp::ForAllValues) => return (true, CondReason::NullWithQualifier),
                Some(SetOp::ForAnyValue) => return (false, CondReason::NullWithQualifier),
                None => {}
            }
            let absent = value.is_none();
            return (vals.contains(&Some(absent)), CondReason::Presence);
        }
        let Some(value) = value else {
            if self.set == Some(SetOp::ForAllValues) {
                return (true, CondReason::AbsentForAll);
            }
            if self.if_exists {
                return (true, CondReason::AbsentIfExists);
            }
            if self.set == Some(SetOp::ForAnyValue) {
                return (false, CondReason::Absent);
            }
            return (self.base.is_negated(), CondReason::Absent);
        };
        let negated = self.base.is_negated();
        match (self.set, value) {
            (Some(SetOp::ForAllValues), v) => (
                v.as_slice()
                    .iter()
                    .all(|r| self.one(r, ctx, negated, settings)),
                CondReason::Compared,
            ),
            (Some(SetOp::ForAnyValue), v) => (
                v.as_slice()
                    .iter()
                    .any(|r| self.one(r, ctx, negated, settings)),
                CondReason::Compared,
            ),
            (None, CtxValue::One(r)) => (self.one(r, ctx, negated, settings), CondReason::Compared),
            (None, CtxValue::Many(rs)) => {
                if settings.multivalued_key_without_set_operator_matches_any {
                    (
                        rs.iter().any(|r| self.one(r, ctx, negated, settings)),
                        CondReason::Compared,
                    )
                } else {
                    (false, CondReason::MultivaluedWithoutQualifier)
                }
            }
        }
    }

    /// `m(r)`: one request value against all policy values, OR for positive operators, NOR for
    /// negated ones.
    fn one<L: KeyLookup>(&self, r: &str, ctx: &L, negated: bool, settings: &Settings) -> bool {
        // `pos` answers "does r equal/match policy value p" (None: p unresolved).
        let mut any_match = false;
        let mut unresolved = false;
        let mut check = |m: Option<bool>| match m {
            Some(true) => any_match = true,
            Some(false) => {}
            None => unresolved = true,
        };
        match &self.values {
            Values::Str(vals) => {
                let ic = matches!(
                    self.base,
                    BaseOp::StringEqualsIgnoreCase | BaseOp::StringNotEqualsIgnoreCase
                );
                let rl;
                let r = if ic {
                    rl = r.to_lowercase();
                    rl.as_str()
                } else {
                    r
                };
                for t in vals {
                    match t {
                        Template::Static(s) => check(Some(s == r)),
                        Template::Parts(_) => check(resolve_text(t, ctx).map(|s| {
                            if ic {
                                s.to_lowercase() == r
                            } else {
                                s == r
                            }
                        })),
                    }
                }
            }
            Values::Like(vals) => {
                for v in vals {
                    match v {
                        LikeValue::Static(w) => check(Some(w.matches(r))),
                        LikeValue::Dynamic(parts) => check(
                            resolve_tokens(parts, ctx, true)
                                .map(|t| Wildcard::from_tokens(&t).matches(r)),
                        ),
                    }
                }
            }
            Values::Num(vals) => {
                let rv = parse_number(r);
                for p in vals {
                    check(Some(match (rv, p) {
                        (Some(a), Some(b)) => num_cmp(self.base, a, *b),
                        _ => false,
                    }));
                }
            }
            Values::Date(vals) => {
                let rv = parse_date(r);
                for p in vals {
                    check(Some(match (rv, p) {
                        (Some(a), Some(b)) => date_cmp(self.base, a, *b),
                        _ => false,
                    }));
                }
            }
            Values::Bool(vals) => {
                let rb = parse_bool(r);
                for t in vals {
                    check(resolve_text(t, ctx).map(|s| rb.is_some() && parse_bool(&s) == rb));
                }
            }
            Values::Binary(vals) => {
                let rb = base64_decode(r);
                for p in vals {
                    check(Some(match p {
                        Some(p) => {
                            rb.as_deref() == Some(p.as_slice()) || r.as_bytes() == p.as_slice()
                        }
                        None => false,
                    }));
                }
            }
            Values::Ip(vals) => {
                let rip = Cidr::parse(r);
                for p in vals {
                    check(Some(match (p, &rip) {
                        (Some(range), Some(ip)) => range.contains(ip),
                        _ => false,
                    }));
                }
            }
            Values::Arn(vals) => {
                for v in vals {
                    match v {
                        ArnValue::Static(p) => check(Some(p.matches(r))),
                        ArnValue::Dynamic(parts) => check(
                            resolve_tokens(parts, ctx, true)
                                .map(|t| ArnPattern::from_tokens(&t).matches(r)),
                        ),
                    }
                }
            }
            Values::Null(_) => unreachable!("Null is handled before"),
        }
        if negated {
            if unresolved && !settings.negated_op_matches_unresolved_variable {
                return false;
            }
            // NOR: an unresolved value counts as "not equal".
            !any_match
        } else {
            any_match
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn num_cmp(op: BaseOp, a: f64, b: f64) -> bool {
    match op {
        BaseOp::NumericEquals | BaseOp::NumericNotEquals => a == b,
        BaseOp::NumericLessThan => a < b,
        BaseOp::NumericLessThanEquals => a <= b,
        BaseOp::NumericGreaterThan => a > b,
        BaseOp::NumericGreaterThanEquals => a >= b,
        _ => false,
    }
}

fn date_cmp(op: BaseOp, a: i128, b: i128) -> bool {
    match op {
        BaseOp::DateEquals | BaseOp::DateNotEquals => a == b,
        BaseOp::DateLessThan => a < b,
        BaseOp::DateLessThanEquals => a <= b,
        BaseOp::DateGreaterThan => a > b,
        BaseOp::DateGreaterThanEquals => a >= b,
        _ => false,
    }
}
