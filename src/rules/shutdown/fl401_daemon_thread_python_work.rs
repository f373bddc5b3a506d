use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::program::Program;
use crate::rules::import_time::{function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};

use super::{
    Joined, WaitPhase, Waits, diagnostic, function, project_threads, site, stopped_by_its_test,
    unreached_join_step,
};

pub static RULE: Rule = Rule {
    code: "FL401",
    name: "daemon-thread-python-work",
    family: Family::Shutdown,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A daemon thread runs a loop of Python work and will be stopped abruptly, or hang, at interpreter shutdown.",
    doc: r#"## What it does
Reports the start of a daemon thread (`daemon=True`, `t.daemon = True`, a `Thread` subclass that
sets it, `_thread.start_new_thread`) whose target or `run()` has a long loop that calls anything
(logging, `print`, `time.sleep`, `queue.get`): a `while` in the target's own body (also in
`try`/`with`) on `True`, a name, attribute or call, or `not` one (`while not stop.is_set():`).

## Why is this bad?
"Daemon threads are abruptly stopped at shutdown" (threading docs): output is lost. One taking
the GIL during finalization was killed with `pthread_exit` before 3.14; from 3.14 it hangs, which
"can result in deadlock if a later stage of finalization attempts to acquire a lock owned by the
blocked thread" (gh-87135, PR #105805). "You should avoid daemon threads" (gh-96387).

## Example
```python
def report_metrics():
    while True:
        logging.info("queue depth %d", JOBS.qsize())
        time.sleep(5)

def main():
    threading.Thread(target=report_metrics, daemon=True).start()
    serve()
```

## Use instead
```python
STOP = threading.Event()

def report_metrics():
    while not STOP.is_set():
        logging.info("queue depth %d", JOBS.qsize())
        STOP.wait(5)

def main():
    t = threading.Thread(target=report_metrics)
    t.start()
    try:
        serve()
    finally:
        STOP.set()
        t.join()
```
Or set it from `threading._register_atexit` (3.9+). Only dropping `daemon=True` blocks exit.

## When it does not apply
Non-daemon threads; daemon threads joined by code that runs (`t.join()` after setting a stop
event, in a `finally`, a `stop()` method something calls, an `atexit` handler, which runs
before daemon threads are stopped, a `logging.Handler`'s `close()`, which `logging.shutdown`
runs at exit): they end before shutdown, and the daemon flag is only a fallback. A join counts
only where it runs: in a function reached from the main flow, an import, a thread, a test
module, a signal handler or another callback passed to a library, or an exit handler
registered by code that runs, given that the thread's start runs. A `stop()` that nothing
calls stops nothing, and the finding then names it in a note; a method called on an object the
analysis cannot follow (a parameter) may be any public class's method of that name. A daemon
thread that a test module starts and whose loop's stop signal (a flag, a `None` sentinel, an
event: see FL404) code that runs sends: pytest runs the rest of the session after the test, so
the loop has ended long before exit, joined or not (in an application, a stop without a join
may come just before exit, and is reported). A target
without a loop, or with a `for` loop over a finite list; library pools (`to_thread`,
`ThreadPoolExecutor`). A loop in a function the target calls is not seen. A green thread:
after gevent's or eventlet's monkey-patching, in a process whose entry point patched before
starting any thread, a daemon "thread" is a greenlet that is simply not scheduled again at exit
(docs/how-it-works.md, *Green threads*).

## Python versions and platforms
All versions and platforms; from 3.14 the thread hangs at exit instead of being terminated.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut waited = None;
    // A green thread (gevent, eventlet) is a greenlet: at exit it is simply not scheduled
    // again, and no OS thread is left to crash or hang in finalization.
    let green = program.green_starts();
    for thread in project_threads(program).filter(|t| t.daemon && !green.contains(&t.start)) {
        // A daemon thread the program joins (after setting its stop event, in a `finally`, a
        // `stop()` method or an `atexit` handler, which runs before daemon threads are
        // stopped) ends before shutdown; the daemon flag is only a fallback.
        let Some((target, lp)) = thread.targets.iter().find_map(|t| {
            function(program, *t)
                .long_loop
                .as_ref()
                .filter(|l| l.works)
                .map(|l| (*t, l))
        }) else {
            continue;
        };
        // Asked last: it may need the value flow, the costly part of an analysis.
        let waited = waited.get_or_insert_with(|| Waits::of(program));
        let unreached_join = match waited.covers(
            program,
            thread.start,
            thread.handle,
            WaitPhase::BeforeFinalization,
        ) {
            Joined::Yes => continue,
            Joined::OnlyWhereNothingRuns(f) => Some(f),
            Joined::No => None,
        };
        if stopped_by_its_test(program, thread.start, target, lp) {
            continue;
        }
        let s = program.effect(thread.start);
        let mut d = diagnostic(
            &RULE,
            site(program, thread.start),
            format!(
                "`{}` starts a daemon thread whose target `{}` loops doing Python work until \
                 stopped: at exit it is killed mid-work (lost writes, crashes), and from 3.14 it \
                 hangs instead when it next needs the GIL",
                snippet(program, s.body.file(), s.range),
                function_name(program, target)
            ),
            "daemon thread doing Python work in a loop",
        );
        d.trace.push(crate::diagnostic::Step {
            location: Location {
                file: target.file,
                range: lp.range,
            },
            message: "the loop runs until the process ends".into(),
        });
        if let Some(f) = unreached_join {
            d.trace.push(unreached_join_step(program, f));
        }
        d.help = Some("make it a non-daemon thread with a stop `Event`, set from the main flow (`try/finally` in `main()`) or from `threading._register_atexit`, then `join()` it; changing only the daemon flag can hang the exit (FL403)".into());
        out.push(d);
    }
}
