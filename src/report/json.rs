//! `--output-format json`: one JSON array, a finding per element (schema in
//! `docs/output-formats.md`). Keys are written in the order the structs below declare them.

use serde::Serialize;

use super::{Position, Statistic, span};
use crate::diagnostic::{Applicability, Diagnostic, FileId, Severity};
use crate::program::Program;
use crate::rules;
use ruff_text_size::TextRange;

#[derive(Serialize)]
struct Finding<'a> {
    code: &'a str,
    name: &'a str,
    message: &'a str,
    severity: Severity,
    file: String,
    start: Position,
    end: Position,
    trace: Vec<Step<'a>>,
    fix: Option<Fix<'a>>,
    url: Option<String>,
    /// The other rules' findings on the same statement that this one stands for
    /// (`rules::combine`): the codes a `# noqa` may also name.
    also: Vec<Also<'a>>,
}

#[derive(Serialize)]
struct Also<'a> {
    code: &'a str,
    name: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct Step<'a> {
    file: String,
    start: Position,
    end: Position,
    message: &'a str,
}

#[derive(Serialize)]
struct Fix<'a> {
    message: &'a str,
    applicability: Applicability,
    edits: Vec<Edit<'a>>,
}

#[derive(Serialize)]
struct Edit<'a> {
    file: String,
    start: Position,
    end: Position,
    content: &'a str,
}

/// The file's path as given on the command line (or found under it), and a range in it.
fn place(program: &Program, file: FileId, range: TextRange) -> (String, Position, Position) {
    let (start, end) = span(program, file, range);
    (program.file(file).path.display().to_string(), start, end)
}

/// One element of the array (and one line of `json-lines`).
pub(super) fn finding<'a>(program: &Program, d: &'a Diagnostic) -> impl Serialize + use<'a> {
    let (file, start, end) = place(program, d.primary.file, d.primary.range);
    let trace = d
        .trace
        .iter()
        .map(|s| {
            let (file, start, end) = place(program, s.location.file, s.location.range);
            Step {
                file,
                start,
                end,
                message: &s.message,
            }
        })
        .collect();
    let fix = d.fix.as_ref().map(|fix| Fix {
        message: &fix.message,
        applicability: fix.applicability,
        edits: fix
            .edits
            .iter()
            .map(|e| {
                let (file, start, end) = place(program, e.file, e.range);
                Edit {
                    file,
                    start,
                    end,
                    content: &e.content,
                }
            })
            .collect(),
    });
    Finding {
        code: d.code,
        name: d.name,
        message: &d.message,
        severity: d.severity,
        file,
        start,
        end,
        trace,
        fix,
        url: rules::by_code(d.code).map(|r| r.docs_url()),
        also: d
            .also
            .iter()
            .map(|c| Also {
                code: c.code,
                name: c.name,
                message: &c.message,
            })
            .collect(),
    }
}

fn to_document(value: &impl Serialize) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(value).expect("serialisable");
    out.push('\n');
    out
}

/// The findings as a JSON array (an empty array when there are none).
pub fn render(findings: &[super::Finding]) -> String {
    let findings: Vec<_> = findings.iter().map(|(p, d)| finding(p, d)).collect();
    to_document(&findings)
}

/// `--statistics --output-format json`: `[{"code", "name", "count"}, …]`.
pub fn render_statistics(stats: &[Statistic]) -> String {
    to_document(&stats)
}
