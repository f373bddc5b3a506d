//! Source decoding as Python does it (PEP 263): UTF-8 unless a comment on the first or
//! second line declares another encoding (`# -*- coding: big5 -*-`, `# vim: set
//! fileencoding=latin-1 :`). The second line counts only when the first is blank or a
//! comment (a shebang), as in CPython's tokenizer. A UTF-8 byte-order mark means UTF-8.
//!
//! Codecs come from `encoding_rs` (the WHATWG set: big5, gbk, gb18030, shift_jis, euc-jp,
//! euc-kr, koi8-r, the windows-125x and iso-8859-x pages), except Latin-1, decoded byte for
//! byte as Python does (WHATWG reads that label as windows-1252).

/// How a file's bytes became its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceEncoding {
    Utf8,
    Latin1,
    Other(&'static encoding_rs::Encoding),
}

impl SourceEncoding {
    /// Whether the text can be written back as UTF-8 as is (a fix may rewrite the file).
    pub fn is_utf8(self) -> bool {
        self == SourceEncoding::Utf8
    }
}

/// The file's bytes as text, or why they are not.
pub fn decode(bytes: Vec<u8>) -> Result<(String, SourceEncoding), String> {
    const BOM: &[u8] = b"\xef\xbb\xbf";
    let declared = if bytes.starts_with(BOM) {
        None
    } else {
        declared_encoding(&bytes)
    };
    let Some(name) = declared else {
        return String::from_utf8(bytes)
            .map(|t| (t, SourceEncoding::Utf8))
            .map_err(|e| {
                format!(
                    "not valid UTF-8 (invalid byte at offset {}; declare the encoding with a \
                     `# -*- coding: NAME -*-` line if the file uses another)",
                    e.utf8_error().valid_up_to()
                )
            });
    };
    let normal = name.to_ascii_lowercase().replace('_', "-");
    match normal.as_str() {
        "utf-8" | "utf8" | "utf-8-sig" => String::from_utf8(bytes)
            .map(|t| (t, SourceEncoding::Utf8))
            .map_err(|e| {
                format!(
                    "not valid UTF-8, its declared encoding (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                )
            }),
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-latin-1" | "8859"
        | "cp819" | "latin" => Ok((
            bytes.iter().map(|&b| char::from(b)).collect(),
            SourceEncoding::Latin1,
        )),
        _ => {
            let encoding = encoding_rs::Encoding::for_label(normal.as_bytes())
                .or_else(|| encoding_rs::Encoding::for_label(name.to_ascii_lowercase().as_bytes()))
                .ok_or_else(|| format!("declares an encoding forklint does not know: `{name}`"))?;
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
                encoding_rs::DecoderResult::Malformed(bad, after) => Err(format!(
                    "not valid {}, its declared encoding (invalid byte at offset {})",
                    encoding.name(),
                    read - usize::from(bad) - usize::from(after)
                )),
                // The buffer holds the worst case; a partial decode is not expected.
                encoding_rs::DecoderResult::OutputFull => Err(format!(
                    "could not be decoded as {}, its declared encoding",
                    encoding.name()
                )),
            }
        }
    }
}

/// The encoding a PEP 263 comment declares on the first line, or on the second when the
/// first is blank or a comment.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let mut lines = bytes.split(|&b| b == b'\n').take(2);
    let first = lines.next()?;
    if let Some(name) = coding_in(first) {
        return Some(name);
    }
    let first_trimmed = first.trim_ascii_start();
    if !(first_trimmed.is_empty() || first_trimmed.starts_with(b"#")) {
        return None;
    }
    coding_in(lines.next()?)
}

/// `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` on one line.
fn coding_in(line: &[u8]) -> Option<String> {
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
            let rest = &rest[rest
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count()..];
            let len = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                .count();
            if len > 0 {
                return Some(String::from_utf8_lossy(&rest[..len]).into_owned());
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
        assert!(decode(late).unwrap_err().contains("not valid UTF-8"));
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
        let err = decode(bad).unwrap_err();
        assert!(
            err.contains("Shift_JIS") && err.contains("offset 25"),
            "{err}"
        );
        let unknown = b"# coding: klingon\nx = 1\n".to_vec();
        assert!(decode(unknown).unwrap_err().contains("`klingon`"));
    }
}
