use crate::diagnostic::{Diagnostic, Location, Severity, Step};
use crate::program::{Context, Effect, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{at_event, call_steps, chain, flow, function_name, loc, module_name, snippet};

pub static RULE: Rule = Rule {
    code: "FL104",
    name: "import-time-thread-imports",
    family: Family::ImportTime,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A thread started at import time imports modules.",
    doc: r#"## What it does
Reports a thread started at import time (FL101) whose target, through the functions it calls,
executes `import`, `from … import`, `importlib.import_module` or `__import__`.

## Why is this bad?
The thread's import competes with the import still running in the main thread. If the main
thread waits for the thread (FL102) and the thread imports a module in that import chain, both
block forever. If the thread outlives the program, its imports can run after shutdown has begun
("all import attempts must be completed before the interpreter starts shutting itself down").

## Example
```python
import threading

def load():
    import json
    ...

threading.Thread(target=load).start()
```

## Use instead
```python
import json
import threading

def load():
    ...

def start():
    threading.Thread(target=load).start()
```

## When it does not apply
Threads whose targets import nothing; threads started under the main guard; imports under
`if TYPE_CHECKING:`.

## Python versions and platforms
All versions.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for file in program.file_ids() {
        let mut last_stmt = None;
        for hit in flow(program, file, Context::Import) {
            let Effect::ThreadStart { targets, .. } = &program.effect(hit.effect).effect else {
                continue;
            };
            if last_stmt == Some(hit.stmt) {
                continue;
            }
            let found = targets.iter().find_map(|t| {
                program
                    .reach(*t)
                    .iter()
                    .find(|id| {
                        matches!(
                            program.effect(**id).effect,
                            Effect::Import { .. } | Effect::UnknownImport
                        )
                    })
                    .map(|id| (*t, *id))
            });
            let Some((target, import)) = found else {
                continue;
            };
            last_stmt = Some(hit.stmt);
            let site = program.effect(import);
            let call = snippet(program, file, program.event_range(file, hit.event));
            let message = format!(
                "`{call}` starts a thread at import of `{}` whose target `{}` imports a module (at {})",
                module_name(program, file),
                function_name(program, target),
                loc(program, site.body.file(), site.range)
            );
            let mut d = at_event(
                &RULE,
                program,
                &hit,
                message,
                "thread started at import time".into(),
            );
            d.trace = chain(program, &hit, "thread started here");
            d.trace.extend(call_steps(program, target, import));
            d.trace.push(Step {
                location: Location {
                    file: site.body.file(),
                    range: site.range,
                },
                message: "the thread imports here".into(),
            });
            d.help = Some("import at the top of the target's module (before the thread starts), or start the thread from `main()` instead of at import time".into());
            out.push(d);
        }
    }
}
