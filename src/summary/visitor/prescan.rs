//! What is checked before the parser is trusted with a file: one linear scan of the raw
//! text (bracket depth, statement length) for files long enough to exhaust the parser's
//! stack, and one pass over the tokens after parsing (bracket depth, `# noqa` comments).

use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::summary::SyntaxProblem;

/// Deepest bracket nesting accepted. CPython's tokenizer refuses more than 200 nested
/// parentheses ("too many nested parentheses", `MAXLEVEL` in Parser/tokenizer.c), so deeper
/// input is a syntax error for Python itself, and refusing it before parsing keeps the
/// recursive-descent parser's stack bounded.
pub const MAX_NESTING: usize = 200;

/// CPython's refusal of deep bracket nesting, as a syntax problem at the first bracket past
/// the limit.
pub(super) fn too_many_brackets(offset: TextSize) -> SyntaxProblem {
    SyntaxProblem {
        range: TextRange::empty(offset),
        message: format!(
            "too many nested parentheses (more than {MAX_NESTING}); Python refuses this file"
        ),
    }
}

/// What one pass over a file's tokens finds besides the tree.
pub(super) struct ScannedTokens {
    /// Where bracket nesting first exceeds [`MAX_NESTING`].
    pub(super) too_deep: Option<TextSize>,
    /// Comments that may hold a `# noqa` directive.
    pub(super) noqa_comments: Vec<TextRange>,
}

pub(super) fn scan_tokens(source: &str, tokens: &[ruff_python_ast::token::Token]) -> ScannedTokens {
    use ruff_python_ast::token::TokenKind;
    let mut out = ScannedTokens {
        too_deep: None,
        noqa_comments: Vec::new(),
    };
    let mut depth = 0usize;
    for token in tokens {
        match token.kind() {
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace => {
                depth += 1;
                if depth > MAX_NESTING && out.too_deep.is_none() {
                    out.too_deep = Some(token.start());
                }
            }
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => {
                depth = depth.saturating_sub(1);
            }
            TokenKind::Comment
                if source
                    .get(std::ops::Range::<usize>::from(token.range()))
                    .is_some_and(crate::suppression::may_contain_directive) =>
            {
                out.noqa_comments.push(token.range());
            }
            _ => {}
        }
    }
    out
}

/// What a linear scan of the raw text finds before the parser is trusted with it.
#[derive(Debug, PartialEq)]
pub(super) enum Prescan {
    Fine,
    /// Byte offset where bracket nesting first exceeds [`MAX_NESTING`].
    TooManyBrackets(usize),
    /// A single statement longer than [`MAX_STATEMENT_BYTES`], starting at this offset.
    StatementTooLong(usize),
}

/// Longest single statement handed to the parser. The parser recurses once per nesting level
/// of an expression (`- - - … 1`, `2 ** 2 ** …`), using about 64 bytes of stack each, and a
/// statement of N bytes nests at most N levels: a bound on statement length is a bound on the
/// stack the parser can need, whatever the statement is made of. 1 MiB of one statement needs
/// at most 64 MiB; the worker stacks are sized for that. Real code, even generated tables,
/// stays far below it.
pub const MAX_STATEMENT_BYTES: usize = 1 << 20;

/// Bytes the scan must look at; everything else is skipped in a tight loop.
const INTERESTING: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let bytes = b"#'\"()[]{}\n\\";
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
};

