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
    /// Patches threads before any thread starts.
    Patches,
    /// Starts a thread (or imports a module that does) first.
    Threads,
    /// Neither.
    Neither,
}

/// The thread starts that run as green threads (empty when nothing patches).
pub fn green_starts(program: &Program) -> HashSet<EffectId> {
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
        return HashSet::default();
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
    let mut loaded_green = vec![false; n];
    let mut loaded_real = vec![false; n];
    for file in program.file_ids() {
        let pf = program.file(file);
        let test = is_test_module(&pf.path);
        let entry = pf.may_run_directly || pf.is_dunder_main || pf.role == FileRole::Script;
        if pf.library || !(test || entry) {
            continue;
        }
        let patched = what_first(program, file, &mut first) == First::Patches
            || test
                && conftests.iter().any(|&c| {
                    let dir = program.file(c).path.parent();
                    dir.is_some_and(|d| pf.path.starts_with(d))
                        && what_first(program, c, &mut first) == First::Patches
                });
        let loaded = if patched {
            &mut loaded_green
        } else {
            &mut loaded_real
        };
        load(program, file, loaded);
    }
    // gunicorn's processes (`gunicorn.rs`): the master runs the configuration file, and with
    // preload imports the app; without preload each worker imports the app, after the worker
    // class patched when it is gevent's or eventlet's.
    for r in super::gunicorn::resolved(program) {
        let preload = matches!(r.deployment.preload, crate::deploy::Preload::On(_));
        let master = if super::gunicorn::master_patched(program, &r, preload) {
            &mut loaded_green
        } else {
            &mut loaded_real
        };
        for file in r.config.into_iter().chain(r.app.filter(|_| preload)) {
            load(program, file, master);
        }
        if let Some(app) = r.app.filter(|_| !preload) {
            let patched = matches!(
                r.deployment.worker_class.as_deref(),
                Some("gevent" | "eventlet")
            ) || what_first(program, app, &mut first) == First::Patches;
            load(
                program,
                app,
                if patched {
                    &mut loaded_green
                } else {
                    &mut loaded_real
                },
            );
        }
    }
    program
        .effects
        .iter()
        .enumerate()
        .filter(|(_, site)| {
            let file = site.body.file().0 as usize;
            loaded_green[file]
                && !loaded_real[file]
                && matches!(&site.effect, Effect::ThreadStart { api, .. } if becomes_green(program, api))
        })
        .map(|(i, _)| EffectId(i as u32))
        .collect()
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
                    ..
                } => {
                    found = First::Patches;
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
fn load(program: &Program, entry: FileId, loaded: &mut [bool]) {
    let mut queue = VecDeque::from([entry]);
    while let Some(file) = queue.pop_front() {
        if std::mem::replace(&mut loaded[file.0 as usize], true) {
            continue;
        }
        let functions = &program.fn_events[file.0 as usize];
        let events = program.body_events[file.0 as usize]
            .all()
            .iter()
            .chain((0..functions.len() as u32).flat_map(|f| functions.all(f)));
        for event in events {
            if let Resolved::Effect(id) = event
                && let Effect::Import { modules, .. } = &program.effect(*id).effect
            {
                queue.extend(modules.iter().filter(|m| !loaded[m.0 as usize]));
            }
        }
    }
}
