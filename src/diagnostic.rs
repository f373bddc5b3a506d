//! The diagnostic type every rule emits and every reporter reads.
//!
//! Designed up front to carry what later outputs need: a trace of steps across files (for the
//! text renderer, SARIF code flows and LSP related information), a fix with an applicability
//! (for `--fix` and code actions) and a severity.

use std::path::PathBuf;
use std::sync::Arc;

use ruff_text_size::TextRange;
use serde::Serialize;

/// How serious a finding is. `Info` findings are hidden unless asked for and never change the
/// exit code; `Warning` and `Error` both make `forklint check` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A place in a source file: which file, and the byte range in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: FileId,
    pub range: TextRange,
}

/// Index of a file in [`crate::Project::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// One step of the chain that explains a finding, e.g. "thread started here" in `util.py`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub location: Location,
    pub message: String,
}

/// Whether applying a fix keeps behaviour (as in Ruff).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps behaviour; applied by `--fix`.
    Safe,
    /// Changes behaviour; applied only when the user opts in.
    Unsafe,
    /// A suggestion shown to the user, never applied.
    Display,
}

/// One text replacement in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub file: FileId,
    pub range: TextRange,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub message: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// A finding. `primary` is where the hazard is triggered; `trace` leads from there to the
/// effect (and from the importer that runs it), in the order a reader follows it.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub primary: Location,
    /// The label under the primary span.
    pub label: String,
    pub trace: Vec<Step>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub fix: Option<Fix>,
    /// The findings of other rules on the same statement that this one stands for (one
    /// cause, one finding: `rules::combine`). Empty until the findings are combined.
    pub also: Vec<Carried>,
}

/// A finding folded into another one on the same statement: its rule and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    pub code: &'static str,
    pub name: &'static str,
    pub message: String,
}

/// A file as the reporters see it: its path for display and its text for snippets.
#[derive(Debug)]
pub struct SourceText {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl Diagnostic {
    /// Replaces the control characters in every text of the finding with their Rust escapes
    /// (`\u{1b}`, `\0`, `\r`, …): findings quote analysed code, which may contain terminal
    /// escape sequences or line breaks that a CI log would read as workflow commands.
    pub fn escape_control_characters(&mut self) {
        escape_in_place(&mut self.message);
        escape_in_place(&mut self.label);
        for step in &mut self.trace {
            escape_in_place(&mut step.message);
        }
        if let Some(help) = &mut self.help {
            escape_in_place(help);
        }
        for note in &mut self.notes {
            escape_in_place(note);
        }
        if let Some(fix) = &mut self.fix {
            escape_in_place(&mut fix.message);
        }
    }
}

fn escape_in_place(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = text
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
    }
}
