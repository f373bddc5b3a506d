//! Ranges of code that run under a condition the rules care about: a main-thread check, an
//! `is_running()` test, a cancel shield or deadline, a held `with` lock, and loops that run
//! until stopped.

use ruff_python_ast::visitor::Visitor;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::knowledge::EffectKind;
use crate::summary::{ArgShape, EventKind, Instance, LongLoop, Name, Region, RegionKind, Value};

use super::ModuleVisitor;
use super::conditions::terminates;
use super::fork_child::breaks_out;

pub(super) const SEEN_MAIN_THREAD_CHECK: u8 = 1;

pub(super) const SEEN_IS_RUNNING: u8 = 2;

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    pub(super) fn visit_with(&mut self, with: &'a ast::StmtWith) {
        let mut managers = Vec::new();
        let mut held = Vec::new();
        let mut scopes = Vec::new();
        for item in &with.items {
            let v = self.eval(&item.context_expr);
            if let Some(target) = &item.optional_vars {
                self.visit_assign_target(target, v.clone());
            }
            // `with lock:` acquires at the item and releases at the end of the block: as
            // `lock.__enter__()` / `lock.__exit__()` calls, for what the knowledge base says
            // they do (FL206 reads the held region).
            let receiver = match &v {
                Value::Instance(inst) => Some(self.current(inst)),
                other => self.self_attr_instance(other),
            };
            if let Some(receiver) = receiver
                && self
                    .index
                    .knowledge
                    .get_member(&receiver.class, "__enter__")
                    .is_some()
            {
                let enter = Value::BoundMethod {
                    receiver: receiver.clone(),
                    method: Name::new_static("__enter__"),
                };
                self.push_event(
                    item.range,
                    EventKind::Call {
                        callee: enter,
                        args: None,
                        shape: ArgShape::UNKNOWN,
                    },
                );
                held.push(receiver);
            }
            if let Value::Instance(inst) = &v
                && let Some(kind) = self.scope_kind(inst)
            {
                scopes.push((kind, item.range));
            }
            managers.push((item.range, v));
        }
        let body = body_range(&with.body);
        for (kind, item) in scopes {
            self.push_region(kind, item, body);
        }
        self.visit_body(&with.body);
        let end = TextRange::empty(with.range.end());
        for receiver in held.into_iter().rev() {
            let exit = Value::BoundMethod {
                receiver,
                method: Name::new_static("__exit__"),
            };
            self.push_event(
                end,
                EventKind::Call {
                    callee: exit,
                    args: None,
                    shape: ArgShape::UNKNOWN,
                },
            );
        }
        for (range, manager) in managers.into_iter().rev() {
            if let Value::Instance(inst) = &manager
                && self.callable_is_relevant(&Value::Qual(inst.class.clone()))
            {
                let manager = Value::Instance(self.current(inst));
                self.push_event(range, EventKind::WithExit { manager });
            }
        }
    }

    pub(super) fn push_region(&mut self, kind: RegionKind, range: TextRange, body: TextRange) {
        self.summary.regions.push(Region {
            kind,
            func: self.sink,
            range,
            body,
        });
    }

    /// Regions an `if` test opens: a main-thread guard over its clause, an `is_running()`
    /// condition. A negated main-thread test (`if current_thread() is not main_thread():`)
    /// guards the opposite: the clauses after it (`if_end` is where the `if` statement
    /// ends) and, when its own clause leaves the function (`return`, `raise`), the rest of
    /// the block — uvicorn's `capture_signals()` yields and returns off the main thread and
    /// installs its handlers only after that.
    pub(super) fn record_test_regions(
        &mut self,
        seen: u8,
        test: &'a Expr,
        body: &'a [Stmt],
        if_end: TextSize,
    ) {
        if seen & SEEN_MAIN_THREAD_CHECK != 0 {
            if main_thread_polarity(test) == Some(false) {
                let clause_end = body.last().map_or(test.end(), |s| s.end());
                let leaves = body.last().is_some_and(terminates);
                let end = if leaves { self.block_end } else { if_end };
                if clause_end < end {
                    self.push_region(
                        RegionKind::MainThreadOnly,
                        test.range(),
                        TextRange::new(clause_end, end),
                    );
                }
            } else {
                self.push_region(RegionKind::MainThreadOnly, test.range(), body_range(body));
            }
        }
        if seen & SEEN_IS_RUNNING != 0 {
            self.push_region(RegionKind::IsRunningTest, test.range(), body_range(body));
        }
    }

    /// Evaluates `expr` and says which condition-relevant APIs it called (see `seen`).
    pub(super) fn eval_noting(&mut self, expr: &'a Expr) -> u8 {
        let outer = std::mem::take(&mut self.seen);
        self.eval(expr);
        let seen = self.seen;
        self.seen |= outer;
        seen
    }

    /// A cancel scope made by `with`: a shield (when its `requires` holds, `shield=True`) or
    /// a deadline.
    fn scope_kind(&self, inst: &Instance) -> Option<RegionKind> {
        let api = self.index.knowledge.get(&inst.class)?;
        if api.has(EffectKind::CancelDeadline) {
            return Some(RegionKind::Deadline);
        }
        if api.has(EffectKind::CancelShield) {
            let holds = api.requires.as_ref().is_none_or(|r| {
                matches!(inst.ctor_args().get(None, Some(&r.keyword)), Some(Value::Bool(b)) if *b == r.value)
            });
            return holds.then_some(RegionKind::Shield);
        }
        None
    }

    /// A `while` loop that runs until stopped, recorded on the function being walked (the
    /// first one found).
    pub(super) fn note_long_loop(&mut self, w: &'a ast::StmtWhile, works: bool) {
        let Some(f) = self.sink else { return };
        let always = match &*w.test {
            Expr::BooleanLiteral(b) => b.value,
            Expr::NumberLiteral(n) => {
                matches!(&n.value, ast::Number::Int(i) if i.as_u8() != Some(0))
            }
            _ => false,
        };
        let until_stopped = always || runs_until_stopped(&w.test);
        let func = &mut self.summary.functions[f as usize];
        if !until_stopped || func.long_loop.is_some() {
            return;
        }
        func.long_loop = Some(LongLoop {
            range: w.range,
            forever: always && !breaks_out(&w.body) && !returns_inside(&w.body),
            works,
        });
    }
}

