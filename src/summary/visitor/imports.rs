//! `import` statements and `importlib.import_module("literal")` calls, as import events and
//! bindings. Relative and script-relative names are made absolute here, so later steps see
//! absolute module names only.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::TextRange;

use crate::summary::{CallArgs, EventKind, Value, last_dot};

use super::ModuleVisitor;

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    /// The absolute module a relative import of `level` dots names.
    fn resolve_relative(&self, level: u32, module: Option<&str>) -> Option<String> {
        let mut base = if self.summary.is_package {
            self.summary.module.as_str()
        } else {
            parent(&self.summary.module)
        };
        for _ in 1..level {
            if base.is_empty() {
                return None;
            }
            base = parent(base);
        }
        Some(match (base.is_empty(), module) {
            (true, Some(m)) => m.to_string(),
            (true, None) => return None,
            (false, Some(m)) => format!("{base}.{m}"),
            (false, None) => base.to_string(),
        })
    }

    /// An absolute import as Python resolves it when the file is run as a script: the
    /// script's own directory is on `sys.path`, so `import util` beside `app.py` finds the
    /// sibling module even when the project root is higher up. Failing that, it is tried
    /// below each directory given on the command line (`Settings::import_prefixes`).
    fn absolutize(&self, name: &str) -> String {
        let package = if self.summary.is_package {
            self.summary.module.as_str()
        } else {
            parent(&self.summary.module)
        };
        let first = name.split('.').next().unwrap_or(name);
        // `import __main__` is the running main module, always in `sys.modules`: never a
        // `__main__.py` beside the file (idlelib's `autocomplete` reads `__main__.__dict__`).
        if first == "__main__" {
            return name.to_string();
        }
        if self.index.is_package(first) {
            return name.to_string();
        }
        if !package.is_empty() && self.index.is_package(&format!("{package}.{first}")) {
            return format!("{package}.{name}");
        }
        // Then below each directory given on the command line (mypy's search path).
        for prefix in self.index.import_prefixes {
            if self.index.is_package(&format!("{prefix}.{first}")) {
                return format!("{prefix}.{name}");
            }
        }
        name.to_string()
    }

    pub(super) fn visit_import(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(imp) => {
                for alias in &imp.names {
                    let absolute = self.absolutize(alias.name.id.as_str());
                    let name = absolute.as_str();
                    self.push_event(
                        alias.range,
                        EventKind::Import {
                            module: name.to_string(),
                            names: Vec::new(),
                            dynamic: false,
                        },
                    );
                    self.narrow_to_importable(name);
                    match &alias.asname {
                        Some(asname) => self.bind(asname.id.as_str(), Value::Qual(name.into())),
                        None => {
                            // `import a.b` binds `a` (as the sibling-resolved name, if it was one).
                            let written = alias.name.id.as_str();
                            let first = written.split('.').next().unwrap_or(written);
                            let bound = &name[..name.len() - written.len() + first.len()];
                            self.bind(first, Value::Qual(bound.into()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(imp) => {
                let module = if imp.level > 0 {
                    self.resolve_relative(imp.level, imp.module.as_ref().map(|m| m.id.as_str()))
                } else {
                    imp.module.as_ref().map(|m| self.absolutize(m.id.as_str()))
                };
                let Some(module) = module else { return };
                let names: Vec<String> = imp
                    .names
                    .iter()
                    .map(|a| a.name.id.to_string())
                    .filter(|n| n != "*")
                    .collect();
                self.push_event(
                    imp.range,
                    EventKind::Import {
                        module: module.clone(),
                        names,
                        dynamic: false,
                    },
                );
                if imp.level == 0 {
                    self.narrow_to_importable(&module);
                }
                for alias in &imp.names {
                    let name = alias.name.id.as_str();
                    if name == "*" {
                        self.star_imports.push(module.clone());
                        continue;
                    }
                    let bound = alias.asname.as_ref().map_or(name, |a| a.id.as_str());
                    self.bind(bound, Value::Qual(format!("{module}.{name}").into()));
                }
            }
            _ => {}
        }
    }

    /// After `import winreg` (or `from fcntl import flock`, `import win32com.client`) on
    /// every path of its body and with no fallback, the rest runs only on the platforms
    /// where that module exists: elsewhere the import raises. At the top level that is the
    /// rest of the module and all of its functions (see `module_platforms`); statements
    /// before the import still run everywhere, as they do in Python before the
    /// `ImportError`. In a function, the rest of that function. An import in a branch, a
    /// loop or an `except` handler, or under a `try:` that catches `ImportError`, narrows
    /// nothing. A project module of the same name is not the platform's.
    fn narrow_to_importable(&mut self, module: &str) {
        if self.conditional > 0 || self.import_errors_caught > 0 {
            return;
        }
        let first = module.split('.').next().unwrap_or(module);
        if let Some(bits) = crate::summary::platform_only::importable_on(first)
            && !self.index.is_module(first)
        {
            self.platforms &= bits;
        }
    }

    pub(super) fn dynamic_import(
        &mut self,
        api: &crate::knowledge::Api,
        args: &CallArgs,
        range: TextRange,
    ) -> Value {
        let name = api
            .module_arg
            .as_ref()
            .and_then(|m| args.get(m.position, m.keyword.as_deref()));
        let Some(Value::Str(name)) = name else {
            self.push_event(range, EventKind::UnknownImport);
            return Value::Unknown;
        };
        let module = if let Some(rest) = name.strip_prefix('.') {
            let package = api
                .package_arg
                .as_ref()
                .and_then(|p| args.get(p.position, p.keyword.as_deref()));
            let Some(Value::Str(package)) = package else {
                self.push_event(range, EventKind::UnknownImport);
                return Value::Unknown;
            };
            // `import_module("..x", package="a.b")`: each extra dot climbs one package.
            let extra = rest.len() - rest.trim_start_matches('.').len();
            let mut base = package.as_str();
            for _ in 0..extra {
                base = parent(base);
            }
            let rest = rest.trim_start_matches('.');
            match (base.is_empty(), rest.is_empty()) {
                (true, _) => rest.to_string(),
                (false, true) => base.to_string(),
                (false, false) => format!("{base}.{rest}"),
            }
        } else {
            self.absolutize(name)
        };
        self.push_event(
            range,
            EventKind::Import {
                module: module.clone(),
                names: Vec::new(),
                dynamic: true,
            },
        );
        Value::Qual(module.into())
    }
}

pub(super) fn parent(module: &str) -> &str {
    last_dot(module).map_or("", |i| &module[..i])
}

/// Whether an `except` clause catches a failed import: bare `except:`, or a type (or a tuple
/// holding one) named `ImportError`, `ModuleNotFoundError`, `Exception` or `BaseException`.
pub(super) fn catches_import_error(handler: &ast::ExceptHandler) -> bool {
    let ast::ExceptHandler::ExceptHandler(h) = handler;
    h.type_.as_deref().is_none_or(names_import_error)
}

/// `ImportError`, `builtins.ModuleNotFoundError`, `(OSError, ImportError)`, …
pub(super) fn names_import_error(expr: &Expr) -> bool {
    let name = match expr {
        Expr::Tuple(t) => return t.elts.iter().any(names_import_error),
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.id.as_str(),
        _ => return false,
    };
    matches!(
        name,
        "ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException"
    )
}
