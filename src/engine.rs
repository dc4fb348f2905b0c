//! The library's front door: build a scenario, compile it once, decide requests in one call.
//!
//! ```
//! use iamsim::{Decision, Engine, Preset, Query};
//!
//! let engine = Engine::from_json(r#"{"identity_policies": [
//!     {"Version": "2012-10-17", "Statement": [
//!       {"Effect": "Allow", "Action": "*", "Resource": "*"},
//!       {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
//!        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}]}"#)?;
//! let answer = engine.decide(&Query::new("s3:ListAllMyBuckets").preset(Preset::AccessKeys))?;
//! assert_eq!(answer.decision, Decision::ExplicitDeny); // long-term keys carry no MFA key
//! assert_eq!(engine.decide(&Query::new("s3:ListAllMyBuckets").preset(Preset::ConsoleMfa))?.decision, Decision::Allowed);
//! # Ok::<(), iamsim::Error>(())
//! ```
//!
//! The request context is built and bound inside [`Engine::decide`] — principal-derived keys,
//! the preset's keys, `aws:ResourceAccount`, organization keys, the time — with the query's
//! `context_keys` over them, exactly as `iamsim test` does for a case.

use crate::compile::{CompileError, PolicySet};
use crate::context::{CtxValue, Preset, Principal};
use crate::diag::InputError;
use crate::eval::{Decision, Missing, Outcome, Request, ServiceRule};
use crate::report::{Explanation, StatementRef};
use crate::scenario::{request_context_at, RequestSpec, ScenarioBuilder, ScenarioSpec};
use std::fmt;
use std::path::Path;

/// Why the library could not answer.
#[derive(Debug)]
pub enum Error {
    /// Bad input: a file, a policy, a flag, with its position.
    Input(InputError),
    /// The scenario does not compile (over a limit).
    Compile(CompileError),
    /// A query is malformed (an action that is not `service:Action`, a bad principal ARN).
    Query(QueryError),
    /// The MFA audit could not run (a principal it does not cover, no probes).
    Audit(crate::mfa::AuditError),
}

/// What is wrong with a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// The action is neither `*` nor `service:Action`.
    Action(String),
    /// The principal ARN does not parse.
    Principal {
        /// The ARN given.
        arn: String,
        /// Why.
        why: String,
    },
    /// A time key's value is not a date.
    TimeValue {
        /// The key (`aws:CurrentTime`, `aws:EpochTime`).
        key: String,
        /// Why.
        why: String,
    },
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Action(a) => write!(f, "action \"{a}\" must be service:Action"),
            QueryError::Principal { arn, why } => write!(f, "principal \"{arn}\": {why}"),
            QueryError::TimeValue { why, .. } => f.write_str(why),
        }
    }
}

impl std::error::Error for QueryError {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(e) => write!(f, "{e}"),
            Error::Compile(e) => write!(f, "{e}"),
            Error::Query(e) => write!(f, "{e}"),
            Error::Audit(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Input(e) => Some(e),
            Error::Query(e) => Some(e),
            Error::Audit(e) => Some(e),
            Error::Compile(e) => Some(e),
        }
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(e)
    }
}

impl From<CompileError> for Error {
    fn from(e: CompileError) -> Self {
        Error::Compile(e)
    }
}

/// One request: an action, a resource, how the caller reached AWS, extra condition keys.
#[derive(Debug, Clone)]
pub struct Query {
    action: String,
    resource: String,
    preset: Preset,
    principal: Option<String>,
    keys: Vec<(String, Option<CtxValue>)>,
    time: Option<i64>,
}

impl Query {
    /// A request for `action` on `*` with no preset, by the scenario's principal.
    pub fn new(action: &str) -> Query {
        Query {
            action: action.to_string(),
            resource: "*".to_string(),
            preset: Preset::None,
            principal: None,
            keys: Vec::new(),
            time: None,
        }
    }

    /// The resource ARN.
    pub fn resource(mut self, arn: &str) -> Query {
        self.resource = arn.to_string();
        self
    }

    /// How the caller reached AWS (console, access keys, a session...).
    pub fn preset(mut self, preset: Preset) -> Query {
        self.preset = preset;
        self
    }

