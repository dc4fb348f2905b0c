//! Condition operators: the grammar `[ForAllValues:|ForAnyValue:] Base [IfExists]` (semantics §3.1).

use std::fmt;

/// The base comparison of a condition operator.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOp {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The operator families of semantics §3.2; each parses its policy values differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `String*` operators.
    String,
    /// `Numeric*` operators.
    Numeric,
    /// `Date*` operators.
    Date,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    Binary,
    /// `IpAddress` / `NotIpAddress`.
    Ip,
    /// `Arn*` operators.
    Arn,
    /// `Null`.
    Null,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetOp {
    /// Every request value must match.
    ForAllValues,
    /// At least one request value must match.
    ForAnyValue,
}

/// A parsed condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The set qualifier, if any.
    pub set: Option<SetOp>,
    /// The base comparison.
    pub base: BaseOp,
    /// Whether the `IfExists` suffix is present.
    pub if_exists: bool,
}

/// Every base operator with its canonical name.
pub const BASE_OPS: &[(BaseOp, &str)] = &[
    (BaseOp::StringEquals, "StringEquals"),
    (BaseOp::StringNotEquals, "StringNotEquals"),
    (BaseOp::StringEqualsIgnoreCase, "StringEqualsIgnoreCase"),
    (
        BaseOp::StringNotEqualsIgnoreCase,
        "StringNotEqualsIgnoreCase",
    ),
    (BaseOp::StringLike, "StringLike"),
    (BaseOp::StringNotLike, "StringNotLike"),
    (BaseOp::NumericEquals, "NumericEquals"),
    (BaseOp::NumericNotEquals, "NumericNotEquals"),
    (BaseOp::NumericLessThan, "NumericLessThan"),
    (BaseOp::NumericLessThanEquals, "NumericLessThanEquals"),
    (BaseOp::NumericGreaterThan, "NumericGreaterThan"),
    (BaseOp::NumericGreaterThanEquals, "NumericGreaterThanEquals"),
    (BaseOp::DateEquals, "DateEquals"),
    (BaseOp::DateNotEquals, "DateNotEquals"),
    (BaseOp::DateLessThan, "DateLessThan"),
    (BaseOp::DateLessThanEquals, "DateLessThanEquals"),
    (BaseOp::DateGreaterThan, "DateGreaterThan"),
    (BaseOp::DateGreaterThanEquals, "DateGreaterThanEquals"),
    (BaseOp::Bool, "Bool"),
    (BaseOp::BinaryEquals, "BinaryEquals"),
    (BaseOp::IpAddress, "IpAddress"),
    (BaseOp::NotIpAddress, "NotIpAddress"),
    (BaseOp::ArnEquals, "ArnEquals"),
    (BaseOp::ArnLike, "ArnLike"),
    (BaseOp::ArnNotEquals, "ArnNotEquals"),
    (BaseOp::ArnNotLike, "ArnNotLike"),
    (BaseOp::Null, "Null"),
];

impl BaseOp {
    /// The canonical name.
    pub fn name(self) -> &'static str {
        BASE_OPS
            .iter()
            .find(|(b, _)| *b == self)
            .map(|x| x.1)
            .unwrap_or("?")
    }

    /// Negated operators compare with NOR and are true on an absent key (semantics §3.3).
    pub fn is_negated(self) -> bool {
        use BaseOp::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// The operator family.
    pub fn family(self) -> Family {
        use BaseOp::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Family::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Family::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Family::Date,
            Bool => Family::Bool,
            BinaryEquals => Family::Binary,
            IpAddress | NotIpAddress => Family::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Family::Arn,
            Null => Family::Null,
        }
    }

    /// Whether policy variables are substituted in this operator's values (semantics §3.5, §9.7).
    pub fn takes_variables(self) -> bool {
        matches!(self.family(), Family::String | Family::Arn | Family::Bool)
    }

    /// Whether `*` and `?` are wildcards in this operator's values.
    pub fn is_like(self) -> bool {
        use BaseOp::*;
        matches!(
            self,
            StringLike | StringNotLike | ArnEquals | ArnLike | ArnNotEquals | ArnNotLike
        )
    }
}

