//! The value-flow IR of one module: what each scope does with *objects*, as constraints over
//! variables, for the points-to analysis in `program::points_to`.
//!
//! Events (`summary::Event`) say what a body does in order; this IR says where values go:
//! `x = f` copies, `self._t = t` stores into an object's field, `for t in ts:` reads a
//! container's elements, `g(x)` passes `x` to whatever `g` turns out to hold. Names are
//! resolved here, with Python's scoping rules (a name assigned anywhere in a function is local
//! to it throughout; `global`/`nonlocal`; class bodies are skipped by nested functions;
//! comprehension targets are private), so the solver only ever sees variables. What a name
//! *holds* — a function, a class, an instance, a module of another file — is left to the
//! solver, which sees the whole project.
//!
//! Lowering is flow-insensitive and context-insensitive on purpose: every op of a scope holds
//! whatever order its statements run in, which is what a call graph (and "may this object
//! reach that join?") needs, at a cost linear in the size of the module.

use rustc_hash::FxHashMap as HashMap;
use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{
    self as ast, Expr, ExprContext, Parameters, Stmt,
    visitor::{self, Visitor},
};
use ruff_text_size::{Ranged, TextRange};

/// How deep the lowering follows nested statements and expressions. The visitor follows
/// [`super::MAX_VISIT_DEPTH`] and files nested deeper are not lowered; real code nests a few
/// dozen levels.
const MAX_LOWERING_DEPTH: usize = super::MAX_VISIT_DEPTH;

/// Index of a name in [`ModuleFlow::names`].
pub type NameId = u32;
/// Index of a scope in [`ModuleFlow::scopes`] (0 is the module body).
pub type ScopeId = u32;

/// A variable of the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    /// A name bound in a scope. In the module scope it is the module's attribute, in a class
    /// body the class's attribute (that is what binding a name there does in Python).
    Local { scope: ScopeId, name: NameId },
    /// A name no enclosing scope binds: the module's global (made by a star import or by
    /// another module's `mod.x = …`), else a builtin.
    Free(NameId),
    /// An intermediate value, numbered in the module.
    Temp(u32),
    /// What a function returns (for a generator: what it yields).
    Ret(ScopeId),
}

/// An argument at a call site.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg {
    /// A positional argument; `None` for one that holds no object the IR follows
    /// (a number), kept so that later positions stay right.
    Pos(Option<Var>),
    /// `*xs`: the elements of a container.
    Star(Var),
    Kw(NameId, Var),
    /// `**kw`.
    StarStar(Var),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Copy {
        dst: Var,
        src: Var,
    },
    /// A `def` or `lambda`: the function object of scope `scope`.
    Func {
        dst: Var,
        scope: ScopeId,
    },
    /// A `class` statement: the class object of scope `scope`.
    Class {
        dst: Var,
        scope: ScopeId,
    },
    /// `import a.b` binds `a` (`module` = "a"); `import a.b as c` binds `a.b`.
    Import {
        dst: Var,
        module: NameId,
    },
    /// `from module import name` (relative imports are made absolute here).
    ImportFrom {
        dst: Var,
        module: NameId,
        name: NameId,
    },
    /// `from module import *`.
    StarImport {
        module: NameId,
    },
    /// A string literal (a start method, code for a subinterpreter).
    Str {
        dst: Var,
        value: NameId,
    },
    /// `dst = base.attr`.
    Load {
        dst: Var,
        base: Var,
        attr: NameId,
    },
    /// `base.attr = src`.
    Store {
        base: Var,
        attr: NameId,
        src: Var,
    },
    /// An integer literal where it can be a key or index (`key = 1`, `f(1)`, `xs[i]`).
    Int {
        dst: Var,
        value: i64,
    },
    /// `dst = base[index]` with an index that is a variable: the element at each integer or
    /// string it may hold, any element where it may hold anything else.
    DynLoad {
        dst: Var,
        base: Var,
        index: Var,
    },
    /// `dst = base[start:]`: the same elements, positions shifted by `start`.
    Slice {
        dst: Var,
        base: Var,
        start: u32,
    },
    /// `dst = base[i]` with a literal integer `i`: the element at that position, or any
    /// element stored at an unknown position.
    IndexLoad {
        dst: Var,
        base: Var,
        index: u32,
    },
    /// `dst = base[k]`, iteration, `pop()`, `.values()`: any element.
    ElemLoad {
        dst: Var,
        base: Var,
    },
    /// `base[k] = src`, `append(src)`, a display's element.
    ElemStore {
        base: Var,
        src: Var,
    },
    /// `dst = base["key"]` with a literal key: that key's value.
    KeyLoad {
        dst: Var,
        base: Var,
        key: NameId,
    },
    /// `base["key"] = src` and `{"key": src}`.
    KeyStore {
        base: Var,
        key: NameId,
        src: Var,
    },
    /// A list, tuple, set or dict display or comprehension: a new container object.
    Container {
        dst: Var,
        site: u32,
        kind: ContainerKind,
    },
    /// A call. `implicit` calls are the ones Python makes for a statement (`__iter__` of a
    /// `for`, `__enter__` of a `with`): only project functions count for them.
    Call {
        dst: Var,
        callee: Var,
        args: Box<[Arg]>,
        site: u32,
        implicit: bool,
    },
    /// `raise X`: a class raised is instantiated.
    Raise {
        src: Var,
    },
    /// `with mgr as dst`: a project manager's `__enter__` result, else the manager itself
    /// (what most library managers return).
    Enter {
        dst: Var,
        mgr: Var,
        site: u32,
    },
    /// `super()` in a method of class `class`, whose first parameter is `recv`.
    Super {
        dst: Var,
        class: ScopeId,
        recv: Var,
        site: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerKind {
    List,
    Tuple,
    Set,
    Dict,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Lambda,
    Class,
}

/// How a function stored in a class is bound when read from an instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Binding {
    /// A plain method: bound to the instance.
    #[default]
    Method,
    /// `@staticmethod`: not bound.
    Static,
    /// `@classmethod`: bound to the class.
    ClassMethod,
    /// `@property`: reading the attribute calls it.
    Property,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: NameId,
    pub kind: ParamKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    PositionalOnly,
    Positional,
    KeywordOnly,
    /// `*args`: a tuple of the extra positional arguments.
    VarArgs,
    /// `**kwargs`: a dict of the extra keyword arguments.
    VarKeywords,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlowScope {
    pub kind: ScopeKind,
    /// Dotted name relative to the module, as a call graph names it: `f`, `C.m`, `f.g`,
    /// `<lambda1>` (lambdas numbered from 1 in each enclosing scope). Empty for the module.
    pub qualname: String,
    pub parent: Option<ScopeId>,
    /// The name of the `def`/`class` (the whole lambda for a lambda).
    pub name_range: TextRange,
    pub params: Vec<Param>,
    /// Class only: the base class expressions, evaluated in the enclosing scope.
    pub bases: Vec<Var>,
    /// Class only: the names its body binds (sorted), where attribute lookup stops.
    pub class_names: Vec<NameId>,
    pub binding: Binding,
    /// The function has a `yield`: calling it makes a generator.
    pub generator: bool,
    pub ops: Vec<Op>,
}

impl FlowScope {
    pub fn param_var(&self, scope: ScopeId, i: usize) -> Option<Var> {
        self.params.get(i).map(|p| Var::Local {
            scope,
            name: p.name,
        })
    }
}

/// The value-flow IR of a module.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModuleFlow {
    pub names: Vec<ast::name::Name>,
    pub scopes: Vec<FlowScope>,
    /// Source range of each call and allocation site.
    pub sites: Vec<TextRange>,
    /// Names the module scope binds (the static part of its namespace).
    pub module_names: Vec<NameId>,
    pub temps: u32,
}

