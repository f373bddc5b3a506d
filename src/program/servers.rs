//! Servers that fork their workers from a process that has loaded the project's code: what of
//! that code runs in the forking parent.
//!
//! **gunicorn.** The master executes the configuration file (`gunicorn.conf.py` or `-c FILE`),
//! and, with `preload_app` (`--preload`), imports the app module (and calls an app factory)
//! before it forks the first worker (`arbiter.py:163-164` at 26.1.0: `if self.cfg.preload_app:
//! self.app.wsgi()`). It forks again whenever a worker dies, is recycled (`max_requests`) or is
//! added (TTIN). Without preload, the app is imported in each worker after its fork.
//!
//! **Celery.** `celery -A proj worker` imports the app module in the worker's main process, and
//! the default `prefork` pool (billiard) then forks the pool's children, and forks a
//! replacement whenever one exits or reaches `--max-tasks-per-child`. Other pools (`solo`,
//! `threads`, `gevent`, `eventlet`) do not fork. For `-A proj` naming a package, Celery also
//! looks in `proj.celery`, the usual home of the app: both are taken as loaded.
//!
//! So a thread that this code starts is running in the parent at every fork: it does not exist
//! in any child, and a lock it holds at a fork stays locked there (RULES.md §2; the research
//! behind this is `rules/research/gevent-eventlet-gunicorn.md` §5). Which deployments there
//! are is read from the project's Procfiles, Dockerfiles, compose files, scripts and
//! configuration file (`deploy.rs`).

use rustc_hash::FxHashSet as HashSet;

use super::{EffectId, FnRef, Program, Target, green};
use crate::deploy::{Deployment, Preload};
use crate::diagnostic::FileId;
use crate::program::Effect;

/// What of a deployment runs in the forking parent (gunicorn's master, a Celery worker's main
/// process).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MasterCode {
    /// The configuration file's top level (always executed in the master).
    Config(FileId),
    /// The app module's import (gunicorn with preload; a Celery prefork worker).
    App(FileId),
    /// The preloaded app factory (`svc.app:create_app()`), called in the master.
    Factory(FnRef),
}

/// A thread started in the forking parent, before it forks its children.
#[derive(Clone, Copy, Debug)]
pub struct MasterThread {
    /// The deployment, an index into `settings.deployments`.
    pub deployment: usize,
    pub code: MasterCode,
    /// The thread start.
    pub effect: EffectId,
    /// Started by a library (FL202) rather than the project's own code (FL201).
    pub library: bool,
    /// The master is not monkey-patched, but the workers are (gunicorn's gevent or eventlet
    /// worker class patches in the worker, after the fork): the app's threads are real.
    pub patched_too_late: bool,
}

/// The project's gunicorn deployments, with their files found in the program.
pub struct Resolved<'a> {
    pub deployment: &'a Deployment,
    pub config: Option<FileId>,
    pub app: Option<FileId>,
    /// Another module the parent loads as the app: `proj.celery` for Celery's `-A proj`.
    pub app_also: Option<FileId>,
    pub factory: Option<FnRef>,
}

/// Each deployment, with its configuration file, app module and factory found in the program
/// (each `None` when it is not a project file: then it contributes nothing).
pub fn resolved(program: &Program) -> Vec<Resolved<'_>> {
    program
        .settings
        .deployments
        .iter()
        .map(|deployment| {
            let config = deployment.config_file.as_ref().and_then(|path| {
                program
                    .file_ids()
                    .find(|&f| crate::discover::absolute(&program.file(f).path) == *path)
            });
            let app = deployment
                .app
                .as_ref()
                .and_then(|spec| app_module(program, &spec.module, deployment.chdir.as_deref()));
            let factory = deployment
                .app
                .as_ref()
                .filter(|s| s.factory)
                .and_then(|spec| {
                    let module = program.summary(app?).module.as_str();
                    match program.resolve_qual(&format!("{module}.{}", spec.attr)) {
                        Target::Function(f) => Some(f),
                        _ => None,
                    }
                });
            let app_also = match deployment.server {
                crate::deploy::Server::CeleryWorker => deployment.app.as_ref().and_then(|spec| {
                    app_module(
                        program,
                        &format!("{}.celery", spec.module),
                        deployment.chdir.as_deref(),
                    )
                }),
                crate::deploy::Server::Gunicorn => None,
            };
            Resolved {
                deployment,
                config,
                app,
                app_also,
                factory,
            }
        })
        .collect()
}

