//! Green threads: which thread starts run as greenlets because gevent or eventlet
//! monkey-patched `threading` first.
//!
//! After `gevent.monkey.patch_all()` or `eventlet.monkey_patch()`, `threading.Thread.start`,
//! `Timer`, `_thread.start_new_thread` and `ThreadPoolExecutor` start greenlets in the calling
//! OS thread. A fork then copies no other OS thread: the greenlets keep running in the child
//! and release what they hold, so the fork rules' hazard (an orphaned lock in a child with one
//! thread) does not arise. Threads started before the patch, native threads of C extensions,
//! and the libraries' own thread pools (`gevent.threadpool`, `eventlet.tpool`) stay real.
//!
//! Python decides per process, so this module does too. A process is an entry point (a
//! script, a test module) with every module its imports load. An entry is patched when its
//! top level calls the patch before it starts any thread, its own or through an import (the
//! libraries' own rule: patch "as one of the first lines in the main module", or in a module
//! it imports first); a test module is also patched when a `conftest.py` above it is, since
//! pytest imports those first. A module whose every loading entry is patched, and that at
//! least one entry loads, runs only green: the standard library thread starts written in it
//! are green. A module some unpatched entry loads, or none does, keeps real threads.

use std::collections::VecDeque;

use rustc_hash::FxHashSet as HashSet;

use super::{EffectId, FileRole, Program, Resolved, is_test_module};
use crate::diagnostic::FileId;
use crate::knowledge::EffectKind;
use crate::program::Effect;

/// What a module's top level does first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum First {
    /// Patches threads before any thread starts, with this library.
    Patches(Patcher),
    /// Starts a thread (or imports a module that does) first.
    Threads,
    /// Neither.
    Neither,
}

/// The library whose monkey-patching made a process's threads green.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Patcher {
    Gevent,
    Eventlet,
}

impl Patcher {
    fn of(api: &str) -> Patcher {
        if api.starts_with("eventlet") {
            Patcher::Eventlet
        } else {
            Patcher::Gevent
        }
    }

    /// gunicorn's worker classes that patch in the worker (`gevent`, `eventlet`).
    fn of_worker_class(class: Option<&str>) -> Option<Patcher> {
        match class? {
            "gevent" => Some(Patcher::Gevent),
            "eventlet" => Some(Patcher::Eventlet),
            _ => None,
        }
    }

    fn bit(self) -> u8 {
        match self {
            Patcher::Gevent => GEVENT,
            Patcher::Eventlet => EVENTLET,
        }
    }
}

/// Which kinds of process load a module: a bit each.
const REAL: u8 = 1;
const GEVENT: u8 = 2;
const EVENTLET: u8 = 4;

/// The loading bit of a process patched by `patcher`, or of an unpatched one.
fn bit(patcher: Option<Patcher>) -> u8 {
    patcher.map_or(REAL, Patcher::bit)
}

/// The green thread starts, and among them those that only eventlet-patched processes run.
#[derive(Default)]
pub struct GreenStarts {
    pub all: HashSet<EffectId>,
    /// eventlet does not join non-daemon green threads at exit (research report §4.3,
    /// observed on 3.11–3.13): a program whose green threads loop forever still exits.
    pub not_joined_at_exit: HashSet<EffectId>,
}

