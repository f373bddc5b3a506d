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

use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::FileId;
use crate::knowledge::EffectKind;
use crate::program::{Body, Effect, EffectId, FnRef, HandoffKind, ObjId, Program, Resolved};
use crate::summary::{FunctionSummary, Handle};

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

/// What some code joins or waits on: the handles the summaries name, and the objects the
/// value flow finds at each wait (a thread passed to a helper, kept in a list, set on
/// `self` in `__init__` and joined in `stop()`). The objects are asked for only when a
/// handle does not settle it: the value flow is the costly part of an analysis.
pub struct Waits {
    handles: HashSet<(FileId, Handle)>,
    objects: Option<HashSet<ObjId>>,
}

impl Waits {
    pub fn of(program: &Program) -> Waits {
        let handles = program
            .effects
            .iter()
            .filter_map(|s| match &s.effect {
                Effect::ThreadWait { handle, .. } => *handle,
                _ => None,
            })
            .collect();
        Waits {
            handles,
            objects: None,
        }
    }

    /// Whether the thread started by effect `start` (with `handle`) is waited on: its
    /// handle is, or every object its start can act on is.
    pub fn covers(
        &mut self,
        program: &Program,
        start: EffectId,
        handle: Option<(FileId, Handle)>,
    ) -> bool {
        if handle.is_some_and(|h| self.handles.contains(&h)) {
            return true;
        }
        let objects = self.objects.get_or_insert_with(|| {
            // Every object some code calls a known wait on (`join`, `shutdown`), however it
            // got there: the summaries see a wait only where they can name its receiver.
            program
                .points_to()
                .method_calls()
                .into_iter()
                .filter(|(method, _)| {
                    program
                        .knowledge
                        .get(method)
                        .is_some_and(|api| api.has(EffectKind::ThreadWait))
                })
                .map(|(_, recv)| recv)
                .collect()
        });
        let started = program.effect_objects(start);
        let pt = program.points_to();
        !started.is_empty()
            && started
                .iter()
                .all(|&o| pt.is_one_site(o) && objects.contains(&o))
    }
}

/// A function that runs during finalization: registered with `atexit.register` or
/// `weakref.finalize` (by the effect `registered`), or a `__del__` method.
#[derive(Clone, Copy, Debug)]
pub struct Finalizer {
    pub func: FnRef,
    pub registered: Option<EffectId>,
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
            if f.class.is_some() && f.qualname.ends_with(".__del__") && seen.insert(func) {
                out.push(Finalizer {
                    func,
                    registered: None,
                });
            }
        }
    }
    out
}

/// Functions the program can run outside finalization: called from a module body, handed
/// to a thread, a pool or `threading._register_atexit`, called by one of those, or never
/// called by project code at all (an entry point someone else calls) — unless finalization
/// is their only registration.
pub fn runs_outside_finalization(program: &Program, finalizers: &[Finalizer]) -> HashSet<FnRef> {
    let finals: HashSet<FnRef> = finalizers.iter().map(|f| f.func).collect();
    let mut called: HashSet<FnRef> = HashSet::default();
    let mut roots: Vec<FnRef> = Vec::new();
    for file in program.file_ids() {
        for r in program.body_events[file.0 as usize].all() {
            if let Resolved::Call(f) = r {
                roots.push(*f);
            }
        }
        let per_fn = &program.fn_events[file.0 as usize];
        for func in 0..per_fn.len() as u32 {
            for r in per_fn.all(func) {
                if let Resolved::Call(f) = r {
                    called.insert(*f);
                }
            }
        }
    }
    for s in &program.effects {
        match &s.effect {
            Effect::ThreadStart { targets, .. }
            | Effect::ProcessSpawn { targets, .. }
            | Effect::Subinterp { targets, .. } => roots.extend(targets),
            Effect::Handoff { to, targets, .. } if *to != HandoffKind::AtExit => {
                roots.extend(targets)
            }
            _ => {}
        }
    }
    for file in program.file_ids() {
        for func in 0..program.fn_events[file.0 as usize].len() as u32 {
            let f = FnRef { file, func };
            if !called.contains(&f) && !finals.contains(&f) {
                roots.push(f);
            }
        }
    }
    let mut seen: HashSet<FnRef> = HashSet::default();
    while let Some(f) = roots.pop() {
        if !seen.insert(f) {
            continue;
        }
        for r in program.fn_events[f.file.0 as usize].all(f.func) {
            if let Resolved::Call(callee) = r {
                roots.push(*callee);
            }
        }
    }
    seen
}