/// The project module gunicorn imports as the app: the name as written, or, after a relative
/// `--chdir DIR` (which gunicorn puts first on `sys.path`), the same name below `DIR`.
fn app_module(program: &Program, module: &str, chdir: Option<&str>) -> Option<FileId> {
    if let Some(file) = program.module(module) {
        return Some(file);
    }
    let dir = chdir?.trim_start_matches("./").trim_end_matches('/');
    if dir.is_empty() || dir.starts_with('/') {
        return None;
    }
    let parts: Vec<&str> = dir.split('/').collect();
    if !parts.iter().all(|p| crate::discover::is_identifier(p)) {
        return None;
    }
    program.module(&format!("{}.{module}", parts.join(".")))
}

/// The threads started in the gunicorn master of some deployment, before it forks: one per
/// thread start, from the first deployment that runs it.
pub fn master_threads(program: &Program) -> Vec<MasterThread> {
    let flow = program.fork_flow();
    let mut out: Vec<MasterThread> = Vec::new();
    let mut seen: HashSet<EffectId> = HashSet::default();
    for (index, r) in resolved(program).iter().enumerate() {
        let preload = matches!(r.deployment.preload, Preload::On(_));
        let patched = master_patcher(program, r, preload).is_some();
        let green_worker = matches!(
            r.deployment.worker_class.as_deref(),
            Some("gevent" | "eventlet")
        );
        let mut push = |code: MasterCode, effect: EffectId, library: bool| {
            // A library that starts its threads on first use (`lazy`) has not, as far as
            // anything shows, when the master forks.
            let lazy = matches!(
                program.effect(effect).effect,
                Effect::ThreadStart { lazy: true, .. }
            );
            let skip = lazy
                || patched
                    && matches!(&program.effect(effect).effect, Effect::ThreadStart { api, .. }
                    if green::becomes_green(program, api));
            if !skip && seen.insert(effect) {
                out.push(MasterThread {
                    deployment: index,
                    code,
                    effect,
                    library,
                    patched_too_late: green_worker && !patched,
                });
            }
        };
        if let Some(config) = r.config
            && let Some(t) = flow.import_thread(config)
        {
            push(MasterCode::Config(config), t.effect, t.library);
        }
        if !preload {
            continue;
        }
        for app in r.app.into_iter().chain(r.app_also) {
            if let Some(t) = flow.import_thread(app) {
                push(MasterCode::App(app), t.effect, t.library);
            }
        }
        if let Some(factory) = r.factory {
            let start = program.reach(factory).iter().copied().find(|&id| {
                matches!(
                    program.effect(id).effect,
                    Effect::ThreadStart { lazy: false, .. }
                ) && !flow.quiesced(id)
            });
            if let Some(id) = start {
                let library = matches!(
                    program.effect(id).effect,
                    Effect::ThreadStart { library: true, .. }
                );
                push(MasterCode::Factory(factory), id, library);
            }
        }
    }
    out
}

/// The library that monkey-patches the master before it starts any thread, if one does: the
/// configuration file patches first, or (with preload, and a configuration file that starts
/// no thread first) the app module's import does.
pub fn master_patcher(
    program: &Program,
    r: &Resolved<'_>,
    preload: bool,
) -> Option<green::Patcher> {
    match r.config.map(|c| green::first_of(program, c)) {
        Some(green::First::Patches(p)) => Some(p),
        Some(green::First::Threads) => None,
        _ if preload => match r.app.map(|a| green::first_of(program, a)) {
            Some(green::First::Patches(p)) => Some(p),
            _ => None,
        },
        _ => None,
    }
}