/// One linear pass over the text, skipping strings and comments, that bounds what the
/// recursive-descent parser will face. It cannot itself be defeated by nesting.
pub(super) fn prescan(source: &str) -> Prescan {
    let bytes = source.as_bytes();
    let (mut i, mut depth, mut statement_start) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        // Most bytes are uninteresting: test four at a time before looking at one.
        while let Some(chunk) = bytes.get(i..i + 4) {
            let any = INTERESTING[chunk[0] as usize]
                | INTERESTING[chunk[1] as usize]
                | INTERESTING[chunk[2] as usize]
                | INTERESTING[chunk[3] as usize];
            if any {
                break;
            }
            i += 4;
        }
        let Some(&b) = bytes.get(i) else { break };
        if !INTERESTING[b as usize] {
            i += 1;
            continue;
        }
        match b {
            b'#' => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'\\' => {
                // A line continuation (or a stray backslash): the statement goes on.
                i += 2;
                continue;
            }
            b'\n' if depth == 0 => {
                if i - statement_start > MAX_STATEMENT_BYTES {
                    return Prescan::StatementTooLong(statement_start);
                }
                statement_start = i + 1;
            }
            q @ (b'"' | b'\'') => {
                let triple = bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q);
                i += if triple { 3 } else { 1 };
                loop {
                    // The next byte that can end the string: its quote, an escape, or (for a
                    // one-line string) the end of the line.
                    // (An escape at the very end leaves `i` past the end: nothing is left.)
                    let rest = bytes.get(i..).unwrap_or_default();
                    let next = if triple {
                        memchr::memchr2(q, b'\\', rest)
                    } else {
                        memchr::memchr3(q, b'\\', b'\n', rest)
                    };
                    let Some(n) = next else {
                        i = bytes.len();
                        break;
                    };
                    i += n;
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'\n' => break,
                        _ if !triple => {
                            i += 1;
                            break;
                        }
                        _ if bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q) => {
                            i += 3;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Prescan::TooManyBrackets(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    if bytes.len() - statement_start.min(bytes.len()) > MAX_STATEMENT_BYTES {
        return Prescan::StatementTooLong(statement_start);
    }
    Prescan::Fine
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan written plainly, one byte at a time: the fast [`prescan`] must agree.
    fn prescan_reference(source: &str) -> Prescan {
        let bytes = source.as_bytes();
        let (mut i, mut depth, mut statement_start) = (0usize, 0usize, 0usize);
        while i < bytes.len() {
            match bytes[i] {
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'\\' => {
                    i += 2;
                    continue;
                }
                b'\n' if depth == 0 => {
                    if i - statement_start > MAX_STATEMENT_BYTES {
                        return Prescan::StatementTooLong(statement_start);
                    }
                    statement_start = i + 1;
                }
                q @ (b'"' | b'\'') => {
                    let triple = bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q);
                    i += if triple { 3 } else { 1 };
                    while i < bytes.len() {
                        if bytes[i] == b'\\' {
                            i += 2;
                            continue;
                        }
                        if bytes[i] == q
                            && (!triple
                                || (bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q)))
                        {
                            i += if triple { 3 } else { 1 };
                            break;
                        }
                        if !triple && bytes[i] == b'\n' {
                            break;
                        }
                        i += 1;
                    }
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Prescan::TooManyBrackets(i);
                    }
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        if bytes.len() - statement_start.min(bytes.len()) > MAX_STATEMENT_BYTES {
            return Prescan::StatementTooLong(statement_start);
        }
        Prescan::Fine
    }

    #[test]
    fn fast_prescan_agrees_with_the_plain_scan() {
        // Fragments that exercise every case: quotes of both kinds, triple quotes, escapes
        // (also as the last byte), comments, line ends, brackets, plain text.
        const PIECES: [&str; 16] = [
            "(",
            "(((",
            ")",
            "[",
            "]",
            "{",
            "}",
            "'",
            "\"",
            "'''",
            "\"\"\"",
            "\\",
            "#",
            "\n",
            "abc ",
            "x = f(a, b)\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            // xorshift64: deterministic, no dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut outcomes = [0usize; 2];
        for round in 0..20_000 {
            let len = (next() % 400) as usize;
            let mut text = String::new();
            for _ in 0..len {
                let r = next();
                // Every other input is mostly opening brackets with a few quotes, so that deep
                // nesting happens too (strings swallow the rest of the others).
                let piece = if round % 2 == 0 {
                    PIECES[(r >> 8) as usize % PIECES.len()]
                } else if r % 64 < 62 {
                    "("
                } else {
                    PIECES[(r >> 8) as usize % PIECES.len()]
                };
                text.push_str(piece);
            }
            let expected = prescan_reference(&text);
            outcomes[usize::from(expected != Prescan::Fine)] += 1;
            assert_eq!(prescan(&text), expected, "input: {text:?}");
        }
        // Both outcomes were exercised.
        assert!(outcomes[0] > 100 && outcomes[1] > 100, "{outcomes:?}");
    }

    #[test]
    fn nesting_scan_ignores_strings_and_comments() {
        let deep = "(".repeat(MAX_NESTING + 1);
        assert_eq!(prescan(&deep), Prescan::TooManyBrackets(MAX_NESTING));
        assert_eq!(
            prescan(&format!("x = '{deep}'\n# {deep}\ny = \"\"\"{deep}\"\"\"\n")),
            Prescan::Fine
        );
        assert_eq!(prescan(&"(".repeat(MAX_NESTING)), Prescan::Fine);
    }

    #[test]
    fn prescan_bounds_statement_length_not_file_length() {
        let long_line = format!("x = {}1\n", "-".repeat(MAX_STATEMENT_BYTES));
        assert_eq!(
            prescan(&format!("a = 1\n{long_line}")),
            Prescan::StatementTooLong(6)
        );
        // Continued with a backslash, still one statement.
        let half = "-".repeat(MAX_STATEMENT_BYTES / 2 + 10);
        assert_eq!(
            prescan(&format!("x = {half}\\\n{half}1\n")),
            Prescan::StatementTooLong(0)
        );
        // Many short statements, however many bytes in all, are fine.
        assert_eq!(
            prescan(&"x = -1\n".repeat(MAX_STATEMENT_BYTES / 4)),
            Prescan::Fine
        );
    }
}