/// The thread starts that run as green threads (empty when nothing patches).
pub fn green_starts(program: &Program) -> GreenStarts {
    let patches = |site: &super::EffectSite| {
        matches!(
            site.effect,
            Effect::Other {
                kind: EffectKind::GreenThreads,
                ..
            }
        )
    };
    // gunicorn's gevent and eventlet workers patch in the worker before it imports the app.
    let green_workers = program
        .settings
        .deployments
        .iter()
        .any(|d| matches!(d.worker_class.as_deref(), Some("gevent" | "eventlet")));
    if !program.effects.iter().any(patches) && !green_workers {
        return GreenStarts::default();
    }
    let n = program.files.len();
    let mut first: Vec<Option<First>> = vec![None; n];
    let conftests: Vec<FileId> = program
        .file_ids()
        .filter(|&f| {
            program
                .file(f)
                .path
                .file_name()
                .is_some_and(|n| n == "conftest.py")
        })
        .collect();
    let mut loaded = vec![0u8; n];
    let patcher = |first: First| match first {
        First::Patches(p) => Some(p),
        _ => None,
    };
    for file in program.file_ids() {
        let pf = program.file(file);
        let test = is_test_module(&pf.path);
        let entry = pf.may_run_directly || pf.is_dunder_main || pf.role == FileRole::Script;
        if pf.library || !(test || entry) {
            continue;
        }
        let by = patcher(what_first(program, file, &mut first)).or_else(|| {
            if !test {
                return None;
            }
            conftests.iter().find_map(|&c| {
                let dir = program.file(c).path.parent()?;
                pf.path
                    .starts_with(dir)
                    .then(|| patcher(what_first(program, c, &mut first)))
                    .flatten()
            })
        });
        load(program, file, &mut loaded, bit(by));
    }
    // gunicorn's processes (`servers.rs`): the master runs the configuration file, and with
    // preload imports the app; without preload each worker imports the app, after the worker
    // class patched when it is gevent's or eventlet's.
    for r in super::servers::resolved(program) {
        let preload = matches!(r.deployment.preload, crate::deploy::Preload::On(_));
        let master = bit(super::servers::master_patcher(program, &r, preload));
        let apps = r.app.into_iter().chain(r.app_also);
        let (in_parent, in_children): (Vec<FileId>, Vec<FileId>) = apps.partition(|_| preload);
        for file in r.config.into_iter().chain(in_parent) {
            load(program, file, &mut loaded, master);
        }
        for app in in_children {
            let by = Patcher::of_worker_class(r.deployment.worker_class.as_deref())
                .or_else(|| patcher(what_first(program, app, &mut first)));
            load(program, app, &mut loaded, bit(by));
        }
    }
    let mut out = GreenStarts::default();
    for (i, site) in program.effects.iter().enumerate() {
        let mask = loaded[site.body.file().0 as usize];
        let green = mask & REAL == 0 && mask != 0;
        if green
            && matches!(&site.effect, Effect::ThreadStart { api, .. } if becomes_green(program, api))
        {
            let id = EffectId(i as u32);
            out.all.insert(id);
            if mask == EVENTLET {
                out.not_joined_at_exit.insert(id);
            }
        }
    }
    out
}

/// A thread API that monkey-patching turns green: the standard library's, which start
/// their threads through `threading` and `_thread`. A third-party library's may be native.
pub(super) fn becomes_green(program: &Program, api: &str) -> bool {
    program
        .knowledge
        .get(api)
        .is_some_and(|a| a.file == "rules/stdlib.toml")
}

/// What `file`'s top level does first: patch threads, start one, or neither.
pub(super) fn first_of(program: &Program, file: FileId) -> First {
    what_first(program, file, &mut vec![None; program.files.len()])
}

/// Whether `file`'s top level patches threads before it starts any (memoised in `memo`;
/// a module already being walked counts as doing neither, as its import returns at once).
fn what_first(program: &Program, file: FileId, memo: &mut Vec<Option<First>>) -> First {
    if let Some(known) = memo[file.0 as usize] {
        return known;
    }
    memo[file.0 as usize] = Some(First::Neither);
    let mut found = First::Neither;
    'events: for event in program.body_events[file.0 as usize].all() {
        let effects: Vec<EffectId> = match event {
            Resolved::Effect(id) => vec![*id],
            Resolved::Call(f) => program.reach(*f).to_vec(),
        };
        for id in effects {
            match &program.effect(id).effect {
                Effect::Other {
                    kind: EffectKind::GreenThreads,
                    api,
                } => {
                    found = First::Patches(Patcher::of(api));
                    break 'events;
                }
                Effect::ThreadStart { lazy: false, .. } => {
                    found = First::Threads;
                    break 'events;
                }
                Effect::Import { modules, .. } => {
                    for &m in modules {
                        match what_first(program, m, memo) {
                            First::Neither => {}
                            other => {
                                found = other;
                                break 'events;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    memo[file.0 as usize] = Some(found);
    found
}

/// Marks every module the process of entry `entry` may load: the entry, and what any code
/// of a loaded module imports (at its top level or in a function).
fn load(program: &Program, entry: FileId, loaded: &mut [u8], bit: u8) {
    let mut queue = VecDeque::from([entry]);
    while let Some(file) = queue.pop_front() {
        if loaded[file.0 as usize] & bit != 0 {
            continue;
        }
        loaded[file.0 as usize] |= bit;
        let functions = &program.fn_events[file.0 as usize];
        let events = program.body_events[file.0 as usize]
            .all()
            .iter()
            .chain((0..functions.len() as u32).flat_map(|f| functions.all(f)));
        for event in events {
            if let Resolved::Effect(id) = event
                && let Effect::Import { modules, .. } = &program.effect(*id).effect
            {
                queue.extend(modules.iter().filter(|m| loaded[m.0 as usize] & bit == 0));
            }
        }
    }
}
