use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Effect, Program, Resolved, SubiOp};
use crate::rules::import_time::snippet;
use crate::rules::{Family, FixAvailability, Rule};
use crate::summary::RegionKind;

use super::{bodies_with_region, body_items, diagnostic, regions_in, site, step, walk_live};

pub static RULE: Rule = Rule {
    code: "FL303",
    name: "subinterp-racy-is-running",
    family: Family::Subinterp,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "`is_running()` is used to decide what to do next, but the answer can change right after the check.",
    doc: r#"## What it does
Reports `is_running` (`_interpreters.is_running(id)`, `_xxsubinterpreters.is_running(id)`,
`interp.is_running()`) used as a condition (an `if`/`elif` test, an `assert`, an argument of a
call named `assert...` such as `self.assertTrue`) when either earlier in the same function a
dedicated thread that runs code in a subinterpreter was started with no join or `Event.wait()`
since, or the `if` body destroys or runs the interpreter
(`if not interp.is_running(): interp.close()`).

## Why is this bad?
`is_running` is a snapshot that can be stale by the next line. In bpo-37224 (gh-81405) a test
checked it right after `t.start()`; the thread had not entered the interpreter yet: "RuntimeError
not raised", later "unrecognized interpreter ID". CPython's destroy has the same gap
(gh-127041). The fix (PRs #26598, #27240) added a handshake to "make sure the thread is running
already".

## Example
```python
def test_still_running():
    interp = _xxsubinterpreters.create()
    def run():
        _xxsubinterpreters.run_string(interp, "import time\ntime.sleep(0.1)")
    t = threading.Thread(target=run)
    t.start()
    assert _xxsubinterpreters.is_running(interp)
    _xxsubinterpreters.destroy(interp)
```

## Use instead
```python
    started = threading.Event()
    def run():
        started.set()
        _xxsubinterpreters.run_string(interp, "import time\ntime.sleep(0.1)")
    t = threading.Thread(target=run)
    t.start()
    started.wait()      # a handshake, not a snapshot
    t.join()            # teardown waits for the thread
    _xxsubinterpreters.destroy(interp)
```
A message sent from inside the interpreter (a `create_queue()` queue) proves more than an event.

## When it does not apply
`is_running` passed to logging, `print` or metrics; checks inside a `while`/`for` loop (polling
as a readiness handshake); a check after an `Event.wait()`; an `if` whose body neither destroys
nor runs, with no thread started before. forklint flags the pattern; it cannot prove the race.

## Python versions and platforms
Every version with subinterpreters (3.8+), all platforms.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for body in bodies_with_region(program, RegionKind::IsRunningTest) {
        let tests: Vec<_> = regions_in(program, body, RegionKind::IsRunningTest)
            .copied()
            .collect();
        if tests.is_empty() {
            continue;
        }
        let items = body_items(program, body);
        walk_live(program, body, |item, id, live| {
            let Effect::Subinterp {
                op: SubiOp::IsRunning,
                ..
            } = &program.effect(id).effect
            else {
                return;
            };
            let Some(test) = tests.iter().find(|r| r.range.contains_range(item.range)) else {
                return;
            };
            // (b) the condition guards a destroy or a run in its body.
            let guarded = items.iter().find_map(|other| match other.resolved {
                Resolved::Effect(g) if test.body.contains_range(other.range) => {
                    match program.effect(g).effect {
                        Effect::Subinterp {
                            op: SubiOp::Destroy | SubiOp::Run,
                            ..
                        } => Some(g),
                        _ => None,
                    }
                }
                _ => None,
            });
            // (a) right after a thread that will run the interpreter was started, with no
            // handshake since. A check inside a loop is a poll (RULES.md §3 FP trap 4).
            let after_start = live.first().filter(|_| !item.conditional);
            let s = program.effect(id);
            let call = snippet(program, s.body.file(), s.range);
            let (message, trace) = if let Some(g) = guarded {
                (
                    format!(
                        "`{call}` decides whether to destroy or run the interpreter, but it can \
                         start or stop running between this check and that call"
                    ),
                    vec![step(program, g, "the call this check guards")],
                )
            } else if let Some(t) = after_start {
                (
                    format!(
                        "`{call}` is checked right after starting a thread that will run the \
                         interpreter: the thread may not have entered it yet"
                    ),
                    vec![step(
                        program,
                        t.start,
                        "the thread is started here, with no handshake before the check",
                    )],
                )
            } else {
                return;
            };
            let mut d = diagnostic(
                &RULE,
                site(program, id),
                format!(
                    "{message} (a time-of-check/time-of-use race, every version with subinterpreters)"
                ),
                "`is_running()` used as synchronisation",
            );
            d.trace = trace;
            d.help = Some("use an explicit handshake: a `threading.Event` set by the thread once it runs, or a message on an interpreter queue; for teardown, join the thread".into());
            out.push(d);
        });
    }
}
