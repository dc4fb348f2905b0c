//! # iamsim — a local AWS IAM policy evaluation simulator
//!
//! iamsim reads IAM policies (identity policies, permissions boundaries, session policies,
//! Organizations SCPs and RCPs, resource-based policies), compiles them once into a decision
//! graph, and decides requests exactly as AWS documents it: `allowed`, `explicitDeny` or
//! `implicitDeny`, with the statements that decided.
//!
//! The flow has one module per stage:
//!
//! * [`json`] — a JSON reader that keeps line and column for every value;
//! * [`policy`] — the policy model, read and validated from that tree;
//! * [`context`] — principals, credential presets and the request context;
//! * [`compile`] — the decision graph: action index, wildcard matchers, condition programs;
//! * [`eval`] — the evaluation flow across policy types;
//! * [`report`] — explanations;
//! * [`cases`] — case files and the `iamsim test` runner;
//! * [`mfa`] — the MFA-enforcement audit behind `iamsim mfa`.
//! * [`batch`] — bulk evaluation of JSON-lines requests (`iamsim batch`).
//! * [`catalog`] — every AWS service, action, resource type and condition key (built in).
//!
//! ```
//! use iamsim::compile::{PolicySet, Scenario};
//! use iamsim::context::{build_context, Preset, Principal};
//! use iamsim::eval::{Decision, Request};
//! use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
//!
//! let text = r#"{"Version":"2012-10-17","Statement":[
//!   {"Effect":"Allow","Action":"*","Resource":"*"},
//!   {"Effect":"Deny","NotAction":"iam:*","Resource":"*",
//!    "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
//! let (policy, _warnings) =
//!     parse_policy_text(text, "admin.json", "admin", PolicyKind::Identity, ParseOptions::default()).unwrap();
//! let scenario = Scenario { identity: vec![policy], ..Default::default() };
//! let set = PolicySet::compile(&scenario).unwrap();
//!
//! let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
//! let ctx = build_context(&alice, Preset::AccessKeys, set.settings(), 1_700_000_000);
//! let req = Request { principal: &alice, action: "s3:ListAllMyBuckets", resource: "*", preset: Preset::AccessKeys };
//! let outcome = set.evaluate(&req, &set.bind(&ctx));
//! assert_eq!(outcome.decision, Decision::ExplicitDeny); // long-term keys carry no MFA key
//! ```

#![warn(missing_docs)]

pub mod account;
pub mod batch;
pub mod cases;
pub mod catalog;
pub mod compile;
pub mod context;
pub mod diag;
pub mod eval;
pub mod io;
pub mod json;
pub mod mfa;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod settings;
pub mod values;

pub use compile::{PolicySet, Scenario};
pub use eval::{Decision, Outcome, Request};
