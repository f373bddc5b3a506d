use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Effect, EffectId, Program, SubiOp};
use crate::rules::import_time::snippet;
use crate::rules::{Family, FixAvailability, Rule};

use super::{diagnostic, site};

pub static RULE: Rule = Rule {
    code: "FL309",
    name: "subinterp-legacy-shared-gil",
    family: Family::Subinterp,
    severity: Severity::Info,
    default_enabled: false,
    fix: FixAvailability::Display,
    summary: "A legacy subinterpreter is created, which shares the main GIL and relaxes the isolated-interpreter restrictions.",
    doc: r#"## What it does
Reports the creation of a legacy subinterpreter, which shares the main interpreter's GIL:
`_interpreters.create('legacy')`, `_interpreters.create(config='legacy')`,
`_xxsubinterpreters.create(isolated=False)` and
`test.support.interpreters.create(isolated=False)`. The rule is advisory (info) and not enabled
by default: enable it with `--extend-select FL309`.

## Why is this bad?
It is not a bug, but it is easy to miss what the config changes. Since 3.12 an isolated
interpreter has its own GIL (PEP 684); a legacy one shares the main GIL, so code in it gets no
parallelism with the main interpreter, and a busy legacy interpreter can starve the parent's
event loop. The legacy config also relaxes what isolated interpreters refuse (exec and
subprocess, daemon threads), so FL306 reports less for it. Projects choose it on purpose when an
extension lacks PEP 684 support: tractor uses `_interpreters.create('legacy')` because `msgspec`
does not support it (tractor PR #446).

## Example
```python
import _interpreters

def start_worker(code):
    interp_id = _interpreters.create('legacy')
    _interpreters.exec(interp_id, code)
    return interp_id
```

## Use instead
```python
import _interpreters

def start_worker(code):
    interp_id = _interpreters.create()  # isolated: its own GIL
    _interpreters.exec(interp_id, code)
    return interp_id
```
Keep the legacy config when an extension you need does not support isolated interpreters, and
say so in a comment or a `# noqa: FL309`.

## When it does not apply
`_interpreters.create()`, `_interpreters.create('isolated')` and
`concurrent.interpreters.create()` (isolated by default). Nothing is reported unless the rule
is selected.

## Python versions and platforms
3.12+, where isolated interpreters get their own GIL; before 3.12 every subinterpreter shares
the main GIL. All platforms.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for (i, s) in program.effects.iter().enumerate() {
        let Effect::Subinterp {
            op: SubiOp::Create,
            legacy: true,
            ..
        } = &s.effect
        else {
            continue;
        };
        let mut d = diagnostic(
            &RULE,
            site(program, EffectId(i as u32)),
            format!(
                "`{}` creates a legacy interpreter: it shares the main GIL (no parallelism, \
                 3.12+) and allows the exec, subprocesses and daemon threads that \
                 isolated interpreters refuse",
                snippet(program, s.body.file(), s.range)
            ),
            "legacy (shared-GIL) subinterpreter",
        );
        d.help = Some(
            "prefer an isolated interpreter once every extension it imports supports PEP 684"
                .into(),
        );
        out.push(d);
    }
}
