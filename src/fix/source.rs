//! The syntax tree of a file with a fixable finding, parsed again for its fix.
//!
//! The one analysis pass keeps summaries, not trees (DESIGN.md: memory). A fix needs the exact
//! shape of the code it edits — the keyword `preexec_fn=os.setsid`, the constructor of the
//! process that is started, the module's top-level statements — so the few files that get a
//! fixable finding are parsed again, once each ([`crate::program::Program::fix_source`]).
//! Everything here is syntax only: which name an expression refers to comes from the file's
//! own `import` statements, and a fix is offered only when that is unambiguous.

use std::sync::Arc;

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{Expr, ExprCall, ModModule, PySourceType, Stmt};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::FxHashMap;

use crate::diagnostic::{Edit, FileId};

pub struct FixSource {
    pub file: FileId,
    pub text: Arc<str>,
    module: ModModule,
    /// Local name → qualified name, from every `import` in the file. A name bound to two
    /// different things is left out: it cannot be resolved from syntax alone.
    imports: FxHashMap<String, String>,
    /// Local names bound at module level by `import` statements there (for reuse by a fix
    /// that needs a module), with what they name.
    top_imports: Vec<(String, String)>,
    /// Ranges of string tokens that span lines: their inner lines must never be re-indented.
    multiline_strings: Vec<TextRange>,
}

impl FixSource {
    /// Parses `text`; `None` when it has a syntax error (a file that does not parse gets no
    /// fix: there is no tree to check the fix against).
    pub fn parse(file: FileId, text: Arc<str>) -> Option<FixSource> {
        let parsed = parse_unchecked_source(&text, PySourceType::Python);
        if !parsed.errors().is_empty() {
            return None;
        }
        let multiline_strings = parsed
            .tokens()
            .iter()
            .filter(|t| {
                use ruff_python_ast::token::TokenKind;
                matches!(
                    t.kind(),
                    TokenKind::String | TokenKind::FStringMiddle | TokenKind::TStringMiddle
                ) && text[t.range()].contains(['\n', '\r'])
            })
            .map(Ranged::range)
            .collect();
        let module = parsed.into_syntax();
        let mut collector = ImportCollector::default();
        collector.visit_body(&module.body);
        let mut top_imports = Vec::new();
        for stmt in &module.body {
            top_level_imports(stmt, &mut top_imports);
        }
        Some(FixSource {
            file,
            text,
            module,
            imports: collector
                .bindings
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
            top_imports,
            multiline_strings,
        })
    }

    /// Whether `offset` is strictly inside a string that spans lines (text there is not code).
    pub fn in_multiline_string(&self, offset: TextSize) -> bool {
        self.multiline_strings
            .iter()
            .any(|r| r.start() < offset && offset < r.end())
    }

    pub fn body(&self) -> &[Stmt] {
        &self.module.body
    }

    pub fn slice(&self, range: TextRange) -> &str {
        &self.text[range]
    }

    /// The call expression whose range is exactly `range`.
    pub fn call_at(&self, range: TextRange) -> Option<&ExprCall> {
        let mut finder = CallFinder { range, found: None };
        finder.visit_body(&self.module.body);
        finder.found
    }

    /// The call whose result `name` holds at `offset`: the last `name = <call>` or
    /// `with <call> as name:` before `offset` in the function (or module body) around it.
    pub fn constructor_of(&self, name: &str, offset: TextSize) -> Option<&ExprCall> {
        let scope = innermost_function(&self.module.body, offset).unwrap_or(&self.module.body);
        let mut found = None;
        last_binding(scope, name, offset, &mut found);
        found
    }

