//! `--output-format concise`: one line per finding, `path:line:col: CODE [*] message`, as
//! Ruff prints it: `[*]` marks a finding `--fix` would fix (with `--unsafe-fixes`, also one
//! with an unsafe fix). A finding that stands for others on the same statement ends with
//! `(also FL106, FL401)`.

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
        // The codes a finding carries (`rules::combine`), so that a reader of one line knows
        // which `# noqa` codes the statement has.
        let also = if d.also.is_empty() {
            String::new()
        } else {
            let codes: Vec<&str> = d.also.iter().map(|c| c.code).collect();
            format!(" (also {})", codes.join(", "))
        };
        let _ = writeln!(
            out,
            "{}:{}:{}: {} {marker}{}{also}",
            program.file(d.primary.file).path.display(),
            start.row,
            start.column,
            d.code,
            d.message
        );
    }
    out
}
