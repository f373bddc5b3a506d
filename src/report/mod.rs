//! Reporters: one file per output format. None of them knows any rule.

pub mod text;

use std::collections::BTreeSet;

use crate::diagnostic::{Diagnostic, Severity};

/// "Found 3 hazards in 2 files." — or the all-clear.
pub fn summary_line(diagnostics: &[Diagnostic], files_checked: usize) -> String {
    let shown: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity > Severity::Info)
        .collect();
    if shown.is_empty() {
        return format!(
            "All checks passed ({files_checked} {} checked).",
            plural(files_checked, "file", "files")
        );
    }
    let files: BTreeSet<_> = shown.iter().map(|d| d.primary.file).collect();
    format!(
        "Found {} {} in {} {}.",
        shown.len(),
        plural(shown.len(), "hazard", "hazards"),
        files.len(),
        plural(files.len(), "file", "files")
    )
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
