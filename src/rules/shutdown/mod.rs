//! Shutdown and finalization hazards (FL4xx): threads that outlive the main flow, native
//! threads that re-enter a finalizing interpreter, and work started from finalizers
//! (RULES.md §4).
//!
//! CPython's order at exit: `threading._shutdown` runs the `threading._register_atexit`
//! hooks and joins non-daemon threads, then `atexit` handlers run, then the interpreter
//! finalizes (daemon threads are stopped abruptly, or hang from 3.14).

pub mod fl401_daemon_thread_python_work;
pub mod fl402_native_thread_extension_at_import;
pub mod fl403_atexit_stops_nondaemon_thread;
pub mod fl404_thread_never_joined;
pub mod fl405_spawn_during_finalization;
pub mod fl406_import_after_shutdown;
pub mod fl407_subinterp_threads_at_exit;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::diagnostic::FileId;
use crate::knowledge::EffectKind;
use crate::program::{
    Body, Effect, EffectId, FnRef, HandoffKind, ObjId, Phase, Program, is_test_module,
};
use crate::summary::{FunctionSummary, Handle, LongLoop, LoopStop};

pub use crate::rules::subinterp::{diagnostic, site, step};

pub fn function(program: &Program, f: FnRef) -> &FunctionSummary {
    &program.summary(f.file).functions[f.func as usize]
}

/// Code given to a subinterpreter as a string: its threads are FL407's, not the main
/// interpreter's.
pub fn in_code_string(program: &Program, body: Body) -> bool {
    match body {
        Body::Function(f) => function(program, f).qualname.contains("<code string>"),
        Body::Module(_) => false,
    }
}

/// A thread started by project code (not a library's internals, not a pool).
pub struct ProjectThread<'p> {
    pub start: EffectId,
    pub daemon: bool,
    pub targets: &'p [FnRef],
    pub handle: Option<(FileId, Handle)>,
}

pub fn project_threads(program: &Program) -> impl Iterator<Item = ProjectThread<'_>> + '_ {
    program
        .effects
        .iter()
        .enumerate()
        .filter_map(move |(i, s)| match &s.effect {
            Effect::ThreadStart {
                daemon,
                targets,
                handle,
                pooled: false,
                library: false,
                ..
            } if !in_code_string(program, s.body) => Some(ProjectThread {
                start: EffectId(i as u32),
                daemon: *daemon == Some(true),
                targets,
                handle: *handle,
            }),
            _ => None,
        })
}

/// What some code joins or waits on, and where: the handles the summaries name, and the
/// objects the value flow finds at each wait (a thread passed to a helper, kept in a list,
/// set on `self` in `__init__` and joined in `stop()`). A wait counts only where it runs
/// ([`Program::runs`]): a `stop()` that no path from a root calls stops nothing. The objects
/// are asked for only when a handle does not settle it: the value flow is the costly part of
/// an analysis.
pub struct Waits {
    handles: HashMap<(FileId, Handle), Vec<EffectId>>,
    objects: Option<HashMap<ObjId, Vec<Body>>>,
}

/// When a wait must run to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitPhase {
    /// At any time before daemon threads are stopped: in the main flow, a thread, an
    /// `atexit` handler.
    BeforeFinalization,
    /// Before `threading._shutdown` joins non-daemon threads: not from an `atexit` handler,
    /// which runs after.
    BeforeExit,
}

/// Whether a thread is waited on.
pub enum Joined {
    Yes,
    /// Only by code that never runs: the function that would (for the finding's note).
    OnlyWhereNothingRuns(FnRef),
    No,
}

impl Waits {
    pub fn of(program: &Program) -> Waits {
        let mut handles: HashMap<(FileId, Handle), Vec<EffectId>> = HashMap::default();
        for (i, s) in program.effects.iter().enumerate() {
            if let Effect::ThreadWait {
                handle: Some(h), ..
            } = &s.effect
            {
                handles.entry(*h).or_default().push(EffectId(i as u32));
            }
        }
        Waits {
            handles,
            objects: None,
        }
    }

