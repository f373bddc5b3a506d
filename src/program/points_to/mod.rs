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

use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

mod builtins;
mod constraints;
mod lists;
mod queries;
mod solve;
#[cfg(test)]
mod tests;

use ruff_text_size::TextRange;

use crate::diagnostic::FileId;
use crate::settings::StartMethod;
use crate::summary::flow::{
    Arg, Binding, ContainerKind, ModuleFlow, NameId, Op, ParamKind, ScopeId, ScopeKind, Var,
};
use lists::Lists;

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
    /// A string literal, by value where something can tell it apart from other strings (a
    /// key some container is indexed with, a start method's name), else `None`: one object
    /// for every other string, which may still have `str` methods called on it. Told apart,
    /// each of the tens of thousands of literals of a large project is followed separately
    /// through every variable it reaches, for nothing.
    Str(Option<Arc<str>>),
    Int(i64),
    /// `xs[start:]`: reads `xs`'s elements with positions shifted by `start`.
    Slice {
        base: ObjId,
        start: u32,
    },
    /// What a library class's own code keeps in attribute `attr` of `recv`, an instance of
    /// a project class derived from it (`self._threads` of a `ThreadPoolExecutor`
    /// subclass, set by the library's `__init__`). Its value is not known, but it is the
    /// same value wherever the project reads it, and it is followed as a container: such
    /// attributes hold the library's sets, lists, deques and queues, and what the project
    /// puts in one (`self._threads.add(t)`) is what it reads back (`for t in self._threads`).
    LibData {
        recv: ObjId,
        attr: u32,
    },
    /// A weak reference made at a call site (`weakref.ref(x)`, `weakref.WeakMethod(m)`):
    /// its element is the referent, which calling it returns.
    Ref {
        file: FileId,
        site: u32,
    },
    /// `d.items()` of container `d`: its elements are [`Obj::Pair`]s of `d`.
    Items(ObjId),
    /// `d.values()` of container `d`: its elements are `d`'s values, not its keys.
    Values(ObjId),
    /// A `(key, value)` pair of container `d`, as `d.items()` and `d.popitem()` give them:
    /// `pair[0]` is a key of `d`, `pair[1]` a value.
    Pair(ObjId),
    /// `super()` in a method of `class`, called on `recv`.
    Super {
        class: ObjId,
        recv: ObjId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjId(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FilterId(u32);

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
    /// Shared: a call is handled once per callee object, each time with its arguments.
    args: Arc<[ArgNode]>,
    site: u32,
    /// Made by a statement, not written: only project functions count as called.
    implicit: bool,
    /// A constructor's `__init__`: a library base class's counts too.
    ctor: bool,
    /// Made for a library call that will call its target later, elsewhere (on a thread, at
    /// exit): arguments reach the target's parameters, but the caller does not call it.
    deferred: bool,
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
    /// `src` holds a key of the container (see [`Op::DictKey`]).
    DictKey {
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
    /// Functions and methods that call an argument of theirs with others of their
    /// arguments (`threading.Thread`, `atexit.register`, `Executor.submit`).
    pub callbacks: Vec<(&'k str, Callback)>,
}

/// Where a library call's target and the arguments it calls it with are.
#[derive(Clone, Debug, Default)]
pub struct Callback {
    pub target: ArgAt,
    /// A tuple of positional arguments (`args=`).
    pub args: Option<ArgAt>,
    /// A dict of keyword arguments (`kwargs=`).
    pub kwargs: Option<ArgAt>,
    /// The call's own arguments after the target are passed on.
    pub rest: bool,
}

impl Callback {
    /// The knowledge base's entry for such a call.
    pub fn of(api: &crate::knowledge::Api) -> Callback {
        let at = |spec: &crate::knowledge::ArgSpec| ArgAt {
            position: spec.position,
            keyword: spec.keyword.clone(),
        };
        Callback {
            target: api.target.as_ref().map(at).unwrap_or_default(),
            args: api.target_args.as_ref().map(at),
            kwargs: api.target_kwargs.as_ref().map(at),
            rest: api.target_rest,
        }
    }
}

/// An argument by position (not counting a method's receiver) or keyword.
#[derive(Clone, Debug, Default)]
pub struct ArgAt {
    pub position: Option<usize>,
    pub keyword: Option<String>,
}

/// [`Callback`] with keywords as names of the analysis.
#[derive(Clone, Copy, Debug)]
struct CallbackAt {
    target: ArgSlot,
    args: Option<ArgSlot>,
    kwargs: Option<ArgSlot>,
    rest: bool,
}

#[derive(Clone, Copy, Debug)]
struct ArgSlot {
    position: Option<usize>,
    keyword: Option<u32>,
}

impl ArgSlot {
    /// The argument's index in `args` and its node, if the call passes it. Positions after
    /// a `*xs` are not known.
    fn find(self, args: &[ArgNode]) -> Option<(usize, NodeId)> {
        let mut position = 0;
        for (i, a) in args.iter().enumerate() {
            match *a {
                ArgNode::Pos(v) => {
                    if Some(position) == self.position {
                        return v.map(|v| (i, v));
                    }
                    position += 1;
                }
                ArgNode::Kw(n, v) if Some(n) == self.keyword => return Some((i, v)),
                ArgNode::Star(_) => {
                    // Positions from here on are not known; a keyword may still follow.
                    return args[i..].iter().enumerate().find_map(|(j, a)| match *a {
                        ArgNode::Kw(n, v) if Some(n) == self.keyword => Some((i + j, v)),
                        _ => None,
                    });
                }
                _ => {}
            }
        }
        None
    }
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
    /// Per file: each of its flow's names as a name of the analysis, interned once rather
    /// than hashed at every use.
    name_maps: Vec<Vec<u32>>,
    /// The strings worth telling apart (see [`Obj::Str`]).
    distinct_strings: HashSet<Arc<str>>,
    /// Per node: the objects it may hold, in the order they arrived (at most
    /// [`MAX_OBJECTS_PER_VARIABLE`], so a scan is as quick as a search).
    pts: Lists<ObjId>,
    /// Per node: how many of its objects have been passed on; the rest are its news.
    done: Vec<u32>,
    succ: Lists<(NodeId, FilterId)>,
    /// The filters of copy edges, numbered (most edges pass everything: `FilterId(0)`).
    filters: Vec<Filter>,
    filter_ids: HashMap<Filter, FilterId>,
    uses: Lists<Use>,
    /// The successors of nodes with many of them, as a set, to keep adding an edge cheap
    /// (see [`PointsTo::edge`]).
    wide_succ: HashMap<NodeId, HashSet<(NodeId, FilterId)>>,
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
    mro_used: HashMap<ObjId, Arc<[ObjId]>>,
    /// Every call resolved: caller → callee objects (functions, classes' `__init__`,
    /// external names).
    call_edges: HashSet<(ScopeRef, ObjId)>,
    /// Calls of library functions and methods, with the library name: what a project
    /// function passed to one may be run by the library (a signal handler, a callback).
    library_calls: Vec<(u32, Arc<str>)>,
    /// Attribute reads of the module being added: the node read into → (attribute, base),
    /// and the results of its calls: node → call index. Cleared per module; what calls the
    /// reads is kept in `attr_calls`.
    module_loads: HashMap<NodeId, (u32, NodeId)>,
    module_results: HashMap<NodeId, u32>,
    /// Calls of an attribute read (`x.m(...)`): (caller, the callee node, the attribute,
    /// the call that made `x`, if one did). One whose callee holds nothing once solved (a
    /// receiver the flow cannot follow: a parameter nothing passes) may call any project
    /// method of that name ([`PointsTo::unresolved_method_calls`]); not when `x` is what a
    /// library call returned (`urlopen(...).close()`), which is the library's object.
    attr_calls: Vec<(ScopeRef, NodeId, u32, Option<u32>)>,
    /// Arguments that are attribute reads (`signal.signal(sig, self.on_exit)`): (call index,
    /// the argument's node, the attribute). One passed to a library call that holds nothing
    /// once solved may be any project method of that name
    /// ([`PointsTo::unresolved_passed_to_library`]).
    attr_args: Vec<(u32, NodeId, u32)>,
    /// [`PointsTo::method_calls`], computed on first use: several rules ask, per thread.
    method_calls: std::sync::OnceLock<Vec<(String, ObjId, ScopeRef)>>,
    /// The call sites each callee object was reached from.
    modules: HashMap<String, FileId>,
    module_names: Vec<String>,
    scopes: HashMap<FileId, Vec<ScopeInfo>>,
    /// Calls handled already: (call index, callee object).
    handled: HashSet<(u32, ObjId)>,
    elem: u32,
    values: u32,
    /// The field holding a container's keys that are objects (see [`Op::DictKey`]).
    keys: u32,
    /// The name `__init__`.
    init: u32,
    /// Where the results of constructors' `__init__` calls go: nothing reads them.
    discarded: NodeId,
    /// Library calls that call their target with their own arguments, by name.
    callbacks: HashMap<Arc<str>, CallbackAt>,
    /// Per class object: whether it is, or names, a library class the knowledge base tracks.
    tracked_classes: HashMap<ObjId, bool>,
    /// Loads with a variable index (container, index, result): one whose index holds no
    /// object once solved reads any element.
    dyn_loads: Vec<(NodeId, NodeId, NodeId)>,
    /// The calls and `with` items written in the project, for the rules' questions about
    /// the objects an effect acts on; sorted by file and source range once solved (see
    /// [`PointsTo::sites_at`]). A sorted list rather than a map: there are hundreds of
    /// thousands of sites, almost all asked about never or once.
    sites: Vec<SiteNodes>,
    /// Library functions and methods whose result is an object of a known library class
    /// (`concurrent.futures.ThreadPoolExecutor.submit` → `concurrent.futures.Future`).
    returns: HashMap<Arc<str>, Arc<str>>,
    /// How many more attribute reads extend each library name (see [`PointsTo::external`]).
    ext_reads: HashMap<ObjId, u8>,
    /// Library classes whose objects are told apart by allocation site.
    tracked: HashSet<Arc<str>>,
    /// Per node: it holds a class's base (a new object there can change method lookups).
    is_base: Vec<bool>,
    /// The classes each base node is a base of.
    base_of: HashMap<NodeId, Vec<ObjId>>,
    /// Bumped whenever a base gains a class.
    class_generation: u64,
    /// Per class: the generation at which its bases last grew. A cached resolution order
    /// computed before one of its classes' bases grew is computed again.
    bases_grown: HashMap<ObjId, u64>,
    mro_cache: HashMap<ObjId, (u64, Arc<[ObjId]>)>,
    /// The generation the replay of lookups last ran at.
    replayed_generation: u64,
    /// `module.attr` that is itself a project module, by module file and name.
    submodules: HashMap<(FileId, u32), Option<FileId>>,
    /// The names each module binds at its top level.
    top_names: HashMap<FileId, Vec<u32>>,
    /// Variables that reached [`MAX_OBJECTS_PER_VARIABLE`] objects and stopped growing.
    saturated: Vec<bool>,
    /// Uses attached to nodes that already held objects, still to apply.
    pending: Vec<(Use, ObjId)>,
    /// `obj()` on an instance runs its `__call__`: one expansion per written call and
    /// instance, however the `__call__` chain loops.
    call_expansions: HashSet<(u32, ObjId)>,
    /// Facts and edges added so far: the solver stops past `max_work` ([`MAX_WORK`]).
    work: u64,
    max_work: u64,
    /// The work at which the solver stopped, when it did (the solution is then empty).
    exhausted: Option<u64>,
}

/// The nodes of one call (or `with` item) at a source range.
#[derive(Clone, Copy, Debug)]
struct SiteNodes {
    file: FileId,
    range: TextRange,
    /// The scope the call is written in (for [`PointsTo::method_calls`]).
    scope: ScopeId,
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
    /// Shared: every call of the function binds them.
    params: Arc<[(u32, ParamKind)]>,
    binding: Binding,
    generator: bool,
    /// A class: the names its body binds.
    class_names: Vec<u32>,
}

/// The most objects one variable is followed with (see [`PointsTo::add`]). Real code's
/// variables hold a few objects; a variable past this is a hub of context-insensitive flow.
const MAX_OBJECTS_PER_VARIABLE: usize = 64;

/// The most facts and edges one solution may grow to. The standard library (2,000 modules)
/// needs about 9 million; a project whose flow grows past this (sympy: thousands of classes
/// whose objects reach every method) would take minutes and gigabytes, so the solver stops
/// and the project is analysed without the value flow, with a warning.
const MAX_WORK: u64 = 40_000_000;

/// One more than the most parts of a dotted library name followed: a method of a class in a
/// deep package (`google.cloud.logging_v2.handlers.transports.background_thread.
/// BackgroundThreadTransport.flush`, 8 parts) must be named for its knowledge entry to apply
/// to an object. Longer chains are attribute reads in loops, not names of an API. The
/// knowledge base's longest name is checked against this (`knowledge_names_fit`).
pub const MAX_EXTERNAL_PARTS: usize = 9;

/// The start of a slice of a slice: somewhere in its base.
const UNKNOWN_START: u32 = u32::MAX;

/// Library calls that make a new, empty or filled, container: the builtin types and their
/// `collections` and `weakref` variants (threads are kept in `set()`s and `WeakSet`s as
/// often as in displays).
const CONTAINER_TYPES: &[(&str, ContainerKind)] = &[
    ("<builtin>.list", ContainerKind::List),
    ("<builtin>.tuple", ContainerKind::Tuple),
    ("<builtin>.set", ContainerKind::Set),
    ("<builtin>.frozenset", ContainerKind::Set),
    ("<builtin>.dict", ContainerKind::Dict),
    ("collections.deque", ContainerKind::List),
    ("collections.OrderedDict", ContainerKind::Dict),
    ("collections.defaultdict", ContainerKind::Dict),
    ("weakref.WeakSet", ContainerKind::Set),
    ("weakref.WeakValueDictionary", ContainerKind::Dict),
    ("weakref.WeakKeyDictionary", ContainerKind::Dict),
];

/// Builtins that call the functions passed to them (a call graph counts those calls as the
/// caller's).
const CALLS_ITS_ARGUMENTS: &[&str] = &["map", "filter", "sorted", "min", "max", "reduce"];

impl PointsTo {
    /// Solves the flow of every module. `returns` maps library methods to the library class
    /// of what they return.
    pub fn solve(modules: &[FlowModule<'_>], library: &Library<'_>) -> PointsTo {
        Self::solve_within(modules, library, MAX_WORK)
    }

    /// [`PointsTo::solve`], giving up (an empty solution, [`PointsTo::exhausted`]) past
    /// `max_work` facts and edges.
    pub fn solve_within(
        modules: &[FlowModule<'_>],
        library: &Library<'_>,
        max_work: u64,
    ) -> PointsTo {
        let mut pt = PointsTo {
            objs: Vec::new(),
            obj_ids: HashMap::default(),
            names: Vec::new(),
            name_ids: HashMap::default(),
            name_maps: Vec::new(),
            distinct_strings: HashSet::default(),
            pts: Lists::new(ObjId(0)),
            done: Vec::new(),
            filters: vec![Filter::All],
            filter_ids: [(Filter::All, FilterId(0))].into_iter().collect(),
            succ: Lists::new((0, FilterId(0))),
            uses: Lists::new(Use::ElemLoad { dst: 0 }),
            wide_succ: HashMap::default(),
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
            library_calls: Vec::new(),
            module_loads: HashMap::default(),
            module_results: HashMap::default(),
            attr_calls: Vec::new(),
            attr_args: Vec::new(),
            method_calls: std::sync::OnceLock::new(),
            modules: HashMap::default(),
            module_names: Vec::new(),
            scopes: HashMap::default(),
            handled: HashSet::default(),
            elem: 0,
            values: 0,
            keys: 0,
            init: 0,
            discarded: 0,
            tracked_classes: HashMap::default(),
            callbacks: HashMap::default(),
            dyn_loads: Vec::new(),
            sites: Vec::new(),
            pending: Vec::new(),
            saturated: Vec::new(),
            top_names: HashMap::default(),
            is_base: Vec::new(),
            base_of: HashMap::default(),
            class_generation: 0,
            bases_grown: HashMap::default(),
            mro_cache: HashMap::default(),
            replayed_generation: u64::MAX,
            submodules: HashMap::default(),
            returns: HashMap::default(),
            tracked: HashSet::default(),
            ext_reads: HashMap::default(),
            call_expansions: HashSet::default(),
            work: 0,
            max_work,
            exhausted: None,
        };
        pt.returns = library
            .returns
            .iter()
            .map(|(f, ty)| (Arc::from(*f), Arc::from(*ty)))
            .collect();
        pt.tracked = library.classes.iter().map(|c| Arc::from(*c)).collect();
        for (name, cb) in &library.callbacks {
            let mut slot = |at: &ArgAt| ArgSlot {
                position: at.position,
                keyword: at.keyword.as_deref().map(|k| pt.name(k)),
            };
            let at = CallbackAt {
                target: slot(&cb.target),
                args: cb.args.as_ref().map(&mut slot),
                kwargs: cb.kwargs.as_ref().map(&mut slot),
                rest: cb.rest,
            };
            pt.callbacks.insert(Arc::from(*name), at);
        }
        pt.elem = pt.name("[]");
        pt.values = pt.name("{}");
        pt.keys = pt.name("{keys}");
        pt.init = pt.name("__init__");
        pt.discarded = pt.new_node();
        let max_file = modules
            .iter()
            .map(|m| m.file.0 as usize + 1)
            .max()
            .unwrap_or(0);
        pt.module_names = vec![String::new(); max_file];
        pt.temp_base = vec![0; max_file];
        pt.name_maps = vec![Vec::new(); max_file];
        for m in modules {
            pt.modules.insert(m.module.to_string(), m.file);
            pt.module_names[m.file.0 as usize] = m.module.to_string();
        }
        for m in modules {
            let map = m.flow.names.iter().map(|n| pt.name(n.as_str())).collect();
            pt.name_maps[m.file.0 as usize] = map;
            // A literal key (`d["x"]`, `{"x": v}`) is a name `'x'` of the flow: a string
            // with that value can select it.
            for n in &m.flow.names {
                if let Some(key) = n.strip_prefix('\'').and_then(|k| k.strip_suffix('\''))
                    && !pt.distinct_strings.contains(key)
                {
                    pt.distinct_strings.insert(Arc::from(key));
                }
            }
        }
        // A start method's name: a rule may ask which one a variable holds.
        for method in [
            StartMethod::Fork,
            StartMethod::Spawn,
            StartMethod::Forkserver,
        ] {
            pt.distinct_strings.insert(Arc::from(method.as_str()));
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
                        .map(|p| (pt.flow_name(m, p.name), p.kind))
                        .collect(),
                    binding: s.binding,
                    generator: s.generator,
                    class_names: {
                        let mut v: Vec<u32> =
                            s.class_names.iter().map(|&n| pt.flow_name(m, n)).collect();
                        v.sort_unstable();
                        v
                    },
                })
                .collect();
            pt.scopes.insert(m.file, infos);
            let top: Vec<u32> = m
                .flow
                .module_names
                .iter()
                .map(|&n| pt.flow_name(m, n))
                .collect();
            pt.top_names.insert(m.file, top);
        }
        for m in modules {
            pt.add_module(m);
        }
        pt.run();
        if pt.work > pt.max_work {
            // A partial solution would be wrong both ways (a join it did not reach yet is
            // "never called"): answer nothing instead, as for a project without flow.
            let work = pt.work;
            drop(pt);
            let mut empty = PointsTo::solve(&[], library);
            empty.exhausted = Some(work);
            return empty;
        }
        pt.sites
            .sort_by_key(|s| (s.file, s.range.start(), s.range.end()));
        pt
    }

    /// The calls and `with` items written at `range` of `file` (several when a call's
    /// `__call__` or a `with` item's manager is a call too).
    fn sites_at(&self, file: FileId, range: TextRange) -> &[SiteNodes] {
        let key = (file, range.start(), range.end());
        let from = self
            .sites
            .partition_point(|s| (s.file, s.range.start(), s.range.end()) < key);
        let len = self.sites[from..]
            .iter()
            .take_while(|s| s.file == file && s.range == range)
            .count();
        &self.sites[from..from + len]
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

    /// Name `n` of module `m`'s flow, as a name of the analysis.
    fn flow_name(&self, m: &FlowModule<'_>, n: NameId) -> u32 {
        self.name_maps[m.file.0 as usize][n as usize]
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
        self.pts.add_list();
        self.done.push(0);
        self.saturated.push(false);
        self.succ.add_list();
        self.uses.add_list();
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
                let name = self.flow_name(m, n);
                self.field(module, name)
            }
            Var::Local { scope, name } => {
                let name = self.flow_name(m, name);
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
        let set = &self.pts[n as usize];
        if !set.contains(&o) {
            if set.len() >= MAX_OBJECTS_PER_VARIABLE {
                // A variable that may hold this many objects (the parameter of a helper
                // every module calls) says nothing useful about any one of them, and
                // following them all is what makes the analysis of a large project blow up.
                // It stops growing and is marked, so that questions about it answer "not
                // known" rather than a wrong "no".
                self.saturate(n);
                return;
            }
            self.pts.push(n as usize, o);
            self.work += 1;
            // Only a class reaching a base can change a method resolution order.
            if self.is_base[n as usize]
                && matches!(self.objs[o.0 as usize], Obj::Class(..) | Obj::External(_))
            {
                self.bases_grew(n);
            }
            if !self.queued[n as usize] {
                self.queued[n as usize] = true;
                self.worklist.push(n);
            }
        }
    }

    /// The number of a filter (most edges pass everything, and skip the hashing).
    fn filter_id(&mut self, filter: Filter) -> FilterId {
        if filter == Filter::All {
            return FilterId(0);
        }
        let next = FilterId(self.filters.len() as u32);
        let id = *self.filter_ids.entry(filter).or_insert(next);
        if id == next {
            self.filters.push(filter);
        }
        id
    }

    /// Base node `n` gained a class: the classes it is a base of have new bases.
    fn bases_grew(&mut self, n: NodeId) {
        self.class_generation += 1;
        for &class in self.base_of.get(&n).into_iter().flatten() {
            self.bases_grown.insert(class, self.class_generation);
        }
    }

    fn edge(&mut self, from: NodeId, to: NodeId, filter: Filter) {
        if from == to && filter == Filter::All {
            return;
        }
        if self.saturated[from as usize] {
            self.saturate(to);
        }
        let filter_id = self.filter_id(filter);
        // The same edge is asked for again and again (each object a load reads through
        // adds its field's edge). Most nodes have a few successors, checked in place; a
        // node past `WIDE` keeps a set beside them.
        const WIDE: usize = 16;
        let succ = &self.succ[from as usize];
        if succ.len() < WIDE {
            if succ.contains(&(to, filter_id)) {
                return;
            }
        } else {
            let set = self
                .wide_succ
                .entry(from)
                .or_insert_with(|| succ.iter().copied().collect());
            if !set.insert((to, filter_id)) {
                return;
            }
        }
        self.succ.push(from as usize, (to, filter_id));
        self.work += 1;
        // The objects `from` has passed on already; its news will pass along this edge with
        // the rest of its edges.
        let mut i = 0;
        while i < self.done[from as usize] as usize {
            let o = self.pts[from as usize][i];
            self.pass(to, o, filter);
            i += 1;
        }
    }

    /// Marks `n` as holding only some of its objects, and with it every variable that takes
    /// objects from it: a copy, an attribute or element read through it, a call's result.
    fn saturate(&mut self, n: NodeId) {
        let mut stack = vec![n];
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut self.saturated[n as usize], true) {
                continue;
            }
            stack.extend(self.succ[n as usize].iter().map(|&(to, _)| to));
            for i in 0..self.uses[n as usize].len() {
                let u = self.uses[n as usize][i];
                stack.extend(self.use_result(u));
            }
        }
    }

    /// The variable a use writes what it reads to, if any.
    fn use_result(&self, u: Use) -> Option<NodeId> {
        match u {
            Use::Load { dst, .. }
            | Use::ElemLoad { dst }
            | Use::IndexLoad { dst, .. }
            | Use::KeyLoad { dst, .. }
            | Use::Enter { dst, .. }
            | Use::Super { dst, .. }
            | Use::DynLoad { dst, .. }
            | Use::DynIndex { dst, .. }
            | Use::Slice { dst, .. } => Some(dst),
            Use::Call(id) => Some(self.calls[id as usize].dst),
            Use::Store { .. }
            | Use::ElemStore { .. }
            | Use::DictKey { .. }
            | Use::KeyStore { .. }
            | Use::Raise { .. } => None,
        }
    }

    /// Attaches a use to a node. It is applied to the node's objects so far later, by the
    /// solver loop, not here: applying a use can add uses (a call of a class runs its
    /// `__init__`, which is another call), and doing so eagerly would recurse as deep as the
    /// program's chains of calls.
    fn add_use(&mut self, n: NodeId, u: Use) {
        if self.saturated[n as usize]
            && let Some(dst) = self.use_result(u)
        {
            self.saturate(dst);
        }
        self.uses.push(n as usize, u);
        // As for an edge: the node's news reach this use with the rest of its uses.
        let done = self.done[n as usize] as usize;
        for &o in &self.pts[n as usize][..done] {
            self.pending.push((u, o));
        }
    }
}
