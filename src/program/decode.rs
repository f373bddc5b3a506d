//! Source decoding as Python does it (PEP 263): UTF-8 unless a comment on the first or
//! second line declares another encoding (`# -*- coding: big5 -*-`, `# vim: set
//! fileencoding=latin-1 :`). The second line counts only when the first is blank or a
//! comment (a shebang), as in CPython's tokenizer. A UTF-8 byte-order mark means UTF-8.
//!
//! Codecs come from `encoding_rs` (the WHATWG set: big5, gbk, gb18030, shift_jis, euc-jp,
//! euc-kr, koi8-r, the windows-125x and iso-8859-x pages), except Latin-1, decoded byte for
//! byte as Python does (WHATWG reads that label as windows-1252).

use std::sync::Arc;

use ruff_text_size::{TextLen, TextRange, TextSize};

/// How a file's bytes became its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceEncoding {
    Utf8,
    Latin1,
    Other(&'static encoding_rs::Encoding),
    /// The bytes are not valid in their encoding (or it is unknown): Python refuses the file
    /// with a `SyntaxError`, reported as FL001. The text is a lossy reading (U+FFFD for what
    /// does not decode), for showing the file only.
    Invalid(Arc<DecodeError>),
}

/// Why a file's bytes are not Python source text, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Where in the (lossy) text: the first byte that does not decode, or the encoding's name
    /// in an unknown declaration.
    pub range: TextRange,
    /// What CPython says, as close as it can be said without its position conventions.
    pub message: String,
}

impl SourceEncoding {
    /// Whether the text can be written back as UTF-8 as is (a fix may rewrite the file).
    pub fn is_utf8(&self) -> bool {
        *self == SourceEncoding::Utf8
    }
}

/// Codecs of Python's `encodings` package that `encoding_rs` lacks (names lowercased, without
/// `-`/`_`): ASCII-compatible code pages a source file may declare. A name in neither set
/// is an unknown encoding, a `SyntaxError` for Python too.
const PYTHON_ONLY_CODECS: &[&str] = &[
    "big5hkscs",
    "cp437",
    "cp720",
    "cp737",
    "cp775",
    "cp850",
    "cp852",
    "cp855",
    "cp856",
    "cp857",
    "cp858",
    "cp860",
    "cp861",
    "cp862",
    "cp863",
    "cp864",
    "cp865",
    "cp869",
    "cp932",
    "cp949",
    "cp950",
    "cp1006",
    "cp1125",
    "eucjis2004",
    "eucjisx0213",
    "hproman8",
    "iso885911",
    "johab",
    "koi8t",
    "kz1048",
    "macgreek",
    "maciceland",
    "maclatin2",
    "macturkish",
    "ptcp154",
    "shiftjis2004",
    "shiftjisx0213",
];

