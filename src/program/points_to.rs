//! Points-to analysis over the whole project: which objects each variable may hold, and so
//! which functions each call may run.
//!
//! The input is every module's value-flow IR ([`crate::summary::flow`]). Objects are
//! abstract: a function or class by its definition, a module by its file, an instance by the
//! call that made it (its allocation site), a container by its display, and any name outside
//! the project (`threading.Thread`, `<builtin>.map`) by that name. The analysis is Andersen's,
//! context-insensitive, with the call graph built on the fly: when a callee variable gains a
//! function, the call's arguments flow into its parameters and its return value into the
//! call's result. Instance attributes are per object, so `self._t` set in `__init__` is the
//! `self._t` read in `stop()` whenever both methods run on one instance.
//!
//! Solving is a worklist over difference sets: each variable keeps the objects it has
//! already propagated, so an object travels each copy edge once. Method lookups depend on
//! class hierarchies, which are themselves values (a base class can be an imported name);
//! lookups are logged and replayed whenever a class's base classes grow, until nothing
//! changes. Everything is numbered in file order and sorted on output, so the result does not
//! depend on thread scheduling.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_text_size::TextRange;

use crate::diagnostic::FileId;
use crate::summary::flow::{
    Arg, Binding, ContainerKind, ModuleFlow, NameId, Op, ParamKind, ScopeId, ScopeKind, Var,
};

/// An abstract object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Obj {
    Module(FileId),
    Function(FileId, ScopeId),
    Class(FileId, ScopeId),
    /// An instance of a project class, made at a call site.
    Instance {
        class: ObjId,
        file: FileId,
        site: u32,
    },
    /// A name outside the project: a module, class or function of a library or builtins.
    External(Arc<str>),
    /// What calling a library name returns, by the call that made it: each
    /// `threading.Thread(...)` is its own thread.
    ExtInstance {
        name: Arc<str>,
        file: FileId,
        site: u32,
    },
    /// A method read from an object: calling it passes `recv` first.
    Bound {
        recv: ObjId,
        func: ObjId,
    },
    Container {
        file: FileId,
        site: u32,
        kind: ContainerKind,
    },
    /// `*args` / `**kwargs` of a function.
    VarArgs(ObjId),
    VarKeywords(ObjId),
    /// What calling a generator function returns: its elements are what it yields.
    Generator(ObjId),
    Str(Arc<str>),
    Int(i64),
    /// `xs[start:]`: reads `xs`'s elements with positions shifted by `start`.
    Slice {
        base: ObjId,
        start: u32,
    },
    /// `super()` in a method of `class`, called on `recv`.
    Super {
        class: ObjId,
        recv: ObjId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjId(u32);

type NodeId = u32;
/// A function (or module body) of the project: its file and scope.
pub type ScopeRef = (FileId, ScopeId);

/// What passes along a copy edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Filter {
    All,
    /// A class attribute read through an instance (or `super()`): functions become bound
    /// methods of `recv`, properties are called.
    Bind {
        recv: ObjId,
        caller: ScopeRef,
    },
    /// A class attribute read through the class: class methods bind to it.
    ClassRead {
        class: ObjId,
    },
}

#[derive(Clone, Debug)]
struct CallSite {
    caller: ScopeRef,
    dst: NodeId,
    args: Vec<ArgNode>,
    site: u32,
    /// Made by a statement, not written: only project functions count as called.
    implicit: bool,
    /// A constructor's `__init__`: a library base class's counts too.
    ctor: bool,
    /// The written call this one stands for (itself, or the call whose `__call__` it runs).
    origin: u32,
}

#[derive(Clone, Copy, Debug)]
enum ArgNode {
    Pos(Option<NodeId>),
    /// The elements of a container passed as `*xs` / `**kw`.
    Star(NodeId),
    Kw(u32, NodeId),
    StarStar(NodeId),
}

#[derive(Clone, Copy, Debug)]
enum Use {
    Load {
        dst: NodeId,
        attr: u32,
        caller: ScopeRef,
    },
    Store {
        attr: u32,
        src: NodeId,
    },
    ElemLoad {
        dst: NodeId,
    },
    ElemStore {
        src: NodeId,
    },
    IndexLoad {
        dst: NodeId,
        index: u32,
    },
    KeyLoad {
        dst: NodeId,
        key: u32,
    },
    KeyStore {
        key: u32,
        src: NodeId,
    },
    Call(u32),
    Raise {
        caller: ScopeRef,
        file: FileId,
        site: u32,
    },
    Enter {
        dst: NodeId,
        caller: ScopeRef,
    },
    Super {
        dst: NodeId,
        class: ObjId,
    },
    /// `dst = <this>[index]`: on the container node.
    DynLoad {
        dst: NodeId,
        index: NodeId,
    },
    /// The same load, on the index node.
    DynIndex {
        dst: NodeId,
        base: NodeId,
    },
    Slice {
        dst: NodeId,
        start: u32,
    },
}

/// Where a class attribute lookup was made from, kept to replay it if the class's bases grow.
#[derive(Clone, Copy, Debug)]
struct Lookup {
    obj: ObjId,
    attr: u32,
    dst: NodeId,
    caller: ScopeRef,
}

/// What the solver is told of libraries (from the knowledge base).
#[derive(Default)]
pub struct Library<'k> {
    /// Functions and methods, and the class of what they return.
    pub returns: Vec<(&'k str, &'k str)>,
    /// Classes whose objects are told apart by the call that makes them.
    pub classes: Vec<&'k str>,
}

/// One module, as the solver needs it.
pub struct FlowModule<'a> {
    pub file: FileId,
    pub module: &'a str,
    pub flow: &'a ModuleFlow,
}

pub struct PointsTo {
    objs: Vec<Obj>,
    obj_ids: HashMap<Obj, ObjId>,
    names: Vec<Arc<str>>,
    name_ids: HashMap<Arc<str>, u32>,
    pts: Vec<Vec<ObjId>>,
    delta: Vec<Vec<ObjId>>,
    succ: Vec<Vec<(NodeId, Filter)>>,
    uses: Vec<Vec<Use>>,
    edges: HashSet<(NodeId, NodeId, Filter)>,
    fields: HashMap<(ObjId, u32), NodeId>,
    locals: HashMap<(FileId, ScopeId, u32), NodeId>,
    rets: HashMap<ScopeRef, NodeId>,
    temp_base: Vec<NodeId>,
    calls: Vec<CallSite>,
    worklist: Vec<NodeId>,
    queued: Vec<bool>,
    /// Lookups through each class (by class object), to replay when its bases change.
    lookups: HashMap<ObjId, Vec<Lookup>>,
    /// Per class: the bases' nodes, and the method resolution order last used.
    bases: HashMap<ObjId, Vec<NodeId>>,
    mro_used: HashMap<ObjId, Vec<ObjId>>,
    /// Every call resolved: caller → callee objects (functions, classes' `__init__`,
    /// external names).
    call_edges: HashSet<(ScopeRef, ObjId)>,
    /// The call sites each callee object was reached from.
    modules: HashMap<String, FileId>,
    module_names: Vec<String>,
    scopes: HashMap<FileId, Vec<ScopeInfo>>,
    /// Calls handled already: (call index, callee object).
    handled: HashSet<(u32, ObjId)>,
    elem: u32,
    values: u32,
    /// Loads with a variable index (container, index, result): one whose index holds no
    /// object once solved reads any element.
    dyn_loads: Vec<(NodeId, NodeId, NodeId)>,
    /// The calls and `with` items written at each source range, for the rules' questions
    /// about the objects an effect acts on.
    by_range: HashMap<(FileId, TextRange), Vec<SiteNodes>>,
    /// Library functions and methods whose result is an object of a known library class
    /// (`concurrent.futures.ThreadPoolExecutor.submit` → `concurrent.futures.Future`).
    returns: HashMap<Arc<str>, Arc<str>>,
    /// How many more attribute reads extend each library name (see [`PointsTo::external`]).
    ext_reads: HashMap<ObjId, u8>,
    /// Library classes whose objects are told apart by allocation site.
    tracked: HashSet<Arc<str>>,
    /// Per node: it holds a class's base (a new object there can change method lookups).
    is_base: Vec<bool>,
    /// Bumped whenever a base gains an object; cached method resolution orders older than
    /// it are computed again.
    class_generation: u64,
    mro_cache: HashMap<ObjId, (u64, Vec<ObjId>)>,
    /// The generation the replay of lookups last ran at.
    replayed_generation: u64,
    /// `module.attr` that is itself a project module, by module file and name.
    submodules: HashMap<(FileId, u32), Option<FileId>>,
    /// Variables that reached [`MAX_OBJECTS_PER_VARIABLE`] objects and stopped growing.
    saturated: HashSet<NodeId>,
    /// Uses attached to nodes that already held objects, still to apply.
    pending: Vec<(Use, ObjId)>,
    /// `obj()` on an instance runs its `__call__`: one expansion per written call and
    /// instance, however the `__call__` chain loops.
    call_expansions: HashSet<(u32, ObjId)>,
}

