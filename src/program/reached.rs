//! Which functions run: decided from roots, not from the existence of a definition.
//!
//! A join, a `shutdown()` or a stop event's `set()` counts only where it runs, and a function
//! runs only if a path of calls leads to it from a root:
//! - every module body (import time, and a script's main flow under its `__main__` guard);
//! - what a thread, a process, a subinterpreter, a pool or `threading._register_atexit` is
//!   given to run, by code that runs;
//! - every function of a test module (`test_*.py`, `*_test.py`, `conftest.py`: pytest
//!   collects and calls them);
//! - special methods Python calls by protocol (`__call__`, `__iter__`, `__getattr__`, …;
//!   `__init__`, `__enter__` and `__exit__` are reached through the constructor call or
//!   `with` statement that runs them);
//! - the public methods of a class derived from a library class (the framework calls its
//!   hooks: `handle`, `on_message`), except a thread or process class's: the knowledge base
//!   names the one method its library calls (`run-method`), the thread's target;
//! - the functions the build files declare as the project's commands (`[project.scripts]`,
//!   `console_scripts`; see [`crate::entry_points`]);
//! - a project function the value flow sees passed to a library call (a signal handler, a
//!   callback) by code that runs: the library may call it.
//!
//! Calls are those the summaries resolve and those the value flow finds; a method called on
//! a receiver the flow cannot follow (`server.stop()` on a parameter nothing passes an
//! object to) may be any method of that name of a public class (code outside the project
//! makes objects of those and hands them in; a private class's objects are all made by the
//! project, where the flow follows them).
//!
//! What runs at exit is a second phase ([`Phase::RegisteredExit`]), with its own roots:
//! `atexit`, `weakref.finalize` and `multiprocessing.util.Finalize` registrations made by code
//! that runs, and the `close`/`flush` of `logging` handlers (called by `logging.shutdown`,
//! registered with `atexit` by `logging`). A third ([`Phase::Any`] only) is what runs when an
//! object is collected, at a time not known: `__del__` methods, and the `close`/`flush` of `io`
//! classes (called by `IOBase.__del__`).
//!
//! Public functions nobody calls are *not* roots: a `stop()` method that no path from a root
//! calls stops nothing, in an application or in a library whose users may forget it.

use rustc_hash::FxHashMap as HashMap;

use super::Program;
use super::effects::{Body, Effect, HandoffKind, Resolved};
use super::points_to::{PointsTo, ScopeRef};
use super::resolve::{FnRef, Target};
use crate::knowledge::EffectKind;

/// When code must run to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before the interpreter begins to exit: not only from an exit handler or a finalizer.
    BeforeExit,
    /// In an exit handler registered with `atexit` (or `weakref.finalize`,
    /// `multiprocessing.util.Finalize`, `logging.shutdown`), or what it calls: after
    /// `threading._shutdown` has joined non-daemon threads.
    RegisteredExit,
    /// At any time, `__del__` and the `close()` `IOBase.__del__` runs included: those run when
    /// their object is collected, which may be before exit or during it.
    Any,
}

/// When a function runs, as far as the roots tell.
#[derive(Default)]
pub struct Reached {
    /// Offset of each file's first function in the flat numbering.
    offsets: Vec<usize>,
    before_exit: Vec<bool>,
    /// Run by registered exit handlers.
    at_exit: Vec<bool>,
    /// Run when an object is collected (`__del__`, `IOBase.__del__`'s `close()`).
    collected: Vec<bool>,
    /// Kept for [`Reached::runs_given`].
    graph: Graph,
}

impl Reached {
    /// Whether `body` runs in `phase` (a module body runs before exit).
    pub fn runs_in(&self, body: Body, phase: Phase) -> bool {
        let Body::Function(f) = body else {
            return phase != Phase::RegisteredExit;
        };
        let i = self.index(f);
        match phase {
            Phase::BeforeExit => self.before_exit[i],
            Phase::RegisteredExit => self.at_exit[i],
            Phase::Any => self.before_exit[i] || self.at_exit[i] || self.collected[i],
        }
    }

    fn index(&self, f: FnRef) -> usize {
        self.offsets[f.file.0 as usize] + f.func as usize
    }