    /// The qualified name an expression refers to (`mp.Process` → `multiprocessing.Process`),
    /// through the file's imports only.
    pub fn qualified(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => self.imports.get(n.id.as_str()).cloned(),
            Expr::Attribute(a) => {
                let base = self.qualified(&a.value)?;
                Some(format!("{base}.{}", a.attr.as_str()))
            }
            _ => None,
        }
    }

    /// An expression for `qualified` (a module or a name in one) and the import to add for it,
    /// if any: an existing module-level import or alias is reused (`mp.get_context` when the
    /// file has `import multiprocessing as mp`, `get_context` after `from multiprocessing
    /// import get_context`); otherwise `import <module>` is added after the docstring, the
    /// `__future__` imports and the imports that open the module.
    pub fn reference(&self, module: &str, member: &str) -> Option<(String, Option<Edit>)> {
        let wanted = format!("{module}.{member}");
        if let Some((local, _)) = self.top_imports.iter().find(|(_, q)| *q == wanted) {
            return Some((local.clone(), None));
        }
        if let Some((local, _)) = self.top_imports.iter().find(|(_, q)| q == module) {
            return Some((format!("{local}.{member}"), None));
        }
        // `import multiprocessing` would bind a name the module may use for something else.
        let root = module.split('.').next().unwrap_or(module);
        if self.binds_elsewhere(root) {
            return None;
        }
        let content = format!("import {module}\n");
        Some((
            format!("{module}.{member}"),
            Some(Edit {
                file: self.file,
                range: TextRange::empty(self.import_point()),
                content,
            }),
        ))
    }

    /// Whether `name` is bound anywhere in the module other than by an import of itself.
    fn binds_elsewhere(&self, name: &str) -> bool {
        let mut finder = BindingFinder { name, found: false };
        finder.visit_body(&self.module.body);
        finder.found
    }

    /// Where a new import goes: on the line after the docstring and the imports (including
    /// `from __future__`) that open the module; before the first statement if there are none.
    fn import_point(&self) -> TextSize {
        let mut last = None;
        for (i, stmt) in self.module.body.iter().enumerate() {
            let docstring =
                i == 0 && matches!(stmt, Stmt::Expr(e) if e.value.is_string_literal_expr());
            if docstring || matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) {
                last = Some(stmt.end());
            } else {
                if last.is_none() {
                    return self.line_start(stmt.start());
                }
                break;
            }
        }
        match last {
            Some(end) => self.next_line_start(end),
            None => TextSize::new(0),
        }
    }

    /// The start of the line holding `offset`.
    pub fn line_start(&self, offset: TextSize) -> TextSize {
        let before = &self.text[..usize::from(offset)];
        TextSize::new(before.rfind(['\n', '\r']).map_or(0, |i| i + 1) as u32)
    }

    /// The start of the line after the logical line holding `offset`, past backslash
    /// continuations (the end of the text if none).
    pub fn next_line_start(&self, offset: TextSize) -> TextSize {
        // A line ending in a backslash continues the statement: text inserted at the start
        // of the next physical line would join it (found by the fuzzer: `import tim\` then
        // an added `import multiprocessing` gave `import tim import multiprocessing`). A
        // backslash after a `#` is inside a comment and continues nothing.
        let mut pos = offset;
        loop {
            let rest = &self.text[usize::from(pos)..];
            let next = match rest.find('\n').or_else(|| rest.find('\r')) {
                Some(i) => pos + TextSize::new(i as u32 + 1),
                None => return TextSize::new(self.text.len() as u32),
            };
            let line = self.text[TextRange::new(pos, next)].trim_end_matches(['\n', '\r']);
            if line.ends_with('\\') && !line.contains('#') {
                pos = next;
                continue;
            }
            return next;
        }
    }

    /// The indentation unit the file uses: its first indented block's, else four spaces.
    pub fn indent_unit(&self) -> String {
        for stmt in &self.module.body {
            if let Some(first) = first_child(stmt) {
                let start = self.line_start(first.start());
                let indent = &self.text[TextRange::new(start, first.start())];
                if !indent.is_empty() && indent.chars().all(|c| c == ' ' || c == '\t') {
                    return indent.to_string();
                }
            }
        }
        "    ".to_string()
    }

    /// `range` (whole lines) with `unit` before every line that has text, except lines that
    /// continue a multi-line string (indenting those would change the string).
    pub fn indented(&self, range: TextRange, unit: &str) -> String {
        let mut out = String::new();
        let mut offset = range.start();
        for line in self.text[range].split_inclusive('\n') {
            let inside_string = self
                .multiline_strings
                .iter()
                .any(|s| s.start() < offset && offset < s.end());
            if !inside_string && !line.trim().is_empty() {
                out.push_str(unit);
            }
            out.push_str(line);
            offset += TextSize::of(line);
        }
        out
    }
}

/// The body of the innermost function holding `offset`, if any.
fn innermost_function(body: &[Stmt], offset: TextSize) -> Option<&[Stmt]> {
    let stmt = body.iter().find(|s| s.range().contains(offset))?;
    match stmt {
        Stmt::FunctionDef(f) => innermost_function(&f.body, offset).or(Some(&f.body[..])),
        Stmt::ClassDef(c) => innermost_function(&c.body, offset),
        _ => child_bodies(stmt).find_map(|b| innermost_function(b, offset)),
    }
}

/// The statement lists directly inside a compound statement (not inside nested definitions).
fn child_bodies(stmt: &Stmt) -> Box<dyn Iterator<Item = &[Stmt]> + '_> {
    match stmt {
        Stmt::If(s) => Box::new(
            std::iter::once(&s.body[..]).chain(s.elif_else_clauses.iter().map(|c| &c.body[..])),
        ),
        Stmt::For(s) => Box::new([&s.body[..], &s.orelse[..]].into_iter()),
        Stmt::While(s) => Box::new([&s.body[..], &s.orelse[..]].into_iter()),
        Stmt::With(s) => Box::new(std::iter::once(&s.body[..])),
        Stmt::Try(s) => Box::new(
            [&s.body[..], &s.orelse[..], &s.finalbody[..]]
                .into_iter()
                .chain(s.handlers.iter().map(|h| {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                    &h.body[..]
                })),
        ),
        _ => Box::new(std::iter::empty()),
    }
}

