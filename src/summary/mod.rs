//! AST → `ModuleSummary`: the only code that sees an AST.
//!
//! A summary records what a module body and each function body *does*, in source order, with
//! names already resolved inside the module (imports, aliases, locals, `self` attributes) to
//! dotted qualified names. Cross-module meaning (is `app.Worker` a `threading.Thread`
//! subclass?) is decided later, when summaries are linked into a `Program`.

pub mod flow;
mod guards;
mod native;
pub use native::scan as scan_native;
mod platform_only;
mod visitor;

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

pub use ruff_python_ast::name::Name;

use ruff_text_size::TextRange;

pub use guards::{
    ArgShape, CallBinding, ConstantGuard, ParamGuard, ParamTest, Receiver, truthiness,
};
pub use native::{NATIVE_EXTENSIONS, NativeInit, is_native};
pub use visitor::{
    Assumption, MAX_NESTING, MAX_STATEMENT_BYTES, MAX_VISIT_DEPTH, ProjectIndex, Query, summarize,
};

/// A dotted qualified name: `threading.Thread.start`, `app.util.start_worker`.
pub type QName = String;

/// A qualified name held by a value. Shared, because values are copied at every use of a
/// name (`threading` in each `threading.Thread(...)`): a copy is a reference count, not an
/// allocation.
pub type SharedName = Arc<str>;

/// Position of the last `.` of a dotted name. A plain byte scan: names are short, and
/// `str::rfind` pays for a general search on every call (it showed in profiles, where
/// every qualified name is cut into its prefixes).
pub fn last_dot(name: &str) -> Option<usize> {
    name.bytes().rposition(|b| b == b'.')
}

/// Index of a function (or lambda, or method) in [`ModuleSummary::functions`].
pub type FuncIdx = u32;
/// Index of a class in [`ModuleSummary::classes`].
pub type ClassIdx = u32;

/// Identity of one constructed object within a module, for pairing a start with its wait.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Handle(pub u32);

/// An object created by calling a class (or what might be one: `app.make()` may be a class;
/// the link step decides).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Instance {
    pub class: SharedName,
    /// The constructor's arguments, shared with the call event that made the instance
    /// (instances are copied at every use of the name that holds them).
    pub ctor: Option<Arc<CallArgs>>,
    pub handle: Handle,
    /// Daemon flag set after construction (`t.daemon = True`, `t.setDaemon(True)`).
    pub daemon: Option<bool>,
    /// Start method carried from a multiprocessing context (`get_context("spawn").Process`).
    pub start_method: Option<String>,
}

/// What an expression evaluates to, as far as one module can tell.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// A module, function, class or method, by qualified name.
    Qual(SharedName),
    /// A function or lambda of this module that has no global name (nested, lambda).
    Local(FuncIdx),
    Instance(Arc<Instance>),
    /// `instance.method` (not yet called).
    BoundMethod {
        receiver: Arc<Instance>,
        method: Name,
    },
    /// `self.a.b…` inside a method of class `class` of the module this value was made in
    /// (resolved at link: a method, or an attribute holding an instance assigned in some
    /// method). An index, not a name: `self.m()` is the commonest call in real code.
    SelfAttr {
        class: ClassIdx,
        path: SelfPath,
    },
    /// `functools.partial(inner, …)`.
    Partial(Box<Value>),
    Str(Name),
    Bool(bool),
    /// An integer literal (only kept inside a [`Value::Tuple`]; see `CallArgs::keeps_positional`).
    Int(i64),
    /// A tuple literal of literals (`VERSION = (5, 2, 19, "final", 0)`): what a condition on
    /// an argument is evaluated against ([`ParamGuard`]).
    Tuple(Arc<[Value]>),
    None,
    Unknown,
}

/// The names after `self` in `self.a.b`, as far as the link step follows them: at most two
/// (`self.m()`, `self.x.m()`). Held inline: `self.m()` is the commonest call in real code and
/// its callee is copied into an event.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SelfPath {
    names: [Name; 2],
    len: u8,
}

impl SelfPath {
    pub const MAX: usize = 2;

