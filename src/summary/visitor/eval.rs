//! Expressions to values, and calls to events: what a callee is (a known API, project code or
//! irrelevant), which arguments are kept, and what the call returns. Instances, and the
//! daemon flags set on them after construction, are tracked here.

use ruff_python_ast::visitor::{Visitor, walk_expr};
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

use crate::knowledge::{Api, ApiKind, EffectKind};
use crate::summary::{
    ArgShape, CallArgs, ClassIdx, EventKind, Handle, Instance, Name, RegionKind, StopSignal, Value,
};
use std::sync::Arc;

use super::regions::{SEEN_IS_RUNNING, SEEN_MAIN_THREAD_CHECK, is_assertion_call};
use super::scope::concat;
use super::{MAX_VISIT_DEPTH, ModuleVisitor, Pending, PendingBody};

/// Longest string literal kept as a value (module names, start methods, `__main__`).
const MAX_STRING_VALUE: usize = 256;

/// Longest tuple of literals kept as a value (version tuples and the like).
const MAX_LITERAL_TUPLE: usize = 16;

/// A string (short), integer, boolean or `None` literal as a value.
pub(super) fn literal_value(expr: &Expr) -> Option<Value> {
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

/// What a call passes beyond the arguments `kept` of it (see [`ArgShape`]).
fn arg_shape(arguments: &ast::Arguments, kept: &CallArgs) -> ArgShape {
    let star = arguments.args.iter().any(|a| matches!(a, Expr::Starred(_)));
    let double_star = arguments.keywords.iter().any(|k| k.arg.is_none());
    let unkept = arguments
        .keywords
        .iter()
        .filter_map(|k| k.arg.as_ref())
        .map(|name| name.as_str())
        .filter(|name| !kept.keywords.iter().any(|(k, _)| k == name));
    ArgShape::new(arguments.args.len(), star, double_star, unkept)
}

/// What a called value is to the summary.
#[derive(Clone, Copy)]
pub(super) enum CalleeKind<'k> {
    /// A known API: a function or class of the knowledge base, or a method of a known class.
    Known(&'k Api),
    /// Project code: a qualified name in the project, a method of a project class, a local
    /// function, a `self` method, a partial.
    Project,
    /// Anything else: its call cannot matter.
    Irrelevant,
}

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    fn fresh_handle(&mut self) -> Handle {
        self.next_handle += 1;
        Handle(self.next_handle)
    }

    /// Records the instance a call at `range` made, for the value flow's questions about it
    /// ([`crate::summary::ModuleSummary::made`]).
    fn record_made(&mut self, range: TextRange, inst: &Arc<Instance>) {
        self.made.push((range, inst.clone()));
    }

    /// Moves the instances made by this module's calls into its summary, sorted by range,
    /// each with the daemon flag last set on it (`t.daemon = True` after `Thread(...)`).
    pub(super) fn finish_made(&mut self) {
        let mut made = std::mem::take(&mut self.made);
        for (_, inst) in &mut made {
            *inst = self.current(inst);
        }
        made.sort_by_key(|(r, _)| (r.start(), r.end()));
        made.dedup_by_key(|(r, _)| *r);
        made.shrink_to_fit();
        self.summary.made = made;
    }

    /// An instance as it is now: with daemon flags set since its construction.
    pub(super) fn current(&self, inst: &Arc<Instance>) -> Arc<Instance> {
        match self.daemon_by_handle.get(&inst.handle) {
            Some(d) if inst.daemon != Some(*d) => {
                let mut changed = Instance::clone(inst);
                changed.daemon = Some(*d);
                Arc::new(changed)
            }
            _ => inst.clone(),
        }
    }

    /// The class that `self` (or `self.a.b`) belongs to, in the method being walked.
    pub(super) fn class_of_self(&self, receiver: &Value) -> Option<ClassIdx> {
        match receiver {
            Value::SelfAttr { class, .. } => Some(*class),
            _ => None,
        }
    }

    /// `self.x` where `self.x = SomeClass(...)` was seen already.
    pub(super) fn self_attr_instance(&self, value: &Value) -> Option<Arc<Instance>> {
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

    /// Evaluates without recording anything new (for re-reading an expression already
    /// evaluated, such as a decorator or an assignment receiver).
    pub(super) fn eval_quiet(&self, expr: &'a Expr) -> Value {
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

    pub(super) fn eval(&mut self, expr: &'a Expr) -> Value {
        if self.depth >= MAX_VISIT_DEPTH {
            self.report_too_deep(expr.range());
            return Value::Unknown;
        }
        self.depth += 1;
        let v = self.eval_inner(expr);
        self.depth -= 1;
        if self.sink.is_none() && !self.summary.reads_command_line {
            self.note_command_line(expr, &v);
        }
        v
    }

    /// The module's top level reads the command line (`sys.argv`, `parser.parse_args()`,
    /// `getopt.getopt(...)`): evidence that the file is run as a script
    /// ([`ModuleSummary::reads_command_line`]).
    fn note_command_line(&mut self, expr: &'a Expr, value: &Value) {
        let reads = match (expr, value) {
            (Expr::Name(_) | Expr::Attribute(_), Value::Qual(q)) => {
                q.as_ref() == "sys.argv" || q.starts_with("sys.argv.")
            }
            (Expr::Call(call), _) => match &*call.func {
                Expr::Attribute(a) => {
                    matches!(a.attr.id.as_str(), "parse_args" | "parse_known_args")
                        || matches!(
                            self.eval_quiet(&call.func),
                            Value::Qual(ref q) if q.as_ref() == "getopt.getopt"
                                || q.as_ref() == "getopt.gnu_getopt"
                        )
                }
                _ => false,
            },
            _ => false,
        };
        self.summary.reads_command_line |= reads;
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
                        guardable: true,
                        qual_prefix,
                        depth,
                    });
                }
                Value::Local(idx)
            }
            // `"spawn" if sys.platform == "win32" else "fork"`: a platform test the platforms
            // this code runs on decide alike picks its branch's value (a start method held in a
            // constant). Both branches are still walked for what they call.
            Expr::If(i) => {
                self.eval(&i.test);
                let body = self.eval(&i.body);
                let orelse = self.eval(&i.orelse);
                match self.platform_decides(&i.test) {
                    Some(taken) => {
                        self.platform_choices.insert(i.range, taken);
                        if taken { body } else { orelse }
                    }
                    None => Value::Unknown,
                }
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
    pub(super) fn callee_kind(&self, callee: &Value) -> CalleeKind<'i> {
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

    pub(super) fn callable_is_relevant(&self, callee: &Value) -> bool {
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
        self.note_attribute_named(&call.arguments);
        // `q.put(None)`: a sentinel that ends a loop reading `q` (see `LoopStop::Sentinel`).
        if let Expr::Attribute(m) = &*call.func
            && matches!(m.attr.id.as_str(), "put" | "put_nowait")
            && matches!(call.arguments.args.first(), Some(Expr::NoneLiteral(_)))
        {
            let attr = match &*m.value {
                Expr::Attribute(q) => Some(q.attr.id.as_str().into()),
                _ => None,
            };
            self.note_stop_signal(StopSignal::PutNone { attr });
        }
        // `x.ev.set()` / `EV.set()` with no arguments: an event set (see `LoopStop::Event`).
        if let Expr::Attribute(m) = &*call.func
            && m.attr.id.as_str() == "set"
            && call.arguments.is_empty()
        {
            let name = match &*m.value {
                Expr::Attribute(e) => Some(e.attr.id.as_str()),
                Expr::Name(n) => Some(n.id.as_str()),
                _ => None,
            };
            if let Some(name) = name {
                self.note_stop_signal(StopSignal::EventSet { name: name.into() });
            }
        }
        let callee = self.eval(&call.func);
        let kind = self.callee_kind(&callee);
        // `x.submit(...)` on an `x` this module cannot name: the value flow may know it.
        let value_method = match (&callee, kind) {
            (Value::Unknown, CalleeKind::Irrelevant) => self.value_method(&call.func),
            // `self.x.submit(...)`: the link step asks the value flow when no method sets
            // `self.x` to an instance the summaries name.
            (Value::SelfAttr { path, .. }, _) => {
                if let [_, method] = path.as_slice()
                    && self.index.knowledge.is_effect_method(method.as_str())
                {
                    self.summary.has_value_methods = true;
                }
                None
            }
            _ => None,
        };
        let outer_seen = std::mem::take(&mut self.seen);
        let mut args = match kind {
            CalleeKind::Irrelevant if value_method.is_some() => {
                self.eval_args(&call.arguments, true)
            }
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
        let shape = arg_shape(&call.arguments, &args);
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
            (_, CalleeKind::Irrelevant) => {
                if let Some(method) = value_method {
                    self.summary.has_value_methods = true;
                    self.push_event(
                        range,
                        EventKind::ValueMethod {
                            method,
                            args: args.shared(),
                        },
                    );
                }
                Value::Unknown
            }
            (Value::Qual(_), CalleeKind::Known(api)) => self.call_known(api, args, range),
            (Value::Qual(q), CalleeKind::Project) => {
                self.call_project(q, &callee, args, shape, range)
            }
            (Value::BoundMethod { receiver, .. }, CalleeKind::Known(api)) => {
                let receiver = receiver.clone();
                self.call_known_method(&receiver, api, &callee, args, range)
            }
            // A local function, `self.m`, a partial, a method of a project class.
            _ => {
                // `self.m()`: what the caller's path stored in `self` goes along.
                if let Value::SelfAttr { path, .. } = &callee
                    && path.len() == 1
                    && !self.receiver_facts.is_empty()
                {
                    self.receiver_facts.attach(&mut args);
                }
                self.push_event(
                    range,
                    EventKind::Call {
                        callee: callee.clone(),
                        args: args.shared(),
                        shape,
                    },
                );
                Value::Unknown
            }
        };
        self.last_callee = Some(callee);
        result
    }

    /// `recv.method` where `method` is a known method that does something and `recv` is an
    /// expression whose objects the value flow follows (a name, an attribute, a call, a
    /// subscript): not a literal (`", ".join(...)`, `"{}".format(...)`).
    fn value_method(&self, func: &Expr) -> Option<Name> {
        let Expr::Attribute(a) = func else {
            return None;
        };
        if !matches!(
            *a.value,
            Expr::Name(_) | Expr::Attribute(_) | Expr::Call(_) | Expr::Subscript(_)
        ) || !self.index.knowledge.is_effect_method(a.attr.id.as_str())
        {
            return None;
        }
        Some(a.attr.id.clone())
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
                shape: ArgShape::UNKNOWN,
            },
        );
        match class {
            Some(class) => {
                let handle = self.fresh_handle();
                let inst = Arc::new(Instance {
                    class: class.into(),
                    ctor,
                    handle,
                    daemon: None,
                    start_method,
                });
                self.record_made(range, &inst);
                Value::Instance(inst)
            }
            None => Value::Unknown,
        }
    }

    /// A call of project code by its qualified name (a function, or a class).
    fn call_project(
        &mut self,
        q: &str,
        callee: &Value,
        args: CallArgs,
        shape: ArgShape,
        range: TextRange,
    ) -> Value {
        let ctor = args.shared();
        self.push_event(
            range,
            EventKind::Call {
                callee: callee.clone(),
                args: ctor.clone(),
                shape,
            },
        );
        // It may be a class: keep what it makes trackable; the link step decides.
        let handle = self.fresh_handle();
        let inst = Arc::new(Instance {
            class: match callee {
                Value::Qual(shared) => shared.clone(),
                _ => q.into(),
            },
            ctor,
            handle,
            daemon: None,
            start_method: None,
        });
        self.record_made(range, &inst);
        Value::Instance(inst)
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
                shape: ArgShape::UNKNOWN,
            },
        );
        match returns {
            // Results keep the receiver's handle (a future of the executor that runs it)
            // and start method (a context's `Process`).
            Some(class) => {
                let inst = Arc::new(Instance {
                    class: class.into(),
                    ctor: args,
                    handle: receiver.handle,
                    daemon: None,
                    start_method: receiver.start_method.clone(),
                });
                self.record_made(range, &inst);
                Value::Instance(inst)
            }
            None => Value::Unknown,
        }
    }
}
