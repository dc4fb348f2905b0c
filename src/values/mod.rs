//! The leaf of the crate: value types and matchers that every stage above uses and that import
//! nothing of iamsim — numbers, dates, CIDRs and base64 as condition operators read them
//! ([`typed`]), `*`/`?` wildcard patterns ([`wildcard`]), and account-id checks ([`account`]).
//!
//! They live here, below `policy/` and `context/`, so that validation (which checks that a
//! `NumericEquals` value is a number) and request contexts (which format `aws:CurrentTime`) can
//! use them without importing the compiler: each stage imports only the stages below it
//! (`tests/layering.rs` checks this).

pub mod account;
pub mod typed;
pub mod wildcard;

pub use account::is_account_id;
pub use typed::{
    base64_decode, format_date, parse_date, parse_date_secs, parse_number, write_date, Cidr,
};
pub use wildcard::Wildcard;