/// Why an operator name could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorError {
    /// Not an operator at all.
    Unknown,
    /// `Null` with `IfExists`.
    NullIfExists,
}

impl Operator {
    /// Parses an operator name. Matching is case-insensitive (semantics §9.18); the second value
    /// is true when the spelling is not canonical.
    pub fn parse(name: &str) -> Result<(Operator, bool), OperatorError> {
        let mut rest = name;
        let mut set = None;
        let mut noncanonical = false;
        if let Some((prefix, tail)) = rest.split_once(':') {
            set = Some(if prefix.eq_ignore_ascii_case("ForAllValues") {
                noncanonical |= prefix != "ForAllValues";
                SetOp::ForAllValues
            } else if prefix.eq_ignore_ascii_case("ForAnyValue") {
                noncanonical |= prefix != "ForAnyValue";
                SetOp::ForAnyValue
            } else {
                return Err(OperatorError::Unknown);
            });
            rest = tail;
        }
        let mut if_exists = false;
        let split = rest.len().saturating_sub(8);
        if rest.len() > 8
            && rest.is_char_boundary(split)
            && rest[split..].eq_ignore_ascii_case("IfExists")
        {
            // "...IfExists": but do not strip from a base name that happens to end that way.
            let base = &rest[..split];
            if lookup_base(base).is_some() {
                noncanonical |= &rest[split..] != "IfExists";
                if_exists = true;
                rest = base;
            }
        }
        let (base, canonical) = lookup_base(rest).ok_or(OperatorError::Unknown)?;
        noncanonical |= !canonical;
        if base == BaseOp::Null && if_exists {
            return Err(OperatorError::NullIfExists);
        }
        Ok((
            Operator {
                set,
                base,
                if_exists,
            },
            noncanonical,
        ))
    }
}

fn lookup_base(s: &str) -> Option<(BaseOp, bool)> {
    BASE_OPS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(s))
        .map(|(b, n)| (*b, *n == s))
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.set {
            Some(SetOp::ForAllValues) => write!(f, "ForAllValues:")?,
            Some(SetOp::ForAnyValue) => write!(f, "ForAnyValue:")?,
            None => {}
        }
        write!(f, "{}", self.base.name())?;
        if self.if_exists {
            write!(f, "IfExists")?;
        }
        Ok(())
    }
}

/// All canonical operator spellings (for "did you mean" suggestions).
pub fn all_operator_names() -> Vec<String> {
    let mut v = Vec::new();
    for (b, n) in BASE_OPS {
        v.push(n.to_string());
        if *b != BaseOp::Null {
            v.push(format!("{n}IfExists"));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_grammar_accepts_qualifiers_and_ifexists() {
        let (op, nc) = Operator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.set, Some(SetOp::ForAllValues));
        assert_eq!(op.base, BaseOp::StringNotLike);
        assert!(op.if_exists && !nc);
        assert_eq!(op.to_string(), "ForAllValues:StringNotLikeIfExists");
    }

    #[test]
    fn non_ascii_operator_names_are_unknown_not_a_panic() {
        // Found by the policy_reader fuzzer: a multi-byte character 8 bytes from the end.
        assert_eq!(
            Operator::parse("Stri\u{211}gEquals"),
            Err(OperatorError::Unknown)
        );
        assert_eq!(Operator::parse("éééééééééé"), Err(OperatorError::Unknown));
    }

    #[test]
    fn null_with_ifexists_is_rejected() {
        assert_eq!(
            Operator::parse("NullIfExists"),
            Err(OperatorError::NullIfExists)
        );
    }

    #[test]
    fn unknown_operators_and_prefixes_are_rejected() {
        assert_eq!(Operator::parse("StringEqualz"), Err(OperatorError::Unknown));
        assert_eq!(
            Operator::parse("ForSomeValues:StringEquals"),
            Err(OperatorError::Unknown)
        );
        assert_eq!(
            Operator::parse("ForAllValues:ForAnyValue:StringEquals"),
            Err(OperatorError::Unknown)
        );
    }

    #[test]
    fn operator_names_match_case_insensitively_but_flag_noncanonical_spelling() {
        let (op, nc) = Operator::parse("stringequals").unwrap();
        assert_eq!(op.base, BaseOp::StringEquals);
        assert!(nc);
    }
}
