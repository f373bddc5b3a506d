//! Expressions: where each one's value comes from, containers and comprehensions, literals
//! kept where they can select something, and calls with their arguments.

use ruff_python_ast::{
    self as ast, Expr, ExprContext, Parameters,
    visitor::{self, Visitor},
};
use ruff_text_size::{Ranged, TextRange};

use super::lower::{FunctionBody, Lowerer};
use super::*;

impl Lowerer {
    /// A new container holding `items`.
    pub(super) fn container(
        &mut self,
        kind: ContainerKind,
        range: TextRange,
        items: &[Expr],
    ) -> Var {
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
    pub(super) fn display(&mut self, kind: ContainerKind, range: TextRange, elts: &[Expr]) -> Var {
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
    pub(super) fn comprehension(
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
        if let Some(key) = key.and_then(|k| self.expr(k)) {
            self.emit(Op::DictKey { base: dst, key });
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

    pub(super) fn comprehension_target(&mut self, target: &Expr, value: Option<Var>) {
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
    pub(super) fn expr(&mut self, expr: &Expr) -> Option<Var> {
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

    pub(super) fn expr_inner(&mut self, expr: &Expr) -> Option<Var> {
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
            // A literal branch is kept as a value, as an assigned literal is: a start method
            // picked by platform (`"spawn" if os.name == "nt" else "fork"`).
            Expr::If(i) => {
                self.expr(&i.test);
                let a = self.value(&i.body);
                let b = self.value(&i.orelse);
                match self.choices.get(&i.range) {
                    Some(true) => a,
                    Some(false) => b,
                    None => self.join(&[a, b]),
                }
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
                            let key_var = self.expr(k);
                            match literal_key(k) {
                                Some(key) => {
                                    if let Some(src) = value {
                                        let key = self.intern(&key);
                                        self.emit(Op::KeyStore {
                                            base: dst,
                                            key,
                                            src,
                                        });
                                    }
                                }
                                None => {
                                    if let Some(src) = value {
                                        self.emit(Op::ElemStore { base: dst, src });
                                    }
                                    if let Some(key) = key_var {
                                        self.emit(Op::DictKey { base: dst, key });
                                    }
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
    pub(super) fn value(&mut self, expr: &Expr) -> Option<Var> {
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
    pub(super) fn join(&mut self, values: &[Option<Var>]) -> Option<Var> {
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

    pub(super) fn call(&mut self, c: &ast::ExprCall) -> Var {
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

/// The direct subexpressions of an expression the lowering does not model itself.
pub(super) struct SubExprs<'a> {
    pub(super) out: Vec<&'a Expr>,
}

impl<'a> Visitor<'a> for SubExprs<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        self.out.push(expr);
    }
}

/// A literal string subscript or dict key.
/// The same key for a position and an integer key (`xs[0]`, `{0: f}`), another for a string.
pub(super) fn literal_key(e: &Expr) -> Option<String> {
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
