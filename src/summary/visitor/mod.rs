//! The one pass over each AST.
//!
//! The module body is walked in source order; function, method and lambda bodies are walked
//! after the body that defines them is complete, so global names resolve to their final
//! bindings (as they do when Python calls the function) and closures see their enclosing
//! function's locals. Every node is still visited exactly once.

mod prescan;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{
    self as ast, CmpOp, Expr, Parameters, PySourceType, Stmt, StmtClassDef, StmtFunctionDef,
};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::{
    CallArgs, ClassIdx, ClassSummary, Event, EventKind, FuncIdx, FunctionSummary, Handle,
    Incomplete, Instance, ModuleSummary, Name, QName, SelfPath, SharedName, SyntaxProblem, Value,
    last_dot,
};
use super::{ForkChild, LongLoop, ParamGuard, Region, RegionKind};
use crate::knowledge::{Api, ApiKind, EffectKind, Knowledge, SpawnKind};
use crate::settings::Platform;
use std::sync::Arc;

use prescan::{Prescan, prescan, scan_tokens, too_many_brackets};

pub use prescan::{MAX_NESTING, MAX_STATEMENT_BYTES};

/// Deepest statement/expression/definition nesting the visitor follows. CPython itself stops
/// near 3,000 (3.11 refuses `-`, `.a`, `**`, `lambda:` or `a + ` nested 2,993 deep with
/// `MemoryError`/`RecursionError` at compile time), so real code is far below this; past it
/// the rest is not followed and the file gets a warning ([`ModuleSummary::incomplete`]).
/// Every level costs a few stack frames: the worker stacks are sized for this bound.
pub const MAX_VISIT_DEPTH: usize = 4_000;

/// Longest qualified-name prefix built for nested definitions. `lambda: lambda: …` would
/// otherwise cost quadratic memory (each level repeats its parents' names); past this, nested
/// definitions keep their parent's prefix.
const MAX_QUAL_PREFIX: usize = 512;

/// Longest string literal kept as a value (module names, start methods, `__main__`).
const MAX_STRING_VALUE: usize = 256;

/// Longest tuple of literals kept as a value (version tuples and the like).
const MAX_LITERAL_TUPLE: usize = 16;

/// A string (short), integer, boolean or `None` literal as a value.
fn literal_value(expr: &Expr) -> Option<Value> {
    match expr {
        Expr::StringLiteral(s) if s.value.len() <= MAX_STRING_VALUE => {
            Some(Value::Str(Name::new(s.value.to_str())))
        }
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_i64().map(Value::Int),
            _ => None,
        },
        Expr::BooleanLiteral(b) => Some(Value::Bool(b.value)),
        Expr::NoneLiteral(_) => Some(Value::None),
        _ => None,
    }
}

/// The names every module can see.
pub struct ProjectIndex<'a> {
    pub modules: &'a HashSet<String>,
    /// Every module name and every package above one (`a`, `a.b` for `a.b.c`), so namespace
    /// packages without `__init__.py` count as packages.
    pub packages: &'a HashSet<String>,
    pub knowledge: &'a Knowledge,
    /// The configured platforms: tests of `sys.platform` and the like are evaluated on them.
    pub platforms: &'a [Platform],
}

impl ProjectIndex<'_> {
    /// Builds the set of [`ProjectIndex::packages`] from module names.
    pub fn packages_of(modules: &HashSet<String>) -> HashSet<String> {
        let mut out = HashSet::default();
        for m in modules {
            out.insert(m.clone());
            for (i, _) in m.match_indices('.') {
                out.insert(m[..i].to_string());
            }
        }
        out
    }

    /// Whether `name` or a prefix of it is a module of the project.
    fn in_project(&self, name: &str) -> bool {
        let mut end = name.len();
        loop {
            if self.modules.contains(&name[..end]) {
                return true;
            }
            match last_dot(&name[..end]) {
                Some(i) => end = i,
                None => return false,
            }
        }
    }
}

/// Parses `source` and summarises it. Never panics on any input it is given; syntax errors
/// are recorded in the summary (and the module is then summarised from what did parse).
pub fn summarize(
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

/// Bindings of one scope. Keys borrow from the AST (which outlives the walk), so binding a
/// name or a parameter allocates nothing.
#[derive(Default)]
struct Scope<'a> {
    names: HashMap<&'a str, Value>,
    is_class: bool,
    /// Names a function declares `global`: assigning them binds the module's name.
    globals: Vec<&'a str>,
}

/// Qualified-name prefix of what is being defined (`C.`, `f.<locals>.`). Inside a function
/// `f` it is `base` + `f.<locals>.`, but that string is built only when a nested definition
/// needs it: most functions define nothing inside.
#[derive(Clone)]
struct QualPrefix<'a> {
    base: SharedName,
    locals_of: Option<&'a str>,
}

impl QualPrefix<'_> {
    /// The prefix as a string, built (once) if it was deferred. Past [`MAX_QUAL_PREFIX`]
    /// nested definitions keep their parent's prefix.
    fn get(&mut self) -> SharedName {
        if let Some(name) = self.locals_of.take()
            && self.base.len() + name.len() <= MAX_QUAL_PREFIX
        {
            self.base = concat([&self.base, name, ".<locals>."]);
        }
        self.base.clone()
    }
}

/// The strings joined, as one shared string: built in a reused buffer, so the only
/// allocation is the shared string itself.
fn concat<'s>(parts: impl IntoIterator<Item = &'s str>) -> SharedName {
    thread_local! {
        static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        for part in parts {
            buffer.push_str(part);
        }
        SharedName::from(buffer.as_str())
    })
}

/// What a called value is to the summary.
#[derive(Clone, Copy)]
enum CalleeKind<'k> {
    /// A known API: a function or class of the knowledge base, or a method of a known class.
    Known(&'k Api),
    /// Project code: a qualified name in the project, a method of a project class, a local
    /// function, a `self` method, a partial.
    Project,
    /// Anything else: its call cannot matter.
    Irrelevant,
}

