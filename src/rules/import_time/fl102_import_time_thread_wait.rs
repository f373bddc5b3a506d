use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, FileId, Location, Severity, Step};
use crate::program::{Context, Effect, FnRef, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{Hit, at_event, chain, flow, loc, module_name, snippet};

pub static RULE: Rule = Rule {
    code: "FL102",
    name: "import-time-thread-wait",
    family: Family::ImportTime,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A module waits at import time for a thread it started.",
    doc: r#"## What it does
Reports a wait at import time for a thread started at import time: `t.join()` on the started
thread, `fut.result()` on a future of the executor that runs it, leaving
`with ThreadPoolExecutor() as ex:` (its `__exit__` waits), iterating `ex.map(...)`, and waits whose
object cannot be told apart (`event.wait()`, `queue.get()`, `concurrent.futures.wait`) after a
start. The executor, thread or future is recognised by its value, however it reaches the
call: `fetch.load_all(EXECUTOR)` at import time, where `load_all(executor, names)` calls
`executor.submit(load, n).result()` on its parameter, starts and waits. It is an **error** when the thread (through the functions it calls) imports the module
being imported, a package above it, or a module that imports it: that import blocks on the module
lock the waiting thread holds, and the import hangs forever.

## Why is this bad?
The importing thread holds the module's import lock while it waits. If the other thread imports
anything that is still initialising in that chain, neither can proceed: the import hangs with no
exception (gh-125037 reproduces it on 3.12). On Python 2 any import or `fork` in the thread
deadlocks, because the waiting thread holds the global import lock (the seed incident: a thread
that ran `subprocess.Popen` while its module was imported through `importlib.import_module`).

## Example
```python
# videoin.py
import subprocess, threading

class C(threading.Thread):
    def run(self):
        subprocess.Popen(["ls"])

c = C()
c.start()
c.join()
```

## Use instead
```python
# videoin.py
def main():
    c = C()
    c.start()
    c.join()

if __name__ == "__main__":
    main()
```
and have the importer call `videoin.main()` explicitly.

## When it does not apply
The main flow of a script (under the main guard, or an entry script's top level): it is not
being imported, so it holds no module lock. Waits with no thread started before them.

## Python versions and platforms
All versions. On Python 3.3+ the deadlock needs the thread to import a module in the waiting
thread's import chain; otherwise it is a warning about slow, blocking imports.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    // A wait on an object that never started anything (an `Event`, a `Queue`) waits for
    // whatever sets it: any thread started before it may be the one.
    let started: HashSet<_> = program
        .effects
        .iter()
        .filter_map(|e| match &e.effect {
            Effect::ThreadStart {
                handle: Some(h), ..
            } => Some(*h),
            _ => None,
        })
        .collect();
    for file in program.file_ids() {
        let hits = flow(program, file, Context::Import);
        let mut starts: Vec<&Hit> = Vec::new();
        let mut reported_stmt = None;
        for hit in &hits {
            match &program.effect(hit.effect).effect {
                Effect::ThreadStart { .. } => starts.push(hit),
                Effect::ThreadWait { handle, api, .. } => {
                    let handle = &handle.filter(|h| started.contains(h));
                    if reported_stmt == Some(hit.stmt) {
                        continue;
                    }
                    let matching = starts.iter().rev().find(|s| {
                        match (&program.effect(s.effect).effect, handle) {
                            (_, None) => true,
                            (
                                Effect::ThreadStart {
                                    handle: Some(h), ..
                                },
                                Some(w),
                            ) => h == w,
                            _ => false,
                        }
                    });
                    let Some(start) = matching else { continue };
                    reported_stmt = Some(hit.stmt);
                    out.push(diagnostic(program, file, hit, start, api));
                }
                _ => {}
            }
        }
    }
}

fn diagnostic(program: &Program, file: FileId, wait: &Hit, start: &Hit, api: &str) -> Diagnostic {
    let module = module_name(program, file);
    let call = snippet(program, file, program.event_range(file, wait.event));
    let start_site = program.effect(start.effect);
    let deadlock = deadlock_import(program, file, start);
    let mut d = at_event(
        &RULE,
        program,
        wait,
        format!(
            "`{call}` waits (`{api}`) while `{module}` is being imported, for a thread started at {}",
            loc(program, start_site.body.file(), start_site.range)
        ),
        "waits at import time".into(),
    );
    d.trace = chain(program, wait, "waits here");
    d.trace.push(Step {
        location: Location {
            file: start_site.body.file(),
            range: start_site.range,
        },
        message: "the thread is started here".into(),
    });
    if let Some((site_file, range, imported)) = deadlock {
        d.severity = Severity::Error;
        d.message.push_str(&format!(
            "; the thread imports `{imported}`, which is still being imported: the import deadlocks"
        ));
        d.trace.push(Step {
            location: Location {
                file: site_file,
                range,
            },
            message: format!("the thread imports `{imported}` here"),
        });
    } else {
        d.notes.push("on Python 3.3+ this deadlocks if the thread imports a module that is still being imported; on Python 2 any import or fork in the thread deadlocks".into());
    }
    d.help = Some("do not wait at import time: move the start and the wait into `main()` behind the main guard, or compute lazily on first use".into());
    d
}

/// Where the thread imports a module in the waiting thread's import chain: the module
/// itself, a package above it, or a module that imports it (RULES.md FL102 severity).
fn deadlock_import(
    program: &Program,
    file: FileId,
    start: &Hit,
) -> Option<(FileId, ruff_text_size::TextRange, String)> {
    let Effect::ThreadStart { targets, .. } = &program.effect(start.effect).effect else {
        return None;
    };
    if targets.is_empty() {
        return None;
    }
    let mut locked: HashSet<FileId> = program.importers_closure(file);
    locked.insert(file);
    let module = module_name(program, file);
    for (i, _) in module.match_indices('.') {
        if let Some(pkg) = program.module(&module[..i]) {
            locked.insert(pkg);
        }
    }
    for target in targets {
        for id in thread_effects(program, *target) {
            let site = program.effect(id);
            let Effect::Import { modules, .. } = &site.effect else {
                continue;
            };
            // The import runs these modules, and everything they import in turn.
            let closure = program.import_closure(modules.iter().copied());
            if let Some(hit) = closure.iter().find(|m| locked.contains(m)) {
                return Some((
                    site.body.file(),
                    site.range,
                    module_name(program, *hit).to_string(),
                ));
            }
        }
    }
    None
}

fn thread_effects(program: &Program, target: FnRef) -> Vec<crate::program::EffectId> {
    program.reach(target).to_vec()
}