impl ModuleFlow {
    pub fn name(&self, id: NameId) -> &str {
        self.names[id as usize].as_str()
    }
}

/// Lowers a parsed module. `module` is its dotted name, `is_package` whether it is an
/// `__init__.py` (relative imports are resolved against them).
pub fn lower(body: &[Stmt], module: &str, is_package: bool) -> ModuleFlow {
    let mut l = Lowerer {
        flow: ModuleFlow::default(),
        name_ids: HashMap::default(),
        module: module.to_string(),
        is_package,
        stack: Vec::new(),
        pinned: HashSet::default(),
        depth: 0,
    };
    let bound = Bindings::of_body(body, &[]);
    l.flow.scopes.push(FlowScope {
        kind: ScopeKind::Module,
        qualname: String::new(),
        parent: None,
        name_range: TextRange::default(),
        params: Vec::new(),
        bases: Vec::new(),
        class_names: Vec::new(),
        binding: Binding::Method,
        generator: false,
        ops: Vec::new(),
    });
    let mut names: Vec<NameId> = bound.bound.iter().map(|n| l.intern(n)).collect();
    names.sort_unstable();
    l.flow.module_names = names;
    l.stack.push(Frame {
        scope: 0,
        bound,
        comprehension: Vec::new(),
        lambdas: 0,
        first_param: None,
        class: None,
        versions: HashMap::default(),
    });
    l.pinned = pinned_names(body);
    l.stmts(body);
    l.flow
}

/// The names a scope binds, and its `global`/`nonlocal` declarations.
#[derive(Default)]
struct Bindings {
    bound: HashSet<String>,
    globals: HashSet<String>,
    nonlocals: HashSet<String>,
}