    /// Whether `body` runs in `phase` once `given` has run: it runs anyway, or `given` calls
    /// it (through any calls, or hands it on), or (for an exit phase) registers it to run at
    /// exit. A thread's start and its join are judged this way: a library's `start()` that
    /// nobody in the project calls still starts the thread when its user calls it, and the
    /// join or the exit handler it sets up then runs too; a `stop()` it does not call does not.
    pub fn runs_given(&self, given: Body, body: Body, phase: Phase) -> bool {
        if self.runs_in(body, phase) {
            return true;
        }
        let (Body::Function(given), Body::Function(target)) = (given, body) else {
            return false;
        };
        // What a function that runs anyway calls and registers is in the sets already.
        if self.before_exit[self.index(given)] {
            return false;
        }
        let mut seen: rustc_hash::FxHashSet<FnRef> = rustc_hash::FxHashSet::default();
        let mut stack = vec![given];
        while let Some(f) = stack.pop() {
            if f == target && phase != Phase::RegisteredExit {
                return true;
            }
            if seen.insert(f) {
                stack.extend(self.graph.callees[self.index(f)].iter().copied());
            }
        }
        if phase == Phase::BeforeExit {
            return false;
        }
        // What the code run so far registers for exit, and what that calls.
        let mut exit: rustc_hash::FxHashSet<FnRef> = rustc_hash::FxHashSet::default();
        let mut stack: Vec<FnRef> = self
            .graph
            .registered
            .iter()
            .filter(|(from, _)| matches!(from, Body::Function(f) if seen.contains(f)))
            .map(|(_, f)| *f)
            .collect();
        while let Some(f) = stack.pop() {
            if f == target {
                return true;
            }
            if exit.insert(f) {
                stack.extend(self.graph.callees[self.index(f)].iter().copied());
            }
        }
        false
    }

    /// The functions reached from the roots through the calls the summaries resolve and,
    /// with `flow`, the calls and callbacks the value flow finds as well. What a body hands
    /// to a thread, a pool or a library is reached only if that body runs; so is what it
    /// registers to run at exit, in the exit phase.
    pub fn compute(program: &Program, flow: Option<&PointsTo>) -> Reached {
        let (offsets, total) = program.function_offsets();
        let node = |f: FnRef| offsets[f.file.0 as usize] + f.func as usize;

        let mut graph = Graph {
            callees: vec![Vec::new(); total],
            before: Vec::new(),
            registered: Vec::new(),
        };
        let (mut at_exit, collected_roots) = roots(program, &mut graph.before);
        for file in program.file_ids() {
            for r in program.body_events[file.0 as usize].all() {
                if let Resolved::Call(f) = r {
                    graph.before.push(*f);
                }
            }
            let per_fn = &program.fn_events[file.0 as usize];
            for func in 0..per_fn.len() as u32 {
                let from = node(FnRef { file, func });
                for r in per_fn.all(func) {
                    if let Resolved::Call(f) = r {
                        graph.callees[from].push(*f);
                    }
                }
            }
        }
        // What effects hand on: run if the body that hands it on runs.
        for s in &program.effects {
            match &s.effect {
                Effect::ThreadStart { targets, .. }
                | Effect::ProcessSpawn { targets, .. }
                | Effect::Subinterp { targets, .. } => {
                    graph.edges(s.body, targets, &node);
                }
                Effect::Handoff {
                    to: HandoffKind::AtExit,
                    targets,
                    ..
                } => graph
                    .registered
                    .extend(targets.iter().map(|&t| (s.body, t))),
                Effect::Handoff { targets, .. } => graph.edges(s.body, targets, &node),
                _ => {}
            }
        }
        if let Some(pt) = flow {
            let mut bodies: HashMap<ScopeRef, Body> = HashMap::default();
            let mut body_of =
                |s: ScopeRef| *bodies.entry(s).or_insert_with(|| body_of(program, pt, s));
            for (caller, callee) in pt.function_edges() {
                if let Body::Function(callee) = body_of(callee) {
                    graph.edges(body_of(caller), &[callee], &node);
                }
            }
            // A method called on a receiver the flow cannot follow, or passed to a library
            // from one, may be any method of that name of a public class.
            let unresolved = pt.unresolved_method_calls();
            let unresolved_passed = pt.unresolved_passed_to_library();
            let methods = public_methods_named(
                program,
                unresolved
                    .iter()
                    .map(|(_, n)| *n)
                    .chain(unresolved_passed.iter().map(|(_, _, n)| *n)),
            );
            for (caller, name) in unresolved {
                graph.edges(body_of(caller), &methods[name], &node);
            }
            for (library, caller, name) in &unresolved_passed {
                let from = body_of(*caller);
                if is_exit_registration(program, library) {
                    graph
                        .registered
                        .extend(methods[name].iter().map(|&m| (from, m)));
                } else {
                    graph.edges(from, &methods[name], &node);
                }
            }
            for (library, caller, func) in pt.passed_to_library() {
                let Body::Function(func) = body_of(func) else {
                    continue;
                };
                let from = body_of(caller);
                if is_exit_registration(program, &library) {
                    graph.registered.push((from, func));
                } else {
                    graph.edges(from, &[func], &node);
                }
            }
        }
        let walk = |roots: Vec<FnRef>, seen: &mut Vec<bool>| {
            let mut stack = roots;
            while let Some(f) = stack.pop() {
                let i = node(f);
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                stack.extend(graph.callees[i].iter().copied());
            }
        };
        let mut before_exit = vec![false; total];
        walk(std::mem::take(&mut graph.before), &mut before_exit);
        // Exit handlers registered by code that runs, before exit or (a handler registering
        // another) at exit.
        let mut exit = vec![false; total];
        let runs = |b: Body, exit: &[bool]| match b {
            Body::Module(_) => true,
            Body::Function(f) => before_exit[node(f)] || exit[node(f)],
        };
        loop {
            at_exit.extend(
                graph
                    .registered
                    .iter()
                    .filter(|(from, f)| runs(*from, &exit) && !exit[node(*f)])
                    .map(|(_, f)| *f),
            );
            if at_exit.is_empty() {
                break;
            }
            walk(std::mem::take(&mut at_exit), &mut exit);
        }
        let mut collected = vec![false; total];
        walk(collected_roots, &mut collected);
        Reached {
            offsets,
            before_exit,
            at_exit: exit,
            collected,
            graph,
        }
    }
}

