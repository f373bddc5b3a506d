//! The fix engine: which fixes apply, applying them to a text without breaking it, and the
//! passes that repeat until nothing more applies.
//!
//! A fix is a set of edits with an [`Applicability`]. `--fix` applies the safe ones,
//! `--unsafe-fixes` adds the unsafe ones, and display-only fixes are never applied. In one
//! pass the fixes of a file are taken in order of position; one whose edits overlap an
//! already accepted fix waits for the next pass, which analyses the fixed text again (the
//! first fix may have changed what the second should be). After a pass, every fixed text is
//! parsed again: a fix that would leave a syntax error is dropped, reported as an internal
//! error with its rule code, and the file keeps the text it had.

pub mod entry;
pub mod source;
pub mod write;

use ruff_python_ast::PySourceType;
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{TextRange, TextSize};

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};

/// How many times the project is analysed and fixed at most. Each pass applies at least one
/// fix or stops; real fixes settle in two or three passes (a later fix that conflicted with an
/// earlier one), so reaching the bound means two fixes undo each other.
pub const MAX_PASSES: usize = 10;

/// Whether `fix` is applied when unsafe fixes are (or are not) enabled.
pub fn applies(fix: &Fix, unsafe_fixes: bool) -> bool {
    match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => unsafe_fixes,
        Applicability::Display => false,
    }
}

/// Whether `d` has a fix `--fix` would apply (with or without `--unsafe-fixes`).
pub fn is_fixable(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| !f.edits.is_empty() && applies(f, unsafe_fixes))
}

/// A fix that was not applied because it would have left a syntax error.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub code: &'static str,
    pub range: TextRange,
    pub syntax_error: String,
}

/// The outcome of applying fixes to one text.
#[derive(Debug)]
pub struct Applied {
    /// The fixed text (the original when nothing applied).
    pub text: String,
    /// The rule code of each finding fixed (a fix shared by several findings counts for each).
    pub fixed: Vec<&'static str>,
    pub rejected: Vec<Rejected>,
}

