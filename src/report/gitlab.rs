//! `--output-format gitlab`: a GitLab Code Quality report, the JSON array GitLab reads from a
//! job's `artifacts:reports:codequality` and shows in merge requests. The fields are Ruff's:
//! `check_name`, `description` (`CODE: message`), `severity`, `fingerprint` and
//! `location.path` with `location.positions.begin/end` (`line`, `column`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::sarif::{fingerprint_key, normalized_line};
use super::{Position, relative_to, span};
use crate::diagnostic::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    check_name: &'a str,
    description: String,
    severity: &'static str,
    fingerprint: String,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    positions: Positions,
}

#[derive(Serialize)]
struct Positions {
    begin: LineColumn,
    end: LineColumn,
}

#[derive(Serialize)]
struct LineColumn {
    line: usize,
    column: usize,
}

impl From<Position> for LineColumn {
    fn from(p: Position) -> Self {
        LineColumn {
            line: p.row,
            column: p.column,
        }
    }
}

/// GitLab's scale is info, minor, major, critical, blocker (Ruff: warning → minor, error →
/// major).
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Warning => "minor",
        Severity::Error => "major",
    }
}

/// The directory report paths are relative to: `CI_PROJECT_DIR` (the checkout, in a GitLab
/// job) when it is set, as Ruff does, else `cwd`.
fn project_dir(cwd: &Path) -> PathBuf {
    match std::env::var_os("CI_PROJECT_DIR") {
        Some(dir) if !dir.is_empty() => cwd.join(dir),
        _ => cwd.to_path_buf(),
    }
}

/// The report. Paths are relative to [`project_dir`] (GitLab matches them against the
/// repository's files); `cwd` is the working directory. A fingerprint is the FNV-1a hash of the rule code, the path, the
/// text of the finding's first line with whitespace collapsed, and how many findings with the
/// same three came before it in the report: it survives unrelated lines moving, and is
/// unique in the report, as GitLab requires.
pub fn render(findings: &[super::Finding], cwd: &Path) -> String {
    let project_dir = project_dir(cwd);
    let mut occurrences: HashMap<u64, usize> = HashMap::new();
    let issues: Vec<Issue> = findings
        .iter()
        .map(|&(program, d)| {
            let path = relative_to(&cwd.join(&program.file(d.primary.file).path), &project_dir)
                .unwrap_or_else(|p| p)
                .to_string_lossy()
                .into_owned();
            let key = fingerprint_key(&[d.code, &path, &normalized_line(program, &d.primary)]);
            let occurrence = occurrences.entry(key).or_default();
            let fingerprint = fingerprint_key(&[&format!("{key:016x}"), &occurrence.to_string()]);
            *occurrence += 1;
            let (begin, end) = span(program, d.primary.file, d.primary.range);
            Issue {
                check_name: d.code,
                description: format!("{}: {}", d.code, d.message),
                severity: severity(d.severity),
                fingerprint: format!("{fingerprint:016x}"),
                location: Location {
                    path,
                    positions: Positions {
                        begin: begin.into(),
                        end: end.into(),
                    },
                },
            }
        })
        .collect();
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(&issues).expect("serialisable");
    out.push('\n');
    out
}