/// The file's bytes as text, and how they were decoded: bytes that are not valid in the
/// file's encoding (or an unknown encoding) give a lossy text and
/// [`SourceEncoding::Invalid`]. `Err` only for an encoding Python has and forklint cannot
/// decode ([`PYTHON_ONLY_CODECS`]), when the file is not all ASCII.
pub fn decode(bytes: Vec<u8>) -> Result<(String, SourceEncoding), String> {
    const BOM: &[u8] = b"\xef\xbb\xbf";
    let declared = if bytes.starts_with(BOM) {
        None
    } else {
        declared_encoding(&bytes)
    };
    let Some((name, name_at)) = declared else {
        // CPython's words when it runs such a file (`python app.py`).
        return Ok(decode_utf8(bytes, |byte| {
            format!(
                "Non-UTF-8 code starting with '\\x{byte:02x}', but no encoding declared (PEP 263)"
            )
        }));
    };
    let normal = name.to_ascii_lowercase().replace('_', "-");
    match normal.as_str() {
        "utf-8" | "utf8" | "utf-8-sig" => Ok(decode_utf8(bytes, |byte| {
            format!(
                "'utf-8' codec can't decode byte 0x{byte:02x}: not valid in the encoding the file \
                 declares ({name})"
            )
        })),
        // WHATWG reads `ascii` as windows-1252; Python refuses every byte past 0x7f.
        "ascii" | "us-ascii" | "646" | "us" => match bytes.iter().position(|b| !b.is_ascii()) {
            None => Ok(decode_utf8(bytes, |_| unreachable!("ASCII is UTF-8"))),
            Some(at) => {
                let byte = bytes[at];
                let start = String::from_utf8_lossy(&bytes[..at]).len();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let width = text[start..].chars().next().map_or(1, char::len_utf8);
                let range = TextRange::at(TextSize::new(start as u32), TextSize::new(width as u32));
                let message = format!(
                    "'ascii' codec can't decode byte 0x{byte:02x}: not valid in the encoding the \
                     file declares ({name})"
                );
                Ok(invalid(text, range, message))
            }
        },
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-latin-1" | "8859"
        | "cp819" | "latin" => Ok((
            bytes.iter().map(|&b| char::from(b)).collect(),
            SourceEncoding::Latin1,
        )),
        _ => {
            let encoding = encoding_rs::Encoding::for_label(normal.as_bytes())
                .or_else(|| encoding_rs::Encoding::for_label(name.to_ascii_lowercase().as_bytes()));
            let Some(encoding) = encoding else {
                let compact: String = normal.chars().filter(|&c| c != '-').collect();
                if PYTHON_ONLY_CODECS.contains(&compact.as_str()) {
                    // All of these read ASCII as ASCII: a file that is all ASCII is the same
                    // text in them. Anything else forklint cannot decode, so cannot judge.
                    return if bytes.is_ascii() {
                        Ok(decode_utf8(bytes, |_| unreachable!("ASCII is UTF-8")))
                    } else {
                        Err(format!(
                            "declares `{name}`, an encoding Python has and forklint cannot \
                             decode"
                        ))
                    };
                }
                // CPython: `SyntaxError: unknown encoding: uft-8`.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let start = TextSize::new(String::from_utf8_lossy(&bytes[..name_at]).len() as u32);
                let range = TextRange::at(start, TextSize::new(name.len() as u32));
                return Ok(invalid(text, range, format!("unknown encoding: {name}")));
            };
            let mut decoder = encoding.new_decoder_without_bom_handling();
            let mut text = String::with_capacity(
                decoder
                    .max_utf8_buffer_length_without_replacement(bytes.len())
                    .unwrap_or(bytes.len() * 3),
            );
            let (result, read) =
                decoder.decode_to_string_without_replacement(&bytes, &mut text, true);
            match result {
                encoding_rs::DecoderResult::InputEmpty => {
                    Ok((text, SourceEncoding::Other(encoding)))
                }
                encoding_rs::DecoderResult::Malformed(bad, after) => {
                    // What decoded before the bad sequence is the start of the lossy text.
                    let start = text.len();
                    let at = read - usize::from(bad) - usize::from(after);
                    let byte = bytes[at];
                    let (lossy, _) = encoding.decode_without_bom_handling(&bytes);
                    let message = format!(
                        "'{}' codec can't decode byte 0x{byte:02x}: not valid in the encoding \
                         the file declares ({name})",
                        encoding.name().to_ascii_lowercase()
                    );
                    Ok(invalid(lossy.into_owned(), replacement_at(start), message))
                }
                // The buffer holds the worst case; a partial decode is not expected.
                encoding_rs::DecoderResult::OutputFull => {
                    let (lossy, _) = encoding.decode_without_bom_handling(&bytes);
                    let message = format!(
                        "could not be decoded as {}, the encoding the file declares ({name})",
                        encoding.name()
                    );
                    Ok(invalid(lossy.into_owned(), TextRange::default(), message))
                }
            }
        }
    }
}

/// UTF-8, or the lossy text and `message(first bad byte)` where it is.
fn decode_utf8(bytes: Vec<u8>, message: impl FnOnce(u8) -> String) -> (String, SourceEncoding) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, SourceEncoding::Utf8),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            invalid(text, replacement_at(at), message(byte))
        }
    }
}

/// The U+FFFD that stands for the bad bytes at `offset` of the lossy text.
fn replacement_at(offset: usize) -> TextRange {
    TextRange::at(TextSize::new(offset as u32), '\u{fffd}'.text_len())
}

fn invalid(text: String, range: TextRange, message: String) -> (String, SourceEncoding) {
    let error = DecodeError { range, message };
    (text, SourceEncoding::Invalid(Arc::new(error)))
}

/// The encoding a PEP 263 comment declares on the first line, or on the second when the
/// first is blank or a comment, with the byte offset of its name in the file.
fn declared_encoding(bytes: &[u8]) -> Option<(String, usize)> {
    let mut lines = bytes.split(|&b| b == b'\n').take(2);
    let first = lines.next()?;
    if let Some((name, at)) = coding_in(first) {
        return Some((name, at));
    }
    let first_trimmed = first.trim_ascii_start();
    if !(first_trimmed.is_empty() || first_trimmed.starts_with(b"#")) {
        return None;
    }
    let (name, at) = coding_in(lines.next()?)?;
    Some((name, first.len() + 1 + at))
}

