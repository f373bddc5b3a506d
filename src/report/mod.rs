//! Reporters: one file per output format. None of them knows any rule: they read
//! [`Diagnostic`]s and the rule metadata in [`crate::rules`].

pub mod azure;
pub mod concise;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod json_lines;
pub mod junit;
pub mod pylint;
pub mod rdjson;
pub mod sarif;
pub mod text;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use crate::CheckOutcome;
use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::program::Program;
use crate::rules::Rule;

/// Every output format `forklint check --output-format` (and the configuration's
/// `output-format`) accepts: the one place a format is registered. Each has its module above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Snippets with the chain of calls and imports, and a help line (`full` is an alias, as
    /// Ruff names it).
    #[value(alias = "full")]
    Text,
    /// One line per finding: `path:line:col: CODE [*] message` (`[*]`: fixable with `--fix`).
    Concise,
    /// A JSON array of findings (schema in docs/output-formats.md).
    Json,
    /// One JSON object per line, each an element of `json`'s array.
    JsonLines,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
    /// A GitLab Code Quality report (JSON).
    Gitlab,
    /// JUnit XML: a test suite per file, a failing test case per finding.
    Junit,
    /// reviewdog's Diagnostic Format (rdjson), with suggestions from the fixes.
    Rdjson,
    /// Pylint's parseable format: `path:line: [CODE] message`.
    Pylint,
    /// Azure Pipelines logging commands (`##vso[task.logissue ...]`).
    Azure,
}

/// What a reporter may need besides the findings.
pub struct Report<'a> {
    pub findings: &'a [Finding<'a>],
    /// Every rule that ran (SARIF lists them).
    pub rules: &'a [&'static Rule],
    /// Warnings about the run (SARIF carries them; the others leave them on stderr).
    pub notices: &'a [Notice],
    /// The working directory: paths under it are printed relative to it.
    pub root: &'a Path,
    /// Colour the text output.
    pub color: bool,
    /// `--unsafe-fixes`: the `[*]` marker also counts unsafe fixes, as `--fix` would apply them.
    pub unsafe_fixes: bool,
}

impl OutputFormat {
    /// Formats whose stdout is a document or a stream for a program: the summary line goes to
    /// stderr.
    pub fn is_machine(self) -> bool {
        !matches!(self, Self::Text | Self::Concise)
    }

    /// Formats `--statistics` can print (a table for people, or JSON).
    pub fn has_statistics(self) -> bool {
        matches!(self, Self::Text | Self::Concise | Self::Json)
    }

    /// The findings in this format.
    pub fn render(self, report: &Report) -> std::io::Result<String> {
        Ok(match self {
            Self::Text => report
                .findings
                .iter()
                .map(|(program, d)| text::render(program, d, report.color))
                .collect(),
            Self::Concise => concise::render(report.findings, report.unsafe_fixes),
            Self::Json => json::render(report.findings),
            Self::JsonLines => json_lines::render(report.findings),
            Self::Sarif => {
                sarif::render(report.findings, report.rules, report.notices, report.root)
            }
            Self::Github => github::render(report.findings, report.root),
            Self::Gitlab => gitlab::render(report.findings, report.root),
            Self::Junit => junit::render(report.findings, report.root)?,
            Self::Rdjson => rdjson::render(report.findings, report.root),
            Self::Pylint => pylint::render(report.findings, report.root),
            Self::Azure => azure::render(report.findings, report.root),
        })
    }
}

/// A finding with the program it was found in (a run may analyse several projects).
pub type Finding<'a> = (&'a Program, &'a Diagnostic);

/// "Found 3 hazards in 2 files." — or the all-clear.
pub fn summary_line(findings: &[Finding], files_checked: usize) -> String {
    let shown: Vec<&Finding> = findings
        .iter()
        .filter(|(_, d)| d.severity > Severity::Info)
        .collect();
    if shown.is_empty() {
        return format!(
            "All checks passed ({files_checked} {} checked).",
            plural(files_checked, "file", "files")
        );
    }
    let files: BTreeSet<&Path> = shown
        .iter()
        .map(|(p, d)| p.file(d.primary.file).path.as_path())
        .collect();
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

/// A 1-based position: `column` counts characters (Unicode scalar values), as Ruff does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    pub row: usize,
    pub column: usize,
}

/// Start and end (exclusive: the position just after the last character) of a range.
pub fn span(program: &Program, file: FileId, range: TextRange) -> (Position, Position) {
    let at = |offset| {
        let (row, column) = program.file(file).line_col(offset);
        Position { row, column }
    };
    (at(range.start()), at(range.end()))
}

/// [`span`] with columns counting UTF-8 bytes (reviewdog's columns), 1-based.
pub fn byte_span(program: &Program, file: FileId, range: TextRange) -> (Position, Position) {
    let file = program.file(file);
    let text = file.text();
    let index = file.line_index();
    let at = |offset: TextSize| {
        // Clamped to the text and to a character boundary, as `line_col` does: the file may
        // have changed since it was analysed.
        let mut offset = usize::from(offset).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let offset = TextSize::new(offset as u32);
        let line = index.line_index(offset);
        let start = index.line_start(line, text);
        Position {
            row: line.get(),
            column: usize::from(offset - start) + 1,
        }
    };
    (at(range.start()), at(range.end()))
}