/// A function body waiting to be walked once its definer is complete.
struct Pending<'a> {
    idx: FuncIdx,
    body: PendingBody<'a>,
    parameters: Option<&'a Parameters>,
    /// For methods: the class whose instance the first parameter is.
    class: Option<ClassIdx>,
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
    star_imports: Vec<QName>,
    depth: usize,
    /// The callee of the last call evaluated (for `for x in ex.map(...)`).
    last_callee: Option<Value>,
    /// The configured platforms the code being walked can run on (see [`Event::platforms`]).
    platforms: u8,
    /// How many branches, loops or handlers (of the current body) enclose the code being
    /// walked: events there are `conditional`.
    conditional: u32,
    /// Names bound to the result of `os.fork()` (`pid = os.fork()`) in the body being walked,
    /// with the fork call, for finding the child branch (FL207).
    fork_vars: Vec<(&'a str, Option<FuncIdx>, TextRange)>,
    /// The statement after the one being visited in its block (where a child branch that
    /// falls out of its `if` goes next, FL207).
    following: Option<&'a Stmt>,
    /// Forks whose parent ends the process in its own branch (`if pid > 0: os._exit(0)`):
    /// the step of a double-fork daemonizer (FL207).
    daemonizing_forks: Vec<TextRange>,
    /// Names that still hold a parameter of the plain function being walked, with its
    /// position: `if version[3] == "alpha":` on one of them is a [`ParamGuard`].
    params: Vec<(&'a str, u32)>,
    /// The text the AST was parsed from (the file, or a code string being walked).
    source: &'a str,
    /// Calls evaluated so far (any callee): a loop whose body adds some does work.
    calls_seen: u32,
    /// Which condition-relevant APIs the expression being evaluated called
    /// ([`SEEN_MAIN_THREAD_CHECK`], [`SEEN_IS_RUNNING`]): read after an `if`/`assert` test
    /// to record its regions without walking the test twice.
    seen: u8,
}

const SEEN_MAIN_THREAD_CHECK: u8 = 1;
const SEEN_IS_RUNNING: u8 = 2;

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
            star_imports: Vec::new(),
            depth: 0,
            last_callee: None,
            platforms: index.platforms.iter().fold(0, |m, p| m | p.bit()),
            conditional: 0,
            fork_vars: Vec::new(),
            following: None,
            daemonizing_forks: Vec::new(),
            params: Vec::new(),
            source,
            calls_seen: 0,
            seen: 0,
        }
    }

    fn visit_module(&mut self, body: &'a [Stmt]) {
        self.pending.push(Vec::new());
        for (i, stmt) in body.iter().enumerate() {
            // After `if sys.platform != "win32": raise ImportError(...)` on Windows, say.
            if self.unreachable {
                break;
            }
            self.stmt = i as u32;
            self.following = body.get(i + 1);
            self.visit_stmt(stmt);
        }
        self.unreachable = false;
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
            // Parameters of plain functions, by the position a call passes them at (methods
            // are left out: their calls do not pass `self`).
            let params = match (p.parameters, p.class) {
                (Some(params), None) => params
                    .posonlyargs
                    .iter()
                    .chain(&params.args)
                    .enumerate()
                    .map(|(i, param)| (param.parameter.name.id.as_str(), i as u32))
                    .collect(),
                _ => Vec::new(),
            };
            let saved_params = std::mem::replace(&mut self.params, params);
            self.pending.push(Vec::new());
            // A function's body runs whenever it is called: where it was defined does not
            // make its events conditional or platform-bound.
            let saved_platforms = std::mem::replace(
                &mut self.platforms,
                self.index.platforms.iter().fold(0, |m, p| m | p.bit()),
            );
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

    /// The prefix for what is defined inside `name` (`f.<locals>.`), built when needed.
    fn nested_prefix(&mut self, name: &'a str) -> QualPrefix<'a> {
        QualPrefix {
            base: self.qual_prefix.get(),
            locals_of: Some(name),
        }
    }

    // ---- events ----------------------------------------------------------------------------

    fn push_event(&mut self, range: TextRange, kind: EventKind) {
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

    fn fresh_handle(&mut self) -> Handle {
        self.next_handle += 1;
        Handle(self.next_handle)
    }

    /// An instance as it is now: with daemon flags set since its construction.
    fn current(&self, inst: &Arc<Instance>) -> Arc<Instance> {
        match self.daemon_by_handle.get(&inst.handle) {
            Some(d) if inst.daemon != Some(*d) => {
                let mut changed = Instance::clone(inst);
                changed.daemon = Some(*d);
                Arc::new(changed)
            }
            _ => inst.clone(),
        }
    }

    // ---- names -----------------------------------------------------------------------------

    fn bind(&mut self, name: &'a str, value: Value) {
        let fallback = self.in_except_handler > 0;
        // `global _thread` then `_thread = Thread(...)` in a function: functions walked
        // after this one (later definitions) see the module's name bound to the thread,
        // as they do when the program calls them in that order.
        let declared_global = self
            .scopes
            .last()
            .is_some_and(|s| !s.globals.is_empty() && s.globals.contains(&name));
        let scope = if declared_global {
            self.scopes.first_mut()
        } else {
            if let Some(i) = self.params.iter().position(|(n, _)| *n == name) {
                self.params.swap_remove(i);
            }
            self.scopes.last_mut()
        };
        if let Some(scope) = scope {
            if fallback {
                scope.names.entry(name).or_insert(value);
            } else {
                scope.names.insert(name, value);
            }
        }
    }

    fn lookup(&self, name: &str) -> Value {
        let innermost = self.scopes.len() - 1;
        for (i, scope) in self.scopes.iter().enumerate().rev() {
            // Class scopes are visible only from the class body itself, as in Python.
            if scope.is_class && i != innermost {
                continue;
            }
            if let Some(v) = scope.names.get(name) {
                return v.clone();
            }
        }
        if name == "__import__" {
            return Value::Qual("builtins.__import__".into());
        }
        for star in &self.star_imports {
            let q = format!("{star}.{name}");
            if self.index.knowledge.get(&q).is_some() || self.index.in_project(star) {
                return Value::Qual(q.into());
            }
        }
        Value::Unknown
    }

    // ---- imports ---------------------------------------------------------------------------

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
    /// sibling module even when the project root is higher up.
    fn absolutize(&self, name: &str) -> String {
        let package = if self.summary.is_package {
            self.summary.module.as_str()
        } else {
            parent(&self.summary.module)
        };
        let first = name.split('.').next().unwrap_or(name);
        if !package.is_empty()
            && !self.index.packages.contains(first)
            && self.index.packages.contains(&format!("{package}.{first}"))
        {
            return format!("{package}.{name}");
        }
        name.to_string()
    }

    fn visit_import(&mut self, stmt: &'a Stmt) {
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

    // ---- statements ------------------------------------------------------------------------

    fn visit_function_def(&mut self, def: &'a StmtFunctionDef) {
        for deco in &def.decorator_list {
            self.eval(&deco.expression);
        }
        self.visit_parameter_defaults(&def.parameters);
        let name = def.name.id.as_str();
        let prefix = self.qual_prefix.get();
        let idx = self.new_function(concat([&prefix, name]), def.name.range);
        let in_class = self.scopes.last().is_some_and(|s| s.is_class);
        let class = if in_class {
            self.class_stack.last().copied()
        } else {
            None
        };
        if let Some(c) = class {
            self.summary.classes[c as usize]
                .methods
                .insert(def.name.id.clone(), idx);
        }
        let value = if self.sink.is_none() && !in_class {
            Value::Qual(concat([&self.summary.module, ".", &prefix, name]))
        } else {
            Value::Local(idx)
        };
        // Decorators are applied at definition time: `@register` calls `register(f)`.
        for deco in def.decorator_list.iter().rev() {
            let d = self.eval_quiet(&deco.expression);
            if self.callable_is_relevant(&d) {
                let args = CallArgs {
                    positional: vec![value.clone()],
                    keywords: Vec::new(),
                };
                self.push_event(
                    deco.range,
                    EventKind::Call {
                        callee: d,
                        args: args.shared(),
                    },
                );
            }
        }
        self.bind(name, value);
        let qual_prefix = self.nested_prefix(name);
        let depth = self.depth;
        if let Some(level) = self.pending.last_mut() {
            level.push(Pending {
                idx,
                body: PendingBody::Stmts(def.body.as_slice()),
                parameters: Some(&def.parameters),
                class,
                qual_prefix,
                depth,
            });
        }
    }

    fn new_function(&mut self, qualname: SharedName, name_range: TextRange) -> FuncIdx {
        let idx = self.summary.functions.len() as FuncIdx;
        self.summary.functions.push(FunctionSummary {
            qualname,
            name_range,
            class: None,
            events: Vec::new(),
            returns: None,
            ends_in_exit: false,
            ends_process: false,
            long_loop: None,
            code_string: false,
            guards: Vec::new(),
        });
        idx
    }

    fn visit_parameter_defaults(&mut self, params: &'a Parameters) {
        for p in params.iter_non_variadic_params() {
            if let Some(default) = &p.default {
                self.eval(default);
            }
        }
    }

    fn visit_class_def(&mut self, def: &'a StmtClassDef) {
        for deco in &def.decorator_list {
            self.eval(&deco.expression);
        }
        let mut bases = Vec::new();
        if let Some(args) = &def.arguments {
            for base in args.args.iter() {
                if let Value::Qual(q) = self.eval(base) {
                    bases.push(q.to_string());
                }
            }
            for kw in &args.keywords {
                self.eval(&kw.value);
            }
        }
        let name = def.name.id.as_str();
        let qualname = concat([&self.qual_prefix.get(), name]);
        let idx = self.summary.classes.len() as ClassIdx;
        self.summary.classes.push(ClassSummary {
            qualname: qualname.clone(),
            name_range: def.name.range,
            bases,
            ..ClassSummary::default()
        });
        let class_prefix = QualPrefix {
            base: concat([&qualname, "."]),
            locals_of: None,
        };
        let saved_prefix = std::mem::replace(&mut self.qual_prefix, class_prefix);
        self.class_stack.push(idx);
        self.scopes.push(Scope {
            names: HashMap::default(),
            is_class: true,
            globals: Vec::new(),
        });
        self.visit_body(&def.body);
        self.scopes.pop();
        self.class_stack.pop();
        self.qual_prefix = saved_prefix;
        for f in self.summary.classes[idx as usize].methods.values() {
            self.summary.functions[*f as usize].class = Some(idx);
        }
        self.bind(
            name,
            Value::Qual(concat([&self.summary.module, ".", &qualname])),
        );
    }

    fn visit_if(&mut self, stmt: &'a ast::StmtIf) {
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
                self.record_test_regions(seen, test, body);
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
            let guards = match (i, test) {
                (0, Some(test)) => self.param_tests(test),
                _ => Vec::new(),
            };
            let first_event = self.function_event_count();
            self.visit_clause(None, body, main);
            self.record_guards(guards, first_event);
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

    /// The clause of an `if` that is the child branch of an earlier `pid = os.fork()`, with
    /// that fork call: `if pid == 0:`, `if not pid:`, or the `else:` after `if pid:` /
    /// `if pid != 0:` / `if pid > 0:`. `None` as well when the parent's clause ends the
    /// process (`if pid == 0: … else: os._exit(0)`, `if pid > 0: os._exit(0)`): the
    /// daemonizing pattern, where the child is the one meant to go on; that fork is then
    /// noted in `daemonizing_forks`.
    fn fork_child_clause(
        &mut self,
        clauses: &[(Option<&'a Expr>, &'a [Stmt])],
    ) -> Option<(usize, TextRange)> {
        for (i, (test, _)) in clauses.iter().enumerate() {
            let Some(test) = test else { break };
            let Some((name, in_child)) = fork_test(test) else {
                continue;
            };
            let Some(&(_, _, fork)) = self
                .fork_vars
                .iter()
                .rev()
                .find(|(n, sink, _)| *n == name && *sink == self.sink)
            else {
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

    fn record_fork_child(
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

    fn stmt_exits(&self, stmt: &'a Stmt) -> bool {
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
    fn is_sys_exit(&self, stmt: &'a Stmt) -> bool {
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

    /// What a platform test (`sys.platform == "win32"`, `sys.platform.startswith("linux")`,
    /// `os.name != "nt"`, `platform.system() in ("Darwin", "Linux")`, and `not`/`and`/`or`
    /// of these) says on every configured platform: `Some` when they all agree, `None` when
    /// they differ or the test is not one forklint reads.
    fn platform_truth(&self, test: &'a Expr) -> Option<bool> {
        let mut answers = self
            .index
            .platforms
            .iter()
            .map(|&p| self.platform_test(test, p));
        let first = answers.next()??;
        answers.all(|a| a == Some(first)).then_some(first)
    }

    fn platform_test(&self, test: &'a Expr, platform: Platform) -> Option<bool> {
        match test {
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
                self.platform_test(&u.operand, platform).map(|b| !b)
            }
            Expr::BoolOp(b) => {
                let answers: Vec<Option<bool>> = b
                    .values
                    .iter()
                    .map(|v| self.platform_test(v, platform))
                    .collect();
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
    fn param_passed_through(&self, assign: &'a ast::StmtAssign) -> Option<(&'a str, u32)> {
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
            .find(|(n, _)| *n == target.id.as_str() && *n == first.id.as_str())
            .copied()?;
        let callee = self.eval_quiet(&call.func);
        matches!(self.callee_kind(&callee), CalleeKind::Project).then_some(kept)
    }

    /// The conjuncts of an `if` test that compare a parameter (or one element of it) with a
    /// literal: `version[3] == "alpha" and version[4] == 0` gives two.
    fn param_tests(&self, test: &'a Expr) -> Vec<ParamGuard> {
        if self.params.is_empty() {
            return Vec::new();
        }
        let conjuncts: &[Expr] = match test {
            Expr::BoolOp(b) if b.op == ast::BoolOp::And => &b.values,
            other => std::slice::from_ref(other),
        };
        let mut out = Vec::new();
        for c in conjuncts {
            let Expr::Compare(cmp) = c else { continue };
            let ([op], [right]) = (&*cmp.ops, &*cmp.comparators) else {
                continue;
            };
            let equal = match op {
                CmpOp::Eq => true,
                CmpOp::NotEq => false,
                _ => continue,
            };
            let (name, index) = match &*cmp.left {
                Expr::Name(n) => (n.id.as_str(), None),
                Expr::Subscript(sub) => match (&*sub.value, &*sub.slice) {
                    (Expr::Name(n), Expr::NumberLiteral(k)) => match &k.value {
                        ast::Number::Int(k) => match k.as_u64().and_then(|k| u32::try_from(k).ok())
                        {
                            Some(k) => (n.id.as_str(), Some(k)),
                            None => continue,
                        },
                        _ => continue,
                    },
                    _ => continue,
                },
                _ => continue,
            };
            let Some(&(_, position)) = self.params.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            let Some(literal) = literal_value(right) else {
                continue;
            };
            out.push(ParamGuard {
                events: 0..0,
                position,
                name: Name::new(name),
                index,
                equal,
                literal,
            });
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

    fn visit_assign_target(&mut self, target: &'a Expr, value: Value) {
        match target {
            Expr::Name(n) => self.bind(n.id.as_str(), value),
            Expr::Attribute(attr) => {
                let receiver = self.eval_quiet(&attr.value);
                let name = attr.attr.id.as_str();
                match (&receiver, &value) {
                    (Value::Instance(inst), Value::Bool(b)) if name == "daemon" => {
                        self.daemon_by_handle.insert(inst.handle, *b);
                    }
                    (Value::SelfAttr { path, .. }, _) if path.is_empty() => {
                        if let Some(c) = self.class_of_self(&receiver) {
                            let class = &mut self.summary.classes[c as usize];
                            match value {
                                Value::Bool(b) if name == "daemon" => class.daemon = Some(b),
                                Value::Instance(inst) => {
                                    class.attrs.insert(name.to_string(), inst);
                                }
                                _ => {}
                            }
                        }
                    }
                    (Value::SelfAttr { path, .. }, Value::Bool(b))
                        if path.len() == 1 && name == "daemon" =>
                    {
                        if let Some(inst) = self.self_attr_instance(&receiver) {
                            self.daemon_by_handle.insert(inst.handle, *b);
                        }
                    }
                    _ => {}
                }
            }
            Expr::Tuple(t) => {
                for elt in &t.elts {
                    self.visit_assign_target(elt, Value::Unknown);
                }
            }
            Expr::List(l) => {
                for elt in &l.elts {
                    self.visit_assign_target(elt, Value::Unknown);
                }
            }
            Expr::Starred(s) => self.visit_assign_target(&s.value, Value::Unknown),
            other => {
                self.eval(other);
            }
        }
    }

    /// The class that `self` (or `self.a.b`) belongs to, in the method being walked.
    fn class_of_self(&self, receiver: &Value) -> Option<ClassIdx> {
        match receiver {
            Value::SelfAttr { class, .. } => Some(*class),
            _ => None,
        }
    }

    /// `self.x` where `self.x = SomeClass(...)` was seen already.
    fn self_attr_instance(&self, value: &Value) -> Option<Arc<Instance>> {
        let Value::SelfAttr { path, .. } = value else {
            return None;
        };
        let first = path.first()?;
        let c = self.class_of_self(value)?;
        self.summary.classes[c as usize]
            .attrs
            .get(first.as_str())
            .map(|i| self.current(i))
    }

    fn visit_with(&mut self, with: &'a ast::StmtWith) {
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

    /// `try: import ssl` / `except ImportError: ssl = None`: the handler runs only when the
    /// body failed, so its bindings do not replace the body's (the usual case); names only
    /// the handler binds are still bound. Calls in handlers are still recorded.
    fn visit_try(&mut self, stmt: &'a ast::StmtTry) {
        self.visit_body(&stmt.body);
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
        self.visit_body(&stmt.body);
        self.visit_body(&stmt.orelse);
        self.conditional -= 1;
    }

    /// `pid = os.fork()` or `pid, fd = pty.fork()`: remember the name for the `if` that
    /// picks the child branch.
    fn note_fork_var(&mut self, assign: &'a ast::StmtAssign) {
        let Expr::Call(call) = &*assign.value else {
            return;
        };
        // A fork the knowledge base knows (`os.fork`, `os.forkpty`, `pty.fork`, ...).
        let is_fork = matches!(self.eval_quiet(&call.func), Value::Qual(q)
            if self.index.knowledge.get(&q).is_some_and(|api| api.spawn == Some(SpawnKind::Fork)));
        if !is_fork {
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

    // ---- expressions -----------------------------------------------------------------------

    /// Evaluates without recording anything new (for re-reading an expression already
    /// evaluated, such as a decorator or an assignment receiver).
    fn eval_quiet(&self, expr: &'a Expr) -> Value {
        // Only names and attribute chains are re-read; a chain is walked iteratively, so an
        // `a.b.c…` of any length costs no stack.
        let mut attrs = Vec::new();
        let mut base = expr;
        while let Expr::Attribute(a) = base {
            attrs.push(&a.attr.id);
            base = &a.value;
        }
        let Expr::Name(n) = base else {
            return Value::Unknown;
        };
        let mut value = self.lookup(n.id.as_str());
        for attr in attrs.into_iter().rev() {
            if matches!(value, Value::Unknown) {
                break;
            }
            value = self.attribute(value, attr);
        }
        value
    }

    /// `a.b.c`: the base is evaluated, then each name applied in turn. Once the value is a
    /// qualified name, the rest of the chain is one too, and it is built once (`os.path.join`
    /// builds `os.path.join`, not `os.path` first). The chain is walked without recursion.
    fn eval_attribute_chain(&mut self, expr: &'a Expr) -> Value {
        let mark = self.chain_scratch.len();
        let mut base = expr;
        while let Expr::Attribute(a) = base {
            self.chain_scratch.push(&a.attr.id);
            base = &a.value;
        }
        let mut value = self.eval(base);
        // `chain_scratch[mark..]` holds the names outermost first; nested evaluations above
        // pushed and truncated past it, so it is intact.
        let end = self.chain_scratch.len();
        for k in (mark..end).rev() {
            value = match value {
                Value::Qual(q) => {
                    let names = &self.chain_scratch[mark..=k];
                    let joined = concat(
                        std::iter::once(&*q)
                            .chain(names.iter().rev().flat_map(|n| [".", n.as_str()])),
                    );
                    self.chain_scratch.truncate(mark);
                    return Value::Qual(joined);
                }
                Value::Unknown => break,
                other => {
                    let attr = self.chain_scratch[k];
                    self.attribute(other, attr)
                }
            };
        }
        self.chain_scratch.truncate(mark);
        value
    }

    fn attribute(&self, base: Value, attr: &Name) -> Value {
        match base {
            Value::Qual(q) => Value::Qual(concat([&q, ".", attr])),
            Value::Instance(inst) => Value::BoundMethod {
                receiver: self.current(&inst),
                method: attr.clone(),
            },
            Value::SelfAttr { class, path } => {
                if path.len() == 1 {
                    // `self.x.attr`: if `self.x` holds a known instance, it is a bound method.
                    let holder = Value::SelfAttr {
                        class,
                        path: path.clone(),
                    };
                    if let Some(inst) = self.self_attr_instance(&holder) {
                        return Value::BoundMethod {
                            receiver: inst,
                            method: attr.clone(),
                        };
                    }
                }
                match path.pushed(attr.clone()) {
                    Some(path) => Value::SelfAttr { class, path },
                    // Nothing resolves `self.a.b.c`: the link step follows two names.
                    None => Value::Unknown,
                }
            }
            _ => Value::Unknown,
        }
    }

    fn eval(&mut self, expr: &'a Expr) -> Value {
        if self.depth >= MAX_VISIT_DEPTH {
            self.report_too_deep(expr.range());
            return Value::Unknown;
        }
        self.depth += 1;
        let v = self.eval_inner(expr);
        self.depth -= 1;
        v
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

    fn eval_inner(&mut self, expr: &'a Expr) -> Value {
        match expr {
            Expr::Name(n) => self.lookup(n.id.as_str()),
            Expr::Attribute(_) => self.eval_attribute_chain(expr),
            Expr::Call(call) => self.eval_call(call),
            // Only short strings can name a module or a start method; docstrings and other
            // long literals are not copied.
            Expr::StringLiteral(s) if s.value.len() <= MAX_STRING_VALUE => {
                Value::Str(Name::new(s.value.to_str()))
            }
            Expr::StringLiteral(_) => Value::Unknown,
            Expr::BooleanLiteral(b) => Value::Bool(b.value),
            Expr::NoneLiteral(_) => Value::None,
            // A short tuple of literals (`VERSION = (5, 2, 19, "final", 0)`), for conditions
            // on an argument ([`ParamGuard`]); anything else in a tuple is only walked.
            Expr::Tuple(t) if t.elts.len() <= MAX_LITERAL_TUPLE => {
                match t.elts.iter().map(literal_value).collect::<Option<Vec<_>>>() {
                    Some(items) => Value::Tuple(items.into()),
                    None => {
                        walk_expr(self, expr);
                        Value::Unknown
                    }
                }
            }
            Expr::Lambda(lambda) => {
                if let Some(params) = &lambda.parameters {
                    self.visit_parameter_defaults(params);
                }
                let prefix = self.qual_prefix.get();
                let idx = self.new_function(concat([&prefix, "<lambda>"]), lambda.range);
                let qual_prefix = self.nested_prefix("<lambda>");
                let depth = self.depth;
                if let Some(level) = self.pending.last_mut() {
                    level.push(Pending {
                        idx,
                        body: PendingBody::Lambda(&lambda.body),
                        parameters: lambda.parameters.as_deref(),
                        class: None,
                        qual_prefix,
                        depth,
                    });
                }
                Value::Local(idx)
            }
            Expr::Named(named) => {
                let v = self.eval(&named.value);
                self.visit_assign_target(&named.target, v.clone());
                v
            }
            _ => {
                walk_expr(self, expr);
                Value::Unknown
            }
        }
    }

    /// The arguments of a call: all of them for a known API, or only those the link step
    /// can use ([`CallArgs::keeps_positional`]) for project code. Most calls keep none, and
    /// then nothing is allocated.
    fn eval_args(&mut self, arguments: &'a ast::Arguments, keep_all: bool) -> CallArgs {
        let mut args = CallArgs::default();
        // Positions skipped so far, filled with `Unknown` if a later argument is kept.
        let mut skipped = 0;
        for arg in arguments.args.iter() {
            let v = self.eval(arg);
            let v = if matches!(arg, Expr::Starred(_)) {
                Value::Unknown
            } else {
                v
            };
            if !keep_all && !CallArgs::keeps_positional(&v) {
                skipped += 1;
                continue;
            }
            args.positional
                .extend(std::iter::repeat_n(Value::Unknown, skipped));
            skipped = 0;
            args.positional.push(v);
        }
        for kw in &arguments.keywords {
            let v = self.eval(&kw.value);
            if let Some(name) = &kw.arg
                && (keep_all || CallArgs::keeps_keyword(name, &v))
            {
                args.keywords.push((name.id.clone(), v));
            }
        }
        args
    }

    /// What `callee` is, decided once per call: each test is a hash lookup or several.
    fn callee_kind(&self, callee: &Value) -> CalleeKind<'i> {
        let knowledge = self.index.knowledge;
        let known_or_project = |api: Option<&'i Api>, owner: &str| match api {
            Some(api) => CalleeKind::Known(api),
            None if self.index.in_project(owner) => CalleeKind::Project,
            None => CalleeKind::Irrelevant,
        };
        match callee {
            Value::Qual(q) => known_or_project(knowledge.get(q), q),
            Value::Local(_) | Value::SelfAttr { .. } | Value::Partial(_) => CalleeKind::Project,
            Value::BoundMethod { receiver, method } => known_or_project(
                knowledge.get_member(&receiver.class, method),
                &receiver.class,
            ),
            _ => CalleeKind::Irrelevant,
        }
    }

    fn callable_is_relevant(&self, callee: &Value) -> bool {
        !matches!(self.callee_kind(callee), CalleeKind::Irrelevant)
    }

    fn eval_call(&mut self, call: &'a ast::ExprCall) -> Value {
        // `super().__init__(daemon=True)` in a Thread subclass sets the class's daemon flag.
        if let Expr::Attribute(a) = &*call.func
            && let Expr::Call(inner) = &*a.value
            && matches!(&*inner.func, Expr::Name(n) if n.id.as_str() == "super")
        {
            let args = self.eval_args(&call.arguments, true);
            if let (Some(Value::Bool(b)), Some(c)) =
                (args.get(None, Some("daemon")), self.class_stack_current())
            {
                self.summary.classes[c as usize].daemon = Some(*b);
            }
            return Value::Unknown;
        }
        self.calls_seen += 1;
        let callee = self.eval(&call.func);
        let kind = self.callee_kind(&callee);
        let outer_seen = std::mem::take(&mut self.seen);
        let mut args = match kind {
            // The arguments of a call that cannot matter are walked (they may call
            // something) but their values are not collected.
            CalleeKind::Irrelevant => {
                for arg in &call.arguments.args {
                    self.visit_expr(arg);
                }
                for kw in &call.arguments.keywords {
                    self.visit_expr(&kw.value);
                }
                CallArgs::default()
            }
            CalleeKind::Known(_) => self.eval_args(&call.arguments, true),
            // A partial may wrap a known API, whose arguments all matter.
            CalleeKind::Project => {
                self.eval_args(&call.arguments, matches!(callee, Value::Partial(_)))
            }
        };
        self.last_callee = None;
        let range = call.range();
        let in_args = self.seen;
        self.seen = outer_seen | in_args;
        if let CalleeKind::Known(api) = kind {
            if api.has(EffectKind::MainThreadCheck) {
                self.seen |= SEEN_MAIN_THREAD_CHECK;
            }
            if api.has(EffectKind::SubinterpIsRunning) {
                self.seen |= SEEN_IS_RUNNING;
            }
        }
        // `self.assertTrue(interp.is_running())`: a test's assertion is a condition.
        if is_assertion_call(&call.func) && in_args & SEEN_IS_RUNNING != 0 {
            self.push_region(
                RegionKind::IsRunningTest,
                range,
                TextRange::empty(range.end()),
            );
        }
        if let CalleeKind::Known(api) = kind {
            if api.subinterp_target {
                self.code_string_target(api, call, &mut args);
            }
            if api.kind == ApiKind::Function {
                if api.has(EffectKind::CancelShield) {
                    self.push_region(RegionKind::Shield, range, range);
                } else if api.has(EffectKind::CancelDeadline) {
                    self.push_region(RegionKind::Deadline, range, range);
                }
            }
        }

        // Materialising an iterator of results: `list(ex.map(f, xs))`.
        if let (Expr::Name(n), Some(Expr::Call(inner))) = (&*call.func, call.arguments.args.first())
            && matches!(
                n.id.as_str(),
                "list" | "tuple" | "set" | "sorted" | "frozenset" | "sum" | "any" | "all"
            )
            && matches!(callee, Value::Unknown)
            && let Expr::Call(_) = inner.func.as_ref()
            && let Value::BoundMethod { .. } = self.eval_quiet(&inner.func)
        {
            let inner_callee = self.eval_quiet(&inner.func);
            self.push_event(
                inner.range(),
                EventKind::Consume {
                    callee: inner_callee,
                },
            );
        }

        let result = match (&callee, kind) {
            (_, CalleeKind::Irrelevant) => Value::Unknown,
            (Value::Qual(_), CalleeKind::Known(api)) => self.call_known(api, args, range),
            (Value::Qual(q), CalleeKind::Project) => self.call_project(q, &callee, args, range),
            (Value::BoundMethod { receiver, .. }, CalleeKind::Known(api)) => {
                let receiver = receiver.clone();
                self.call_known_method(&receiver, api, &callee, args, range)
            }
            // A local function, `self.m`, a partial, a method of a project class.
            _ => {
                self.push_event(
                    range,
                    EventKind::Call {
                        callee: callee.clone(),
                        args: args.shared(),
                    },
                );
                Value::Unknown
            }
        };
        self.last_callee = Some(callee);
        result
    }

    fn push_region(&mut self, kind: RegionKind, range: TextRange, body: TextRange) {
        self.summary.regions.push(Region {
            kind,
            func: self.sink,
            range,
            body,
        });
    }

    /// Regions an `if` test opens over its clause: a main-thread guard, an `is_running()`
    /// condition.
    fn record_test_regions(&mut self, seen: u8, test: &'a Expr, body: &'a [Stmt]) {
        if seen & SEEN_MAIN_THREAD_CHECK != 0 {
            self.push_region(RegionKind::MainThreadOnly, test.range(), body_range(body));
        }
        if seen & SEEN_IS_RUNNING != 0 {
            self.push_region(RegionKind::IsRunningTest, test.range(), body_range(body));
        }
    }

    /// Evaluates `expr` and says which condition-relevant APIs it called (see `seen`).
    fn eval_noting(&mut self, expr: &'a Expr) -> u8 {
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
    fn note_long_loop(&mut self, w: &'a ast::StmtWhile, works: bool) {
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

    /// `interp.exec("...")`, `_interpreters.run_string(id, dedent("""..."""))`: a
    /// literal code string runs in a subinterpreter. It is parsed and summarised as a
    /// function of this module, whose events sit at their places inside the literal; the
    /// argument then names that function. Anything but a literal is left alone: its
    /// contents are not guessed at (RULES.md §3 FP trap 7).
    fn code_string_target(&mut self, api: &Api, call: &'a ast::ExprCall, args: &mut CallArgs) {
        let Some(spec) = &api.target else { return };
        let keyword = spec.keyword.as_deref().and_then(|k| {
            call.arguments
                .keywords
                .iter()
                .find(|kw| kw.arg.as_ref().is_some_and(|a| a.as_str() == k))
                .map(|kw| &kw.value)
        });
        let positional = spec.position.and_then(|p| call.arguments.args.get(p));
        let Some(expr) = keyword.or(positional) else {
            return;
        };
        // `dedent("...")`: the knowledge base says which calls dedent.
        let (literal, dedent) = match expr {
            Expr::StringLiteral(s) => (s, false),
            Expr::Call(inner) => match (inner.arguments.args.first(), self.eval_quiet(&inner.func))
            {
                (Some(Expr::StringLiteral(s)), Value::Qual(q))
                    if self
                        .index
                        .knowledge
                        .get(&q)
                        .is_some_and(|a| a.has(EffectKind::Dedent)) =>
                {
                    (s, true)
                }
                _ => return,
            },
            _ => return,
        };
        let Some(idx) = self.walk_code_string(literal, dedent) else {
            return;
        };
        let value = Value::Local(idx);
        if keyword.is_some() {
            let k = spec.keyword.as_deref().unwrap_or_default();
            if let Some(slot) = args.keywords.iter_mut().find(|(n, _)| n.as_str() == k) {
                slot.1 = value;
            }
        } else if let Some(slot) = spec.position.and_then(|p| args.positional.get_mut(p)) {
            *slot = value;
        }
    }

    /// Parses a literal code string and walks it as a new function (see
    /// [`Self::code_string_target`]); `None` when it is too long or does not parse.
    fn walk_code_string(
        &mut self,
        literal: &'a ast::ExprStringLiteral,
        dedent: bool,
    ) -> Option<FuncIdx> {
        if literal.value.len() > MAX_CODE_STRING || self.depth + 8 >= MAX_VISIT_DEPTH {
            return None;
        }
        let code = literal.value.to_str();
        let (code, map) = CodeMap::new(self.source, literal, code, dedent);
        let parsed = parse_unchecked_source(&code, PySourceType::Python);
        if !parsed.errors().is_empty() || scan_tokens(&code, parsed.tokens()).too_deep.is_some() {
            return None;
        }
        let prefix = self.qual_prefix.get();
        let idx = self.new_function(concat([&prefix, "<code string>"]), literal.range);
        self.summary.functions[idx as usize].code_string = true;
        let (first_class, first_region, first_child) = (
            self.summary.classes.len(),
            self.summary.regions.len(),
            self.summary.fork_children.len(),
        );
        {
            // A fresh `__main__`: nothing of this module's namespace is visible in it.
            let mut child = ModuleVisitor::new(&mut *self.summary, self.index, &code);
            child.next_handle = self.next_handle;
            child.sink = Some(idx);
            // What the code string defines is named under it (`<code string>.worker`).
            child.qual_prefix = QualPrefix {
                base: concat([&prefix, "<code string>."]),
                locals_of: None,
            };
            child.depth = self.depth + 1;
            child.pending.push(Vec::new());
            child.visit_body(parsed.suite());
            let pending = child.pending.pop().unwrap_or_default();
            child.walk_pending(pending);
            self.next_handle = child.next_handle;
        }
        // Back to positions in this file.
        let s = &mut *self.summary;
        for f in &mut s.functions[idx as usize + 1..] {
            f.name_range = map.range(f.name_range);
            if let Some(l) = &mut f.long_loop {
                l.range = map.range(l.range);
            }
            for e in &mut f.events {
                e.range = map.range(e.range);
            }
        }
        for e in &mut s.functions[idx as usize].events {
            e.range = map.range(e.range);
        }
        if let Some(l) = &mut s.functions[idx as usize].long_loop {
            l.range = map.range(l.range);
        }
        for c in &mut s.classes[first_class..] {
            c.name_range = map.range(c.name_range);
        }
        for r in &mut s.regions[first_region..] {
            r.range = map.range(r.range);
            r.body = map.range(r.body);
        }
        for c in &mut s.fork_children[first_child..] {
            c.fork = map.range(c.fork);
            c.body = map.range(c.body);
        }
        Some(idx)
    }

    /// The class of the method being walked (method bodies are walked after the class body,
    /// so the function records it).
    fn class_stack_current(&self) -> Option<ClassIdx> {
        self.summary.functions[self.sink? as usize].class
    }

    /// A call of a known API (function or class) by its qualified name.
    fn call_known(&mut self, api: &Api, args: CallArgs, range: TextRange) -> Value {
        if api.has(EffectKind::Partial) {
            let target = api
                .target
                .as_ref()
                .and_then(|t| args.get(t.position, t.keyword.as_deref()));
            return target.map_or(Value::Unknown, |t| Value::Partial(Box::new(t.clone())));
        }
        if api.has(EffectKind::Import) {
            return self.dynamic_import(api, &args, range);
        }
        let start_method = if api.has(EffectKind::GetContext) {
            api.method_arg
                .as_ref()
                .and_then(|m| args.get(m.position, m.keyword.as_deref()))
                .and_then(Value::as_str)
        } else {
            // `ProcessPoolExecutor(mp_context=ctx)` carries the context's start method;
            // `max_tasks_per_child=N` without one makes it spawn (3.11+, RULES.md §2).
            match (
                args.get(None, Some("mp_context")),
                args.get(None, Some("max_tasks_per_child")),
            ) {
                (Some(Value::Instance(ctx)), _) => ctx.start_method.as_deref(),
                (None | Some(Value::None), Some(v)) if *v != Value::None => Some("spawn"),
                _ => None,
            }
        }
        .map(str::to_string);
        let class = match api.kind {
            ApiKind::Class => Some(api.name.clone()),
            _ => api.returns.clone(),
        };
        let ctor = args.shared();
        self.push_event(
            range,
            EventKind::Call {
                callee: Value::Qual(api.name.as_str().into()),
                args: ctor.clone(),
            },
        );
        match class {
            Some(class) => {
                let handle = self.fresh_handle();
                Value::Instance(Arc::new(Instance {
                    class: class.into(),
                    ctor,
                    handle,
                    daemon: None,
                    start_method,
                }))
            }
            None => Value::Unknown,
        }
    }

    /// A call of project code by its qualified name (a function, or a class).
    fn call_project(&mut self, q: &str, callee: &Value, args: CallArgs, range: TextRange) -> Value {
        let ctor = args.shared();
        self.push_event(
            range,
            EventKind::Call {
                callee: callee.clone(),
                args: ctor.clone(),
            },
        );
        // It may be a class: keep what it makes trackable; the link step decides.
        let handle = self.fresh_handle();
        Value::Instance(Arc::new(Instance {
            class: match callee {
                Value::Qual(shared) => shared.clone(),
                _ => q.into(),
            },
            ctor,
            handle,
            daemon: None,
            start_method: None,
        }))
    }

    /// A call of a known method on an instance of a known class (`t.start()`).
    fn call_known_method(
        &mut self,
        receiver: &Instance,
        api: &Api,
        callee: &Value,
        args: CallArgs,
        range: TextRange,
    ) -> Value {
        if api.has(EffectKind::SetDaemon) {
            let flag = api
                .daemon
                .as_ref()
                .and_then(|d| args.get(d.position, d.keyword.as_deref()));
            if let Some(Value::Bool(b)) = flag {
                self.daemon_by_handle.insert(receiver.handle, *b);
            }
            return Value::Unknown;
        }
        let returns = api.returns.clone();
        let args = args.shared();
        self.push_event(
            range,
            EventKind::Call {
                callee: callee.clone(),
                args: args.clone(),
            },
        );
        match returns {
            // Results keep the receiver's handle (a future of the executor that runs it)
            // and start method (a context's `Process`).
            Some(class) => Value::Instance(Arc::new(Instance {
                class: class.into(),
                ctor: args,
                handle: receiver.handle,
                daemon: None,
                start_method: receiver.start_method.clone(),
            })),
            None => Value::Unknown,
        }
    }

    fn dynamic_import(
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
                let v = self.eval(&a.value);
                let kept = self.param_passed_through(a);
                for target in &a.targets {
                    self.visit_assign_target(target, v.clone());
                }
                if let Some(kept) = kept {
                    self.params.push(kept);
                }
                self.note_fork_var(a);
            }
            Stmt::While(w) => {
                self.eval(&w.test);
                let calls_before = self.calls_seen;
                self.conditional += 1;
                self.visit_body(&w.body);
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
    fn visit_body(&mut self, body: &'a [Stmt]) {
        let saved = std::mem::replace(&mut self.unreachable, false);
        for (i, stmt) in body.iter().enumerate() {
            if self.unreachable {
                break;
            }
            self.following = body.get(i + 1);
            self.visit_stmt(stmt);
        }
        self.unreachable = saved;
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

/// Longest code string parsed (bytes); longer ones are left alone.
const MAX_CODE_STRING: usize = 256 * 1024;

/// From offsets in a code string (as the subinterpreter sees it: dedented, escapes
/// decoded) back to offsets in the file. Exact for a plain literal line by line; a literal
/// with escape sequences or implicit concatenation maps everything to the literal itself.
struct CodeMap {
    /// (offset of a line in the code, offset of the same line's text in the file).
    lines: Vec<(u32, u32)>,
    literal: TextRange,
}

impl CodeMap {
    fn new(
        source: &str,
        literal: &ast::ExprStringLiteral,
        code: &str,
        dedent: bool,
    ) -> (String, CodeMap) {
        let verbatim = match literal.value.as_slice() {
            [part] => {
                let content = part.content_range();
                (source.get(usize::from(content.start())..usize::from(content.end())) == Some(code)
                    && !code.contains('\r'))
                .then_some(content.start())
            }
            _ => None,
        };
        let indent = if dedent { common_indent(code) } else { 0 };
        let mut out = String::with_capacity(code.len());
        let mut lines = Vec::new();
        let mut at = 0u32;
        for line in code.split_inclusive('\n') {
            let blank = line.trim().is_empty();
            let cut = if blank {
                line.len() - usize::from(line.ends_with('\n'))
            } else {
                indent.min(line.len())
            };
            if let Some(start) = verbatim {
                lines.push((out.len() as u32, u32::from(start) + at + cut as u32));
            }
            out.push_str(&line[cut..]);
            at += line.len() as u32;
        }
        (
            out,
            CodeMap {
                lines,
                literal: literal.range,
            },
        )
    }

    fn offset(&self, offset: TextSize) -> Option<TextSize> {
        let o = u32::from(offset);
        let i = self
            .lines
            .partition_point(|(code, _)| *code <= o)
            .checked_sub(1)?;
        let (code, file) = self.lines[i];
        Some(TextSize::new(file + (o - code)))
    }

    fn range(&self, range: TextRange) -> TextRange {
        match (self.offset(range.start()), self.offset(range.end())) {
            (Some(a), Some(b)) if a <= b => TextRange::new(a, b),
            _ => self.literal,
        }
    }
}

/// `textwrap.dedent`'s common indentation: the whitespace prefix every non-blank line shares
/// (in bytes).
fn common_indent(code: &str) -> usize {
    let mut common: Option<&str> = None;
    for line in code.lines().filter(|l| !l.trim().is_empty()) {
        let ws = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        common = Some(match common {
            None => ws,
            Some(c) => {
                let n = c
                    .bytes()
                    .zip(ws.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &c[..n]
            }
        });
    }
    common.map_or(0, str::len)
}

/// `self.assertTrue(...)`, `assert_that(...)`: the unittest and pytest-helper convention
/// that a call named `assert…` checks a condition.
fn is_assertion_call(func: &Expr) -> bool {
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

/// `pid == 0`, `0 == pid`, `not pid` (true in the child), or `pid`, `pid != 0`, `pid > 0`
/// (true in the parent): the name tested and whether the test holds in the child.
fn fork_test(test: &Expr) -> Option<(&str, bool)> {
    let is_zero = |e: &Expr| matches!(e, Expr::NumberLiteral(n) if matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)));
    match test {
        Expr::Name(n) => Some((n.id.as_str(), false)),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => match &*u.operand {
            Expr::Name(n) => Some((n.id.as_str(), true)),
            _ => None,
        },
        Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
            let (left, right) = (&*c.left, &c.comparators[0]);
            let (name, swapped) = match (left, right) {
                (Expr::Name(n), r) if is_zero(r) => (n.id.as_str(), false),
                (l, Expr::Name(n)) if is_zero(l) => (n.id.as_str(), true),
                _ => return None,
            };
            match (c.ops[0], swapped) {
                (CmpOp::Eq, _) => Some((name, true)),
                (CmpOp::NotEq, _) => Some((name, false)),
                (CmpOp::Gt, false) | (CmpOp::Lt, true) => Some((name, false)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a loop body has a `break` of its own (not one of a nested loop).
fn breaks_out(body: &[Stmt]) -> bool {
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

/// Whether a block ending in `stmt` leaves it (so nothing after the block's `if` runs).
fn terminates(stmt: &Stmt) -> bool {
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

fn parent(module: &str) -> &str {
    last_dot(module).map_or("", |i| &module[..i])
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
}
