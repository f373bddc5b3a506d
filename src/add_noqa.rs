//! `forklint check --add-noqa`: a `# noqa: CODE` on every line with a finding, as Ruff's
//! `--add-noqa` writes them.
//!
//! Each finding's directive goes where [`crate::suppression`] reads it: the line its primary
//! span starts on, or, when that line ends inside a string that spans lines or with a
//! backslash, the line [`crate::suppression::noqa_mapping`] maps it to (Ruff's rule). Codes
//! are added to a `# noqa: …` already on that line (after its last code: the rest of the
//! comment stays as it is); otherwise `  # noqa: CODES` is appended to the line, after its
//! trailing whitespace is trimmed (as Ruff does). A line with a bare `# noqa`, or a directive
//! that lists the code, is left alone, so a second run adds nothing.

use std::collections::BTreeMap;

use ruff_python_ast::PySourceType;
use ruff_python_ast::token::TokenKind;
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::suppression::{self, FileDirective};

/// The result of adding directives to one text.
#[derive(Debug, PartialEq)]
pub struct Added {
    pub text: String,
    /// Lines that got a new directive or new codes in one (Ruff's count).
    pub lines: usize,
}

/// Why directives were not added to a text.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum AddNoqaError {
    #[error("the file has a syntax error")]
    SyntaxError,
    #[error("internal error: adding `# noqa` would leave a syntax error ({0}); please report this")]
    WouldBreak(String),
}

/// `text` with the directives that suppress `findings` (where each starts, and its code).
/// `None` when nothing needs adding.
pub fn add_noqa(text: &str, findings: &[(TextSize, &str)]) -> Result<Option<Added>, AddNoqaError> {
    let parsed = parse_unchecked_source(text, PySourceType::Python);
    if !parsed.errors().is_empty() {
        return Err(AddNoqaError::SyntaxError);
    }
    let comments = parsed.tokens().iter().filter(|t| {
        t.kind() == TokenKind::Comment
            && text
                .get(std::ops::Range::<usize>::from(t.range()))
                .is_some_and(suppression::may_contain_directive)
    });
    let directives = suppression::scan(text, comments.map(Ranged::range));
    let mapping = suppression::noqa_mapping(text, parsed.tokens());
    // Line start → (the line, its directive, the codes to add).
    let mut by_line: BTreeMap<TextSize, (TextRange, Option<usize>, Vec<&str>)> = BTreeMap::new();
    for &(offset, code) in findings {
        let exempt = directives.file.iter().any(|f| match f {
            FileDirective::All => true,
            FileDirective::Codes(codes) => codes.iter().any(|c| code.starts_with(c.as_str())),
        });
        if exempt || usize::from(offset) > text.len() {
            continue;
        }
        let at = suppression::resolve(&mapping, offset);
        let directive = directives
            .lines
            .iter()
            .position(|d| d.line.start() <= at && at <= d.line.end());
        if let Some(d) = directive {
            match &directives.lines[d].codes {
                None => continue,
                Some(codes) if codes.iter().any(|(c, _)| c == code) => continue,
                Some(_) => {}
            }
        }
        let line = directive.map_or_else(|| line_at(text, at), |d| directives.lines[d].line);
        let entry = by_line
            .entry(line.start())
            .or_insert_with(|| (line, directive, Vec::new()));
        if !entry.2.contains(&code) {
            entry.2.push(code);
        }
    }
    if by_line.is_empty() {
        return Ok(None);
    }
    let count = by_line.len();
    let mut out = String::with_capacity(text.len() + 24 * count);
    let mut at = 0usize;
    for (line, directive, mut codes) in by_line.into_values() {
        codes.sort_unstable();
        let (range, insert) = match directive.and_then(|d| directives.lines[d].codes.as_ref()) {
            Some(existing) => {
                let end = existing.last().map_or(line.end(), |(_, r)| r.end());
                (TextRange::empty(end), format!(", {}", codes.join(", ")))
            }
            None => {
                let content = &text[std::ops::Range::<usize>::from(line)];
                let trimmed = content.trim_end_matches([' ', '\t', '\x0c']);
                let start = line.start() + TextSize::new(trimmed.len() as u32);
                let gap = if trimmed.trim_start().is_empty() {
                    ""
                } else {
                    "  "
                };
                (
                    TextRange::new(start, line.end()),
                    format!("{gap}# noqa: {}", codes.join(", ")),
                )
            }
        };
        out.push_str(&text[at..usize::from(range.start())]);
        out.push_str(&insert);
        at = usize::from(range.end());
    }
    out.push_str(&text[at..]);
    let reparsed = parse_unchecked_source(&out, PySourceType::Python);
    if let Some(e) = reparsed.errors().first() {
        return Err(AddNoqaError::WouldBreak(e.error.to_string()));
    }
    Ok(Some(Added {
        lines: count,
        text: out,
    }))
}

