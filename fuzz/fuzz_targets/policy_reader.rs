//! Any bytes through the JSON reader and the policy validator, for every policy kind.
#![no_main]
use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for kind in [PolicyKind::Identity, PolicyKind::Scp, PolicyKind::Rcp, PolicyKind::Resource] {
            let _ = parse_policy_text(text, "fuzz.json", "fuzz", kind, ParseOptions::default());
        }
    }
});
