//! The fix shared by FL101, FL103 and FL107: move an entry script's trailing top-level side
//! effects into `def main() -> None:` and call it under `if __name__ == "__main__":`.
//!
//! It is unsafe: the statements no longer run when the module is imported (that is the point,
//! but an importer may rely on it), and the names they bind become local to `main` unless
//! something else in the module uses them, in which case `main` declares them `global`.

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::FxHashSet;

use super::source::FixSource;
use crate::diagnostic::{Applicability, Edit, Fix};

pub const SHAPE: &str = "move the statements into `def main() -> None: …` and call `main()` \
                         under `if __name__ == \"__main__\":`";

/// The fix for a finding at `offset` (inside a top-level statement), or why there is none.
pub fn wrap_in_main(source: &FixSource, offset: TextSize) -> Result<Fix, &'static str> {
    let body = source.body();
    // A trailing `if __name__ == "__main__":` block stays where it is and calls `main()` first.
    let (statements, guard) = match body.last() {
        Some(Stmt::If(s)) if is_main_guard(&s.test) => {
            if !s.elif_else_clauses.is_empty() {
                return Err("the `__main__` block has an `else` branch");
            }
            (&body[..body.len() - 1], Some(s))
        }
        _ => (body, None),
    };
    let movable = statements
        .iter()
        .rev()
        .take_while(|s| is_movable(s))
        .count();
    let suffix = &statements[statements.len() - movable..];
    let Some(first) = suffix
        .iter()
        .position(|s| s.range().contains_inclusive(offset))
    else {
        return Err(
            "the statement is followed by definitions, or is not at the top level; only the \
             trailing statements of a script can move into `main()`",
        );
    };
    // From the first statement of the trailing run that is run for its effect (a call that
    // is not just the value of an assignment): assignments before it stay module globals (a
    // spawned child, which re-imports the script without running `main()`, and importers may
    // need them), and the effects before the flagged statement move with it (the child must
    // not run them either).
    let from = suffix[..first]
        .iter()
        .position(is_side_effect)
        .unwrap_or(first);
    let suffix = &suffix[from..];
    if defines(source, "main") {
        return Err("the module already defines `main`");
    }
    let unit = source.indent_unit();
    let start = source.line_start(suffix[0].start());
    if statements
        .iter()
        .any(|s| s.start() < start && s.end() > start)
    {
        return Err("the statement shares its line with the one before it");
    }
    let end = suffix[suffix.len() - 1].end();
    // A physical line that starts with a backslash continues the line before it, and the
    // parser reads its indentation differently once every line is shifted (found by the
    // fuzzer: indenting one turned a parsed file into an indentation error).
    if source.text[TextRange::new(start, end)]
        .lines()
        .any(|l| l.trim_start().starts_with('\\'))
    {
        return Err("a line of the code to move starts with a backslash continuation");
    }
    // PEP 8's two blank lines between a definition and the code before it.
    let before = source.text[..usize::from(start)].trim_end_matches([' ', '\t']);
    let blank_lines = if before.is_empty() {
        2
    } else {
        before
            .chars()
            .rev()
            .take_while(|c| *c == '\n' || *c == '\r')
            .filter(|c| *c == '\n')
            .count()
            .saturating_sub(1)
    };
    let mut content = "\n".repeat(2usize.saturating_sub(blank_lines));
    content.push_str("def main() -> None:\n");
    let globals = shared_names(body, suffix);
    if !globals.is_empty() {
        content.push_str(&format!("{unit}global {}\n", globals.join(", ")));
    }
    content.push_str(&source.indented(TextRange::new(start, end), &unit));
    let mut edits: Vec<Edit> = Vec::new();
    match guard {
        Some(guard) => {
            // Two blank lines between `main` and the block, as between any definitions.
            let guard_line = source.line_start(guard.start());
            let after = source.next_line_start(end);
            if after <= guard_line {
                let gap = &source.text[TextRange::new(after, guard_line)];
                let blank = gap.lines().take_while(|l| l.trim().is_empty()).count();
                let lines = gap.lines().count();
                if blank == lines && blank < 2 {
                    edits.push(Edit {
                        file: source.file,
                        range: TextRange::empty(guard_line),
                        content: "\n".repeat(2 - blank),
                    });
                }
            }
            let first = &guard.body[0];
            let line = source.line_start(first.start());
            let indent = &source.text[TextRange::new(line, first.start())];
            if line <= guard.start() || !indent.trim().is_empty() {
                return Err("the `__main__` block's body is on the `if` line");
            }
            edits.push(Edit {
                file: source.file,
                range: TextRange::empty(first.start()),
                content: format!("main()\n{indent}"),
            });
        }
        None => content.push_str(&format!("\n\n\nif __name__ == \"__main__\":\n{unit}main()")),
    }
    edits.push(Edit {
        file: source.file,
        range: TextRange::new(start, end),
        content,
    });
    Ok(super::sorted(Fix {
        message: "move the script's top-level statements into `main()`, called under \
                  `if __name__ == \"__main__\":`"
            .into(),
        applicability: Applicability::Unsafe,
        edits,
    }))
}