/// The nodes of one call (or `with` item) at a source range.
#[derive(Clone, Copy, Debug)]
struct SiteNodes {
    /// The callee (for a `with` item: the manager itself).
    callee: NodeId,
    /// What the call returns (the value entered).
    result: NodeId,
    /// `callee` holds the receivers themselves (a `with` manager), not bound methods.
    direct: bool,
}

/// What the solver keeps of a scope.
#[derive(Clone, Debug)]
struct ScopeInfo {
    kind: ScopeKind,
    qualname: String,
    params: Vec<(u32, ParamKind)>,
    binding: Binding,
    generator: bool,
    /// A class: the names its body binds.
    class_names: Vec<u32>,
}

/// The most objects one variable is followed with (see [`PointsTo::add`]). Real code's
/// variables hold a few objects; a variable past this is a hub of context-insensitive flow.
const MAX_OBJECTS_PER_VARIABLE: usize = 64;

/// The longest dotted library name followed (`xml.etree.ElementTree.Element.find`):
/// longer chains are attribute reads in loops, not names of an API.
const MAX_EXTERNAL_PARTS: usize = 5;

/// The start of a slice of a slice: somewhere in its base.
const UNKNOWN_START: u32 = u32::MAX;

/// Builtins that call the functions passed to them (a call graph counts those calls as the
/// caller's).
const CALLS_ITS_ARGUMENTS: &[&str] = &["map", "filter", "sorted", "min", "max", "reduce"];

