use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::program::{Body, Effect, EffectId, FnRef, ObjId, Program, Resolved};
use crate::rules::import_time::{function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};
use crate::summary::LongLoop;

use super::{
    Exits, Joined, StopSent, WaitPhase, Waits, describe_stops, diagnostic, function,
    project_threads, site, step, stop_sent, unreached_join_step,
};

pub static RULE: Rule = Rule {
    code: "FL404",
    name: "thread-never-joined",
    family: Family::Shutdown,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A non-daemon thread that loops forever is never joined or stopped, so the program cannot exit.",
    doc: r#"## What it does
Reports the start of a non-daemon thread started by project code whose handle is discarded
(`threading.Thread(target=f).start()`) or never joined (`t = Thread(...)`, `t.start()`, no
`t.join()` in code that runs), when its target loops forever: a `while True:` with no `break`
and no `return` inside it; a loop whose every way out is a stop signal that no code that runs
sends (`while self.running:` or `if not self.running: return` where only an uncalled
`stop()` clears `running`; `item = self.q.get()` … `if item is None: break` where nothing that
runs puts `None` on `q`; `while not self._stop.is_set():` where nothing that runs sets that
event, matched by object through the value flow when it follows the event, else by name); or a
`threading.Timer` callback that starts the next Timer every
time. A join or a stop signal counts only where it runs, given that the thread's start runs
(see FL401); a join in an `atexit` handler comes too late (threads are joined first), and a
store in `__init__` initialises the flag before the thread exists.

## Why is this bad?
"The entire Python program exits when no alive non-daemon threads are left" (threading docs).
At exit the interpreter joins every non-daemon thread; this one never ends, so the program
does not exit after `main()` returns.

## Example
```python
def poll_config():
    while True:
        reload_config()
        time.sleep(30)

def main():
    threading.Thread(target=poll_config).start()
    serve_until_done()
```

## Use instead
```python
STOP = threading.Event()

def poll_config():
    while not STOP.is_set():
        reload_config()
        STOP.wait(30)

def main():
    t = threading.Thread(target=poll_config)
    t.start()
    try:
        serve_until_done()
    finally:
        STOP.set()
        t.join()
```
Or make it a deliberate daemon thread (then FL401 applies).

## When it does not apply
A green thread of eventlet (after `eventlet.monkey_patch()` in every process that runs it):
eventlet does not join non-daemon green threads at exit, so they do not keep it from ending.
gevent's green threads are joined like threads, and are reported.

Joined threads (`t.join()` in `finally:` of `main()`, `self._t.join()` in a `stop()` method);
daemon threads; executor threads (`with ThreadPoolExecutor() as ex:`); a `threading.Timer`
that fires once. A Timer whose callback starts the next Timer on every path of its body
(itself or through calls) runs forever, as `while True:` does, and is reported at the first
start; one that re-arms only under a test (`if not self._stopped:`) or whose re-armed Timer is
`cancel()`ed somewhere is not. A never-joined thread whose target ends on its own, or whose
loop ends on a test other than an attribute flag, a `None` sentinel or an event (a call, a
count), is not reported: the program still exits, or forklint cannot tell. A stop sent only
by an `atexit` handler is FL403's finding.

## Python versions and platforms
All versions and platforms.
"#,
    check,
};

