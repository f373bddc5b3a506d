//! `--output-format azure`: Azure Pipelines logging commands, one per finding, which the
//! pipeline shows as errors and warnings of the step and the run:
//! `##vso[task.logissue type=warning;sourcepath=app.py;linenumber=4;columnnumber=1;code=FL101;]message`
//! (as Ruff writes them; info findings are warnings, since Azure has no lower level).

use std::fmt::Write as _;
use std::path::Path;

use super::{display_path, span};
use crate::diagnostic::Severity;

/// Escapes a property value as the Azure Pipelines agent unescapes it
/// (`CommandStringConvertor`): `;` ends a property and `]` the properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(';', "%3B").replace(']', "%5D")
}

/// Escapes the message: a line break would end the command.
pub fn escape_data(s: &str) -> String {
    s.replace('\r', "%0D").replace('\n', "%0A")
}

pub fn render(findings: &[super::Finding], root: &Path) -> String {
    let mut out = String::new();
    for &(program, d) in findings {
        let (start, _) = span(program, d.primary.file, d.primary.range);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning | Severity::Info => "warning",
        };
        let _ = writeln!(
            out,
            "##vso[task.logissue type={kind};sourcepath={};linenumber={};columnnumber={};code={};]{}",
            escape_property(&display_path(program, d.primary.file, root)),
            start.row,
            start.column,
            d.code,
            escape_data(&d.message),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_escape_separators_and_line_breaks() {
        assert_eq!(escape_property("a;b]c.py"), "a%3Bb%5Dc.py");
        assert_eq!(escape_property("x\r\ny"), "x%0D%0Ay");
        assert_eq!(escape_data("a; b] c\nd"), "a; b] c%0Ad");
    }
}