/// `__name__ == "__main__"` (either way round).
fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(c) = test else { return false };
    if c.comparators.len() != 1 || !matches!(c.ops[0], ruff_python_ast::CmpOp::Eq) {
        return false;
    }
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| matches!(e, Expr::StringLiteral(s) if s.value.to_str() == "__main__");
    (is_name(&c.left) && is_main(&c.comparators[0]))
        || (is_main(&c.left) && is_name(&c.comparators[0]))
}

/// Whether a top-level statement can move into a function unchanged: not a definition (it
/// would become local), not `from … import *` or `from __future__` (not allowed there), not a
/// `global` (meaningless at the top level, and it would clash), not another `__main__` block.
fn is_movable(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::FunctionDef(_) | Stmt::ClassDef(_) | Stmt::Global(_) | Stmt::Nonlocal(_) => false,
        Stmt::ImportFrom(s) => {
            s.module.as_ref().is_none_or(|m| m.as_str() != "__future__")
                && !s.names.iter().any(|a| a.name.as_str() == "*")
        }
        Stmt::If(s) => !is_main_guard(&s.test),
        _ => true,
    }
}

/// Whether a statement is run for its effect: it calls something, and is not an assignment
/// or an import (which are run for the names they bind).
fn is_side_effect(stmt: &Stmt) -> bool {
    if matches!(
        stmt,
        Stmt::Assign(_)
            | Stmt::AnnAssign(_)
            | Stmt::AugAssign(_)
            | Stmt::Import(_)
            | Stmt::ImportFrom(_)
    ) {
        return false;
    }
    struct Calls(bool);
    impl<'a> Visitor<'a> for Calls {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if expr.is_call_expr() {
                self.0 = true;
            } else if !self.0 {
                walk_expr(self, expr);
            }
        }
    }
    let mut calls = Calls(false);
    calls.visit_stmt(stmt);
    calls.0
}

fn defines(source: &FixSource, name: &str) -> bool {
    let mut names = Names::default();
    names.visit_body(source.body());
    names.bound.contains(name) || names.loaded.contains(name)
}

/// The names the moved statements bind that the rest of the module also uses or binds: they
/// must stay module globals for the module to behave as before.
fn shared_names(body: &[Stmt], suffix: &[Stmt]) -> Vec<String> {
    let mut inside = Names::default();
    inside.visit_body(suffix);
    let first = suffix[0].range();
    let mut outside = Names::default();
    for stmt in body {
        if !first.contains_range(stmt.range()) && stmt.start() < first.start() {
            outside.visit_stmt(stmt);
        }
    }
    // Statements after the moved ones (the `__main__` block) and function bodies anywhere.
    for stmt in body
        .iter()
        .filter(|s| s.start() > suffix[suffix.len() - 1].end())
    {
        outside.visit_stmt(stmt);
    }
    let mut shared: Vec<String> = inside
        .bound
        .iter()
        .filter(|n| outside.loaded.contains(*n) || outside.bound.contains(*n))
        .cloned()
        .collect();
    shared.sort();
    shared
}

/// Names bound and names read, in a block of statements (and the functions in it).
#[derive(Default)]
struct Names {
    bound: FxHashSet<String>,
    loaded: FxHashSet<String>,
}

impl<'a> Visitor<'a> for Names {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                self.bound.insert(f.name.to_string());
            }
            Stmt::ClassDef(c) => {
                self.bound.insert(c.name.to_string());
            }
            Stmt::Import(s) => {
                for a in &s.names {
                    let root = a.name.split('.').next().unwrap_or_default();
                    self.bound
                        .insert(a.asname.as_ref().map_or(root, |n| n.as_str()).to_string());
                }
            }
            Stmt::ImportFrom(s) => {
                for a in &s.names {
                    self.bound
                        .insert(a.asname.as_ref().unwrap_or(&a.name).to_string());
                }
            }
            Stmt::Try(t) => {
                for handler in &t.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                    if let Some(name) = &h.name {
                        self.bound.insert(name.to_string());
                    }
                }
            }
            _ => {}
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(n) = expr {
            if n.ctx.is_load() {
                self.loaded.insert(n.id.to_string());
            } else {
                self.bound.insert(n.id.to_string());
            }
        }
        walk_expr(self, expr);
    }
}