    /// `self.…attr`, or `None` past [`SelfPath::MAX`] names.
    pub fn pushed(mut self, attr: Name) -> Option<SelfPath> {
        let slot = self.names.get_mut(self.len as usize)?;
        *slot = attr;
        self.len += 1;
        Some(self)
    }

    pub fn as_slice(&self) -> &[Name] {
        &self.names[..self.len as usize]
    }
}

impl std::ops::Deref for SelfPath {
    type Target = [Name];
    fn deref(&self) -> &[Name] {
        self.as_slice()
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CallArgs {
    pub positional: Vec<Value>,
    pub keywords: Vec<(Name, Value)>,
    /// `self.m()` in a method: the literal values the caller's own `self.attr`s certainly
    /// hold at the call, from stores earlier on the same path (`self._closed = True` just
    /// before `self._flush()`). A guard of the callee on `self.attr` is decided by them
    /// ([`ParamGuard::attr`]).
    pub receiver_attrs: Vec<(Name, Value)>,
}

impl Instance {
    /// The constructor's arguments (none kept reads as no arguments).
    pub fn ctor_args(&self) -> &CallArgs {
        static NONE: CallArgs = CallArgs {
            positional: Vec::new(),
            keywords: Vec::new(),
            receiver_attrs: Vec::new(),
        };
        self.ctor.as_deref().unwrap_or(&NONE)
    }
}

impl CallArgs {
    /// Whether a summary keeps this positional argument of a call to project code: only
    /// what the link step can use (callables, booleans, literal strings, contexts) is kept.
    /// Summaries of large projects hold many calls, and most arguments are expressions
    /// nothing downstream reads.
    pub fn keeps_positional(v: &Value) -> bool {
        match v {
            Value::Unknown | Value::None | Value::Int(_) => false,
            Value::Instance(inst) => inst.start_method.is_some(),
            _ => true,
        }
    }

    /// Whether a summary keeps this keyword argument of a call to project code (see
    /// [`CallArgs::keeps_positional`]; `preexec_fn=None` is kept, because it says so).
    pub fn keeps_keyword(name: &str, v: &Value) -> bool {
        !matches!(v, Value::Unknown | Value::None | Value::Int(_)) || name == "preexec_fn"
    }

    /// Shared for an event (and the instance it makes), or `None` when nothing is left to
    /// keep.
    pub fn shared(self) -> Option<Arc<CallArgs>> {
        (!self.positional.is_empty()
            || !self.keywords.is_empty()
            || !self.receiver_attrs.is_empty())
        .then(|| Arc::new(self))
    }

    /// The argument passed at `position` or as `keyword`, if any.
    pub fn get(&self, position: Option<usize>, keyword: Option<&str>) -> Option<&Value> {
        keyword
            .and_then(|k| {
                self.keywords
                    .iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, v)| v)
            })
            .or_else(|| position.and_then(|p| self.positional.get(p)))
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum EventKind {
    /// An import that runs module `module` and, for `from module import names`, the names
    /// that are submodules. `dynamic` marks `importlib.import_module`/`__import__` forms.
    Import {
        module: QName,
        names: Vec<String>,
        dynamic: bool,
    },
    /// `importlib.import_module(x)` with a name that is not a literal.
    UnknownImport,
    /// A call whose meaning the link step decides. Arguments are kept only when the link
    /// step can use some (see [`CallArgs::trimmed`]); most calls have none worth keeping.
    Call {
        callee: Value,
        args: Option<Arc<CallArgs>>,
        /// What the call passes beyond the arguments kept ([`ArgShape::UNKNOWN`] for calls
        /// Python makes itself: decorators, `__enter__`).
        shape: ArgShape,
    },
    /// Leaving `with manager:` (an executor's `__exit__` waits for its workers).
    WithExit { manager: Value },
    /// Iterating or materialising the result of this call (`for r in ex.map(...)`).
    Consume { callee: Value },
    /// `x.method(...)` on a receiver this module cannot name (a parameter, a return value,
    /// an attribute set elsewhere, a container element), for a method name some known class
    /// gives effects to (`start`, `submit`, `map`, `join`, `exec`, …). The link step asks
    /// the value flow which objects reach the receiver and classifies the call on each.
    ValueMethod {
        method: Name,
        args: Option<Arc<CallArgs>>,
    },
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub range: TextRange,
    pub kind: EventKind,
    /// Module body only: the event is inside an `if __name__ == "__main__":` guard.
    pub in_main_guard: bool,
    /// Module body only: index of the top-level statement the event belongs to.
    pub stmt: u32,
    /// The configured platforms the event can run on ([`crate::settings::Platform::bit`]):
    /// `if sys.platform == "win32":` leaves only Windows. Tests forklint can read are
    /// encoded here rather than in `conditional`.
    pub platforms: u8,
    /// Not on every path through its body: inside a branch, a loop or an `except` handler
    /// (the "possible" rather than "definite" of RULES.md FL201).
    pub conditional: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunctionSummary {
    /// Name relative to the module: `f`, `C.m`, `f.<locals>.g`, `<lambda>`.
    pub qualname: SharedName,
    pub name_range: TextRange,
    pub class: Option<ClassIdx>,
    pub events: Vec<Event>,
    /// The first object this function returns that was constructed in it (a started
    /// thread returned to the caller, who may join it).
    pub returns: Option<Arc<Instance>>,
    /// The body's last top-level statement ends the process (`os._exit(...)`, `os.exec*`):
    /// a fork child that calls it last does not fall through (FL207).
    pub ends_in_exit: bool,
    /// The body's last top-level statement ends the process in any way, `sys.exit(...)` and
    /// `raise SystemExit` included: a parent that forks and then ends this way never returns
    /// to the caller (FL207's pre-fork servers).
    pub ends_process: bool,
    /// The first `while` loop of the body that runs until stopped (FL401, FL404, FL406).
    pub long_loop: Option<LongLoop>,
    /// Source code given to a subinterpreter as a literal string, parsed and summarised as
    /// this function: it runs in a fresh `__main__` of another interpreter (FL304, FL306).
    pub code_string: bool,
    /// Events that run only when a test on a parameter holds (`if version[3] == "alpha":`,
    /// `if with_scheduler:`): a call whose argument (or, not passing one, the parameter's
    /// default) makes the test false does not reach them.
    pub guards: Vec<ParamGuard>,
    /// What a call through an instance or a class passes as the first parameter, unwritten.
    pub receiver: Receiver,
    /// The stop signals the function sends ([`LoopStop`]): attribute stores and `None` put
    /// on a queue. Whether one is sent by code that runs decides whether a loop stops.
    pub stop_signals: Vec<StopSignal>,
}

/// A way a function can end another's long loop.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum StopSignal {
    /// `x.attr = value`: `truth` is how the value tests (`None` when not a literal).
    Store {
        attr: SharedName,
        truth: Option<bool>,
    },
    /// `x.attr.put(None)` (`attr` is `None` when the queue is not an attribute: a name, an
    /// element of a list).
    PutNone { attr: Option<SharedName> },
    /// `x.name.set()` or `name.set()`: an event named `name` (the last attribute, or the
    /// variable) is set.
    EventSet { name: SharedName },
}

/// A `while` loop that runs until something stops it: `while True:`, `while not stop:`,
/// `while self.running:` (not `while i < n:`, which counts).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LongLoop {
    pub range: TextRange,
    /// `while True:` with no `break` or `return` in it: only an exception ends it.
    pub forever: bool,
    /// The body calls something: Python-level work that needs the GIL on every turn.
    pub works: bool,
    /// The ways out of the loop that are stop signals another function sends: all of them
    /// when each way out (other than an exception) is one, else the loop's own test when it
    /// is one (`while not self.stop.is_set():` with a `return` on an error inside). Empty for
    /// a loop that is `forever`.
    pub stops: Arc<[LoopStop]>,
    /// Some way out is not a stop signal (a call, a count, an error path): the loop may end
    /// without any stop being sent.
    pub other_exits: bool,
}

/// A way out of a long loop that another function's [`StopSignal`] triggers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum LoopStop {
    /// An attribute named `attr` (read on any object) becoming true (`stop_when`) or false:
    /// `while self.running:` and `if not self.running: return` stop when it is false,
    /// `while not self.closed:` when it is true.
    Flag { attr: SharedName, stop_when: bool },
    /// `None` read from a queue: `item = self.q.get()` then `if item is None: break`.
    /// `attr` names the attribute holding the queue (`None` when it is not one).
    Sentinel { attr: Option<SharedName> },
    /// An event named `name` (`self.stop` or a global `STOP`) being set: `while not
    /// self.stop.is_set():`, `while not STOP.wait(1):`, `if self.stop.is_set(): break`.
    /// `test` is the `is_set()`/`wait()` call, where the value flow tells which event objects
    /// it reads (an event passed in as a parameter and set under another name).
    Event { name: SharedName, test: TextRange },
}

