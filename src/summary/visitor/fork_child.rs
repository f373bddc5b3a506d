//! The child branch of `pid = os.fork()`: which clause of the `if` on the pid runs in the
//! child, whether it ends the process, and double-fork daemonizers. Finding it needs its own
//! reading of how control leaves a block, kept here with it.

use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::knowledge::{EffectKind, SpawnKind};
use crate::summary::{ForkChild, Value};

use super::ModuleVisitor;

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    /// The clause of an `if` that is the child branch of an earlier `pid = os.fork()`, with
    /// that fork call: `if pid == 0:`, `if not pid:`, or the `else:` after `if pid:` /
    /// `if pid != 0:` / `if pid > 0:`. `None` as well when the parent's clause ends the
    /// process (`if pid == 0: … else: os._exit(0)`, `if pid > 0: os._exit(0)`): the
    /// daemonizing pattern, where the child is the one meant to go on; that fork is then
    /// noted in `daemonizing_forks`.
    pub(super) fn fork_child_clause(
        &mut self,
        clauses: &[(Option<&'a Expr>, &'a [Stmt])],
    ) -> Option<(usize, TextRange)> {
        for (i, (test, _)) in clauses.iter().enumerate() {
            let Some(test) = test else { break };
            let Some((tested, in_child)) = fork_test(test) else {
                continue;
            };
            // What is tested is the fork's result however it is written: a name it was
            // assigned to, the call itself (`if os.fork() == 0:`), or an assignment
            // expression (`if (pid := os.fork()) == 0:`, which also names it for later).
            let fork = match tested {
                Expr::Name(n) => self
                    .fork_vars
                    .iter()
                    .rev()
                    .find(|(name, sink, _)| *name == n.id.as_str() && *sink == self.sink)
                    .map(|&(_, _, fork)| fork),
                Expr::Call(call) => self.is_fork_call(call).then(|| call.range()),
                Expr::Named(named) => match (&*named.target, &*named.value) {
                    (Expr::Name(n), Expr::Call(call)) if self.is_fork_call(call) => {
                        self.fork_vars
                            .push((n.id.as_str(), self.sink, call.range()));
                        Some(call.range())
                    }
                    _ => None,
                },
                _ => None,
            };
            let Some(fork) = fork else {
                continue;
            };
            // The parent's clause: the plain `else:` right after a child test, or this one.
            let (child, parent) = if in_child {
                let parent = clauses
                    .get(i + 1)
                    .filter(|(t, _)| t.is_none())
                    .map(|_| i + 1);
                (Some(i), parent)
            } else {
                let child = matches!(clauses.get(i + 1), Some((None, _))).then_some(i + 1);
                (child, Some(i))
            };
            if parent.is_some_and(|p| self.body_exits(clauses[p].1)) {
                self.daemonizing_forks.push(fork);
                return None;
            }
            return child.map(|c| (c, fork));
        }
        None
    }

    pub(super) fn record_fork_child(
        &mut self,
        fork: TextRange,
        body: &'a [Stmt],
        following: Option<&'a Stmt>,
    ) {
        let (Some(first), Some(last)) = (body.first(), body.last()) else {
            return;
        };
        let exits = self.body_exits(body);
        // A double-fork wrapper (ansible's `fork_process()`): the child daemonizes (forks
        // again, and that parent exits in its own branch), then returns the fork's result, 0,
        // to the caller, as `os.fork()` itself does; from the end of the branch or by
        // falling out of it into `return pid`. A child that does work and then returns `pid`
        // is not one: it runs the caller's code after its work (the rule's own example).
        let returns_fork_result = |stmt: Option<&'a Stmt>| match stmt {
            Some(Stmt::Return(ast::StmtReturn {
                value: Some(value), ..
            })) => matches!(&**value, Expr::Name(n) if self
                .fork_vars
                .iter()
                .any(|(name, sink, _)| *name == n.id.as_str() && *sink == self.sink)),
            _ => false,
        };
        // No other way out of the branch: no early `return`, `raise` or `sys.exit()`.
        let (init, _) = body.split_at(body.len() - 1);
        let branch = TextRange::new(first.start(), last.end());
        let daemonizes = self
            .daemonizing_forks
            .iter()
            .any(|fork| branch.contains_range(*fork));
        let hands_off_pid = self.sink.is_some()
            && daemonizes
            && !exits
            && !init.iter().any(|s| self.may_leave(s, true))
            && (returns_fork_result(Some(last))
                || (!self.may_leave(last, true) && returns_fork_result(following)));
        let tail_call = match last {
            Stmt::Expr(e) if !exits => match &*e.value {
                Expr::Call(call) => Some(self.eval_quiet(&call.func)),
                _ => None,
            },
            _ => None,
        };
        self.summary.fork_children.push(ForkChild {
            fork,
            body: TextRange::new(first.start(), last.end()),
            exits,
            tail_call,
            returns: matches!(last, Stmt::Return(_)),
            hands_off_pid,
            func: self.sink,
        });
    }

    /// Whether every path through `body` ends the process (`os._exit`, `os.exec*`,
    /// `os.abort`) before it can leave the block: some top-level statement ends it, and no
    /// statement before that one can `return`, `raise`, `break` out or call `sys.exit()`.
    fn body_exits(&self, body: &'a [Stmt]) -> bool {
        for stmt in body {
            if self.stmt_exits(stmt) {
                return true;
            }
            if self.may_leave(stmt, true) {
                return false;
            }
        }
        false
    }

    pub(super) fn stmt_exits(&self, stmt: &'a Stmt) -> bool {
        match stmt {
            Stmt::Expr(e) => matches!(&*e.value, Expr::Call(c) if self.is_exit_call(c)),
            Stmt::If(i) => {
                i.elif_else_clauses.last().is_some_and(|c| c.test.is_none())
                    && self.body_exits(&i.body)
                    && i.elif_else_clauses.iter().all(|c| self.body_exits(&c.body))
            }
            Stmt::Try(t) => {
                self.body_exits(&t.finalbody)
                    || ((self.body_exits(&t.body) || self.body_exits(&t.orelse))
                        && !t.handlers.is_empty()
                        && t.handlers.iter().all(|h| match h {
                            ast::ExceptHandler::ExceptHandler(h) => self.body_exits(&h.body),
                        }))
            }
            Stmt::With(w) => self.body_exits(&w.body),
            // `while True:` without a `break` never falls through.
            Stmt::While(w) => {
                matches!(&*w.test, Expr::BooleanLiteral(b) if b.value) && !breaks_out(&w.body)
            }
            _ => false,
        }
    }

    /// Whether a statement may leave the enclosing block early (`return`, `raise`,
    /// `sys.exit()`, and `break`/`continue` when `loop_exits` — they leave a block, not the
    /// loop that encloses it), looking inside compound statements but not into nested
    /// definitions.
    fn may_leave(&self, stmt: &'a Stmt, loop_exits: bool) -> bool {
        let any =
            |body: &'a [Stmt], loop_exits: bool| body.iter().any(|s| self.may_leave(s, loop_exits));
        match stmt {
            Stmt::Return(_) | Stmt::Raise(_) => true,
            Stmt::Break(_) | Stmt::Continue(_) => loop_exits,
            Stmt::Expr(e) => matches!(&*e.value, Expr::Call(c)
                if matches!(self.eval_quiet(&c.func), Value::Qual(q) if &*q == "sys.exit")),
            Stmt::If(i) => {
                any(&i.body, loop_exits)
                    || i.elif_else_clauses.iter().any(|c| any(&c.body, loop_exits))
            }
            Stmt::Try(t) => {
                any(&t.body, loop_exits)
                    || any(&t.orelse, loop_exits)
                    || any(&t.finalbody, loop_exits)
                    || t.handlers.iter().any(|h| match h {
                        ast::ExceptHandler::ExceptHandler(h) => any(&h.body, loop_exits),
                    })
            }
            Stmt::With(w) => any(&w.body, loop_exits),
            // `break`/`continue` inside a loop stay in it; `return`/`raise` do not.
            Stmt::For(f) => any(&f.body, false) || any(&f.orelse, false),
            Stmt::While(w) => any(&w.body, false) || any(&w.orelse, false),
            Stmt::Match(m) => m.cases.iter().any(|c| any(&c.body, loop_exits)),
            _ => false,
        }
    }

    /// A call the knowledge base says ends the process (`os._exit(...)`, `os.abort()`,
    /// `os.exec*`).
    /// `sys.exit(...)` or `raise SystemExit(...)` as a statement.
    pub(super) fn is_sys_exit(&self, stmt: &'a Stmt) -> bool {
        match stmt {
            Stmt::Expr(e) => matches!(&*e.value, Expr::Call(c)
                if matches!(self.eval_quiet(&c.func), Value::Qual(q) if &*q == "sys.exit")),
            Stmt::Raise(r) => r.exc.as_deref().is_some_and(|exc| {
                let name = match exc {
                    Expr::Call(c) => &*c.func,
                    other => other,
                };
                matches!(name, Expr::Name(n) if n.id.as_str() == "SystemExit")
            }),
            _ => false,
        }
    }

    fn is_exit_call(&self, call: &'a ast::ExprCall) -> bool {
        let Value::Qual(q) = self.eval_quiet(&call.func) else {
            return false;
        };
        self.index
            .knowledge
            .get(&q)
            .is_some_and(|api| api.has(EffectKind::ProcessExit))
    }

    /// A call of a fork the knowledge base knows (`os.fork`, `os.forkpty`, `pty.fork`, ...).
    fn is_fork_call(&mut self, call: &ast::ExprCall) -> bool {
        matches!(self.eval_quiet(&call.func), Value::Qual(q)
            if self.index.knowledge.get(&q).is_some_and(|api| api.spawn == Some(SpawnKind::Fork)))
    }

    /// `pid = os.fork()` or `pid, fd = pty.fork()`: remember the name for the `if` that
    /// picks the child branch.
    pub(super) fn note_fork_var(&mut self, assign: &'a ast::StmtAssign) {
        let Expr::Call(call) = &*assign.value else {
            return;
        };
        if !self.is_fork_call(call) {
            return;
        }
        for target in &assign.targets {
            let name = match target {
                Expr::Name(n) => Some(n),
                Expr::Tuple(t) => match t.elts.first() {
                    Some(Expr::Name(n)) => Some(n),
                    _ => None,
                },
                _ => None,
            };
            if let Some(n) = name {
                self.fork_vars
                    .push((n.id.as_str(), self.sink, call.range()));
            }
        }
    }
}