impl Bindings {
    fn of_body(body: &[Stmt], params: &[String]) -> Bindings {
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

struct BindingCollector<'b> {
    b: &'b mut Bindings,
}

impl BindingCollector<'_> {
    fn target(&mut self, e: &Expr) {
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

struct Frame {
    scope: ScopeId,
    bound: Bindings,
    /// Comprehension targets in force, innermost last: private to the comprehension.
    comprehension: Vec<(String, Var)>,
    lambdas: u32,
    /// A method's first parameter (for `super()`).
    first_param: Option<Var>,
    /// The class whose method this is (for `super()`).
    class: Option<ScopeId>,
    /// The variable that holds each name's value at this point of the scope's code, for the
    /// names assigned in it so far on every path here. A name without one is read whole
    /// (every value it is ever given).
    versions: HashMap<NameId, Var>,
}

/// The names' values at a point, saved to lower another branch from the same point.
type Versions = HashMap<NameId, Var>;

struct Lowerer {
    flow: ModuleFlow,
    name_ids: HashMap<String, NameId>,
    module: String,
    is_package: bool,
    stack: Vec<Frame>,
    /// Names some function declares `global` or `nonlocal`: another scope assigns them, so
    /// where they are read, any of their values may be there.
    pinned: HashSet<String>,
    /// Statements and expressions being lowered, nested.
    depth: usize,
}

impl Lowerer {
    fn intern(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.flow.names.len() as NameId;
        self.flow.names.push(ast::name::Name::new(name));
        self.name_ids.insert(name.to_string(), id);
        id
    }

    fn frame(&self) -> &Frame {
        self.stack.last().expect("a scope is always open")
    }

    fn scope(&self) -> ScopeId {
        self.frame().scope
    }

    fn emit(&mut self, op: Op) {
        let s = self.scope() as usize;
        self.flow.scopes[s].ops.push(op);
    }

    fn temp(&mut self) -> Var {
        self.flow.temps += 1;
        Var::Temp(self.flow.temps - 1)
    }

    fn site(&mut self, range: TextRange) -> u32 {
        self.flow.sites.push(range);
        (self.flow.sites.len() - 1) as u32
    }

    /// The variable a name denotes where it is read or bound, by Python's scoping rules.
    fn resolve(&mut self, name: &str) -> Var {
        let id = self.intern(name);
        let top = self.stack.len() - 1;
        if let Some((_, v)) = self.stack[top]
            .comprehension
            .iter()
            .rev()
            .find(|(n, _)| n == name)
        {
            return *v;
        }
        let module_binds = |s: &Self| s.stack[0].bound.bound.contains(name);
        let frame = &self.stack[top];
        if frame.bound.globals.contains(name) {
            return if module_binds(self) {
                Var::Local { scope: 0, name: id }
            } else {
                Var::Free(id)
            };
        }
        if frame.bound.bound.contains(name) {
            return Var::Local {
                scope: frame.scope,
                name: id,
            };
        }
        // Enclosing function scopes; class bodies are not visible from nested scopes.
        for f in self.stack[..top].iter().rev() {
            let kind = self.flow.scopes[f.scope as usize].kind;
            if kind == ScopeKind::Class {
                continue;
            }
            if let Some((_, v)) = f.comprehension.iter().rev().find(|(n, _)| n == name) {
                return *v;
            }
            if f.bound.bound.contains(name) {
                return Var::Local {
                    scope: f.scope,
                    name: id,
                };
            }
        }
        Var::Free(id)
    }

    fn stmts(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    /// `name = src`: the name's variable gets the value, and in the scope that owns it the
    /// name holds just this value from here on (until a branch merges or a loop repeats).
    fn bind_name(&mut self, name: &str, src: Var) {
        let dst = self.resolve(name);
        self.emit(Op::Copy { dst, src });
        self.set_version(name, dst, src);
    }

    fn set_version(&mut self, name: &str, dst: Var, value: Var) {
        if let Var::Local { scope, name: id } = dst
            && scope == self.scope()
            && !self.pinned.contains(name)
        {
            self.stack
                .last_mut()
                .expect("a scope is open")
                .versions
                .insert(id, value);
        }
    }

    /// `name = <something the IR does not follow>`: from here on it holds nothing followed.
    fn unbind_name(&mut self, name: &str) {
        let dst = self.resolve(name);
        let nothing = self.temp();
        self.set_version(name, dst, nothing);
    }

    /// The variable to read `name` from here.
    fn read(&mut self, name: &str) -> Var {
        let v = self.resolve(name);
        if let Var::Local { scope, name: id } = v
            && scope == self.scope()
            && let Some(current) = self.frame().versions.get(&id)
        {
            return *current;
        }
        v
    }

    fn versions(&self) -> Versions {
        self.frame().versions.clone()
    }

    fn set_versions(&mut self, v: Versions) {
        self.stack.last_mut().expect("a scope is open").versions = v;
    }

    /// After branches: a name keeps a value where every branch that falls through agrees,
    /// gets a join of them where they differ, and is read whole where one did not assign it.
    fn merge(&mut self, ends: Vec<Versions>) -> Versions {
        let Some(first) = ends.first() else {
            return Versions::default();
        };
        let mut out = Versions::default();
        let mut names: Vec<NameId> = first.keys().copied().collect();
        names.sort_unstable();
        for n in names {
            let values: Option<Vec<Var>> = ends.iter().map(|e| e.get(&n).copied()).collect();
            let Some(mut values) = values else { continue };
            values.sort_unstable();
            values.dedup();
            let merged = if values.len() == 1 {
                values[0]
            } else {
                let phi = self.temp();
                for src in values {
                    self.emit(Op::Copy { dst: phi, src });
                }
                phi
            };
            out.insert(n, merged);
        }
        out
    }

    /// Before and after a loop or `try` body: the names it assigns may hold any of their
    /// values (an earlier iteration's, or a handler's after a partial run).
    fn forget(&mut self, body: &[Stmt]) {
        let assigned = Bindings::of_body(body, &[]);
        let frame = self.stack.last_mut().expect("a scope is open");
        let ids: Vec<NameId> = assigned
            .bound
            .iter()
            .filter_map(|n| self.name_ids.get(n.as_str()).copied())
            .collect();
        for id in ids {
            frame.versions.remove(&id);
        }
    }

    /// Lowers the branches of an `if`/`match` from the same point and merges the ends of those
    /// that fall through. `exhaustive`: one branch always runs (an `else:` exists).
    fn branches(&mut self, bodies: &[&[Stmt]], exhaustive: bool) {
        let start = self.versions();
        let mut ends = Vec::new();
        for body in bodies {
            self.set_versions(start.clone());
            self.stmts(body);
            if !body
                .last()
                .is_some_and(|s| matches!(s, Stmt::Return(_) | Stmt::Raise(_)))
            {
                ends.push(self.versions());
            }
        }
        if !exhaustive {
            ends.push(start.clone());
        }
        let merged = if ends.is_empty() {
            start
        } else {
            self.merge(ends)
        };
        self.set_versions(merged);
    }

    fn stmt(&mut self, stmt: &Stmt) {
        if self.depth >= MAX_LOWERING_DEPTH {
            return;
        }
        self.depth += 1;
        self.stmt_inner(stmt);
        self.depth -= 1;
    }

    fn stmt_inner(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                let value = self.function(
                    f.name.as_str(),
                    f.name.range,
                    &f.parameters,
                    FunctionBody::Stmts(&f.body),
                    &f.decorator_list,
                );
                self.bind_name(f.name.as_str(), value);
            }
            Stmt::ClassDef(c) => self.class(c),
            Stmt::Return(r) => {
                if let Some(v) = r.value.as_deref().and_then(|e| self.expr(e)) {
                    let dst = Var::Ret(self.scope());
                    self.emit(Op::Copy { dst, src: v });
                }
            }
            Stmt::Assign(a) => {
                let value = self.value(&a.value);
                for t in &a.targets {
                    self.assign(t, value, Some(&a.value));
                }
            }
            Stmt::AugAssign(a) => {
                let value = self.expr(&a.value);
                // `x += y` keeps what `x` held (`xs += [t]` extends the list).
                let old = match &*a.target {
                    Expr::Name(n) => Some(self.read(n.id.as_str())),
                    other => {
                        self.expr(other);
                        None
                    }
                };
                let value = self.join(&[old, value]);
                self.assign(&a.target, value, None);
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    let value = self.expr(v);
                    self.assign(&a.target, value, Some(v));
                }
            }
            Stmt::For(f) => {
                let iter = self.expr(&f.iter);
                self.forget(std::slice::from_ref(stmt));
                let item = iter.map(|i| self.iterate(i, f.iter.range()));
                self.assign(&f.target, item, None);
                self.stmts(&f.body);
                self.forget(std::slice::from_ref(stmt));
                self.stmts(&f.orelse);
            }
            Stmt::While(w) => {
                self.forget(std::slice::from_ref(stmt));
                self.expr(&w.test);
                self.stmts(&w.body);
                self.forget(std::slice::from_ref(stmt));
                self.stmts(&w.orelse);
            }
            Stmt::If(i) => {
                self.expr(&i.test);
                for clause in &i.elif_else_clauses {
                    if let Some(t) = &clause.test {
                        self.expr(t);
                    }
                }
                let mut bodies: Vec<&[Stmt]> = vec![&i.body];
                bodies.extend(i.elif_else_clauses.iter().map(|c| c.body.as_slice()));
                let exhaustive = i.elif_else_clauses.iter().any(|c| c.test.is_none());
                self.branches(&bodies, exhaustive);
            }
            Stmt::With(w) => {
                for item in &w.items {
                    let mgr = self.expr(&item.context_expr);
                    let entered = mgr.map(|mgr| {
                        let dst = self.temp();
                        let site = self.site(item.context_expr.range());
                        self.emit(Op::Enter { dst, mgr, site });
                        dst
                    });
                    if let Some(t) = &item.optional_vars {
                        self.assign(t, entered, None);
                    }
                }
                self.stmts(&w.body);
            }
            Stmt::Match(m) => {
                self.expr(&m.subject);
                for case in &m.cases {
                    if let Some(g) = &case.guard {
                        self.expr(g);
                    }
                }
                let bodies: Vec<&[Stmt]> = m.cases.iter().map(|c| c.body.as_slice()).collect();
                self.branches(&bodies, false);
            }
            Stmt::Raise(r) => {
                if let Some(src) = r.exc.as_deref().and_then(|e| self.expr(e)) {
                    self.emit(Op::Raise { src });
                }
                if let Some(c) = &r.cause {
                    self.expr(c);
                }
            }
            Stmt::Try(t) => {
                self.forget(std::slice::from_ref(stmt));
                self.stmts(&t.body);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    if let Some(ty) = &h.type_ {
                        self.expr(ty);
                    }
                    self.stmts(&h.body);
                }
                self.stmts(&t.orelse);
                self.forget(std::slice::from_ref(stmt));
                self.stmts(&t.finalbody);
            }
            Stmt::Assert(a) => {
                self.expr(&a.test);
                if let Some(m) = &a.msg {
                    self.expr(m);
                }
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    let (bound, module) = match &a.asname {
                        Some(n) => (n.to_string(), a.name.to_string()),
                        None => {
                            let top = a.name.split('.').next().unwrap_or_default().to_string();
                            (top.clone(), top)
                        }
                    };
                    let module = self.intern(&module);
                    let dst = self.temp();
                    self.emit(Op::Import { dst, module });
                    self.bind_name(&bound, dst);
                }
            }
            Stmt::ImportFrom(i) => {
                let Some(module) = self.absolute(i.module.as_ref().map(|m| m.as_str()), i.level)
                else {
                    return;
                };
                let module = self.intern(&module);
                for a in &i.names {
                    if a.name.as_str() == "*" {
                        self.emit(Op::StarImport { module });
                        continue;
                    }
                    let name = self.intern(a.name.as_str());
                    let dst = self.temp();
                    self.emit(Op::ImportFrom { dst, module, name });
                    let bound = a.asname.as_ref().unwrap_or(&a.name).to_string();
                    self.bind_name(&bound, dst);
                }
            }
            Stmt::Expr(e) => {
                self.expr(&e.value);
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    self.expr(t);
                }
            }
            Stmt::TypeAlias(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::IpyEscapeCommand(_) => {}
        }
    }

    /// `from ..x import y` in this module: the absolute name of `..x`.
    fn absolute(&self, module: Option<&str>, level: u32) -> Option<String> {
        if level == 0 {
            return module.map(str::to_string);
        }
        let mut parts: Vec<&str> = self.module.split('.').collect();
        // A module's package is its name less the last part; a package is its own.
        let up = if self.is_package { level - 1 } else { level };
        for _ in 0..up {
            parts.pop()?;
        }
        let mut base = parts.join(".");
        if let Some(m) = module {
            if !base.is_empty() {
                base.push('.');
            }
            base.push_str(m);
        }
        (!base.is_empty()).then_some(base)
    }

    /// Binds `target` to `value` (`None`: a value the IR does not follow, which still binds
    /// the names, and still evaluates the target's subexpressions).
    fn assign(&mut self, target: &Expr, value: Option<Var>, value_expr: Option<&Expr>) {
        match target {
            Expr::Name(n) => match value {
                Some(src) => self.bind_name(n.id.as_str(), src),
                None => self.unbind_name(n.id.as_str()),
            },
            Expr::Attribute(a) => {
                let base = self.expr(&a.value);
                if let (Some(base), Some(src)) = (base, value) {
                    let attr = self.intern(a.attr.as_str());
                    self.emit(Op::Store { base, attr, src });
                }
            }
            Expr::Subscript(s) => {
                let base = self.expr(&s.value);
                let key = self.expr(&s.slice);
                let _ = key;
                if let (Some(base), Some(src)) = (base, value) {
                    match literal_key(&s.slice) {
                        Some(k) => {
                            let key = self.intern(&k);
                            self.emit(Op::KeyStore { base, key, src });
                        }
                        None => self.emit(Op::ElemStore { base, src }),
                    }
                }
            }
            Expr::Tuple(_) | Expr::List(_) => {
                let elts = match target {
                    Expr::Tuple(t) => &t.elts,
                    Expr::List(t) => &t.elts,
                    _ => unreachable!(),
                };
                // `a, b = f, g`: pair them up directly, as Python does.
                let starred = elts.iter().any(Expr::is_starred_expr);
                let fits = |n: usize| n == elts.len() || (starred && n + 1 >= elts.len());
                let displayed = match value_expr {
                    Some(Expr::Tuple(t)) if fits(t.elts.len()) => Some(&t.elts),
                    Some(Expr::List(t)) if fits(t.elts.len()) => Some(&t.elts),
                    _ => None,
                };
                if let (Some(values), Some(src)) = (displayed, value) {
                    if let Some(star) = elts.iter().position(Expr::is_starred_expr) {
                        // `a, *b, c = f, g, h, k`: `b` is a new list of the middle values.
                        let after = elts.len() - star - 1;
                        if values.len() + 1 >= elts.len() {
                            for (i, t) in elts.iter().enumerate() {
                                let item = self.temp();
                                if i == star {
                                    let site = self.site(t.range());
                                    self.emit(Op::Container {
                                        dst: item,
                                        site,
                                        kind: ContainerKind::List,
                                    });
                                    for (k, j) in (star..values.len() - after).enumerate() {
                                        let part = self.temp();
                                        self.emit(Op::IndexLoad {
                                            dst: part,
                                            base: src,
                                            index: j as u32,
                                        });
                                        let key = self.intern(&format!("#{k}"));
                                        self.emit(Op::KeyStore {
                                            base: item,
                                            key,
                                            src: part,
                                        });
                                    }
                                    self.assign(t, Some(item), None);
                                    continue;
                                }
                                let j = if i < star {
                                    i
                                } else {
                                    values.len() - (elts.len() - i)
                                };
                                self.emit(Op::IndexLoad {
                                    dst: item,
                                    base: src,
                                    index: j as u32,
                                });
                                self.assign(t, Some(item), None);
                            }
                            return;
                        }
                    } else {
                        for (i, (t, v)) in elts.iter().zip(values.iter()).enumerate() {
                            let item = self.temp();
                            self.emit(Op::IndexLoad {
                                dst: item,
                                base: src,
                                index: i as u32,
                            });
                            self.assign(t, Some(item), Some(v));
                        }
                        return;
                    }
                }
                for (i, t) in elts.iter().enumerate() {
                    let item = value.map(|src| {
                        let dst = self.temp();
                        if t.is_starred_expr() {
                            self.emit(Op::Copy { dst, src });
                        } else {
                            self.emit(Op::IndexLoad {
                                dst,
                                base: src,
                                index: i as u32,
                            });
                        }
                        dst
                    });
                    self.assign(t, item, None);
                }
            }
            Expr::Starred(s) => self.assign(&s.value, value, None),
            other => {
                self.expr(other);
            }
        }
    }

    /// The items of iterating over `iter`: a container's elements, a generator's yields, or
    /// what a project iterator's `__next__` returns.
    fn iterate(&mut self, iter: Var, range: TextRange) -> Var {
        let item = self.temp();
        self.emit(Op::ElemLoad {
            dst: item,
            base: iter,
        });
        let it = self.method_call(iter, "__iter__", range);
        let next = self.method_call(it, "__next__", range);
        self.emit(Op::Copy {
            dst: item,
            src: next,
        });
        item
    }

    /// An implicit `recv.name()` (made by a statement, not written).
    fn method_call(&mut self, recv: Var, name: &str, range: TextRange) -> Var {
        let attr = self.intern(name);
        let callee = self.temp();
        self.emit(Op::Load {
            dst: callee,
            base: recv,
            attr,
        });
        let dst = self.temp();
        let site = self.site(range);
        self.emit(Op::Call {
            dst,
            callee,
            args: Box::new([]),
            site,
            implicit: true,
        });
        dst
    }

    fn open_scope(
        &mut self,
        kind: ScopeKind,
        qualname: String,
        name_range: TextRange,
        bound: Bindings,
    ) -> ScopeId {
        let parent = self.scope();
        let id = self.flow.scopes.len() as ScopeId;
        self.flow.scopes.push(FlowScope {
            kind,
            qualname,
            parent: Some(parent),
            name_range,
            params: Vec::new(),
            bases: Vec::new(),
            class_names: Vec::new(),
            binding: Binding::Method,
            generator: false,
            ops: Vec::new(),
        });
        self.stack.push(Frame {
            scope: id,
            bound,
            comprehension: Vec::new(),
            lambdas: 0,
            first_param: None,
            class: None,
            versions: HashMap::default(),
        });
        id
    }

    fn child_qualname(&self, name: &str) -> String {
        let parent = &self.flow.scopes[self.scope() as usize].qualname;
        if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}.{name}")
        }
    }

    /// A `def` or `lambda`: lowers its body as a new scope, and returns the variable that
    /// holds the function object, decorators applied.
    fn function(
        &mut self,
        name: &str,
        name_range: TextRange,
        parameters: &Parameters,
        body: FunctionBody<'_>,
        decorators: &[ast::Decorator],
    ) -> Var {
        // Decorators and defaults are evaluated where the `def` is.
        let decorator_values: Vec<(Option<Var>, Option<Binding>)> = decorators
            .iter()
            .map(|d| {
                let known = match &d.expression {
                    Expr::Name(n)
                        if self.resolve(n.id.as_str()) == Var::Free(self.intern(n.id.as_str())) =>
                    {
                        match n.id.as_str() {
                            "staticmethod" => Some(Binding::Static),
                            "classmethod" => Some(Binding::ClassMethod),
                            "property" => Some(Binding::Property),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                let known = known.or_else(|| match &d.expression {
                    // `@x.setter` / `@functools.cached_property`: still a property.
                    Expr::Attribute(a) if a.attr.as_str() == "cached_property" => {
                        Some(Binding::Property)
                    }
                    _ => None,
                });
                if known.is_some() {
                    (None, known)
                } else {
                    (self.expr(&d.expression), None)
                }
            })
            .collect();
        let mut defaults = Vec::new();
        for p in parameters.iter_non_variadic_params() {
            if let Some(d) = &p.default {
                defaults.push((p.parameter.name.to_string(), self.value(d)));
            }
        }
        let param_names: Vec<String> = parameters.iter().map(|p| p.name().to_string()).collect();
        let bound = match body {
            FunctionBody::Stmts(stmts) => Bindings::of_body(stmts, &param_names),
            FunctionBody::Expr(_) => Bindings {
                bound: param_names.iter().cloned().collect(),
                ..Bindings::default()
            },
        };
        let enclosing_class = {
            let s = &self.flow.scopes[self.scope() as usize];
            (s.kind == ScopeKind::Class).then_some(self.scope())
        };
        let kind = match body {
            FunctionBody::Stmts(_) => ScopeKind::Function,
            FunctionBody::Expr(_) => ScopeKind::Lambda,
        };
        let qualname = self.child_qualname(name);
        let scope = self.open_scope(kind, qualname, name_range, bound);
        let mut params = Vec::new();
        for p in &parameters.posonlyargs {
            params.push((p.name().as_str(), ParamKind::PositionalOnly));
        }
        for p in &parameters.args {
            params.push((p.name().as_str(), ParamKind::Positional));
        }
        if let Some(p) = &parameters.vararg {
            params.push((p.name.as_str(), ParamKind::VarArgs));
        }
        for p in &parameters.kwonlyargs {
            params.push((p.name().as_str(), ParamKind::KeywordOnly));
        }
        if let Some(p) = &parameters.kwarg {
            params.push((p.name.as_str(), ParamKind::VarKeywords));
        }
        let params: Vec<Param> = params
            .into_iter()
            .map(|(n, kind)| Param {
                name: self.intern(n),
                kind,
            })
            .collect();
        let binding = decorator_values
            .iter()
            .find_map(|(_, b)| *b)
            .unwrap_or_default();
        if let Some(class) = enclosing_class {
            let frame = self.stack.last_mut().expect("just opened");
            frame.class = Some(class);
            if binding != Binding::Static {
                frame.first_param = params.first().map(|p| Var::Local {
                    scope,
                    name: p.name,
                });
            }
        } else if let Some(outer) = self.stack.iter().rev().nth(1) {
            // A nested function of a method sees its `super()` cell too.
            let (class, first) = (outer.class, outer.first_param);
            let frame = self.stack.last_mut().expect("just opened");
            frame.class = class;
            frame.first_param = first;
        }
        {
            let s = &mut self.flow.scopes[scope as usize];
            s.params = params;
            s.binding = binding;
        }
        for (name, value) in defaults {
            if let Some(src) = value {
                let name = self.intern(&name);
                let dst = Var::Local { scope, name };
                // The default is evaluated outside; the copy is recorded in the function.
                self.emit(Op::Copy { dst, src });
            }
        }
        match body {
            FunctionBody::Stmts(stmts) => {
                self.flow.scopes[scope as usize].generator = has_yield(stmts);
                self.stmts(stmts);
            }
            FunctionBody::Expr(e) => {
                if let Some(v) = self.expr(e) {
                    self.emit(Op::Copy {
                        dst: Var::Ret(scope),
                        src: v,
                    });
                }
                self.flow.scopes[scope as usize].generator =
                    matches!(e, Expr::Yield(_) | Expr::YieldFrom(_));
            }
        }
        self.stack.pop();
        let mut value = self.temp();
        self.emit(Op::Func { dst: value, scope });
        for (dec, _) in decorator_values.into_iter().rev() {
            if let Some(callee) = dec {
                let dst = self.temp();
                let site = self.site(name_range);
                self.emit(Op::Call {
                    dst,
                    callee,
                    args: Box::new([Arg::Pos(Some(value))]),
                    site,
                    implicit: false,
                });
                value = dst;
            }
        }
        value
    }

    fn class(&mut self, c: &ast::StmtClassDef) {
        let decorators: Vec<Option<Var>> = c
            .decorator_list
            .iter()
            .map(|d| self.expr(&d.expression))
            .collect();
        let mut bases = Vec::new();
        if let Some(args) = &c.arguments {
            for b in args.args.iter() {
                if let Some(v) = self.expr(b) {
                    bases.push(v);
                }
            }
            for k in args.keywords.iter() {
                self.expr(&k.value);
            }
        }
        let bound = Bindings::of_body(&c.body, &[]);
        let mut class_names: Vec<NameId> = bound.bound.iter().map(|n| self.intern(n)).collect();
        class_names.sort_unstable();
        let qualname = self.child_qualname(c.name.as_str());
        let scope = self.open_scope(ScopeKind::Class, qualname, c.name.range, bound);
        self.flow.scopes[scope as usize].bases = bases;
        self.flow.scopes[scope as usize].class_names = class_names;
        self.stmts(&c.body);
        self.stack.pop();
        let mut value = self.temp();
        self.emit(Op::Class { dst: value, scope });
        for callee in decorators.into_iter().rev().flatten() {
            let dst = self.temp();
            let site = self.site(c.name.range);
            self.emit(Op::Call {
                dst,
                callee,
                args: Box::new([Arg::Pos(Some(value))]),
                site,
                implicit: false,
            });
            value = dst;
        }
        self.bind_name(c.name.as_str(), value);
    }

    /// A new container holding `items`.
    fn container(&mut self, kind: ContainerKind, range: TextRange, items: &[Expr]) -> Var {
        let dst = self.temp();
        let site = self.site(range);
        self.emit(Op::Container { dst, site, kind });
        for item in items {
            if let Expr::Starred(s) = item {
                if let Some(inner) = self.expr(&s.value) {
                    let e = self.temp();
                    self.emit(Op::ElemLoad {
                        dst: e,
                        base: inner,
                    });
                    self.emit(Op::ElemStore { base: dst, src: e });
                }
            } else if let Some(src) = self.expr(item) {
                self.emit(Op::ElemStore { base: dst, src });
            }
        }
        dst
    }

    /// A list or tuple display: each element at its position (`xs[0]` reads the first),
    /// elements after a `*ys` at unknown positions.
    fn display(&mut self, kind: ContainerKind, range: TextRange, elts: &[Expr]) -> Var {
        let dst = self.container(kind, range, &[]);
        let mut known = true;
        for (i, e) in elts.iter().enumerate() {
            if let Expr::Starred(s) = e {
                known = false;
                if let Some(inner) = self.expr(&s.value) {
                    let x = self.temp();
                    self.emit(Op::ElemLoad {
                        dst: x,
                        base: inner,
                    });
                    self.emit(Op::ElemStore { base: dst, src: x });
                }
            } else if let Some(src) = self.expr(e) {
                if known {
                    let key = self.intern(&format!("#{i}"));
                    self.emit(Op::KeyStore {
                        base: dst,
                        key,
                        src,
                    });
                } else {
                    self.emit(Op::ElemStore { base: dst, src });
                }
            }
        }
        dst
    }

    /// A comprehension: its targets are private to it, its element goes into a new
    /// container (a generator expression is a container of its items here).
    fn comprehension(
        &mut self,
        kind: ContainerKind,
        range: TextRange,
        generators: &[ast::Comprehension],
        elements: &[&Expr],
        key: Option<&Expr>,
    ) -> Var {
        let depth = self.frame().comprehension.len();
        for g in generators {
            let iter = self.expr(&g.iter);
            let item = iter.map(|i| self.iterate(i, g.iter.range()));
            self.comprehension_target(&g.target, item);
            for cond in &g.ifs {
                self.expr(cond);
            }
        }
        let dst = self.temp();
        let site = self.site(range);
        self.emit(Op::Container { dst, site, kind });
        if let Some(k) = key {
            self.expr(k);
        }
        for e in elements {
            if let Some(src) = self.expr(e) {
                self.emit(Op::ElemStore { base: dst, src });
            }
        }
        self.stack
            .last_mut()
            .expect("a scope is open")
            .comprehension
            .truncate(depth);
        dst
    }

    fn comprehension_target(&mut self, target: &Expr, value: Option<Var>) {
        match target {
            Expr::Name(n) => {
                let v = self.temp();
                if let Some(src) = value {
                    self.emit(Op::Copy { dst: v, src });
                }
                self.stack
                    .last_mut()
                    .expect("a scope is open")
                    .comprehension
                    .push((n.id.to_string(), v));
            }
            Expr::Tuple(t) => {
                for (i, e) in t.elts.iter().enumerate() {
                    let item = value.map(|src| {
                        let dst = self.temp();
                        self.emit(Op::IndexLoad {
                            dst,
                            base: src,
                            index: i as u32,
                        });
                        dst
                    });
                    self.comprehension_target(e, item);
                }
            }
            Expr::List(t) => {
                for e in &t.elts {
                    let item = value.map(|src| {
                        let dst = self.temp();
                        self.emit(Op::ElemLoad { dst, base: src });
                        dst
                    });
                    self.comprehension_target(e, item);
                }
            }
            Expr::Starred(s) => self.comprehension_target(&s.value, value),
            other => self.assign(other, value, None),
        }
    }

    /// Lowers an expression; the variable that holds its value, if it can hold an object the
    /// IR follows.
    fn expr(&mut self, expr: &Expr) -> Option<Var> {
        // The visitor stops at `MAX_VISIT_DEPTH` and marks the file incomplete, which is then
        // not lowered at all; this guard only keeps the lowering's stack bounded on its own.
        if self.depth >= MAX_LOWERING_DEPTH {
            return None;
        }
        self.depth += 1;
        let value = self.expr_inner(expr);
        self.depth -= 1;
        value
    }

    fn expr_inner(&mut self, expr: &Expr) -> Option<Var> {
        match expr {
            Expr::Name(n) => {
                if n.ctx == ExprContext::Load {
                    Some(self.read(n.id.as_str()))
                } else {
                    None
                }
            }
            Expr::Attribute(a) => {
                // `", ".join(...)`: a literal's methods are methods of its type.
                let base = self.value(&a.value)?;
                let attr = self.intern(a.attr.as_str());
                let dst = self.temp();
                self.emit(Op::Load { dst, base, attr });
                Some(dst)
            }
            Expr::Call(c) => Some(self.call(c)),
            Expr::Lambda(l) => {
                let n = {
                    let f = self.stack.last_mut().expect("a scope is open");
                    f.lambdas += 1;
                    f.lambdas
                };
                let empty = Parameters::default();
                let params = l.parameters.as_deref().unwrap_or(&empty);
                Some(self.function(
                    &format!("<lambda{n}>"),
                    l.range,
                    params,
                    FunctionBody::Expr(&l.body),
                    &[],
                ))
            }
            Expr::If(i) => {
                self.expr(&i.test);
                let a = self.expr(&i.body);
                let b = self.expr(&i.orelse);
                self.join(&[a, b])
            }
            Expr::BoolOp(b) => {
                let values: Vec<Option<Var>> = b.values.iter().map(|v| self.expr(v)).collect();
                self.join(&values)
            }
            Expr::Named(n) => {
                let v = self.expr(&n.value);
                self.assign(&n.target, v, Some(&n.value));
                v
            }
            Expr::List(l) => Some(self.display(ContainerKind::List, l.range, &l.elts)),
            Expr::Set(l) => Some(self.container(ContainerKind::Set, l.range, &l.elts)),
            Expr::Tuple(t) => Some(self.display(ContainerKind::Tuple, t.range, &t.elts)),
            Expr::Dict(d) => {
                let dst = self.temp();
                let site = self.site(d.range);
                self.emit(Op::Container {
                    dst,
                    site,
                    kind: ContainerKind::Dict,
                });
                for item in &d.items {
                    let value = self.expr(&item.value);
                    match &item.key {
                        Some(k) => {
                            self.expr(k);
                            if let Some(src) = value {
                                match literal_key(k) {
                                    Some(key) => {
                                        let key = self.intern(&key);
                                        self.emit(Op::KeyStore {
                                            base: dst,
                                            key,
                                            src,
                                        });
                                    }
                                    None => self.emit(Op::ElemStore { base: dst, src }),
                                }
                            }
                        }
                        // `{**other}`: its values.
                        None => {
                            if let Some(src) = value {
                                let e = self.temp();
                                self.emit(Op::ElemLoad { dst: e, base: src });
                                self.emit(Op::ElemStore { base: dst, src: e });
                            }
                        }
                    }
                }
                Some(dst)
            }
            Expr::ListComp(c) => Some(self.comprehension(
                ContainerKind::List,
                c.range,
                &c.generators,
                &[&c.elt],
                None,
            )),
            Expr::SetComp(c) => Some(self.comprehension(
                ContainerKind::Set,
                c.range,
                &c.generators,
                &[&c.elt],
                None,
            )),
            Expr::Generator(c) => Some(self.comprehension(
                ContainerKind::List,
                c.range,
                &c.generators,
                &[&c.elt],
                None,
            )),
            Expr::DictComp(c) => Some(self.comprehension(
                ContainerKind::Dict,
                c.range,
                &c.generators,
                &[&c.value],
                c.key.as_deref(),
            )),
            Expr::Subscript(s) => {
                let base = self.expr(&s.value);
                let index = match &*s.slice {
                    Expr::Name(_) | Expr::Attribute(_) => self.expr(&s.slice),
                    other => {
                        self.expr(other);
                        None
                    }
                };
                let base = base?;
                let dst = self.temp();
                match (&*s.slice, literal_key(&s.slice)) {
                    // `xs[1:3]`: a container of the same elements, from position 1.
                    (Expr::Slice(slice), _) => {
                        let start = match slice.lower.as_deref() {
                            None => Some(0),
                            Some(Expr::NumberLiteral(n)) => n
                                .value
                                .as_int()
                                .and_then(|i| i.as_u64())
                                .and_then(|i| u32::try_from(i).ok()),
                            Some(_) => None,
                        };
                        match start {
                            Some(start) => self.emit(Op::Slice { dst, base, start }),
                            None => {
                                // Unknown positions: any element, in a new container.
                                let site = self.site(s.range);
                                self.emit(Op::Container {
                                    dst,
                                    site,
                                    kind: ContainerKind::List,
                                });
                                let e = self.temp();
                                self.emit(Op::ElemLoad { dst: e, base });
                                self.emit(Op::ElemStore { base: dst, src: e });
                            }
                        }
                    }
                    (_, Some(k)) => {
                        let key = self.intern(&k);
                        self.emit(Op::KeyLoad { dst, base, key });
                    }
                    _ => match index {
                        Some(index) => self.emit(Op::DynLoad { dst, base, index }),
                        None => self.emit(Op::ElemLoad { dst, base }),
                    },
                }
                Some(dst)
            }
            Expr::NumberLiteral(n) => {
                // Kept only where an integer can select something: an index, an argument,
                // a name's value (see `value`); elsewhere (tables, arithmetic) it is not.
                let _ = n;
                None
            }
            Expr::Starred(s) => self.expr(&s.value),
            Expr::Await(a) => self.expr(&a.value),
            Expr::Yield(y) => {
                if let Some(v) = y.value.as_deref().and_then(|v| self.expr(v)) {
                    let dst = Var::Ret(self.scope());
                    self.emit(Op::Copy { dst, src: v });
                }
                None
            }
            Expr::YieldFrom(y) => {
                if let Some(v) = self.expr(&y.value) {
                    let item = self.iterate(v, y.range);
                    let dst = Var::Ret(self.scope());
                    self.emit(Op::Copy { dst, src: item });
                }
                None
            }
            Expr::StringLiteral(_) => None,
            _ => {
                // Operators, comparisons, f-strings, slices: no object flows out of them
                // that the IR follows, but their operands may call things.
                let mut walker = SubExprs { out: Vec::new() };
                visitor::walk_expr(&mut walker, expr);
                for e in walker.out {
                    self.expr(e);
                }
                None
            }
        }
    }

    /// Like [`Lowerer::expr`], and an integer or string literal is kept as a value too: for
    /// the places it can later select an element (`i = 1; xs[i]`, `f(1)` with `xs[p]` in
    /// `f`) or name a start method or code to run. Elsewhere (docstrings, tables,
    /// arithmetic) literals are not followed: there are very many of them.
    fn value(&mut self, expr: &Expr) -> Option<Var> {
        if let Expr::StringLiteral(s) = expr {
            let dst = self.temp();
            let value = self.intern(s.value.to_str());
            self.emit(Op::Str { dst, value });
            return Some(dst);
        }
        if let Expr::NumberLiteral(n) = expr
            && let Some(value) = n.value.as_int().and_then(|i| i.as_i64())
        {
            let dst = self.temp();
            self.emit(Op::Int { dst, value });
            return Some(dst);
        }
        self.expr(expr)
    }

    /// A variable holding the values of all of `values`.
    fn join(&mut self, values: &[Option<Var>]) -> Option<Var> {
        let present: Vec<Var> = values.iter().flatten().copied().collect();
        match present.as_slice() {
            [] => None,
            [one] => Some(*one),
            many => {
                let dst = self.temp();
                for &src in many {
                    self.emit(Op::Copy { dst, src });
                }
                Some(dst)
            }
        }
    }

    fn call(&mut self, c: &ast::ExprCall) -> Var {
        // `super()` in a method: the instance, seen from the class's bases.
        if let Expr::Name(n) = &*c.func
            && n.id.as_str() == "super"
            && c.arguments.args.is_empty()
        {
            let frame = self.frame();
            if let (Some(class), Some(recv)) = (frame.class, frame.first_param) {
                let dst = self.temp();
                let site = self.site(c.range());
                // The builtin itself is called too (a call graph lists it).
                let callee = self.resolve("super");
                let ignored = self.temp();
                let call_site = self.site(c.range());
                self.emit(Op::Call {
                    dst: ignored,
                    callee,
                    args: Box::new([]),
                    site: call_site,
                    implicit: false,
                });
                self.emit(Op::Super {
                    dst,
                    class,
                    recv,
                    site,
                });
                return dst;
            }
        }
        let callee = self.expr(&c.func);
        let mut args = Vec::with_capacity(c.arguments.args.len() + c.arguments.keywords.len());
        for a in c.arguments.args.iter() {
            match a {
                Expr::Starred(s) => {
                    if let Some(v) = self.expr(&s.value) {
                        args.push(Arg::Star(v));
                    }
                }
                _ => args.push(Arg::Pos(self.value(a))),
            }
        }
        for k in c.arguments.keywords.iter() {
            let v = self.value(&k.value);
            match (&k.arg, v) {
                (Some(name), Some(v)) => {
                    let name = self.intern(name.as_str());
                    args.push(Arg::Kw(name, v));
                }
                (None, Some(v)) => args.push(Arg::StarStar(v)),
                _ => {}
            }
        }
        let dst = self.temp();
        if let Some(callee) = callee {
            let site = self.site(c.range());
            self.emit(Op::Call {
                dst,
                callee,
                args: args.into_boxed_slice(),
                site,
                implicit: false,
            });
        }
        dst
    }
}

#[derive(Clone, Copy)]
enum FunctionBody<'a> {
    Stmts(&'a [Stmt]),
    Expr(&'a Expr),
}

/// Names declared `global` or `nonlocal` anywhere in the module.
fn pinned_names(body: &[Stmt]) -> HashSet<String> {
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

/// The direct subexpressions of an expression the lowering does not model itself.
struct SubExprs<'a> {
    out: Vec<&'a Expr>,
}

impl<'a> Visitor<'a> for SubExprs<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        self.out.push(expr);
    }
}

/// A literal string subscript or dict key.
/// The same key for a position and an integer key (`xs[0]`, `{0: f}`), another for a string.
fn literal_key(e: &Expr) -> Option<String> {
    match e {
        Expr::StringLiteral(s) => Some(format!("'{}'", s.value.to_str())),
        Expr::NumberLiteral(n) => n
            .value
            .as_int()
            .and_then(|i| i.as_u64())
            .map(|i| format!("#{i}")),
        _ => None,
    }
}

/// Whether a function body yields (not counting nested functions).
fn has_yield(body: &[Stmt]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered(src: &str) -> ModuleFlow {
        let parsed = ruff_python_parser::parse_module(src).expect("valid test source");
        lower(&parsed.syntax().body, "main", false)
    }

    fn qualnames(flow: &ModuleFlow) -> Vec<&str> {
        flow.scopes.iter().map(|s| s.qualname.as_str()).collect()
    }

    #[test]
    fn scopes_are_named_as_a_call_graph_names_them() {
        let flow = lowered(
            "def f():\n    def g(): pass\n    return lambda: g\nclass C:\n    def m(self): pass\nx = lambda: 1\n",
        );
        assert_eq!(
            qualnames(&flow),
            ["", "f", "f.g", "f.<lambda1>", "C", "C.m", "<lambda1>"]
        );
    }

    #[test]
    fn a_name_assigned_in_a_function_is_local_to_it_throughout() {
        let flow =
            lowered("x = 1\ndef f():\n    y = x\n    x = 2\ndef g():\n    global x\n    x = y\n");
        let x = flow.names.iter().position(|n| n == "x").unwrap() as NameId;
        let f = &flow.scopes[1];
        // `y = x` in f reads f's own x (unbound at that point in Python, but never the global).
        assert!(f.ops.contains(&Op::Copy {
            dst: Var::Local {
                scope: 1,
                name: flow.names.iter().position(|n| n == "y").unwrap() as NameId
            },
            src: Var::Local { scope: 1, name: x }
        }));
        // `global x` in g binds the module's x; `y` is neither g's nor the module's.
        let g = &flow.scopes[2];
        let y = flow.names.iter().position(|n| n == "y").unwrap() as NameId;
        assert!(g.ops.contains(&Op::Copy {
            dst: Var::Local { scope: 0, name: x },
            src: Var::Free(y)
        }));
    }

    #[test]
    fn nested_functions_skip_class_bodies_and_comprehension_targets_stay_private() {
        let flow = lowered(
            "class C:\n    t = 1\n    def m(self):\n        return t\nfs = [t for t in range(3)]\n",
        );
        let t = flow.names.iter().position(|n| n == "t").unwrap() as NameId;
        let m = &flow.scopes[2];
        assert!(m.ops.contains(&Op::Copy {
            dst: Var::Ret(2),
            src: Var::Free(t)
        }));
        // The comprehension does not bind the module's `t`.
        assert!(!flow.module_names.contains(&t));
    }

    #[test]
    fn relative_imports_are_made_absolute() {
        let parsed = ruff_python_parser::parse_module("from . import a\nfrom ..b import c\n")
            .expect("valid");
        let flow = lower(&parsed.syntax().body, "pkg.sub.mod", false);
        let modules: Vec<&str> = flow.scopes[0]
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::ImportFrom { module, .. } => Some(flow.name(*module)),
                _ => None,
            })
            .collect();
        assert_eq!(modules, ["pkg.sub", "pkg.b"]);
        let parsed = ruff_python_parser::parse_module("from . import a\n").expect("valid");
        let flow = lower(&parsed.syntax().body, "pkg", true);
        assert!(
            flow.scopes[0].ops.iter().any(
                |op| matches!(op, Op::ImportFrom { module, .. } if flow.name(*module) == "pkg")
            )
        );
    }

    #[test]
    fn decorators_are_calls_on_the_function_and_builtins_set_the_binding() {
        let flow = lowered(
            "def dec(f): return f\nclass C:\n    @staticmethod\n    def s(): pass\n    @property\n    def p(self): pass\n@dec\ndef g(): pass\n",
        );
        assert_eq!(flow.scopes[3].binding, Binding::Static);
        assert_eq!(flow.scopes[4].binding, Binding::Property);
        let calls = flow.scopes[0]
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Call { .. }))
            .count();
        assert_eq!(calls, 1, "only @dec is a call");
    }
}
