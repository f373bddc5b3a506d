//! `def` and `class` statements: each gets its summary entry, its decorators' calls and its
//! binding here; a function's body is only queued, to be walked once its definer is complete.

use ruff_python_ast::visitor::Visitor;
use ruff_python_ast::{Parameters, StmtClassDef, StmtFunctionDef};
use ruff_text_size::TextRange;
use rustc_hash::FxHashMap as HashMap;

use crate::summary::{
    ArgShape, CallArgs, ClassIdx, ClassSummary, EventKind, FuncIdx, FunctionSummary, Receiver,
    SharedName, Value,
};

use super::scope::{QualPrefix, Scope, concat};
use super::{ModuleVisitor, Pending, PendingBody};

/// Decorators whose function is called with the arguments its callers write: a test on a
/// parameter of a function decorated otherwise (a wrapper may pass anything) is no guard.
const ARGUMENT_KEEPING_DECORATORS: &[&str] = &[
    "staticmethod",
    "classmethod",
    "abstractmethod",
    "override",
    "final",
    "contextmanager",
    "asynccontextmanager",
    "cache",
    "lru_cache",
];

/// The last name of a decorator: `staticmethod`, `abc.abstractmethod`,
/// `functools.lru_cache(maxsize=8)` → `lru_cache`; `""` for anything else.
fn decorator_name(expr: &ruff_python_ast::Expr) -> &str {
    use ruff_python_ast::Expr;
    match expr {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.id.as_str(),
        Expr::Call(c) => decorator_name(&c.func),
        _ => "",
    }
}

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    pub(super) fn visit_function_def(&mut self, def: &'a StmtFunctionDef) {
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
        let decorators: Vec<&str> = def
            .decorator_list
            .iter()
            .map(|d| decorator_name(&d.expression))
            .collect();
        self.summary.functions[idx as usize].receiver = match class {
            None => Receiver::None,
            Some(_) if decorators.contains(&"staticmethod") => Receiver::Static,
            Some(_) if decorators.contains(&"classmethod") => Receiver::Class,
            Some(_) => Receiver::Instance,
        };
        let guardable = decorators
            .iter()
            .all(|d| ARGUMENT_KEEPING_DECORATORS.contains(d));
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
                    receiver_attrs: Vec::new(),
                };
                self.push_event(
                    deco.range,
                    EventKind::Call {
                        callee: d,
                        args: args.shared(),
                        shape: ArgShape::UNKNOWN,
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
                guardable,
                qual_prefix,
                depth,
            });
        }
    }

    pub(super) fn new_function(&mut self, qualname: SharedName, name_range: TextRange) -> FuncIdx {
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
            receiver: Receiver::None,
            stop_signals: Vec::new(),
        });
        idx
    }

    pub(super) fn visit_parameter_defaults(&mut self, params: &'a Parameters) {
        for p in params.iter_non_variadic_params() {
            if let Some(default) = &p.default {
                self.eval(default);
            }
        }
    }

    pub(super) fn visit_class_def(&mut self, def: &'a StmtClassDef) {
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
}
