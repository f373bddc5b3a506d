//! Code actions: a quick fix per finding that has an edit (unsafe ones say so), a `# noqa`
//! action per finding, and `source.fixAll.forklint` (the safe fixes of a file, as
//! `forklint check --fix` applies them). Everything comes from the findings last published,
//! which the session keeps up to date before it answers: no request lints again.

use std::collections::HashMap;
use std::path::Path;

use lsp_server::ErrorCode;
use lsp_types::request::Request as _;
use lsp_types::{self as lsp, CodeAction, CodeActionKind, TextEdit, Uri, WorkspaceEdit};
use ruff_text_size::{TextRange, TextSize};
use serde_json::Value;

use super::{Outgoing, Published, Session, convert};
use crate::diagnostic::{Applicability, FileId};
use crate::program::Program;

pub const FIX_ALL_KIND: &str = "source.fixAll.forklint";

type RequestResult = Result<Value, (ErrorCode, String)>;

impl Session {
    pub(super) fn code_actions(&mut self, params: lsp::CodeActionParams) -> RequestResult {
        let uri = params.text_document.uri;
        // `untitled:` buffers are not analysed: there is nothing to offer.
        let Some(path) = convert::path_of(&uri) else {
            return Ok(Value::Array(Vec::new()));
        };
        let Some(project) = self.project_of(&path).map(|i| &self.projects[i]) else {
            return Err(not_in_workspace(&path));
        };
        let Some(program) = &project.program else {
            return Ok(Value::Array(Vec::new()));
        };
        let published: &[Published] = project.published.get(&path).map_or(&[], Vec::as_slice);
        let wants = |kind: &str| match &params.context.only {
            None => true,
            Some(only) => only.iter().any(|o| {
                let o = o.as_str();
                kind == o
                    || kind
                        .strip_prefix(o)
                        .is_some_and(|rest| rest.starts_with('.'))
            }),
        };
        let encoding = self.encoding;
        let mut actions: Vec<CodeAction> = Vec::new();
        let requested = |p: &&Published| overlaps(p.lsp.range, params.range);
        if wants(CodeActionKind::QUICKFIX.as_str()) {
            for p in published.iter().filter(requested) {
                if let Some(action) = quick_fix(program, p, encoding) {
                    actions.push(action);
                }
            }
            for p in published.iter().filter(requested) {
                if let Some(edit) = noqa_edit(program, p.file, p.start, p.code) {
                    let text = convert::text_of(program, p.file);
                    actions.push(CodeAction {
                        title: format!(
                            "forklint ({}): suppress on this line with `# noqa`",
                            p.code
                        ),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![p.lsp.clone()]),
                        edit: Some(workspace_edit(
                            uri.clone(),
                            vec![TextEdit {
                                range: text.range(edit.0, encoding),
                                new_text: edit.1,
                            }],
                        )),
                        ..Default::default()
                    });
                }
            }
        }
        if wants(FIX_ALL_KIND)
            && let Some(edit) = self.fix_all_edit(&path)
        {
            actions.push(CodeAction {
                title: "forklint: fix all safely fixable hazards".into(),
                kind: Some(CodeActionKind::from(FIX_ALL_KIND.to_string())),
                edit: Some(edit),
                ..Default::default()
            });
        }
        serde_json::to_value(actions).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }

    pub(super) fn execute_command(&mut self, params: lsp::ExecuteCommandParams) -> RequestResult {
        if params.command != super::FIX_ALL_COMMAND {
            return Err((
                ErrorCode::InvalidParams,
                format!("unknown command `{}`", params.command),
            ));
        }
        #[derive(serde::Deserialize)]
        struct Target {
            uri: Uri,
        }
        let target: Target = params
            .arguments
            .first()
            .cloned()
            .and_then(|a| serde_json::from_value(a).ok())
            .ok_or_else(|| {
                (
                    ErrorCode::InvalidParams,
                    format!(
                        "`{}` takes one argument: {{\"uri\": …}}",
                        super::FIX_ALL_COMMAND
                    ),
                )
            })?;
        let Some(path) = convert::path_of(&target.uri) else {
            return Ok(Value::Null);
        };
        if self.project_of(&path).is_none() {
            return Err(not_in_workspace(&path));
        }
        if let Some(edit) = self.fix_all_edit(&path) {
            self.request(
                lsp::request::ApplyWorkspaceEdit::METHOD,
                lsp::ApplyWorkspaceEditParams {
                    label: Some("forklint: fix all".into()),
                    edit,
                },
                Outgoing::Other,
            );
        }
        Ok(Value::Null)
    }

    /// The safe fixes of one file, applied together as `--fix` applies them, as one edit.
    fn fix_all_edit(&self, path: &Path) -> Option<WorkspaceEdit> {
        let project = &self.projects[self.project_of(path)?];
        let program = project.program.as_ref()?;
        let published = project.published.get(path)?;
        let fixes: Vec<(&'static str, &crate::diagnostic::Fix)> = published
            .iter()
            .filter_map(|p| {
                let fix = p.fix.as_ref()?;
                (fix.applicability == Applicability::Safe
                    && !fix.edits.is_empty()
                    && fix.edits.iter().all(|e| e.file == p.file))
                .then_some((p.code, fix))
            })
            .collect();
        let file = published.first()?.file;
        let f = program.file(file);
        if fixes.is_empty() || !f.summary.syntax_errors.is_empty() || f.text_changed() {
            return None;
        }
        let applied = crate::fix::apply(f.text(), &fixes);
        if applied.fixed.is_empty() || applied.text == f.text() {
            return None;
        }
        let (range, new_text) = smallest_replacement(f.text(), &applied.text);
        let text = convert::text_of(program, file);
        let uri = self
            .documents
            .get(path)
            .map(|d| d.uri.clone())
            .or_else(|| convert::uri_of(path))?;
        Some(workspace_edit(
            uri,
            vec![TextEdit {
                range: text.range(range, self.encoding),
                new_text,
            }],
        ))
    }
}