/// The call graph [`Reached::compute`] walks.
#[derive(Default)]
struct Graph {
    callees: Vec<Vec<FnRef>>,
    /// Roots of the phase before exit.
    before: Vec<FnRef>,
    /// Functions registered to run at exit, with the body that registers them.
    registered: Vec<(Body, FnRef)>,
}

impl Graph {
    /// `from` runs `to` (calls it, or hands it to a thread or a library that calls it): a
    /// module body's are roots.
    fn edges(&mut self, from: Body, to: &[FnRef], node: &impl Fn(FnRef) -> usize) {
        match from {
            Body::Module(_) => self.before.extend(to),
            Body::Function(f) => self.callees[node(f)].extend(to),
        }
    }
}

/// The roots the summaries show: those of the phase before exit are added to `before`;
/// returned, those of the exit phase (`logging.shutdown`'s) and those run when an object is
/// collected (`__del__`, `IOBase.__del__`'s `close()`). The module bodies' callees, what code
/// hands on and the value flow's roots are added by [`Reached::compute`].
fn roots(program: &Program, before: &mut Vec<FnRef>) -> (Vec<FnRef>, Vec<FnRef>) {
    let (mut at_exit, mut collected) = (Vec::new(), Vec::new());
    // The project's commands: their launchers call them.
    for target in &program.settings.script_targets {
        if let Target::Function(f) = program.resolve_qual(target) {
            before.push(f);
        }
    }
    for file in program.file_ids() {
        let test_module = is_test_module(&program.file(file).path);
        let summary = program.summary(file);
        for (i, f) in summary.functions.iter().enumerate() {
            let func = FnRef {
                file,
                func: i as u32,
            };
            if test_module {
                before.push(func);
                continue;
            }
            let name = f.qualname.rsplit('.').next().unwrap_or(&f.qualname);
            let dunder = name.len() > 4 && name.starts_with("__") && name.ends_with("__");
            if dunder {
                match name {
                    "__del__" if f.class.is_some() => collected.push(func),
                    // Reached through what runs them: a constructor call, a `with`.
                    "__init__" | "__new__" | "__enter__" | "__exit__" | "__aenter__"
                    | "__aexit__" | "__del__" => {}
                    _ => before.push(func),
                }
                continue;
            }
            match library_hook(program, file, f) {
                Some(Phase::BeforeExit) => before.push(func),
                Some(Phase::RegisteredExit) => at_exit.push(func),
                Some(Phase::Any) => collected.push(func),
                None => {}
            }
        }
    }
    (at_exit, collected)
}