impl LoopStop {
    /// Whether `signal` triggers this way out (a store whose value is not a literal may).
    pub fn triggered_by(&self, signal: &StopSignal) -> bool {
        match (self, signal) {
            (LoopStop::Flag { attr, stop_when }, StopSignal::Store { attr: a, truth }) => {
                attr == a && truth.is_none_or(|t| t == *stop_when)
            }
            (LoopStop::Sentinel { attr }, StopSignal::PutNone { attr: a }) => {
                attr.is_none() || a.is_none() || attr == a
            }
            (LoopStop::Event { name, .. }, StopSignal::EventSet { name: n }) => name == n,
            _ => false,
        }
    }
}

/// A stretch of code the rules need to see the shape of, recorded only for the constructs
/// some rule reads (so most modules have none).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    pub kind: RegionKind,
    /// The function it is in (`None`: the module body).
    pub func: Option<FuncIdx>,
    /// The construct itself: the `if` test, the `with` item, the call.
    pub range: TextRange,
    /// What it encloses: the `if` body, the `with` body, the call's arguments.
    pub body: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RegionKind {
    /// An `if` on `current_thread() is main_thread()` (or the main interpreter): its body
    /// runs only in the main thread (FL304).
    MainThreadOnly,
    /// `is_running()` used as a condition: an `if`/`assert` test, or an `assert*(...)` call
    /// (FL303).
    IsRunningTest,
    /// A cancel shield: `with trio.CancelScope(shield=True):`, `asyncio.shield(...)` (FL305).
    Shield,
    /// A deadline: `with trio.move_on_after(t):`, `asyncio.wait_for(..., t)` (FL305).
    Deadline,
}

