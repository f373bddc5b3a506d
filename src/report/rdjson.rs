//! `--output-format rdjson`: reviewdog's Diagnostic Format (`reviewdog -f=rdjson`), which
//! reviewdog posts as review comments, with the fixes as suggested changes. Shaped as Ruff
//! writes it, plus each diagnostic's `severity`. Columns count UTF-8 bytes, as the format
//! defines them (reviewdog places suggestions by them).

use std::path::Path;

use serde::Serialize;

use super::{Position, byte_span, display_path};
use crate::diagnostic::{Diagnostic, Severity};
use crate::program::Program;
use crate::rules;

#[derive(Serialize)]
struct DiagnosticResult<'a> {
    source: Source,
    diagnostics: Vec<RdDiagnostic<'a>>,
}

#[derive(Serialize)]
struct Source {
    name: &'static str,
    url: &'static str,
}

#[derive(Serialize)]
struct RdDiagnostic<'a> {
    code: Code<'a>,
    location: Location,
    message: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<Suggestion<'a>>,
}

#[derive(Serialize)]
struct Code<'a> {
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Location {
    path: String,
    range: Range,
}

#[derive(Serialize)]
struct Range {
    start: LineColumn,
    end: LineColumn,
}

#[derive(Serialize)]
struct LineColumn {
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct Suggestion<'a> {
    range: Range,
    text: &'a str,
}

fn range((start, end): (Position, Position)) -> Range {
    let at = |p: Position| LineColumn {
        line: p.row,
        column: p.column,
    };
    Range {
        start: at(start),
        end: at(end),
    }
}

/// reviewdog's severities (its `Severity` enum, by name).
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

/// A fix's edits as suggestions, when it has edits and all are in the finding's file (a
/// suggestion applies to the file of its diagnostic). Unsafe fixes are suggested too: a
/// person reviews a suggestion before applying it.
fn suggestions<'a>(program: &Program, d: &'a Diagnostic) -> Vec<Suggestion<'a>> {
    let Some(fix) = &d.fix else {
        return Vec::new();
    };
    if fix.edits.iter().any(|e| e.file != d.primary.file) {
        return Vec::new();
    }
    fix.edits
        .iter()
        .map(|e| Suggestion {
            range: range(byte_span(program, e.file, e.range)),
            text: &e.content,
        })
        .collect()
}

pub fn render(findings: &[super::Finding], root: &Path) -> String {
    let diagnostics = findings
        .iter()
        .map(|&(program, d)| RdDiagnostic {
            code: Code {
                value: d.code,
                url: rules::by_code(d.code).map(|r| r.docs_url()),
            },
            location: Location {
                path: display_path(program, d.primary.file, root),
                range: range(byte_span(program, d.primary.file, d.primary.range)),
            },
            message: &d.message,
            severity: severity(d.severity),
            suggestions: suggestions(program, d),
        })
        .collect();
    let result = DiagnosticResult {
        source: Source {
            name: "forklint",
            url: env!("CARGO_PKG_REPOSITORY"),
        },
        diagnostics,
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(&result).expect("serialisable");
    out.push('\n');
    out
}
