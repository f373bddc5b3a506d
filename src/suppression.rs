//! `# noqa` suppressions, as Ruff spells them.
//!
//! - `# noqa: FL101, FL201` on the line where a finding starts suppresses those codes there;
//!   a bare `# noqa` suppresses every finding on the line.
//! - `# forklint: noqa` anywhere in a file (a comment of its own) exempts the whole file;
//!   `# forklint: noqa: FL2` exempts the codes or code prefixes listed.
//! - FL002 `unused-noqa` reports line directives that suppressed nothing or name unknown or
//!   disabled codes, with a safe fix that removes them (or the unused codes).
//!
//! Directives are found in comment tokens while each file is summarised ([`scan`]), so a
//! `noqa` inside a string is never one. FL001 (syntax error) cannot be suppressed: a file that
//! does not parse is not analysed, and saying so is not optional.

use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::diagnostic::{Applicability, Diagnostic, Edit, FileId, Fix, Location};
use crate::program::Program;

/// A `# noqa` directive at the end of a line.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LineDirective {
    /// The physical line that holds it (without its line break): findings starting on this
    /// line are suppressed.
    pub line: TextRange,
    /// From the `#` that opens the directive to the end of its last code.
    pub range: TextRange,
    /// What is replaced by [`Self::removal_text`] to remove the directive: the whitespace
    /// before its `#` and the directive itself when it ends the comment; when more comment
    /// text follows (`# noqa FL101 why`, `# noqa: FL101  # why`), from the `#` up to that
    /// text, which stays a comment.
    pub removal: TextRange,
    /// `""`, or `"# "` when the text after the directive must stay a comment.
    pub removal_text: std::borrow::Cow<'static, str>,
    /// Listed codes with their ranges; `None` for a bare `# noqa`.
    pub codes: Option<Vec<(String, TextRange)>>,
}

/// A `# forklint: noqa` directive for the whole file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum FileDirective {
    All,
    /// Codes or code prefixes (`FL2`).
    Codes(Vec<String>),
}

/// The suppressions of one file.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Suppressions {
    pub lines: Vec<LineDirective>,
    pub file: Vec<FileDirective>,
    /// Where a finding's directive is read from another line ([`noqa_mapping`]): sorted,
    /// disjoint ranges, each read at its end. Kept only for files with a line directive.
    #[serde(default)]
    pub mapping: Vec<TextRange>,
}

impl Suppressions {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.file.is_empty()
    }
}

/// Whether `source` can hold a directive at all: a cheap test that skips the comment scan for
/// the (many) files without one.
pub fn may_contain_directive(source: &str) -> bool {
    let bytes = source.as_bytes();
    memchr::memchr2_iter(b'q', b'Q', bytes).any(|i| {
        i >= 2
            && bytes
                .get(i - 2..i + 2)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"noqa"))
    })
}

/// Finds the directives in the comments (`comments`: ranges of comment tokens, `#` included).
pub fn scan(source: &str, comments: impl Iterator<Item = TextRange>) -> Suppressions {
    let mut out = Suppressions::default();
    for comment in comments {
        let Some(text) = source.get(std::ops::Range::<usize>::from(comment)) else {
            continue;
        };
        if let Some(file) = parse_file_directive(text) {
            out.file.push(file);
            continue;
        }
        let Some(found) = parse_line_directive(text) else {
            continue;
        };
        let at = |offset: usize| comment.start() + TextSize::new(offset as u32);
        let line = line_around(source, comment);
        // The whitespace before the directive's `#` on this line goes with it.
        let before = &source[usize::from(line.start())..usize::from(at(found.hash))];
        let kept = before.trim_end_matches([' ', '\t']).len();
        let after = &text[found.end..];
        let rest = found.end + (after.len() - after.trim_start_matches([' ', '\t']).len());
        let (removal, removal_text) = if rest == text.len() {
            let start = line.start() + TextSize::new(kept as u32);
            (TextRange::new(start, at(found.end)), "")
        } else if text[rest..].starts_with('#') {
            (TextRange::new(at(found.hash), at(rest)), "")
        } else {
            // Deleting only the directive would turn the rest of the comment into code.
            (TextRange::new(at(found.hash), at(rest)), "# ")
        };
        out.lines.push(LineDirective {
            line,
            range: TextRange::new(at(found.hash), at(found.end)),
            removal,
            removal_text: removal_text.into(),
            codes: found.codes.map(|codes| {
                codes
                    .into_iter()
                    .map(|(code, start, end)| (code, TextRange::new(at(start), at(end))))
                    .collect()
            }),
        });
    }
    out
}

