//! The stage diagram of `docs/design.md` is true: each module of the library imports only
//! modules of lower stages (or its own stage's peers where the table says so). A `use
//! crate::x` or `crate::x::` path naming a higher stage fails this test with the file and line.

use std::path::Path;

/// Stages from the leaf up; a module may import modules of strictly lower rank.
const STAGES: &[(&str, u32)] = &[
    ("values", 0),
    ("json", 1),
    ("diag", 2),
    ("io", 3),
    ("policy", 4),
    ("settings", 5),
    ("context", 6),
    ("compile", 7),
    ("eval", 8),
    ("report", 9),
    ("scenario", 10),
    ("catalog", 10),
    ("mfa", 11),
    ("cases", 12),
    ("account", 12),
    ("batch", 12),
    ("replay", 13),
    ("engine", 13),
];

fn rank(name: &str) -> Option<u32> {
    STAGES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn each_stage_imports_only_lower_stages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut violations = Vec::new();
    let mut checked = 0;
    for path in all {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = rank(&top) else { continue };
        checked += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name == top {
                    continue;
                }
                if let Some(r) = rank(&name) {
                    if r >= own {
                        violations.push(format!(
                            "src/{}:{}: `{top}` (stage {own}) imports `{name}` (stage {r})",
                            rel.display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} files checked: is src/ laid out as expected?"
    );
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
