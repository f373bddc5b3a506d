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

mod bindings;
mod expr;
mod lower;
#[cfg(test)]
mod tests;

use ruff_python_ast::{self as ast, Stmt};
use ruff_text_size::TextRange;

use rustc_hash::FxHashMap as HashMap;
use rustc_hash::FxHashSet as HashSet;

use bindings::{Bindings, pinned_names};
use lower::{Frame, Lowerer};

/// How deep the lowering follows nested statements and expressions. The visitor follows
/// [`super::MAX_VISIT_DEPTH`] and files nested deeper are not lowered; real code nests a few
/// dozen levels.
const MAX_LOWERING_DEPTH: usize = super::MAX_VISIT_DEPTH;

/// Index of a name in [`ModuleFlow::names`].
pub type NameId = u32;
/// Index of a scope in [`ModuleFlow::scopes`] (0 is the module body).
pub type ScopeId = u32;

/// A variable of the IR.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// `base[key] = …`, `{key: …}` or `{key: … for …}` with a key that is not a literal:
    /// the object `key` holds is one of `base`'s keys (iterating a dict, `.keys()` and
    /// `.items()` give it back; a `WeakKeyDictionary` of threads is joined from its keys).
    DictKey {
        base: Var,
        key: Var,
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

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ContainerKind {
    List,
    Tuple,
    Set,
    Dict,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ScopeKind {
    Module,
    Function,
    Lambda,
    Class,
}

/// How a function stored in a class is bound when read from an instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Param {
    pub name: NameId,
    pub kind: ParamKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ParamKind {
    PositionalOnly,
    Positional,
    KeywordOnly,
    /// `*args`: a tuple of the extra positional arguments.
    VarArgs,
    /// `**kwargs`: a dict of the extra keyword arguments.
    VarKeywords,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// Conditional expressions (`a if test else b`) whose test the configured platforms decide
/// alike (`sys.platform == "win32"` when only Linux is configured), by the expression's range:
/// whether the body (`true`) or the `orelse` is the value.
pub type PlatformChoices = HashMap<TextRange, bool>;

/// Lowers a parsed module. `module` is its dotted name, `is_package` whether it is an
/// `__init__.py` (relative imports are resolved against them).
pub fn lower(body: &[Stmt], module: &str, is_package: bool) -> ModuleFlow {
    lower_choosing(body, module, is_package, &PlatformChoices::default())
}

/// [`lower`], where a conditional expression in `choices` holds only its chosen branch's
/// value: a start method picked by platform (`"spawn" if os.name == "nt" else "fork"`) is then
/// the one the configured platforms use.
pub fn lower_choosing(
    body: &[Stmt],
    module: &str,
    is_package: bool,
    choices: &PlatformChoices,
) -> ModuleFlow {
    let mut l = Lowerer {
        choices: choices.clone(),
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
