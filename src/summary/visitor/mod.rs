//! The one pass over each AST.
//!
//! The module body is walked in source order; function, method and lambda bodies are walked
//! after the body that defines them is complete, so global names resolve to their final
//! bindings (as they do when Python calls the function) and closures see their enclosing
//! function's locals. Every node is still visited exactly once.
//!
//! This file holds the walk itself: the visitor's state, statement dispatch, deferred bodies
//! and the depth limit. What the walk does with each kind of construct lives in the child
//! modules, one concern each.

mod code_string;
mod conditions;
mod constants;
mod definitions;
mod eval;
mod fork_child;
mod imports;
mod prescan;
mod receiver_facts;
mod regions;
mod scope;

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::visitor::{Visitor, walk_stmt};
use ruff_python_ast::{self as ast, Expr, Parameters, PySourceType, Stmt};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::{
    ClassIdx, Event, EventKind, FuncIdx, Handle, Incomplete, Instance, ModuleSummary, Name, QName,
    Receiver, RegionKind, SelfPath, SharedName, StopSignal, SyntaxProblem, Value,
};

use std::sync::Arc;

use conditions::ParamSlot;
use imports::parent;
use prescan::{Prescan, prescan, scan_tokens, too_many_brackets};
use regions::SEEN_IS_RUNNING;
use scope::{QualPrefix, Scope};

/// The largest source lowered to the value-flow IR (see `summarize`). The largest files of
/// the standard library are under 1 MiB; generated modules run to tens of megabytes.
const MAX_FLOW_SOURCE_BYTES: usize = 8 * 1024 * 1024;

pub use prescan::{MAX_NESTING, MAX_STATEMENT_BYTES};
pub use scope::{Assumption, ProjectIndex, Query};

/// Deepest statement/expression/definition nesting the visitor follows. CPython itself stops
/// near 3,000 (3.11 refuses `-`, `.a`, `**`, `lambda:` or `a + ` nested 2,993 deep with
/// `MemoryError`/`RecursionError` at compile time), so real code is far below this; past it
/// the rest is not followed and the file gets a warning ([`ModuleSummary::incomplete`]).
/// Every level costs a few stack frames: the worker stacks are sized for this bound.
pub const MAX_VISIT_DEPTH: usize = 4_000;

/// Parses `source` and summarises it. Never panics on any input it is given; syntax errors
/// are recorded in the summary (and the module is then summarised from what did parse).
pub fn summarize(
    source: &str,
    module: &str,
    is_package: bool,
    index: &ProjectIndex<'_>,
) -> ModuleSummary {
    let mut summary = summarize_body(source, module, is_package, index);
    summary.assumptions = index.take_assumptions();
    summary
}

