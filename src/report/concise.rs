//! `--output-format concise`: one line per finding, `path:line:col: CODE [*] message`, as
//! Ruff prints it: `[*]` marks a finding `--fix` would fix (with `--unsafe-fixes`, also one
//! with an unsafe fix).

use std::fmt::Write as _;

use super::span;

pub fn render(findings: &[super::Finding], unsafe_fixes: bool) -> String {
    let mut out = String::new();
    for &(program, d) in findings {
        let (start, _) = span(program, d.primary.file, d.primary.range);
        let marker = if crate::fix::is_fixable(d, unsafe_fixes) {
            "[*] "
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {marker}{}",
            program.file(d.primary.file).path.display(),
            start.row,
            start.column,
            d.code,
            d.message
        );
    }
    out
}