/// The physical line around `range`, without its line break.
fn line_around(source: &str, range: TextRange) -> TextRange {
    let start = usize::from(range.start());
    let line_start = source[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    TextRange::new(
        TextSize::new(line_start as u32),
        TextSize::new(line_end as u32),
    )
}

/// A directive found in one comment; offsets are relative to the comment.
struct Found {
    hash: usize,
    end: usize,
    codes: Option<Vec<(String, usize, usize)>>,
}

/// `# noqa`, `# noqa: A1, B2`, `#noqa:A1 B2` (case-insensitive `noqa`), also after other
/// comment text (`# type: ignore  # noqa: FL101`).
fn parse_line_directive(comment: &str) -> Option<Found> {
    let bytes = comment.as_bytes();
    for (hash, _) in comment.match_indices('#') {
        let mut i = hash + 1;
        while bytes.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
            i += 1;
        }
        if !bytes
            .get(i..i + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"noqa"))
        {
            continue;
        }
        i += 4;
        // `# noqa` followed by a letter is another word (`# noqaxyz`), not a directive.
        if bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let blanket_end = i;
        if bytes.get(i) != Some(&b':') {
            return Some(Found {
                hash,
                end: blanket_end,
                codes: None,
            });
        }
        let (codes, end) = parse_codes(comment, i + 1);
        // `# noqa:` without codes is read as a bare `# noqa` (as Ruff does, with a warning).
        return Some(if codes.is_empty() {
            Found {
                hash,
                end: blanket_end,
                codes: None,
            }
        } else {
            Found {
                hash,
                end,
                codes: Some(codes),
            }
        });
    }
    None
}

/// Codes separated by commas and/or spaces from `start`; stops at the first word that is not
/// a code. Returns the codes with their offsets and the end of the last one.
fn parse_codes(text: &str, start: usize) -> (Vec<(String, usize, usize)>, usize) {
    let bytes = text.as_bytes();
    let mut codes = Vec::new();
    let mut i = start;
    let mut end = start;
    loop {
        while bytes
            .get(i)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b','))
        {
            i += 1;
        }
        let code_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_uppercase) {
            i += 1;
        }
        let letters = i - code_start;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let is_code = letters > 0
            && i > code_start + letters
            && !bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric());
        if !is_code {
            return (codes, end);
        }
        codes.push((text[code_start..i].to_string(), code_start, i));
        end = i;
    }
}

/// `# forklint: noqa` or `# forklint: noqa: FL2, FL101` as the whole comment.
fn parse_file_directive(comment: &str) -> Option<FileDirective> {
    let rest = comment.strip_prefix('#')?.trim_start();
    let rest = strip_prefix_ignore_case(rest, "forklint:")?.trim_start();
    let rest = strip_prefix_ignore_case(rest, "noqa")?;
    let rest = rest.trim_end();
    if rest.is_empty() {
        return Some(FileDirective::All);
    }
    let list = rest.strip_prefix(':')?;
    let codes: Vec<String> = list
        .split([',', ' ', '\t'])
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    let well_formed = codes.iter().all(|c| {
        c.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && c.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    });
    if codes.is_empty() || !well_formed {
        return None;
    }
    Some(FileDirective::Codes(codes))
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The lines on which a comment cannot end, mapped to where their findings' directive goes
/// instead, as Ruff's `NoqaMapping` does: a statement whose line ends inside a string that
/// spans lines is suppressed on the line where that string ends (f-strings and t-strings: the
/// outermost one), and a line continued with a backslash on the first line after the
/// continuation. Each range runs from the start of the first such line; an offset in it is
/// read at its end ([`resolve`]). Ranges that touch are merged, so a string ending on a
/// continued line maps past the continuation.
pub fn noqa_mapping(source: &str, tokens: &[ruff_python_ast::token::Token]) -> Vec<TextRange> {
    use ruff_python_ast::token::TokenKind;
    let line_start = |offset: TextSize| {
        let at = usize::from(offset).min(source.len());
        TextSize::new(source[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1) as u32)
    };
    let spans_lines = |range: TextRange| {
        source
            .get(std::ops::Range::<usize>::from(range))
            .is_some_and(|t| t.contains(['\n', '\r']))
    };
    let mut ranges: Vec<TextRange> = Vec::new();
    // Interpolated strings open and close with their own tokens; only the outermost counts.
    let mut open: Vec<TextSize> = Vec::new();
    let mut previous_end = TextSize::default();
    for token in tokens {
        // A backslash continuation lies between tokens (it is no token itself).
        let gap = source
            .get(usize::from(previous_end)..usize::from(token.start()))
            .unwrap_or("");
        for (i, _) in gap.match_indices('\\') {
            let at = usize::from(previous_end) + i;
            let rest = &source[at + 1..];
            let break_len = if rest.starts_with("\r\n") {
                2
            } else if rest.starts_with(['\n', '\r']) {
                1
            } else {
                continue;
            };
            let next_line = TextSize::new((at + 1 + break_len) as u32);
            ranges.push(TextRange::new(
                line_start(TextSize::new(at as u32)),
                next_line,
            ));
        }
        previous_end = token.end();
        match token.kind() {
            TokenKind::String if spans_lines(token.range()) => {
                ranges.push(TextRange::new(line_start(token.start()), token.end()));
            }
            TokenKind::FStringStart | TokenKind::TStringStart => open.push(token.start()),
            TokenKind::FStringEnd | TokenKind::TStringEnd => {
                if let Some(start) = open.pop()
                    && open.is_empty()
                {
                    let range = TextRange::new(start, token.end());
                    if spans_lines(range) {
                        ranges.push(TextRange::new(line_start(start), token.end()));
                    }
                }
            }
            _ => {}
        }
    }
    ranges.sort_by_key(|r| (r.start(), r.end()));
    let mut merged: Vec<TextRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start() <= last.end() => *last = last.cover(range),
            _ => merged.push(range),
        }
    }
    merged
}