fn summarize_body(
    source: &str,
    module: &str,
    is_package: bool,
    index: &ProjectIndex<'_>,
) -> ModuleSummary {
    let mut summary = ModuleSummary {
        module: module.to_string(),
        is_package,
        has_shebang: source.starts_with("#!"),
        ..ModuleSummary::default()
    };
    // The parser needs stack in proportion to one statement's nesting (about 64 bytes a
    // level), and a statement of N bytes nests at most N levels: a file no longer than
    // MAX_STATEMENT_BYTES cannot hold a statement that needs more than the analysis threads
    // have, so only longer files are scanned before parsing.
    if source.len() > MAX_STATEMENT_BYTES {
        match prescan(source) {
            Prescan::Fine => {}
            Prescan::TooManyBrackets(offset) => {
                summary
                    .syntax_errors
                    .push(too_many_brackets(TextSize::new(offset as u32)));
                return summary;
            }
            Prescan::StatementTooLong(offset) => {
                summary.incomplete = Some(Incomplete {
                    range: TextRange::empty(TextSize::new(offset as u32)),
                    reason: format!(
                        "a single statement longer than {} MiB; forklint did not analyse this \
                         file",
                        MAX_STATEMENT_BYTES >> 20
                    ),
                });
                return summary;
            }
        }
    }
    let parsed = parse_unchecked_source(source, PySourceType::Python);
    let scanned = scan_tokens(source, parsed.tokens());
    if let Some(offset) = scanned.too_deep {
        summary.syntax_errors.push(too_many_brackets(offset));
        return summary;
    }
    if !scanned.noqa_comments.is_empty() {
        summary.suppressions = crate::suppression::scan(source, scanned.noqa_comments.into_iter());
        if !summary.suppressions.lines.is_empty() {
            summary.suppressions.mapping =
                crate::suppression::noqa_mapping(source, parsed.tokens());
        }
    }
    if let Some(err) = parsed.errors().first() {
        summary.syntax_errors.push(SyntaxProblem {
            range: err.location,
            message: err.error.to_string(),
        });
        // A module Python cannot compile never runs: summarising the recovered tree would
        // report effects of code that cannot execute.
        return summary;
    }
    let mut v = ModuleVisitor::new(&mut summary, index, source);
    v.visit_module(parsed.syntax().body.as_slice());
    v.finish_made();
    v.finish_constant_guards();
    let platform_choices = std::mem::take(&mut v.platform_choices);
    // A file nested past what the visitor follows is not lowered either: its value flow is
    // left out (no objects are followed through it), and the lowering's own recursion stays
    // within the visitor's bound. Nor is a file past `MAX_FLOW_SOURCE_BYTES`: such files are
    // generated (tables, protocol stubs), their IR would take gigabytes (a 50 MB file of
    // `x = 1` lines is 17 million operations), and no thread is passed around in them.
    if summary.incomplete.is_none() && source.len() <= MAX_FLOW_SOURCE_BYTES {
        summary.flow = std::sync::Arc::new(super::flow::lower_choosing(
            parsed.syntax().body.as_slice(),
            module,
            is_package,
            &platform_choices,
        ));
    }
    // A name defined twice (`if win: def f() … else: def f()`) resolves to its first
    // definition: deterministic, though a call may run either.
    for (i, f) in summary.functions.iter().enumerate() {
        summary
            .function_index
            .entry(f.qualname.clone())
            .or_insert(i as FuncIdx);
    }
    for (i, c) in summary.classes.iter().enumerate() {
        summary
            .class_index
            .entry(c.qualname.clone())
            .or_insert(i as ClassIdx);
    }
    summary
}

/// The configured platforms, as [`Platform::bit`](crate::settings::Platform::bit)s.
fn configured_platforms(index: &ProjectIndex<'_>) -> u8 {
    index.platforms.iter().fold(0, |m, p| m | p.bit())
}

/// A function body waiting to be walked once its definer is complete.
struct Pending<'a> {
    idx: FuncIdx,
    body: PendingBody<'a>,
    parameters: Option<&'a Parameters>,
    /// For methods: the class whose instance the first parameter is.
    class: Option<ClassIdx>,
    /// Calls reach the body with the arguments as written (no decorator but the few that
    /// keep them), so that tests on its parameters are [`ParamGuard`](super::ParamGuard)s.
    guardable: bool,
    qual_prefix: QualPrefix<'a>,
    /// Nesting depth where it was defined: its body continues from there.
    depth: usize,
}

