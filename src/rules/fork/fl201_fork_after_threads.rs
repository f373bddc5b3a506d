use crate::diagnostic::{Diagnostic, Severity};
use crate::program::Program;
use crate::rules::{Family, FixAvailability, Rule};

use super::{at_fork_files, fork_after_threads, forking_sinks};

pub static RULE: Rule = Rule {
    code: "FL201",
    name: "fork-after-threads",
    family: Family::Fork,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Unsafe,
    summary: "A process forks while a thread started by project code may be running.",
    doc: concat!(
        r#"## What it does
Reports a fork reached while another thread may be running, where that thread was started by
the project's own code. The fork is `os.fork()`, `os.forkpty()`, `pty.fork()`, `pty.spawn()`,
`os.spawn*()`, or a `multiprocessing` start whose start method is **fork** on some configured
(version, platform) cell: `Process.start()`, `Pool()`, `Manager()`, `ProcessPoolExecutor`
`submit`/`map`. The thread may be running when, earlier on the same flow:

- the same function started it (`threading.Thread(...).start()`, a `Thread` subclass,
  `_thread.start_new_thread`, `ThreadPoolExecutor.submit`/`map`) and has not joined it;
- a function called earlier started it and returned without joining it — across functions
  and modules: `main()` calls `start_metrics()`, then `run_jobs()`, which creates `Pool()`;
- a project module imported earlier starts it at import time;
- or the code runs as a thread's target.

A **gunicorn master** forks too, outside the project's code: at start-up and whenever a worker
exits or is recycled. A thread that `gunicorn.conf.py`'s top level starts, or, with
`preload_app` (`--preload`), the app module's import or the app factory starts, runs in the
master at every such fork. forklint reads the deployment from Procfiles, Dockerfiles, compose
files, scripts and the configuration file (docs/how-it-works.md, *gunicorn and Celery
workers*), and reports the thread start, naming the file and line that turn preload on. A
**Celery worker** with the default `prefork` pool is the same: its main process imports the
app (`-A proj`) and then forks the pool's processes.

The pool, process or executor is recognised by its value, however it reaches the call: a
local, a global, a parameter (`def write_all(executor, items): executor.map(...)` called with a
`ProcessPoolExecutor()`), a function's return value, an attribute set in another method
(`self._executor` stored in `__init__`), or an element of a list or dict (`for p in procs:
p.start()`). Its start method travels with it: a pool made with
`mp_context=multiprocessing.get_context("spawn")` does not fork wherever it is used.

Order matters: a fork before the first thread start is fine. A thread joined (`t.join()`), or
a `with ThreadPoolExecutor() as ex:` block that has ended, no longer counts; so does a thread
joined by a function called before the fork (`service.stop()` joining `self._thread`, a helper
joining each thread of a list passed to it). The finding is at
the fork, with both chains: where the thread was started, and how the flow reached the fork.

## Why is this bad?
"It has never been safe to mix threading with `os.fork()` on POSIX platforms" (os docs): the
child is a copy of the parent with only the forking thread. Every lock another thread held at
that instant — in `logging`, in your code, in `malloc` — stays locked forever in the child. The
child hangs at random: the classic demonstration (a thread and a `Process` both logging) hangs
about one run in twelve. Python 3.12+ detects this at run time and warns: `DeprecationWarning:
This process (pid=N) is multi-threaded, use of fork() may lead to deadlocks in the child.`

## Example
```python
import logging, threading, multiprocessing

def work(who):
    logging.info("I am %s", who)

def main():
    threading.Thread(target=work, args=("thread",)).start()
    multiprocessing.Process(target=work, args=("process",)).start()  # forks a threaded process
```

## Use instead
```python
def main():
    ctx = multiprocessing.get_context("forkserver")  # or "spawn"
    ctx.Process(target=work, args=("process",)).start()
    threading.Thread(target=work, args=("thread",)).start()
```
In order of preference: fork (create pools and processes) before starting any thread; use a
`forkserver` or `spawn` context (`get_context(...)`, `mp_context=` for `ProcessPoolExecutor`);
to run another program use `subprocess` or `os.posix_spawn`. Reinitialising your own locks in
`os.register_at_fork(after_in_child=...)` is only a partial mitigation, and private calls such as
`logging._releaseLock()` are not a fix.

"#,
        start_method_fix_safety!(),
        r#"## When it does not apply
- The fork happens before any thread start on every path (a daemonizing `os.fork()` at the
  top of `main()`).
- The start method is spawn or forkserver: `get_context("spawn"|"forkserver")`, `mp_context=`,
  an earlier `set_start_method(...)` on the flow, `ProcessPoolExecutor(max_tasks_per_child=N)`
  without `mp_context` (spawn), the macOS default (3.8+), Windows, and the Linux default from
  3.14 (forkserver; see FL208).
- `subprocess` without `preexec_fn`, `os.system`, `os.popen`, `os.posix_spawn`: no Python runs
  in the child (FL203 covers `preexec_fn`).
- `multiprocessing.dummy` (threads, not processes).
- Code under `if sys.platform == "win32":` (no fork there).
- When the thread comes from a library (`sentry_sdk.init`, `MongoClient`, a `Pool`'s handler
  threads), FL202 reports it instead.
- A green thread: after gevent's `monkey.patch_all()` or eventlet's `monkey_patch()`, called
  before any thread starts in every process that runs the code, `threading` starts greenlets,
  which a fork does not orphan (docs/how-it-works.md, *Green threads*).
- gunicorn without `preload_app`: each worker imports the app after its fork. A thread
  started in a `post_fork` or `post_worker_init` hook runs in the worker, not the master. A
  gunicorn master patched by gevent or eventlet first (in the configuration file, or at the top
  of the preloaded app) has green threads; a library that starts its threads on first use
  (`lazy`) is not taken to have started them in the master.
- A thread that an `os.register_at_fork(before=...)` hook joins, itself or through the
  functions it calls: the hook runs before every fork, so the thread is never running at one
  (a server that stops its thread before forking and restarts it in `after_in_parent`). The
  join must name the thread object the start does: a module global or an attribute of `self`.

With `os.register_at_fork(after_in_child=...)` in the module that starts the thread, the
finding is a warning instead of an error, and its note lists what the hooks cannot fix. Hooks
given only as `before=` or `after_in_parent=` do not lower it.

Limits: threads started by native code (BLAS, gRPC core) are invisible to forklint; a thread
created by a pool's constructor is not matched with the pool's later `join()`; the import-time
flow of a module imported from a threaded program is analysed on its own.

## Python versions and platforms
POSIX only (no Windows cells). For `multiprocessing` starts, only the cells where the start
method is fork: Linux and other POSIX up to 3.13 by default, macOS only with an explicit fork
context (or before 3.8), any POSIX platform with `get_context("fork")`. The run-time warning
exists from 3.12. A finding that holds on only some of the configured cells says which.
"#
    ),
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mitigated = at_fork_files(program);
    for report in forking_sinks(program) {
        let cells = report.fork & report.project;
        if let Some(src) = report.project_src.filter(|_| cells != 0) {
            out.push(fork_after_threads(
                &RULE, program, report, cells, &src, &mitigated, false,
            ));
        }
    }
    // Threads in a gunicorn master or a Celery worker when it forks its children (`program::servers`).
    if super::servers::applies(program) {
        for t in crate::program::servers::master_threads(program)
            .iter()
            .filter(|t| !t.library)
        {
            out.push(super::servers::finding(&RULE, program, t));
        }
    }
}