/// When a library runs a public method of a project class derived from one of its classes
/// (a framework hook), if it does: `logging.shutdown` (an `atexit` handler) flushes and
/// closes every handler (`Phase::RegisteredExit`); `IOBase.__del__` closes an `io` object
/// when it is collected (`Phase::Any`); any other library base's public methods may be
/// called at any time before exit. A thread or process class's are not: the library calls
/// only its run method, which is the thread's target (its `stop()` runs only if something
/// calls it).
pub fn library_hook(
    program: &Program,
    file: crate::diagnostic::FileId,
    f: &crate::summary::FunctionSummary,
) -> Option<Phase> {
    let class = f.class?;
    let name = f.qualname.rsplit('.').next().unwrap_or(&f.qualname);
    if name.starts_with('_') {
        return None;
    }
    let base = library_base(program, file, class)?;
    let closes = matches!(name, "close" | "flush");
    match base {
        LibraryBase {
            calls_only_run: true,
            ..
        } => None,
        LibraryBase { name: base, .. } if base.starts_with("logging.") && closes => {
            Some(Phase::RegisteredExit)
        }
        LibraryBase { name: base, .. } if base.starts_with("io.") => closes.then_some(Phase::Any),
        _ => Some(Phase::BeforeExit),
    }
}

/// Whether a library call registers its argument to run at exit (`atexit.register`,
/// `weakref.finalize`).
fn is_exit_registration(program: &Program, library: &str) -> bool {
    program
        .knowledge
        .get(library)
        .is_some_and(|api| api.has(EffectKind::AtexitRegister))
}

/// The methods of public classes with each of `names`: what a call of `x.name()` may run
/// when the flow cannot follow `x`. Code outside the project makes objects of public
/// classes and hands them in; a private class's objects are all made by the project, where
/// the flow follows them.
fn public_methods_named<'n>(
    program: &Program,
    names: impl Iterator<Item = &'n str>,
) -> HashMap<&'n str, Vec<FnRef>> {
    let mut methods: HashMap<&str, Vec<FnRef>> = names.map(|n| (n, Vec::new())).collect();
    if methods.is_empty() {
        return methods;
    }
    for file in program.file_ids() {
        let summary = program.summary(file);
        for (i, f) in summary.functions.iter().enumerate() {
            let name = f.qualname.rsplit('.').next().unwrap_or(&f.qualname);
            if let Some(class) = f.class
                && is_public(&summary.classes[class as usize].qualname)
                && let Some(list) = methods.get_mut(name)
            {
                list.push(FnRef {
                    file,
                    func: i as u32,
                });
            }
        }
    }
    methods
}

/// A dotted name none of whose parts is private (`_name`).
fn is_public(qualname: &str) -> bool {
    qualname.split('.').all(|part| !part.starts_with('_'))
}

/// A test module: pytest imports it and calls its functions (and fixtures).
pub fn is_test_module(path: &std::path::Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == "conftest.py"
        || (name.starts_with("test_") && name.ends_with(".py"))
        || name.ends_with("_test.py")
}

/// A library class a project class derives from.
struct LibraryBase {
    /// `socketserver.BaseRequestHandler`, `logging.Handler`.
    name: String,
    /// The knowledge base names the one method the library calls (`run` of
    /// `threading.Thread` and `multiprocessing.Process`).
    calls_only_run: bool,
}

/// The first library class a project class derives from, through project bases. Not
/// `typing`/`abc` helpers or builtins, whose methods call nothing of a subclass's.
fn library_base(
    program: &Program,
    file: crate::diagnostic::FileId,
    class: u32,
) -> Option<LibraryBase> {
    let mut stack = vec![(file, class)];
    let mut seen = 0;
    while let Some((file, class)) = stack.pop() {
        seen += 1;
        if seen > 32 {
            break;
        }
        let c = program.summary(file).classes.get(class as usize)?;
        for base in &c.bases {
            match program.resolve_qual(base) {
                Target::Class(f2, c2) => stack.push((f2, c2)),
                Target::Known(api) => {
                    return Some(LibraryBase {
                        name: api.name.to_string(),
                        calls_only_run: api.run_method.is_some(),
                    });
                }
                Target::Unknown
                    if base.contains('.')
                        && !base.starts_with("typing.")
                        && !base.starts_with("abc.")
                        && !base.starts_with("builtins.") =>
                {
                    return Some(LibraryBase {
                        name: base.to_string(),
                        calls_only_run: false,
                    });
                }
                _ => {}
            }
        }
    }
    None
}

/// The body a value-flow scope is: a function of the summaries by dotted name, or the
/// nearest enclosing one (a lambda counts as the function that defines it), or the module.
pub fn body_of(program: &Program, pt: &PointsTo, scope: ScopeRef) -> Body {
    let mut q = pt.scope_qualname(scope);
    let summary = program.summary(scope.0);
    loop {
        if q.is_empty() {
            return Body::Module(scope.0);
        }
        if let Some(func) = summary.function_by_qualname(q) {
            return Body::Function(FnRef {
                file: scope.0,
                func,
            });
        }
        q = match q.rfind('.') {
            Some(i) => &q[..i],
            None => "",
        };
    }
}
