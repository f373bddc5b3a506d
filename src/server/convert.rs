//! Between forklint's byte offsets and paths and LSP's positions and URIs.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, Uri,
};
use ruff_source_file::{LineIndex, OneIndexed, PositionEncoding, SourceLocation};
use ruff_text_size::{TextRange, TextSize};

use crate::diagnostic::{Diagnostic, Severity};
use crate::program::Program;

/// The URI of a file path (`file:///…`, percent-encoded by the `url` crate).
pub fn uri_of(path: &Path) -> Option<Uri> {
    let url = url::Url::from_file_path(path).ok()?;
    Uri::from_str(url.as_str()).ok()
}

/// The path of a `file:` URI; `None` for other schemes (`untitled:` buffers).
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let url = url::Url::parse(uri.as_str()).ok()?;
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

/// A text and its line index, for converting positions.
pub struct Text<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
}

impl Text<'_> {
    pub fn position(&self, offset: TextSize, encoding: PositionEncoding) -> Position {
        let mut offset = usize::from(offset).min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let location =
            self.index
                .source_location(TextSize::new(offset as u32), self.text, encoding);
        Position {
            line: location.line.to_zero_indexed() as u32,
            character: location.character_offset.to_zero_indexed() as u32,
        }
    }

    pub fn range(&self, range: TextRange, encoding: PositionEncoding) -> Range {
        Range {
            start: self.position(range.start(), encoding),
            end: self.position(range.end(), encoding),
        }
    }

    /// The byte offset of a position; positions past a line's end or the text's end are
    /// clamped to them, as the protocol asks.
    pub fn offset(&self, position: Position, encoding: PositionEncoding) -> usize {
        let line = position.line as usize;
        if line >= self.index.line_count() {
            return self.text.len();
        }
        let one_based = OneIndexed::from_zero_indexed(line);
        let location = SourceLocation {
            line: one_based,
            character_offset: OneIndexed::from_zero_indexed(position.character as usize),
        };
        // Not past the line's own end: its line break is not part of it.
        let start = usize::from(self.index.line_start(one_based, self.text));
        let end = usize::from(self.index.line_end(one_based, self.text)).min(self.text.len());
        let content = self.text[start..end].trim_end_matches(['\n', '\r']);
        let mut offset = usize::from(self.index.offset(location, self.text, encoding));
        offset = offset.min(start + content.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// Text of a program file with its line index.
pub fn text_of(program: &Program, file: crate::diagnostic::FileId) -> Text<'_> {
    let f = program.file(file);
    Text {
        text: f.text(),
        index: f.line_index(),
    }
}

/// One finding as an LSP diagnostic: code, link to the rule's docs, the chain as related
/// information, and the help line in the message (editors have no other place for it).
pub fn diagnostic(
    program: &Program,
    d: &Diagnostic,
    encoding: PositionEncoding,
) -> lsp_types::Diagnostic {
    let rule = crate::rules::by_code(d.code);
    let related: Vec<DiagnosticRelatedInformation> = d
        .trace
        .iter()
        .filter_map(|step| {
            let f = program.file(step.location.file);
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: uri_of(&crate::discover::absolute(&f.path))?,
                    range: text_of(program, step.location.file)
                        .range(step.location.range, encoding),
                },
                message: step.message.clone(),
            })
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp_types::Diagnostic {
        range: text_of(program, d.primary.file).range(d.primary.range, encoding),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: rule.and_then(|r| {
            Some(CodeDescription {
                href: Uri::from_str(&r.docs_url()).ok()?,
            })
        }),
        source: Some("forklint".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_in_both_encodings() {
        let text = "a = 'é𝄞'\nb = 1\r\nc";
        let index = LineIndex::from_source_text(text);
        let t = Text {
            text,
            index: &index,
        };
        let after_clef = text.find('\'').unwrap() + 1 + 'é'.len_utf8() + '𝄞'.len_utf8();
        let p16 = t.position(TextSize::new(after_clef as u32), PositionEncoding::Utf16);
        assert_eq!((p16.line, p16.character), (0, 8)); // a = ' (5) + é (1) + 𝄞 (2)
        let p8 = t.position(TextSize::new(after_clef as u32), PositionEncoding::Utf8);
        assert_eq!(p8.character as usize, after_clef);
        assert_eq!(t.offset(p16, PositionEncoding::Utf16), after_clef);
        assert_eq!(t.offset(p8, PositionEncoding::Utf8), after_clef);
        // Second line after CRLF, and positions past the end are clamped.
        let c = t.position(TextSize::new(text.len() as u32), PositionEncoding::Utf16);
        assert_eq!((c.line, c.character), (2, 1));
        assert_eq!(
            t.offset(Position::new(9, 0), PositionEncoding::Utf16),
            text.len()
        );
        assert_eq!(
            t.offset(Position::new(1, 99), PositionEncoding::Utf16),
            text.find("\r\n").unwrap()
        );
        // Inside a surrogate pair: never a split character.
        let inside = t.offset(Position::new(0, 7), PositionEncoding::Utf16);
        assert!(text.is_char_boundary(inside));
    }

    #[test]
    fn file_uris_round_trip_with_escapes() {
        let path = Path::new("/tmp/a dir/ü#1.py");
        let uri = uri_of(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/%C3%BC%231.py");
        assert_eq!(path_of(&uri).unwrap(), path);
        assert_eq!(
            path_of(&Uri::from_str("untitled:Untitled-1").unwrap()),
            None
        );
    }
}