    /// Another caller than the scenario's.
    pub fn principal(mut self, arn: &str) -> Query {
        self.principal = Some(arn.to_string());
        self
    }

    /// A condition key over the preset's (a repeated key becomes multivalued).
    pub fn key(mut self, name: &str, value: &str) -> Query {
        match self
            .keys
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, Some(v))) => {
                let mut all = v.as_slice().to_vec();
                all.push(value.to_string());
                *v = CtxValue::Many(all);
            }
            _ => self
                .keys
                .push((name.to_string(), Some(CtxValue::One(value.to_string())))),
        }
        self
    }

    /// Removes a key the preset sets.
    pub fn without_key(mut self, name: &str) -> Query {
        self.keys.push((name.to_string(), None));
        self
    }

    /// Condition keys already parsed (`None` removes a preset key), over any given before.
    pub(crate) fn keys(mut self, keys: Vec<(String, Option<CtxValue>)>) -> Query {
        self.keys.extend(keys);
        self
    }

    /// The request time (epoch seconds; default now).
    pub fn at(mut self, epoch_secs: i64) -> Query {
        self.time = Some(epoch_secs);
        self
    }
}

/// A decision with the statements behind it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: Decision,
    /// The deciding statements: the explicit deny, or the allows the grant rests on.
    pub statements: Vec<StatementRef>,
    /// For an implicit deny: the layer without an allow.
    pub missing: Option<Missing>,
    /// A service rule outside the policies that decided it.
    pub rule: Option<ServiceRule>,
    /// The engine's outcome (statement ids into [`Engine::policy_set`]).
    pub outcome: Outcome,
}

/// A decision, its explanation and the context it was made in ([`Engine::trace`]).
pub(crate) struct Traced {
    pub(crate) outcome: Outcome,
    pub(crate) explanation: Explanation,
    /// Every key of the request context, by its spelling as given.
    pub(crate) context: Vec<(String, CtxValue)>,
}

/// A compiled scenario, ready to decide requests (compile once, decide many times).
#[derive(Debug)]
pub struct Engine {
    set: PolicySet,
    spec: ScenarioSpec,
}

impl Engine {
    /// Compiles a scenario built with [`ScenarioBuilder`].
    pub fn new(spec: ScenarioSpec) -> Result<Engine, Error> {
        let set = PolicySet::compile(&spec.scenario)?;
        Ok(Engine { set, spec })
    }