/// `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` on one line: the name, and where it starts.
fn coding_in(line: &[u8]) -> Option<(String, usize)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))?;
    let comment = line[start..].strip_prefix(b"#")?;
    let mut at = 0;
    while let Some(i) = find(&comment[at..], b"coding") {
        let after = at + i + b"coding".len();
        if matches!(comment.get(after), Some(b':' | b'=')) {
            let rest = &comment[after + 1..];
            let blanks = rest
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count();
            let rest = &rest[blanks..];
            let len = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                .count();
            if len > 0 {
                let name = String::from_utf8_lossy(&rest[..len]).into_owned();
                // `start` blanks, the `#`, the comment up to the value.
                return Some((name, start + 1 + after + 1 + blanks));
            }
        }
        at = after;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoding error, which says `says`.
    fn error<'e>(encoding: &'e SourceEncoding, says: &str) -> &'e DecodeError {
        match encoding {
            SourceEncoding::Invalid(e) if e.message.contains(says) => e,
            other => panic!("decoded as {other:?}, expected an error saying {says:?}"),
        }
    }

    #[test]
    fn ascii_declared_refuses_bytes_past_0x7f() {
        let ok = b"# -*- coding: ascii -*-\nx = 1\n".to_vec();
        assert!(decode(ok).is_ok_and(|(t, e)| t.ends_with("x = 1\n") && e.is_utf8()));
        let bad = b"# -*- coding: ascii -*-\nx = '\xc3\xa9'\n".to_vec();
        let (text, encoding) = decode(bad).expect("lossy text");
        assert!(text.contains('\u{e9}'), "{text}");
        assert!(
            !encoding.is_utf8(),
            "an invalid file is never rewritten: {encoding:?}"
        );
    }

    #[test]
    fn a_declaration_on_the_first_or_second_line_decides_the_codec() {
        // "中文" in big5.
        let big5 = b"# -*- coding: big5 -*-\nx = '\xa4\xa4\xa4\xe5'\n".to_vec();
        let (text, enc) = decode(big5).unwrap();
        assert_eq!(text, "# -*- coding: big5 -*-\nx = '中文'\n");
        assert_eq!(enc, SourceEncoding::Other(encoding_rs::BIG5));
        let latin = b"#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nx = '\xe9\x85'\n";
        let (text, enc) = decode(latin.to_vec()).unwrap();
        assert!(text.ends_with("x = 'é\u{85}'\n"), "{text:?}");
        assert_eq!(enc, SourceEncoding::Latin1);
    }

    #[test]
    fn no_declaration_or_a_late_one_means_utf8() {
        // The second line counts only after a blank or comment first line.
        let late = b"import os\n# coding: latin-1\nx = '\xe9'\n".to_vec();
        let (text, enc) = decode(late).unwrap();
        let e = error(&enc, "Non-UTF-8 code starting with '\\xe9'");
        // The bad byte is the U+FFFD of the lossy text, on line 3.
        assert_eq!(&text[e.range], "\u{fffd}");
        assert_eq!(
            usize::from(e.range.start()),
            "import os\n# coding: latin-1\nx = '".len()
        );
        assert_eq!(
            decode(b"x = 1\n".to_vec()).unwrap(),
            ("x = 1\n".to_string(), SourceEncoding::Utf8)
        );
        // A byte-order mark wins over a declaration.
        let bom = b"\xef\xbb\xbf# coding: latin-1\nx = 1\n".to_vec();
        assert_eq!(decode(bom).unwrap().1, SourceEncoding::Utf8);
    }

    #[test]
    fn bytes_invalid_in_the_declared_codec_or_an_unknown_codec_are_errors() {
        let bad = b"# coding: shift_jis\nx = '\x82'\n".to_vec();
        let (text, enc) = decode(bad).unwrap();
        let e = error(&enc, "'shift_jis' codec can't decode byte 0x82");
        assert_eq!(usize::from(e.range.start()), 25);
        assert_eq!(&text[e.range], "\u{fffd}");
        // A declared UTF-8 with a bad byte after valid multibyte text: the offset is in the text.
        let utf8 = b"#!/usr/bin/env python\n# -*- coding: utf-8 -*-\ns = '\xc3\xa9\xff'\n".to_vec();
        let (text, enc) = decode(utf8).unwrap();
        let e = error(&enc, "'utf-8' codec");
        assert!(text[..usize::from(e.range.start())].ends_with("s = 'é"));
        let unknown = b"#!/usr/bin/env python\n# coding: klingon\nx = 1\n".to_vec();
        let (text, enc) = decode(unknown).unwrap();
        let e = error(&enc, "unknown encoding: klingon");
        assert_eq!(&text[e.range], "klingon");
        // A code page Python has and encoding_rs lacks: ASCII reads the same, the rest cannot
        // be judged.
        let ascii = b"# -*- coding: cp437 -*-\nx = 1\n".to_vec();
        assert_eq!(decode(ascii).unwrap().1, SourceEncoding::Utf8);
        let dos = b"# -*- coding: cp437 -*-\nx = '\x82'\n".to_vec();
        assert!(decode(dos).unwrap_err().contains("`cp437`"));
    }
}
