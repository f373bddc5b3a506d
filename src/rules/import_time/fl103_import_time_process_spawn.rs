use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Context, Effect, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{
    at_event, chain, describe, first_per_statement, flow, importer_step, loc, module_name, snippet,
};

pub static RULE: Rule = Rule {
    code: "FL103",
    name: "import-time-process-spawn",
    family: Family::ImportTime,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Unsafe,
    summary: "A process is created while a module is being imported.",
    doc: concat!(
        r#"## What it does
Reports a module-level statement that creates a process while the module is being imported:
`subprocess.run`/`Popen`/`call`/`check_*`/`getoutput`, `os.system`, `os.popen`, `os.spawn*`,
`os.posix_spawn*`, `os.fork`/`forkpty`, `pty.fork`/`spawn`, `os.exec*`, and `multiprocessing`
starts (`Process.start()`, `Pool()`, `Manager()`, `ProcessPoolExecutor.submit`/`map`), directly or
through calls.

## Why is this bad?
Imports become slow and can fail, and they depend on `$PATH` and the environment. On Python 2 it
is a hard deadlock when the import happens in a thread (`Popen` forks in Python and takes the
global import lock). The `multiprocessing` forms re-run in every spawn child (see FL107).

## Example
```python
# version.py
import subprocess
GIT_SHA = subprocess.check_output(["git", "rev-parse", "HEAD"]).decode()
```

## Use instead
```python
# version.py
import functools, subprocess

@functools.cache
def git_sha():
    return subprocess.check_output(["git", "rev-parse", "HEAD"]).decode()
```

"#,
        entry_fix_safety!(),
        r#"## When it does not apply
Code under the main guard, an entry script's top level, and functions not called at import time.
A top-level call that passes a literal on which the callee's test of that parameter fails
does not reach the test's body: `__version__ = get_version(VERSION)` with a final `VERSION`
does not run the `git log` that `get_version()` runs under `if version[3] == "alpha":`.

## Python versions and platforms
All versions and platforms, as a side effect. A deadlock on Python 2.
"#
    ),
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for file in program.file_ids() {
        let hits = flow(program, file, Context::Import);
        for hit in first_per_statement(&hits, program, |e| matches!(e, Effect::ProcessSpawn { .. }))
        {
            let site = program.effect(hit.effect);
            let call = snippet(program, file, program.event_range(file, hit.event));
            let module = module_name(program, file);
            let where_ = if hit.via.is_some() {
                format!(" (at {})", loc(program, site.body.file(), site.range))
            } else {
                String::new()
            };
            let message = format!(
                "`{call}` {} while `{module}` is being imported{where_}",
                describe(&site.effect)
            );
            let mut d = at_event(&RULE, program, &hit, message, "runs at import time".into());
            d.trace = chain(program, &hit, "process started here");
            d.trace.extend(importer_step(program, file));
            d.help = Some(
                "create the process from a function the entry point calls; cache results lazily"
                    .into(),
            );
            d.fix = super::entry_fix(program, &d);
            out.push(d);
        }
    }
}