/// The child branch after `pid = os.fork()`: `if pid == 0:` (or `if not pid:`, or the
/// `else:` of `if pid:`), for FL207 and FL206.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForkChild {
    /// The fork call.
    pub fork: TextRange,
    /// From the first to the last statement of the child branch.
    pub body: TextRange,
    /// Every path through the branch ends the process.
    pub exits: bool,
    /// The branch does not end the process itself, but its last statement calls this: if
    /// that function ends in `os._exit`, the child does not fall through.
    pub tail_call: Option<Value>,
    /// The branch ends in `return`: the child returns from the function that forked.
    pub returns: bool,
    /// The child daemonizes (forks again, that parent exiting), then returns the fork's
    /// result (0) to the caller, at the end of the branch or right after it: a double-fork
    /// wrapper, whose caller picks the child branch.
    pub hands_off_pid: bool,
    /// The function that forks (`None`: the module body).
    pub func: Option<FuncIdx>,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassSummary {
    pub qualname: SharedName,
    pub name_range: TextRange,
    /// Base classes, resolved to qualified names where possible.
    pub bases: Vec<QName>,
    pub methods: HashMap<Name, FuncIdx>,
    /// `self.x = SomeClass(...)` in any method: what `self.x` holds.
    pub attrs: HashMap<String, Arc<Instance>>,
    /// Daemon flag set by the class itself (`super().__init__(daemon=True)`, `self.daemon = True`).
    pub daemon: Option<bool>,
}

/// Where the analysis of a file stopped short, and why (shown as a warning).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Incomplete {
    pub range: TextRange,
    pub reason: String,
}