/// Why a thread's target runs forever: a `while True:` loop, or a Timer callback that starts
/// the next Timer.
enum Forever<'p> {
    Loop(&'p LongLoop),
    /// A loop whose every way out is a stop signal that no code that runs sends, or that
    /// only code run when an object is collected sends (`Some` of that function).
    Unstopped(&'p LongLoop, Option<FnRef>),
    Rearms(EffectId),
}

const TIMER_START: &str = "threading.Timer.start";

/// The start of a non-daemon Timer that the callback `target` makes on every path of its
/// body, itself or through calls it makes on every path: the Timer re-arms forever, as a
/// `while True:` loop runs forever. Not when the re-armed Timer is ever cancelled (its
/// objects are among `cancelled`).
fn rearming_start(
    program: &Program,
    target: FnRef,
    cancelled: &mut Option<HashSet<ObjId>>,
) -> Option<EffectId> {
    let mut stack = vec![target];
    let mut seen = HashSet::default();
    while let Some(f) = stack.pop() {
        if !seen.insert(f) {
            continue;
        }
        for (_, flags, resolved) in program.fn_events[f.file.0 as usize].with_flags(f.func) {
            if flags.conditional() {
                continue;
            }
            for r in resolved {
                match *r {
                    Resolved::Effect(id) => {
                        if let Effect::ThreadStart { api, daemon, .. } = &program.effect(id).effect
                            && api == TIMER_START
                            && *daemon != Some(true)
                            && !is_cancelled(program, id, cancelled)
                        {
                            return Some(id);
                        }
                    }
                    Resolved::Call(g) => stack.push(g),
                }
            }
        }
    }
    None
}

/// Whether some code calls `cancel()` on the Timer that `start` starts. The objects
/// `cancel()` is called on are collected once, on first use, into `cancelled`.
fn is_cancelled(
    program: &Program,
    start: EffectId,
    cancelled: &mut Option<HashSet<ObjId>>,
) -> bool {
    let started = program.effect_objects(start);
    if started.is_empty() {
        return false;
    }
    let cancelled = cancelled.get_or_insert_with(|| {
        program
            .points_to()
            .method_calls()
            .iter()
            .filter(|(method, _, _)| method.ends_with(".cancel"))
            .map(|(_, o, _)| *o)
            .collect()
    });
    started.iter().any(|o| cancelled.contains(o))
}

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut waited = None;
    let mut cancelled = None;
    // eventlet does not join its non-daemon green threads at exit: they end the program.
    let not_joined = program.green_not_joined_at_exit();
    for thread in project_threads(program).filter(|t| !t.daemon && !not_joined.contains(&t.start)) {
        let is_timer = matches!(
            &program.effect(thread.start).effect,
            Effect::ThreadStart { api, .. } if api == TIMER_START
        );
        let Some((target, forever)) = thread.targets.iter().find_map(|&t| {
            if let Some(l) = function(program, t).long_loop.as_ref() {
                if l.forever {
                    return Some((t, Forever::Loop(l)));
                }
                match stop_sent(program, thread.start, t, l, Exits::All) {
                    Some(StopSent::Never) => return Some((t, Forever::Unstopped(l, None))),
                    Some(StopSent::OnlyWhenCollected(Body::Function(f))) => {
                        return Some((t, Forever::Unstopped(l, Some(f))));
                    }
                    _ => {}
                }
            }
            is_timer
                .then(|| rearming_start(program, t, &mut cancelled))
                .flatten()
                .map(|id| (t, Forever::Rearms(id)))
        }) else {
            continue;
        };
        // The re-arming start inside the callback is the same chain as the start that
        // began it: reported once, at that first start.
        if let Forever::Rearms(id) = forever
            && id == thread.start
            && program.effects.iter().enumerate().any(|(i, e)| {
                i != thread.start.0 as usize
                    && matches!(&e.effect, Effect::ThreadStart { api, targets, .. }
                        if api == TIMER_START && targets.contains(&target))
            })
        {
            continue;
        }
        // Joined where it runs before `threading._shutdown` joins it itself: a join in an
        // `atexit` handler comes too late.
        let waited = waited.get_or_insert_with(|| Waits::of(program));
        let unreached_join =
            match waited.covers(program, thread.start, thread.handle, WaitPhase::BeforeExit) {
                Joined::Yes => continue,
                Joined::OnlyWhereNothingRuns(f) => Some(f),
                Joined::No => None,
            };
        let s = program.effect(thread.start);
        let what = match &forever {
            Forever::Loop(_) => "loops forever".to_string(),
            Forever::Unstopped(lp, None) => format!(
                "loops until {}, which no code that runs does",
                describe_stops(&lp.stops)
            ),
            Forever::Unstopped(lp, Some(f)) => format!(
                "loops until {}, which only `{}` does, and that runs only when an object is \
                 garbage-collected (`__del__`, `IOBase.__del__`'s `close()`): one still \
                 referenced at exit (a global, a traceback) never is",
                describe_stops(&lp.stops),
                function_name(program, *f)
            ),
            Forever::Rearms(_) => "starts the next Timer every time it runs".to_string(),
        };
        let mut d = diagnostic(
            &RULE,
            site(program, thread.start),
            format!(
                "`{}` starts a non-daemon thread that is never joined and whose target `{}` \
                 {what}: the interpreter waits for it at exit, so the program never ends (every version)",
                snippet(program, s.body.file(), s.range),
                function_name(program, target)
            ),
            "thread that keeps the process alive",
        );
        d.trace.push(match &forever {
            Forever::Loop(lp) => crate::diagnostic::Step {
                location: Location {
                    file: target.file,
                    range: lp.range,
                },
                message: "`while True:` with no `break` or `return`".into(),
            },
            Forever::Unstopped(lp, collected) => crate::diagnostic::Step {
                location: Location {
                    file: target.file,
                    range: lp.range,
                },
                message: if collected.is_some() {
                    "every way out of this loop waits for a stop signal that only code run \
                     when an object is collected sends"
                } else {
                    "every way out of this loop waits for a stop signal that nothing reached \
                     from the main flow, an import, a thread or a test sends"
                }
                .into(),
            },
            Forever::Rearms(id) => step(
                program,
                *id,
                "the callback starts the next Timer here, on every path".to_string(),
            ),
        });
        if let Some(f) = unreached_join {
            d.trace.push(unreached_join_step(program, f));
        }
        d.help = Some(match forever {
            Forever::Loop(_) => "give the loop a stop `Event` checked each turn, set it from the main flow and `join()` the thread; or make it a deliberate daemon thread (then see FL401)",
            Forever::Unstopped(..) => "send the stop from code that runs before exit: call the stop method in a `finally` of `main()` or a context manager's `__exit__`, or register it with `threading._register_atexit` (an `atexit` handler runs only after this thread is joined)",
            Forever::Rearms(_) => "keep the pending Timer on an object, re-arm only while a stop flag is unset, and on shutdown set the flag and `cancel()` the Timer from the main flow",
        }.into());
        out.push(d);
    }
}
