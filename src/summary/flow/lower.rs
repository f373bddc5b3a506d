//! Statements, scopes and names: the lowering's state, name resolution by Python's rules,
//! each name's value per point of straight-line code, and `def`/`class`.

use rustc_hash::FxHashMap as HashMap;
use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{self as ast, Expr, Parameters, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::bindings::{Bindings, has_yield};
use super::expr::literal_key;
use super::*;

pub(super) struct Frame {
    pub(super) scope: ScopeId,
    pub(super) bound: Bindings,
    /// Comprehension targets in force, innermost last: private to the comprehension.
    pub(super) comprehension: Vec<(String, Var)>,
    pub(super) lambdas: u32,
    /// A method's first parameter (for `super()`).
    pub(super) first_param: Option<Var>,
    /// The class whose method this is (for `super()`).
    pub(super) class: Option<ScopeId>,
    /// The variable that holds each name's value at this point of the scope's code, for the
    /// names assigned in it so far on every path here. A name without one is read whole
    /// (every value it is ever given).
    pub(super) versions: HashMap<NameId, Var>,
}

/// The names' values at a point, saved to lower another branch from the same point.
pub(super) type Versions = HashMap<NameId, Var>;

pub(super) struct Lowerer {
    pub(super) flow: ModuleFlow,
    pub(super) name_ids: HashMap<String, NameId>,
    pub(super) module: String,
    pub(super) is_package: bool,
    pub(super) stack: Vec<Frame>,
    /// Names some function declares `global` or `nonlocal`: another scope assigns them, so
    /// where they are read, any of their values may be there.
    pub(super) pinned: HashSet<String>,
    /// Statements and expressions being lowered, nested.
    pub(super) depth: usize,
    /// The branch each platform-decided conditional expression takes.
    pub(super) choices: PlatformChoices,
}

impl Lowerer {
    pub(super) fn intern(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.flow.names.len() as NameId;
        self.flow.names.push(ast::name::Name::new(name));
        self.name_ids.insert(name.to_string(), id);
        id
    }

    pub(super) fn frame(&self) -> &Frame {
        self.stack.last().expect("a scope is always open")
    }

    pub(super) fn scope(&self) -> ScopeId {
        self.frame().scope
    }

    pub(super) fn emit(&mut self, op: Op) {
        let s = self.scope() as usize;
        self.flow.scopes[s].ops.push(op);
    }

    pub(super) fn temp(&mut self) -> Var {
        self.flow.temps += 1;
        Var::Temp(self.flow.temps - 1)
    }

    pub(super) fn site(&mut self, range: TextRange) -> u32 {
        self.flow.sites.push(range);
        (self.flow.sites.len() - 1) as u32
    }

    /// The variable a name denotes where it is read or bound, by Python's scoping rules.
    pub(super) fn resolve(&mut self, name: &str) -> Var {
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

    pub(super) fn stmts(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    /// `name = src`: the name's variable gets the value, and in the scope that owns it the
    /// name holds just this value from here on (until a branch merges or a loop repeats).
    pub(super) fn bind_name(&mut self, name: &str, src: Var) {
        let dst = self.resolve(name);
        self.emit(Op::Copy { dst, src });
        self.set_version(name, dst, src);
    }

    pub(super) fn set_version(&mut self, name: &str, dst: Var, value: Var) {
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
    pub(super) fn unbind_name(&mut self, name: &str) {
        let dst = self.resolve(name);
        let nothing = self.temp();
        self.set_version(name, dst, nothing);
    }

    /// The variable to read `name` from here.
    pub(super) fn read(&mut self, name: &str) -> Var {
        let v = self.resolve(name);
        if let Var::Local { scope, name: id } = v
            && scope == self.scope()
            && let Some(current) = self.frame().versions.get(&id)
        {
            return *current;
        }
        v
    }

    pub(super) fn versions(&self) -> Versions {
        self.frame().versions.clone()
    }

    pub(super) fn set_versions(&mut self, v: Versions) {
        self.stack.last_mut().expect("a scope is open").versions = v;
    }

    /// After branches: a name keeps a value where every branch that falls through agrees,
    /// gets a join of them where they differ, and is read whole where one did not assign it.
    pub(super) fn merge(&mut self, ends: Vec<Versions>) -> Versions {
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
    pub(super) fn forget(&mut self, body: &[Stmt]) {
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
    pub(super) fn branches(&mut self, bodies: &[&[Stmt]], exhaustive: bool) {
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

    pub(super) fn stmt(&mut self, stmt: &Stmt) {
        if self.depth >= MAX_LOWERING_DEPTH {
            return;
        }
        self.depth += 1;
        self.stmt_inner(stmt);
        self.depth -= 1;
    }

    pub(super) fn stmt_inner(&mut self, stmt: &Stmt) {
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
    pub(super) fn absolute(&self, module: Option<&str>, level: u32) -> Option<String> {
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
    pub(super) fn assign(&mut self, target: &Expr, value: Option<Var>, value_expr: Option<&Expr>) {
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
                if let (Some(base), Some(src)) = (base, value) {
                    match literal_key(&s.slice) {
                        Some(k) => {
                            let key = self.intern(&k);
                            self.emit(Op::KeyStore { base, key, src });
                        }
                        None => {
                            self.emit(Op::ElemStore { base, src });
                            if let Some(key) = key {
                                self.emit(Op::DictKey { base, key });
                            }
                        }
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
    pub(super) fn iterate(&mut self, iter: Var, range: TextRange) -> Var {
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
    pub(super) fn method_call(&mut self, recv: Var, name: &str, range: TextRange) -> Var {
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

    pub(super) fn open_scope(
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

    pub(super) fn child_qualname(&self, name: &str) -> String {
        let parent = &self.flow.scopes[self.scope() as usize].qualname;
        if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}.{name}")
        }
    }

    /// A `def` or `lambda`: lowers its body as a new scope, and returns the variable that
    /// holds the function object, decorators applied.
    pub(super) fn function(
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
        let decorators: Vec<Option<Var>> = decorator_values.into_iter().map(|(d, _)| d).collect();
        value = self.decorate(value, &decorators, name_range);
        value
    }

    pub(super) fn class(&mut self, c: &ast::StmtClassDef) {
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
        value = self.decorate(value, &decorators, c.name.range);
        self.bind_name(c.name.as_str(), value);
    }
}

impl Lowerer {
    /// `@d1 @d2 def f` binds `f` to `d1(d2(f))`: each decorator is called, innermost first,
    /// where the definition stands.
    fn decorate(&mut self, mut value: Var, decorators: &[Option<Var>], range: TextRange) -> Var {
        for callee in decorators.iter().rev().flatten().copied() {
            let dst = self.temp();
            let site = self.site(range);
            self.emit(Op::Call {
                dst,
                callee,
                args: Box::new([Arg::Pos(Some(value))]),
                site,
                implicit: false,
            });
            value = dst;
        }
        value
    }
}

#[derive(Clone, Copy)]
pub(super) enum FunctionBody<'a> {
    Stmts(&'a [Stmt]),
    Expr(&'a Expr),
}
