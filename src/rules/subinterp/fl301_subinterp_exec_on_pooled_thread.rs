use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::EffectKind;
use crate::program::{Effect, EffectId, HandoffKind, Program};
use crate::rules::import_time::{call_steps, function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};

use super::{diagnostic, runs_subinterp, site, step};

pub static RULE: Rule = Rule {
    code: "FL301",
    name: "subinterp-exec-on-pooled-thread",
    family: Family::Subinterp,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "Code is run in a subinterpreter on a pooled thread that is reused after the call, which can block the interpreter's destroy forever.",
    doc: r#"## What it does
Reports a call that hands work to a pooled-thread API (`trio.to_thread.run_sync`,
`asyncio.to_thread`, `ThreadPoolExecutor.submit`, ...; see [subinterp.md](../subinterp.md)) when
the work runs code in a subinterpreter (`_interpreters.exec`, `interp.exec`, ...): passed
directly, in a `functools.partial` or a lambda, or in a project function that reaches such a
call through its callees, across modules. The callable and the pool API's receiver are
recognised by their values: `loop.run_in_executor(None, sandbox.run, code)` with `sandbox` a
parameter (or an attribute, or a container element) holding an object whose `run` method runs
an interpreter. `loop.run_in_executor(None, ...)` uses the loop's default executor, a
`ThreadPoolExecutor`.

## Why is this bad?
Running code in an interpreter "involves switching to an interpreter (in the current thread)"
(`concurrent.interpreters` docs), and a pool keeps that thread for later tasks. tractor PR #446
(3.14): "trio's thread cache recycles workers and leaves the subint tstate attached — blocking
`_interpreters.destroy()` in teardown", a hang; with `abandon_on_cancel=True`, `destroy` fails
with "interpreter running". (The CPython mechanism is unconfirmed.)

## Example
```python
import trio, _interpreters

async def run_in_subint(code):
    interp_id = _interpreters.create()
    try:
        await trio.to_thread.run_sync(_interpreters.exec, interp_id, code)
    finally:
        _interpreters.destroy(interp_id)
```

## Use instead
```python
def _run(interp_id, code):
    _interpreters.exec(interp_id, code)

async def run_in_subint(code):
    interp_id = _interpreters.create()
    t = threading.Thread(target=_run, args=(interp_id, code), daemon=False)
    t.start()
    try:
        await trio.to_thread.run_sync(t.join)  # the pooled thread only waits
    finally:
        _interpreters.destroy(interp_id)
```
Or use `interp.call_in_thread(fn)` or `InterpreterPoolExecutor`.

## When it does not apply
`interp.call_in_thread(fn)` (a new thread per call); `InterpreterPoolExecutor().submit(fn)`;
`anyio.to_interpreter.run_sync(fn)` (the library owns the pattern); a pooled thread that only
waits for a dedicated one (`trio.to_thread.run_sync(t.join)`); pooled work that never runs a
subinterpreter; `exec` on a dedicated `threading.Thread` (FL302 checks its teardown).

## Python versions and platforms
All platforms; from 3.8 (`_xxsubinterpreters`), in practice 3.12+; the hang was seen on 3.14.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for (i, s) in program.effects.iter().enumerate() {
        let Effect::Handoff {
            api,
            to: HandoffKind::PooledThread,
            targets,
            known,
        } = &s.effect
        else {
            continue;
        };
        // An API that runs its callable in a subinterpreter itself owns the pattern
        // (`anyio.to_interpreter.run_sync`, `InterpreterPoolExecutor.submit`): RULES.md §3
        // FP traps 1 and 6.
        if program
            .knowledge
            .get(api)
            .is_some_and(|a| a.subinterp_target)
        {
            continue;
        }
        let id = EffectId(i as u32);
        let call = snippet(program, s.body.file(), s.range);
        let direct = known.as_deref().filter(|k| {
            program
                .knowledge
                .get(k)
                .is_some_and(|a| a.has(EffectKind::SubinterpRun))
        });
        let (what, trace) = if let Some(k) = direct {
            (format!("`{k}`"), Vec::new())
        } else if let Some((t, run)) = targets
            .iter()
            .find_map(|t| runs_subinterp(program, *t).map(|r| (*t, r)))
        {
            let mut trace = call_steps(program, t, run);
            trace.push(step(
                program,
                run,
                "the subinterpreter runs here, on the pool's thread",
            ));
            (
                format!(
                    "`{}`, which runs a subinterpreter,",
                    function_name(program, t)
                ),
                trace,
            )
        } else {
            continue;
        };
        let mut d = diagnostic(
            &RULE,
            site(program, id),
            format!(
                "`{call}` runs {what} on a pooled thread (`{api}`): the reused thread keeps the \
                 subinterpreter's thread state, and destroying the interpreter can hang \
                 (3.12+; observed on 3.14)"
            ),
            "subinterpreter run handed to a thread pool",
        );
        d.trace = trace;
        d.help = Some("run the interpreter on a dedicated `threading.Thread` (or `interp.call_in_thread()`), report completion back to the event loop, and join that thread before destroying the interpreter".into());
        out.push(d);
    }
}
