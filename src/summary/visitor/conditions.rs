//! `if`/`elif`/`else` clauses: which configured platforms a clause runs on, main guards and
//! `TYPE_CHECKING` blocks, when events are conditional and when the rest of a block cannot
//! run, and tests of a parameter against a literal that a caller's argument can decide.

use ruff_python_ast::visitor::Visitor;
use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};

use crate::settings::{Platform, PythonVersion};
use crate::summary::{Name, ParamGuard, ParamTest, Value};

use super::ModuleVisitor;
use super::eval::{CalleeKind, literal_value};

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    pub(super) fn visit_if(&mut self, stmt: &'a ast::StmtIf) {
        // Read before the clauses are visited: they set it for their own statements.
        let following = self.following;
        if is_type_checking(&stmt.test) {
            // Not a runtime edge: the body never runs. `else:` does.
            for clause in &stmt.elif_else_clauses {
                self.visit_clause(clause.test.as_ref(), &clause.body, false);
            }
            return;
        }
        let at_module_level =
            self.sink.is_none() && !self.scopes.last().is_some_and(|s| s.is_class);
        let guard = if at_module_level {
            main_guard(&stmt.test)
        } else {
            None
        };
        if guard.is_some() {
            self.summary.has_main_guard = true;
        }
        // Clauses whose platform test is false on every configured platform never run; after
        // one that is true on all of them, the rest never run (RULES.md §5.3).
        let clauses = std::iter::once((Some(&*stmt.test), stmt.body.as_slice())).chain(
            stmt.elif_else_clauses
                .iter()
                .map(|c| (c.test.as_ref(), c.body.as_slice())),
        );
        let clauses: Vec<_> = clauses.collect();
        let fork_child = self.fork_child_clause(&clauses);
        // The `else` of a lone `if` runs only when its test is false.
        let constant_first = match clauses.as_slice() {
            [(Some(test), _), (None, _)] => self
                .constant_test(test)
                .map(|(truth, names)| (!truth, names)),
            _ => None,
        };
        // `if not p: … else: <body>`: the `else` runs only when the one test is false.
        let negated_first = match clauses.as_slice() {
            [(Some(test), _), (None, _)] if !matches!(test, Expr::BoolOp(_)) => {
                self.param_tests(test).pop().map(ParamGuard::negated)
            }
            _ => None,
        };
        // Platforms on which no earlier clause was certainly taken, and whether every earlier
        // test was decided by the platform alone (then this clause is not "conditional": its
        // platforms say when it runs).
        let mut remaining = self.platforms;
        let mut decided_so_far = true;
        for (i, (test, body)) in clauses.into_iter().enumerate() {
            if let Some(test) = test {
                if is_type_checking(test) {
                    continue;
                }
                // The test runs (and what it calls) whatever it decides.
                let seen = self.eval_noting(test);
                self.record_test_regions(seen, test, body, stmt.range.end());
            }
            let truth = test.and_then(|t| self.platform_truth(t));
            if truth == Some(false) {
                continue;
            }
            let (mut runs_on, mut taken_on, mut decided) = (remaining, 0u8, true);
            if let Some(test) = test {
                for &platform in self.index.platforms {
                    match self.platform_test(test, platform) {
                        Some(false) => runs_on &= !platform.bit(),
                        Some(true) => taken_on |= platform.bit(),
                        None => decided = false,
                    }
                }
            }
            if runs_on == 0 {
                decided_so_far &= decided;
                remaining &= !taken_on;
                continue;
            }
            // `if __name__ != "__main__": … else: <main>`
            let main = if i == 0 {
                guard == Some(true)
            } else {
                guard == Some(false) && test.is_none()
            };
            let conditional = !(main || decided && decided_so_far);
            let saved_platforms = std::mem::replace(&mut self.platforms, runs_on);
            self.conditional += u32::from(conditional);
            let guards = match test {
                Some(test) => self.param_tests(test),
                None => negated_first.clone().into_iter().collect(),
            };
            // `if debug:` on a module constant `debug = 0`; the `else` of `if not debug:`.
            let constant = match test {
                Some(test) => self.constant_test(test),
                None => constant_first.clone(),
            };
            let first_event = self.function_event_count();
            let first_body_event = self.event_count();
            self.visit_clause(None, body, main);
            self.record_guards(guards, first_event);
            if let Some((false, names)) = constant {
                self.record_constant_guard(names, first_body_event);
            }
            self.conditional -= u32::from(conditional);
            self.platforms = saved_platforms;
            if let Some((clause, fork)) = fork_child
                && clause == i
            {
                self.record_fork_child(fork, body, following);
            }
            decided_so_far &= decided;
            remaining &= !taken_on;
            if truth == Some(true) || test.is_none() {
                // `if not sys.platform.startswith("freebsd"): return False` ends the block
                // here on every configured platform.
                if truth == Some(true) && body.last().is_some_and(terminates) {
                    self.unreachable = true;
                }
                break;
            }
        }
    }

    /// What a platform test (`sys.platform == "win32"`, `sys.platform.startswith("linux")`,
    /// `os.name != "nt"`, `platform.system() in ("Darwin", "Linux")`, and `not`/`and`/`or`
    /// of these) says on every configured platform: `Some` when they all agree, `None` when
    /// they differ or the test is not one forklint reads.
    pub(super) fn platform_truth(&self, test: &'a Expr) -> Option<bool> {
        self.platform_agreement(test, Platform::ALL_BITS)
    }

    /// What a platform test says on the configured platforms the code being walked runs
    /// on (inside `if sys.platform == "win32":`, only Windows): `Some` when they all agree.
    pub(super) fn platform_decides(&self, test: &'a Expr) -> Option<bool> {
        self.platform_agreement(test, self.platforms)
    }

    /// What a platform test says on the configured platforms among `platforms` (bits):
    /// `Some` when they all agree.
    fn platform_agreement(&self, test: &'a Expr, platforms: u8) -> Option<bool> {
        let mut answers = self
            .index
            .platforms
            .iter()
            .filter(|p| platforms & p.bit() != 0)
            .map(|&p| self.platform_test(test, p));
        let first = answers.next()??;
        answers.all(|a| a == Some(first)).then_some(first)
    }

    fn platform_test(&self, test: &'a Expr, platform: Platform) -> Option<bool> {
        decide(test, &mut |leaf| self.platform_leaf(leaf, platform))
    }

    /// One comparison or call of a platform test. A `sys.version_info` comparison that every
    /// configured target version answers alike is decided too: the code under
    /// `if sys.version_info < (3, 9):` never runs when the project needs 3.9 or later.
    fn platform_leaf(&self, test: &'a Expr, platform: Platform) -> Option<bool> {
        if let Some(answer) = self.version_leaf(test) {
            return Some(answer);
        }
        match test {
            Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
                let (left, right) = (&*c.left, &c.comparators[0]);
                let (value, literal) =
                    match (self.platform_probe(left, platform), literal_strings(right)) {
                        (Some(v), Some(l)) => (v, l),
                        _ => match (literal_strings(left), self.platform_probe(right, platform)) {
                            (Some(l), Some(v)) if matches!(c.ops[0], CmpOp::Eq | CmpOp::NotEq) => {
                                (v, l)
                            }
                            _ => return None,
                        },
                    };
                let equal = literal.iter().any(|l| l == value);
                match c.ops[0] {
                    CmpOp::Eq if literal.len() == 1 => Some(equal),
                    CmpOp::NotEq if literal.len() == 1 => Some(!equal),
                    CmpOp::In => Some(equal),
                    CmpOp::NotIn => Some(!equal),
                    _ => None,
                }
            }
            // `sys.platform.startswith("linux")` or `.startswith(("freebsd", "openbsd"))`.
            Expr::Call(call)
                if call.arguments.keywords.is_empty() && call.arguments.args.len() == 1 =>
            {
                let Expr::Attribute(a) = &*call.func else {
                    return None;
                };
                if a.attr.id.as_str() != "startswith" {
                    return None;
                }
                let value = self.platform_probe(&a.value, platform)?;
                let prefixes = literal_strings(&call.arguments.args[0])?;
                Some(prefixes.iter().any(|p| value.starts_with(p.as_str())))
            }
            _ => None,
        }
    }

    /// `sys.version_info` (or `[:n]`, `[i]`, `.major`/`.minor`) compared with a literal
    /// tuple or integer: `Some` when every configured target version gives the same answer.
    /// Only the major and minor numbers are known; a comparison that turns on the micro
    /// version or later parts is not decided.
    fn version_leaf(&self, test: &'a Expr) -> Option<bool> {
        let Expr::Compare(c) = test else {
            return None;
        };
        let ([op], [right]) = (&*c.ops, &*c.comparators) else {
            return None;
        };
        let (probe, literal, op) = match (self.version_probe(&c.left), version_literal(right)) {
            (Some(p), Some(l)) => (p, l, *op),
            _ => (
                self.version_probe(right)?,
                version_literal(&c.left)?,
                flipped(*op)?,
            ),
        };
        let mut answers = self
            .index
            .versions
            .iter()
            .map(|v| compare_version(probe, *v, &literal, op));
        let first = answers.next()??;
        answers.all(|a| a == Some(first)).then_some(first)
    }

    /// What part of `sys.version_info` `expr` reads.
    fn version_probe(&self, expr: &'a Expr) -> Option<VersionProbe> {
        let is_version_info =
            |e: &'a Expr| matches!(self.eval_quiet(e), Value::Qual(q) if &*q == "sys.version_info");
        match expr {
            Expr::Subscript(s) if is_version_info(&s.value) => match &*s.slice {
                Expr::Slice(sl) if sl.lower.is_none() && sl.step.is_none() => {
                    let upper = sl.upper.as_deref().and_then(small_int)?;
                    Some(VersionProbe::Prefix(upper))
                }
                index => Some(VersionProbe::Part(small_int(index)?)),
            },
            _ => match self.eval_quiet(expr) {
                Value::Qual(q) => match &*q {
                    "sys.version_info" => Some(VersionProbe::Prefix(5)),
                    "sys.version_info.major" => Some(VersionProbe::Part(0)),
                    "sys.version_info.minor" => Some(VersionProbe::Part(1)),
                    _ => None,
                },
                _ => None,
            },
        }
    }

    /// The value `expr` has on `platform`, if it is `sys.platform`, `os.name` or
    /// `platform.system()`.
    fn platform_probe(&self, expr: &'a Expr, platform: Platform) -> Option<&'static str> {
        let (name, called) = match expr {
            Expr::Call(call) if call.arguments.is_empty() => (self.eval_quiet(&call.func), true),
            _ => (self.eval_quiet(expr), false),
        };
        let Value::Qual(q) = name else {
            return None;
        };
        Some(match (&*q, called, platform) {
            ("sys.platform", false, Platform::Linux) => "linux",
            ("sys.platform", false, Platform::Macos) => "darwin",
            ("sys.platform", false, Platform::Windows) => "win32",
            ("os.name", false, Platform::Windows) => "nt",
            ("os.name", false, _) => "posix",
            ("platform.system", true, Platform::Linux) => "Linux",
            ("platform.system", true, Platform::Macos) => "Darwin",
            ("platform.system", true, Platform::Windows) => "Windows",
            _ => return None,
        })
    }

    /// `version = get_complete_version(version)`: a parameter passed through a project call
    /// and bound back to its own name still counts as that parameter (django normalises its
    /// `VERSION` tuple this way). The entry to restore after the assignment rebinds it.
    pub(super) fn param_passed_through(
        &self,
        assign: &'a ast::StmtAssign,
    ) -> Option<ParamSlot<'a>> {
        let [Expr::Name(target)] = assign.targets.as_slice() else {
            return None;
        };
        let Expr::Call(call) = &*assign.value else {
            return None;
        };
        let Some(Expr::Name(first)) = call.arguments.args.first() else {
            return None;
        };
        let kept = self
            .params
            .iter()
            .find(|p| p.name == target.id.as_str() && p.name == first.id.as_str())
            .cloned()?;
        let callee = self.eval_quiet(&call.func);
        matches!(self.callee_kind(&callee), CalleeKind::Project).then_some(kept)
    }

    /// The conjuncts of an `if` test that test a parameter: `version[3] == "alpha" and
    /// version[4] == 0` gives two; `if with_scheduler:`, `if not p:`, `if p is None:` one.
    /// In a method, a test of an attribute of the receiver (`if not self._closed:`) too,
    /// unless the method stored to it first: a caller's `self._closed = True` before
    /// `self.m()` decides it ([`super::receiver_facts`]).
    fn param_tests(&self, test: &'a Expr) -> Vec<ParamGuard> {
        if self.params.is_empty() && self.sink.is_none() {
            return Vec::new();
        }
        let conjuncts: &[Expr] = match test {
            Expr::BoolOp(b) if b.op == ast::BoolOp::And => &b.values,
            other => std::slice::from_ref(other),
        };
        let mut out = Vec::new();
        for c in conjuncts {
            let Some((subject, test)) = tested(c) else {
                continue;
            };
            match subject {
                Expr::Name(n) => {
                    let name = n.id.as_str();
                    let Some(param) = self.params.iter().find(|p| p.name == name) else {
                        continue;
                    };
                    out.push(ParamGuard {
                        events: 0..0,
                        position: param.position,
                        name: Name::new(name),
                        default: param.default.clone(),
                        attr: None,
                        test,
                    });
                }
                Expr::Attribute(a) => {
                    let Expr::Name(receiver) = &*a.value else {
                        continue;
                    };
                    let attr = a.attr.id.as_str();
                    let is_receiver = matches!(
                        self.eval_quiet(&a.value),
                        Value::SelfAttr { ref path, .. } if path.is_empty()
                    );
                    if !is_receiver || self.receiver_facts.stored_before(attr) {
                        continue;
                    }
                    out.push(ParamGuard {
                        events: 0..0,
                        position: Some(0),
                        name: Name::new(receiver.id.as_str()),
                        default: None,
                        attr: Some(Name::new(attr)),
                        test,
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// How many events the function being walked has so far (0 at module level).
    fn function_event_count(&self) -> u32 {
        self.sink.map_or(0, |f| {
            self.summary.functions[f as usize].events.len() as u32
        })
    }

    /// Records the guards of an `if` body whose events start at `first_event`.
    fn record_guards(&mut self, guards: Vec<ParamGuard>, first_event: u32) {
        let Some(f) = self.sink else { return };
        let end = self.function_event_count();
        if end == first_event {
            return;
        }
        for mut guard in guards {
            guard.events = first_event..end;
            self.summary.functions[f as usize].guards.push(guard);
        }
    }

    fn visit_clause(&mut self, test: Option<&'a Expr>, body: &'a [Stmt], main: bool) {
        if let Some(test) = test {
            if is_type_checking(test) {
                return;
            }
            self.eval(test);
        }
        let saved = self.in_main_guard;
        self.in_main_guard |= main;
        self.visit_body(body);
        self.in_main_guard = saved;
    }
}

/// A parameter of the function being walked that a test may be a guard on.
#[derive(Clone, Debug)]
pub(super) struct ParamSlot<'a> {
    pub(super) name: &'a str,
    /// Among the positional parameters, the receiver included (`None`: keyword-only).
    pub(super) position: Option<u32>,
    /// The default, when it is a literal.
    pub(super) default: Option<Value>,
}

impl<'a> ParamSlot<'a> {
    /// The parameters a test can be a guard on: not the receiver of a method (`receiver`),
    /// nor `*args`/`**kwargs`.
    pub(super) fn of(params: &'a ast::Parameters, receiver: bool) -> Vec<ParamSlot<'a>> {
        let positional = params.posonlyargs.iter().chain(&params.args).enumerate();
        let positional = positional.map(|(i, p)| (p, Some(i as u32)));
        let keyword_only = params.kwonlyargs.iter().map(|p| (p, None));
        positional
            .chain(keyword_only)
            .filter(|(_, position)| !(receiver && *position == Some(0)))
            .map(|(p, position)| ParamSlot {
                name: p.parameter.name.id.as_str(),
                position,
                default: p.default.as_deref().and_then(literal_value),
            })
            .collect()
    }
}

/// A test of one name: `p`, `not p`, `p == LIT`, `p[k] != LIT`, `p is None`, `p is not
/// True`; the name and what is tested.
pub(super) fn param_test(test: &Expr) -> Option<(&str, ParamTest)> {
    match tested(test)? {
        (Expr::Name(n), t) => Some((n.id.as_str(), t)),
        _ => None,
    }
}

/// A test of one subject against a literal or its truth: the subject is a name (`p`, the
/// `p` of `p[k] == LIT`, whose index the test keeps) or an attribute (`self.closed`,
/// `self.mode == "r"`); what is tested.
fn tested(test: &Expr) -> Option<(&Expr, ParamTest)> {
    let subject = |e: &Expr| matches!(e, Expr::Name(_) | Expr::Attribute(_));
    match test {
        e if subject(e) => Some((e, ParamTest::Truth(true))),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not && subject(&u.operand) => {
            Some((&*u.operand, ParamTest::Truth(false)))
        }
        Expr::Compare(cmp) => {
            let ([op], [right]) = (&*cmp.ops, &*cmp.comparators) else {
                return None;
            };
            let (equal, identity) = match op {
                CmpOp::Eq => (true, false),
                CmpOp::NotEq => (false, false),
                CmpOp::Is => (true, true),
                CmpOp::IsNot => (false, true),
                _ => return None,
            };
            let (subject, index) = match &*cmp.left {
                e if subject(e) => (&*cmp.left, None),
                Expr::Subscript(sub) => match (&*sub.value, &*sub.slice) {
                    (Expr::Name(_), Expr::NumberLiteral(k)) => match &k.value {
                        ast::Number::Int(k) => {
                            let k = k.as_u64().and_then(|k| u32::try_from(k).ok())?;
                            (&*sub.value, Some(k))
                        }
                        _ => return None,
                    },
                    _ => return None,
                },
                _ => return None,
            };
            let literal = literal_value(right)?;
            Some((
                subject,
                ParamTest::Compare {
                    index,
                    equal,
                    identity,
                    literal,
                },
            ))
        }
        _ => None,
    }
}

/// What a test made of `not`, `and` and `or` of tests `leaf` decides says (`None`: not
/// decided).
pub(super) fn decide<'e>(
    test: &'e Expr,
    leaf: &mut dyn FnMut(&'e Expr) -> Option<bool>,
) -> Option<bool> {
    match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => decide(&u.operand, leaf).map(|b| !b),
        Expr::BoolOp(b) => {
            let answers: Vec<Option<bool>> = b.values.iter().map(|v| decide(v, leaf)).collect();
            let (decisive, other) = match b.op {
                ast::BoolOp::And => (false, true),
                ast::BoolOp::Or => (true, false),
            };
            if answers.contains(&Some(decisive)) {
                Some(decisive)
            } else if answers.iter().all(|a| *a == Some(other)) {
                Some(other)
            } else {
                None
            }
        }
        other => leaf(other),
    }
}

/// What a version test reads of `sys.version_info`, a 5-tuple (major, minor, micro,
/// releaselevel, serial).
#[derive(Clone, Copy, Debug)]
enum VersionProbe {
    /// Its first `n` parts, as a tuple (`sys.version_info` itself is `Prefix(5)`).
    Prefix(usize),
    /// One part, by index.
    Part(usize),
}

/// A non-negative integer literal that fits an index.
fn small_int(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_usize(),
            _ => None,
        },
        _ => None,
    }
}

/// `(3, 9)` or `3`: the integers a version is compared with.
fn version_literal(expr: &Expr) -> Option<Vec<usize>> {
    match expr {
        Expr::Tuple(t) => t.elts.iter().map(small_int).collect(),
        other => small_int(other).map(|i| vec![i]),
    }
}

/// The operator that gives the same answer with its operands swapped.
fn flipped(op: CmpOp) -> Option<CmpOp> {
    Some(match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtE => CmpOp::GtE,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtE => CmpOp::LtE,
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::NotEq => CmpOp::NotEq,
        _ => return None,
    })
}

/// `probe <op> literal` on `version`, when the major and minor numbers settle it.
fn compare_version(
    probe: VersionProbe,
    version: PythonVersion,
    literal: &[usize],
    op: CmpOp,
) -> Option<bool> {
    use std::cmp::Ordering;
    let known = [usize::from(version.major), usize::from(version.minor)];
    let ordering = match probe {
        VersionProbe::Part(i) => {
            // A part compared with a tuple is never equal and not ordered (TypeError).
            let [value] = literal else {
                return None;
            };
            known.get(i)?.cmp(value)
        }
        VersionProbe::Prefix(n) => {
            let mut ordering = None;
            for (i, value) in literal.iter().enumerate().take(n) {
                let part = known.get(i)?;
                if part != value {
                    ordering = Some(part.cmp(value));
                    break;
                }
            }
            // Equal on the shared parts: the longer tuple is the greater.
            ordering.unwrap_or_else(|| n.min(5).cmp(&literal.len()))
        }
    };
    Some(match op {
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::LtE => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::GtE => ordering != Ordering::Less,
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::NotEq => ordering != Ordering::Equal,
        _ => return None,
    })
}

/// Whether a block ending in `stmt` leaves it (so nothing after the block's `if` runs).
pub(super) fn terminates(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Return(_) | Stmt::Raise(_))
}