/// The physical line holding `offset`, without its line break.
fn line_at(text: &str, offset: TextSize) -> TextRange {
    let mut at = usize::from(offset).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let start = text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let end = text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i);
    TextRange::new(TextSize::new(start as u32), TextSize::new(end as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with directives for findings at the start of each `(line, code)` (1-based).
    fn add(text: &str, findings: &[(usize, &str)]) -> Option<Added> {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let findings: Vec<(TextSize, &str)> = findings
            .iter()
            .map(|&(line, code)| (TextSize::new(starts[line - 1] as u32), code))
            .collect();
        add_noqa(text, &findings).unwrap()
    }

    #[test]
    fn appends_merges_and_skips() {
        let text = "a()\nb()  # noqa: FL101 started on purpose\nc()  # noqa\nd()   \ne()  # note\n";
        let added = add(
            text,
            &[
                (1, "FL106"),
                (1, "FL101"),
                (1, "FL101"),
                (2, "FL106"),
                (2, "FL101"),
                (3, "FL101"),
                (4, "FL103"),
                (5, "FL101"),
            ],
        )
        .unwrap();
        assert_eq!(
            added.text,
            "a()  # noqa: FL101, FL106\nb()  # noqa: FL101, FL106 started on purpose\nc()  # noqa\n\
             d()  # noqa: FL103\ne()  # note  # noqa: FL101\n"
        );
        assert_eq!(added.lines, 4);
        // A second run finds every code in place.
        let again = add(
            &added.text,
            &[
                (1, "FL101"),
                (1, "FL106"),
                (2, "FL106"),
                (4, "FL103"),
                (5, "FL101"),
            ],
        );
        assert_eq!(again, None);
    }

    #[test]
    fn a_line_ending_inside_a_string_or_continued_gets_it_where_ruff_puts_it() {
        let text = r#"f("""a
b""")
x = 1 + \
    2
g(f"""{1}
""")
h(1, 'a\
b')
"#;
        let added = add(
            text,
            &[(1, "FL101"), (3, "FL103"), (5, "FL201"), (7, "FL106")],
        )
        .unwrap();
        assert_eq!(
            added.text,
            r#"f("""a
b""")  # noqa: FL101
x = 1 + \
    2  # noqa: FL103
g(f"""{1}
""")  # noqa: FL201
h(1, 'a\
b')  # noqa: FL106
"#
        );
    }

    #[test]
    fn keeps_line_endings_and_bom() {
        let text = "\u{feff}a()\r\nb()\r\n";
        let added = add(text, &[(2, "FL101")]).unwrap();
        assert_eq!(added.text, "\u{feff}a()\r\nb()  # noqa: FL101\r\n");
        let text = "a()\rb()\r";
        let findings = [(TextSize::new(4), "FL101")];
        let added = add_noqa(text, &findings).unwrap().unwrap();
        assert_eq!(added.text, "a()\rb()  # noqa: FL101\r");
    }

    #[test]
    fn file_exemptions_and_syntax_errors() {
        assert_eq!(add("# forklint: noqa: FL1\na()\n", &[(2, "FL101")]), None);
        assert_eq!(
            add_noqa("def f(:\n", &[(TextSize::new(0), "FL101")]),
            Err(AddNoqaError::SyntaxError)
        );
    }
}
