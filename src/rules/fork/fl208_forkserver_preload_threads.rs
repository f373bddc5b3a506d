use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::SpawnKind;
use crate::program::{Effect, Program};
use crate::rules::import_time::display_path;
use crate::rules::{Family, FixAvailability, Rule};

use super::{flow_trace, on_cells, site_location, site_snippet, thread_loc, thread_trace};

pub static RULE: Rule = Rule {
    code: "FL208",
    name: "forkserver-preload-threads",
    family: Family::Fork,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "The forkserver preloads a main module whose top level starts threads.",
    doc: r#"## What it does
Reports a `multiprocessing` start whose start method is **forkserver** — the Linux default from
Python 3.14, or explicit (`get_context("forkserver")`, `set_start_method("forkserver")`) —
reached from the `__main__` flow of an entry script that has a `__main__` guard, when that
script's top level outside the guard starts a thread that is still running when the guard
begins: directly, through a call, or by importing a project module that starts one at import
time (the shapes of FL101 and FL202).

## Why is this bad?
The forkserver is meant to be "single threaded unless system libraries or preloaded imports
spawn threads as a side-effect". It preloads `__main__` by default
(`multiprocessing.forkserver._preload_modules = ['__main__']`): it imports the entry script as
`__mp_main__`, which runs everything outside the guard — and starts those threads in the
server. Every worker is then forked from a multithreaded process: the hangs of FL201, silently,
inside the server, on exactly the Python version (3.14) that switched to forkserver to avoid
them.

## Example
```python
# main.py
import multiprocessing, threading
import metrics                      # starts a reporting thread at import

def main():
    with multiprocessing.Pool() as pool:   # forkserver on Linux 3.14
        pool.map(work, range(10))

if __name__ == "__main__":
    main()
```

## Use instead
```python
# main.py
import multiprocessing

def main():
    import metrics                   # import (and start threads) in the main flow only
    with multiprocessing.Pool() as pool:
        pool.map(work, range(10))

if __name__ == "__main__":
    main()
```
Keep the entry module's top level free of side effects (FL101), move thread starts behind the
guard, and keep `set_forkserver_preload` lists to modules without import-time threads.

## When it does not apply
Fork cells (FL201 reports those) and spawn cells (macOS, Windows); threads started inside the
guard; an entry script without a `__main__` guard, whose every top-level line is re-run in
children (FL107 reports that). Modules named in `set_forkserver_preload([...])` are not followed
yet.

## Python versions and platforms
POSIX other than macOS by default from 3.14; any POSIX version with an explicit forkserver.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let flow = program.fork_flow();
    for report in &flow.sinks {
        if !matches!(
            program.effect(report.effect).effect,
            Effect::ProcessSpawn {
                kind: SpawnKind::Multiprocessing,
                ..
            }
        ) {
            continue;
        }
        let Some((entry, src)) = report.preload_src.filter(|_| report.preload != 0) else {
            continue;
        };
        let call = site_snippet(program, report.effect);
        let mut trace = thread_trace(program, &src);
        trace.extend(flow_trace(program, report));
        out.push(Diagnostic {
            code: RULE.code,
            name: RULE.name,
            severity: RULE.severity,
            message: format!(
                "`{call}` uses the forkserver, which preloads `__main__` ({}): its top level \
                 outside the `__main__` guard starts a thread (at {}), so every worker is forked \
                 from a multithreaded server{}",
                display_path(program, entry),
                thread_loc(program, &src),
                on_cells(program, report.preload)
            ),
            primary: site_location(program, report.effect),
            label: "forkserver start".into(),
            trace,
            help: Some(
                "move the thread start (or the import that starts it) behind the `__main__` \
                 guard"
                    .into(),
            ),
            notes: Vec::new(),
            fix: None,
            also: Vec::new(),
        });
    }
}