    /// Whether the thread started by effect `start` (with `handle`) is waited on by code that
    /// runs in `phase`: its handle is, or every object its start can act on is.
    pub fn covers(
        &mut self,
        program: &Program,
        start: EffectId,
        handle: Option<(FileId, Handle)>,
        phase: WaitPhase,
    ) -> Joined {
        // A wait counts where it runs, given that the start runs (a library's `start()`
        // that registers its own exit handler is judged as its user calls it).
        let given = program.effect(start).body;
        let phase = match phase {
            WaitPhase::BeforeExit => Phase::BeforeExit,
            WaitPhase::BeforeFinalization => Phase::Any,
        };
        let runs = |body: Body| program.runs_given(given, body, phase);
        let mut unreached = None;
        if let Some(waits) = handle.and_then(|h| self.handles.get(&h)) {
            for &w in waits {
                let body = program.effect(w).body;
                if runs(body) {
                    return Joined::Yes;
                }
                if let Body::Function(f) = body {
                    unreached.get_or_insert(f);
                }
            }
        }
        let objects = self.objects.get_or_insert_with(|| {
            // Every object some code calls a known wait on (`join`, `shutdown`), however it
            // got there, with the bodies that do: the summaries see a wait only where they
            // can name its receiver.
            let mut by_object: HashMap<ObjId, Vec<Body>> = HashMap::default();
            for (method, recv, scope) in program.points_to().method_calls() {
                let (recv, scope) = (*recv, *scope);
                if program
                    .knowledge
                    .get(method)
                    .is_some_and(|api| api.has(EffectKind::ThreadWait))
                {
                    by_object
                        .entry(recv)
                        .or_default()
                        .push(program.body_of_scope(scope));
                }
            }
            by_object
        });
        let started = program.effect_objects(start);
        let pt = program.points_to();
        let mut all_run = !started.is_empty();
        for o in &started {
            let bodies = match objects.get(o) {
                Some(b) if pt.is_one_site(*o) => b,
                _ => return unreached.map_or(Joined::No, Joined::OnlyWhereNothingRuns),
            };
            if !bodies.iter().any(|&b| runs(b)) {
                all_run = false;
                if let Some(Body::Function(f)) = bodies.first() {
                    unreached.get_or_insert(*f);
                }
            }
        }
        if all_run {
            Joined::Yes
        } else {
            unreached.map_or(Joined::No, Joined::OnlyWhereNothingRuns)
        }
    }
}

/// The note on a finding whose thread only code that never runs would join.
pub fn unreached_join_step(program: &Program, f: FnRef) -> crate::diagnostic::Step {
    crate::diagnostic::Step {
        location: crate::diagnostic::Location {
            file: f.file,
            range: function(program, f).name_range,
        },
        message: format!(
            "`{}` would join it, but nothing calls it on a path from the main flow, an import, \
             a thread, a test or an exit handler",
            crate::rules::import_time::function_name(program, f)
        ),
    }
}

/// A function that runs during finalization: registered with `atexit.register` or
/// `weakref.finalize` (by the effect `registered`), a `__del__` method, or the `close()` or
/// `flush()` of a `logging` handler class (`logging.shutdown`, itself an `atexit` handler,
/// calls them on every handler still alive: `by_logging_shutdown`).
#[derive(Clone, Copy, Debug)]
pub struct Finalizer {
    pub func: FnRef,
    pub registered: Option<EffectId>,
    pub by_logging_shutdown: bool,
}

pub fn finalizers(program: &Program) -> Vec<Finalizer> {
    let mut out = Vec::new();
    let mut seen = HashSet::default();
    for (i, s) in program.effects.iter().enumerate() {
        if let Effect::Handoff {
            to: HandoffKind::AtExit,
            targets,
            ..
        } = &s.effect
        {
            for &func in targets {
                if seen.insert(func) {
                    out.push(Finalizer {
                        func,
                        registered: Some(EffectId(i as u32)),
                        by_logging_shutdown: false,
                    });
                }
            }
        }
    }
    for file in program.file_ids() {
        for (i, f) in program.summary(file).functions.iter().enumerate() {
            let func = FnRef {
                file,
                func: i as u32,
            };
            let del = f.class.is_some() && f.qualname.ends_with(".__del__");
            let by_logging_shutdown = !del
                && f.class.is_some()
                && crate::program::library_hook(program, file, f) == Some(Phase::RegisteredExit);
            if (del || by_logging_shutdown) && seen.insert(func) {
                out.push(Finalizer {
                    func,
                    registered: None,
                    by_logging_shutdown,
                });
            }
        }
    }
    out
}

/// Where a thread loop's stop signal is sent, as far as what runs tells ([`stop_sent`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopSent {
    /// By code that runs before exit: the loop ends while the program runs.
    BeforeExit,
    /// Only by code that runs at exit (an `atexit` handler, `weakref.finalize`): after
    /// `threading._shutdown` has waited for the thread (FL403). The function that sends it.
    OnlyAtExit(Body),
    /// Only by code run when an object is collected (`__del__`, the `close()` that
    /// `IOBase.__del__` runs): never, if the object is still referenced at exit (a global, a
    /// traceback) (FL404). The function that sends it.
    OnlyWhenCollected(Body),
    /// By no code that runs (FL404).
    Never,
}

