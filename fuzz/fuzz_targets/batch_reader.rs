//! Any bytes through `iamsim batch`'s whole pipeline (block reader, workers, ordered writer) with
//! small, fuzzed block and line limits and fuzzed read sizes: it must not panic, must give exactly
//! one output line per input line, numbered in order, and an error record exactly for the lines
//! over the line limit.
#![no_main]
use iamsim::batch::{run, PipelineOptions};
use iamsim::compile::{PolicySet, Scenario};
use iamsim::context::Principal;
use iamsim::policy::{parse_policy_text, ParseOptions, PolicyKind};
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::sync::OnceLock;

fn set() -> &'static PolicySet {
    static SET: OnceLock<PolicySet> = OnceLock::new();
    SET.get_or_init(|| {
        let admin = include_str!("../../testdata/policies/admin.json");
        let (p, _) = parse_policy_text(admin, "p", "p", PolicyKind::Identity, ParseOptions::default()).unwrap();
        PolicySet::compile(&Scenario { identity: vec![p], ..Default::default() }).unwrap()
    })
}

/// Hands out its text in reads of the given sizes, in turn.
struct Chunked {
    text: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = want.min(buf.len()).min(self.text.len() - self.at);
        buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let block = 1 + data[0] as usize * 4;
    let max_line = 1 + data[1] as usize;
    let sizes = vec![1 + data[2] as usize, 1 + (data[3] as usize % 16)];
    let text = data[4..].to_vec();
    let lines: Vec<&[u8]> = {
        let mut v: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if text.is_empty() || text.ends_with(b"\n") {
            v.pop();
        }
        v
    };
    let opts = PipelineOptions { jobs: 2, block_bytes: block, max_line_bytes: max_line, now: Some(1_700_000_000), ..Default::default() };
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut out = Vec::new();
    let input = Chunked { text: text.clone(), at: 0, sizes, turn: 0 };
    let summary = run(input, &mut out, set(), &principal, &opts, &mut |_| {}).unwrap();
    let out = String::from_utf8(out).expect("output is UTF-8");
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(got.len(), lines.len(), "one output line per input line");
    assert_eq!(summary.stats.lines, lines.len() as u64);
    let limit = format!("longer than the limit of {max_line} bytes");
    for (i, (o, l)) in got.iter().zip(&lines).enumerate() {
        let v: serde_json::Value = serde_json::from_str(o).expect("each output line is JSON");
        assert_eq!(v["line"], (i + 1) as u64, "numbered in order");
        let over = v["error"].as_str().is_some_and(|m| m.starts_with("line is ") && m.ends_with(&limit));
        assert_eq!(over, l.len() > max_line, "error record exactly for over-long lines: {o}");
    }
});
