//! Ranges of code that run under a condition the rules care about: a main-thread check, an
//! `is_running()` test, a cancel shield or deadline, a held `with` lock, and loops that run
//! until stopped.

use std::sync::Arc;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::knowledge::EffectKind;
use crate::summary::{
    ArgShape, EventKind, Instance, LongLoop, LoopStop, Name, Region, RegionKind, SharedName,
    StopSignal, Value,
};

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
            // The exit is keyed by the manager expression's range: for `with Writer() as w:`
            // that is the constructor call, whose result the value flow knows, so a thread
            // the constructor started is the one leaving the block waits for.
            managers.push((item.context_expr.range(), v));
        }
        let body = body_range(&with.body);
        for (kind, item) in scopes {
            self.push_region(kind, item, body);
        }
        // `with contextlib.suppress(ImportError): import fcntl` is a fallback.
        let caught = u32::from(with.items.iter().any(|item| {
            let Expr::Call(c) = &item.context_expr else {
                return false;
            };
            let suppress = match &*c.func {
                Expr::Name(n) => n.id.as_str() == "suppress",
                Expr::Attribute(a) => a.attr.id.as_str() == "suppress",
                _ => false,
            };
            suppress
                && c.arguments
                    .args
                    .iter()
                    .any(super::imports::names_import_error)
        }));
        self.import_errors_caught += caught;
        // The block runs whenever the `with` does: what it stores holds after it.
        self.visit_block(&with.body);
        self.import_errors_caught -= caught;
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
        let always = match &*w.test {
            Expr::BooleanLiteral(b) => b.value,
            Expr::NumberLiteral(n) => {
                matches!(&n.value, ast::Number::Int(i) if i.as_u8() != Some(0))
            }
            _ => false,
        };
        let Some(f) = self.sink else {
            // The top level, outside the main guard and on every path: a `while True:` that
            // only an exception ends means importing the module never returns
            // ([`ModuleSummary::runs_forever`]).
            if always
                && self.conditional == 0
                && !self.in_main_guard
                && !breaks_out(&w.body)
                && !returns_inside(&w.body)
            {
                self.summary.runs_forever = true;
            }
            return;
        };
        let until_stopped = always || runs_until_stopped(&w.test);
        let func = &mut self.summary.functions[f as usize];
        if !until_stopped || func.long_loop.is_some() {
            return;
        }
        let forever = always && !breaks_out(&w.body) && !returns_inside(&w.body);
        let (stops, other_exits) = if forever {
            (Vec::new(), false)
        } else {
            match loop_stops(w, always) {
                Some(stops) => (stops, false),
                None => (
                    (!always)
                        .then(|| flag_test(&w.test, false))
                        .flatten()
                        .into_iter()
                        .collect(),
                    true,
                ),
            }
        };
        func.long_loop = Some(LongLoop {
            range: w.range,
            forever,
            works,
            stops: Arc::from(stops),
            other_exits,
        });
    }

    /// Records a stop signal the function being walked sends ([`StopSignal`]).
    pub(super) fn note_stop_signal(&mut self, signal: StopSignal) {
        let signals = match self.sink {
            Some(f) => &mut self.summary.functions[f as usize].stop_signals,
            None => &mut self.summary.body_stop_signals,
        };
        if !signals.contains(&signal) {
            signals.push(signal);
        }
    }
}

/// Every way out of a long `while` loop, when each is a stop signal another function can
/// send: the loop's own test on an attribute (`while self.running:`), and each `break` or
/// `return` in it under an `if` on an attribute (`if not self.running: return`) or on a
/// value read from a queue being `None` (`item = self.q.get()` … `if item is None: break`).
/// `None` when some way out is anything else (a count, a call, a bare `break`).
fn loop_stops(w: &ast::StmtWhile, always: bool) -> Option<Vec<LoopStop>> {
    let mut stops = Vec::new();
    if !always {
        stops.push(flag_test(&w.test, false)?);
    }
    let mut gets: Vec<(&str, Option<SharedName>)> = Vec::new();
    if !exits_are_stops(&w.body, false, &mut gets, &mut stops) {
        return None;
    }
    Some(stops)
}

