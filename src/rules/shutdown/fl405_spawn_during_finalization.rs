use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::SpawnKind;
use crate::program::{Effect, EffectId, Program};
use crate::rules::import_time::{call_steps, function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};

use super::{diagnostic, finalizers, site, step};

pub static RULE: Rule = Rule {
    code: "FL405",
    name: "spawn-during-finalization",
    family: Family::Shutdown,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A thread, fork or `multiprocessing` process is started from an `atexit` handler, `__del__` or `weakref.finalize` callback, where shutdown refuses it.",
    doc: r#"## What it does
Reports a thread start, `os.fork()`, `subprocess.*(preexec_fn=...)` or a `multiprocessing`
start inside a finalizer, directly or through calls: a function registered with
`atexit.register` (or `@atexit.register`), a `weakref.finalize` callback, a `__del__`
method, or the public `close()`/`flush()` of a `logging.Handler` subclass (`logging.shutdown`,
registered with `atexit` by `logging`, calls them on every handler still alive). The finding
is at the spawning call. A call that certainly skips the spawn does not count: a `close()`
that sets `self._closed = True` and then calls `self._flush()`, which re-arms its Timer only
`if not self._closed:`.

## Why is this bad?
By the time finalizers run the interpreter is shutting down, and it refuses new threads and
forks. 3.12 raises `RuntimeError: can't create new thread at interpreter shutdown` (and
`can't fork at interpreter shutdown`, gh-104690); gh-116677 relaxed this to "not until all
non-daemon threads exit"; 3.13+ raises `PythonFinalizationError` (gh-114570). Starting threads
from `atexit` is still disputed (gh-113964, open PR #116982), and the exact phase differs
between 3.12.x and 3.13. On earlier versions it may work or fail unpredictably.

## Example
```python
@atexit.register
def upload_logs_on_exit():
    t = threading.Thread(target=upload_logs)
    t.start()
    t.join(timeout=10)
```

## Use instead
```python
@atexit.register
def upload_logs_on_exit():
    upload_logs()  # on the exiting thread, no new thread
```
Better, do the work from the main flow before `main()` returns.

## When it does not apply
The same calls in a `threading._register_atexit` hook (it runs before shutdown proper); plain
`subprocess.run([...])` without `preexec_fn` (no Python runs in the child; it is not refused);
handlers that only log or flush; threads started in `main()`; a handler's `close()` that
marks the handler closed before the last flush that would otherwise re-arm a Timer.

## Python versions and platforms
3.12+ (refused); earlier versions: unreliable. `os.fork` and `preexec_fn`: POSIX only.
"#,
    check,
};

/// What a finalizer must not start, if `id` is one.
fn spawn_kind(program: &Program, id: EffectId) -> Option<&'static str> {
    match &program.effect(id).effect {
        Effect::ThreadStart { .. } => Some("starts a thread"),
        Effect::ProcessSpawn {
            kind: SpawnKind::Fork,
            ..
        } => Some("forks"),
        Effect::ProcessSpawn {
            kind: SpawnKind::Multiprocessing,
            ..
        } => Some("starts a multiprocessing process"),
        Effect::ProcessSpawn {
            preexec_fn: true, ..
        } => Some("runs a subprocess with `preexec_fn`"),
        _ => None,
    }
}

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut reported = HashSet::default();
    for fin in finalizers(program) {
        for &id in program.reach(fin.func) {
            let Some(what) = spawn_kind(program, id) else {
                continue;
            };
            if !reported.insert(id) {
                continue;
            }
            let s = program.effect(id);
            let mut d = diagnostic(
                &RULE,
                site(program, id),
                format!(
                    "`{}` {what} while the interpreter is shutting down (it runs in `{}`, a \
                     finalizer): refused from 3.12 (`RuntimeError: can't create new thread at \
                     interpreter shutdown`; `PythonFinalizationError` on 3.13+), unreliable before",
                    snippet(program, s.body.file(), s.range),
                    function_name(program, fin.func)
                ),
                "started during finalization",
            );
            if let Some(reg) = fin.registered {
                d.trace.push(step(
                    program,
                    reg,
                    format!(
                        "`{}` is registered to run at exit here",
                        function_name(program, fin.func)
                    ),
                ));
            }
            if fin.by_logging_shutdown {
                d.notes.push(format!(
                    "`logging.shutdown`, registered with `atexit` by `logging`, calls `{}` on \
                     every handler still alive at exit",
                    function_name(program, fin.func)
                ));
            }
            d.trace.extend(call_steps(program, fin.func, id));
            d.help = Some("do this work before shutdown, from the main flow (or from a `threading._register_atexit` hook, which runs before threads are joined)".into());
            out.push(d);
        }
    }
}
