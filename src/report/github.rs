//! `--output-format github`: GitHub Actions workflow commands, one line per finding, which
//! GitHub shows as annotations on the pull request (`::warning file=…,line=…::message`).

use std::path::Path;

use super::{relative_to, span};
use crate::diagnostic::Severity;

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Escapes the message of a workflow command (what follows `::`), as `@actions/core` does.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=…`, `title=…`): the data escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per finding. Paths are relative to `root` (the working directory,
/// which in a workflow is the checkout) when they lie under it.
pub fn render(findings: &[super::Finding], root: &Path) -> String {
    let mut out = String::new();
    for &(program, d) in findings {
        let (start, end) = span(program, d.primary.file, d.primary.range);
        let path = relative_to(&program.file(d.primary.file).path, root).unwrap_or_else(|p| p);
        out.push_str(&format!(
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            command(d.severity),
            escape_property(&path.to_string_lossy()),
            start.row,
            start.column,
            end.row,
            end.column,
            escape_property(&format!("{} {}", d.code, d.name)),
            escape_data(&d.message),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(escape_data("100% done"), "100%25 done");
        assert_eq!(escape_data("a\r\nb"), "a%0D%0Ab");
        // `%` first: an escape written by the other rules is not escaped again.
        assert_eq!(escape_data("%0A\n"), "%250A%0A");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("C:\\x,y.py"), "C%3A\\x%2Cy.py");
        assert_eq!(escape_property("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("FL101 import-time"), "FL101 import-time");
    }
}