/// `x.attr` or `not x.attr` as a test: the flag, and the value that makes the test hold
/// (`holds_when` of the attribute) mapped to the loop's stop: for a `while` test the loop
/// stops when the test fails (`holds` = `false`), for an `if` around an exit when it holds.
/// `x.ev.is_set()` and `x.ev.wait(...)` are an event's test: the loop stops when it is set.
fn flag_test(test: &Expr, holds: bool) -> Option<LoopStop> {
    match test {
        Expr::Call(c) if holds => {
            let Expr::Attribute(m) = &*c.func else {
                return None;
            };
            if !matches!(m.attr.id.as_str(), "is_set" | "wait") {
                return None;
            }
            let name = match &*m.value {
                Expr::Attribute(e) => e.attr.id.as_str(),
                Expr::Name(n) => n.id.as_str(),
                _ => return None,
            };
            Some(LoopStop::Event {
                name: name.into(),
                test: c.range(),
            })
        }
        Expr::Attribute(a) => Some(LoopStop::Flag {
            attr: a.attr.id.as_str().into(),
            stop_when: holds,
        }),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => flag_test(&u.operand, !holds),
        _ => None,
    }
}

/// Whether every `break` (of this loop) and `return` in `body` is under an `if` whose test
/// is a stop signal; the stops are added to `stops`. `gets` holds the names assigned from a
/// queue's `get` so far, with the attribute holding the queue.
fn exits_are_stops<'a>(
    body: &'a [Stmt],
    nested_loop: bool,
    gets: &mut Vec<(&'a str, Option<SharedName>)>,
    stops: &mut Vec<LoopStop>,
) -> bool {
    for stmt in body {
        let ok = match stmt {
            Stmt::Break(_) => nested_loop,
            Stmt::Return(_) => false,
            Stmt::Assign(a) => {
                if let [Expr::Name(n)] = a.targets.as_slice() {
                    gets.retain(|(g, _)| *g != n.id.as_str());
                    if let Expr::Call(c) = &*a.value
                        && let Expr::Attribute(m) = &*c.func
                        && matches!(m.attr.id.as_str(), "get" | "get_nowait")
                    {
                        let queue = match &*m.value {
                            Expr::Attribute(q) => Some(q.attr.id.as_str().into()),
                            _ => None,
                        };
                        gets.push((n.id.as_str(), queue));
                    }
                }
                true
            }
            Stmt::If(i) => {
                let clauses = std::iter::once((Some(&*i.test), &i.body)).chain(
                    i.elif_else_clauses
                        .iter()
                        .map(|c| (c.test.as_ref(), &c.body)),
                );
                let mut ok = true;
                for (test, body) in clauses {
                    let exits_here = body.iter().any(|s| {
                        matches!(s, Stmt::Return(_))
                            || (!nested_loop && matches!(s, Stmt::Break(_)))
                    });
                    if exits_here {
                        match test.and_then(|t| stop_test(t, gets)) {
                            Some(stop) => stops.push(stop),
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    let rest: Vec<&Stmt> = body
                        .iter()
                        .filter(|s| !matches!(s, Stmt::Return(_) | Stmt::Break(_)))
                        .collect();
                    if !rest.iter().all(|s| {
                        exits_are_stops(std::slice::from_ref(*s), nested_loop, gets, stops)
                    }) {
                        ok = false;
                        break;
                    }
                }
                ok
            }
            Stmt::While(l) => {
                exits_are_stops(&l.body, true, gets, stops)
                    && exits_are_stops(&l.orelse, nested_loop, gets, stops)
            }
            Stmt::For(l) => {
                exits_are_stops(&l.body, true, gets, stops)
                    && exits_are_stops(&l.orelse, nested_loop, gets, stops)
            }
            Stmt::Try(t) => {
                exits_are_stops(&t.body, nested_loop, gets, stops)
                    && t.handlers.iter().all(|h| match h {
                        ast::ExceptHandler::ExceptHandler(h) => {
                            exits_are_stops(&h.body, nested_loop, gets, stops)
                        }
                    })
                    && exits_are_stops(&t.orelse, nested_loop, gets, stops)
                    && exits_are_stops(&t.finalbody, nested_loop, gets, stops)
            }
            Stmt::With(w) => exits_are_stops(&w.body, nested_loop, gets, stops),
            Stmt::Match(m) => m
                .cases
                .iter()
                .all(|c| exits_are_stops(&c.body, nested_loop, gets, stops)),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// An `if` test around a loop exit that is a stop signal: a flag, or a value read from a
/// queue compared with `None` (`item is None`, `item == None`).
fn stop_test(test: &Expr, gets: &[(&str, Option<SharedName>)]) -> Option<LoopStop> {
    if let Expr::Compare(c) = test
        && let ([op], [right], Expr::Name(n)) = (&*c.ops, &*c.comparators, &*c.left)
        && matches!(op, ast::CmpOp::Is | ast::CmpOp::Eq)
        && matches!(right, Expr::NoneLiteral(_))
    {
        let (_, queue) = gets.iter().rev().find(|(g, _)| *g == n.id.as_str())?;
        return Some(LoopStop::Sentinel {
            attr: queue.clone(),
        });
    }
    flag_test(test, true)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The stops of the first `while` of `src`.
    fn stops(src: &str) -> Option<Vec<LoopStop>> {
        let parsed = ruff_python_parser::parse_module(src).unwrap();
        let Some(Stmt::While(w)) = parsed.suite().first() else {
            panic!("not a while loop: {src}");
        };
        let always = matches!(&*w.test, Expr::BooleanLiteral(b) if b.value);
        loop_stops(w, always)
    }

    fn flag(attr: &str, stop_when: bool) -> LoopStop {
        LoopStop::Flag {
            attr: attr.into(),
            stop_when,
        }
    }

    #[test]
    fn loop_tests_on_attributes_are_flags() {
        assert_eq!(
            stops("while self.running:\n    work()\n"),
            Some(vec![flag("running", false)])
        );
        assert_eq!(
            stops("while not self.closed:\n    work()\n"),
            Some(vec![flag("closed", true)])
        );
        // A count, or a call other than an event's test, is not a stop another function sends.
        assert_eq!(stops("while not ready():\n    work()\n"), None);
        assert_eq!(stops("while n:\n    n -= 1\n"), None);
        // An event's test: the loop stops when it is set.
        let event = |src: &str| match stops(src).as_deref() {
            Some([LoopStop::Event { name, .. }]) => Some(name.to_string()),
            _ => None,
        };
        assert_eq!(
            event("while not self.stop.is_set():\n    work()\n").as_deref(),
            Some("stop")
        );
        assert_eq!(
            event("while not STOP.wait(1):\n    work()\n").as_deref(),
            Some("STOP")
        );
        assert_eq!(
            event("while True:\n    if ev.is_set():\n        break\n").as_deref(),
            Some("ev")
        );
        assert_eq!(event("while ev.is_set():\n    work()\n"), None);
    }

    #[test]
    fn exits_under_flag_and_sentinel_tests() {
        let src = "while True:\n    try:\n        x = q.get(timeout=1)\n    except Empty:\n        if not self.running:\n            return\n        continue\n    use(x)\n";
        assert_eq!(stops(src), Some(vec![flag("running", false)]));
        let src = "while True:\n    item = self.pending.get()\n    if item is None:\n        break\n    send(item)\n";
        assert_eq!(
            stops(src),
            Some(vec![LoopStop::Sentinel {
                attr: Some("pending".into())
            }])
        );
        // A `break` of an inner loop does not leave this one.
        let src = "while self.running:\n    for x in xs:\n        if x:\n            break\n";
        assert_eq!(stops(src), Some(vec![flag("running", false)]));
    }

    #[test]
    fn other_exits_are_not_understood() {
        assert_eq!(stops("while True:\n    if done():\n        break\n"), None);
        assert_eq!(stops("while True:\n    work()\n    return\n"), None);
        assert_eq!(
            stops("while True:\n    if self.stopped:\n        break\n    else:\n        return\n"),
            None
        );
        // `item` was not read from a queue.
        assert_eq!(
            stops("while True:\n    item = compute()\n    if item is None:\n        break\n"),
            None
        );
    }

    #[test]
    fn signals_trigger_matching_stops() {
        let store = |attr: &str, truth: Option<bool>| StopSignal::Store {
            attr: attr.into(),
            truth,
        };
        assert!(flag("running", false).triggered_by(&store("running", Some(false))));
        assert!(flag("running", false).triggered_by(&store("running", None)));
        assert!(!flag("running", false).triggered_by(&store("running", Some(true))));
        assert!(!flag("running", false).triggered_by(&store("other", Some(false))));
        let sentinel = LoopStop::Sentinel {
            attr: Some("q".into()),
        };
        assert!(sentinel.triggered_by(&StopSignal::PutNone {
            attr: Some("q".into())
        }));
        assert!(sentinel.triggered_by(&StopSignal::PutNone { attr: None }));
        assert!(!sentinel.triggered_by(&StopSignal::PutNone {
            attr: Some("other".into())
        }));
    }
}