/// `pid == 0`, `0 == pid`, `not pid` (true in the child), or `pid`, `pid != 0`, `pid > 0`
/// (true in the parent): the expression tested (a name, the fork call, or `(pid := fork())`)
/// and whether the test holds in the child.
fn fork_test(test: &Expr) -> Option<(&Expr, bool)> {
    let is_zero = |e: &Expr| matches!(e, Expr::NumberLiteral(n) if matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)));
    let tested = |e: &Expr| matches!(e, Expr::Name(_) | Expr::Call(_) | Expr::Named(_));
    match test {
        e if tested(e) => Some((e, false)),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not && tested(&u.operand) => {
            Some((&*u.operand, true))
        }
        Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
            let (left, right) = (&*c.left, &c.comparators[0]);
            let (subject, swapped) = match (left, right) {
                (l, r) if tested(l) && is_zero(r) => (l, false),
                (l, r) if is_zero(l) && tested(r) => (r, true),
                _ => return None,
            };
            match (c.ops[0], swapped) {
                (CmpOp::Eq, _) => Some((subject, true)),
                (CmpOp::NotEq, _) => Some((subject, false)),
                (CmpOp::Gt, false) | (CmpOp::Lt, true) => Some((subject, false)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a loop body has a `break` of its own (not one of a nested loop).
pub(super) fn breaks_out(body: &[Stmt]) -> bool {
    body.iter().any(|s| match s {
        Stmt::Break(_) => true,
        Stmt::If(i) => {
            breaks_out(&i.body) || i.elif_else_clauses.iter().any(|c| breaks_out(&c.body))
        }
        Stmt::Try(t) => {
            breaks_out(&t.body)
                || breaks_out(&t.orelse)
                || breaks_out(&t.finalbody)
                || t.handlers.iter().any(|h| match h {
                    ast::ExceptHandler::ExceptHandler(h) => breaks_out(&h.body),
                })
        }
        Stmt::With(w) => breaks_out(&w.body),
        Stmt::Match(m) => m.cases.iter().any(|c| breaks_out(&c.body)),
        _ => false,
    })
}