/// Where the directive for a finding starting at `offset` is read: the end of the mapped
/// range holding it, else `offset` itself.
pub fn resolve(mapping: &[TextRange], offset: TextSize) -> TextSize {
    let i = mapping.partition_point(|r| r.end() <= offset);
    match mapping.get(i) {
        Some(r) if r.start() <= offset => r.end(),
        _ => offset,
    }
}

/// What a rule code is to the suppression step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CodeStatus {
    /// A rule that ran.
    Enabled,
    /// A rule that exists but was not selected.
    Disabled,
    Unknown,
}

/// Drops the findings that directives suppress. With `report_unused`, adds an FL002 finding
/// for every line directive that suppressed nothing, or names codes that suppressed nothing.
pub fn apply(
    program: &Program,
    diagnostics: Vec<Diagnostic>,
    report_unused: bool,
    status: &dyn Fn(&str) -> CodeStatus,
) -> Vec<Diagnostic> {
    // used[file][directive][code] (a bare directive has one slot).
    let mut used: Vec<Vec<Vec<bool>>> = program
        .file_ids()
        .map(|f| {
            program
                .summary(f)
                .suppressions
                .lines
                .iter()
                .map(|d| vec![false; d.codes.as_ref().map_or(1, Vec::len)])
                .collect()
        })
        .collect();
    let mut kept = Vec::with_capacity(diagnostics.len());
    for mut d in diagnostics {
        if d.code == crate::rules::general::fl001_syntax_error::RULE.code {
            kept.push(d);
            continue;
        }
        let file = d.primary.file;
        let suppressions = &program.summary(file).suppressions;
        let exempt = suppressions.file.iter().any(|f| match f {
            FileDirective::All => true,
            FileDirective::Codes(codes) => codes.iter().any(|c| d.code.starts_with(c.as_str())),
        });
        if exempt {
            continue;
        }
        // A file-wide exemption of a code the finding carries drops that note.
        d.also.retain(|c| {
            !suppressions.file.iter().any(|f| match f {
                FileDirective::All => true,
                FileDirective::Codes(codes) => codes.iter().any(|p| c.code.starts_with(p.as_str())),
            })
        });
        let start = resolve(&suppressions.mapping, d.primary.range.start());
        let mut suppressed = false;
        for (i, directive) in suppressions.lines.iter().enumerate() {
            if !(directive.line.start() <= start && start <= directive.line.end()) {
                continue;
            }
            let slots = &mut used[file.0 as usize][i];
            match &directive.codes {
                None => {
                    slots[0] = true;
                    suppressed = true;
                }
                Some(codes) => {
                    for (j, (code, _)) in codes.iter().enumerate() {
                        if code == d.code {
                            slots[j] = true;
                            suppressed = true;
                        } else if let Some(k) = d.also.iter().position(|c| c.code == code) {
                            // A code the finding carries (`rules::combine`): the directive
                            // drops that note, not the finding.
                            slots[j] = true;
                            d.also.remove(k);
                        }
                    }
                }
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    if report_unused {
        for file in program.file_ids() {
            let suppressions = &program.summary(file).suppressions;
            for (i, directive) in suppressions.lines.iter().enumerate() {
                if let Some(d) = unused_noqa(file, directive, &used[file.0 as usize][i], status) {
                    kept.push(d);
                }
            }
        }
        crate::rules::sort_diagnostics(&mut kept);
    }
    kept
}

/// `FL` followed by digits: a code forklint owns (known or not).
fn is_forklint_code(code: &str) -> bool {
    code.strip_prefix("FL")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The FL002 finding for one directive, if any of it is unused.
fn unused_noqa(
    file: FileId,
    directive: &LineDirective,
    used: &[bool],
    status: &dyn Fn(&str) -> CodeStatus,
) -> Option<Diagnostic> {
    let rule = &crate::rules::general::fl002_unused_noqa::RULE;
    let (message, fix) = match &directive.codes {
        // A bare `# noqa` speaks to every linter that reads the line (flake8, Ruff, …):
        // forklint cannot know that it is unused.
        None => return None,
        Some(codes) => {
            let (mut unknown, mut disabled, mut unused, mut kept) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for ((code, _), was_used) in codes.iter().zip(used) {
                match (was_used, status(code)) {
                    // Other linters' codes (`F401`, `E501`, `PLW1509`) are theirs to judge.
                    _ if !is_forklint_code(code) => kept.push(code.as_str()),
                    (true, _) => kept.push(code.as_str()),
                    (false, CodeStatus::Unknown) => unknown.push(code.as_str()),
                    (false, CodeStatus::Disabled) => disabled.push(code.as_str()),
                    (false, CodeStatus::Enabled) => unused.push(code.as_str()),
                }
            }
            if kept.len() == codes.len() {
                return None;
            }
            let mut parts = Vec::new();
            for (label, list) in [
                ("unused", &unused),
                ("non-enabled", &disabled),
                ("unknown", &unknown),
            ] {
                if !list.is_empty() {
                    parts.push(format!("{label}: {}", list.join(", ")));
                }
            }
            let message = format!("Unused `noqa` directive ({})", parts.join("; "));
            let fix = if kept.is_empty() {
                remove(file, directive)
            } else {
                // Keep the directive with the codes that did suppress something.
                let first = codes.first().map(|(_, r)| r.start())?;
                let last = codes.last().map(|(_, r)| r.end())?;
                Fix {
                    message: format!("Keep only {}", kept.join(", ")),
                    applicability: Applicability::Safe,
                    edits: vec![Edit {
                        file,
                        range: TextRange::new(first, last),
                        content: kept.join(", "),
                    }],
                }
            };
            (message, fix)
        }
    };
    Some(Diagnostic {
        code: rule.code,
        name: rule.name,
        severity: rule.severity,
        message,
        primary: Location {
            file,
            range: directive.range,
        },
        label: "suppresses nothing here".to_string(),
        trace: Vec::new(),
        help: Some(fix.message.clone()),
        notes: Vec::new(),
        fix: Some(fix),
        also: Vec::new(),
    })
}

fn remove(file: FileId, directive: &LineDirective) -> Fix {
    Fix {
        message: "Remove the `noqa` directive".to_string(),
        applicability: Applicability::Safe,
        edits: vec![Edit {
            file,
            range: directive.removal,
            content: directive.removal_text.to_string(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every comment of `source` (a `#` outside strings is enough for these tests).
    fn comments(source: &str) -> Vec<TextRange> {
        let parsed = ruff_python_parser::parse_unchecked_source(
            source,
            ruff_python_ast::PySourceType::Python,
        );
        parsed
            .tokens()
            .iter()
            .filter(|t| t.kind() == ruff_python_ast::token::TokenKind::Comment)
            .map(ruff_text_size::Ranged::range)
            .collect()
    }

    fn scan_text(source: &str) -> Suppressions {
        scan(source, comments(source).into_iter())
    }

    fn codes(d: &LineDirective) -> Option<Vec<&str>> {
        d.codes
            .as_ref()
            .map(|c| c.iter().map(|(code, _)| code.as_str()).collect())
    }

    #[test]
    fn line_directives_in_their_spellings() {
        let source = "a = 1  # noqa\nb = 2  # noqa: FL101, FL201\nc = 3  #NOQA:FL101 FL102\n\
                      d = 4  # type: ignore  # noqa: FL103 because reasons\ne = 5  # noqa:\n";
        let s = scan_text(source);
        let got: Vec<_> = s.lines.iter().map(codes).collect();
        assert_eq!(
            got,
            vec![
                None,
                Some(vec!["FL101", "FL201"]),
                Some(vec!["FL101", "FL102"]),
                Some(vec!["FL103"]),
                None,
            ]
        );
        // Each directive's range is its text, and its line is the whole physical line.
        assert_eq!(
            &source[std::ops::Range::<usize>::from(s.lines[1].range)],
            "# noqa: FL101, FL201"
        );
        assert_eq!(
            &source[std::ops::Range::<usize>::from(s.lines[1].line)],
            "b = 2  # noqa: FL101, FL201"
        );
        assert_eq!(
            &source[std::ops::Range::<usize>::from(s.lines[3].range)],
            "# noqa: FL103"
        );
        assert_eq!(
            &source[std::ops::Range::<usize>::from(s.lines[0].removal)],
            "  # noqa"
        );
    }

    #[test]
    fn removing_a_directive_keeps_the_rest_of_its_comment_a_comment() {
        // Found by the fuzzer: deleting `# noqa` from `# noqa FL101` left ` FL101` as code.
        let cases = [
            ("x = 1  # noqa\n", "x = 1\n"),
            ("# noqa FL101\ny = 2\n", "# FL101\ny = 2\n"),
            (
                "x = 1  # noqa: FL101 see the docs\n",
                "x = 1  # see the docs\n",
            ),
            ("x = 1  # noqa: FL101  # why\n", "x = 1  # why\n"),
            ("x = 1  # type: ignore  # noqa\n", "x = 1  # type: ignore\n"),
        ];
        for (source, expected) in cases {
            let s = scan_text(source);
            let d = &s.lines[0];
            let range = std::ops::Range::<usize>::from(d.removal);
            let fixed = format!(
                "{}{}{}",
                &source[..range.start],
                d.removal_text,
                &source[range.end..]
            );
            assert_eq!(fixed, expected, "{source:?}");
        }
    }

    #[test]
    fn not_directives() {
        let source = "s = '# noqa'\nt = 1  # noqaxyz\nu = 2  # see noqa docs\n";
        assert!(scan_text(source).is_empty(), "{:?}", scan_text(source));
    }

    #[test]
    fn file_directives() {
        let s = scan_text("# forklint: noqa\nx = 1\n");
        assert_eq!(s.file, vec![FileDirective::All]);
        let s = scan_text("# Forklint: NOQA: FL2, FL101\n");
        assert_eq!(
            s.file,
            vec![FileDirective::Codes(vec!["FL2".into(), "FL101".into()])]
        );
        // Malformed lists are not silently read as "the whole file".
        assert!(scan_text("# forklint: noqa: fl2\n").file.is_empty());
        assert!(scan_text("# forklint: noqa because\n").file.is_empty());
    }

    #[test]
    fn lines_that_cannot_hold_a_comment_map_to_where_ruff_reads_the_directive() {
        let source = "a = f('''x\ny''') + \\\n  g()\nb = 1\nc = f\"\"\"{1}\n\"\"\"\n";
        let parsed = ruff_python_parser::parse_unchecked_source(
            source,
            ruff_python_ast::PySourceType::Python,
        );
        assert!(parsed.errors().is_empty(), "{:?}", parsed.errors());
        let mapping = noqa_mapping(source, parsed.tokens());
        let line_of = |offset: TextSize| source[..usize::from(offset)].matches('\n').count() + 1;
        let resolved_line = |line: usize| {
            let start: usize = source
                .split_inclusive('\n')
                .take(line - 1)
                .map(str::len)
                .sum();
            line_of(resolve(&mapping, TextSize::new(start as u32)))
        };
        // The string ends on line 2, which is continued: lines 1 and 2 read line 3.
        assert_eq!(resolved_line(1), 3);
        assert_eq!(resolved_line(2), 3);
        assert_eq!(resolved_line(3), 3);
        assert_eq!(resolved_line(4), 4);
        // An f-string spanning lines is read where it ends.
        assert_eq!(resolved_line(5), 6);
    }

    #[test]
    fn a_directive_line_is_found_in_text_with_carriage_returns_alone() {
        let source = "a = 1\rb = 2  # noqa: FL101\rc = 3\r";
        let s = scan_text(source);
        assert_eq!(
            &source[std::ops::Range::<usize>::from(s.lines[0].line)],
            "b = 2  # noqa: FL101"
        );
    }

    #[test]
    fn the_cheap_test_finds_every_spelling() {
        assert!(may_contain_directive("x  # NoQa"));
        assert!(may_contain_directive("x  # noqa: FL101"));
        assert!(!may_contain_directive("quit()  # no q-a here"));
    }
}
