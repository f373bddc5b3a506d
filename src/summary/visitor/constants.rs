//! Module constants: a module-level name bound once, to a literal, and never bound again
//! (`debug = 0`). A clause whose test such a constant makes false (`if debug:`) never runs,
//! unless another module sets the name (`server.debug = 1`), which only the link step can
//! see: so the clause is walked as any other, and recorded as a
//! [`ConstantGuard`](crate::summary::ConstantGuard) that the link step drops when nothing
//! sets the name from outside. Tests are read as platform tests are
//! ([`decide`](super::conditions::decide)), on the constants' literal values.

use ruff_python_ast::{self as ast, Expr};

use crate::summary::{ConstantGuard, Name, Value};

use super::ModuleVisitor;
use super::conditions::{decide, param_test};
use super::eval::literal_value;

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    /// `name = LITERAL` (or `name: T = LITERAL`) at module level: the constant's value, if
    /// it is the name's only binding. A version or platform test that every configured
    /// target answers alike is a literal too (`PY39 = sys.version_info >= (3, 9)`).
    pub(super) fn note_module_literal(&mut self, target: &'a Expr, value: &'a Expr) {
        if self.sink.is_some() || self.scopes.len() != 1 {
            return;
        }
        let literal = literal_value(value).or_else(|| self.platform_truth(value).map(Value::Bool));
        if let (Expr::Name(name), Some(literal)) = (target, literal) {
            self.module_literals
                .entry(name.id.as_str())
                .or_insert(literal);
        }
    }

    /// Counts a binding of module name `name` (any binding: assignment, import, `def`,
    /// `for`, `with … as`, `global` in a function).
    pub(super) fn count_module_binding(&mut self, name: &'a str) {
        *self.module_bindings.entry(name).or_insert(0) += 1;
    }

    /// The literal `name` holds where it is read, if it is a module constant as far as
    /// this module has been walked: bound once, to that literal, by no star import, and
    /// not shadowed by a function's (or the class body's) own name.
    fn constant_value(&self, name: &str) -> Option<&Value> {
        if !self.star_imports.is_empty() || self.module_bindings.get(name) != Some(&1) {
            return None;
        }
        if self.scopes[1..].iter().any(|s| s.names.contains_key(name)) {
            return None;
        }
        self.module_literals.get(name)
    }

    /// What `test` says on the module constants it reads, and their names; `None` when it
    /// reads anything else, or no constant.
    pub(super) fn constant_test(&self, test: &'a Expr) -> Option<(bool, Vec<&'a str>)> {
        let mut names = Vec::new();
        let truth = decide(test, &mut |leaf| {
            let (name, test) = param_test(leaf)?;
            let truth = test.holds_on(self.constant_value(name)?)?;
            names.push(name);
            Some(truth)
        })?;
        (!names.is_empty()).then_some((truth, names))
    }

    /// How many events the body being walked has so far.
    pub(super) fn event_count(&self) -> u32 {
        match self.sink {
            Some(f) => self.summary.functions[f as usize].events.len() as u32,
            None => self.summary.body.len() as u32,
        }
    }

    /// Records that the events from `first_event` on, to now, never run while the
    /// constants `names` keep their values.
    pub(super) fn record_constant_guard(&mut self, names: Vec<&'a str>, first_event: u32) {
        let end = self.event_count();
        if end == first_event {
            return;
        }
        self.summary.constant_guards.push(ConstantGuard {
            func: self.sink,
            events: first_event..end,
            names: names.into_iter().map(Name::new).collect(),
        });
    }

    /// Once the module is walked (its functions included): only names bound once in the
    /// whole module are constants.
    pub(super) fn finish_constant_guards(&mut self) {
        let bindings = &self.module_bindings;
        let star = !self.star_imports.is_empty();
        self.summary
            .constant_guards
            .retain(|g| !star && g.names.iter().all(|n| bindings.get(n.as_str()) == Some(&1)));
    }

    /// `receiver.attr = …` where the receiver is a project module: that module's `attr` is
    /// set from outside, so it is no constant there.
    pub(super) fn note_attribute_store(&mut self, receiver: &Value, attr: &str) {
        if let Value::Qual(module) = receiver
            && self.index.is_module(module)
        {
            self.summary
                .module_attr_stores
                .push((module.to_string(), Name::new(attr)));
        }
    }

    /// `setattr(module, "attr", …)`, `monkeypatch.setattr(module, "attr", …)`,
    /// `mock.patch.object(module, "attr")`, and `mock.patch("pkg.module.attr", …)`: any call
    /// that names a project module's attribute is taken to set it.
    pub(super) fn note_attribute_named(&mut self, arguments: &'a ast::Arguments) {
        match &*arguments.args {
            [first, Expr::StringLiteral(attr), ..] => {
                let receiver = self.eval_quiet(first);
                self.note_attribute_store(&receiver, attr.value.to_str());
            }
            [Expr::StringLiteral(dotted), ..] => {
                let dotted = dotted.value.to_str();
                if let Some((module, attr)) = dotted.rsplit_once('.')
                    && self.index.is_module(module)
                {
                    self.summary
                        .module_attr_stores
                        .push((module.to_string(), Name::new(attr)));
                }
            }
            _ => {}
        }
    }
}
