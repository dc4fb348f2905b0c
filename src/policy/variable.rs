//! Policy variables: `${key}`, `${key, 'default'}`, and the literals `${*}`, `${?}`, `${$}`
//! (semantics §3.5).

/// One piece of a value that may contain policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text written in the policy; `*` and `?` in it keep their wildcard meaning in `Like` contexts.
    Text(String),
    /// A literal produced by `${*}`, `${?}` or `${$}`: never a wildcard.
    Literal(String),
    /// A variable: the condition key (lower-cased) and its default value.
    Var {
        /// The context key, lower-cased.
        key: String,
        /// The value used when the key is absent.
        default: Option<String>,
    },
}

/// Why a variable is malformed (Access Analyzer wording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableError {
    /// `${}`.
    Empty,
    /// `${` without `}`.
    MissingBrace,
    /// A space inside the variable name.
    Space,
    /// A default value that is not in single quotes.
    MissingQuote,
}

impl VariableError {
    /// The human message.
    pub fn message(&self) -> &'static str {
        match self {
            VariableError::Empty => "empty variable `${}`",
            VariableError::MissingBrace => "missing brace: `${` without a closing `}`",
            VariableError::Space => "unsupported space in a variable name",
            VariableError::MissingQuote => {
                "missing quote: a default value must be written `${key, 'default'}`"
            }
        }
    }
}

/// True when the text contains `${`.
pub fn has_variables(text: &str) -> bool {
    text.contains("${")
}

/// Splits text into parts. Without variables the result is one `Text` part.
pub fn parse_template(text: &str) -> Result<Vec<Part>, VariableError> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut buf = String::new();
    while let Some(start) = rest.find("${") {
        buf.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(VariableError::MissingBrace)?;
        let inner = &after[..end];
        rest = &after[end + 1..];
        match inner {
            "*" | "?" | "$" => {
                if !buf.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut buf)));
                }
                parts.push(Part::Literal(inner.to_string()));
                continue;
            }
            "" => return Err(VariableError::Empty),
            _ => {}
        }
        let (name, default) = match inner.split_once(',') {
            Some((name, d)) => {
                let d = d.strip_prefix(' ').unwrap_or(d);
                if d.len() < 2 || !d.starts_with('\'') || !d.ends_with('\'') {
                    return Err(VariableError::MissingQuote);
                }
                (name, Some(d[1..d.len() - 1].to_string()))
            }
            None => (inner, None),
        };
        if name.is_empty() {
            return Err(VariableError::Empty);
        }
        if name.contains(char::is_whitespace) {
            return Err(VariableError::Space);
        }
        if !buf.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut buf)));
        }
        parts.push(Part::Var {
            key: name.to_ascii_lowercase(),
            default,
        });
    }
    buf.push_str(rest);
    if !buf.is_empty() || parts.is_empty() {
        parts.push(Part::Text(buf));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_defaults_and_special_literals_are_parsed() {
        let p = parse_template("b-${aws:PrincipalTag/team, 'company-wide'}/${*}x").unwrap();
        assert_eq!(
            p,
            vec![
                Part::Text("b-".into()),
                Part::Var {
                    key: "aws:principaltag/team".into(),
                    default: Some("company-wide".into())
                },
                Part::Text("/".into()),
                Part::Literal("*".into()),
                Part::Text("x".into()),
            ]
        );
    }

    #[test]
    fn malformed_variables_are_errors() {
        assert_eq!(parse_template("${}"), Err(VariableError::Empty));
        assert_eq!(
            parse_template("${aws:username"),
            Err(VariableError::MissingBrace)
        );
        assert_eq!(
            parse_template("${aws: username}"),
            Err(VariableError::Space)
        );
        assert_eq!(
            parse_template("${aws:username, default}"),
            Err(VariableError::MissingQuote)
        );
    }
}