enum PendingBody<'a> {
    Stmts(&'a [Stmt]),
    Lambda(&'a Expr),
}

struct ModuleVisitor<'s, 'i, 'a> {
    summary: &'s mut ModuleSummary,
    index: &'i ProjectIndex<'i>,
    scopes: Vec<Scope<'a>>,
    pending: Vec<Vec<Pending<'a>>>,
    /// Where events go: the module body (None) or a function.
    sink: Option<FuncIdx>,
    /// Module names whose latest binding is a string literal (`BOOTSTRAP = """..."""`): code
    /// handed to a subinterpreter by name is that literal's code.
    module_strings: HashMap<&'a str, &'a ast::ExprStringLiteral>,
    /// Module names first bound to a literal (`debug = 0`), with it: a constant if that is
    /// the only binding (see `constants.rs`).
    module_literals: HashMap<&'a str, Value>,
    /// How many times each module name is bound, anywhere in the module.
    module_bindings: HashMap<&'a str, u32>,
    qual_prefix: QualPrefix<'a>,
    /// Scope tables of finished function bodies, kept to be reused (cleared) so that each
    /// function does not grow a fresh table.
    spare_scopes: Vec<HashMap<&'a str, Value>>,
    /// The rest of the block being walked never runs on any configured platform.
    unreachable: bool,
    /// Inside `except` handlers: bindings there do not replace the `try` body's.
    in_except_handler: u32,
    /// Names of the attribute chains being evaluated (see `eval_attribute_chain`).
    chain_scratch: Vec<&'a Name>,
    class_stack: Vec<ClassIdx>,
    stmt: u32,
    in_main_guard: bool,
    next_handle: u32,
    /// Daemon flags set after construction, by handle.
    daemon_by_handle: HashMap<Handle, bool>,
    /// The instances made by this module's calls, by call range ([`ModuleSummary::made`]).
    made: Vec<(TextRange, Arc<Instance>)>,
    star_imports: Vec<QName>,
    depth: usize,
    /// The callee of the last call evaluated (for `for x in ex.map(...)`).
    last_callee: Option<Value>,
    /// The configured platforms the code being walked can run on (see [`Event::platforms`]).
    /// 0 once nothing after this point can run on any of them (an import of a module that
    /// exists on none: see `narrow_to_importable`): the walk of the block stops there.
    platforms: u8,
    /// The configured platforms on which the module can be imported to the end: its top level
    /// is narrowed by a platform-only import (`import winreg`), and its functions can only be
    /// called where the module exists. Set once the top level is walked.
    module_platforms: u8,
    /// How many `try:` bodies (with a handler that catches `ImportError`) or
    /// `with suppress(ImportError):` blocks enclose the code being walked: a platform-only
    /// import there has a fallback, so it narrows nothing.
    import_errors_caught: u32,
    /// How many branches, loops or handlers (of the current body) enclose the code being
    /// walked: events there are `conditional`.
    conditional: u32,
    /// Names bound to the result of `os.fork()` (`pid = os.fork()`) in the body being walked,
    /// with the fork call, for finding the child branch (FL207).
    fork_vars: Vec<(&'a str, Option<FuncIdx>, TextRange)>,
    /// The statement after the one being visited in its block (where a child branch that
    /// falls out of its `if` goes next, FL207).
    following: Option<&'a Stmt>,
    /// Where the block being visited ends (the end of its last statement): a guard that
    /// leaves the function early covers the rest of its block.
    block_end: TextSize,
    /// Forks whose parent ends the process in its own branch (`if pid > 0: os._exit(0)`):
    /// the step of a double-fork daemonizer (FL207).
    daemonizing_forks: Vec<TextRange>,
    /// Names that still hold a parameter of the function being walked, with its position
    /// and default: `if version[3] == "alpha":` on one of them is a
    /// [`ParamGuard`](super::ParamGuard).
    params: Vec<ParamSlot<'a>>,
    /// Parameters the function being walked binds again somewhere: a test on one of them,
    /// even before the new binding, is not a guard (a loop may run it after).
    rebound_params: Vec<&'a str>,
    /// The text the AST was parsed from (the file, or a code string being walked).
    source: &'a str,
    /// Calls evaluated so far (any callee): a loop whose body adds some does work.
    calls_seen: u32,
    /// Which condition-relevant APIs the expression being evaluated called
    /// ([`SEEN_MAIN_THREAD_CHECK`](regions::SEEN_MAIN_THREAD_CHECK), [`SEEN_IS_RUNNING`]):
    /// read after an `if`/`assert` test to record its regions without walking the test twice.
    seen: u8,
    /// Conditional expressions whose test the configured platforms decide alike, for the
    /// value flow ([`super::flow::PlatformChoices`]).
    platform_choices: super::flow::PlatformChoices,
    /// In a method: what its own `self.attr`s certainly hold here ([`receiver_facts`]).
    receiver_facts: receiver_facts::ReceiverFacts<'a>,
}

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    fn new(summary: &'s mut ModuleSummary, index: &'i ProjectIndex<'i>, source: &'a str) -> Self {
        let mut module_scope = Scope::default();
        let package = if summary.is_package {
            summary.module.clone()
        } else {
            parent(&summary.module).to_string()
        };
        module_scope
            .names
            .insert("__name__", Value::Str(Name::new(&summary.module)));
        module_scope
            .names
            .insert("__package__", Value::Str(Name::new(package)));
        Self {
            summary,
            index,
            scopes: vec![module_scope],
            pending: Vec::new(),
            sink: None,
            module_strings: HashMap::default(),
            module_literals: HashMap::default(),
            module_bindings: HashMap::default(),
            qual_prefix: QualPrefix {
                base: SharedName::from(""),
                locals_of: None,
            },
            spare_scopes: Vec::new(),
            unreachable: false,
            in_except_handler: 0,
            chain_scratch: Vec::new(),
            class_stack: Vec::new(),
            stmt: 0,
            in_main_guard: false,
            next_handle: 0,
            daemon_by_handle: HashMap::default(),
            made: Vec::new(),
            star_imports: Vec::new(),
            depth: 0,
            last_callee: None,
            platforms: configured_platforms(index),
            module_platforms: configured_platforms(index),
            import_errors_caught: 0,
            conditional: 0,
            fork_vars: Vec::new(),
            following: None,
            block_end: TextSize::default(),
            daemonizing_forks: Vec::new(),
            params: Vec::new(),
            rebound_params: Vec::new(),
            source,
            calls_seen: 0,
            seen: 0,
            platform_choices: Default::default(),
            receiver_facts: Default::default(),
        }
    }

    fn visit_module(&mut self, body: &'a [Stmt]) {
        self.pending.push(Vec::new());
        self.block_end = body.last().map_or(TextSize::default(), |s| s.end());
        for (i, stmt) in body.iter().enumerate() {
            // After `if sys.platform != "win32": raise ImportError(...)` on Windows, say, or
            // `import winreg` on Linux.
            if self.unreachable || self.platforms == 0 {
                break;
            }
            self.stmt = i as u32;
            self.following = body.get(i + 1);
            self.visit_stmt(stmt);
        }
        self.unreachable = false;
        self.module_platforms = self.platforms;
        // Other modules see the final top-level bindings; so do this module's functions,
        // walked next (the module scope stays as it is).
        self.summary.exports = self.scopes[0]
            .names
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        let pending = self.pending.pop().unwrap_or_default();
        self.walk_pending(pending);
    }

    fn walk_pending(&mut self, pending: Vec<Pending<'a>>) {
        for p in pending {
            let saved_sink = self.sink.replace(p.idx);
            let saved_prefix = std::mem::replace(&mut self.qual_prefix, p.qual_prefix);
            // A nested body continues the nesting of its definition: `lambda: lambda: …` is
            // as deep as the expression it is written in.
            if p.depth >= MAX_VISIT_DEPTH {
                let range = self.summary.functions[p.idx as usize].name_range;
                self.report_too_deep(range);
                self.qual_prefix = saved_prefix;
                self.sink = saved_sink;
                continue;
            }
            let saved_depth = std::mem::replace(&mut self.depth, p.depth + 1);
            let mut scope = Scope {
                names: self.spare_scopes.pop().unwrap_or_default(),
                is_class: false,
                globals: Vec::new(),
            };
            if let Some(params) = p.parameters {
                for (i, param) in params.iter_non_variadic_params().enumerate() {
                    let value = match (i, p.class) {
                        (0, Some(class)) => Value::SelfAttr {
                            class,
                            path: SelfPath::default(),
                        },
                        _ => Value::Unknown,
                    };
                    scope.names.insert(param.parameter.name.id.as_str(), value);
                }
                for param in [&params.vararg, &params.kwarg].into_iter().flatten() {
                    scope.names.insert(param.name.id.as_str(), Value::Unknown);
                }
            }
            self.scopes.push(scope);
            let params = match p.parameters {
                Some(params) if p.guardable => {
                    let receiver = self.summary.functions[p.idx as usize].receiver;
                    let unwritten = matches!(receiver, Receiver::Instance | Receiver::Class);
                    ParamSlot::of(params, unwritten)
                }
                _ => Vec::new(),
            };
            let saved_params = std::mem::replace(&mut self.params, params);
            let saved_rebound = std::mem::take(&mut self.rebound_params);
            let saved_facts = std::mem::take(&mut self.receiver_facts);
            self.pending.push(Vec::new());
            // A function's body runs whenever it is called: where it was defined does not
            // make its events conditional or platform-bound. Only the module's own platforms
            // bound it: a module that cannot be imported somewhere has no function to call
            // there (one called at its top level before the failing import is the exception,
            // not modelled).
            let saved_platforms = std::mem::replace(&mut self.platforms, self.module_platforms);
            let saved_conditional = std::mem::replace(&mut self.conditional, 0);
            match p.body {
                PendingBody::Stmts(body) => {
                    self.visit_body(body);
                    let exits = body.last().is_some_and(|s| self.stmt_exits(s));
                    let ends = exits || body.last().is_some_and(|s| self.is_sys_exit(s));
                    let func = &mut self.summary.functions[p.idx as usize];
                    func.ends_in_exit = exits;
                    func.ends_process = ends;
                }
                PendingBody::Lambda(expr) => {
                    self.eval(expr);
                }
            }
            self.platforms = saved_platforms;
            self.conditional = saved_conditional;
            self.params = saved_params;
            self.receiver_facts = saved_facts;
            if let Some(scope) = self.scopes.last() {
                let local = &scope.names;
                let shadowed = |name: &str| local.contains_key(name);
                let guards = &mut self.summary.constant_guards;
                guards.retain(|g| g.func != Some(p.idx) || !g.names.iter().any(|n| shadowed(n)));
            }
            let rebound = std::mem::replace(&mut self.rebound_params, saved_rebound);
            if !rebound.is_empty() {
                self.summary.functions[p.idx as usize]
                    .guards
                    .retain(|g| !rebound.contains(&g.name.as_str()));
            }
            let inner = self.pending.pop().unwrap_or_default();
            self.walk_pending(inner);
            if let Some(mut scope) = self.scopes.pop() {
                scope.names.clear();
                self.spare_scopes.push(scope.names);
            }
            self.depth = saved_depth;
            self.qual_prefix = saved_prefix;
            self.sink = saved_sink;
        }
    }

    fn push_event(&mut self, range: TextRange, kind: EventKind) {
        // Code that runs on no configured platform (`import a, winreg, b` on Linux: after
        // `winreg`) does nothing there.
        if self.platforms == 0 {
            return;
        }
        let event = Event {
            range,
            kind,
            in_main_guard: self.in_main_guard,
            stmt: self.stmt,
            platforms: self.platforms,
            conditional: self.conditional > 0,
        };
        match self.sink {
            None => self.summary.body.push(event),
            Some(f) => self.summary.functions[f as usize].events.push(event),
        }
    }

    /// `try: import ssl` / `except ImportError: ssl = None`: the handler runs only when the
    /// body failed, so its bindings do not replace the body's (the usual case); names only
    /// the handler binds are still bound. Calls in handlers are still recorded.
    fn visit_try(&mut self, stmt: &'a ast::StmtTry) {
        let caught = u32::from(stmt.handlers.iter().any(imports::catches_import_error));
        self.import_errors_caught += caught;
        self.visit_body(&stmt.body);
        self.import_errors_caught -= caught;
        self.in_except_handler += 1;
        self.conditional += 1;
        for handler in &stmt.handlers {
            self.visit_except_handler(handler);
        }
        self.conditional -= 1;
        self.in_except_handler -= 1;
        self.visit_body(&stmt.orelse);
        self.visit_body(&stmt.finalbody);
    }

    fn visit_for(&mut self, stmt: &'a ast::StmtFor) {
        self.last_callee = None;
        self.eval(&stmt.iter);
        if let (Expr::Call(_), Some(callee)) = (&*stmt.iter, self.last_callee.take()) {
            self.push_event(stmt.iter.range(), EventKind::Consume { callee });
        }
        self.visit_assign_target(&stmt.target, Value::Unknown);
        self.conditional += 1;
        let facts = self.receiver_facts.enter_block(true);
        self.visit_body(&stmt.body);
        self.receiver_facts.leave_block(facts);
        self.visit_body(&stmt.orelse);
        self.conditional -= 1;
    }

    /// The statements of a block in order (a `with` block's: it runs whenever the statement
    /// does, so what it stores holds after it).
    fn visit_block(&mut self, body: &'a [Stmt]) {
        let saved = std::mem::replace(&mut self.unreachable, false);
        let end = body.last().map_or(self.block_end, |s| s.end());
        let saved_end = std::mem::replace(&mut self.block_end, end);
        for (i, stmt) in body.iter().enumerate() {
            // `self.platforms` is 0 after an import that fails everywhere, until the `if`
            // clause holding it ends (a `with`, `try` or loop body does not restore it).
            if self.unreachable || self.platforms == 0 {
                break;
            }
            self.following = body.get(i + 1);
            self.visit_stmt(stmt);
        }
        self.unreachable = saved;
        self.block_end = saved_end;
    }

    /// Past [`MAX_VISIT_DEPTH`] the rest is not followed: what it calls is not seen. The
    /// first place is recorded so the user is told the file was not fully analysed.
    fn report_too_deep(&mut self, range: TextRange) {
        self.summary.incomplete.get_or_insert_with(|| Incomplete {
            range,
            reason: format!(
                "nested more than {MAX_VISIT_DEPTH} levels deep; forklint did not analyse the \
                 code below this point"
            ),
        });
    }
}

