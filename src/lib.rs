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
//! Beyond that: [`ScenarioBuilder`] builds scenarios from flags, files and JSON with the checks
//! every subcommand applies; [`Engine::explain`] gives `iamsim eval`'s explanation;
//! [`Engine::mfa_audit`] and [`account::audit`] run the audits; [`batch`] evaluates JSON lines
//! in bulk, and its hot path is an API: a [`Row`] writes a request's fields and context keys
//! straight into a [`Worker`]'s bound slots (for Arrow columns, replays); [`replay`] runs CloudTrail through current and proposed policies; [`catalog`] knows
//! every AWS service, action, resource type and condition key, and lints policies against them;
//! [`cases`] runs case files; [`diag`] holds the positioned errors and diagnostics.
//!
//! The engine's stages (values → JSON reader → policy model → compiled graph → evaluation →
//! report) are private to the crate: they change as the engine does. The types a caller needs
//! from them are re-exported here. (The crate's own tests reach the stages through the
//! `testing` feature; it is not meant for users.)

#![warn(missing_docs)]

// The crate's own name resolves inside it too, so the command line (`cli/`, which used to be
// the binary) names library items the way any user of the crate does.
extern crate self as iamsim;

// The jobs and the scenario layer: the public API, with the front door below.
pub mod account;
pub mod batch;
pub mod cases;
pub mod catalog;
pub mod diag;
pub mod mfa;
pub mod replay;
pub mod scenario;

mod cli;
mod engine;

/// Declares the engine's stage modules: private to the crate, public only with the `testing`
/// feature (the crate's own integration tests, benchmarks and fuzz targets, which check the
/// stages one by one and drive the reference evaluator's hooks). What a library user needs of
/// them is re-exported below.
macro_rules! stages {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[cfg(feature = "testing")]
        pub mod $name;
        $(#[$doc])*
        #[cfg(not(feature = "testing"))]
        pub(crate) mod $name;
    )*};
}

stages! {
    /// The decision graph: policies compiled into a [`PolicySet`].
    compile;
    /// Principals, presets and the request context.
    context;
    /// The evaluation flow: decide and trace.
    eval;
    /// Bounded reads, paths and the one output writer.
    io;
    /// A JSON reader that keeps line and column.
    json;
    /// The policy model, read and validated.
    policy;
    /// Explanations, SARIF and JUnit.
    report;
    /// The settings table.
    settings;
    /// Value types and wildcards (the leaf).
    values;
}

pub use batch::{Batch, Options as BatchOptions, Row, Worker};
pub use cli::app::main as cli_main;
pub use compile::{PolicySet, Scenario};
pub use context::{CtxValue, Preset, Principal, PRESETS};
pub use engine::{Answer, Engine, Error, Query, QueryError};
pub use eval::{Decision, Missing, Outcome, Request, ServiceRule};
pub use io::{read_text, Output, Roots, DEFAULT_INPUT_LIMIT};
pub use policy::{ParseOptions, PolicyKind};
pub use scenario::{ScenarioBuilder, ScenarioSpec};
pub use settings::Settings;

/// The README's Rust examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
