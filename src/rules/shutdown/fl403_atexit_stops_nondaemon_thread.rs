use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::program::{Body, Effect, EffectId, Phase, Program};
use crate::rules::import_time::{function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};
use crate::summary::Handle;

use super::{
    Exits, StopSent, describe_stops, diagnostic, finalizers, function, project_threads, site, step,
    stop_sent,
};

pub static RULE: Rule = Rule {
    code: "FL403",
    name: "atexit-stops-nondaemon-thread",
    family: Family::Shutdown,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A non-daemon thread is stopped only from an `atexit` handler, which runs after the thread is joined, so the process hangs at exit.",
    doc: r#"## What it does
Reports the start of a non-daemon thread whose target loops until an event is set
(`while not STOP.is_set():`, `STOP.wait()`) when every `STOP.set()` in the project is in a
finalizer (an `atexit.register`/`@atexit.register` function, a `weakref.finalize` callback, a
`__del__`) or in functions only they call. Events: `threading.Event`, `trio.Event`,
`asyncio.Event`, module-level or `self._stop`. Also such a loop in a `ThreadPoolExecutor` task.
The same for a thread whose loop ends only on an attribute flag (`while self.running:`, `if
not self.running: return`) or a `None` sentinel read from a queue, when the only code that
clears the flag or puts the sentinel runs from an exit handler (see FL404 for these stop
signals).

## Why is this bad?
At exit CPython joins every non-daemon thread (`threading._shutdown`) before it runs `atexit`
handlers, so the handler that would stop the thread never runs and the process hangs
(Opentrons PR #12970; gh-126168, gh-86128). `ThreadPoolExecutor` workers are non-daemon (3.9+).

## Example
```python
STOP = threading.Event()

def worker():
    while not STOP.is_set():
        flush_metrics()
        STOP.wait(1)

def stop_worker(t):
    STOP.set()
    t.join()

def main():
    t = threading.Thread(target=worker)
    t.start()
    atexit.register(stop_worker, t)  # runs after t is joined: never
    serve()
```

## Use instead
```python
def main():
    t = threading.Thread(target=worker)
    t.start()
    threading._register_atexit(stop_worker, t)  # runs before the join
    serve()
```
Or stop it from the main flow (`try`/`finally`). The hook is private (3.9+; see gh-126168).

## When it does not apply
A green thread of eventlet (after `eventlet.monkey_patch()` in every process that runs it):
eventlet does not join non-daemon green threads at exit, so the exit handlers run.

The event is also set by code that runs before exit (`try`/`finally` in `main()`, a function
it calls, a thread, a test, a signal handler); a setter in a function nothing calls (a public
`stop()` no path reaches) does not count. The stop is registered with
`threading._register_atexit`; daemon threads (FL401); `atexit`
handlers that only flush or close. A stop sent from `__del__` (or the `close()` that
`IOBase.__del__` runs) runs when its object is collected, which may be before exit: FL404
reports that case when nothing else sends the stop. Other stops (`.close()` on a socket, a
call) are not modelled: such threads are not reported.

## Python versions and platforms
All Python 3 versions and platforms; `ThreadPoolExecutor` tasks from 3.9.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    // eventlet's green threads are not joined at exit (docs/how-it-works.md, *Green
    // threads*): the exit handlers run and stop them. Counted as reported, they are skipped.
    let mut reported: HashSet<EffectId> =
        program.green_not_joined_at_exit().iter().copied().collect();
    stopped_by_event_handles(program, out, &mut reported);
    stopped_by_loop_signals(program, out, &mut reported);
}

/// A non-daemon thread (or pool task) waiting on an event whose every `set()` that the
/// summaries name by handle runs only at exit.
fn stopped_by_event_handles(
    program: &Program,
    out: &mut Vec<Diagnostic>,
    reported: &mut HashSet<EffectId>,
) {
    // Events set somewhere: (handle → the sites that set it).
    let mut sets: Vec<((FileId, Handle), EffectId)> = Vec::new();
    for (i, s) in program.effects.iter().enumerate() {
        if let Effect::EventOp {
            set: true,
            handle: Some(h),
        } = &s.effect
        {
            sets.push((*h, EffectId(i as u32)));
        }
    }
    if sets.is_empty() {
        return;
    }
    let finals = finalizers(program);
    if finals.is_empty() {
        return;
    }
    for (i, s) in program.effects.iter().enumerate() {
        // A non-daemon thread of the project, or a task of a pool whose workers are
        // non-daemon (`ThreadPoolExecutor`, 3.9+).
        let (targets, start) = match &s.effect {
            Effect::ThreadStart {
                daemon: Some(false) | None,
                targets,
                library: false,
                ..
            } => (targets, EffectId(i as u32)),
            _ => continue,
        };
        for &t in targets {
            // The events the thread waits on or loops on.
            let waits: Vec<(FileId, Handle)> = program
                .reach(t)
                .iter()
                .filter_map(|id| match &program.effect(*id).effect {
                    Effect::EventOp {
                        set: false,
                        handle: Some(h),
                    }
                    | Effect::ThreadWait {
                        handle: Some(h), ..
                    } => Some(*h),
                    _ => None,
                })
                .collect();
            for h in waits {
                let setters: Vec<EffectId> = sets
                    .iter()
                    .filter(|(sh, _)| *sh == h)
                    .map(|(_, id)| *id)
                    .collect();
                if setters.is_empty() {
                    continue;
                }
                // A setter counts where it runs before exit: called on a path from the main
                // flow, an import, a thread or a test, not merely defined (a public `stop()`
                // nobody calls sets nothing).
                let only_at_exit = setters.iter().all(|id| {
                    !program.runs_given(s.body, program.effect(*id).body, Phase::BeforeExit)
                });
                if !only_at_exit || !reported.insert(start) {
                    continue;
                }
                let setter = setters[0];
                let fin = match program.effect(setter).body {
                    Body::Function(f) => finals
                        .iter()
                        .find(|x| x.func == f || !program.call_path(x.func, setter).is_empty()),
                    Body::Module(_) => None,
                };
                let mut d = diagnostic(
                    &RULE,
                    site(program, start),
                    format!(
                        "`{}` starts a non-daemon thread (`{}`) that stops only when an event is \
                         set, and only an `atexit` handler or finalizer sets it: non-daemon \
                         threads are joined before `atexit` handlers run, so the process hangs \
                         at exit (every Python 3 version; `ThreadPoolExecutor` workers from 3.9)",
                        snippet(program, s.body.file(), s.range),
                        function_name(program, t)
                    ),
                    "stopped only from a handler that runs after it is joined",
                );
                d.trace.push(step(
                    program,
                    setter,
                    "the only stop signal, set during finalization",
                ));
                if let Some(reg) = fin.and_then(|f| f.registered) {
                    d.trace
                        .push(step(program, reg, "registered to run at exit here"));
                }
                d.help = Some("stop the thread from the main flow (`try/finally` in `main()`, a context manager), or register the stop with `threading._register_atexit`, which runs before threads are joined".into());
                out.push(d);
                break;
            }
        }
    }
}

/// A non-daemon thread whose long loop ends only on stop signals ([`stop_sent`]: a flag, a
/// `None` sentinel, an event the value flow follows) that only code run at exit sends.
fn stopped_by_loop_signals(
    program: &Program,
    out: &mut Vec<Diagnostic>,
    reported: &mut HashSet<EffectId>,
) {
    for thread in project_threads(program).filter(|t| !t.daemon) {
        if reported.contains(&thread.start) {
            continue;
        }
        for &target in thread.targets {
            let Some(lp) = &function(program, target).long_loop else {
                continue;
            };
            let Some(StopSent::OnlyAtExit(sender)) =
                stop_sent(program, thread.start, target, lp, Exits::All)
            else {
                continue;
            };
            reported.insert(thread.start);
            let s = program.effect(thread.start);
            let mut d = diagnostic(
                &RULE,
                site(program, thread.start),
                format!(
                    "`{}` starts a non-daemon thread (`{}`) that loops until {}, and only code \
                     run at exit (an `atexit` handler or finalizer) does that: non-daemon \
                     threads are joined before `atexit` handlers run, so the process hangs at \
                     exit (every Python 3 version)",
                    snippet(program, s.body.file(), s.range),
                    function_name(program, target),
                    describe_stops(&lp.stops)
                ),
                "stopped only from a handler that runs after it is joined",
            );
            if let Body::Function(f) = sender {
                d.trace.push(crate::diagnostic::Step {
                    location: crate::diagnostic::Location {
                        file: f.file,
                        range: function(program, f).name_range,
                    },
                    message: format!(
                        "`{}` sends the stop, and runs only at exit",
                        function_name(program, f)
                    ),
                });
            }
            d.help = Some("stop the thread from the main flow (`try/finally` in `main()`, a context manager), or register the stop with `threading._register_atexit`, which runs before threads are joined".into());
            out.push(d);
            break;
        }
    }
}