/// Which ways out of a loop [`stop_sent`] asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exits {
    /// Every way out must be a stop signal: whether the loop can end at all (FL403, FL404).
    All,
    /// The stop signals among them: whether one ends it (FL401's threads a test stops).
    Known,
}

/// Where the stop signals ([`LoopStop`]) of `lp`, the long loop of thread target `target`,
/// are sent, given that the thread's start `start` runs ([`Program::runs_given`]); `None`
/// when the loop has no stop signal, or (with [`Exits::All`]) when some way out of the loop
/// is not one (forklint cannot tell when it ends).
/// `while self.running:` where only a `stop()` nobody calls clears `running`, or `if item is
/// None: break` where nothing that runs puts `None` on the queue, is never stopped. A store
/// in `__init__` initialises the flag before the object's threads exist: not a stop. An
/// event the value flow follows is matched by object (one passed in as a parameter and set
/// under another name, `stop_event` in the thread and `producer_stop.set()` in `main()`, is
/// the same event); any other stop by name.
pub fn stop_sent(
    program: &Program,
    start: EffectId,
    target: FnRef,
    lp: &LongLoop,
    exits: Exits,
) -> Option<StopSent> {
    let given = program.effect(start).body;
    if lp.stops.is_empty() || (exits == Exits::All && lp.other_exits) {
        return None;
    }
    let stops = &lp.stops[..];
    let mut at_exit: Option<StopSent> = None;
    let later = |body: Body, at_exit: &mut Option<StopSent>| {
        if program.runs_given(given, body, Phase::RegisteredExit) {
            if !matches!(at_exit, Some(StopSent::OnlyAtExit(_))) {
                *at_exit = Some(StopSent::OnlyAtExit(body));
            }
        } else if at_exit.is_none() && program.runs_given(given, body, Phase::Any) {
            *at_exit = Some(StopSent::OnlyWhenCollected(body));
        }
    };
    let mut by_name = Vec::new();
    for stop in stops {
        let LoopStop::Event { test, .. } = stop else {
            by_name.push(stop);
            continue;
        };
        let events = program.points_to().receivers(target.file, *test);
        if events.is_empty() {
            by_name.push(stop);
            continue;
        }
        for (method, recv, scope) in program.points_to().method_calls() {
            if method.ends_with(".set") && events.contains(recv) {
                let body = program.body_of_scope(*scope);
                if program.runs_given(given, body, Phase::BeforeExit) {
                    return Some(StopSent::BeforeExit);
                }
                later(body, &mut at_exit);
            }
        }
    }
    let mut senders = Vec::new();
    for file in program.file_ids() {
        let summary = program.summary(file);
        senders.push((Body::Module(file), &summary.body_stop_signals));
        for (i, f) in summary.functions.iter().enumerate() {
            if !(f.class.is_some() && f.qualname.ends_with(".__init__")) {
                let func = FnRef {
                    file,
                    func: i as u32,
                };
                senders.push((Body::Function(func), &f.stop_signals));
            }
        }
    }
    for (body, signals) in senders {
        let triggers = signals
            .iter()
            .any(|sig| by_name.iter().any(|stop| stop.triggered_by(sig)));
        if !triggers {
            continue;
        }
        if program.runs_given(given, body, Phase::BeforeExit) {
            return Some(StopSent::BeforeExit);
        }
        later(body, &mut at_exit);
    }
    Some(at_exit.unwrap_or(StopSent::Never))
}

/// How a loop's stops read in a message: "`running` is set false or `None` is put on `q`".
pub fn describe_stops(stops: &[LoopStop]) -> String {
    let mut parts: Vec<String> = stops
        .iter()
        .map(|s| match s {
            LoopStop::Flag { attr, stop_when } => format!(
                "`{attr}` is set {}",
                if *stop_when { "true" } else { "false" }
            ),
            LoopStop::Sentinel { attr: Some(q) } => format!("`None` is put on `{q}`"),
            LoopStop::Sentinel { attr: None } => "`None` is put on its queue".to_string(),
            LoopStop::Event { name, .. } => format!("`{name}` is set"),
        })
        .collect();
    parts.dedup();
    parts.join(" or ")
}

/// A daemon thread a test module starts whose loop's stop signal code that runs sends: the
/// stop runs long before the interpreter exits (pytest runs the rest of the session after
/// the test), so the loop has ended by then, joined or not (FL401, FL406). Elsewhere a stop
/// without a join may come just before exit.
pub fn stopped_by_its_test(
    program: &Program,
    start: EffectId,
    target: FnRef,
    lp: &LongLoop,
) -> bool {
    is_test_module(&program.file(program.effect(start).body.file()).path)
        && stop_sent(program, start, target, lp, Exits::Known) == Some(StopSent::BeforeExit)
}
