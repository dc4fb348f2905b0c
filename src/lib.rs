//! # iamsim — a local AWS IAM policy evaluation simulator
//!
//! iamsim reads IAM policies (identity policies, permissions boundaries, session policies,
//! Organizations SCPs and RCPs, resource-based policies), compiles them once into a decision
//! graph, and decides requests exactly as AWS documents it: `allowed`, `explicitDeny` or
//! `implicitDeny`, with the statements that decided.
//!
//! Most users need four names: [`Engine`] (a compiled scenario), [`Query`] (one request),
//! [`Preset`] (how the caller reached AWS) and [`Decision`]:
//!
//! ```
//! use iamsim::{Decision, Engine, Preset, Query};
//! let engine = Engine::from_file("testdata/mfa/force-mfa.json")?;                  // 1. scenario
//! let q = Query::new("s3:ListAllMyBuckets").preset(Preset::AccessKeys);            // 2. request
//! let answer = engine.decide(&q)?;                                                  // 3. decide
//! assert_eq!(answer.decision, Decision::ExplicitDeny);                              // 4. use it
//! # Ok::<(), iamsim::Error>(())
//! ```
//!
//! Beyond that: [`scenario::ScenarioBuilder`] builds scenarios from flags, files and JSON with
//! the checks every subcommand applies; [`Engine::explain`] gives `iamsim eval`'s explanation;
//! [`Engine::mfa_audit`] and [`account::audit`] run the audits; [`batch`] evaluates JSON lines
//! in bulk. The stage modules below are the engine itself (parse → compile → evaluate →
//! report); they are public for tools built on iamsim, but the front door above is the API
//! that stays put:
//!
//! * [`values`] — value types and wildcards (the leaf); [`json`] — a JSON reader that keeps
//!   line and column; [`diag`] — diagnostics; [`io`] — bounded reads and the one writer;
//! * [`policy`] — the policy model, read and validated; [`settings`]; [`context`] — principals,
//!   presets, request context;
//! * [`compile`] — the decision graph; [`eval`] — the evaluation flow; [`report`] —
//!   explanations, SARIF;
//! * [`scenario`] — the one scenario layer; [`catalog`] — every AWS service, action, resource
//!   type and condition key (built in); [`cases`], [`mfa`], [`account`], [`batch`], [`replay`] —
//!   the jobs.

#![warn(missing_docs)]

pub mod account;
pub mod batch;
pub mod cases;
pub mod catalog;
pub mod compile;
pub mod context;
pub mod diag;
mod engine;
pub mod eval;
pub mod io;
pub mod json;
pub mod mfa;
pub mod policy;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod settings;
pub mod values;

pub use compile::{PolicySet, Scenario};
pub use context::Preset;
pub use engine::{Answer, Engine, Error, Query};
pub use eval::{Decision, Outcome, Request};
pub use scenario::{ScenarioBuilder, ScenarioSpec};

/// The README's Rust examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