/// Applies the non-overlapping fixes among `fixes` (rule code and fix, edits all in this
/// text) to `text`, in order of position. Fixes whose result does not parse are rejected and
/// the others applied without them; the returned text always parses if `text` did.
pub fn apply(text: &str, fixes: &[(&'static str, &Fix)]) -> Applied {
    let mut order: Vec<&(&'static str, &Fix)> = fixes.iter().collect();
    order.sort_by_key(|(code, fix)| (first_start(fix), *code));
    let mut accepted: Vec<(&'static str, &Fix)> = Vec::new();
    let mut fixed = Vec::new();
    for &&(code, fix) in &order {
        // The same edits offered by two findings (FL101 and FL107 on one statement) are one fix.
        if accepted.iter().any(|(_, f)| f.edits == fix.edits) {
            fixed.push(code);
            continue;
        }
        if accepted.iter().any(|(_, f)| overlaps(f, fix)) || !fits(text, fix) {
            continue;
        }
        accepted.push((code, fix));
        fixed.push(code);
    }
    if accepted.is_empty() {
        return Applied {
            text: text.to_string(),
            fixed: Vec::new(),
            rejected: Vec::new(),
        };
    }
    let candidate = splice(text, accepted.iter().map(|(_, f)| *f));
    if syntax_error(&candidate).is_none() {
        return Applied {
            text: candidate,
            fixed,
            rejected: Vec::new(),
        };
    }
    // Find the fixes that break the file on their own, and apply the rest without them.
    let mut rejected = Vec::new();
    let mut good: Vec<(&'static str, &Fix)> = Vec::new();
    for &(code, fix) in &accepted {
        match syntax_error(&splice(text, [fix])) {
            Some(error) => rejected.push(Rejected {
                code,
                range: fix_range(fix),
                syntax_error: error,
            }),
            None => good.push((code, fix)),
        }
    }
    let candidate = splice(text, good.iter().map(|(_, f)| *f));
    if !good.is_empty()
        && let Some(error) = syntax_error(&candidate)
    {
        // Each parses alone but not together: keep the file as it was.
        rejected.extend(good.drain(..).map(|(code, fix)| Rejected {
            code,
            range: fix_range(fix),
            syntax_error: error.clone(),
        }));
    }
    let fixed = order
        .iter()
        .filter(|(_, f)| good.iter().any(|(_, g)| g.edits == f.edits))
        .map(|(code, _)| *code)
        .collect();
    let text = if good.is_empty() {
        text.to_string()
    } else {
        candidate
    };
    Applied {
        text,
        fixed,
        rejected,
    }
}

/// The first syntax error of `text`, if any.
pub fn syntax_error(text: &str) -> Option<String> {
    let parsed = parse_unchecked_source(text, PySourceType::Python);
    parsed.errors().first().map(|e| e.error.to_string())
}

fn first_start(fix: &Fix) -> TextSize {
    fix.edits
        .iter()
        .map(|e| e.range.start())
        .min()
        .unwrap_or_default()
}

fn fix_range(fix: &Fix) -> TextRange {
    let end = fix.edits.iter().map(|e| e.range.end()).max();
    TextRange::new(first_start(fix), end.unwrap_or_default())
}

/// Whether every edit lies inside `text` on character boundaries.
fn fits(text: &str, fix: &Fix) -> bool {
    fix.edits.iter().all(|e| {
        usize::from(e.range.end()) <= text.len()
            && text.is_char_boundary(e.range.start().into())
            && text.is_char_boundary(e.range.end().into())
    })
}

/// Whether two fixes touch the same text. Two insertions at one point conflict (their order
/// would be arbitrary), and so does an insertion inside a replaced range.
fn overlaps(a: &Fix, b: &Fix) -> bool {
    a.edits.iter().any(|x| {
        b.edits.iter().any(|y| {
            let (x, y) = (x.range, y.range);
            if x.is_empty() || y.is_empty() {
                (x.is_empty() && y.is_empty() && x.start() == y.start())
                    || (x.is_empty() && y.start() < x.start() && x.start() < y.end())
                    || (y.is_empty() && x.start() < y.start() && y.start() < x.end())
            } else {
                x.intersect(y).is_some_and(|i| !i.is_empty())
            }
        })
    })
}

/// `text` with the edits of `fixes` applied (they must not overlap). New line breaks in the
/// replacement text take the file's own line ending.
fn splice<'f>(text: &str, fixes: impl IntoIterator<Item = &'f Fix>) -> String {
    let ending = line_ending(text);
    let mut edits: Vec<&Edit> = fixes.into_iter().flat_map(|f| &f.edits).collect();
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for edit in edits {
        let start = usize::from(edit.range.start()).max(at);
        out.push_str(&text[at..start]);
        push_with_ending(&mut out, &edit.content, ending);
        at = usize::from(edit.range.end()).max(start);
    }
    out.push_str(&text[at..]);
    out
}

/// The line ending a text uses: that of its first line break (`\n` when it has none).
pub fn line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text[i..].starts_with('\r') => "\r",
        _ => "\n",
    }
}

/// Appends `content` to `out`, writing each line break it has as `ending`. Content copied from
/// the file already has the file's line breaks and keeps them.
fn push_with_ending(out: &mut String, content: &str, ending: &str) {
    let mut chars = content.char_indices().peekable();
    let mut last = 0;
    while let Some((i, c)) = chars.next() {
        let len = match c {
            '\r' if content[i..].starts_with("\r\n") => {
                chars.next();
                2
            }
            '\r' | '\n' => 1,
            _ => continue,
        };
        out.push_str(&content[last..i]);
        out.push_str(ending);
        last = i + len;
    }
    out.push_str(&content[last..]);
}

/// A fix replacing `range` with `content` in `file`.
pub fn replacement(
    message: impl Into<String>,
    applicability: Applicability,
    file: crate::diagnostic::FileId,
    range: TextRange,
    content: impl Into<String>,
) -> Fix {
    Fix {
        message: message.into(),
        applicability,
        edits: vec![Edit {
            file,
            range,
            content: content.into(),
        }],
    }
}

/// `fix` with its edits sorted, for building fixes out of parts in any order.
pub fn sorted(mut fix: Fix) -> Fix {
    fix.edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    fix
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;

    fn fix(range: (u32, u32), content: &str, applicability: Applicability) -> Fix {
        replacement(
            "test",
            applicability,
            FileId(0),
            TextRange::new(range.0.into(), range.1.into()),
            content,
        )
    }

    #[test]
    fn applies_non_overlapping_fixes_and_defers_the_overlapping_one() {
        let text = "a = 1\nb = 2\n";
        let one = fix((0, 1), "x", Applicability::Safe);
        let two = fix((6, 7), "y", Applicability::Safe);
        let overlapping = fix((0, 5), "z = 3", Applicability::Safe);
        let applied = apply(text, &[("FL1", &two), ("FL2", &overlapping), ("FL1", &one)]);
        assert_eq!(applied.text, "x = 1\ny = 2\n");
        assert_eq!(applied.fixed.len(), 2);
        assert!(applied.rejected.is_empty());
    }

    #[test]
    fn identical_fixes_are_applied_once_and_count_for_each_finding() {
        let text = "a = 1\n";
        let one = fix((0, 1), "b", Applicability::Safe);
        let applied = apply(text, &[("FL101", &one), ("FL107", &one.clone())]);
        assert_eq!(applied.text, "b = 1\n");
        assert_eq!(applied.fixed, vec!["FL101", "FL107"]);
    }

    #[test]
    fn a_fix_that_breaks_the_syntax_is_rejected_and_the_others_kept() {
        let text = "a = 1\nb = 2\n";
        let breaks = fix((0, 5), "a = (", Applicability::Safe);
        let good = fix((6, 7), "c", Applicability::Safe);
        let applied = apply(text, &[("FL203", &breaks), ("FL002", &good)]);
        assert_eq!(applied.text, "a = 1\nc = 2\n");
        assert_eq!(applied.fixed, vec!["FL002"]);
        assert_eq!(applied.rejected.len(), 1);
        assert_eq!(applied.rejected[0].code, "FL203");
    }

    #[test]
    fn new_line_breaks_take_the_files_line_ending() {
        let text = "a = 1\r\nb = 2\r\n";
        let insert = fix((7, 7), "import os\n", Applicability::Safe);
        let applied = apply(text, &[("FL201", &insert)]);
        assert_eq!(applied.text, "a = 1\r\nimport os\r\nb = 2\r\n");
        // Copied CRLF text is kept, not doubled.
        let copy = fix((0, 7), "if x:\r\n    a = 1\n", Applicability::Safe);
        let applied = apply(text, &[("FL107", &copy)]);
        assert_eq!(applied.text, "if x:\r\n    a = 1\r\nb = 2\r\n");
    }

    #[test]
    fn insertions_at_one_point_conflict() {
        let a = fix((3, 3), "x", Applicability::Safe);
        let b = fix((3, 3), "y", Applicability::Safe);
        assert!(overlaps(&a, &b));
        let c = fix((0, 3), "y", Applicability::Safe);
        assert!(
            !overlaps(&a, &c),
            "an insertion at the end of a replacement touches it"
        );
        let d = fix((0, 5), "y", Applicability::Safe);
        assert!(overlaps(&a, &d));
    }

    #[test]
    fn applicability_decides_what_applies() {
        let safe = fix((0, 1), "x", Applicability::Safe);
        let unsafe_ = fix((0, 1), "x", Applicability::Unsafe);
        let display = fix((0, 1), "x", Applicability::Display);
        assert!(applies(&safe, false));
        assert!(!applies(&unsafe_, false));
        assert!(applies(&unsafe_, true));
        assert!(!applies(&display, true));
    }
}
