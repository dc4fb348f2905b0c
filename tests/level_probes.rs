//! `iamsim mfa --actions LEVEL` and `iamsim account --actions LEVEL`: probe actions chosen by
//! access level from the catalog, in the services the policies name.

use iamsim::catalog::{catalog, AccessLevel};
use std::process::{Command, Output};

fn iamsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run iamsim")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn level(action: &str) -> AccessLevel {
    catalog()
        .action(action)
        .unwrap_or_else(|| panic!("{action} is not in the catalog"))
        .level()
}

#[test]
fn mfa_probes_the_levels_actions_of_the_services_the_policies_name() {
    let o = iamsim(&[
        "mfa",
        "--scenario",
        "testdata/mfa/force-mfa.json",
        "--actions",
        "permissions-management",
        "--format",
        "json",
    ]);
    let v = json(&o);
    let probes = v["probes"].as_array().unwrap();
    let sensitive: Vec<&str> = probes
        .iter()
        .filter(|p| p["kind"] == "sensitive")
        .map(|p| p["action"].as_str().unwrap())
        .collect();
    // force-mfa.json and admin.json name iam and sts only (admin.json's "*" names none).
    let expected: Vec<String> = ["iam", "sts"]
        .iter()
        .flat_map(|s| catalog().service(s).unwrap().actions())
        .filter(|a| a.level == AccessLevel::PermissionsManagement)
        .map(|a| a.name.to_string())
        .collect();
    assert_eq!(sensitive.len(), expected.len(), "{sensitive:?}");
    for a in &sensitive {
        assert!(a.starts_with("iam:") || a.starts_with("sts:"), "{a}");
        assert_eq!(level(a), AccessLevel::PermissionsManagement, "{a}");
    }
    assert!(sensitive.contains(&"iam:AttachUserPolicy"));
    // The enrolment steps are still probed, so lockouts are still found.
    assert!(probes
        .iter()
        .any(|p| p["kind"] == "enrolment" && p["action"] == "iam:EnableMFADevice"));
    // AWS's force-MFA policy denies them all without MFA.
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "note: probing {} permissions-management actions of iam, sts",
            expected.len()
        )),
        "{err}"
    );
}

#[test]
fn many_probes_are_summarised_per_service_in_text_and_leaks_still_found() {
    // deny-bool.json names no service ("*"): the default probes' services are used.
    let o = iamsim(&[
        "mfa",
        "--scenario",
        "testdata/mfa/deny-bool.json",
        "--actions",
        "write",
        "--width",
        "300",
    ]);
    assert_eq!(o.status.code(), Some(1), "Bool lets long-term keys through");
    let out = String::from_utf8_lossy(&o.stdout);
    let s3 = out
        .lines()
        .find(|l| l.starts_with("s3: "))
        .unwrap_or_else(|| panic!("{out}"));
    let n: usize = s3["s3: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let writes = catalog()
        .service("s3")
        .unwrap()
        .actions()
        .iter()
        .filter(|a| a.level == AccessLevel::Write)
        .count();
    assert_eq!(n, writes, "{s3}");
    // console: denied; access keys: allowed, part of the leak.
    assert!(s3.contains(&format!("DENY {writes} ")), "{s3}");
    assert!(s3.contains(&format!("allow {writes}!")), "{s3}");
    assert!(out.contains("MFA001"), "{out}");
    assert!(out.contains("summarised per service"), "{out}");
}

#[test]
fn mfa_actions_refuses_an_unknown_level() {
    let o = iamsim(&[
        "mfa",
        "--scenario",
        "testdata/mfa/force-mfa.json",
        "--actions",
        "admin",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("permissions-management"));
}

#[test]
fn account_samples_by_level_and_rates_permissions_management_high() {
    let base = [
        "account",
        "--auth-details",
        "testdata/account/auth-details.json",
        "--credential-report",
        "testdata/account/credential-report.csv",
        "--format",
        "json",
    ];
    let mut args = base.to_vec();
    args.extend(["--actions", "permissions-management"]);
    let v = json(&iamsim(&args));
    let carol = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "acts-without-mfa" && f["name"] == "carol")
        .expect("carol's Bool deny lets her keys through");
    assert_eq!(carol["severity"], "high");
    let actions: Vec<&str> = carol["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(actions.len() > 40, "{actions:?}");
    for a in &actions {
        assert_eq!(level(a), AccessLevel::PermissionsManagement, "{a}");
    }
    // Above 40 actions the message counts them per service.
    let msg = carol["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("can call {} actions: ", actions.len())),
        "{msg}"
    );
    // Read-only users act without MFA on reads, but on no permissions-management action.
    assert!(!v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "acts-without-mfa" && f["name"] == "erin"));
    let v = json(&iamsim(&base));
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "acts-without-mfa" && f["name"] == "erin"));
}
