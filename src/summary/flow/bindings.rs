//! The names each scope binds, found before it is lowered: Python decides whether a name is
//! local to a function from every assignment in it, wherever it stands.

use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{
    self as ast, Expr, Stmt,
    visitor::{self, Visitor},
};

/// The names a scope binds, and its `global`/`nonlocal` declarations.
#[derive(Default)]
pub(super) struct Bindings {
    pub(super) bound: HashSet<String>,
    pub(super) globals: HashSet<String>,
    pub(super) nonlocals: HashSet<String>,
}

impl Bindings {
    pub(super) fn of_body(body: &[Stmt], params: &[String]) -> Bindings {
        let mut b = Bindings::default();
        b.bound.extend(params.iter().cloned());
        let mut c = BindingCollector { b: &mut b };
        for s in body {
            c.visit_stmt(s);
        }
        for g in b.globals.iter().chain(b.nonlocals.iter()) {
            b.bound.remove(g);
        }
        b
    }
}

pub(super) struct BindingCollector<'b> {
    pub(super) b: &'b mut Bindings,
}

impl BindingCollector<'_> {
    pub(super) fn target(&mut self, e: &Expr) {
        match e {
            Expr::Name(n) => {
                self.b.bound.insert(n.id.to_string());
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.target(e)),
            Expr::List(t) => t.elts.iter().for_each(|e| self.target(e)),
            Expr::Starred(s) => self.target(&s.value),
            _ => {}
        }
    }
}

impl<'a> Visitor<'a> for BindingCollector<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                self.b.bound.insert(f.name.to_string());
                // Decorators and defaults run here; the body is another scope.
                for d in &f.decorator_list {
                    self.visit_expr(&d.expression);
                }
            }
            Stmt::ClassDef(c) => {
                self.b.bound.insert(c.name.to_string());
                for d in &c.decorator_list {
                    self.visit_expr(&d.expression);
                }
            }
            Stmt::Global(g) => {
                self.b.globals.extend(g.names.iter().map(|n| n.to_string()));
            }
            Stmt::Nonlocal(g) => {
                self.b
                    .nonlocals
                    .extend(g.names.iter().map(|n| n.to_string()));
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    let name = match &a.asname {
                        Some(n) => n.to_string(),
                        None => a.name.split('.').next().unwrap_or_default().to_string(),
                    };
                    self.b.bound.insert(name);
                }
            }
            Stmt::ImportFrom(i) => {
                for a in &i.names {
                    if a.name.as_str() != "*" {
                        let n = a.asname.as_ref().unwrap_or(&a.name);
                        self.b.bound.insert(n.to_string());
                    }
                }
            }
            Stmt::Assign(a) => {
                a.targets.iter().for_each(|t| self.target(t));
                visitor::walk_stmt(self, stmt);
            }
            Stmt::AnnAssign(a) => {
                if a.value.is_some() {
                    self.target(&a.target);
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::AugAssign(a) => {
                self.target(&a.target);
                visitor::walk_stmt(self, stmt);
            }
            Stmt::For(f) => {
                self.target(&f.target);
                visitor::walk_stmt(self, stmt);
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(v) = &item.optional_vars {
                        self.target(v);
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Try(t) => {
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    if let Some(n) = &h.name {
                        self.b.bound.insert(n.to_string());
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            // Other scopes: their bindings are not this scope's.
            Expr::Lambda(_)
            | Expr::ListComp(_)
            | Expr::SetComp(_)
            | Expr::DictComp(_)
            | Expr::Generator(_) => {}
            Expr::Named(n) => {
                self.target(&n.target);
                self.visit_expr(&n.value);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// Names declared `global` or `nonlocal` anywhere in the module.
pub(super) fn pinned_names(body: &[Stmt]) -> HashSet<String> {
    struct Finder(HashSet<String>);
    impl<'a> Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Global(g) => self.0.extend(g.names.iter().map(|n| n.to_string())),
                Stmt::Nonlocal(g) => self.0.extend(g.names.iter().map(|n| n.to_string())),
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, _: &'a Expr) {}
    }
    let mut f = Finder(HashSet::default());
    for s in body {
        f.visit_stmt(s);
    }
    f.0
}

/// Whether a function body yields (not counting nested functions).
pub(super) fn has_yield(body: &[Stmt]) -> bool {
    struct Finder(bool);
    impl<'a> Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Yield(_) | Expr::YieldFrom(_) => self.0 = true,
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut f = Finder(false);
    for s in body {
        f.visit_stmt(s);
    }
    f.0
}