impl PointsTo {
    /// Solves the flow of every module. `returns` maps library methods to the library class
    /// of what they return.
    pub fn solve(modules: &[FlowModule<'_>], library: &Library<'_>) -> PointsTo {
        let mut pt = PointsTo {
            objs: Vec::new(),
            obj_ids: HashMap::default(),
            names: Vec::new(),
            name_ids: HashMap::default(),
            pts: Vec::new(),
            delta: Vec::new(),
            succ: Vec::new(),
            uses: Vec::new(),
            edges: HashSet::default(),
            fields: HashMap::default(),
            locals: HashMap::default(),
            rets: HashMap::default(),
            temp_base: Vec::new(),
            calls: Vec::new(),
            worklist: Vec::new(),
            queued: Vec::new(),
            lookups: HashMap::default(),
            bases: HashMap::default(),
            mro_used: HashMap::default(),
            call_edges: HashSet::default(),
            modules: HashMap::default(),
            module_names: Vec::new(),
            scopes: HashMap::default(),
            handled: HashSet::default(),
            elem: 0,
            values: 0,
            dyn_loads: Vec::new(),
            by_range: HashMap::default(),
            pending: Vec::new(),
            saturated: HashSet::default(),
            is_base: Vec::new(),
            class_generation: 0,
            mro_cache: HashMap::default(),
            replayed_generation: u64::MAX,
            submodules: HashMap::default(),
            returns: HashMap::default(),
            tracked: HashSet::default(),
            ext_reads: HashMap::default(),
            call_expansions: HashSet::default(),
        };
        pt.returns = library
            .returns
            .iter()
            .map(|(f, ty)| (Arc::from(*f), Arc::from(*ty)))
            .collect();
        pt.tracked = library.classes.iter().map(|c| Arc::from(*c)).collect();
        pt.elem = pt.name("[]");
        pt.values = pt.name("{}");
        let max_file = modules
            .iter()
            .map(|m| m.file.0 as usize + 1)
            .max()
            .unwrap_or(0);
        pt.module_names = vec![String::new(); max_file];
        pt.temp_base = vec![0; max_file];
        for m in modules {
            pt.modules.insert(m.module.to_string(), m.file);
            pt.module_names[m.file.0 as usize] = m.module.to_string();
        }
        for m in modules {
            let base = pt.pts.len() as NodeId;
            pt.temp_base[m.file.0 as usize] = base;
            for _ in 0..m.flow.temps {
                pt.new_node();
            }
            let infos = m
                .flow
                .scopes
                .iter()
                .map(|s| ScopeInfo {
                    kind: s.kind,
                    qualname: s.qualname.clone(),
                    params: s
                        .params
                        .iter()
                        .map(|p| (pt.name(m.flow.name(p.name)), p.kind))
                        .collect(),
                    binding: s.binding,
                    generator: s.generator,
                    class_names: {
                        let mut v: Vec<u32> = s
                            .class_names
                            .iter()
                            .map(|&n| pt.name(m.flow.name(n)))
                            .collect();
                        v.sort_unstable();
                        v
                    },
                })
                .collect();
            pt.scopes.insert(m.file, infos);
        }
        for m in modules {
            pt.add_module(m);
        }
        pt.run();
        if std::env::var_os("FORKLINT_POINTS_TO_STATS").is_some() {
            pt.print_stats(0);
        }
        pt
    }

    fn name(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        let s: Arc<str> = Arc::from(s);
        self.names.push(s.clone());
        self.name_ids.insert(s, id);
        id
    }

    fn obj(&mut self, o: Obj) -> ObjId {
        if let Some(&id) = self.obj_ids.get(&o) {
            return id;
        }
        let id = ObjId(self.objs.len() as u32);
        self.objs.push(o.clone());
        self.obj_ids.insert(o, id);
        id
    }

    pub fn object(&self, id: ObjId) -> &Obj {
        &self.objs[id.0 as usize]
    }

    fn new_node(&mut self) -> NodeId {
        let id = self.pts.len() as NodeId;
        self.pts.push(Vec::new());
        self.delta.push(Vec::new());
        self.succ.push(Vec::new());
        self.uses.push(Vec::new());
        self.queued.push(false);
        self.is_base.push(false);
        id
    }

    fn field(&mut self, obj: ObjId, attr: u32) -> NodeId {
        if let Some(&n) = self.fields.get(&(obj, attr)) {
            return n;
        }
        let n = self.new_node();
        self.fields.insert((obj, attr), n);
        n
    }

    fn ret(&mut self, scope: ScopeRef) -> NodeId {
        if let Some(&n) = self.rets.get(&scope) {
            return n;
        }
        let n = self.new_node();
        self.rets.insert(scope, n);
        n
    }

    fn local(&mut self, file: FileId, scope: ScopeId, name: u32) -> NodeId {
        if let Some(&n) = self.locals.get(&(file, scope, name)) {
            return n;
        }
        let n = self.new_node();
        self.locals.insert((file, scope, name), n);
        n
    }

    /// The node of an IR variable of module `m`.
    fn var(&mut self, m: &FlowModule<'_>, v: Var) -> NodeId {
        match v {
            Var::Temp(t) => self.temp_base[m.file.0 as usize] + t,
            Var::Ret(s) => self.ret((m.file, s)),
            Var::Free(n) => {
                let module = self.obj(Obj::Module(m.file));
                let name = self.name(m.flow.name(n));
                self.field(module, name)
            }
            Var::Local { scope, name } => {
                let name = self.name(m.flow.name(name));
                match m.flow.scopes[scope as usize].kind {
                    ScopeKind::Module => {
                        let module = self.obj(Obj::Module(m.file));
                        self.field(module, name)
                    }
                    ScopeKind::Class => {
                        let class = self.obj(Obj::Class(m.file, scope));
                        self.field(class, name)
                    }
                    ScopeKind::Function | ScopeKind::Lambda => self.local(m.file, scope, name),
                }
            }
        }
    }

    fn add(&mut self, n: NodeId, o: ObjId) {
        let set = &mut self.pts[n as usize];
        if let Err(at) = set.binary_search(&o) {
            if set.len() >= MAX_OBJECTS_PER_VARIABLE {
                // A variable that may hold this many objects (the parameter of a helper
                // every module calls) says nothing useful about any one of them, and
                // following them all is what makes the analysis of a large project blow up.
                // It stops growing and is marked, so that questions about it answer "not
                // known" rather than a wrong "no".
                self.saturated.insert(n);
                return;
            }
            set.insert(at, o);
            self.delta[n as usize].push(o);
            if self.is_base[n as usize] {
                self.class_generation += 1;
            }
            if !self.queued[n as usize] {
                self.queued[n as usize] = true;
                self.worklist.push(n);
            }
        }
    }

    fn edge(&mut self, from: NodeId, to: NodeId, filter: Filter) {
        if from == to && filter == Filter::All {
            return;
        }
        if !self.edges.insert((from, to, filter)) {
            return;
        }
        self.succ[from as usize].push((to, filter));
        let mut i = 0;
        while let Some(&o) = self.pts[from as usize].get(i) {
            self.pass(to, o, filter);
            i += 1;
        }
    }

    /// Attaches a use to a node. It is applied to the node's objects so far later, by the
    /// solver loop, not here: applying a use can add uses (a call of a class runs its
    /// `__init__`, which is another call), and doing so eagerly would recurse as deep as the
    /// program's chains of calls.
    fn add_use(&mut self, n: NodeId, u: Use) {
        self.uses[n as usize].push(u);
        for &o in &self.pts[n as usize] {
            self.pending.push((u, o));
        }
    }

    fn add_module(&mut self, m: &FlowModule<'_>) {
        let file = m.file;
        // A file that did not parse (or a native source) has no flow at all.
        if m.flow.scopes.is_empty() {
            return;
        }
        // A free name the module does not bind (and no star import could) is a builtin.
        let module_obj = self.obj(Obj::Module(file));
        let has_star = m.flow.scopes[0]
            .ops
            .iter()
            .any(|op| matches!(op, Op::StarImport { .. }));
        let bound: HashSet<NameId> = m.flow.module_names.iter().copied().collect();
        for (scope_id, scope) in m.flow.scopes.iter().enumerate() {
            let scope_id = scope_id as ScopeId;
            let caller = self.caller_of(m, scope_id);
            for op in &scope.ops {
                for free in free_vars(op) {
                    if !bound.contains(&free) && !has_star {
                        let text = m.flow.name(free);
                        if is_builtin(text) {
                            let builtin = self.external(format!("<builtin>.{text}").into(), 1);
                            let name = self.name(text);
                            let n = self.field(module_obj, name);
                            self.add(n, builtin);
                        }
                    }
                }
                self.add_op(m, caller, op);
            }
            if scope.kind == ScopeKind::Class {
                let class = self.obj(Obj::Class(file, scope_id));
                let bases: Vec<NodeId> = scope.bases.iter().map(|b| self.var(m, *b)).collect();
                for &b in &bases {
                    self.is_base[b as usize] = true;
                    if !self.pts[b as usize].is_empty() {
                        self.class_generation += 1;
                    }
                }
                self.bases.insert(class, bases);
            }
            if matches!(scope.kind, ScopeKind::Function | ScopeKind::Lambda) {
                let func = self.obj(Obj::Function(file, scope_id));
                for p in &scope.params {
                    let packed = match p.kind {
                        ParamKind::VarArgs => Some(Obj::VarArgs(func)),
                        ParamKind::VarKeywords => Some(Obj::VarKeywords(func)),
                        _ => None,
                    };
                    if let Some(packed) = packed {
                        let o = self.obj(packed);
                        let n = self.var(
                            m,
                            Var::Local {
                                scope: scope_id,
                                name: p.name,
                            },
                        );
                        self.add(n, o);
                    }
                }
            }
        }
    }

    /// The scope a call graph attributes a scope's calls to: class bodies run as part of the
    /// scope that defines the class.
    fn caller_of(&self, m: &FlowModule<'_>, mut scope: ScopeId) -> ScopeRef {
        while m.flow.scopes[scope as usize].kind == ScopeKind::Class {
            scope = m.flow.scopes[scope as usize].parent.unwrap_or(0);
        }
        (m.file, scope)
    }

    fn add_op(&mut self, m: &FlowModule<'_>, caller: ScopeRef, op: &Op) {
        let file = m.file;
        match op {
            Op::Copy { dst, src } => {
                let (d, s) = (self.var(m, *dst), self.var(m, *src));
                self.edge(s, d, Filter::All);
            }
            Op::Func { dst, scope } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Function(file, *scope));
                self.add(d, o);
            }
            Op::Class { dst, scope } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Class(file, *scope));
                self.add(d, o);
            }
            Op::Import { dst, module } => {
                let d = self.var(m, *dst);
                let name = m.flow.name(*module);
                let o = self.module_obj(name);
                self.add(d, o);
            }
            Op::ImportFrom { dst, module, name } => {
                let d = self.var(m, *dst);
                let (module, name) = (m.flow.name(*module), m.flow.name(*name));
                let sub = format!("{module}.{name}");
                if self.modules.contains_key(&sub) {
                    let o = self.module_obj(&sub);
                    self.add(d, o);
                } else if let Some(&f) = self.modules.get(module) {
                    let mo = self.obj(Obj::Module(f));
                    let attr = self.name(name);
                    let n = self.field(mo, attr);
                    self.edge(n, d, Filter::All);
                } else {
                    let o = self.external(sub.into(), 2);
                    self.add(d, o);
                }
            }
            Op::StarImport { module } => {
                let name = m.flow.name(*module);
                if let Some(&f) = self.modules.get(name) {
                    // Every name the other module binds at its top level.
                    let from = self.obj(Obj::Module(f));
                    let to = self.obj(Obj::Module(file));
                    let names: Vec<u32> = self.module_top_names(f);
                    for n in names {
                        let a = self.field(from, n);
                        let b = self.field(to, n);
                        self.edge(a, b, Filter::All);
                    }
                }
            }
            Op::Int { dst, value } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Int(*value));
                self.add(d, o);
            }
            Op::DynLoad { dst, base, index } => {
                let (d, b, i) = (self.var(m, *dst), self.var(m, *base), self.var(m, *index));
                self.dyn_loads.push((b, i, d));
                self.add_use(b, Use::DynLoad { dst: d, index: i });
                self.add_use(i, Use::DynIndex { dst: d, base: b });
            }
            Op::Slice { dst, base, start } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                self.add_use(
                    b,
                    Use::Slice {
                        dst: d,
                        start: *start,
                    },
                );
            }
            Op::Str { dst, value } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Str(m.flow.name(*value).into()));
                self.add(d, o);
            }
            Op::Load { dst, base, attr } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                let attr = self.name(m.flow.name(*attr));
                self.add_use(
                    b,
                    Use::Load {
                        dst: d,
                        attr,
                        caller,
                    },
                );
            }
            Op::Store { base, attr, src } => {
                let (b, s) = (self.var(m, *base), self.var(m, *src));
                let attr = self.name(m.flow.name(*attr));
                self.add_use(b, Use::Store { attr, src: s });
            }
            Op::ElemLoad { dst, base } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                self.add_use(b, Use::ElemLoad { dst: d });
            }
            Op::ElemStore { base, src } => {
                let (b, s) = (self.var(m, *base), self.var(m, *src));
                self.add_use(b, Use::ElemStore { src: s });
            }
            Op::IndexLoad { dst, base, index } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                self.add_use(
                    b,
                    Use::IndexLoad {
                        dst: d,
                        index: *index,
                    },
                );
            }
            Op::KeyLoad { dst, base, key } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                let key = self.name(m.flow.name(*key));
                self.add_use(b, Use::KeyLoad { dst: d, key });
            }
            Op::KeyStore { base, key, src } => {
                let (b, s) = (self.var(m, *base), self.var(m, *src));
                let key = self.name(m.flow.name(*key));
                self.add_use(b, Use::KeyStore { key, src: s });
            }
            Op::Container { dst, site, kind } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Container {
                    file,
                    site: *site,
                    kind: *kind,
                });
                self.add(d, o);
            }
            Op::Call {
                dst,
                callee,
                args,
                site,
                implicit,
            } => {
                let d = self.var(m, *dst);
                let c = self.var(m, *callee);
                if !*implicit {
                    self.by_range
                        .entry((file, m.flow.sites[*site as usize]))
                        .or_default()
                        .push(SiteNodes {
                            callee: c,
                            result: d,
                            direct: false,
                        });
                }
                let args = args
                    .iter()
                    .map(|a| match *a {
                        Arg::Pos(v) => ArgNode::Pos(v.map(|v| self.var(m, v))),
                        Arg::Star(v) => ArgNode::Star(self.var(m, v)),
                        Arg::Kw(n, v) => {
                            let n = self.name(m.flow.name(n));
                            ArgNode::Kw(n, self.var(m, v))
                        }
                        Arg::StarStar(v) => ArgNode::StarStar(self.var(m, v)),
                    })
                    .collect();
                self.add_call(
                    c,
                    CallSite {
                        caller,
                        dst: d,
                        args,
                        site: *site,
                        implicit: *implicit,
                        ctor: false,
                        origin: u32::MAX,
                    },
                );
            }
            Op::Raise { src } => {
                let s = self.var(m, *src);
                self.add_use(
                    s,
                    Use::Raise {
                        caller,
                        file,
                        site: u32::MAX,
                    },
                );
            }
            Op::Enter { dst, mgr, site } => {
                let (d, s) = (self.var(m, *dst), self.var(m, *mgr));
                self.by_range
                    .entry((file, m.flow.sites[*site as usize]))
                    .or_default()
                    .push(SiteNodes {
                        callee: s,
                        result: d,
                        direct: true,
                    });
                self.add_use(s, Use::Enter { dst: d, caller });
            }
            Op::Super {
                dst,
                class,
                recv,
                site: _,
            } => {
                let (d, r) = (self.var(m, *dst), self.var(m, *recv));
                let class = self.obj(Obj::Class(file, *class));
                self.add_use(r, Use::Super { dst: d, class });
            }
        }
    }

    fn add_call(&mut self, callee: NodeId, mut call: CallSite) {
        let id = self.calls.len() as u32;
        if call.origin == u32::MAX {
            call.origin = id;
        }
        self.calls.push(call);
        self.add_use(callee, Use::Call(id));
    }

    fn module_top_names(&mut self, file: FileId) -> Vec<u32> {
        let module = self.obj(Obj::Module(file));
        let mut out: Vec<u32> = self
            .fields
            .keys()
            .filter(|(o, _)| *o == module)
            .map(|(_, n)| *n)
            .collect();
        out.sort_unstable();
        out
    }

    /// A module by name: the project's, or an external name.
    fn module_obj(&mut self, name: &str) -> ObjId {
        match self.modules.get(name) {
            Some(&f) => self.obj(Obj::Module(f)),
            None => self.external(name.into(), 4),
        }
    }

    /// A library name, and how many attribute reads may still extend it: an imported module
    /// is read as `os.path.join` or `concurrent.futures.ThreadPoolExecutor.submit`, a name
    /// imported from one as `Cls.method`, a builtin as `int.from_bytes`. Past that a read is
    /// of a value, not of an API (`int.real.imag`), and values met through a variable that
    /// holds many names would otherwise multiply the names without end.
    fn external(&mut self, name: Arc<str>, reads: u8) -> ObjId {
        let o = self.obj(Obj::External(name));
        let budget = self.ext_reads.entry(o).or_insert(reads);
        *budget = (*budget).max(reads);
        o
    }

    fn run(&mut self) {
        let stats = std::env::var_os("FORKLINT_POINTS_TO_STATS").is_some();
        let mut steps: u64 = 0;
        loop {
            loop {
                steps += 1;
                if stats && steps.is_multiple_of(20_000) {
                    self.print_stats(steps);
                }
                if let Some((u, o)) = self.pending.pop() {
                    self.apply(u, o);
                    continue;
                }
                let Some(n) = self.worklist.pop() else { break };
                self.queued[n as usize] = false;
                let delta = std::mem::take(&mut self.delta[n as usize]);
                if delta.is_empty() {
                    continue;
                }
                // By index: passing an object on can add edges and uses to this node (they
                // take the node's objects as they are added, so none is missed).
                for o in delta {
                    let mut i = 0;
                    while let Some(&(to, filter)) = self.succ[n as usize].get(i) {
                        self.pass(to, o, filter);
                        i += 1;
                    }
                    let mut i = 0;
                    while let Some(&u) = self.uses[n as usize].get(i) {
                        self.apply(u, o);
                        i += 1;
                    }
                }
            }
            // Bases are values too: replay the lookups of every class whose resolution
            // order has grown since it was used.
            let classes: Vec<ObjId> = if self.replayed_generation == self.class_generation {
                Vec::new()
            } else {
                self.replayed_generation = self.class_generation;
                self.mro_used.keys().copied().collect()
            };
            let mut changed = Vec::new();
            for c in classes {
                let now = self.mro(c);
                if self.mro_used.get(&c) != Some(&now) {
                    changed.push(c);
                }
            }
            if changed.is_empty() {
                // A variable index that holds nothing known selects any element.
                let unknown: Vec<(NodeId, NodeId, NodeId)> = self
                    .dyn_loads
                    .iter()
                    .copied()
                    .filter(|&(_, i, _)| self.pts[i as usize].is_empty())
                    .collect();
                self.dyn_loads
                    .retain(|&(_, i, _)| !self.pts[i as usize].is_empty());
                if unknown.is_empty() {
                    break;
                }
                for (b, _, d) in unknown {
                    self.add_use(b, Use::ElemLoad { dst: d });
                }
                continue;
            }
            changed.sort();
            for c in changed {
                let now = self.mro(c);
                self.mro_used.insert(c, now);
                let replay = self.lookups.get(&c).cloned().unwrap_or_default();
                for l in replay {
                    self.lookup(l.obj, l.attr, l.dst, l.caller);
                }
            }
        }
    }

    /// Passes object `o` along an edge into `to`.
    fn pass(&mut self, to: NodeId, o: ObjId, filter: Filter) {
        match filter {
            Filter::All => self.add(to, o),
            Filter::Bind { recv, caller } => match self.object(o).clone() {
                Obj::Function(file, scope) => match self.scope_info(file, scope).binding {
                    Binding::Static => self.add(to, o),
                    Binding::ClassMethod => {
                        let class = self.class_of(recv).unwrap_or(recv);
                        let b = self.obj(Obj::Bound {
                            recv: class,
                            func: o,
                        });
                        self.add(to, b);
                    }
                    Binding::Method => {
                        let b = self.obj(Obj::Bound { recv, func: o });
                        self.add(to, b);
                    }
                    Binding::Property => {
                        // Reading a property runs its getter.
                        self.call_edge(caller, o);
                        self.bind_params(o, Some(recv), &[]);
                        let r = self.ret((file, scope));
                        self.edge(r, to, Filter::All);
                    }
                },
                _ => self.add(to, o),
            },
            Filter::ClassRead { class } => match self.object(o).clone() {
                Obj::Function(file, scope)
                    if self.scope_info(file, scope).binding == Binding::ClassMethod =>
                {
                    let b = self.obj(Obj::Bound {
                        recv: class,
                        func: o,
                    });
                    self.add(to, b);
                }
                _ => self.add(to, o),
            },
        }
    }

    fn scope_info(&self, file: FileId, scope: ScopeId) -> &ScopeInfo {
        &self.scopes[&file][scope as usize]
    }

    /// The class of an instance.
    fn class_of(&self, o: ObjId) -> Option<ObjId> {
        match self.object(o) {
            Obj::Instance { class, .. } => Some(*class),
            Obj::Class(..) => Some(o),
            _ => None,
        }
    }

    /// The classes searched for an attribute of `class`, in order: Python's C3 linearisation
    /// over the bases known so far (a base variable may hold several classes: each is taken,
    /// in order). Where C3 fails (an inconsistent hierarchy, which Python rejects), depth-first
    /// order is used.
    fn mro(&mut self, class: ObjId) -> Vec<ObjId> {
        if let Some((generation, order)) = self.mro_cache.get(&class)
            && *generation == self.class_generation
        {
            return order.clone();
        }
        let mut memo = HashMap::default();
        let order = self.c3(class, &mut memo, 0);
        self.mro_cache
            .insert(class, (self.class_generation, order.clone()));
        order
    }

    fn direct_bases(&self, class: ObjId) -> Vec<ObjId> {
        let mut out = Vec::new();
        if let Some(bases) = self.bases.get(&class) {
            for &b in bases {
                for &o in &self.pts[b as usize] {
                    // A library base is a name read from an import (`threading.Thread`), not
                    // any library value a base expression may hold.
                    let usable = match self.object(o) {
                        Obj::Class(..) => true,
                        Obj::External(_) => self.ext_reads.contains_key(&o),
                        _ => false,
                    };
                    if usable && o != class && !out.contains(&o) {
                        out.push(o);
                    }
                }
            }
        }
        out
    }

    fn c3(&self, class: ObjId, memo: &mut HashMap<ObjId, Vec<ObjId>>, depth: u32) -> Vec<ObjId> {
        if let Some(m) = memo.get(&class) {
            return m.clone();
        }
        let bases = self.direct_bases(class);
        if depth > 64 || bases.is_empty() {
            return vec![class];
        }
        // Guard against a cycle (`A = B; class B(A)`): a class in progress is a leaf.
        memo.insert(class, vec![class]);
        let mut seqs: Vec<Vec<ObjId>> =
            bases.iter().map(|&b| self.c3(b, memo, depth + 1)).collect();
        seqs.push(bases.clone());
        let mut out = vec![class];
        loop {
            seqs.retain(|s| !s.is_empty());
            if seqs.is_empty() {
                break;
            }
            let head = seqs
                .iter()
                .map(|s| s[0])
                .find(|&h| seqs.iter().all(|s| !s[1..].contains(&h)));
            let Some(head) = head else {
                // Inconsistent: fall back to the rest, depth first, each once.
                for s in &seqs {
                    for &c in s {
                        if !out.contains(&c) {
                            out.push(c);
                        }
                    }
                }
                break;
            };
            out.push(head);
            for s in &mut seqs {
                if s.first() == Some(&head) {
                    s.remove(0);
                }
            }
        }
        memo.insert(class, out.clone());
        out
    }

    /// `dst ⊇ obj.attr` for an instance, class or `super()` proxy: logged per class so it can
    /// be replayed when the class's bases grow.
    fn lookup(&mut self, obj: ObjId, attr: u32, dst: NodeId, caller: ScopeRef) {
        let (class, recv, skip_first) = match self.object(obj).clone() {
            Obj::Instance { class, .. } => (class, Some(obj), false),
            Obj::Class(..) => (obj, None, false),
            Obj::Super { class, recv } => (class, Some(recv), true),
            _ => return,
        };
        let start = match self.object(obj).clone() {
            // super() searches the receiver's class order after `class`.
            Obj::Super { recv, .. } => self.class_of(recv).unwrap_or(class),
            _ => class,
        };
        self.lookups.entry(start).or_default().push(Lookup {
            obj,
            attr,
            dst,
            caller,
        });
        let order = self.mro(start);
        // Keep the order the *oldest* logged lookup used: if it is stale, the replay in
        // `run` brings every lookup of this class up to date.
        self.mro_used.entry(start).or_insert_with(|| order.clone());
        let order: Vec<ObjId> = if skip_first {
            order
                .iter()
                .position(|&c| c == class)
                .map(|i| order[i + 1..].to_vec())
                .unwrap_or_default()
        } else {
            order
        };
        for c in order {
            match self.object(c).clone() {
                Obj::Class(file, scope) => {
                    let n = self.field(c, attr);
                    let filter = match recv {
                        Some(recv) => Filter::Bind { recv, caller },
                        None => Filter::ClassRead { class: obj },
                    };
                    self.edge(n, dst, filter);
                    // The first class whose body defines the name is where Python stops.
                    if self
                        .scope_info(file, scope)
                        .class_names
                        .binary_search(&attr)
                        .is_ok()
                    {
                        break;
                    }
                }
                Obj::External(name) => {
                    // A library base class (`threading.Thread`): its methods.
                    let Some(method) = self.ext_attr(&name, attr) else {
                        break;
                    };
                    let f = self.obj(Obj::External(method));
                    let o = match recv {
                        Some(recv) => self.obj(Obj::Bound { recv, func: f }),
                        None => f,
                    };
                    self.add(dst, o);
                    break;
                }
                _ => {}
            }
        }
    }

    fn apply(&mut self, u: Use, o: ObjId) {
        match u {
            Use::Load { dst, attr, caller } => self.load(o, attr, dst, caller),
            Use::Store { attr, src } => {
                if !matches!(self.object(o), Obj::Str(_) | Obj::External(_)) {
                    let f = self.field(o, attr);
                    self.edge(src, f, Filter::All);
                }
            }
            Use::ElemLoad { dst } => {
                if self.is_container(o) {
                    let (e, v) = self.elem_fields(o);
                    self.edge(e, dst, Filter::All);
                    self.edge(v, dst, Filter::All);
                }
            }
            Use::ElemStore { src } => {
                if self.is_container(o) {
                    let (e, _) = self.elem_fields(o);
                    self.edge(src, e, Filter::All);
                }
            }
            Use::IndexLoad { dst, index } => {
                if self.is_container(o) {
                    let key = self.name(&format!("#{index}"));
                    let (f, (e, _)) = (self.key_field(o, key), self.elem_fields(o));
                    self.edge(f, dst, Filter::All);
                    self.edge(e, dst, Filter::All);
                }
            }
            Use::KeyLoad { dst, key } => {
                if self.is_container(o) {
                    let (f, (e, _)) = (self.key_field(o, key), self.elem_fields(o));
                    self.edge(f, dst, Filter::All);
                    self.edge(e, dst, Filter::All);
                }
            }
            Use::KeyStore { key, src } => {
                if self.is_container(o) {
                    let (f, (_, v)) = (self.key_field(o, key), self.elem_fields(o));
                    self.edge(src, f, Filter::All);
                    self.edge(src, v, Filter::All);
                }
            }
            Use::Call(id) => self.call(id, o),
            Use::Raise { caller, file, site } => {
                if matches!(self.object(o), Obj::Class(..)) {
                    let dst = self.new_node();
                    self.instantiate(o, file, site, caller, dst, &[], true);
                }
            }
            Use::Enter { dst, caller } => match self.object(o) {
                Obj::Instance { .. } => {
                    for method in ["__enter__", "__exit__"] {
                        let attr = self.name(method);
                        let callee = self.new_node();
                        let result = if method == "__enter__" {
                            dst
                        } else {
                            self.new_node()
                        };
                        self.lookup(o, attr, callee, caller);
                        self.add_call(
                            callee,
                            CallSite {
                                caller,
                                dst: result,
                                args: Vec::new(),
                                site: u32::MAX,
                                implicit: true,
                                ctor: false,
                                origin: u32::MAX,
                            },
                        );
                    }
                }
                _ => self.add(dst, o),
            },
            Use::Super { dst, class } => {
                let s = self.obj(Obj::Super { class, recv: o });
                self.add(dst, s);
            }
            Use::DynLoad { dst, index } => {
                for i in self.pts[index as usize].clone() {
                    self.index_load(o, i, dst);
                }
            }
            Use::DynIndex { dst, base } => {
                for c in self.pts[base as usize].clone() {
                    self.index_load(c, o, dst);
                }
            }
            Use::Slice { dst, start } => {
                // A slice of a slice (`xs = xs[1:]` in a loop) is a view of the same base at a
                // position no longer known: views never nest, so there are finitely many.
                let view = match self.object(o).clone() {
                    Obj::Slice { base, .. } => Some(Obj::Slice {
                        base,
                        start: UNKNOWN_START,
                    }),
                    _ if self.is_container(o) => Some(Obj::Slice { base: o, start }),
                    _ => None,
                };
                if let Some(view) = view {
                    let s = self.obj(view);
                    self.add(dst, s);
                }
            }
        }
    }

    /// `dst ⊇ container[index]` for one container and one index object.
    fn index_load(&mut self, container: ObjId, index: ObjId, dst: NodeId) {
        if !self.is_container(container) {
            return;
        }
        let key = match self.object(index).clone() {
            Obj::Int(i) if i >= 0 => Some(format!("#{i}")),
            Obj::Str(s) => Some(format!("'{s}'")),
            _ => None,
        };
        match key {
            Some(k) => {
                let k = self.name(&k);
                self.apply(Use::KeyLoad { dst, key: k }, container);
            }
            None => self.apply(Use::ElemLoad { dst }, container),
        }
    }

    fn is_container(&self, o: ObjId) -> bool {
        matches!(
            self.object(o),
            Obj::Container { .. }
                | Obj::VarArgs(_)
                | Obj::VarKeywords(_)
                | Obj::Generator(_)
                | Obj::Slice { .. }
        )
    }

    /// The field of a container where a key or position lives: a slice's positions are its
    /// base's, shifted.
    fn key_field(&mut self, o: ObjId, key: u32) -> NodeId {
        if let Obj::Slice { base, start } = self.object(o).clone() {
            if start == UNKNOWN_START {
                // Any position: the elements stored at unknown positions, and every value.
                return self.elem_fields(base).1;
            }
            let k = self.names[key as usize].clone();
            let shifted = k
                .strip_prefix('#')
                .and_then(|i| i.parse::<u64>().ok())
                .map(|i| format!("#{}", i + u64::from(start)));
            let key = match shifted {
                Some(s) => self.name(&s),
                None => key,
            };
            return self.key_field(base, key);
        }
        self.field(o, key)
    }

    /// The element fields of a container (a slice's are its base's).
    fn elem_fields(&mut self, o: ObjId) -> (NodeId, NodeId) {
        if let Obj::Slice { base, .. } = self.object(o).clone() {
            return self.elem_fields(base);
        }
        (self.field(o, self.elem), self.field(o, self.values))
    }

    fn load(&mut self, o: ObjId, attr: u32, dst: NodeId, caller: ScopeRef) {
        match self.object(o).clone() {
            Obj::Module(f) => {
                let sub = match self.submodules.get(&(f, attr)) {
                    Some(&sub) => sub,
                    None => {
                        let name = format!(
                            "{}.{}",
                            self.module_names[f.0 as usize], self.names[attr as usize]
                        );
                        let sub = self.modules.get(&name).copied();
                        self.submodules.insert((f, attr), sub);
                        sub
                    }
                };
                if let Some(sf) = sub {
                    let so = self.obj(Obj::Module(sf));
                    self.add(dst, so);
                }
                let n = self.field(o, attr);
                self.edge(n, dst, Filter::All);
            }
            Obj::Instance { .. } => {
                let n = self.field(o, attr);
                self.edge(n, dst, Filter::All);
                self.lookup(o, attr, dst, caller);
            }
            Obj::Class(..) | Obj::Super { .. } => self.lookup(o, attr, dst, caller),
            Obj::External(name) => {
                let reads = self.ext_reads.get(&o).copied().unwrap_or(0);
                if reads > 0
                    && let Some(n) = self.ext_attr(&name, attr)
                {
                    let e = self.external(n, reads - 1);
                    self.add(dst, e);
                }
            }
            Obj::ExtInstance { name, .. } => {
                if let Some(n) = self.ext_attr(&name, attr) {
                    let f = self.obj(Obj::External(n));
                    let b = self.obj(Obj::Bound { recv: o, func: f });
                    self.add(dst, b);
                }
            }
            Obj::Container { .. }
            | Obj::VarArgs(_)
            | Obj::VarKeywords(_)
            | Obj::Generator(_)
            | Obj::Slice { .. }
            | Obj::Str(_) => {
                // Methods of builtin types, named as PyCG names them; a container's are
                // also followed by name when called (`append` stores, `pop` reads).
                let ty = match self.object(o) {
                    Obj::Str(_) => "<**PyStr**>",
                    Obj::Container {
                        kind: ContainerKind::Dict,
                        ..
                    }
                    | Obj::VarKeywords(_) => "<**PyDict**>",
                    Obj::Container {
                        kind: ContainerKind::Set,
                        ..
                    } => "<**PySet**>",
                    Obj::Container {
                        kind: ContainerKind::Tuple,
                        ..
                    }
                    | Obj::VarArgs(_) => "<**PyTuple**>",
                    Obj::Generator(_) => "<**PyGenerator**>",
                    _ => "<**PyList**>",
                };
                let f = self.obj(Obj::External(
                    format!("{ty}.{}", self.names[attr as usize]).into(),
                ));
                let b = self.obj(Obj::Bound { recv: o, func: f });
                self.add(dst, b);
            }
            Obj::Int(_) => {}
            Obj::Function(..) | Obj::Bound { .. } => {
                // Function attributes (`f.__name__`), string methods: nothing followed.
            }
        }
    }

    /// What calling library name `name` at `site` makes. Objects of the classes the
    /// knowledge base knows (threads, pools, processes, events, locks) are told apart by the
    /// call that made them, so a join can be matched to its thread; any other library
    /// object is one per name (there are as many call sites as lines of code).
    fn ext_instance(&mut self, name: Arc<str>, file: FileId, site: u32) -> ObjId {
        let (file, site) = if self.tracked.contains(&*name) {
            (file, site)
        } else {
            (FileId(u32::MAX), u32::MAX)
        };
        self.obj(Obj::ExtInstance { name, file, site })
    }

    /// `name.attr` for a library name, or `None` past what is worth naming: a chain longer
    /// than [`MAX_EXTERNAL_PARTS`] names, or one that repeats its last name. Names grow with
    /// each attribute read, and a loop (`node = node.parent`) would grow them forever.
    fn ext_attr(&self, name: &str, attr: u32) -> Option<Arc<str>> {
        let attr = &*self.names[attr as usize];
        if name.split('.').any(|part| part == attr)
            || name.bytes().filter(|&b| b == b'.').count() + 1 >= MAX_EXTERNAL_PARTS
        {
            return None;
        }
        Some(format!("{name}.{attr}").into())
    }

    fn call_edge(&mut self, caller: ScopeRef, callee: ObjId) {
        self.call_edges.insert((caller, callee));
    }

    fn call(&mut self, id: u32, o: ObjId) {
        if !self.handled.insert((id, o)) {
            return;
        }
        let call = self.calls[id as usize].clone();
        match self.object(o).clone() {
            Obj::Function(file, scope) => {
                self.call_edge(call.caller, o);
                self.bind_params(o, None, &call.args);
                self.result(file, scope, o, call.dst);
            }
            Obj::Bound { recv, func } => match self.object(func).clone() {
                Obj::Function(file, scope) => {
                    self.call_edge(call.caller, func);
                    self.bind_params(func, Some(recv), &call.args);
                    self.result(file, scope, func, call.dst);
                }
                Obj::External(name) => {
                    if self.is_container(recv) {
                        self.container_method(recv, &name, &call);
                    }
                    if !call.implicit || call.ctor {
                        self.call_edge(call.caller, func);
                        // What a library method returns is followed only where the
                        // knowledge base says (`submit` returns a `Future`): following every
                        // result's attributes would name chains without end.
                        if let Some(ty) = self.returns.get(&*name).cloned() {
                            let r = self.ext_instance(ty, call.caller.0, call.site);
                            self.add(call.dst, r);
                        }
                    }
                }
                _ => {}
            },
            Obj::Class(file, _) => {
                let _ = file;
                let (cfile, _) = (call.caller.0, ());
                self.instantiate(
                    o,
                    cfile,
                    call.site,
                    call.caller,
                    call.dst,
                    &call.args,
                    call.implicit,
                );
            }
            Obj::External(name) => {
                if call.implicit {
                    return;
                }
                self.call_edge(call.caller, o);
                let short = name.strip_prefix("<builtin>.").unwrap_or("");
                let reduce = &*name == "functools.reduce";
                if CALLS_ITS_ARGUMENTS.contains(&short) || reduce {
                    // The builtin calls each function passed to it; its result holds what
                    // they return.
                    let result = self.obj(Obj::Container {
                        file: call.caller.0,
                        site: call.site,
                        kind: ContainerKind::List,
                    });
                    self.add(call.dst, result);
                    let elems = self.field(result, self.elem);
                    for a in &call.args {
                        if let ArgNode::Pos(Some(n)) | ArgNode::Kw(_, n) = *a {
                            self.add_call(
                                n,
                                CallSite {
                                    caller: call.caller,
                                    dst: elems,
                                    args: Vec::new(),
                                    site: call.site,
                                    implicit: true,
                                    ctor: false,
                                    origin: u32::MAX,
                                },
                            );
                        }
                    }
                    return;
                }
                // A library call makes an object the flow follows when it is a class the
                // knowledge base knows, or is named as a class is (`ext.Cls()`); what a
                // library function returns (`os.getcwd()`, `int(x)`) is not followed.
                let short = name.rsplit('.').next().unwrap_or("");
                if self.tracked.contains(&*name)
                    || short.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    let r = self.ext_instance(name, call.caller.0, call.site);
                    self.add(call.dst, r);
                }
            }
            Obj::Instance { .. } => {
                // `obj()` runs `__call__`.
                if !self.call_expansions.insert((call.origin, o)) {
                    return;
                }
                let attr = self.name("__call__");
                let callee = self.new_node();
                self.lookup(o, attr, callee, call.caller);
                let mut c = call.clone();
                c.implicit = true;
                self.add_call(callee, c);
            }
            _ => {}
        }
    }

    /// A call of a project class: a new instance, and its `__init__` run on it.
    #[allow(clippy::too_many_arguments)]
    fn instantiate(
        &mut self,
        class: ObjId,
        file: FileId,
        site: u32,
        caller: ScopeRef,
        dst: NodeId,
        args: &[ArgNode],
        _implicit: bool,
    ) {
        // Instances of a class that derives from a library class the knowledge base knows
        // (a `Thread` subclass) are told apart by the call that made them, so a join can be
        // matched to its thread; other classes have one instance each, as in PyCG: one per
        // call site would multiply the objects (`self` of a base class in a test suite
        // would hold every test's instance) for no rule's benefit.
        // (A library class may be in the project itself: the standard library's own
        // `threading.Thread` is a project class when the standard library is analysed.)
        let tracked = self
            .mro(class)
            .iter()
            .any(|&c| match self.object(c).clone() {
                Obj::External(name) => self.tracked.contains(&*name),
                Obj::Class(f, scope) => self.tracked.contains(self.scope_name(f, scope).as_str()),
                _ => false,
            });
        let (file, site) = if tracked {
            (file, site)
        } else {
            (FileId(u32::MAX), u32::MAX)
        };
        let inst = self.obj(Obj::Instance { class, file, site });
        self.add(dst, inst);
        let attr = self.name("__init__");
        let init = self.new_node();
        self.lookup(inst, attr, init, caller);
        let ignored = self.new_node();
        // Only a project `__init__` counts as a call made here.
        self.add_call(
            init,
            CallSite {
                caller,
                dst: ignored,
                args: args.to_vec(),
                site,
                implicit: true,
                ctor: true,
                origin: u32::MAX,
            },
        );
    }

    /// What a call of project function `func` gives `dst`.
    fn result(&mut self, file: FileId, scope: ScopeId, func: ObjId, dst: NodeId) {
        if self.scope_info(file, scope).generator {
            let g = self.obj(Obj::Generator(func));
            self.add(dst, g);
            let r = self.ret((file, scope));
            let e = self.field(g, self.elem);
            self.edge(r, e, Filter::All);
        } else {
            let r = self.ret((file, scope));
            self.edge(r, dst, Filter::All);
        }
    }

    /// `list.append(x)` and friends: where the argument goes, or what comes out.
    fn container_method(&mut self, recv: ObjId, name: &str, call: &CallSite) {
        let method = name.rsplit('.').next().unwrap_or("");
        let first = call.args.iter().find_map(|a| match a {
            ArgNode::Pos(Some(n)) => Some(*n),
            _ => None,
        });
        let second = call
            .args
            .iter()
            .filter_map(|a| match a {
                ArgNode::Pos(Some(n)) => Some(*n),
                _ => None,
            })
            .nth(1);
        let (elem, values) = self.elem_fields(recv);
        match method {
            "append" | "add" | "appendleft" | "put" | "put_nowait" => {
                if let Some(a) = first {
                    self.edge(a, elem, Filter::All);
                }
            }
            "insert" | "setdefault" => {
                if let Some(a) = second {
                    self.edge(a, elem, Filter::All);
                }
                if method == "setdefault" {
                    self.edge(elem, call.dst, Filter::All);
                    self.edge(values, call.dst, Filter::All);
                }
            }
            "extend" | "update" => {
                if let Some(a) = first {
                    self.add_use(a, Use::ElemLoad { dst: elem });
                }
            }
            "pop" | "popleft" | "get" | "popitem" | "copy" | "values" | "items" | "keys"
            | "get_nowait" => {
                if matches!(method, "copy" | "values" | "items" | "keys") {
                    // A view or copy: iterating it gives the elements.
                    self.add(call.dst, recv);
                } else {
                    self.edge(elem, call.dst, Filter::All);
                    self.edge(values, call.dst, Filter::All);
                }
            }
            _ => {}
        }
    }

    /// Arguments into parameters (`recv` first, for a bound method).
    fn bind_params(&mut self, func: ObjId, recv: Option<ObjId>, args: &[ArgNode]) {
        let Obj::Function(file, scope) = self.object(func).clone() else {
            return;
        };
        let params = self.scope_info(file, scope).params.clone();
        let node = |pt: &mut Self, name: u32| pt.local(file, scope, name);
        let positional: Vec<u32> = params
            .iter()
            .filter(|(_, k)| matches!(k, ParamKind::PositionalOnly | ParamKind::Positional))
            .map(|(n, _)| *n)
            .collect();
        let varargs = params
            .iter()
            .find(|(_, k)| *k == ParamKind::VarArgs)
            .map(|p| p.0);
        let varkw = params
            .iter()
            .find(|(_, k)| *k == ParamKind::VarKeywords)
            .map(|p| p.0);
        let mut index = 0usize;
        if let Some(recv) = recv {
            if let Some(&p) = positional.first() {
                let n = node(self, p);
                self.add(n, recv);
            }
            index = 1;
        }
        for a in args {
            match *a {
                ArgNode::Pos(v) => {
                    if let Some(v) = v {
                        if let Some(&p) = positional.get(index) {
                            let n = node(self, p);
                            self.edge(v, n, Filter::All);
                        } else if varargs.is_some() {
                            let packed = self.obj(Obj::VarArgs(func));
                            let e = self.field(packed, self.elem);
                            self.edge(v, e, Filter::All);
                        }
                    }
                    index += 1;
                }
                ArgNode::Kw(name, v) => {
                    if let Some(&(p, _)) = params.iter().find(|(n, k)| {
                        *n == name && matches!(k, ParamKind::Positional | ParamKind::KeywordOnly)
                    }) {
                        let n = node(self, p);
                        self.edge(v, n, Filter::All);
                    } else if varkw.is_some() {
                        let packed = self.obj(Obj::VarKeywords(func));
                        let f = self.field(packed, name);
                        let vals = self.field(packed, self.values);
                        self.edge(v, f, Filter::All);
                        self.edge(v, vals, Filter::All);
                    }
                }
                ArgNode::Star(v) | ArgNode::StarStar(v) => {
                    // Unknown positions: every remaining parameter may get an element.
                    let elems = self.new_node();
                    self.add_use(v, Use::ElemLoad { dst: elems });
                    let targets: Vec<u32> = match a {
                        ArgNode::Star(_) => positional.iter().skip(index).copied().collect(),
                        _ => params
                            .iter()
                            .filter(|(_, k)| {
                                matches!(k, ParamKind::Positional | ParamKind::KeywordOnly)
                            })
                            .map(|p| p.0)
                            .collect(),
                    };
                    for p in targets {
                        let n = node(self, p);
                        self.edge(elems, n, Filter::All);
                    }
                }
            }
        }
    }

    fn print_stats(&self, steps: u64) {
        let mut kinds: HashMap<&'static str, usize> = HashMap::default();
        for o in &self.objs {
            let k = match o {
                Obj::Module(_) => "module",
                Obj::Function(..) => "function",
                Obj::Class(..) => "class",
                Obj::Instance { .. } => "instance",
                Obj::External(_) => "external",
                Obj::ExtInstance { .. } => "ext-instance",
                Obj::Bound { .. } => "bound",
                Obj::Container { .. } => "container",
                Obj::VarArgs(_) | Obj::VarKeywords(_) => "packed",
                Obj::Generator(_) => "generator",
                Obj::Str(_) => "str",
                Obj::Int(_) => "int",
                Obj::Slice { .. } => "slice",
                Obj::Super { .. } => "super",
            };
            *kinds.entry(k).or_default() += 1;
        }
        if std::env::var_os("FORKLINT_POINTS_TO_NAMES").is_some() {
            for o in self.objs.iter().step_by(97) {
                if let Obj::External(n) = o {
                    eprintln!("  external {n} {:?}", self.ext_reads.get(&self.obj_ids[o]));
                }
            }
        }
        let pts: usize = self.pts.iter().map(Vec::len).sum();
        let biggest = self.pts.iter().map(Vec::len).max().unwrap_or(0);
        eprintln!(
            "points-to: {steps} steps, {} nodes, {} edges, {pts} facts (largest {biggest}), {} calls, objects {kinds:?}",
            self.pts.len(),
            self.edges.len(),
            self.calls.len()
        );
    }

    // ---- queries ----

    /// Every method called anywhere on an object: (the method's name — a library name, or a
    /// project function's dotted name — and the object it is called on). `for t in ts:
    /// t.join()` gives `threading.Thread.join` on each thread put in `ts`.
    pub fn method_calls(&self) -> Vec<(String, ObjId)> {
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        for sites in self.by_range.values() {
            for s in sites.iter().filter(|s| !s.direct) {
                for &o in &self.pts[s.callee as usize] {
                    if let Obj::Bound { recv, func } = self.object(o)
                        && seen.insert((*func, *recv))
                    {
                        let name = match self.object(*func) {
                            Obj::External(n) => n.to_string(),
                            Obj::Function(f, scope) => self.scope_name(*f, *scope),
                            _ => continue,
                        };
                        out.push((name, *recv));
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Whether `o` stands for the objects made at one call (so a wait on it is a wait on
    /// them), not for every object of its class or name.
    pub fn is_one_site(&self, o: ObjId) -> bool {
        match self.object(o) {
            Obj::Instance { site, .. } | Obj::ExtInstance { site, .. } => *site != u32::MAX,
            _ => false,
        }
    }

    /// The objects a method called at `range` of `file` is bound to (`t` in `t.join()`, each
    /// thread of `for t in ts: t.join()`), or the manager of a `with` item there.
    pub fn receivers(&self, file: FileId, range: TextRange) -> Vec<ObjId> {
        let mut out = Vec::new();
        for s in self.by_range.get(&(file, range)).into_iter().flatten() {
            for &o in &self.pts[s.callee as usize] {
                match self.object(o) {
                    _ if s.direct => out.push(o),
                    Obj::Bound { recv, .. } => out.push(*recv),
                    _ => {}
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The objects a call at `range` of `file` returns (the thread `threading.Thread(...)`
    /// makes).
    pub fn results(&self, file: FileId, range: TextRange) -> Vec<ObjId> {
        let mut out: Vec<ObjId> = self
            .by_range
            .get(&(file, range))
            .into_iter()
            .flatten()
            .filter(|s| !s.direct)
            .flat_map(|s| self.pts[s.result as usize].iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The resolved call graph: for every project function (and module body), the names of
    /// what it calls, in PyCG's naming: `module.qualname` for project functions, the
    /// `__init__` a constructor call runs, `<builtin>.name` for builtins, the dotted name of
    /// a library function.
    pub fn call_graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // Every function is a node, called or not.
        for (&file, scopes) in &self.scopes {
            for (i, s) in scopes.iter().enumerate() {
                if s.kind != ScopeKind::Class {
                    out.entry(self.scope_name(file, i as ScopeId)).or_default();
                }
            }
        }
        for &((file, scope), callee) in &self.call_edges {
            let caller = self.scope_name(file, scope);
            let name = match self.object(callee) {
                Obj::Function(f, s) => self.scope_name(*f, *s),
                Obj::External(n) => n.to_string(),
                _ => continue,
            };
            out.entry(caller).or_default().insert(name);
        }
        out
    }

    fn scope_name(&self, file: FileId, scope: ScopeId) -> String {
        let module = &self.module_names[file.0 as usize];
        let q = &self.scope_info(file, scope).qualname;
        if q.is_empty() {
            module.clone()
        } else {
            format!("{module}.{q}")
        }
    }
}

/// The names a op reads as free variables (to seed builtins).
fn free_vars(op: &Op) -> impl Iterator<Item = NameId> {
    let vars: Vec<Var> = match op {
        Op::Copy { src, .. } => vec![*src],
        Op::Load { base, .. } | Op::ElemLoad { base, .. } | Op::IndexLoad { base, .. } => {
            vec![*base]
        }
        Op::KeyLoad { base, .. } => vec![*base],
        Op::Call { callee, args, .. } => {
            let mut v = vec![*callee];
            for a in args.iter() {
                match a {
                    Arg::Pos(Some(x)) | Arg::Star(x) | Arg::Kw(_, x) | Arg::StarStar(x) => {
                        v.push(*x)
                    }
                    Arg::Pos(None) => {}
                }
            }
            v
        }
        Op::Raise { src } => vec![*src],
        _ => Vec::new(),
    };
    vars.into_iter().filter_map(|v| match v {
        Var::Free(n) => Some(n),
        _ => None,
    })
}

/// Python's builtin names (3.12), the ones a call graph can meet.
fn is_builtin(name: &str) -> bool {
    BUILTINS.binary_search(&name).is_ok()
}

const BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "__import__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::flow::lower;

    /// Solves `files` (module name, source) and returns the call graph.
    fn graph(files: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
        let flows: Vec<(String, ModuleFlow)> = files
            .iter()
            .map(|(name, src)| {
                let parsed = ruff_python_parser::parse_module(src).expect("valid test source");
                (name.to_string(), lower(&parsed.syntax().body, name, false))
            })
            .collect();
        let modules: Vec<FlowModule<'_>> = flows
            .iter()
            .enumerate()
            .map(|(i, (name, flow))| FlowModule {
                file: FileId(i as u32),
                module: name,
                flow,
            })
            .collect();
        PointsTo::solve(&modules, &Library::default()).call_graph()
    }

    fn callees<'g>(g: &'g BTreeMap<String, BTreeSet<String>>, f: &str) -> Vec<&'g str> {
        g.get(f)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_module_without_flow_is_skipped() {
        // A file with a syntax error, or a native source, has an empty flow.
        let empty = ModuleFlow::default();
        let modules = [FlowModule {
            file: FileId(0),
            module: "broken",
            flow: &empty,
        }];
        assert!(
            PointsTo::solve(&modules, &Library::default())
                .call_graph()
                .is_empty()
        );
    }

    #[test]
    fn builtins_are_sorted_for_binary_search() {
        assert!(BUILTINS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_function_passed_as_an_argument_is_called_through_the_parameter() {
        let g = graph(&[(
            "main",
            "def run(cb):\n    cb()\ndef work(): pass\ndef other(): pass\nrun(work)\nother\n",
        )]);
        assert_eq!(callees(&g, "main.run"), ["main.work"]);
    }

    #[test]
    fn an_attribute_set_in_init_is_read_in_another_method() {
        let g = graph(&[(
            "main",
            "import threading\nclass S:\n    def __init__(self):\n        self._t = threading.Thread()\n    def stop(self):\n        self._t.join()\nS().stop()\n",
        )]);
        assert_eq!(callees(&g, "main.S.stop"), ["threading.Thread.join"]);
        assert_eq!(callees(&g, "main"), ["main.S.__init__", "main.S.stop"]);
    }

    #[test]
    fn objects_flow_through_containers_returns_and_conditionals() {
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\ndef pick(c):\n    return a if c else b\nfs = []\nfs.append(pick(1))\nfor f in fs:\n    f()\n",
        )]);
        // `fs.append` is a call too, of a builtin type's method.
        assert_eq!(
            callees(&g, "main"),
            ["<**PyList**>.append", "main.a", "main.b", "main.pick"]
        );
    }

    #[test]
    fn a_name_holds_its_last_value_in_straight_code_and_every_branch_value_after_an_if() {
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\ndef c(): pass\nf = a\nf = b\nf()\nif x:\n    g = a\nelse:\n    g = c\ng()\n",
        )]);
        assert_eq!(callees(&g, "main"), ["main.a", "main.b", "main.c"]);
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\ndef run():\n    f = a\n    f()\n    f = b\n",
        )]);
        assert_eq!(callees(&g, "main.run"), ["main.a"]);
    }

    #[test]
    fn a_loop_or_a_global_declaration_keeps_every_value() {
        // The second iteration calls what the first assigned.
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\nf = a\nfor i in range(2):\n    f()\n    f = b\n",
        )]);
        assert_eq!(callees(&g, "main"), ["<builtin>.range", "main.a", "main.b"]);
        // `set_f()` assigns the module's `f`: the call after it may run either.
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\nf = a\ndef set_f():\n    global f\n    f = b\nset_f()\nf()\n",
        )]);
        assert_eq!(callees(&g, "main"), ["main.a", "main.b", "main.set_f"]);
    }

    #[test]
    fn positions_keys_slices_and_integer_variables_select_elements() {
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\ndef c(): pass\nxs = [a, b, c]\nxs[1:][0]()\ni = 2\nxs[i]()\nd = {1: a, '1': b}\nd[1]()\n",
        )]);
        assert_eq!(callees(&g, "main"), ["main.a", "main.b", "main.c"]);
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\nxs = [a, b]\nxs[0]()\n",
        )]);
        assert_eq!(callees(&g, "main"), ["main.a"]);
        // An index nothing is known of: any element.
        let g = graph(&[(
            "main",
            "def a(): pass\ndef b(): pass\nxs = [a, b]\nxs[int(input())]()\n",
        )]);
        assert_eq!(
            callees(&g, "main"),
            ["<builtin>.input", "<builtin>.int", "main.a", "main.b"]
        );
    }

    #[test]
    fn imports_resolve_to_the_other_modules_functions_and_unknown_modules_by_name() {
        let g = graph(&[
            (
                "main",
                "from pkg.util import start\nimport os\nstart()\nos.fork()\n",
            ),
            ("pkg.util", "def start(): pass\n"),
        ]);
        assert_eq!(callees(&g, "main"), ["os.fork", "pkg.util.start"]);
    }

    #[test]
    fn methods_are_found_through_base_classes_and_super() {
        let g = graph(&[(
            "main",
            "class A:\n    def __init__(self): pass\n    def run(self): pass\nclass B(A):\n    def __init__(self):\n        super().__init__()\nB().run()\n",
        )]);
        assert_eq!(callees(&g, "main"), ["main.A.run", "main.B.__init__"]);
        assert_eq!(
            callees(&g, "main.B.__init__"),
            ["<builtin>.super", "main.A.__init__"]
        );
    }

    #[test]
    fn a_decorator_runs_on_the_function_and_its_result_is_what_the_name_holds() {
        let g = graph(&[(
            "main",
            "def wrap(f):\n    def inner():\n        f()\n    return inner\n@wrap\ndef job(): pass\njob()\n",
        )]);
        assert_eq!(callees(&g, "main"), ["main.wrap", "main.wrap.inner"]);
        assert_eq!(callees(&g, "main.wrap.inner"), ["main.job"]);
    }

    #[test]
    fn a_property_read_runs_its_getter() {
        let g = graph(&[(
            "main",
            "def make(): pass\nclass C:\n    @property\n    def sender(self):\n        return make()\nC().sender\n",
        )]);
        assert_eq!(callees(&g, "main"), ["main.C.sender"]);
        assert_eq!(callees(&g, "main.C.sender"), ["main.make"]);
    }
}
