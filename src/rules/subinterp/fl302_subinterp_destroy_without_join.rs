use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Effect, Program, SubiOp};
use crate::rules::import_time::{call_steps, snippet};
use crate::rules::{Family, FixAvailability, Rule};

use super::{bodies_with, diagnostic, site, step, walk_live};

pub static RULE: Rule = Rule {
    code: "FL302",
    name: "subinterp-destroy-without-join",
    family: Family::Subinterp,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A subinterpreter is destroyed without first joining the thread that runs code in it.",
    doc: r#"## What it does
Reports a destroy (`_interpreters.destroy`, `_xxsubinterpreters.destroy`, `interp.close()`,
also in `finally:`) in a function that earlier started a dedicated `threading.Thread` whose
target runs code in a subinterpreter, with no `t.join()` and no wait on a completion signal
(`done.wait()`, `await trio.to_thread.run_sync(t.join)`) between the start and the destroy.

## Why is this bad?
The thread may still be inside the interpreter. CPython refuses to destroy a running
interpreter (`RuntimeError: interpreter running` up to 3.12, `InterpreterError` from 3.13). If
the destroy wins the race, the thread fails with `RuntimeError: unrecognized interpreter ID N`
or `InterpreterNotFoundError` (bpo-37224 / gh-81405). An interpreter can start running during
destroy and crash (gh-127041, open); threads still alive in a subinterpreter can crash
finalization (gh-128639).

## Example
```python
import threading, _interpreters

def run_script(interp_id):
    _interpreters.run_string(interp_id, "import time; time.sleep(1)")

def main():
    interp_id = _interpreters.create()
    t = threading.Thread(target=run_script, args=(interp_id,))
    t.start()
    try:
        do_other_work()
    finally:
        _interpreters.destroy(interp_id)
```

## Use instead
```python
    finally:
        t.join()
        _interpreters.destroy(interp_id)
```
Join, then destroy. If the thread may never finish, bound the wait and report it instead of
waiting forever in a shielded scope (FL305).

## When it does not apply
A join before the destroy, also off-loaded (`await trio.to_thread.run_sync(t.join)`); an
`Event.wait()` on a completion signal before it; no such thread started; work on a pooled thread
(FL301 reports that). Only one function is checked: a start and a destroy in different functions
are not matched. Interpreter identity is not compared: any destroy after the start counts.

## Python versions and platforms
All platforms. 3.8+ with `_xxsubinterpreters`, 3.13+ with `_interpreters`, 3.14+ with
`concurrent.interpreters` (`close()`).
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let destroys = bodies_with(program, |e| {
        matches!(
            e,
            Effect::Subinterp {
                op: SubiOp::Destroy,
                ..
            }
        )
    });
    for body in destroys {
        walk_live(program, body, |_, id, live| {
            let Effect::Subinterp {
                op: SubiOp::Destroy,
                api,
                ..
            } = &program.effect(id).effect
            else {
                return;
            };
            let Some(thread) = live.first() else { return };
            let s = program.effect(id);
            let call = snippet(program, s.body.file(), s.range);
            let start = snippet(
                program,
                program.effect(thread.start).body.file(),
                program.effect(thread.start).range,
            );
            let mut d = diagnostic(
                &RULE,
                site(program, id),
                format!(
                    "`{call}` destroys a subinterpreter (`{api}`) while the thread started by \
                     `{start}` may still run in it: nothing joins that thread first \
                     (`InterpreterError: interpreter running` on 3.13+, `RuntimeError` before; \
                     crashes when it starts running during the destroy)"
                ),
                "destroyed before the thread that runs it is joined",
            );
            d.trace.push(step(
                program,
                thread.start,
                "the thread that runs the subinterpreter starts here",
            ));
            if let Some((target, run)) = thread.run {
                d.trace.extend(call_steps(program, target, run));
                d.trace.push(step(
                    program,
                    run,
                    "the thread runs the subinterpreter here",
                ));
            }
            d.help = Some("join the thread before destroying the interpreter (`t.join()`, off-loaded with `await trio.to_thread.run_sync(t.join)` in async code), with a bounded wait and error reporting rather than a shielded unbounded one".into());
            out.push(d);
        });
    }
}