/// Whether a main-thread test holds on the main thread (`current_thread() is
/// main_thread()`, `get_current() == get_main()`) or off it (`is not`, `!=`); `not` flips it.
/// `None` for anything else (a test combined with `and`/`or` keeps the clause as its region).
fn main_thread_polarity(test: &Expr) -> Option<bool> {
    match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
            main_thread_polarity(&u.operand).map(|b| !b)
        }
        Expr::Compare(c) if c.ops.len() == 1 => match c.ops[0] {
            ast::CmpOp::Is | ast::CmpOp::Eq => Some(true),
            ast::CmpOp::IsNot | ast::CmpOp::NotEq => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `self.assertTrue(...)`, `assert_that(...)`: the unittest and pytest-helper convention
/// that a call named `assert…` checks a condition.
pub(super) fn is_assertion_call(func: &Expr) -> bool {
    let name = match func {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.id.as_str(),
        _ => return false,
    };
    name.starts_with("assert")
}

/// A loop test that holds until something changes it: a name, an attribute, a call, or
/// `not` of one (`while not stop.is_set():`, `while self.running:`), as opposed to a
/// comparison that counts.
fn runs_until_stopped(test: &Expr) -> bool {
    match test {
        Expr::Name(_) | Expr::Attribute(_) | Expr::Call(_) => true,
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => runs_until_stopped(&u.operand),
        _ => false,
    }
}

/// Whether a block has a `return` (at any depth, outside nested definitions).
fn returns_inside(body: &[Stmt]) -> bool {
    body.iter().any(|s| match s {
        Stmt::Return(_) => true,
        Stmt::If(i) => {
            returns_inside(&i.body) || i.elif_else_clauses.iter().any(|c| returns_inside(&c.body))
        }
        Stmt::Try(t) => {
            returns_inside(&t.body)
                || returns_inside(&t.orelse)
                || returns_inside(&t.finalbody)
                || t.handlers.iter().any(|h| match h {
                    ast::ExceptHandler::ExceptHandler(h) => returns_inside(&h.body),
                })
        }
        Stmt::With(w) => returns_inside(&w.body),
        Stmt::While(w) => returns_inside(&w.body) || returns_inside(&w.orelse),
        Stmt::For(f) => returns_inside(&f.body) || returns_inside(&f.orelse),
        Stmt::Match(m) => m.cases.iter().any(|c| returns_inside(&c.body)),
        _ => false,
    })
}

/// From the first statement of a block to the end of its last.
fn body_range(body: &[Stmt]) -> TextRange {
    match (body.first(), body.last()) {
        (Some(a), Some(b)) => TextRange::new(a.start(), b.end()),
        _ => TextRange::default(),
    }
}