/// The string literals of `expr`: one for a string, each for a tuple, list or set of strings.
fn literal_strings(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::StringLiteral(s) => Some(vec![s.value.to_str().to_string()]),
        Expr::Tuple(t) => t.elts.iter().map(single_string).collect(),
        Expr::List(l) => l.elts.iter().map(single_string).collect(),
        Expr::Set(set) => set.elts.iter().map(single_string).collect(),
        _ => None,
    }
}

fn single_string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

/// `TYPE_CHECKING`, `typing.TYPE_CHECKING`, `t.TYPE_CHECKING` and `False`.
fn is_type_checking(test: &Expr) -> bool {
    match test {
        Expr::Name(n) => n.id.as_str() == "TYPE_CHECKING",
        Expr::Attribute(a) => a.attr.id.as_str() == "TYPE_CHECKING",
        Expr::BooleanLiteral(b) => !b.value,
        _ => false,
    }
}

fn is_dunder_name(e: &Expr) -> bool {
    matches!(e, Expr::Name(n) if n.id.as_str() == "__name__")
}

fn is_main_str(e: &Expr) -> bool {
    match e {
        Expr::StringLiteral(s) => s.value.to_str() == "__main__",
        Expr::Tuple(t) => t.elts.iter().any(is_main_str),
        Expr::List(l) => l.elts.iter().any(is_main_str),
        Expr::Set(s) => s.elts.iter().any(is_main_str),
        _ => false,
    }
}