/// The path of a finding's file as the CI formats print it: relative to `root` (the working
/// directory, which in CI is the checkout) when it lies under it, else absolute.
pub fn display_path(program: &Program, file: FileId, root: &Path) -> String {
    let path = relative_to(&program.file(file).path, root).unwrap_or_else(|p| p);
    path.to_string_lossy().into_owned()
}

/// A warning about the run itself (a skipped file, an analysis that stopped early, a file that
/// changed while it was checked): not a finding, never a change to the exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub path: PathBuf,
    /// Where in the file, when the warning is about a place in it.
    pub position: Option<Position>,
    /// The whole warning, naming the path (as printed on stderr after `warning: `).
    pub message: String,
}

/// Every [`Notice`] of a run, in the order they are printed. Reads the text of the files with
/// findings (to notice a change on disk), which the reporters then reuse.
pub fn notices(outcome: &CheckOutcome) -> Vec<Notice> {
    let mut out: Vec<Notice> = outcome
        .skipped
        .iter()
        .map(|s| Notice {
            path: s.path.clone(),
            position: None,
            message: format!("skipped {}: {}", s.path.display(), s.reason),
        })
        .collect();
    for checked in &outcome.projects {
        let program = &checked.program;
        if let Some(warning) = &checked.cache_warning {
            out.push(Notice {
                path: checked.project.root.clone(),
                position: None,
                message: format!("{warning}; checked without it"),
            });
        }
        if let Some((_, parsed @ 1..)) = checked.bundle_counts {
            out.push(Notice {
                path: checked.project.root.clone(),
                position: None,
                message: format!(
                    "{}: {parsed} file(s) had no usable summary in the bundles given with \
                     `--summaries` (not summarised, changed since, made with other settings, or \
                     summarised without the modules they import) and were parsed",
                    checked.project.root.display()
                ),
            });
        }
        if let Some(work) = program.value_flow_exhausted() {
            let root = &checked.project.root;
            out.push(Notice {
                path: root.clone(),
                position: None,
                message: format!(
                    "{}: the value-flow analysis stopped after {work} facts, past its budget; \
                     this project was checked without it (calls through variables and \
                     attributes are not followed), so some findings may be missing and some \
                     may be wrong; checking its parts separately avoids this",
                    root.display()
                ),
            });
        }
        for f in program.file_ids() {
            if let Some(incomplete) = &program.summary(f).incomplete {
                let (start, _) = span(program, f, incomplete.range);
                let path = &program.file(f).path;
                out.push(Notice {
                    path: path.clone(),
                    position: Some(start),
                    message: format!(
                        "{}:{}:{}: {}",
                        path.display(),
                        start.row,
                        start.column,
                        incomplete.reason
                    ),
                });
            }
        }
        // Positions and snippets come from the text as it is on disk now: say so if it
        // changed.
        let reported: BTreeSet<FileId> =
            checked.diagnostics.iter().map(|d| d.primary.file).collect();
        for f in reported {
            let file = program.file(f);
            if file.text_changed() {
                out.push(Notice {
                    path: file.path.clone(),
                    position: None,
                    message: format!(
                        "{} changed while it was being checked; its positions and snippets may \
                         not match the file as it is now",
                        file.path.display()
                    ),
                });
            }
        }
    }
    out
}

/// How many findings each rule reported, most first (then by code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statistic {
    pub code: &'static str,
    pub name: &'static str,
    pub count: usize,
}

pub fn statistics<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Vec<Statistic> {
    let mut out: Vec<Statistic> = Vec::new();
    for d in diagnostics {
        match out.iter_mut().find(|s| s.code == d.code) {
            Some(s) => s.count += 1,
            None => out.push(Statistic {
                code: d.code,
                name: d.name,
                count: 1,
            }),
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    out
}

/// The statistics as a table: count, code, name.
pub fn statistics_text(stats: &[Statistic]) -> String {
    let width = stats
        .iter()
        .map(|s| s.count.to_string().len())
        .max()
        .unwrap_or(1);
    stats
        .iter()
        .map(|s| format!("{:>width$}  {}  {}\n", s.count, s.code, s.name))
        .collect()
}

/// `path` made absolute against `base` and cleaned lexically (`.` dropped, `..` applied), then
/// `Ok(relative to base)` when it lies under `base`, else `Err(absolute)`.
pub fn relative_to(path: &Path, base: &Path) -> Result<PathBuf, PathBuf> {
    let mut absolute = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                absolute.pop();
            }
            other => absolute.push(other),
        }
    }
    match absolute.strip_prefix(base) {
        Ok(rel) => Ok(rel.to_path_buf()),
        Err(_) => Err(absolute),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_to_cleans_and_falls_back_to_absolute() {
        let base = Path::new("/work/proj");
        assert_eq!(
            relative_to(Path::new("./a/b.py"), base),
            Ok("a/b.py".into())
        );
        assert_eq!(relative_to(Path::new("a/../c.py"), base), Ok("c.py".into()));
        assert_eq!(
            relative_to(Path::new("/work/proj/x.py"), base),
            Ok("x.py".into())
        );
        assert_eq!(
            relative_to(Path::new("../other/y.py"), base),
            Err("/work/other/y.py".into())
        );
        assert_eq!(
            relative_to(Path::new("/etc/z.py"), base),
            Err("/etc/z.py".into())
        );
    }
}
