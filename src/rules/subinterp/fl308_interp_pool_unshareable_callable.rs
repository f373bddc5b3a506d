use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Effect, EffectId, FileRole, HandoffKind, Program};
use crate::rules::import_time::{function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};

use super::{diagnostic, site};

pub static RULE: Rule = Rule {
    code: "FL308",
    name: "interp-pool-unshareable-callable",
    family: Family::Subinterp,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "`InterpreterPoolExecutor` is given a lambda, closure, bound method or `__main__` function, which cannot be sent to its workers.",
    doc: r#"## What it does
Reports `InterpreterPoolExecutor().submit(fn, ...)`, `.map(fn, ...)` and
`InterpreterPoolExecutor(initializer=fn)` where `fn` is a lambda, a function nested in another
function (a closure), a bound method (`obj.method`, `self.method`), or a function defined in
the entry script: a module with an `if __name__ == "__main__":` guard, a shebang, or named
`__main__.py`. The finding is at the `submit`/`map` call, or at the constructor for
`initializer=`.

## Why is this bad?
Each worker runs the function in its own isolated interpreter, so the function is sent there
by reference and must be importable by that interpreter. The `concurrent.futures` docs: "Functions
defined in the `__main__` module cannot be pickled and thus cannot be used". Lambdas and nested
functions cannot be pickled either, and a bound method pickles its object, whatever it holds.
The task fails at run time with a pickling error or `NotShareableError`.

## Example
```python
# main.py
import sys
from concurrent.futures import InterpreterPoolExecutor

def checksum(path):
    with open(path, "rb") as f:
        return hash(f.read())

if __name__ == "__main__":
    with InterpreterPoolExecutor() as pool:
        print(list(pool.map(checksum, sys.argv[1:])))
```

## Use instead
```python
# main.py
import sys
from concurrent.futures import InterpreterPoolExecutor
from tasks import checksum  # a module-level function in an importable module

if __name__ == "__main__":
    with InterpreterPoolExecutor() as pool:
        print(list(pool.map(checksum, sys.argv[1:])))
```

## When it does not apply
A module-level function of an importable module without a main guard (`tasks.py` imported by
`main.py`); a `functools.partial` of such a function; `ThreadPoolExecutor().submit(lambda: ...)`;
`ProcessPoolExecutor` (other rules). Values given in `shared=` are not checked.

## Python versions and platforms
3.14+ (`concurrent.futures.InterpreterPoolExecutor`), all platforms; the same constraint holds
for the PyPI backport.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for (i, s) in program.effects.iter().enumerate() {
        let Effect::Handoff {
            api,
            to: HandoffKind::Subinterpreter,
            targets,
            ..
        } = &s.effect
        else {
            continue;
        };
        if !program.knowledge.get(api).is_some_and(|a| a.pickles_target) {
            continue;
        }
        for &t in targets {
            let f = &program.summary(t.file).functions[t.func as usize];
            let file = program.file(t.file);
            let why = if f.code_string {
                continue;
            } else if f.qualname.contains("<lambda>") {
                "a lambda, which cannot be pickled"
            } else if f.qualname.contains("<locals>") {
                "a nested function, which cannot be pickled"
            } else if f.class.is_some() {
                "a method, which pickles its object along with it"
            } else if file.role == FileRole::Script || file.can_be_entry || file.is_dunder_main {
                "defined in a script that runs as `__main__`, whose functions cannot be pickled"
            } else {
                continue;
            };
            let mut d = diagnostic(
                &RULE,
                site(program, EffectId(i as u32)),
                format!(
                    "`{}` hands `{}` to an interpreter pool (`{api}`), but it is {why} \
                     (3.14+ and the backports)",
                    snippet(program, s.body.file(), s.range),
                    function_name(program, t)
                ),
                "callable the worker interpreter cannot receive",
            );
            d.help = Some(
                "move the function to the top level of an importable module and pass that".into(),
            );
            out.push(d);
        }
    }
}
