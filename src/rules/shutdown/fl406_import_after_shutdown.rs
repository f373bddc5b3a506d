use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Body, Effect, Program};
use crate::rules::import_time::{call_steps, function_name};
use crate::rules::{Family, FixAvailability, Rule};

use super::{
    Joined, WaitPhase, Waits, diagnostic, function, project_threads, site, step,
    stopped_by_its_test,
};

pub static RULE: Rule = Rule {
    code: "FL406",
    name: "import-after-shutdown",
    family: Family::Shutdown,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A long-running daemon thread imports a module inside a function, which may happen after shutdown has begun.",
    doc: r#"## What it does
Reports a function-level `import x` or `from x import y` in the code of a daemon thread (or one
started with `_thread.start_new_thread`) whose target has a long loop (as in FL401): in the
target or in a function it calls. The finding is at the import. Such a thread usually also gets
FL401 at its start. An import in the target's own body *before* its loop is not reported: it
runs once, as the thread starts; one inside the loop, after it (late in the thread's life) or in
a function the loop calls is.

## Why is this bad?
A daemon thread may still run after shutdown has begun, and its import then runs against a
half-finalized import system: intermittent `ImportError`s or crashes at exit. The Python 2.7
threading docs: "all import attempts must be completed before the interpreter starts shutting
itself down … Daemon threads and threads created directly with the thread module will require
some other form of synchronization". The constraint still holds.

## Example
```python
def send_stats(stats):
    import json  # first run may happen during shutdown
    post(json.dumps(stats))

def heartbeat():
    while True:
        send_stats(collect())
        time.sleep(10)

def main():
    threading.Thread(target=heartbeat, daemon=True).start()
    run()
```

## Use instead
```python
import json

def send_stats(stats):
    post(json.dumps(stats))
```
Import at module top level, and prefer a non-daemon thread that is stopped and joined (FL401).
forklint does not move the import for you: that changes when the module runs (FL104).

## When it does not apply
Imports at module top level; imports at the top of the thread's target, before its loop;
non-daemon threads; daemon threads joined by code that runs, or started and stopped by a test
(the same notions as FL401's: they end before shutdown begins); a daemon target without a
loop; function-level imports in
code only the main thread runs. forklint does not know which
library functions import lazily: only import statements in project code are seen.

## Python versions and platforms
All versions and platforms.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut reported = HashSet::default();
    let mut waited = None;
    for thread in project_threads(program).filter(|t| t.daemon) {
        // A daemon thread joined by code that runs, or one a test stops, ends before
        // shutdown begins: its imports run before it (the same notions as FL401's). Asked only
        // for a thread that would be reported (the value flow is costly).
        let mut joined = None;
        for &target in thread.targets {
            let Some(long_loop) = &function(program, target).long_loop else {
                continue;
            };
            let mut ends_before_exit = || {
                *joined.get_or_insert_with(|| {
                    let waited = waited.get_or_insert_with(|| Waits::of(program));
                    matches!(
                        waited.covers(
                            program,
                            thread.start,
                            thread.handle,
                            WaitPhase::BeforeFinalization
                        ),
                        Joined::Yes
                    )
                }) || stopped_by_its_test(program, thread.start, target, long_loop)
            };
            let mut asked = None;
            for &id in program.reach(target) {
                let effect = program.effect(id);
                let Effect::Import { name, .. } = &effect.effect else {
                    continue;
                };
                // An import in the target's own body before its loop runs once, as the
                // thread starts, not at some later turn that may fall in shutdown.
                if effect.body == Body::Function(target)
                    && effect.range.end() <= long_loop.range.start()
                {
                    continue;
                }
                if *asked.get_or_insert_with(&mut ends_before_exit) || !reported.insert(id) {
                    continue;
                }
                let mut d = diagnostic(
                    &RULE,
                    site(program, id),
                    format!(
                        "`{name}` is imported inside a function on a daemon thread that loops \
                         until the process ends (`{}`): an import that runs after shutdown has \
                         begun fails or crashes (every version)",
                        function_name(program, target)
                    ),
                    "import on a daemon thread",
                );
                d.trace
                    .push(step(program, thread.start, "the daemon thread starts here"));
                d.trace.extend(call_steps(program, target, id));
                d.help = Some("import at module top level, before the thread starts; or use a non-daemon thread that is stopped and joined before exit".into());
                out.push(d);
            }
        }
    }
}