/// A syntax error (or an input the parser must not be given) at a location.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SyntaxProblem {
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModuleSummary {
    pub module: QName,
    pub is_package: bool,
    /// The module body's events, in source order.
    pub body: Vec<Event>,
    pub functions: Vec<FunctionSummary>,
    pub classes: Vec<ClassSummary>,
    /// The stop signals the module body sends (`STOP.set()` in a `__main__` guard's
    /// `finally`), as [`FunctionSummary::stop_signals`] for a function.
    pub body_stop_signals: Vec<StopSignal>,
    /// Final top-level bindings: what `module.name` is, for other modules' lookups.
    pub exports: HashMap<String, Value>,
    pub has_main_guard: bool,
    pub has_shebang: bool,
    /// The top level (outside functions) reads the command line: `sys.argv`,
    /// `parser.parse_args()`, `getopt.getopt(...)`. A module others import does not; a file
    /// run as `python file.py` does.
    pub reads_command_line: bool,
    /// The top level (outside the main guard, on every path) runs a `while True:` loop that
    /// only an exception ends: importing the module would never return, so it is a program
    /// run directly (an example's or a service's serve loop), not a module others import.
    pub runs_forever: bool,
    pub syntax_errors: Vec<SyntaxProblem>,
    /// Where and why analysis of this file stopped early (nesting past [`MAX_VISIT_DEPTH`],
    /// a statement too long to parse safely): what follows was not analysed.
    pub incomplete: Option<Incomplete>,
    /// The child branches of `os.fork()` calls, in source order.
    pub fork_children: Vec<ForkChild>,
    /// Conditions, guards and scopes some rule reads (see [`Region`]).
    pub regions: Vec<Region>,
    /// A native source (Rust, C): the extension-module inits found in it that start a
    /// thread taking the GIL (FL402). A native source has no Python summary.
    pub native: Option<Vec<NativeInit>>,
    /// `# noqa` directives in the file's comments.
    pub suppressions: crate::suppression::Suppressions,
    /// `qualname` → function / class, for lookups from other modules.
    pub function_index: HashMap<SharedName, FuncIdx>,
    pub class_index: HashMap<SharedName, ClassIdx>,
    /// Where values go in this module: the input of the points-to analysis
    /// ([`crate::program::PointsTo`]). Shared, because a relinked program keeps it.
    pub flow: Arc<flow::ModuleFlow>,
    /// The instances this module's calls make, by the call's range (sorted): what the value
    /// flow's object made at that call is to the summaries (its class, constructor
    /// arguments, handle, daemon flag and start method), for a method called on it where
    /// the summary cannot name the receiver ([`EventKind::ValueMethod`]).
    pub made: Vec<(TextRange, Arc<Instance>)>,
    /// Some event is a [`EventKind::ValueMethod`]: resolving this module needs the value
    /// flow of the whole project.
    pub has_value_methods: bool,
    /// Clauses that module constants decide never run ([`ConstantGuard`]).
    pub constant_guards: Vec<ConstantGuard>,
    /// Names this module sets on project modules from outside them: `server.debug = 1`,
    /// `setattr(server, "debug", 1)`, `mock.patch("server.debug", 1)` (module, name).
    pub module_attr_stores: Vec<(QName, Name)>,
    /// What this summary took to be true of the project's module set (see
    /// [`ProjectIndex`]): a stored summary is reused only where these still hold.
    pub assumptions: Vec<Assumption>,
}

impl ModuleSummary {
    /// The function of this module with global qualified name `module.rest`, if any.
    pub fn function_by_qualname(&self, rest: &str) -> Option<FuncIdx> {
        self.function_index.get(rest).copied()
    }
    pub fn class_by_qualname(&self, rest: &str) -> Option<ClassIdx> {
        self.class_index.get(rest).copied()
    }

    /// The instance a call at `range` of this module made, if the summary saw one.
    pub fn made_at(&self, range: TextRange) -> Option<&Arc<Instance>> {
        let i = self
            .made
            .binary_search_by(|(r, _)| {
                r.start()
                    .cmp(&range.start())
                    .then(r.end().cmp(&range.end()))
            })
            .ok()?;
        Some(&self.made[i].1)
    }
}
