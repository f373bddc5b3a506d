//! The default output: rustc/Ruff-style snippets rendered by `annotate-snippets`.

use std::fmt::Write as _;

use annotate_snippets::{Level, Renderer, Snippet};
use ruff_text_size::{TextRange, TextSize};

use crate::diagnostic::{Applicability, Diagnostic, Location, Severity};
use crate::program::Program;

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Info,
    }
}

/// The text of the line(s) a location sits on, with the span relative to that text.
struct Window<'a> {
    origin: String,
    source: &'a str,
    line_start: usize,
    span: std::ops::Range<usize>,
}

fn window<'a>(program: &'a Program, loc: &Location) -> Window<'a> {
    let file = program.file(loc.file);
    let text: &str = file.text();
    let index = file.line_index();
    let start = loc.range.start().min(TextSize::of(text));
    let line = index.line_index(start);
    let line_range = index.line_range(line, text);
    // One line of context is enough to recognise the code; a span that runs past the line is
    // cut at its end, so a multi-line call shows its first line underlined.
    let line_text = &text[line_range];
    let line_text = line_text.trim_end_matches(['\n', '\r']);
    let mut rel_start = usize::from(start - line_range.start()).min(line_text.len());
    while !line_text.is_char_boundary(rel_start) {
        rel_start -= 1;
    }
    let end = loc
        .range
        .end()
        .min(line_range.start() + TextSize::of(line_text));
    let mut rel_end = usize::from(end.max(start) - line_range.start()).max(rel_start);
    while !line_text.is_char_boundary(rel_end) {
        rel_end += 1;
    }
    // An empty span (an error at end of input, or before a character) still gets a caret:
    // under the whole next character, never inside it (found by the fuzzer: a span ending
    // in the middle of a multi-byte character made the renderer panic).
    if rel_end == rel_start {
        rel_end = line_text[rel_start..]
            .chars()
            .next()
            .map_or(rel_start, |c| rel_start + c.len_utf8());
    }
    Window {
        origin: file.path.display().to_string(),
        source: line_text,
        line_start: line.get(),
        span: rel_start..rel_end,
    }
}

/// Renders one diagnostic.
pub fn render(program: &Program, d: &Diagnostic, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let id = format!("{} {}", d.code, d.name);
    let primary = window(program, &d.primary);
    let trace: Vec<Window> = d
        .trace
        .iter()
        .map(|s| window(program, &s.location))
        .collect();
    let mut message = level(d.severity).title(&d.message).id(&id).snippet(
        Snippet::source(primary.source)
            .line_start(primary.line_start)
            .origin(&primary.origin)
            .annotation(level(d.severity).span(primary.span.clone()).label(&d.label)),
    );
    for (w, step) in trace.iter().zip(&d.trace) {
        message = message.snippet(
            Snippet::source(w.source)
                .line_start(w.line_start)
                .origin(&w.origin)
                .annotation(Level::Info.span(w.span.clone()).label(&step.message)),
        );
    }
    if let Some(help) = &d.help {
        message = message.footer(Level::Help.title(help));
    }
    let fix_line = d.fix.as_ref().and_then(|fix| match fix.applicability {
        _ if fix.edits.is_empty() => None,
        Applicability::Safe => Some(format!("safe fix: {} (`--fix`)", fix.message)),
        Applicability::Unsafe => Some(format!(
            "unsafe fix: {} (`--fix --unsafe-fixes`)",
            fix.message
        )),
        Applicability::Display => None,
    });
    if let Some(line) = &fix_line {
        message = message.footer(Level::Help.title(line));
    }
    for note in &d.notes {
        message = message.footer(Level::Note.title(note));
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}", renderer.render(message));
    out
}

/// `path:line:col` of a location, 1-based.
pub fn position(
    program: &Program,
    file: crate::diagnostic::FileId,
    range: TextRange,
) -> (usize, usize) {
    program.file(file).line_col(range.start())
}
