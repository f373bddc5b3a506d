use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::EffectKind;
use crate::program::{Effect, EffectId, HandoffKind, Program, Resolved, SubiOp};
use crate::rules::import_time::snippet;
use crate::rules::{Family, FixAvailability, Rule};
use crate::summary::RegionKind;

use super::{bodies_with_region, body_items, diagnostic, regions_in, step};

pub static RULE: Rule = Rule {
    code: "FL305",
    name: "shielded-unbounded-teardown",
    family: Family::Subinterp,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A shielded cancel scope encloses a wait with no timeout, so Ctrl-C cannot interrupt a hung teardown.",
    doc: r#"## What it does
Reports `with trio.CancelScope(shield=True):` or `with anyio.CancelScope(shield=True):` whose
body contains an unbounded wait and no `move_on_after`/`fail_after` scope (trio or anyio). The
waits are: `await trio.to_thread.run_sync(t.join)` or `anyio.to_thread.run_sync(t.join)` (a
join with no timeout), `_interpreters.destroy(...)`, `interp.close()`, and `event.wait()` with
no timeout on a `threading.Event` or `trio.Event`. Also `await asyncio.shield(x)` where `x` is
such a wait (`asyncio.shield(asyncio.to_thread(t.join))`).

## Why is this bad?
A shield blocks cancellation, including the one Ctrl-C causes. If the thread or interpreter
never finishes, nothing can interrupt the wait and teardown hangs. tractor's subinterpreter
backend (the write-up behind tractor PR #446): "`trio.CancelScope(shield=True)` wrapping the
`finally` block absorbs Ctrl-C, so even when the user tries to break out they can't".

## Example
```python
async def teardown(t, interp_id):
    with trio.CancelScope(shield=True):
        await trio.to_thread.run_sync(t.join)
        _interpreters.destroy(interp_id)
```

## Use instead
```python
async def teardown(t, interp_id):
    with trio.CancelScope(shield=True):
        with trio.move_on_after(HARD_KILL_TIMEOUT):
            await trio.to_thread.run_sync(t.join, abandon_on_cancel=True)
    if t.is_alive():
        log.error("subinterpreter %s did not exit; not destroying it", interp_id)
    else:
        _interpreters.destroy(interp_id)
```
Bound the shielded wait, then escalate (log, abandon). `abandon_on_cancel=True` lets the
deadline interrupt `to_thread.run_sync`; without it the call cannot be cancelled.

## When it does not apply
A shield with a `move_on_after`/`fail_after` inside; `trio.CancelScope()` without `shield`;
`t.join(timeout=5)` or `t.join(5)`; a shielded block with only bounded work (`await trio.sleep(0)`,
a log call); `trio.move_on_after(5, shield=True)`, bounded by its own deadline. The body of the
shielded block is read; a wait inside a function called from it may be missed.

## Python versions and platforms
Any version and platform (trio, anyio, asyncio).
"#,
    check,
};

/// A wait that ends only when something else happens: a join or event wait without a
/// timeout, a join handed to a pool, a subinterpreter destroy.
fn unbounded(program: &Program, id: EffectId) -> bool {
    match &program.effect(id).effect {
        Effect::ThreadWait { bounded, .. } => !bounded,
        Effect::Subinterp {
            op: SubiOp::Destroy,
            ..
        } => true,
        Effect::Handoff {
            to: HandoffKind::PooledThread,
            known: Some(api),
            ..
        } => program
            .knowledge
            .get(api)
            .is_some_and(|a| a.has(EffectKind::ThreadWait)),
        _ => false,
    }
}

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for body in bodies_with_region(program, RegionKind::Shield) {
        let shields: Vec<_> = regions_in(program, body, RegionKind::Shield)
            .copied()
            .collect();
        if shields.is_empty() {
            continue;
        }
        let deadlines: Vec<_> = regions_in(program, body, RegionKind::Deadline)
            .copied()
            .collect();
        let items = body_items(program, body);
        for shield in shields {
            // A deadline inside the shield, or around it, bounds the wait.
            if deadlines
                .iter()
                .any(|d| shield.body.contains_range(d.range) || d.body.contains_range(shield.range))
            {
                continue;
            }
            let wait = items.iter().find_map(|item| {
                if !shield.body.contains_range(item.range) {
                    return None;
                }
                match item.resolved {
                    Resolved::Effect(id) if unbounded(program, id) => Some(id),
                    Resolved::Call(f) => program
                        .call_reach(body, item.event, f)
                        .iter()
                        .copied()
                        .find(|id| {
                            matches!(
                                program.effect(*id).effect,
                                Effect::Subinterp {
                                    op: SubiOp::Destroy,
                                    ..
                                }
                            )
                        }),
                    _ => None,
                }
            });
            let Some(wait) = wait else { continue };
            let (file, _) = match body {
                crate::program::Body::Module(f) => (f, None),
                crate::program::Body::Function(f) => (f.file, Some(f)),
            };
            let shield_text = snippet(program, file, shield.range);
            let mut d = diagnostic(
                &RULE,
                crate::diagnostic::Location {
                    file,
                    range: shield.range,
                },
                format!(
                    "`{shield_text}` shields a wait that has no bound: if it never ends, \
                     teardown hangs and Ctrl-C cannot interrupt it (any Python version)"
                ),
                "shielded, unbounded wait",
            );
            d.trace
                .push(step(program, wait, "this wait has no timeout"));
            d.help = Some("bound the shielded wait (`with trio.move_on_after(timeout):` inside the shield, `join(timeout)`), then escalate: log, abandon the thread, or raise".into());
            out.push(d);
        }
    }
}