fn not_in_workspace(path: &Path) -> (ErrorCode, String) {
    (
        ErrorCode::InvalidParams,
        format!(
            "{} is neither in a workspace folder nor open in the editor",
            path.display()
        ),
    )
}

fn overlaps(a: lsp::Range, b: lsp::Range) -> bool {
    let key = |p: lsp::Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

fn workspace_edit(uri: Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri, edits)])),
        ..Default::default()
    }
}

/// The quick fix of a finding with an edit; unsafe fixes say so in the title.
// `Uri` (fluent-uri) caches its parse in a cell; it is never changed while it is a key here.
#[allow(clippy::mutable_key_type)]
fn quick_fix(
    program: &Program,
    p: &Published,
    encoding: ruff_source_file::PositionEncoding,
) -> Option<CodeAction> {
    let fix = p.fix.as_ref()?;
    if fix.applicability == Applicability::Display || fix.edits.is_empty() {
        return None;
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for edit in &fix.edits {
        let file = program.file(edit.file);
        let uri = convert::uri_of(&crate::discover::absolute(&file.path))?;
        changes.entry(uri).or_default().push(TextEdit {
            range: convert::text_of(program, edit.file).range(edit.range, encoding),
            new_text: edit.content.clone(),
        });
    }
    let unsafe_note = match fix.applicability {
        Applicability::Unsafe => " (unsafe fix: may change behaviour)",
        _ => "",
    };
    Some(CodeAction {
        title: format!("forklint ({}): {}{unsafe_note}", p.code, fix.message),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![p.lsp.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }),
        is_preferred: Some(fix.applicability == Applicability::Safe),
        ..Default::default()
    })
}

/// The edit that suppresses `code` on the line where a finding starts: the code added to the
/// line's `# noqa: …`, or a new `  # noqa: CODE` at the end of the line. `None` when it
/// cannot be done or is not needed: FL001 and FL002 (not suppressible that way), a bare
/// `# noqa` already there, or a line that ends inside a string or with a backslash (a
/// comment cannot go there).
fn noqa_edit(
    program: &Program,
    file: FileId,
    start: TextSize,
    code: &str,
) -> Option<(TextRange, String)> {
    if matches!(code, "FL001" | "FL002") {
        return None;
    }
    let f = program.file(file);
    let text = f.text();
    let index = f.line_index();
    let line = index.line_index(start);
    let line_start = index.line_start(line, text);
    let line_end = index.line_end(line, text);
    let content = text.get(usize::from(line_start)..usize::from(line_end))?;
    let content = content.trim_end_matches(['\n', '\r']);
    let content_end = line_start + TextSize::new(content.len() as u32);
    if let Some(directive) = f
        .summary
        .suppressions
        .lines
        .iter()
        .find(|d| d.line.start() == line_start)
    {
        let codes = directive.codes.as_ref()?;
        if codes.iter().any(|(c, _)| c == code) {
            return None;
        }
        let end = codes.last()?.1.end();
        return Some((TextRange::empty(end), format!(", {code}")));
    }
    if content.trim_end().ends_with('\\') {
        return None;
    }
    if let Some(source) = program.fix_source(file)
        && source.in_multiline_string(content_end)
    {
        return None;
    }
    let trimmed_end = line_start + TextSize::new(content.trim_end().len() as u32);
    Some((
        TextRange::new(trimmed_end, content_end),
        format!("  # noqa: {code}"),
    ))
}

/// One replacement turning `old` into `new`: the common prefix and suffix are kept, so the
/// editor's cursor and undo history see only what changed.
fn smallest_replacement(old: &str, new: &str) -> (TextRange, String) {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    (
        TextRange::new(
            TextSize::new(prefix as u32),
            TextSize::new((old.len() - suffix) as u32),
        ),
        new[prefix..new.len() - suffix].to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_replacement_keeps_common_ends() {
        let (range, text) = smallest_replacement("a = f(x)\nb\n", "a = g(x)\nb\n");
        assert_eq!((u32::from(range.start()), u32::from(range.end())), (4, 5));
        assert_eq!(text, "g");
        let (range, text) = smallest_replacement("aé", "aè");
        assert_eq!(u32::from(range.start()), 1);
        assert_eq!(text, "è");
        let (range, text) = smallest_replacement("aaa", "aa");
        assert_eq!(range.len(), TextSize::new(1));
        assert_eq!(text, "");
    }
}
