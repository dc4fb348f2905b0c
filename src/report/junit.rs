//! JUnit XML for test runs: one `testsuite` per case file, one `testcase` per test, a
//! `failure` with the expected and actual decision. Every name is escaped, so the XML stays
//! well-formed whatever the case files hold.

use crate::io::xml;

/// One test for the report.
#[derive(Debug, Clone)]
pub struct JunitCase<'a> {
    /// The case file (the suite).
    pub file: &'a str,
    /// The test name.
    pub name: &'a str,
    /// Its line.
    pub line: u32,
    /// `None` when it passed, else the failure message and detail.
    pub failure: Option<(String, String)>,
}

/// Renders the report.
pub fn junit(cases: &[JunitCase<'_>]) -> String {
    let failed = cases.iter().filter(|c| c.failure.is_some()).count();
    let mut doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"iamsim\" tests=\"{}\" failures=\"{failed}\">\n",
        cases.len()
    );
    let mut files: Vec<&str> = cases.iter().map(|c| c.file).collect();
    files.dedup();
    for file in files {
        let suite: Vec<&JunitCase<'_>> = cases.iter().filter(|c| c.file == file).collect();
        let fails = suite.iter().filter(|c| c.failure.is_some()).count();
        doc.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">\n",
            xml(file),
            suite.len()
        ));
        for c in suite {
            doc.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                xml(file),
                xml(c.name),
                xml(file),
                c.line
            ));
            match &c.failure {
                None => doc.push_str("/>\n"),
                Some((msg, detail)) => doc.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(msg),
                    xml(detail)
                )),
            }
        }
        doc.push_str("  </testsuite>\n");
    }
    doc.push_str("</testsuites>\n");
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_keep_the_xml_well_formed() {
        let cases = [JunitCase {
            file: "a&b.json",
            name: "x\u{1b}[2J<y>\"",
            line: 3,
            failure: Some(("expected allowed, got implicitDeny".into(), "<none>".into())),
        }];
        let x = junit(&cases);
        assert!(!x.contains('\u{1b}'));
        assert!(x.contains("name=\"x\\u{1b}[2J&lt;y&gt;&quot;\""), "{x}");
        assert!(x.contains("failures=\"1\""));
    }
}
