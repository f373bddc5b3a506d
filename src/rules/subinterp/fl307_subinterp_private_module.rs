use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::{ApiKind, EffectKind};
use crate::program::{Effect, EffectId, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{diagnostic, site};

pub static RULE: Rule = Rule {
    code: "FL307",
    name: "subinterp-private-module",
    family: Family::Subinterp,
    severity: Severity::Info,
    default_enabled: false,
    fix: FixAvailability::Display,
    summary: "A private subinterpreter module is imported whose name and API change between Python versions.",
    doc: r#"## What it does
Reports imports of the private subinterpreter modules: `import _xxsubinterpreters` (also
`import _xxsubinterpreters as interpreters`), `import _interpreters`, `import _interpqueues`,
`import _interpchannels`, `from test.support import interpreters` and
`import test.support.interpreters`. The rule is advisory and not enabled by default: enable it
with `--extend-select FL307`.

## Why is this bad?
These modules are internal and change between versions. `_xxsubinterpreters` is gone on 3.13+
(`ModuleNotFoundError`; renamed `_interpreters`, gh-117791) and, like `test.support`, may be
missing from distribution builds. `_xxsubinterpreters.run_string` raised `RunFailedError`;
`_interpreters.exec` returns an exception description instead (gh-113021). 3.13's native
`_interpreters.call` takes no arguments and returns nothing (aisk/backports.interpreters PR #4).
Errors moved from `RuntimeError` to `InterpreterError`.

## Example
```python
import _xxsubinterpreters as interpreters

def run(code):
    interp = interpreters.create()
    try:
        interpreters.run_string(interp, code)
    finally:
        interpreters.destroy(interp)
```

## Use instead
```python
try:
    from concurrent import interpreters  # 3.14+
except ImportError:
    from interpreters_backports import interpreters  # PyPI interpreters-pep-734

def run(code):
    interp = interpreters.create()
    try:
        interp.exec(code)  # raises interpreters.ExecutionFailed
    finally:
        interp.close()
```
The backport covers 3.13 (3.12 with `interpreters-3-12`); no automatic rename (the API differs).

## When it does not apply
`from concurrent import interpreters`, `import concurrent.interpreters`,
`from interpreters_backports import interpreters`; any import when the rule is not selected.

## Python versions and platforms
All platforms. `_xxsubinterpreters`: 3.8–3.12; `_interpreters`, `_interpqueues` and
`_interpchannels`: 3.13+; `test.support.interpreters`: 3.12–3.13; `concurrent.interpreters`: 3.14+.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for (i, s) in program.effects.iter().enumerate() {
        let Effect::Import { name, also, .. } = &s.effect else {
            continue;
        };
        for module in std::iter::once(name).chain(also) {
            let private = program
                .knowledge
                .get(module)
                .is_some_and(|a| a.kind == ApiKind::Module && a.has(EffectKind::PrivateModule));
            if !private {
                continue;
            }
            let mut d = diagnostic(
                &RULE,
                site(program, EffectId(i as u32)),
                format!(
                    "`{module}` is a private CPython module whose API changes between releases \
                     (`_xxsubinterpreters` is gone from 3.13; `_interpreters` changed again in \
                     3.14)"
                ),
                "private subinterpreter module",
            );
            d.help = Some("use `concurrent.interpreters` on 3.14+, falling back to `interpreters_backports.interpreters` (PyPI `interpreters-pep-734`) on 3.13, and 3.12 with `interpreters-3-12`".into());
            out.push(d);
        }
    }
}
