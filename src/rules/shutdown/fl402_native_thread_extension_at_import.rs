use crate::diagnostic::{Diagnostic, FileId, Location, Severity, Step};
use crate::knowledge::{ApiKind, EffectKind};
use crate::program::{Effect, EffectId, Program};
use crate::rules::import_time::display_path;
use crate::rules::{Family, FixAvailability, Rule};
use crate::summary::NativeInit;

use super::{diagnostic, site};

pub static RULE: Rule = Rule {
    code: "FL402",
    name: "native-thread-extension-at-import",
    family: Family::Shutdown,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "An imported extension starts native threads at import that call back into Python and can crash at exit.",
    doc: r#"## What it does
Reports an import (`import name`, `import pkg.name`, `from pkg import name`) of an extension
module that starts native threads at import which call back into Python. forklint knows such a
module from:
- a knowledge file entry (the built-in list is empty):
  `[[api]]`, `name = "fastwatch"`, `kind = "module"`, `effects = ["native-thread-at-import"]`;
- the project's own native sources: a Rust `#[pymodule]` function (module name: the function
  name or `#[pyo3(name = "...")]`) that calls `std::thread::spawn`/`thread::spawn` with a
  closure that calls `Python::with_gil` or `Python::attach`; or a C/C++ (`.c`, `.cc`, `.cpp`, `.cxx`)
  `PyInit_<name>` that calls `pthread_create` on a thread function that calls `PyGILState_Ensure`
  (anywhere in the file when the function is not found there).

## Why is this bad?
The native thread keeps taking the GIL while the interpreter shuts down. 3.14.0a7 segfaulted in
`_PyThreadState_Attach` for a PyO3 module like this (gh-132948). `PyGILState_Ensure` after
finalization was fixed (gh-131185, PR #132510), but concurrent use during finalization is still
reported crashing on 3.14.x (gh-124619, open): intermittent segfaults or hangs at exit.

## Example
```rust
#[pymodule]
fn ticker(m: &Bound<'_, PyModule>) -> PyResult<()> {
    std::thread::spawn(|| loop { Python::with_gil(|_py| {}); });
    Ok(())
}
```
```python
import ticker
```

## Use instead
```python
import ticker  # init starts nothing; start() and stop() are #[pyfunction]s

def main():
    ticker.start()
    try:
        run()
    finally:
        ticker.stop()  # signals the native thread and joins it
```
Or stop it from `threading._register_atexit(ticker.stop)` (private, 3.9+). Native code should
not loop on `PyGILState_Ensure` without bound (PEP 788, a proposal).

## When it does not apply
A module init that spawns no thread; a spawned thread that never takes the GIL; a thread
spawned in a `#[pyfunction]` rather than module init; native code outside the project (add a
knowledge entry for it). The source scan is a heuristic.

## Python versions and platforms
All versions and platforms; crashes reported on 3.14.0a7 (gh-132948) and 3.14.x (gh-124619).
"#,
    check,
};

/// The native source that defines extension `module` with a thread at init, if any.
fn native_init<'p>(program: &'p Program, module: &str) -> Option<(FileId, &'p NativeInit)> {
    program.file_ids().find_map(|f| {
        program
            .summary(f)
            .native
            .iter()
            .flatten()
            .find(|n| n.module == module)
            .map(|n| (f, n))
    })
}

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for (i, s) in program.effects.iter().enumerate() {
        let Effect::Import { name, also, .. } = &s.effect else {
            continue;
        };
        for full in std::iter::once(name).chain(also) {
            let last = full.rsplit('.').next().unwrap_or(full);
            let known = program.knowledge.get(full).is_some_and(|a| {
                a.kind == ApiKind::Module && a.has(EffectKind::NativeThreadAtImport)
            });
            let native = if program.native_names.contains(last) {
                native_init(program, last)
            } else {
                None
            };
            if !known && native.is_none() {
                continue;
            }
            let mut d = diagnostic(
                &RULE,
                site(program, EffectId(i as u32)),
                format!(
                    "importing `{full}` starts a native thread that takes the GIL from outside \
                     Python: at interpreter exit it races finalization (segfaults seen on \
                     3.14.0a7, gh-132948; still reported on 3.14.x, gh-124619)"
                ),
                "extension that starts a GIL-taking thread at import",
            );
            if let Some((file, init)) = native {
                d.trace.push(Step {
                    location: Location {
                        file,
                        range: init.init,
                    },
                    message: format!(
                        "module init of `{}` in {}",
                        init.module,
                        display_path(program, file)
                    ),
                });
                d.trace.push(Step {
                    location: Location {
                        file,
                        range: init.spawn,
                    },
                    message: "spawns a thread that acquires the GIL".into(),
                });
            }
            d.help = Some("have the extension expose `start()`/`stop()`, start its thread from the main flow, and stop and join it before exit (from `threading._register_atexit` or a `try/finally` in `main()`)".into());
            out.push(d);
        }
    }
}
