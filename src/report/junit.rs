//! `--output-format junit`: JUnit XML, which CI systems (GitLab's `artifacts:reports:junit`,
//! Jenkins, Azure's `PublishTestResults`, …) show as test results. As Ruff writes it: a test
//! suite per file (sorted by path), a failing test case per finding named
//! `org.forklint.CODE`, with the line and column, and the severity as a property; a run
//! without findings is one passing test case.

use std::collections::BTreeMap;
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite, XmlString};

use super::{display_path, span};

const PROGRAM: &str = "forklint";
const PACKAGE: &str = "org.forklint";

pub fn render(findings: &[super::Finding], root: &Path) -> std::io::Result<String> {
    let mut report = Report::new(PROGRAM);
    let package = || (XmlString::new("package"), XmlString::new(PACKAGE));
    if findings.is_empty() {
        let mut suite = TestSuite::new(PROGRAM);
        suite.extra.extend([package()]);
        let mut case = TestCase::new("No errors found", TestCaseStatus::success());
        case.set_classname(PROGRAM);
        suite.add_test_case(case);
        report.add_test_suite(suite);
    }
    let mut by_file: BTreeMap<String, Vec<&super::Finding>> = BTreeMap::new();
    for finding @ &(program, d) in findings {
        by_file
            .entry(display_path(program, d.primary.file, root))
            .or_default()
            .push(finding);
    }
    for (path, findings) in by_file {
        let mut suite = TestSuite::new(path.as_str());
        suite.extra.extend([package()]);
        let classname = Path::new(&path).with_extension("");
        for &&(program, d) in &findings {
            let (start, _) = span(program, d.primary.file, d.primary.range);
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(d.message.as_str());
            status.set_description(format!(
                "line {}, col {}, {}",
                start.row, start.column, d.message
            ));
            let mut case = TestCase::new(format!("{PACKAGE}.{}", d.code), status);
            case.set_classname(classname.to_string_lossy().as_ref());
            case.add_property(("severity", d.severity.as_str()));
            case.extra.extend([
                (
                    XmlString::new("line"),
                    XmlString::new(start.row.to_string()),
                ),
                (
                    XmlString::new("column"),
                    XmlString::new(start.column.to_string()),
                ),
            ]);
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    let mut out = report.to_string().map_err(std::io::Error::other)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}
