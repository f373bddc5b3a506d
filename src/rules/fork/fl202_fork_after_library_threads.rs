use crate::diagnostic::{Diagnostic, Severity};
use crate::program::Program;
use crate::rules::{Family, FixAvailability, Rule};

use super::{at_fork_files, fork_after_threads, forking_sinks};

pub static RULE: Rule = Rule {
    code: "FL202",
    name: "fork-after-library-threads",
    family: Family::Fork,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Unsafe,
    summary: "A process forks after a library call that starts threads of its own.",
    doc: concat!(
        r#"## What it does
As FL201, when the thread that may be running at the fork was started by a **library** the
project called, from the knowledge base (`rules/libraries.toml`, `rules/stdlib.toml`, entries
with `library = true`): `sentry_sdk.init()`, `pymongo.MongoClient(...)` (unless
`connect=False`), `grpc.insecure_channel`/`secure_channel`/`server`, OpenTelemetry's
`BatchSpanProcessor`, APScheduler's `BackgroundScheduler().start()`,
`logging.handlers.QueueListener.start()`, `multiprocessing.Pool()` (its handler threads) and
`multiprocessing.pool.ThreadPool()`, `multiprocessing.Queue.put` (its feeder thread),
`asyncio.to_thread` and `loop.run_in_executor`, a `ProcessPoolExecutor`'s manager thread, trio
and anyio worker threads. A separate code, so that this table can be tuned or ignored on its
own. As in FL201, the forking pool or process is recognised by its value, however it reaches
the call (a parameter, a return value, an attribute, a container element).

## Why is this bad?
The library's threads hold locks, sockets and native state; the child is forked with copies of
them in whatever state they were, and without the threads that would release them. The
libraries say so: "PyMongo is not fork-safe … MongoClient spawns multiple threads"; gRPC supports
fork only with `GRPC_ENABLE_FORK_SUPPORT=true` and `GRPC_POLL_STRATEGY=poll`; OpenTelemetry's
`BatchSpanProcessor` "is not fork-safe … spawns a thread"; Sentry's SDK "spawns several
threads" and its docs recommend forkserver or spawn.

## Example
```python
import sentry_sdk
from concurrent.futures import ProcessPoolExecutor

def main():
    sentry_sdk.init(dsn=DSN)
    with ProcessPoolExecutor() as pool:
        pool.submit(crunch, 1)  # forks after Sentry started its worker threads
```

## Use instead
```python
import multiprocessing

def main():
    sentry_sdk.init(dsn=DSN)
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(mp_context=ctx) as pool:
        pool.submit(crunch, 1)
```
Or create the client after the fork, in the child (gunicorn `post_fork`, uWSGI `@postfork`),
or lazily (`MongoClient(connect=False)`).

"#,
        start_method_fix_safety!(),
        r#"## When it does not apply
Everything listed for FL201 (which also describes the gunicorn master: a library thread
started there with `preload_app` on is FL202); later submits to the same `ProcessPoolExecutor` (its workers
were all launched at the first, gh-90622); and when a project thread is also running, FL201
reports the fork instead (one finding per fork). PyMongo 4.3+ reinitialises its client after
`os.fork` through `os.register_at_fork`; a module that registers such a hook itself gets a
warning instead of an error.

## Python versions and platforms
As FL201: POSIX only, and for `multiprocessing` starts only the cells whose start method is
fork.
"#
    ),
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mitigated = at_fork_files(program);
    for report in forking_sinks(program) {
        // Where a project thread also runs, FL201 has the fork.
        let cells = report.fork & report.library & !report.project;
        if let Some(src) = report.library_src.filter(|_| cells != 0) {
            out.push(fork_after_threads(
                &RULE, program, report, cells, &src, &mitigated, true,
            ));
        }
    }
    // Threads in a gunicorn master or a Celery worker when it forks its children (`program::servers`).
    if super::servers::applies(program) {
        for t in crate::program::servers::master_threads(program)
            .iter()
            .filter(|t| t.library)
        {
            out.push(super::servers::finding(&RULE, program, t));
        }
    }
}