/// `Some(true)`: the body runs only as the main script; `Some(false)`: the body runs only
/// when imported (so the `else:` is the main flow); `None`: not a main guard.
fn main_guard(test: &Expr) -> Option<bool> {
    match test {
        Expr::Compare(cmp) if cmp.ops.len() == 1 => {
            let (l, r) = (&*cmp.left, &cmp.comparators[0]);
            let names_main =
                (is_dunder_name(l) && is_main_str(r)) || (is_main_str(l) && is_dunder_name(r));
            if !names_main {
                return None;
            }
            match cmp.ops[0] {
                CmpOp::Eq | CmpOp::In | CmpOp::Is => Some(true),
                CmpOp::NotEq | CmpOp::NotIn | CmpOp::IsNot => Some(false),
                _ => None,
            }
        }
        // `cond and __name__ == "__main__"`: the body still runs only as main.
        Expr::BoolOp(b) if b.op == ast::BoolOp::And => b
            .values
            .iter()
            .any(|v| main_guard(v) == Some(true))
            .then_some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_guard_spellings() {
        let guard = |src: &str| {
            let parsed = ruff_python_parser::parse_expression(src).unwrap();
            main_guard(parsed.expr())
        };
        assert_eq!(guard("__name__ == '__main__'"), Some(true));
        assert_eq!(guard("'__main__' == __name__"), Some(true));
        assert_eq!(guard("__name__ in ('__main__',)"), Some(true));
        assert_eq!(guard("x and __name__ == \"__main__\""), Some(true));
        assert_eq!(guard("__name__ != '__main__'"), Some(false));
        assert_eq!(guard("__name__ == 'other'"), None);
        assert_eq!(guard("x or __name__ == '__main__'"), None);
    }

    fn decide_on(probe: VersionProbe, minor: u8, literal: &[usize], op: CmpOp) -> Option<bool> {
        compare_version(probe, PythonVersion::new(3, minor), literal, op)
    }

    #[test]
    fn version_tests_are_decided_by_major_and_minor_only() {
        let whole = VersionProbe::Prefix(5);
        assert_eq!(decide_on(whole, 8, &[3, 9], CmpOp::Lt), Some(true));
        assert_eq!(decide_on(whole, 9, &[3, 9], CmpOp::Lt), Some(false));
        assert_eq!(decide_on(whole, 9, &[3, 9], CmpOp::GtE), Some(true));
        // `sys.version_info` is a 5-tuple: never equal to a pair, greater than its prefix.
        assert_eq!(decide_on(whole, 9, &[3, 9], CmpOp::Eq), Some(false));
        assert_eq!(decide_on(whole, 9, &[3], CmpOp::Gt), Some(true));
        // `[:2]` is the pair itself.
        assert_eq!(
            decide_on(VersionProbe::Prefix(2), 9, &[3, 9], CmpOp::Eq),
            Some(true)
        );
        // The micro version is not known.
        assert_eq!(decide_on(whole, 9, &[3, 9, 1], CmpOp::GtE), None);
        assert_eq!(decide_on(whole, 10, &[3, 9, 1], CmpOp::GtE), Some(true));
        // One part against an integer; against a tuple it is a TypeError, not decided.
        assert_eq!(
            decide_on(VersionProbe::Part(0), 12, &[3], CmpOp::GtE),
            Some(true)
        );
        assert_eq!(
            decide_on(VersionProbe::Part(1), 12, &[13], CmpOp::Lt),
            Some(true)
        );
        assert_eq!(decide_on(VersionProbe::Part(2), 12, &[0], CmpOp::Eq), None);
        assert_eq!(
            decide_on(VersionProbe::Part(0), 12, &[3, 0], CmpOp::Eq),
            None
        );
    }
}
