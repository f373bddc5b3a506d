use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::EffectKind;
use crate::program::{Effect, EffectId, FnRef, HandoffKind, Program};
use crate::rules::import_time::{call_steps, function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};
use crate::summary::RegionKind;

use super::{diagnostic, inside_region, root_steps, site, step, subinterp_roots};

pub static RULE: Rule = Rule {
    code: "FL304",
    name: "subinterp-signal-handler",
    family: Family::Subinterp,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A signal handler is installed in a subinterpreter or on a non-main thread, where Python refuses it.",
    doc: r#"## What it does
Reports `signal.signal`, `signal.set_wakeup_fd`, `loop.add_signal_handler`, and
`trio`/`anyio` `open_signal_receiver` in subinterpreter code (a literal code string given to
`exec`/`run_string`, reported on the line inside the string; a function given to `interp.call`,
`call_in_thread`, `_interpreters.call` or `InterpreterPoolExecutor`) or on a non-main thread (a
thread target, an executor or `to_thread` callable), including the functions these call.

## Why is this bad?
The signal docs ("Signals and threads"): "Python signal handlers are always executed in the main
Python thread of the main interpreter … only the main thread of the main interpreter is allowed
to set a new signal handler". Elsewhere the call raises `ValueError: signal only works in main
thread of the main interpreter`. SIGINT never reaches subinterpreter code (tractor's subint
backend, tractor PR #446): install handlers in the main interpreter and forward cancellation.

## Example
```python
from concurrent import interpreters

def main():
    interp = interpreters.create()
    interp.exec("""
import signal, sys, worker
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
worker.serve()
""")
```

## Use instead
```python
import signal
from concurrent import interpreters
from worker import serve     # def serve(stop): while stop.empty(): handle_one()

def main():
    stop = interpreters.create_queue()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.put(True))
    interp = interpreters.create()
    t = interp.call_in_thread(serve, stop)
    t.join()
    interp.close()
```

## When it does not apply
Calls under `if threading.current_thread() is threading.main_thread():` (or `==`) or
`if interpreters.get_current() == interpreters.get_main():`, in the `else`/`elif` of the negated
test, or after an early exit off the main thread (`if threading.current_thread() is not
threading.main_thread(): return`, `raise`, or `yield` then `return` in a context manager) in the
same block; calls in `main()` or at module
level; code strings built at run time (f-strings, parameters, calls) or imported from another
module (a module constant bound to a literal is read as that literal). Not reported: reliance on
`KeyboardInterrupt` in a subinterpreter; the top level of modules that such code imports.

## Python versions and platforms
All versions and platforms (`loop.add_signal_handler` exists only on POSIX).
"#,
    check,
};

fn is_signal(program: &Program, id: EffectId) -> bool {
    matches!(
        program.effect(id).effect,
        Effect::Other {
            kind: EffectKind::SignalInstall,
            ..
        }
    )
}

/// Under `if current_thread() is main_thread():`, at the effect or at a call on the way to
/// it (RULES.md §3 FP trap 5).
fn guarded(program: &Program, from: FnRef, id: EffectId) -> bool {
    inside_region(program, id, RegionKind::MainThreadOnly)
        || program.call_path(from, id).iter().any(|step| {
            program
                .summary(step.caller.file)
                .regions
                .iter()
                .any(|r| r.kind == RegionKind::MainThreadOnly && r.body.contains_range(step.range))
        })
}

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut reported = HashSet::default();
    // Code run in a subinterpreter.
    for root in subinterp_roots(program) {
        for &id in program.reach(root.func) {
            if !is_signal(program, id) || guarded(program, root.func, id) || !reported.insert(id) {
                continue;
            }
            let s = program.effect(id);
            let mut d = diagnostic(
                &RULE,
                site(program, id),
                format!(
                    "`{}` installs a signal handler in code that runs in a subinterpreter: only \
                     the main thread of the main interpreter may (`ValueError`, every version)",
                    snippet(program, s.body.file(), s.range)
                ),
                "signal handler outside the main interpreter",
            );
            d.trace = root_steps(program, &root, id);
            d.help = Some(HELP.into());
            out.push(d);
        }
    }
    // Code run on a thread other than the main thread.
    for (i, s) in program.effects.iter().enumerate() {
        let targets = match &s.effect {
            Effect::ThreadStart { targets, .. } => targets,
            Effect::Handoff {
                to: HandoffKind::PooledThread,
                targets,
                ..
            } => targets,
            _ => continue,
        };
        for &t in targets {
            for &id in program.reach(t) {
                if !is_signal(program, id) || guarded(program, t, id) || !reported.insert(id) {
                    continue;
                }
                let site_of = program.effect(id);
                let mut d = diagnostic(
                    &RULE,
                    site(program, id),
                    format!(
                        "`{}` installs a signal handler on a thread other than the main thread \
                         (`ValueError: signal only works in main thread of the main \
                         interpreter`, every version)",
                        snippet(program, site_of.body.file(), site_of.range)
                    ),
                    "signal handler off the main thread",
                );
                d.trace.push(step(
                    program,
                    EffectId(i as u32),
                    format!(
                        "`{}` runs on another thread from here",
                        function_name(program, t)
                    ),
                ));
                d.trace.extend(call_steps(program, t, id));
                d.help = Some(HELP.into());
                out.push(d);
            }
        }
    }
}

const HELP: &str = "install handlers in the main thread of the main interpreter and forward cancellation to the worker through a queue or a flag";