/// The last `name = <call>` / `with <call> as name` starting before `offset` in `body`
/// (through compound statements, not into nested definitions).
fn last_binding<'a>(
    body: &'a [Stmt],
    name: &str,
    offset: TextSize,
    found: &mut Option<&'a ExprCall>,
) {
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == name);
    for stmt in body.iter().filter(|s| s.start() < offset) {
        match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 && is_name(&a.targets[0]) => {
                *found = match a.value.as_ref() {
                    Expr::Call(call) => Some(call),
                    _ => None,
                };
            }
            Stmt::AnnAssign(a) if is_name(&a.target) => {
                *found = match a.value.as_deref() {
                    Some(Expr::Call(call)) => Some(call),
                    _ => None,
                };
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if item.optional_vars.as_deref().is_some_and(is_name) {
                        *found = match &item.context_expr {
                            Expr::Call(call) => Some(call),
                            _ => None,
                        };
                    }
                }
            }
            _ => {}
        }
        for child in child_bodies(stmt) {
            last_binding(child, name, offset, found);
        }
    }
}

fn first_child(stmt: &Stmt) -> Option<&Stmt> {
    match stmt {
        Stmt::FunctionDef(s) => s.body.first(),
        Stmt::ClassDef(s) => s.body.first(),
        Stmt::If(s) => s.body.first(),
        Stmt::For(s) => s.body.first(),
        Stmt::While(s) => s.body.first(),
        Stmt::With(s) => s.body.first(),
        Stmt::Try(s) => s.body.first(),
        _ => None,
    }
}

/// Module-level imports, including those inside top-level `if`/`try` blocks.
fn top_level_imports(stmt: &Stmt, out: &mut Vec<(String, String)>) {
    match stmt {
        Stmt::Import(s) => {
            for alias in &s.names {
                let name = alias.name.as_str();
                match &alias.asname {
                    Some(asname) => out.push((asname.to_string(), name.to_string())),
                    None => {
                        let root = name.split('.').next().unwrap_or(name);
                        out.push((root.to_string(), root.to_string()));
                    }
                }
            }
        }
        Stmt::ImportFrom(s) if s.level == 0 => {
            let Some(module) = &s.module else { return };
            for alias in &s.names {
                let local = alias.asname.as_ref().unwrap_or(&alias.name);
                out.push((
                    local.to_string(),
                    format!("{module}.{}", alias.name.as_str()),
                ));
            }
        }
        Stmt::If(s) => {
            for child in s
                .body
                .iter()
                .chain(s.elif_else_clauses.iter().flat_map(|c| &c.body))
            {
                top_level_imports(child, out);
            }
        }
        Stmt::Try(s) => {
            for child in &s.body {
                top_level_imports(child, out);
            }
        }
        _ => {}
    }
}

#[derive(Default)]
struct ImportCollector {
    /// `None` once a name is bound to two different things.
    bindings: FxHashMap<String, Option<String>>,
}

impl ImportCollector {
    fn bind(&mut self, local: String, qualified: String) {
        self.bindings
            .entry(local)
            .and_modify(|q| {
                if q.as_deref() != Some(qualified.as_str()) {
                    *q = None;
                }
            })
            .or_insert(Some(qualified));
    }
}

impl<'a> Visitor<'a> for ImportCollector {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                let mut found = Vec::new();
                top_level_imports(stmt, &mut found);
                for (local, qualified) in found {
                    self.bind(local, qualified);
                }
            }
            _ => walk_stmt(self, stmt),
        }
    }
}

struct CallFinder<'a> {
    range: TextRange,
    found: Option<&'a ExprCall>,
}

impl<'a> Visitor<'a> for CallFinder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.found.is_none() && stmt.range().contains_range(self.range) {
            walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.found.is_some() || !expr.range().contains_range(self.range) {
            return;
        }
        if let Expr::Call(call) = expr
            && call.range() == self.range
        {
            self.found = Some(call);
            return;
        }
        walk_expr(self, expr);
    }
}

/// Finds a binding of `name` that is not `import name`: an assignment, a `def`, a parameter…
struct BindingFinder<'n> {
    name: &'n str,
    found: bool,
}

impl<'a> Visitor<'a> for BindingFinder<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) if f.name.as_str() == self.name => self.found = true,
            Stmt::ClassDef(c) if c.name.as_str() == self.name => self.found = true,
            Stmt::Import(s) => {
                for alias in &s.names {
                    let root = alias.name.split('.').next().unwrap_or_default();
                    let bound = alias.asname.as_ref().map_or(root, |a| a.as_str());
                    if bound == self.name
                        && alias.name.as_str() != self.name
                        && alias.asname.is_some()
                    {
                        self.found = true;
                    }
                }
            }
            Stmt::ImportFrom(s) => {
                for alias in &s.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    if bound.as_str() == self.name {
                        self.found = true;
                    }
                }
            }
            _ => walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(n) = expr
            && n.id.as_str() == self.name
            && n.ctx.is_store()
        {
            self.found = true;
        }
        walk_expr(self, expr);
    }

    fn visit_parameter(&mut self, parameter: &'a ruff_python_ast::Parameter) {
        if parameter.name.as_str() == self.name {
            self.found = true;
        }
    }
}