    /// A scenario file (the scenario fields of a case file; `{"file"}` references relative to
    /// it, inside the current directory or the file's own).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Engine, Error> {
        let mut b = ScenarioBuilder::new();
        b.file(path.as_ref())?;
        Engine::new(b.build()?.spec)
    }

    /// A scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Engine, Error> {
        let j = crate::scenario::parse_json_text(text, "scenario")?;
        let mut b = ScenarioBuilder::new();
        b.json(&j, "scenario", Path::new("."))?;
        Engine::new(b.build()?.spec)
    }

    /// The scenario.
    pub fn scenario(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// The compiled policies.
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }

    fn prepare(&self, q: &Query) -> Result<(Principal, RequestSpec), Error> {
        if q.action != "*" && q.action.split(':').count() != 2 {
            return Err(Error::Query(QueryError::Action(q.action.clone())));
        }
        let principal = match &q.principal {
            Some(arn) => Principal::parse(arn).map_err(|e| {
                Error::Query(QueryError::Principal {
                    arn: arn.clone(),
                    why: e.0,
                })
            })?,
            None => self.spec.principal.clone(),
        };
        for (k, v) in &q.keys {
            if let (true, Some(v)) = (crate::scenario::request::is_time_key(k), v) {
                crate::scenario::request::check_time_value(k, v).map_err(|why| {
                    Error::Query(QueryError::TimeValue {
                        key: k.clone(),
                        why,
                    })
                })?;
            }
        }
        let rs = RequestSpec {
            action: q.action.clone(),
            resource: q.resource.clone(),
            preset: q.preset,
            keys: q.keys.clone(),
        };
        Ok((principal, rs))
    }

    /// Builds the request context (inside, as `iamsim test` does), evaluates, and hands the
    /// request, the context, its bound slots and the outcome to `f`.
    fn run<T>(
        &self,
        q: &Query,
        f: impl FnOnce(&Request<'_>, &crate::context::Context, &crate::compile::Slots, Outcome) -> T,
    ) -> Result<T, Error> {
        let (principal, rs) = self.prepare(q)?;
        let now = q.time.unwrap_or_else(crate::scenario::now_secs);
        let ctx = request_context_at(&self.set, &principal, &rs, now);
        let slots = self.set.bind(&ctx);
        let req = Request {
            principal: &principal,
            action: &rs.action,
            resource: &rs.resource,
            preset: rs.preset,
        };
        let outcome = self.set.evaluate(&req, &slots);
        Ok(f(&req, &ctx, &slots, outcome))
    }

    /// Decides and explains one request and returns the request context it was decided in
    /// (every key, by its spelling as given): what `iamsim eval --format json` shows.
    pub(crate) fn trace(&self, q: &Query) -> Result<Traced, Error> {
        self.run(q, |req, ctx, slots, outcome| Traced {
            explanation: crate::report::explain(&self.set, req, slots, &outcome),
            context: ctx
                .entries()
                .into_iter()
                .map(|(_, name, v)| (name.to_string(), v.clone()))
                .collect(),
            outcome,
        })
    }

    /// Decides one request.
    pub fn decide(&self, q: &Query) -> Result<Answer, Error> {
        self.run(q, |_, _, _, outcome| Answer {
            decision: outcome.decision,
            statements: outcome
                .statements
                .iter()
                .map(|id| crate::report::statement_ref(&self.set, *id))
                .collect(),
            missing: outcome.missing,
            rule: outcome.rule,
            outcome,
        })
    }

    /// Decides one request and explains it (the text of `iamsim eval`: deciding statements,
    /// near misses with per-condition reasons, settings that mattered).
    pub fn explain(&self, q: &Query) -> Result<Explanation, Error> {
        self.run(q, |req, _, slots, outcome| {
            crate::report::explain(&self.set, req, slots, &outcome)
        })
    }

    /// The MFA-enforcement audit of this scenario's principal (what `iamsim mfa` reports), with
    /// the default probe actions.
    pub fn mfa_audit(&self) -> Result<crate::mfa::MfaReport, Error> {
        let input = crate::mfa::AuditInput {
            principal: self.spec.principal.clone(),
            scenario: self.spec.scenario.clone(),
            probes: crate::mfa::default_probes(&self.spec.principal),
            now: crate::scenario::now_secs(),
        };
        crate::mfa::audit(&input).map_err(Error::Audit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"{"identity_policies": [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoMfa", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}]}"#;

    #[test]
    fn decide_builds_the_context_from_the_query() {
        let e = Engine::from_json(SCENARIO).unwrap();
        let a = e
            .decide(&Query::new("s3:GetObject").preset(Preset::AccessKeys))
            .unwrap();
        assert_eq!(a.decision, Decision::ExplicitDeny);
        assert_eq!(a.statements[0].label, "identity_policies[0]#NoMfa");
        let a = e
            .decide(
                &Query::new("s3:GetObject")
                    .preset(Preset::AccessKeys)
                    .key("aws:MultiFactorAuthPresent", "true"),
            )
            .unwrap();
        assert_eq!(a.decision, Decision::Allowed);
        assert!(e
            .explain(&Query::new("iam:ListUsers"))
            .unwrap()
            .to_text()
            .contains("allowed"));
    }

    #[test]
    fn bad_queries_are_typed_errors() {
        let e = Engine::from_json(SCENARIO).unwrap();
        assert!(matches!(
            e.decide(&Query::new("nonsense")),
            Err(Error::Query(QueryError::Action(a))) if a == "nonsense"
        ));
        assert!(matches!(
            e.decide(&Query::new("s3:GetObject").key("aws:CurrentTime", "garbage")),
            Err(Error::Query(QueryError::TimeValue { key, .. })) if key == "aws:CurrentTime"
        ));
        assert!(matches!(
            e.decide(&Query::new("s3:GetObject").principal("bob")),
            Err(Error::Query(QueryError::Principal { arn, .. })) if arn == "bob"
        ));
        assert!(matches!(
            Engine::from_json("{\"identity_polices\": 1, \"principal\": 5}"),
            Err(Error::Input(_))
        ));
    }
}
