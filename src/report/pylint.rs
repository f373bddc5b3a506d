//! `--output-format pylint`: Pylint's parseable format, `path:line: [CODE] message`, one line
//! per finding, as Ruff writes it (for tools that read Pylint's output).

use std::fmt::Write as _;
use std::path::Path;

use super::{display_path, span};

pub fn render(findings: &[super::Finding], root: &Path) -> String {
    let mut out = String::new();
    for &(program, d) in findings {
        let (start, _) = span(program, d.primary.file, d.primary.range);
        let _ = writeln!(
            out,
            "{}:{}: [{}] {}",
            display_path(program, d.primary.file, root),
            start.row,
            d.code,
            d.message
        );
    }
    out
}
