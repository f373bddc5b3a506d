//! The findings of FL201 and FL202 for threads that run in a gunicorn master or a Celery
//! worker's main process when it forks its children (`program::servers`): the fork is the
//! server's, not in the project's code, so
//! the finding is at the thread start, and says which deployment file makes the master run it.

use ruff_text_size::TextRange;

use super::{thread_api, thread_trace};
use crate::deploy::{Preload, Server};
use crate::diagnostic::{Diagnostic, Location, Step};
use crate::program::servers::{MasterCode, MasterThread};
use crate::program::{Body, Program, ThreadSource, Via};
use crate::rules::Rule;
use crate::rules::import_time::{call_steps_from, function_name, module_name, snippet};

/// `Procfile:1`: a deployment file's place, root-relative as the scan found it.
fn origin(o: &crate::deploy::Origin) -> String {
    format!("{}:{}", o.path.display(), o.line)
}

/// Whether any configured platform forks (gunicorn runs on POSIX only, and Celery's prefork
/// pool spawns instead of forking on Windows).
pub fn applies(program: &Program) -> bool {
    program.fork_flow().grid.posix() != 0
}

pub fn finding(rule: &'static Rule, program: &Program, t: &MasterThread) -> Diagnostic {
    let deployment = &program.settings.deployments[t.deployment];
    let start = program.effect(t.effect);
    let src = ThreadSource {
        effect: t.effect,
        body: start.body,
        range: start.range,
        via: Via::Direct,
        definite: true,
    };
    let api = thread_api(program, &src);
    let preload = match &deployment.preload {
        Preload::On(at) => format!("preload_app is on at {}", origin(at)),
        Preload::Off => String::new(),
    };
    // How the master comes to run the start, then the chain down to it.
    let celery = deployment.server == Server::CeleryWorker;
    let (parent, children) = if celery {
        ("the Celery worker's main process", "every pool process")
    } else {
        ("the gunicorn master", "every worker")
    };
    let (why, mut trace) = match t.code {
        MasterCode::Config(file) | MasterCode::App(file) => {
            let why = match t.code {
                MasterCode::Config(_) => format!(
                    "gunicorn executes `{}` in the master (deployment at {})",
                    program.file(file).path.display(),
                    origin(&deployment.origin)
                ),
                _ if celery => format!(
                    "`celery worker` imports `{}` in its main process before it forks the \
                     prefork pool (deployment at {})",
                    module_name(program, file),
                    origin(&deployment.origin)
                ),
                _ => format!(
                    "gunicorn imports `{}` in the master ({preload})",
                    module_name(program, file)
                ),
            };
            let mut steps = thread_trace(
                program,
                &ThreadSource {
                    body: Body::Module(file),
                    range: TextRange::default(),
                    via: Via::Import(file),
                    ..src
                },
            );
            if let Some(first) = steps.first_mut() {
                first.message = why.clone();
            }
            (why, steps)
        }
        MasterCode::Factory(factory) => {
            let why = format!(
                "gunicorn calls the app factory `{}` in the master ({preload})",
                function_name(program, factory)
            );
            let def = program.summary(factory.file).functions[factory.func as usize].name_range;
            let mut steps = vec![Step {
                location: Location {
                    file: factory.file,
                    range: def,
                },
                message: why.clone(),
            }];
            steps.extend(call_steps_from(
                program,
                Body::Module(factory.file),
                def,
                factory,
                t.effect,
            ));
            steps.push(Step {
                location: Location {
                    file: start.body.file(),
                    range: start.range,
                },
                message: format!("thread started here (`{api}`)"),
            });
            (why, steps)
        }
    };
    // The finding is at the start when it is the project's code; in a dependency, at the
    // last project frame of the chain.
    let start_at = Location {
        file: start.body.file(),
        range: start.range,
    };
    let primary = if program.file(start_at.file).library {
        trace
            .iter()
            .rev()
            .find(|s| !program.file(s.location.file).library)
            .map_or(start_at.clone(), |s| s.location.clone())
    } else {
        start_at
    };
    if trace.last().is_some_and(|s| s.location == primary) {
        trace.pop();
    }
    let whose = if t.library {
        format!("a library thread (`{api}`)")
    } else {
        format!("a thread (`{api}`)")
    };
    let message = format!(
        "`{}` starts {whose} in {parent}, which forks {children} while it runs: {why}",
        snippet(program, primary.file, primary.range)
    );
    let mut notes =
        vec![if celery {
        "the prefork pool (billiard) forks its processes at start-up and again whenever one \
         exits or reaches `--max-tasks-per-child`: the thread does not exist in any pool \
         process, and a lock it holds at a fork stays locked there for good"
    } else {
        "gunicorn forks a worker at start-up and again whenever one exits, is recycled \
         (`max_requests`) or added: the thread does not exist in any worker, and a lock it \
         holds at a fork stays locked there for good"
    }
    .to_string()];
    if t.patched_too_late {
        notes.push(format!(
            "the `{}` worker monkey-patches only in the worker, after the fork: the master \
             imported the app unpatched, so this is a real OS thread (benoitc/gunicorn#2177)",
            deployment.worker_class.as_deref().unwrap_or_default()
        ));
    }
    let help = match t.code {
        _ if celery => {
            "start the thread in each pool process, from a `worker_process_init` signal \
             handler or lazily on first use; or run the worker with `--pool threads` or `solo`"
        }
        MasterCode::Config(_) => {
            "start the thread in a `post_fork(server, worker)` or `post_worker_init(worker)` \
             hook of the configuration file, which run in each worker"
        }
        _ => {
            "start the thread in each worker: from a `post_fork(server, worker)` or \
             `post_worker_init(worker)` hook in gunicorn.conf.py, or lazily on the first \
             request; or turn `preload_app` off"
        }
    };
    Diagnostic {
        code: rule.code,
        name: rule.name,
        severity: rule.severity,
        message,
        primary,
        label: if celery {
            "runs in the Celery worker's main process before each pool fork".into()
        } else {
            "runs in the gunicorn master before each worker fork".into()
        },
        trace,
        help: Some(help.into()),
        notes,
        fix: None,
        also: Vec::new(),
    }
}
