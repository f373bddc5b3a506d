use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Context, Effect, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{
    at_event, chain, describe, first_per_statement, flow, importer_step, loc, module_name, snippet,
};

pub static RULE: Rule = Rule {
    code: "FL101",
    name: "import-time-thread-start",
    family: Family::ImportTime,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Unsafe,
    summary: "A thread is started while a module is being imported.",
    doc: concat!(
        r#"## What it does
Reports a module-level statement that starts a thread while the module is being imported:
`threading.Thread(...).start()` (also on a subclass, or through a stored handle), `Timer`,
`_thread.start_new_thread`, `ThreadPoolExecutor.submit`/`map`, `multiprocessing.Pool()`, and the
library APIs of the knowledge base (`pymongo.MongoClient(...)`, `grpc.server(...)`, …; not those
marked `lazy`, such as `sentry_sdk.init()`, whose threads start on first use) — directly
or through any chain of calls, across modules. The finding sits on the top-level statement in the
module whose import runs it; the chain leads to the thread start.

## Why is this bad?
Importing should not have side effects: the thread runs while other modules are still importing,
and the process becomes multithreaded before any later `fork` (FL201). Under the spawn and
forkserver start methods every child re-imports the main module, so the thread starts again in
each child. The Python 2 threading docs put it plainly: "other than in the main module, an import
should not have the side effect of spawning a new thread".

## Example
```python
# app.py
import threading

def poll(): ...

threading.Thread(target=poll).start()
```

## Use instead
```python
# app.py
import threading

def poll(): ...

def start():
    threading.Thread(target=poll).start()

# main.py
import app

if __name__ == "__main__":
    app.start()
```

"#,
        entry_fix_safety!(),
        r#"## When it does not apply
Code under `if __name__ == "__main__":` (any spelling), an entry script's top level (a
`__main__.py`, a file with a shebang and no main guard that no project module imports, a file
given with `--entry`, a file nothing imports whose top level reads the command line, a file
nothing imports in a plain directory below the source root such as `docs/examples/`: see
[when code runs at import time](../import-time.md)), functions that are defined but not called
at import time, and thread or executor objects that are created but not started.

## Python versions and platforms
All versions and platforms.
"#
    ),
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for file in program.file_ids() {
        let hits = flow(program, file, Context::Import);
        for hit in first_per_statement(&hits, program, |e| {
            matches!(e, Effect::ThreadStart { lazy: false, .. })
        }) {
            let effect = &program.effect(hit.effect).effect;
            let site = program.effect(hit.effect);
            let call = snippet(program, file, program.event_range(file, hit.event));
            let module = module_name(program, file);
            let message = if hit.via.is_some() {
                format!(
                    "`{call}` {} while `{module}` is being imported (at {})",
                    describe(effect),
                    loc(program, site.body.file(), site.range)
                )
            } else {
                format!(
                    "`{call}` {} while `{module}` is being imported",
                    describe(effect)
                )
            };
            let mut d = at_event(&RULE, program, &hit, message, "runs at import time".into());
            d.trace = chain(program, &hit, "thread started here");
            d.trace.extend(importer_step(program, file));
            d.help = Some(
                "start the thread from an explicit `start()`/`main()` called by the entry point (or lazily on first use), not at import time".into(),
            );
            d.fix = super::entry_fix(program, &d);
            out.push(d);
        }
    }
}
