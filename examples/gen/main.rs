//! Generates the synthetic workloads of `docs/benchmarks.md`, deterministically.
//!
//! ```text
//! cargo run --release --example gen -- scenario > testdata/batch/large-scenario.json
//! cargo run --release --example gen -- requests --lines 1000000 [--seed 1] > /tmp/large.jsonl
//! cargo run --release --example gen -- traffic --lines 1000000 > /tmp/traffic.jsonl
//! cargo run --release --example gen -- peer --lines 1000000 > /tmp/peer.jsonl
//! ```
//!
//! `scenario` prints the large scenario (20 identity policies of 10 statements, a permissions
//! boundary, two SCP levels); `requests` prints request lines with a dozen context keys each and
//! presets with and without MFA, for the large set and for the small MFA set
//! (`testdata/batch/mfa-scenario.json`) alike; `traffic` prints lines shaped like CloudTrail
//! events (per-line principals of every kind, a time key that changes on every line, escapes,
//! unknown fields); `peer` the peer simulator's benchmark requests (per-line principal, nine
//! context keys with `aws:CurrentTime`).

mod workload;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(|v| {
                v.parse().unwrap_or_else(|_| {
                    eprintln!("error: {name} takes a number, found {v}");
                    std::process::exit(2)
                })
            })
            .unwrap_or(default)
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let result = match args.first().map(String::as_str) {
        Some("scenario") => out.write_all(workload::large_scenario().as_bytes()),
        Some(kind @ ("requests" | "traffic" | "peer")) => {
            let lines = flag("--lines", 1000);
            let mut r = workload::Rng::new(flag("--seed", 1));
            let mut line = String::with_capacity(1024);
            let mut res = Ok(());
            for i in 0..lines {
                line.clear();
                match kind {
                    "traffic" => workload::traffic_line(&mut r, i, &mut line),
                    "peer" => workload::peer_line(&mut r, i, &mut line),
                    _ => workload::request_line(&mut r, &mut line),
                }
                if let Err(e) = out.write_all(line.as_bytes()) {
                    res = Err(e);
                    break;
                }
            }
            res
        }
        _ => {
            eprintln!("usage: gen scenario | gen requests|traffic|peer --lines N [--seed S]");
            std::process::exit(2)
        }
    };
    if let Err(e) = result.and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