impl<'a> Visitor<'a> for ModuleVisitor<'_, '_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth >= MAX_VISIT_DEPTH {
            self.report_too_deep(stmt.range());
            return;
        }
        self.depth += 1;
        match stmt {
            Stmt::FunctionDef(def) => self.visit_function_def(def),
            Stmt::ClassDef(def) => self.visit_class_def(def),
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.visit_import(stmt),
            Stmt::If(s) => self.visit_if(s),
            Stmt::With(w) => self.visit_with(w),
            Stmt::For(f) => self.visit_for(f),
            Stmt::Try(t) => self.visit_try(t),
            Stmt::Assign(a) => {
                if let [target] = a.targets.as_slice() {
                    self.note_module_literal(target, &a.value);
                }
                for target in &a.targets {
                    if let Expr::Attribute(t) = target {
                        self.note_stop_signal(StopSignal::Store {
                            attr: t.attr.id.as_str().into(),
                            truth: eval::literal_value(&a.value)
                                .as_ref()
                                .and_then(super::truthiness),
                        });
                    }
                }
                let v = self.eval(&a.value);
                let kept = self.param_passed_through(a);
                for target in &a.targets {
                    self.visit_assign_target(target, v.clone());
                }
                if self.sink.is_none()
                    && let ([Expr::Name(name)], Expr::StringLiteral(literal)) =
                        (&a.targets[..], &*a.value)
                {
                    self.module_strings.insert(name.id.as_str(), literal);
                }
                if let Some(kept) = kept {
                    // Bound back to itself: still the parameter (see `param_passed_through`).
                    if let Some(i) = self.rebound_params.iter().rposition(|n| *n == kept.name) {
                        self.rebound_params.swap_remove(i);
                    }
                    self.params.push(kept);
                }
                self.note_fork_var(a);
            }
            Stmt::While(w) => {
                self.eval(&w.test);
                let calls_before = self.calls_seen;
                self.conditional += 1;
                let facts = self.receiver_facts.enter_block(true);
                self.visit_body(&w.body);
                self.receiver_facts.leave_block(facts);
                self.visit_body(&w.orelse);
                self.conditional -= 1;
                self.note_long_loop(w, self.calls_seen > calls_before);
            }
            Stmt::Assert(a) => {
                if self.eval_noting(&a.test) & SEEN_IS_RUNNING != 0 {
                    self.push_region(
                        RegionKind::IsRunningTest,
                        a.test.range(),
                        TextRange::empty(a.range.end()),
                    );
                }
                if let Some(msg) = &a.msg {
                    self.visit_expr(msg);
                }
            }
            Stmt::Match(m) => {
                self.eval(&m.subject);
                self.conditional += 1;
                for case in &m.cases {
                    if let Some(guard) = &case.guard {
                        self.eval(guard);
                    }
                    self.visit_body(&case.body);
                }
                self.conditional -= 1;
            }
            Stmt::AnnAssign(a) => {
                if let Some(value) = &a.value {
                    self.note_module_literal(&a.target, value);
                    let v = self.eval(value);
                    self.visit_assign_target(&a.target, v);
                }
            }
            Stmt::Return(r) => {
                if let Some(value) = &r.value {
                    let v = self.eval(value);
                    if let (Value::Instance(inst), Some(f)) = (v, self.sink) {
                        let current = self.current(&inst);
                        self.summary.functions[f as usize]
                            .returns
                            .get_or_insert(current);
                    }
                }
            }
            Stmt::AugAssign(a) => {
                self.eval(&a.value);
                self.visit_assign_target(&a.target, Value::Unknown);
            }
            Stmt::Global(g) if self.sink.is_some() => {
                if let Some(scope) = self.scopes.last_mut() {
                    scope.globals.extend(g.names.iter().map(|n| n.id.as_str()));
                }
            }
            _ => walk_stmt(self, stmt),
        }
        self.depth -= 1;
    }

    /// A block of statements. A platform test that is true everywhere and ends in `return` or
    /// `raise` makes the rest of its block unreachable (`unreachable`), for this block only.
    /// A nested block may not run: after it, only the receiver facts it left alone hold.
    fn visit_body(&mut self, body: &'a [Stmt]) {
        if self.sink.is_none() {
            return self.visit_block(body);
        }
        let facts = self.receiver_facts.enter_block(false);
        self.visit_block(body);
        self.receiver_facts.leave_block(facts);
    }

    /// An expression whose value is not used: only what it calls matters.
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            // Literals call nothing (and a docstring is not worth copying).
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_) => {}
            _ => {
                self.eval(expr);
            }
        }
    }

    // Annotations are not evaluated at run time under `from __future__ import annotations`
    // and hold no calls worth tracking otherwise.
    fn visit_annotation(&mut self, _expr: &'a Expr) {}
}
